#!/bin/sh
# Entry point of the bot containers in compose.yaml. khqr-bot reads its settings from the
# environment only, so this puts the compose secrets (files in /run/secrets) there, then
# runs khqr-bot with the container's command (`run`, or e.g. `rotate-key ...`).
# A missing or unreadable secret stops the container here, naming the file.
set -eu
s=/run/secrets
TELOXIDE_TOKEN=$(cat "$s/telegram_bot_token")
TELEGRAM_WEBHOOK_SECRET=$(cat "$s/telegram_webhook_secret")
KHQR_BOT_SECRET_KEY=$(cat "$s/khqr_bot_secret_key")
# The `db` service of compose.yaml: user khqr, database khqr (DATABASE_NAME=another one, e.g.
# for a restore drill). The password goes into the URL as it is: keep it to letters and
# digits (openssl rand -hex 24).
DATABASE_URL="postgres://khqr:$(cat "$s/postgres_password")@db:5432/${DATABASE_NAME:-khqr}"
export TELOXIDE_TOKEN TELEGRAM_WEBHOOK_SECRET KHQR_BOT_SECRET_KEY DATABASE_URL
exec /usr/local/bin/khqr-bot "$@"
