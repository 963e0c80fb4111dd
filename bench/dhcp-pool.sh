#!/bin/bash
# DHCP with address pools: full DORA exchanges per second at 0% loss, Ironbell (leases in its
# embedded PostgreSQL, fsync on, every lease committed before its ACK) against Kea (memfile
# leases, persisted) with the same pool, side by side in one run. Each server has a network
# namespace of its own, joined by a veth link to one client namespace where perfdhcp acts as a
# relay agent. perfdhcp draws its clients at random among CLIENTS MACs (default 20,000), so most
# exchanges are new clients and some come back for their address. For each server and round,
# perfdhcp runs RUN_SECONDS at rising rates; a server's result is the highest rate it kept up with
# (achieved >= 97% of the asked rate) with no drop. Reports medians of ROUNDS rounds (default 3).
#   sudo bench/dhcp-pool.sh [rounds]
# Needs root, the distribution built, perfdhcp and kea-dhcp4.
set -e
rounds=${1:-3}
secs=${RUN_SECONDS:-5}
clients=${CLIENTS:-20000}
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
hport=18831
cli=ibpc$$
names=(ironbell kea)
cleanup() {
  for p in "$work"/*.pid; do [ -f "$p" ] && kill "$(cat "$p")" 2>/dev/null; done
  sleep 1
  for i in 1 2; do ip netns del "ibps$$-$i" 2>/dev/null || true; done
  ip netns del "$cli" 2>/dev/null || true
  [ -n "$KEEP" ] && echo "kept $work" || rm -rf "$work"
}
trap cleanup EXIT

ip netns add "$cli"
ip -n "$cli" link set lo up
for i in 1 2; do
  ns=ibps$$-$i
  ip netns add "$ns"
  ip -n "$ns" link set lo up
  ip link add "p$$s$i" type veth peer name "p$$c$i"
  ip link set "p$$s$i" netns "$ns"
  ip link set "p$$c$i" netns "$cli"
  ip -n "$ns" addr add "10.89.$i.1/24" dev "p$$s$i"
  ip -n "$ns" link set "p$$s$i" up
  ip -n "$cli" addr add "10.89.$i.2/24" dev "p$$c$i"
  ip -n "$cli" link set "p$$c$i" up
done

# Ironbell, in namespace 1: one pool of 25,400 addresses, relayed by perfdhcp's 10.89.1.2
cp -r "$root/distribution/target/ironbell" "$work/home"
rm -rf "$work/home/data/felix-cache" "$work/home/data/postgres"
IRONBELL_HTTP_PORT=$hport IRONBELL_DHCP_RATE_PER_MAC=0 IRONBELL_DHCP_ENABLED=true IRONBELL_DHCP_INTERFACE="p$$s1" IRONBELL_LOG_LEVEL=WARN \
  IRONBELL_DHCP_PROBE_MILLIS=0 \
  IRONBELL_DHCP_POOLS="name=bench subnet=10.89.0.0/16 range=10.89.100.1-10.89.199.254 router=10.89.1.1 dns=10.89.1.1 lease=86400 relays=10.89.1.2" \
  ip netns exec "ibps$$-1" "$work/home/bin/ironbell" server >"$work/ironbell.log" 2>&1 &
echo $! >"$work/ironbell.pid"
until ip netns exec "ibps$$-1" curl -sf "http://127.0.0.1:$hport/metrics" 2>/dev/null | grep -q 'ironbell_dhcp_pool_addresses{pool="bench"}'; do sleep 0.5; done

# Kea, in namespace 2: memfile leases (persisted), the same pool
cat >"$work/kea.json" <<KEA
{"Dhcp4":{"interfaces-config":{"interfaces":["p$$s2"],"dhcp-socket-type":"udp"},
 "lease-database":{"type":"memfile","persist":true,"name":"$work/kea-leases4.csv","lfc-interval":0},
 "valid-lifetime":86400,
 "subnet4":[{"id":1,"subnet":"10.89.0.0/16","relay":{"ip-addresses":["10.89.2.2"]},"pools":[{"pool":"10.89.100.1 - 10.89.199.254"}],
   "option-data":[{"name":"routers","data":"10.89.2.1"},{"name":"domain-name-servers","data":"10.89.2.1"}]}],
 "loggers":[{"name":"kea-dhcp4","severity":"WARN","output_options":[{"output":"$work/kea.log"}]}]}}
KEA
KEA_PIDFILE_DIR=$work KEA_LOCKFILE_DIR=$work ip netns exec "ibps$$-2" kea-dhcp4 -c "$work/kea.json" >"$work/kea.out" 2>&1 &
echo $! >"$work/kea.pid"
sleep 2

# perf SERVER_INDEX RATE: prints "achieved drops avg_offer_ms max_offer_ms avg_ack_ms max_ack_ms"
perf() {
  local out
  out=$(ip netns exec "$cli" timeout $((secs + 20)) perfdhcp -4 -l "10.89.$1.2" -R "$clients" -r "$2" -p "$secs" -W 1000000 "10.89.$1.1" 2>&1 || true)
  echo "$out" >>"$work/perfdhcp.log"
  echo "$out" | awk '
    /^received packets:/ {acks=$3}
    /^drops:/ {d+=$2}
    /^avg delay:/ {if (!a1) a1=$3; else a2=$3}
    /^max delay:/ {if (!m1) m1=$3; else m2=$3}
    END {printf "%.0f %d %s %s %s %s\n", acks / secs, d, a1, m1, a2, m2}' secs="$secs"
}

best() {
  local top=0 r res achieved drops
  for r in 100 200 300 400 600 800 1000 1500 2000 3000 4000 5000 6000 7000 8000 9000 10000 12000; do
    res=$(perf "$1" "$r")
    achieved=${res%% *}
    drops=$(echo "$res" | cut -d' ' -f2)
    if [ "$drops" = 0 ] && awk -v a="$achieved" -v r="$r" 'BEGIN {exit !(a >= 0.97 * r)}'; then
      top=$achieved
    else
      break
    fi
  done
  echo "$top"
}

# warm-up, the same for both: 20 s at 500/s, so that Ironbell's JIT has compiled the pool path (a
# server in production runs warm; measured cold it loses half its rate to the compiler)
for i in 1 2; do secs=20 perf "$i" 500 >/dev/null; done
for round in $(seq "$rounds"); do
  line="round $round:"
  for i in 1 2; do
    b=$(best "$i")
    l=$(perf "$i" 100)
    echo "$b $l" >>"$work/${names[$((i - 1))]}.results"
    line="$line ${names[$((i - 1))]} $b/s"
  done
  echo "$line"
done
median() { sort -n | awk '{v[NR]=$1} END {print v[int((NR+1)/2)]}'; }
kea=$(cut -d' ' -f1 "$work/kea.results" | median)
printf "%-9s %12s %8s %26s %26s\n" server "DORA/s@0%" "vs kea" "offer avg/max ms @100/s" "ack avg/max ms @100/s"
for n in "${names[@]}"; do
  f="$work/$n.results"
  b=$(cut -d' ' -f1 "$f" | median)
  printf "%-9s %12s %8s %13s/%-12s %13s/%-12s\n" "$n" "$b" "$(awk -v a="$b" -v k="$kea" 'BEGIN {printf "%.0f%%", 100*a/k}')" \
    "$(cut -d' ' -f4 "$f" | median)" "$(cut -d' ' -f5 "$f" | median)" "$(cut -d' ' -f6 "$f" | median)" "$(cut -d' ' -f7 "$f" | median)"
done
echo "leases held by Ironbell's pool: $(ip netns exec "ibps$$-1" curl -s "http://127.0.0.1:$hport/metrics" | grep -E '^ironbell_dhcp_pool_replies_total\{type="ack"\}')"
