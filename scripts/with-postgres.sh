#!/usr/bin/env bash
# Run a command against a throwaway PostgreSQL cluster from Debian's packages.
# The cluster lives in a temporary directory, listens only on a Unix socket there, and is
# stopped and removed when the command ends. No running database service is assumed.
#   scripts/with-postgres.sh pytest ...      (DATABASE_URL is set for the command)
set -euo pipefail
PGBIN="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n1)"
[ -x "$PGBIN/initdb" ] || { echo "ERROR: PostgreSQL server binaries not found; install: apt-get install postgresql" >&2; exit 1; }

DIR="$(mktemp -d /tmp/samvirke-pg.XXXXXX)"
PORT="${SAMVIRKE_PG_PORT:-54329}"
AS=()
if [ "$(id -u)" = "0" ]; then
  # PostgreSQL refuses to run as root: run the server as Debian's postgres user.
  chown postgres: "$DIR"
  AS=(runuser -u postgres --)
fi
cleanup() {
  "${AS[@]}" "$PGBIN/pg_ctl" -D "$DIR/data" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$DIR"
}
trap cleanup EXIT INT TERM

"${AS[@]}" "$PGBIN/initdb" -D "$DIR/data" -U samvirke -A trust -E UTF8 --no-sync >/dev/null
"${AS[@]}" "$PGBIN/pg_ctl" -D "$DIR/data" -l "$DIR/server.log" -w -o \
  "-k $DIR -p $PORT -c listen_addresses='' -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" \
  start >/dev/null
"${AS[@]}" "$PGBIN/createdb" -h "$DIR" -p "$PORT" -U samvirke samvirke

ENCODED_DIR="$(python3 -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1], safe=""))' "$DIR")"
export DATABASE_URL="postgres://samvirke@${ENCODED_DIR}:${PORT}/samvirke"
echo "==> PostgreSQL $("$PGBIN/postgres" --version | awk '{print $3}') running in $DIR"
"$@"
