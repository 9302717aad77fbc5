#!/usr/bin/env bash
# Same closed-loop RadSec (RADIUS over TLS, mutual auth) load against
# FreeRADIUS and `radius serve --radsec`, in one run, on loopback; prints
# req/s and server CPU µs per request. (radius-rs has no RadSec.)
# Certificates are made here with openssl, in a temporary directory.
# Needs: apt-get install freeradius openssl, and a launcher script that is
# not part of this repository, in $ANCHORS (default ../shared/anchors):
#   freeradius-radsec.sh  PORT=p CERTS=dir D=dir: FreeRADIUS 3.2 with a
#                         RadSec listener on 127.0.0.1:p using dir's ca.pem,
#                         server.pem and server.key, RadSec client 127.0.0.1
#                         with secret radsec, user bob / hello; prints its PID.
# Usage: scripts/side-by-side-radsec.sh   (env: C=16 DUR=10 ROUNDS=2 CONNS=16)
# The default is one request in flight per connection: FreeRADIUS 3.2.1
# stalls with more than two pipelined on one connection (measured: -c 8
# over one connection times out), and allows 16 connections per listener.
set -euo pipefail
cd "$(dirname "$0")/.."
C=${C:-16}; DUR=${DUR:-10}; ROUNDS=${ROUNDS:-2}; CONNS=${CONNS:-16}
ANCHORS=${ANCHORS:-../shared/anchors}
cargo build --release -q -p radius-cli
B=$PWD/target/release/radius
W=$(mktemp -d); chmod 755 "$W"   # FreeRADIUS drops to user freerad
pids=()
cleanup() { kill "${pids[@]}" 2>/dev/null || true; rm -rf "$W"; }
trap cleanup EXIT

# A CA, a server certificate for localhost/127.0.0.1, a client certificate.
K="$W/certs"; mkdir -p "$K"
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=bench CA" \
    -keyout "$K/ca.key" -out "$K/ca.pem" 2>/dev/null
leaf() { # name eku san
  openssl req -newkey rsa:2048 -nodes -subj "/CN=$1" -keyout "$K/$1.key" -out "$K/$1.csr" 2>/dev/null
  printf "extendedKeyUsage=%s\nsubjectAltName=%s\n" "$2" "$3" > "$K/$1.ext"
  openssl x509 -req -in "$K/$1.csr" -CA "$K/ca.pem" -CAkey "$K/ca.key" -CAcreateserial \
      -days 2 -extfile "$K/$1.ext" -out "$K/$1.pem" 2>/dev/null
}
leaf localhost serverAuth "DNS:localhost,IP:127.0.0.1"
leaf nas clientAuth "DNS:nas"
cp "$K/localhost.pem" "$K/server.pem"; cp "$K/localhost.key" "$K/server.key"

FR=$(PORT=28352 CERTS="$K" D="$W/fr" bash "$ANCHORS/freeradius-radsec.sh"); pids+=("$FR")
RUST_LOG=warn $B serve --auth 127.0.0.1:28360 --acct 127.0.0.1:28361 --coa 127.0.0.1:28363 \
    --accounting-db "$W/acct.db" --radsec 127.0.0.1:28362 \
    --tls-cert "$K/server.pem" --tls-key "$K/server.key" --tls-ca "$K/ca.pem" 2>"$W/ours.log" &
OURS=$!; pids+=("$OURS")
sleep 2
for round in $(seq "$ROUNDS"); do
  for s in "freeradius $FR 28352" "typed-radius $OURS 28362"; do
    set -- $s
    printf '%-13s round %s: ' "$1" "$round"
    $B bench -q --json --pid "$2" -c "$C" -d "$DUR" --radsec --connections "$CONNS" \
        --tls-cert "$K/nas.pem" --tls-key "$K/nas.key" --tls-ca "$K/ca.pem" \
        "127.0.0.1:$3" auth
  done
done
