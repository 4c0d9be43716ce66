# syntax=docker/dockerfile:1
#
# khqr-bot: multi-stage build → small non-root runtime image; the database lives on /data.
#
#   docker build -t khqr-bot .
#   docker run -d --name khqr-bot --restart unless-stopped \
#     -e TELOXIDE_TOKEN=123456:ABC... -e KHQR_BOT_SECRET_KEY=$(openssl rand -hex 32) \
#     -v khqr-data:/data khqr-bot
#
# Build context: see .dockerignore (no target/, no databases, keys, .env or deploy/).
# PostgreSQL with several replicas behind HTTPS: deploy/compose.yaml (docs/deploy.md).

FROM rust:1.95-slim-bookworm AS builder
WORKDIR /src
# Everything the crate embeds at compile time comes with the sources: migrations/ (sqlx),
# locales/ + i18n.toml (Fluent), assets/fonts/ (card renderer).
COPY . .
# Cache mounts keep the registry and compiled dependencies between builds.
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/src/target \
    cargo build --release --locked --bin khqr-bot \
    && install -D -m 0755 target/release/khqr-bot /out/khqr-bot

FROM debian:bookworm-slim AS runtime
# TLS roots are built into the binary (rustls + webpki roots) and Phnom Penh time is a fixed
# UTC+7 in the code, so the image needs no tzdata; ca-certificates is a small safety net.
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates \
    && rm -rf /var/lib/apt/lists/* \
    && groupadd --system --gid 10001 khqr \
    && useradd --system --uid 10001 --gid khqr --home-dir /data --shell /usr/sbin/nologin khqr \
    && mkdir -p /data \
    && chown khqr:khqr /data \
    && chmod 0700 /data
COPY --from=builder /out/khqr-bot /usr/local/bin/khqr-bot

USER khqr:khqr
WORKDIR /data
# The SQLite database (+ WAL) and, when KHQR_BOT_SECRET_KEY is not set, the key file
# khqr-bot.key beside it. Back up the whole volume; losing the key loses the stored tokens.
VOLUME ["/data"]
# MALLOC_ARENA_MAX=2: glibc otherwise keeps one malloc arena per busy thread; with it the
# watcher benchmark's peak RSS drops from 83 MB to 63 MB (BENCHMARKS.md, Watcher).
ENV DATABASE_URL=sqlite:///data/khqr-bot.db \
    RUST_LOG=info \
    MALLOC_ARENA_MAX=2
# `docker stop` sends SIGTERM: the bot finishes the updates in hand and exits.
STOPSIGNAL SIGTERM
ENTRYPOINT ["/usr/local/bin/khqr-bot"]
CMD ["run"]
