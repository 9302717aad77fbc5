#!/usr/bin/env bash
# Durable accounting throughput into PostgreSQL, `radius serve` vs
# FreeRADIUS 3.2 with rlm_sql, in one run on one throw-away PostgreSQL 15
# cluster on loopback (each server its own database), plus `radius serve`
# on SQLite for reference. `radius bench -c $C acct` sends Interim-Updates of
# distinct sessions: every answered request is a committed radacct row, so
# req/s is durable records/s. Prints each run's JSON (server_cpu_us_per_req:
# the server's CPU, user+system, from /proc/PID/stat), PostgreSQL's own CPU
# per record, the rows each database holds, medians and the ratios.
# Needs: apt-get install postgresql freeradius freeradius-postgresql jq, and
# the launcher $ANCHORS/freeradius-sql-acct.sh (default ../shared/anchors;
# not part of this repository): PORT=p D=dir PGHOST PGPORT PGUSER PGPASSWORD
# PGDB start FreeRADIUS writing accounting with its own schema and queries,
# acct on p+1, and print its PID.
# Runs as root (PostgreSQL itself runs as the postgres user).
# Usage: scripts/side-by-side-acct-pg.sh   (env: C=64 DUR=10 ROUNDS=2; WRITERS="2 8":
# one `radius serve` per accounting_writers value, each its own database)
set -euo pipefail
cd "$(dirname "$0")/.."
C=${C:-64}; DUR=${DUR:-10}; ROUNDS=${ROUNDS:-2}
ANCHORS=${ANCHORS:-../shared/anchors}
PGBIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n1)
cargo build --release -q -p radius-cli
T=${CARGO_TARGET_DIR:-target}; case $T in /*) ;; *) T=$PWD/$T;; esac
B=$T/release/radius
W=$(mktemp -d); chmod 755 "$W"   # postgres and freerad read below it
PGPORT=28500
pids=()
asuser() { setpriv --reuid=postgres --regid=postgres --init-groups "$@"; }
cleanup() {
  for f in "$W"/*.log; do [ -s "$f" ] && { echo "== $f"; tail -n 5 "$f"; }; done
  kill "${pids[@]}" 2>/dev/null || true
  [ -n "${PG:-}" ] && { kill -INT "$PG" 2>/dev/null || true; sleep 2; }
  rm -rf "$W"
}
trap cleanup EXIT

mkdir "$W/pg"; chown postgres:postgres "$W/pg"
asuser "$PGBIN/initdb" -D "$W/pg/data" -U radius --auth=trust -E UTF8 --locale=C.UTF-8 >/dev/null
setpriv --reuid=postgres --regid=postgres --init-groups "$PGBIN/postgres" -D "$W/pg/data" -c listen_addresses=127.0.0.1 -p $PGPORT -k "$W/pg" \
  -c max_connections=100 >"$W/pg.log" 2>&1 &
PG=$!
for _ in $(seq 100); do psql -h 127.0.0.1 -p $PGPORT -U radius -d postgres -qAtc 'select 1' >/dev/null 2>&1 && break; sleep 0.1; done
WRITERS=${WRITERS:-2 8}
psql -h 127.0.0.1 -p $PGPORT -U radius -d postgres -qc 'CREATE DATABASE fr'
for w in $WRITERS; do psql -h 127.0.0.1 -p $PGPORT -U radius -d postgres -qc "CREATE DATABASE ours$w"; done

FR=$(PORT=28170 D="$W/fr" PGHOST=127.0.0.1 PGPORT=$PGPORT PGUSER=radius PGPASSWORD=radius PGDB=fr \
  bash "$ANCHORS/freeradius-sql-acct.sh"); pids+=("$FR")
servers="freeradius $FR 28171 fr"
names="freeradius"
port=28200
for w in $WRITERS; do
  cat >"$W/ours$w.toml" <<TOML
[server]
accounting_db = "postgres://radius:radius@127.0.0.1:$PGPORT/ours$w"
accounting_spool = "$W/ours$w.spool"
accounting_writers = $w
[[client]]
name = "loopback"
address = "127.0.0.0/8"
secret = "testing123"
TOML
  RUST_LOG=warn $B serve -c "$W/ours$w.toml" --auth 127.0.0.1:$port --acct 127.0.0.1:$((port + 1)) \
    --coa 127.0.0.1:$((port + 2)) 2>"$W/ours$w.log" >/dev/null &
  pids+=("$!"); servers+="|typed-radius-w$w $! $((port + 1)) ours$w"; names+=" typed-radius-w$w"
  port=$((port + 10))
done
RUST_LOG=warn $B serve --auth 127.0.0.1:28190 --acct 127.0.0.1:28191 --coa 127.0.0.1:28192 \
  --accounting-db "$W/acct.db" 2>"$W/sqlite.log" >/dev/null &
SQ=$!; pids+=("$SQ"); servers+="|typed-radius-sqlite $SQ 28191 -"; names+=" typed-radius-sqlite"
sleep 3

# PostgreSQL's CPU (postmaster, its live backends and reaped children), in ticks.
pg_ticks() {
  local t=0 p
  for p in $PG $(ps --ppid "$PG" -o pid= 2>/dev/null); do
    [ -r "/proc/$p/stat" ] || continue
    set -- $(sed 's/^.*) //' "/proc/$p/stat")
    t=$(( t + ${12} + ${13} + ${14} + ${15} ))
  done
  echo $t
}
HZ=$(getconf CLK_TCK)
rows() { psql -h 127.0.0.1 -p $PGPORT -U radius -d "$1" -qAtc 'select count(*) from radacct'; }

declare -A rate cpu pgcpu
for round in $(seq "$ROUNDS"); do
  IFS='|' read -ra list <<<"$servers"
  for s in "${list[@]}"; do
    set -- $s
    name=$1; pid=$2; port=$3; db=$4
    before=$(pg_ticks)
    out=$($B bench -q --json --pid "$pid" -c "$C" -d "$DUR" "127.0.0.1:$port" acct)
    after=$(pg_ticks)
    n=$(jq .requests <<<"$out")
    pgus=$(awk -v d=$(( after - before )) -v hz="$HZ" -v n="$n" 'BEGIN { printf "%.1f", n ? d / hz * 1e6 / n : 0 }')
    echo "$name round $round: $out"
    [ "$db" != - ] && echo "  PostgreSQL CPU ${pgus} µs per record; radacct rows in $db: $(rows "$db")"
    rate[$name]+="$(jq .req_per_s <<<"$out") "
    cpu[$name]+="$(jq .server_cpu_us_per_req <<<"$out") "
    pgcpu[$name]+="$pgus "
  done
done
median() { tr ' ' '\n' | grep -v '^$' | sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
echo
printf '%-20s %12s %16s %18s\n' server "records/s" "server µs/rec" "PostgreSQL µs/rec"
for name in $names; do
  r=$(median <<<"${rate[$name]}"); c=$(median <<<"${cpu[$name]}"); p=$(median <<<"${pgcpu[$name]}")
  [ "$name" = typed-radius-sqlite ] && p=-
  printf '%-20s %12.0f %16.1f %18s\n' "$name" "$r" "$c" "$p"
done
rf=$(median <<<"${rate[freeradius]}"); cf=$(median <<<"${cpu[freeradius]}")
for w in $WRITERS; do
  ro=$(median <<<"${rate[typed-radius-w$w]}"); co=$(median <<<"${cpu[typed-radius-w$w]}")
  awk -v w="$w" -v rf="$rf" -v ro="$ro" -v cf="$cf" -v co="$co" \
    'BEGIN { printf "typed-radius (%d writers)/FreeRADIUS: %.1fx the records/s, %.1fx less server CPU per record\n", w, ro / rf, cf / co }'
done
