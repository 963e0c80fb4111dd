#!/bin/bash
# A boot storm: CLIENTS new machines (default 1,000) powered on at once, each a full DORA with a
# pool address, sent within one second (perfdhcp at CLIENTS/s, each MAC once, from a file), for
# Ironbell alone (embedded PostgreSQL), two Ironbell servers sharing the test PostgreSQL (half the
# machines relayed to each, at once), and Kea (memfile) with the same pool, side by side in one
# run. Per round, new MACs; per server, how many were answered, and the slowest DISCOVER->OFFER
# and REQUEST->ACK. Goal: every machine answered, each exchange within 1 s.
# Then a sustained load, the same three set-ups: perfdhcp at each of RATES (DORA/s, default
# 4000 6000 8000 10000) for SECS seconds (10), 16,000 returning clients (two servers: 8,000 each,
# at half the rate each, at once): ACKs/s achieved and drops.
#   sudo bench/dhcp-storm.sh [rounds]
# Needs root, the distribution built, perfdhcp, kea-dhcp4 and the test PostgreSQL (.ci/pg start).
set -e
rounds=${1:-3}
clients=${CLIENTS:-1000}
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
cli=ibsc$$
pg=${PG_URL:-jdbc:postgresql://127.0.0.1:55432}
cleanup() {
  for p in "$work"/*.pid; do [ -f "$p" ] && kill "$(cat "$p")" 2>/dev/null; done
  sleep 2
  for i in 1 3; do ip netns del "ibss$$-$i" 2>/dev/null || true; done
  ip link del "s$$s2" 2>/dev/null || true
  ip netns del "$cli" 2>/dev/null || true
  psql -h 127.0.0.1 -p 55432 -U ironbell -d postgres -qc "DROP DATABASE IF EXISTS storm$$ WITH (FORCE)" 2>/dev/null || true
  [ -n "$KEEP" ] && echo "kept $work" || rm -rf "$work"
}
trap cleanup EXIT
psql -h 127.0.0.1 -p 55432 -U ironbell -d postgres -qc "CREATE DATABASE storm$$" || { echo "no test PostgreSQL: .ci/pg start" >&2; exit 1; }

# namespaces: 1 Ironbell alone, 3 Kea; the two Ironbell servers in this one, where the test PostgreSQL
# is (link 2); perfdhcp relays from the client namespace
ip netns add "$cli"
ip -n "$cli" link set lo up
for i in 1 2 3; do
  ip link add "s$$s$i" type veth peer name "s$$c$i"
  ip link set "s$$c$i" netns "$cli"
  ip -n "$cli" addr add "10.86.$i.2/24" dev "s$$c$i"
  ip -n "$cli" link set "s$$c$i" up
  if [ $i = 2 ]; then
    ip addr add 10.86.2.1/24 dev "s$$s2"
    ip addr add 10.86.2.3/24 dev "s$$s2"
    ip link set "s$$s2" up
    ip -n "$cli" addr add 10.86.2.4/24 dev "s$$c2"
    continue
  fi
  ns=ibss$$-$i
  ip netns add "$ns"
  ip -n "$ns" link set lo up
  ip link set "s$$s$i" netns "$ns"
  ip -n "$ns" addr add "10.86.$i.1/24" dev "s$$s$i"
  ip -n "$ns" link set "s$$s$i" up
done

pool="subnet=10.86.0.0/16 range=10.86.100.1-10.86.199.254 lease=86400"
start_ironbell() { # NAME NS ADDRESS PORT RELAYS [JDBC]
  cp -r "$root/distribution/target/ironbell" "$work/$1"
  rm -rf "$work/$1/data/felix-cache" "$work/$1/data/postgres"
  env IRONBELL_HTTP_PORT="$4" IRONBELL_HTTP_TLS_PORT=$(($4 + 1)) IRONBELL_DHCP_RATE_PER_MAC=0 IRONBELL_DHCP_ENABLED=true \
    IRONBELL_DHCP_LISTEN="$3" IRONBELL_SERVER_ADDRESS="$3" IRONBELL_LOG_LEVEL=WARN IRONBELL_DHCP_PROBE_MILLIS=0 IRONBELL_SERVER_INSTANCE="$1" \
    IRONBELL_DHCP_POOLS="name=storm $pool router=10.86.1.1 relays=$5" ${6:+IRONBELL_STORAGE_JDBC_URL=$6/storm$$ IRONBELL_STORAGE_USER=ironbell} \
    ${2:+ip netns exec "$2"} "$work/$1/bin/ironbell" server >"$work/$1.log" 2>&1 &
  echo $! >"$work/$1.pid"
}
start_ironbell alone "ibss$$-1" 10.86.1.1 18851 10.86.1.2
start_ironbell a "" 10.86.2.1 18861 10.86.2.2,10.86.2.4 "$pg"
start_ironbell b "" 10.86.2.3 18871 10.86.2.2,10.86.2.4 "$pg"
for s in "ip netns exec ibss$$-1:18851" ":18861" ":18871"; do
  until ${s%%:*} curl -sf "http://127.0.0.1:${s##*:}/metrics" 2>/dev/null | grep -q 'ironbell_dhcp_pool_addresses{pool="storm"}'; do
    sleep 0.5
  done
done
cat >"$work/kea.json" <<KEA
{"Dhcp4":{"interfaces-config":{"interfaces":["s$$s3"],"dhcp-socket-type":"udp"},
 "lease-database":{"type":"memfile","persist":true,"name":"$work/kea-leases4.csv","lfc-interval":0},
 "valid-lifetime":86400,
 "subnet4":[{"id":1,"subnet":"10.86.0.0/16","relay":{"ip-addresses":["10.86.3.2"]},"pools":[{"pool":"10.86.100.1 - 10.86.199.254"}],
   "option-data":[{"name":"routers","data":"10.86.3.1"}]}],
 "loggers":[{"name":"kea-dhcp4","severity":"WARN","output_options":[{"output":"$work/kea.log"}]}]}}
KEA
KEA_PIDFILE_DIR=$work KEA_LOCKFILE_DIR=$work ip netns exec "ibss$$-3" kea-dhcp4 -c "$work/kea.json" >"$work/kea.out" 2>&1 &
echo $! >"$work/kea.pid"
sleep 2

# storm RELAY SERVER MACFILE: prints "answered offer_max_ms ack_max_ms"
storm() {
  local n out
  n=$(wc -l <"$3")
  out=$(ip netns exec "$cli" timeout 30 perfdhcp -4 -l "$1" -M "$3" -n "$n" -r "$n" -W 2000000 "$2" 2>&1 || true)
  echo "$out" >>"$work/perfdhcp.log"
  echo "$out" | awk '
    /^received packets:/ {r[++k]=$3}
    /^max delay:/ {m[++j]=$3}
    END {printf "%d %s %s\n", r[2], m[1], m[2]}'
}
macs() { # FILE PREFIX COUNT
  awk -v p="$2" -v n="$3" 'BEGIN {for (i = 0; i < n; i++) printf "%s:%02x:%02x\n", p, int(i / 256), i % 256}' >"$1"
}
# warm-up, the same for all: the JIT compiles the pool path (a server in production runs warm)
macs "$work/warm" 02:00:00:ff 2000
for t in "10.86.1.2 10.86.1.1" "10.86.2.2 10.86.2.1" "10.86.2.4 10.86.2.3" "10.86.3.2 10.86.3.1"; do
  set -- $t
  ip netns exec "$cli" timeout 60 perfdhcp -4 -l "$1" -M "$work/warm" -n 10000 -r 500 -W 1000000 "$2" >/dev/null 2>&1 || true
done
for round in $(seq "$rounds"); do
  macs "$work/m1" "02:00:$(printf %02x "$round"):01" "$clients"
  macs "$work/m2a" "02:00:$(printf %02x "$round"):02" $((clients / 2))
  macs "$work/m2b" "02:00:$(printf %02x "$round"):03" $((clients / 2))
  macs "$work/m3" "02:00:$(printf %02x "$round"):04" "$clients"
  one=$(storm 10.86.1.2 10.86.1.1 "$work/m1")
  storm 10.86.2.2 10.86.2.1 "$work/m2a" >"$work/two-a" &
  half=$!
  storm 10.86.2.4 10.86.2.3 "$work/m2b" >"$work/two-b"
  wait "$half"
  two=$(paste -d' ' "$work/two-a" "$work/two-b" | awk '{printf "%d %s %s\n", $1 + $4, ($2 > $5 ? $2 : $5), ($3 > $6 ? $3 : $6)}')
  kea=$(storm 10.86.3.2 10.86.3.1 "$work/m3")
  echo "round $round (answered, slowest OFFER ms, slowest ACK ms): ironbell $one | two ironbells $two | kea $kea"
  echo "$one $two $kea" >>"$work/rounds"
done
# sustained RELAY SERVER RATE CLIENTS MACBASE: prints "acks_per_s drops"
secs=${SECS:-10}
sustained() {
  local out
  out=$(ip netns exec "$cli" timeout $((secs + 30)) perfdhcp -4 -l "$1" -R "$4" -b "mac=$5" -r "$3" -p "$secs" -W 1000000 "$2" 2>&1 || true)
  echo "$out" >>"$work/perfdhcp.log"
  echo "$out" | awk '/^received packets:/ {acks=$3} /^drops:/ {d+=$2} END {printf "%.0f %d\n", acks / secs, d}' secs="$secs"
}
for rate in ${RATES:-4000 6000 8000 10000}; do
  one=$(sustained 10.86.1.2 10.86.1.1 "$rate" 16000 02:10:00:00:00:00)
  sustained 10.86.2.2 10.86.2.1 $((rate / 2)) 8000 02:20:00:00:00:00 >"$work/sus-a" &
  half=$!
  sustained 10.86.2.4 10.86.2.3 $((rate / 2)) 8000 02:30:00:00:00:00 >"$work/sus-b"
  wait "$half"
  two=$(paste -d' ' "$work/sus-a" "$work/sus-b" | awk '{printf "%d %d\n", $1 + $3, $2 + $4}')
  kea=$(sustained 10.86.3.2 10.86.3.1 "$rate" 16000 02:40:00:00:00:00)
  echo "sustained $rate DORA/s for $secs s (ACKs/s, drops): ironbell $one | two ironbells $two | kea $kea" | tee -a "$work/sustained"
done

echo "$clients machines at once, $rounds rounds:"
printf "%-14s %-24s %-28s %-28s\n" server answered "slowest OFFER ms" "slowest ACK ms"
for k in 1:ironbell 4:two-ironbells 7:kea; do
  awk -v c="${k%%:*}" -v name="${k#*:}" '
    {a = a " " $(c); o = o " " $(c + 1); q = q " " $(c + 2)}
    END {printf "%-14s %-24s %-28s %-28s\n", name, a, o, q}' "$work/rounds"
done
echo "sustained load:"
cat "$work/sustained"
