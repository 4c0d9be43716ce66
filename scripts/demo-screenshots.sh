#!/usr/bin/env bash
# Refreshes docs/images/demo-*.png (charge, scan, paid, history) from a real run of
# `khqr-bot demo` in headless Chromium: the browser test, with KHQR_DEMO_SCREENSHOTS set.
# Needs chromium and chromium-driver (apt-get install chromium chromium-driver). Not part of CI.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v chromedriver >/dev/null 2>&1 || {
  echo "demo-screenshots: chromedriver not found (apt-get install chromium chromium-driver)" >&2
  exit 1
}
out="$PWD/docs/images"
KHQR_DEMO_SCREENSHOTS="$out" KHQR_DEMO_BROWSER=required \
  cargo test --locked --test it demo_browser:: -- --include-ignored --nocapture
ls -l "$out"/demo-*.png
