#!/usr/bin/env bash
# Server CPU per completed 802.1X authentication, FreeRADIUS 3.2 vs
# `radius serve`, in one run on loopback: the same certificates, the same
# sequential batch of eapol_test runs, each server's CPU read from
# /proc/PID/stat before and after. Prints ms of server CPU per
# authentication and the ratio.
# Needs: apt-get install freeradius eapoltest openssl, and the launcher
# $ANCHORS/freeradius-eap.sh (default ../shared/anchors; not part of this
# repository): PORT=p CERTS=dir TLS_MAX=v starts FreeRADIUS as an EAP
# server (PEAP, TTLS, EAP-TLS; bob / hello; secret testing123) and prints
# its PID.
# Usage: scripts/side-by-side-eap.sh   (env: N=50 KEY=rsa|ec TLS=1.2|1.3)
set -euo pipefail
cd "$(dirname "$0")/.."
N=${N:-50}; KEY=${KEY:-rsa}; TLS=${TLS:-1.2}
ANCHORS=${ANCHORS:-../shared/anchors}
cargo build --release -q -p radius-cli
B=$PWD/target/release/radius
W=$(mktemp -d); chmod 755 "$W"
pids=()
cleanup() { kill "${pids[@]}" 2>/dev/null || true; rm -rf "$W"; }
trap cleanup EXIT

# Certificates: RSA-2048 (what most deployments use) or ECDSA P-256.
C=$W/certs; mkdir -p "$C"
if [ "$KEY" = ec ]; then newkey=(-newkey ec -pkeyopt ec_paramgen_curve:prime256v1); else newkey=(-newkey rsa:2048); fi
openssl req -x509 "${newkey[@]}" -nodes -keyout "$C/ca.key" -out "$C/ca.pem" -days 2 \
  -subj "/CN=bench CA" -addext "basicConstraints=critical,CA:TRUE" 2>/dev/null
for n in server client; do
  openssl req "${newkey[@]}" -nodes -keyout "$C/$n.key" -out "$C/$n.csr" -subj "/CN=$n" 2>/dev/null
  eku=serverAuth; [ $n = client ] && eku=clientAuth
  printf "basicConstraints=CA:FALSE\nextendedKeyUsage=%s\n" $eku > "$C/$n.ext"
  openssl x509 -req -in "$C/$n.csr" -CA "$C/ca.pem" -CAkey "$C/ca.key" -CAcreateserial \
    -out "$C/$n.pem" -days 2 -extfile "$C/$n.ext" 2>/dev/null
done
chmod 644 "$C"/*

FR=$(PORT=28160 CERTS="$C" TLS_MAX="$TLS" D="$W/fr" bash "$ANCHORS/freeradius-eap.sh"); pids+=("$FR")
cat > "$W/ours.toml" <<TOML
[server]
accounting_db = "$W/acct.db"
[[client]]
address = "127.0.0.0/8"
secret = "testing123"
[[user]]
name = "bob"
password = "hello"
[eap]
certificate = "$C/server.pem"
private_key = "$C/server.key"
ca = "$C/ca.pem"
tls_max_version = "$TLS"
TOML
RUST_LOG=warn $B serve -c "$W/ours.toml" --auth 127.0.0.1:28170 --acct 127.0.0.1:28171 \
  --coa 127.0.0.1:28172 2>"$W/ours.log" &
OURS=$!; pids+=("$OURS")
sleep 3

v13=1; [ "$TLS" = 1.3 ] && v13=0
cat > "$W/peap.conf" <<CONF
network={
  key_mgmt=WPA-EAP
  eap=PEAP
  identity="bob"
  password="hello"
  ca_cert="$C/ca.pem"
  phase1="peapver=0 tls_disable_tlsv1_3=$v13"
  phase2="auth=MSCHAPV2"
}
CONF
cat > "$W/tls.conf" <<CONF
network={
  key_mgmt=WPA-EAP
  eap=TLS
  identity="bob"
  ca_cert="$C/ca.pem"
  client_cert="$C/client.pem"
  private_key="$C/client.key"
  phase1="tls_disable_tlsv1_3=$v13"
}
CONF
cpu() { awk '{print $14 + $15}' "/proc/$1/stat"; }
hz=$(getconf CLK_TCK)
for method in peap tls; do
  for s in "freeradius $FR 28160" "typed-radius $OURS 28170"; do
    set -- $s
    before=$(cpu "$2"); ok=0
    for _ in $(seq "$N"); do
      if eapol_test -t 10 -a 127.0.0.1 -p "$3" -s testing123 -c "$W/$method.conf" >/dev/null 2>&1; then
        ok=$((ok + 1))
      fi
    done
    after=$(cpu "$2")
    ms=$(awk -v d=$((after - before)) -v hz="$hz" -v n="$N" 'BEGIN { printf "%.2f", d * 1000 / hz / n }')
    echo "$method TLS $TLS $KEY $1: $ok/$N succeeded, $ms ms server CPU per authentication"
    eval "ms_${method}_${1//-/_}=$ms"
  done
  fr=$(eval echo "\$ms_${method}_freeradius"); us=$(eval echo "\$ms_${method}_typed_radius")
  awk -v a="$fr" -v b="$us" -v m="$method" 'BEGIN { if (b > 0) printf "%s: FreeRADIUS / typed-radius = %.2fx\n", m, a / b }'
done
