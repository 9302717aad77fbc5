#!/usr/bin/env bash
# Server CPU per proxied Access-Request, `radius serve` as a proxy vs
# radsecproxy doing the same UDP->UDP forwarding, in one run on loopback:
#   radius bench -> proxy -> radius-rs (a fast home server)
# Prints each run's JSON (req/s; server_cpu_us_per_req is the proxy's CPU,
# user+system, from /proc/PID/stat), then medians and the ratio
# radsecproxy/ours.
# Needs: apt-get install radsecproxy (1.9, /usr/sbin/radsecproxy), jq, and
# the launcher $ANCHORS/radius-rs.sh (default ../shared/anchors; not part of
# this repository): PORT=p W=dir starts a bare server on the `radius` crate
# 0.4 on 127.0.0.1:p (auth) and p+1 (acct), bob / hello, secret testing123,
# and prints its PID. It does not answer Status-Server, so our home servers
# use status_check = "none".
# Usage: scripts/side-by-side-proxy.sh   (env: C=64 DUR=8 ROUNDS=3;
#   SOCKETS=n: the bench's NAS source ports (its default 8; 64 is the
#   many-NASes shape); CARGO_TARGET_DIR is honoured)
#   PERF=file   also: record a perf profile (-g) of ours during its last round.
#   MEM=1       also: the proxies' RSS under -c 64 and -c $MEM_C (1024),
#               i.e. memory per outstanding request.
#   FAILOVER=1  also: ours with a fail-over pool of two radius-rs homes
#               under -c 16 load; the first is killed (SIGKILL) and the
#               time until a request is answered again (by the second)
#               is measured with sequential `radius send`s.
#               FO_WINDOW=2.0 sets the home servers' response_window.
set -euo pipefail
cd "$(dirname "$0")/.."
C=${C:-64}; DUR=${DUR:-8}; ROUNDS=${ROUNDS:-3}
MEM_C=${MEM_C:-1024}; FO_WINDOW=${FO_WINDOW:-2.0}
ANCHORS=${ANCHORS:-../shared/anchors}
cargo build --release -q -p radius-cli
B=${CARGO_TARGET_DIR:-$PWD/target}/release/radius
RSP=/usr/sbin/radsecproxy
W=$(mktemp -d)
PEER_W=${PEER_W:-/tmp/anchors-peer}
pids=()
cleanup() { kill "${pids[@]}" 2>/dev/null || true; rm -rf "$W"; }
trap cleanup EXIT

home() { # PORT -> PID of a radius-rs home on PORT/PORT+1
  # (to a file: the server keeps the script's stdout open)
  PORT=$1 W="$PEER_W" bash "$ANCHORS/radius-rs.sh" >"$W/rrs-$1.pid"
  head -n1 "$W/rrs-$1.pid"
}
home_server() { # NAME PORT
  cat <<TOML
[[home_server]]
name = "$1"
address = "127.0.0.1:$2"
secret = "testing123"
status_check = "none"
response_window = $FO_WINDOW
TOML
}
ours() { # CONF PORT (auth; acct +1, coa +2) -> PID
  RUST_LOG=warn $B serve -c "$1" --auth "127.0.0.1:$2" --acct "127.0.0.1:$(( $2 + 1 ))" \
    --coa "127.0.0.1:$(( $2 + 2 ))" 2>"$1.log" >/dev/null &
  echo $!
}
client_toml() {
  cat <<TOML
[server]
accounting_db = "$W/acct-$1.db"
[[client]]
address = "127.0.0.0/8"
secret = "testing123"
require_message_authenticator = "no"
TOML
}

HOME1=$(home 28230); pids+=("$HOME1")
{ client_toml main; home_server rrs 28230; cat <<TOML
[[pool]]
name = "main"
type = "fail-over"
servers = ["rrs"]
[[realm]]
name = "*"
pool = "main"
TOML
} >"$W/proxy.toml"
OURS=$(ours "$W/proxy.toml" 28240); pids+=("$OURS")

cat >"$W/radsecproxy.conf" <<CONF
ListenUDP 127.0.0.1:28250
LogLevel 2
client bench {
    host 127.0.0.1
    type udp
    secret testing123
}
server rrs {
    host 127.0.0.1
    port 28230
    type udp
    secret testing123
}
realm * {
    server rrs
}
CONF
$RSP -p -c "$W/radsecproxy.conf" >"$W/rsp-check.log" 2>&1 || { cat "$W/rsp-check.log"; exit 1; }
$RSP -f -c "$W/radsecproxy.conf" >"$W/radsecproxy.log" 2>&1 </dev/null &
RSPP=$!; pids+=("$RSPP")
sleep 2

proxies="radsecproxy $RSPP 28250|typed-radius $OURS 28240"
IFS='|' read -ra list <<<"$proxies"
for round in $(seq "$ROUNDS"); do
  for s in "${list[@]}"; do
    set -- $s
    printf '%-13s round %s: ' "$1" "$round"
    if [ -n "${PERF:-}" ] && [ "$1" = typed-radius ] && [ "$round" = "$ROUNDS" ]; then
      (sleep 1; perf record -q -g -o "$PERF" -p "$2" -- sleep $(( DUR - 2 )) >/dev/null 2>&1) &
    fi
    $B bench -q --json --pid "$2" -c "$C" ${SOCKETS:+--sockets "$SOCKETS"} -d "$DUR" "127.0.0.1:$3" auth | tee -a "$W/$1.json"
  done
done
median() { jq -s "map(.$2) | sort | .[length/2|floor]" "$W/$1.json"; }
echo
printf '%-13s %10s %14s\n' proxy 'req/s' 'CPU µs/req'
for p in radsecproxy typed-radius; do
  printf '%-13s %10.0f %14.2f\n' $p "$(median $p req_per_s)" "$(median $p server_cpu_us_per_req)"
done
printf 'CPU ratio radsecproxy/ours (medians): %.2f\n' \
  "$(jq -n "$(median radsecproxy server_cpu_us_per_req) / $(median typed-radius server_cpu_us_per_req)")"

rss() { awk '/^VmRSS/ {print $2}' "/proc/$1/status"; }
if [ -n "${MEM:-}" ]; then
  # RSS sampled mid-run. Ours first: radsecproxy 1.9.2 may not survive
  # -c 1024 (a segfault here), which is reported rather than fatal.
  echo
  for s in "${list[1]}" "${list[0]}"; do
    set -- $s
    for c in "$C" "$MEM_C"; do
      $B bench -q --json --pid "$2" -c "$c" --sockets $(( (c + 255) / 256 > 8 ? (c + 255) / 256 : 8 )) \
        -d 4 "127.0.0.1:$3" auth >"$W/mem.json" 2>/dev/null &
      b=$!; sleep 3; r=$(rss "$2" 2>/dev/null || echo gone); wait $b || true
      if ! kill -0 "$2" 2>/dev/null; then
        printf '%-13s -c %-5s died during the run (see its log)\n' "$1" "$c"; tail -n3 "$W/$1.log" 2>/dev/null || true
        continue 2
      fi
      eval "rss_$c=$r"
      printf '%-13s -c %-5s RSS %6s kB  (%s req/s, %s timeouts)\n' "$1" "$c" "$r" \
        "$(jq '.req_per_s|floor' "$W/mem.json")" "$(jq .timeouts "$W/mem.json")"
    done
    lo=rss_$C; hi=rss_$MEM_C
    printf '%-13s ≈ %.2f kB per outstanding request\n' "$1" \
      "$(jq -n "(${!hi} - ${!lo}) / ($MEM_C - $C)")"
  done
fi

if [ -n "${FAILOVER:-}" ]; then
  echo
  A=$(home 28234); pids+=("$A")
  BH=$(home 28236); pids+=("$BH")
  { client_toml fo; home_server a 28234; home_server b 28236; cat <<TOML
[[pool]]
name = "fo"
type = "fail-over"
servers = ["a", "b"]
[[realm]]
name = "*"
pool = "fo"
TOML
  } >"$W/fo.toml"
  FO=$(ours "$W/fo.toml" 28244); pids+=("$FO")
  sleep 2
  $B bench -q --json --timeout 10 -c 16 -d 10 127.0.0.1:28244 auth >"$W/fo-bench.json" &
  fb=$!
  printf 'User-Name = "bob"\nUser-Password = "hello"\n' >"$W/bob.txt"
  ( end=$(( $(date +%s%N) + 8000000000 ))
    while [ "$(date +%s%N)" -lt "$end" ]; do
      t0=$(date +%s%N)
      if $B send -t 10 -r 1 -f "$W/bob.txt" 127.0.0.1:28244 auth testing123 >/dev/null 2>&1
      then echo "$t0 $(date +%s%N) ok"; else echo "$t0 $(date +%s%N) fail"; fi
    done ) >"$W/probe.txt" &
  pr=$!
  sleep 3
  kill -9 "$A"; killed=$(date +%s%N)
  wait $pr; wait $fb || true
  # The first answer that arrived after the kill (A cannot have sent it).
  awk -v k="$killed" '$3 == "ok" && $2 > k + 1000000 && !f { f = 1; first = ($2 - k) / 1e6 }
      $3 == "ok" && ($2 - $1) > worst { worst = $2 - $1 }
      $3 != "ok" { fails++ }
      END { printf "failover (response_window %s s): first answer %.0f ms after the first home died; slowest probe %.0f ms; %d unanswered probes\n", w, first, worst / 1e6, fails }' \
      w="$FO_WINDOW" "$W/probe.txt"
  printf 'load during failover (-c 16): %s requests, %s timeouts, max latency %.0f ms\n' \
    "$(jq .requests "$W/fo-bench.json")" "$(jq .timeouts "$W/fo-bench.json")" \
    "$(jq '.latency_us.max / 1000' "$W/fo-bench.json")"
fi
