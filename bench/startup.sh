#!/bin/sh
# Time from `bin/ironbell server` to the first 200 from /healthz, and from SIGTERM to exit,
# over N runs of the unpacked distribution (default 5): a first start on a fresh copy (the
# embedded PostgreSQL runs initdb) and a second start on the same data. Prints the medians.
#   bench/startup.sh [runs]
set -e
runs=${1:-5}
root=$(cd "$(dirname "$0")/.." && pwd)
dist=$root/distribution/target/ironbell
[ -x "$dist/bin/ironbell" ] || { echo "build first: mvn install -DskipTests" >&2; exit 1; }
port=18790
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
now_ms() { date +%s%3N; }
i=0
while [ $i -lt "$runs" ]; do
  i=$((i + 1))
  rm -rf "$work/home" && cp -r "$dist" "$work/home" && rm -rf "$work/home/data/felix-cache"
  for start_kind in first second; do
    start=$(now_ms)
    IRONBELL_HTTP_PORT=$port "$work/home/bin/ironbell" server >"$work/out.log" 2>&1 &
    pid=$!
    until curl -sf "http://127.0.0.1:$port/healthz" >/dev/null 2>&1; do
      kill -0 $pid 2>/dev/null || { cat "$work/out.log"; exit 1; }
      sleep 0.02
    done
    up=$(( $(now_ms) - start ))
    rss=$(awk '/VmRSS/ {print $2}' /proc/$pid/status)
    t0=$(now_ms); kill -TERM $pid; wait $pid || true; down=$(( $(now_ms) - t0 ))
    echo "run $i ($start_kind start): healthy after ${up} ms, RSS $((rss / 1024)) MiB, exit ${down} ms after SIGTERM"
    echo "$up $down $rss" >>"$work/$start_kind"
  done
done
median() { sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : int((a[NR/2] + a[NR/2+1]) / 2)}'; }
for k in first second; do
  echo "median of $runs ($k start): healthy after $(cut -d' ' -f1 "$work/$k" | median) ms," \
       "exit $(cut -d' ' -f2 "$work/$k" | median) ms after SIGTERM, RSS $(( $(cut -d' ' -f3 "$work/$k" | median) / 1024 )) MiB"
done
