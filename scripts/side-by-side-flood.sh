#!/usr/bin/env bash
# Fairness under flood, `radius serve` vs FreeRADIUS 3.2 (and radius-rs),
# in one run on loopback: `radius flood` sends a steady client's requests
# (one every 10 ms, never retransmitted) before, during and after a flood
# from 32 other ports of the same client address (valid requests, exact
# duplicates, garbage, truncated, bad Message-Authenticator), and reports
# the share of steady requests answered within 1 s, their p50/p99, the
# server's CPU and RSS, and the datagrams the kernel dropped at its port.
# Needs: apt-get install freeradius jq, and the launchers
# $ANCHORS/freeradius-minimal.sh and $ANCHORS/radius-rs.sh (default
# ../shared/anchors; not part of this repository), as for side-by-side.sh.
# Usage: scripts/side-by-side-flood.sh   (env: RATE=400000 DUR=10 ROUNDS=1
# THREADS=2 flooding threads; RRS=1 adds radius-rs)
set -euo pipefail
cd "$(dirname "$0")/.."
RATE=${RATE:-400000}; DUR=${DUR:-10}; ROUNDS=${ROUNDS:-1}; THREADS=${THREADS:-2}
ANCHORS=${ANCHORS:-../shared/anchors}
cargo build --release -q -p radius-cli
T=${CARGO_TARGET_DIR:-target}; case $T in /*) ;; *) T=$PWD/$T;; esac
B=$T/release/radius
W=$(mktemp -d); chmod 755 "$W"   # FreeRADIUS drops to user freerad
pids=()
cleanup() { kill "${pids[@]}" 2>/dev/null || true; rm -rf "$W"; }
trap cleanup EXIT

FR=$(PORT=28320 D="$W/fr" bash "$ANCHORS/freeradius-minimal.sh"); pids+=("$FR")
RUST_LOG=warn $B serve --auth 127.0.0.1:28340 --acct 127.0.0.1:28341 --coa 127.0.0.1:28342 \
    --accounting-db "$W/acct.db" 2>"$W/ours.log" &
OURS=$!; pids+=("$OURS")
servers="freeradius $FR 28320|typed-radius $OURS 28340"
if [ -n "${RRS:-}" ]; then
  PORT=28330 W="${PEER_W:-/tmp/anchors-peer}" bash "$ANCHORS/radius-rs.sh" >"$W/rrs.pid"
  RRS_PID=$(head -n1 "$W/rrs.pid"); pids+=("$RRS_PID")
  servers="$servers|radius-rs $RRS_PID 28330"
fi
sleep 2
IFS='|' read -ra list <<<"$servers"
for round in $(seq "$ROUNDS"); do
  for s in "${list[@]}"; do
    set -- $s
    printf '%-13s round %s: ' "$1" "$round"
    $B flood --json --pid "$2" --rate "$RATE" -d "$DUR" --threads "$THREADS" "127.0.0.1:$3" \
      | jq -c '{flood_rate: (.flood.rate|floor), during: .during.served_percent,
                during_p99_ms: .during.p99_ms, after: .after.served_percent,
                cpu: (.server_cpu_percent|floor), rss_kib: .server_rss_kib,
                kernel_drops: .kernel_drops_at_port}'
  done
done
