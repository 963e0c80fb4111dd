#!/bin/bash
# BMC jobs and power polling against N simulated BMCs (OpenIPMI's ipmi_sim on loopback, each with
# its chassis in files), side by side with the reference: the same power cycles done by ipmitool
# itself, N at once in a shell loop (xargs -P). RUNS runs, alternating; prints every run and the medians.
#   bench/bmc.sh [runs] [bmcs] [job threads]
# Needs openipmi, ipmitool, curl, python3 and the built distribution (distribution/target/ironbell).
set -euo pipefail
runs=${1:-3}; n=${2:-200}; threads=${3:-16}
root=$(cd "$(dirname "$0")/.." && pwd)
dist=$root/distribution/target/ironbell
work=$(mktemp -d /tmp/bench-bmc.XXXXXX)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; pkill -f "$work" 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
command -v ipmi_sim >/dev/null && command -v ipmitool >/dev/null || { echo "bench/bmc.sh: apt-get install openipmi ipmitool" >&2; exit 1; }

cat > "$work/chassis.sh" <<'SH'
#!/bin/sh
d=$1; shift
case "$1 $2" in
  "get power") echo "power:$(cat $d/power 2>/dev/null || echo 0)";;
  "get boot") echo "boot:$(cat $d/boot 2>/dev/null || echo default)";;
  "set power") echo $3 > $d/power;;
  "set boot") echo $3 > $d/boot;;
  "set shutdown") echo 0 > $d/power;;
esac
SH
chmod +x "$work/chassis.sh"
base=24000
for i in $(seq 1 "$n"); do
  d=$work/bmc$i; mkdir -p "$d/chassis" "$d/state"
  port=$((base + i))
  cat > "$d/lan.conf" <<CONF
name "bmc$i"
set_working_mc 0x20
  startlan 1
    addr 127.0.0.1 $port
    priv_limit admin
    allowed_auths_callback md5
    allowed_auths_user md5
    allowed_auths_operator md5
    allowed_auths_admin md5
    guid $(printf '%032x' $((port * 7919)))
  endlan
  chassis_control "$work/chassis.sh $d/chassis"
  user 2 true "admin" "bench-pw" admin 10 md5
CONF
  printf 'mc_setbmc 0x20\nmc_add 0x20 0 no-device-sdrs 0x23 9 8 0x9f 0x1291 0xf02\nmc_enable 0x20\n' > "$d/sim.emu"
  ipmi_sim -c "$d/lan.conf" -f "$d/sim.emu" -s "$d/state" -n > "$d/sim.log" 2>&1 &
  pids+=($!)
done
sleep 2
echo "bench/bmc.sh: $n ipmi_sim BMCs on 127.0.0.1:$((base + 1))-$((base + n))"

# the server, on its embedded database, polling every machine every 10 s
cp -r "$dist" "$work/server"
IRONBELL_HTTP_PORT=18180 IRONBELL_HTTP_TLS_PORT=18543 IRONBELL_BMC_JOB_THREADS=$threads IRONBELL_BMC_POWER_POLL_SECONDS=10 \
  IRONBELL_BMC_POWER_POLL_CONCURRENCY=8 "$work/server/bin/ironbell" server > "$work/server.log" 2>&1 &
server=$!; pids+=($server)
for _ in $(seq 1 120); do curl -sf http://127.0.0.1:18180/readyz >/dev/null 2>&1 && break; sleep 1; done
token=$(cat "$work/server/data/api-token")
api() { curl -sfk -H "Authorization: Bearer $token" -H 'Content-Type: application/json' "$@"; }
for i in $(seq 1 "$n"); do
  api -X POST https://127.0.0.1:18543/api/v1/bmc/machines \
    -d "{\"name\":\"m$i\",\"host\":\"127.0.0.1\",\"port\":$((base + i)),\"driver\":\"ipmi\",\"username\":\"admin\",\"password\":\"bench-pw\"}" >/dev/null
done
echo "bench/bmc.sh: $n machines created"

cpu() { awk '{print $14 + $15}' "/proc/$server/stat"; }   # utime + stime of the server, in clock ticks
hz=$(getconf CLK_TCK)
polls() { curl -sf http://127.0.0.1:18180/metrics | awk '/^ironbell_bmc_power_polls_total\{outcome="ok"\}/ {print $2}'; }

out=$work/results
for run in $(seq 1 "$runs"); do
  # 1. the poller alone for 30 s: polls per second and the server's CPU
  p0=$(polls); c0=$(cpu); sleep 30; p1=$(polls); c1=$(cpu)
  echo "run=$run poll_per_s=$(awk -v a="$p0" -v b="$p1" 'BEGIN {printf "%.1f", (b - a) / 30}') \
server_cpu_percent=$(awk -v a="$c0" -v b="$c1" -v hz="$hz" 'BEGIN {printf "%.1f", (b - a) / hz / 30 * 100}')" | tee -a "$out"
  # 2. Ironbell: one power cycle job (off, on) per machine, all created at once; until every one ended
  t0=$(date +%s.%N); c0=$(cpu)
  posts=()
  for i in $(seq 1 "$n"); do
    api -X POST https://127.0.0.1:18543/api/v1/bmc/jobs \
      -d "{\"name\":\"r$run-m$i\",\"machine\":\"m$i\",\"tasks\":[{\"powerAction\":\"off\"},{\"powerAction\":\"on\"}]}" >/dev/null &
    posts+=($!)
    if [ $((i % 50)) -eq 0 ]; then wait "${posts[@]}"; posts=(); fi
  done
  [ ${#posts[@]} -eq 0 ] || wait "${posts[@]}"
  while true; do
    left=$(api "https://127.0.0.1:18543/api/v1/bmc/jobs?limit=1000" | python3 -c "
import json,sys; j=json.load(sys.stdin)['items']; print(sum(1 for x in j if x['id'].startswith('r$run-') and x['state'] in ('PENDING','RUNNING')))")
    [ "$left" = 0 ] && break
    sleep 0.2
  done
  t1=$(date +%s.%N); c1=$(cpu)
  failed=$(api "https://127.0.0.1:18543/api/v1/bmc/jobs?limit=1000" | python3 -c "
import json,sys; j=json.load(sys.stdin)['items']; print(sum(1 for x in j if x['id'].startswith('r$run-') and x['state'] == 'FAILED'))")
  echo "run=$run ironbell_jobs=$n seconds=$(awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.2f", b - a}') \
jobs_per_s=$(awk -v a="$t0" -v b="$t1" -v n="$n" 'BEGIN {printf "%.1f", n / (b - a)}') failed=$failed \
server_cpu_s=$(awk -v a="$c0" -v b="$c1" -v hz="$hz" 'BEGIN {printf "%.1f", (b - a) / hz}')" | tee -a "$out"
  # 3. the reference: ipmitool itself, $threads at once, the same off-then-on per machine (status, off, status, on, status)
  t0=$(date +%s.%N)
  seq 1 "$n" | xargs -P "$threads" -I{} sh -c 'p=$(('"$base"' + {})); for a in status off status on status; do
    IPMI_PASSWORD=bench-pw ipmitool -I lanplus -H 127.0.0.1 -p $p -U admin -E -C 3 -N 1 -R 2 chassis power $a >/dev/null || exit 1; done'
  t1=$(date +%s.%N)
  echo "run=$run ipmitool_cycles=$n seconds=$(awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.2f", b - a}') \
cycles_per_s=$(awk -v a="$t0" -v b="$t1" -v n="$n" 'BEGIN {printf "%.1f", n / (b - a)}')" | tee -a "$out"
done
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
echo "median poll/s: $(grep -o 'poll_per_s=[0-9.]*' "$out" | cut -d= -f2 | median), server CPU while polling: $(grep -o 'server_cpu_percent=[0-9.]*' "$out" | cut -d= -f2 | median) %"
echo "median Ironbell power-cycle jobs/s: $(grep -o 'jobs_per_s=[0-9.]*' "$out" | cut -d= -f2 | median) ($n BMCs, bmc.jobThreads=$threads)"
echo "median ipmitool power cycles/s: $(grep -o 'cycles_per_s=[0-9.]*' "$out" | cut -d= -f2 | median) (xargs -P $threads)"
