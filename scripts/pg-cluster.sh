#!/usr/bin/env bash
# A throw-away PostgreSQL cluster for the tests (issue 16): initdb in a temporary directory,
# owned by an unprivileged user, listening on 127.0.0.1 only (a free port) and a socket in its
# own directory; fsync off (nothing in it outlives the run). Trust authentication on loopback:
# the cluster is reachable from this machine only and lives for one run.
#
#   eval "$(scripts/pg-cluster.sh start)"   # exports KHQR_TEST_DATABASE_URL, KHQR_PG_DIR
#   scripts/pg-cluster.sh stop "$KHQR_PG_DIR"
#
# Needs Debian's `postgresql` package (initdb, pg_ctl: on PATH or /usr/lib/postgresql/*/bin).
# Run as root it creates (once) and uses a system user `khqr-pg`; otherwise it runs as you.
set -euo pipefail

bin_dir() {
  if command -v initdb >/dev/null 2>&1 && command -v pg_ctl >/dev/null 2>&1; then
    dirname "$(command -v pg_ctl)"
    return
  fi
  local d
  d="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1 || true)"
  if [ -z "$d" ] || [ ! -x "$d/initdb" ]; then
    echo "pg-cluster: initdb not found (install Debian's postgresql package)" >&2
    exit 1
  fi
  echo "$d"
}

as_owner() {
  if [ "$(id -u)" -eq 0 ]; then
    runuser -u khqr-pg -- "$@"
  else
    "$@"
  fi
}

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

start() {
  local bin dir port
  bin="$(bin_dir)"
  if [ "$(id -u)" -eq 0 ] && ! id khqr-pg >/dev/null 2>&1; then
    useradd --system --no-create-home --shell /usr/sbin/nologin khqr-pg
  fi
  dir="$(mktemp -d "${TMPDIR:-/tmp}/khqr-pg.XXXXXX")"
  [ "$(id -u)" -eq 0 ] && chown khqr-pg "$dir"
  as_owner "$bin/initdb" -D "$dir/data" -U postgres --auth=trust --encoding=UTF8 --locale=C.UTF-8 \
    >"$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log" >&2; exit 1; }
  for _ in 1 2 3 4 5; do
    port="$(free_port)"
    if as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 start \
      -o "-c listen_addresses=127.0.0.1 -p $port -c unix_socket_directories=$dir \
          -c fsync=off -c synchronous_commit=off -c full_page_writes=off \
          -c wal_level=minimal -c max_wal_senders=0 -c max_wal_size=128MB -c min_wal_size=32MB \
          -c max_connections=400 -c shared_buffers=64MB" >/dev/null; then
      echo "export KHQR_PG_DIR='$dir'"
      echo "export KHQR_TEST_DATABASE_URL='postgres://postgres@127.0.0.1:$port/postgres'"
      return
    fi
  done
  cat "$dir/server.log" >&2
  echo "pg-cluster: the server did not start" >&2
  exit 1
}

stop() {
  local dir="${1:?usage: pg-cluster.sh stop DIR}"
  local bin
  bin="$(bin_dir)"
  case "$dir" in
    "${TMPDIR:-/tmp}"/khqr-pg.*) ;;
    *) echo "pg-cluster: not a cluster of this script: $dir" >&2; exit 1 ;;
  esac
  if [ -f "$dir/data/postmaster.pid" ]; then
    as_owner "$bin/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null || true
  fi
  rm -rf "$dir"
}

case "${1:-}" in
  start) start ;;
  stop) stop "${2:-}" ;;
  *) echo "usage: $0 start | stop DIR" >&2; exit 2 ;;
esac
