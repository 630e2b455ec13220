#!/usr/bin/env bash
# Stops the test PostgreSQL started by pg-start.sh.
DIR=${ANJU_PG_DIR:-/tmp/anju-pg}
[ -f "$DIR/data/postmaster.pid" ] && kill -INT "$(head -1 "$DIR/data/postmaster.pid")" 2>/dev/null
exit 0
