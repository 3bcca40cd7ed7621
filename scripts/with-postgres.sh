#!/usr/bin/env bash
# Run a command against a throw-away PostgreSQL server on 127.0.0.1, then remove it.
#   scripts/with-postgres.sh pytest -q
# The server runs as the 'postgres' system user when we are root (PostgreSQL refuses root).
# YIYANG_PG_REPLICA=1 also starts a streaming replica of it (pg_basebackup -R, hot standby,
# another port on 127.0.0.1) and exports DATABASE_REPLICA_URL (docs/scale-out.md §2).
set -euo pipefail
pg_bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n1)
[ -x "$pg_bin/initdb" ] || { echo "PostgreSQL server not installed (make system-deps)" >&2; exit 1; }
port=${YIYANG_TEST_PG_PORT:-$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')}
dir=$(mktemp -d /tmp/yiyang-pg.XXXXXX)
run=()
if [ "$(id -u)" -eq 0 ]; then
  chown postgres: "$dir"
  run=(runuser -u postgres --)
fi
cleanup() {
  if [ -d "$dir/replica" ]; then
    "${run[@]}" "$pg_bin/pg_ctl" -D "$dir/replica" -m immediate stop >/dev/null 2>&1 || true
  fi
  "${run[@]}" "$pg_bin/pg_ctl" -D "$dir/data" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$dir"
}
trap cleanup EXIT
"${run[@]}" "$pg_bin/initdb" -D "$dir/data" -U yiyang --auth=trust --encoding=UTF8 --locale=C.UTF-8 >/dev/null
# Tests need no durability; YIYANG_PG_DURABLE=1 keeps PostgreSQL's defaults (fsync on), for
# benchmarks whose figures are commits per second (benchmarks/timebank.py).
fast="-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
[ "${YIYANG_PG_DURABLE:-0}" = 1 ] && fast=""
"${run[@]}" "$pg_bin/pg_ctl" -D "$dir/data" -l "$dir/log" -w \
  -o "-h 127.0.0.1 -p $port -k $dir $fast" start >/dev/null
export DATABASE_URL="postgres://yiyang@127.0.0.1:$port/yiyang"
"${run[@]}" "$pg_bin/createdb" -h 127.0.0.1 -p "$port" -U yiyang yiyang
echo "PostgreSQL $("$pg_bin/postgres" --version | awk '{print $3}') on 127.0.0.1:$port"
if [ "${YIYANG_PG_REPLICA:-0}" = 1 ]; then
  # initdb's pg_hba.conf already lets 127.0.0.1 replicate (--auth=trust); wal_level=replica
  # and max_wal_senders are PostgreSQL's defaults. --checkpoint=fast: no wait for a spread one.
  rport=${YIYANG_TEST_PG_REPLICA_PORT:-$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')}
  "${run[@]}" "$pg_bin/pg_basebackup" -h 127.0.0.1 -p "$port" -U yiyang -D "$dir/replica" -R -X stream \
    --checkpoint=fast >/dev/null
  "${run[@]}" "$pg_bin/pg_ctl" -D "$dir/replica" -l "$dir/replica.log" -w \
    -o "-h 127.0.0.1 -p $rport -k $dir -c hot_standby=on $fast" start >/dev/null
  export DATABASE_REPLICA_URL="postgres://yiyang@127.0.0.1:$rport/yiyang"
  echo "PostgreSQL streaming replica on 127.0.0.1:$rport"
fi
"$@"
