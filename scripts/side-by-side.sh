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
# Usage: scripts/side-by-side.sh [auth|acct]   (env: C=64 DUR=10 ROUNDS=2)
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
for round in $(seq "$ROUNDS"); do
  IFS='|' read -ra list <<<"$servers"
  for s in "${list[@]}"; do
    set -- $s
    printf '%-13s round %s: ' "$1" "$round"
    $B bench -q --json --pid "$2" -c "$C" -d "$DUR" "127.0.0.1:$(( $3 + off ))" "$KIND"
  done
done
