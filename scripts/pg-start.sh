#!/usr/bin/env bash
# Starts a throwaway PostgreSQL on loopback for the test suite and prints its URL.
# Installs Debian's postgresql if it is missing (as root, no Docker). Idempotent:
# a server already running in $ANJU_PG_DIR is reused.
set -euo pipefail
PGPORT=${ANJU_PG_PORT:-55432}
DIR=${ANJU_PG_DIR:-/tmp/anju-pg}
PGBIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1 || true)
if [ -z "$PGBIN" ] || [ ! -x "$PGBIN/initdb" ]; then
  echo "installing postgresql from Debian's packages…" >&2
  apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >&2
  PGBIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
fi
URL="postgres://postgres@127.0.0.1:$PGPORT/postgres"
RUN=(); [ "$(id -u)" = 0 ] && RUN=(runuser -u postgres --)
# A server already answering here is reused; never wipe a live data directory.
if "$PGBIN/pg_isready" -q -h 127.0.0.1 -p "$PGPORT"; then
  echo "$URL"; exit 0
fi
if [ -f "$DIR/data/postmaster.pid" ] && "${RUN[@]}" "$PGBIN/pg_ctl" -D "$DIR/data" status >/dev/null 2>&1; then
  echo "port $PGPORT does not answer but a server runs in $DIR; stop it first (scripts/pg-stop.sh)" >&2
  exit 1
fi
rm -rf "$DIR"
install -d -m 0700 "$DIR" "$DIR/data"
[ "$(id -u)" = 0 ] && chown -R postgres:postgres "$DIR"
"${RUN[@]}" "$PGBIN/initdb" -D "$DIR/data" -U postgres -A trust -E UTF8 --locale=C.UTF-8 >"$DIR/initdb.log" 2>&1
# Durability off: this server holds only test data and is thrown away.
"${RUN[@]}" "$PGBIN/pg_ctl" -D "$DIR/data" -l "$DIR/server.log" -w -t 60 \
  -o "-c listen_addresses=127.0.0.1 -p $PGPORT -k $DIR -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300" start >&2
echo "$URL"
