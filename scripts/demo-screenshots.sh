#!/usr/bin/env bash
# Refreshes docs/images/demo-*.png (charge, scan, paid, history) and docs/images/inline-*.png
# (picker, card, customer-buttons, paid, send-to-customer, card-km: inline mode in the customer's
# chat, cropped to the chats) from real runs of `khqr-bot demo` in headless Chromium: the
# browser tests demo::browser and demo::browser_inline, with KHQR_DEMO_SCREENSHOTS set.
# Needs chromium and chromium-driver (apt-get install chromium chromium-driver), and for the
# emoji in captions and buttons a colour emoji font (apt-get install fonts-noto-color-emoji;
# without it they show as empty boxes). With optipng on PATH the PNGs are recompressed
# (lossless). Not part of CI.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v chromedriver >/dev/null 2>&1 || {
  echo "demo-screenshots: chromedriver not found (apt-get install chromium chromium-driver)" >&2
  exit 1
}
if ! fc-list 2>/dev/null | grep -qi emoji; then
  echo "demo-screenshots: no emoji font (apt-get install fonts-noto-color-emoji): emoji will be boxes" >&2
fi
out="$PWD/docs/images"
KHQR_DEMO_SCREENSHOTS="$out" KHQR_DEMO_BROWSER=required \
  cargo test --locked --test it demo::browser -- --include-ignored --nocapture --test-threads=1
if command -v optipng >/dev/null 2>&1; then
  optipng -quiet -o2 "$out"/demo-*.png "$out"/inline-*.png
else
  echo "demo-screenshots: no optipng (apt-get install optipng): PNGs left as Chromium wrote them" >&2
fi
ls -l "$out"/demo-*.png "$out"/inline-*.png
