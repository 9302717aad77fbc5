#!/usr/bin/env bash
# Same closed-loop load against FreeRADIUS, radius-rs and `radius serve`, in
# one run, on loopback; prints req/s and server CPU µs per request for each.
# Needs: apt-get install freeradius, and two launcher scripts that are not
# part of this repository, in $ANCHORS (default ../shared/anchors):
#   freeradius-minimal.sh  PORT=p D=dir: FreeRADIUS 3.2 with a minimal
#                          files+pap site on 127.0.0.1:p (auth) and p+1
#                          (acct), user bob / hello, secret testing123;
#                          prints the server's PID.
#   radius-rs.sh           PORT=p W=dir: a bare server on the `radius`
#                          crate 0.4 (built under dir) on p and p+1, with
#                          the same user and secret; prints its PID.
# Usage: scripts/side-by-side.sh [auth|acct]   (env: C=64 DUR=10 ROUNDS=2 SHAPES="8 64")
# BASELINE=path/to/an/older/radius adds that build as a fourth server, so a
# change is measured before/after in the same run.
set -euo pipefail
cd "$(dirname "$0")/.."
KIND=${1:-auth}; C=${C:-64}; DUR=${DUR:-10}; ROUNDS=${ROUNDS:-2}
ANCHORS=${ANCHORS:-../shared/anchors}
cargo build --release -q -p radius-cli
B=target/release/radius
W=$(mktemp -d); chmod 755 "$W"   # FreeRADIUS drops to user freerad
pids=()
cleanup() { kill "${pids[@]}" 2>/dev/null || true; rm -rf "$W"; }
trap cleanup EXIT

FR=$(PORT=28120 D="$W/fr" bash "$ANCHORS/freeradius-minimal.sh"); pids+=("$FR")
# (to a file: the server keeps the script's stdout open)
PORT=28130 W="${PEER_W:-/tmp/anchors-peer}" bash "$ANCHORS/radius-rs.sh" >"$W/rrs.pid"
RRS=$(head -n1 "$W/rrs.pid"); pids+=("$RRS")
RUST_LOG=warn $B serve --auth 127.0.0.1:28140 --acct 127.0.0.1:28141 --coa 127.0.0.1:28142 \
    --accounting-db "$W/acct.db" 2>"$W/ours.log" &
OURS=$!; pids+=("$OURS")
servers="freeradius $FR 28120|radius-rs $RRS 28130|typed-radius $OURS 28140"
if [ -n "${BASELINE:-}" ]; then
  RUST_LOG=warn "$BASELINE" serve --auth 127.0.0.1:28150 --acct 127.0.0.1:28151 --coa 127.0.0.1:28152 \
      --accounting-db "$W/base.db" 2>"$W/base.log" &
  BASE=$!; pids+=("$BASE")
  servers="$servers|baseline $BASE 28150"
fi
sleep 2
off=0; [ "$KIND" = acct ] && off=1
# Two load shapes each round: `radius bench`'s default 8 client sockets with
# C/8 in flight on each (replies to one port leave as one segmented send),
# and SOCKETS (default 64) sockets sharing C, which is what many NASes with
# one or two requests each look like. SHAPES="8 64" picks them.
SHAPES=${SHAPES:-"8 ${SOCKETS:-64}"}
declare -A cpu
for round in $(seq "$ROUNDS"); do
  for sk in $SHAPES; do
    IFS='|' read -ra list <<<"$servers"
    for s in "${list[@]}"; do
      set -- $s
      printf '%-13s round %s, %2s sockets: ' "$1" "$round" "$sk"
      out=$($B bench -q --json --pid "$2" -c "$C" --sockets "$sk" -d "$DUR" "127.0.0.1:$(( $3 + off ))" "$KIND")
      echo "$out"
      cpu[$1/$sk]+="$(sed -n 's/.*"server_cpu_us_per_req":\([0-9.]*\).*/\1/p' <<<"$out") "
    done
  done
done
median() { tr ' ' '\n' | grep -v '^$' | sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
echo
for sk in $SHAPES; do
  f=$(median <<<"${cpu[freeradius/$sk]}"); r=$(median <<<"${cpu[radius-rs/$sk]}"); o=$(median <<<"${cpu[typed-radius/$sk]}")
  awk -v f="$f" -v r="$r" -v o="$o" -v sk="$sk" 'BEGIN {
    printf "%2s sockets: server CPU µs/req (median) FreeRADIUS %.2f, radius-rs %.2f, ours %.2f: %.1fx less than FreeRADIUS, %.2fx less than radius-rs\n", sk, f, r, o, f / o, r / o }'
done
