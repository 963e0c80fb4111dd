#!/bin/bash
# DHCP: full DORA exchanges per second at 0% loss, Ironbell against Kea (memfile) and dnsmasq
# holding the same 1,000 reservations, side by side in one run. Each server has a network
# namespace of its own, joined by a veth link to one client namespace where perfdhcp acts as a
# relay agent (giaddr = its end of the link). For each server and round, perfdhcp runs RUN_SECONDS
# at rising rates; a server's result is the highest rate it kept up with (achieved >= 97% of the
# asked rate) with no drop. Latency: perfdhcp's average and maximum at a fixed 500 exchanges/s.
# Reports medians of ROUNDS rounds (default 3).
#   sudo bench/dhcp.sh [rounds]
# Needs root, the distribution built, perfdhcp and kea-dhcp4 (kea-admin, kea-dhcp4-server) and dnsmasq.
set -e
rounds=${1:-3}
secs=${RUN_SECONDS:-5}
machines=1000
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
hport=18821
cli=ibbc$$
names=(ironbell kea dnsmasq)
cleanup() {
  for p in "$work"/*.pid; do [ -f "$p" ] && kill "$(cat "$p")" 2>/dev/null; done
  sleep 1
  for i in 1 2 3; do ip netns del "ibbs$$-$i" 2>/dev/null || true; done
  ip netns del "$cli" 2>/dev/null || true
  [ -n "$KEEP" ] && echo "kept $work" || rm -rf "$work"
}
trap cleanup EXIT

ip netns add "$cli"
ip -n "$cli" link set lo up
for i in 1 2 3; do
  ns=ibbs$$-$i
  ip netns add "$ns"
  ip -n "$ns" link set lo up
  ip link add "b$$s$i" type veth peer name "b$$c$i"
  ip link set "b$$s$i" netns "$ns"
  ip link set "b$$c$i" netns "$cli"
  ip -n "$ns" addr add "10.88.$i.1/24" dev "b$$s$i"
  ip -n "$ns" link set "b$$s$i" up
  ip -n "$cli" addr add "10.88.$i.2/24" dev "b$$c$i"
  ip -n "$cli" link set "b$$c$i" up
done

# the same machines for every server: MAC n gets host n of the server's subnet
mac() { printf '52:54:00:bb:%02x:%02x\n' $(($1 / 256)) $(($1 % 256)); }
: >"$work/macs"
for n in $(seq 0 $((machines - 1))); do mac "$n" >>"$work/macs"; done

# Ironbell, in namespace 1 (addresses 10.88.1.x/16 by reservation)
cp -r "$root/distribution/target/ironbell" "$work/home"
rm -rf "$work/home/data/felix-cache"
# perfdhcp asks for each MAC faster than firmware ever does: the per-MAC limit off, so the server itself is measured
IRONBELL_HTTP_PORT=$hport IRONBELL_DHCP_RATE_PER_MAC=0 IRONBELL_DHCP_ENABLED=true IRONBELL_DHCP_INTERFACE="b$$s1" IRONBELL_LOG_LEVEL=WARN \
  ip netns exec "ibbs$$-1" "$work/home/bin/ironbell" server >"$work/ironbell.log" 2>&1 &
echo $! >"$work/ironbell.pid"
until ip netns exec "ibbs$$-1" curl -sf "http://127.0.0.1:$hport/readyz" >/dev/null 2>&1; do sleep 0.3; done
token=$(cat "$work/home/data/api-token")
for n in $(seq 0 $((machines - 1))); do
  printf '{"id":"m%d","network":{"interfaces":[{"dhcp":{"mac":"%s","ip":{"address":"10.88.%d.%d","netmask":"255.255.0.0","gateway":"10.88.1.1"},"name_servers":["10.88.1.1"],"lease_time":86400},"netboot":{"allow_pxe":true}}]}}\n' \
    "$n" "$(mac "$n")" $((100 + n / 250)) $((n % 250 + 1))
done >"$work/hardware.jsonl"
while read -r hw; do
  ip netns exec "ibbs$$-1" curl -sf -o /dev/null -H "Authorization: Bearer $token" -X POST "http://127.0.0.1:$hport/api/v1/hardware" -d "$hw"
done <"$work/hardware.jsonl"

# Kea, in namespace 2: memfile leases (persisted), the same reservations
{
  printf '{"Dhcp4":{"interfaces-config":{"interfaces":["b%ss2"],"dhcp-socket-type":"udp"},' "$$"
  printf '"lease-database":{"type":"memfile","persist":true,"name":"%s/kea-leases4.csv","lfc-interval":0},' "$work"
  printf '"valid-lifetime":86400,"subnet4":[{"id":1,"subnet":"10.88.0.0/16","relay":{"ip-addresses":["10.88.2.2"]},'
  printf '"option-data":[{"name":"routers","data":"10.88.2.1"},{"name":"domain-name-servers","data":"10.88.2.1"}],"reservations":['
  for n in $(seq 0 $((machines - 1))); do
    [ "$n" -gt 0 ] && printf ','
    printf '{"hw-address":"%s","ip-address":"10.88.%d.%d"}' "$(mac "$n")" $((100 + n / 250)) $((n % 250 + 1))
  done
  printf ']}],"loggers":[{"name":"kea-dhcp4","severity":"WARN","output_options":[{"output":"%s/kea.log"}]}]}}\n' "$work"
} >"$work/kea.json"
KEA_PIDFILE_DIR=$work KEA_LOCKFILE_DIR=$work ip netns exec "ibbs$$-2" kea-dhcp4 -c "$work/kea.json" >"$work/kea.out" 2>&1 &
echo $! >"$work/kea.pid"

# dnsmasq, in namespace 3: static range, the same reservations, a lease file
for n in $(seq 0 $((machines - 1))); do
  printf '%s,10.88.%d.%d\n' "$(mac "$n")" $((100 + n / 250)) $((n % 250 + 1))
done >"$work/dnsmasq.hosts"
ip netns exec "ibbs$$-3" dnsmasq --keep-in-foreground --port=0 --interface="b$$s3" --bind-interfaces \
  --dhcp-range=10.88.0.1,static,255.255.0.0,24h --quiet-dhcp --user=root --dhcp-hostsfile="$work/dnsmasq.hosts" --dhcp-leasefile="$work/dnsmasq.leases" \
  --dhcp-lease-max=100000 --dhcp-option=3,10.88.3.1 --dhcp-option=6,10.88.3.1 --pid-file= --log-facility="$work/dnsmasq.log" \
  >"$work/dnsmasq.out" 2>&1 &
echo $! >"$work/dnsmasq.pid"
sleep 2

# perf SERVER_INDEX RATE: prints "achieved drops avg_offer_ms max_offer_ms avg_ack_ms max_ack_ms",
# achieved being the completed DORA exchanges per second of the sending period
perf() {
  local out
  out=$(ip netns exec "$cli" perfdhcp -4 -l "10.88.$1.2" -M "$work/macs" -r "$2" -p "$secs" -W 1000000 "10.88.$1.1" 2>&1 || true)
  echo "$out" >>"$work/perfdhcp.log"
  echo "$out" | awk '
    /^received packets:/ {acks=$3}
    /^drops:/ {d+=$2}
    /^avg delay:/ {if (!a1) a1=$3; else a2=$3}
    /^max delay:/ {if (!m1) m1=$3; else m2=$3}
    END {printf "%.0f %d %s %s %s %s\n", acks / secs, d, a1, m1, a2, m2}' secs="$secs"
}

# best SERVER_INDEX: the highest rate kept up with at 0 drops
best() {
  local top=0 r res achieved drops
  for r in 250 500 1000 2000 3000 4000 5000 6000 7000 8000 10000 12000 16000; do
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

for i in 1 2 3; do perf "$i" 100 >/dev/null; done   # warm-up; Ironbell's JIT
for round in $(seq "$rounds"); do
  line="round $round:"
  for i in 1 2 3; do
    b=$(best "$i")
    l=$(perf "$i" 500)
    echo "$b $l" >>"$work/${names[$((i - 1))]}.results"
    line="$line ${names[$((i - 1))]} $b/s"
  done
  echo "$line"
done
median() { sort -n | awk '{v[NR]=$1} END {print v[int((NR+1)/2)]}'; }
iron=$(cut -d' ' -f1 "$work/ironbell.results" | median)
printf "%-9s %12s %8s %26s %26s\n" server "DORA/s@0%" "vs kea" "offer avg/max ms @500/s" "ack avg/max ms @500/s"
kea=$(cut -d' ' -f1 "$work/kea.results" | median)
for n in "${names[@]}"; do
  f="$work/$n.results"
  b=$(cut -d' ' -f1 "$f" | median)
  printf "%-9s %12s %8s %13s/%-12s %13s/%-12s\n" "$n" "$b" "$(awk -v a="$b" -v k="$kea" 'BEGIN {printf "%.0f%%", 100*a/k}')" \
    "$(cut -d' ' -f4 "$f" | median)" "$(cut -d' ' -f5 "$f" | median)" "$(cut -d' ' -f6 "$f" | median)" "$(cut -d' ' -f7 "$f" | median)"
done
echo "(Ironbell median $iron/s; perfdhcp runs of ${secs}s; full log: perfdhcp.log in the work directory while it runs)"
