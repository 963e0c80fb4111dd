#!/bin/sh
# A herd of workers against one server on its embedded PostgreSQL (fsync and synchronous commit on),
# plain HTTP, admin token (bench/jmh's WorkerLoad; each worker one keep-alive connection):
#   capacity     100 workers × 30 one-action workflows, no think time: workflows/s (× 2 = API calls/s)
#   sync-poll    1,000 workers × 3, every action exactly 5 s, all starting within 2 s, polling every 2 s
#   sync-long    the same with a long-polling next (next?wait=25)
#   jitter-long  1,000 workers × 3, actions 2.5–7.5 s, starts spread over 5 s, long poll
# RUNS rounds on a fresh server each; prints every run and the medians.
#   bench/herd.sh [runs]
# Needs the distribution and bench/jmh built (mvn install -DskipTests).
set -e
runs=${1:-3}
root=$(cd "$(dirname "$0")/.." && pwd)
jar=$root/bench/jmh/target/benchmarks.jar
dist=$root/distribution/target/ironbell
work=$(mktemp -d)
out=$work/results
pid=
trap '[ -n "$pid" ] && kill $pid 2>/dev/null; rm -rf "$work"' EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

i=0
while [ $i -lt "$runs" ]; do
  i=$((i + 1))
  home=$work/home; rm -rf "$home"; mkdir -p "$home"
  (cd "$dist" && tar cf - --exclude=./data/artifacts .) | (cd "$home" && tar xf -)
  http=$(free_port)
  # every simulated worker comes from 127.0.0.1: the per-address connection cap must let them in
  IRONBELL_HTTP_PORT=$http IRONBELL_HTTP_TLS=false IRONBELL_HTTP_MAX_CONNECTIONS_PER_ADDRESS=4096 \
    timeout 1800 "$home/bin/ironbell" server > "$work/server.log" 2>&1 &
  pid=$!
  n=0
  until curl -sf "http://127.0.0.1:$http/readyz" > /dev/null; do
    n=$((n + 1)); [ $n -lt 240 ] || { cat "$work/server.log"; exit 1; }; sleep 0.5
  done
  token=$(cat "$home/data/api-token")
  load() { timeout 600 java -cp "$jar" io.ironbell.bench.WorkerLoad "http://127.0.0.1:$http" "$token" "$@"; }
  load 200 1 1000 500 true > /dev/null                       # warm-up
  for model in capacity sync-poll sync-long jitter-long; do
    case $model in
      capacity) args="100 30 0 0 false" ;;
      sync-poll) args="1000 3 5000 2000 false" ;;
      sync-long) args="1000 3 5000 2000 false 25" ;;
      jitter-long) args="1000 3 5000 2000 true 25" ;;
    esac
    load $args > "$work/run" 2>&1 || { cat "$work/run"; exit 1; }
    grep -E '^[0-9]+ workers|next-action|report:' "$work/run" | sed "s/^/$model run $i: /" | tee -a "$out"
  done
  kill $pid; wait $pid 2>/dev/null || true; pid=
done
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
echo "median capacity: $(grep '^capacity run .*completed' "$out" | sed 's/.*(\([0-9]*\) workflows\/s).*/\1/' | median) workflows/s"
for model in sync-poll sync-long jitter-long; do
  for what in next-action report; do
    for q in p50 p99; do
      echo "median $model $what $q: $(grep "^$model run .*: $what" "$out" | sed "s/.* $q \([0-9.]*\) ms.*/\1/" | median) ms"
    done
  done
done
