#!/bin/sh
# The worker API over HTTPS against plain HTTP: next-action and report latency with WORKERS
# simulated workers (bench/jmh's WorkerLoad: each on one keep-alive connection, TLS verified
# against the server's own CA), RUNS rounds, each round one server with http.tls=true and one
# with http.tls=false, alternating, on their embedded PostgreSQL; prints every run and the medians.
#   bench/https.sh [runs] [workers]
# Needs the distribution and bench/jmh built (mvn install -DskipTests).
set -e
runs=${1:-3}; workers=${2:-1000}
root=$(cd "$(dirname "$0")/.." && pwd)
jar=$root/bench/jmh/target/benchmarks.jar
dist=$root/distribution/target/ironbell
work=$(mktemp -d)
out=$work/results
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null; rm -rf "$work"' EXIT
for mode in tls plain; do
  mkdir -p "$work/$mode"
  # everything but the in-memory OS, which this does not serve
  (cd "$dist" && tar cf - --exclude=./data/artifacts .) | (cd "$work/$mode" && tar xf -)
done
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

i=0
while [ $i -lt "$runs" ]; do
  i=$((i + 1))
  for mode in tls plain; do
    home=$work/$mode
    http=$(free_port); https=$(free_port)
    # every simulated worker comes from 127.0.0.1: the per-address connection cap must let them in
    IRONBELL_HTTP_PORT=$http IRONBELL_HTTP_TLS_PORT=$https IRONBELL_HTTP_TLS=$([ $mode = tls ] && echo true || echo false) \
      IRONBELL_HTTP_MAX_CONNECTIONS_PER_ADDRESS=4096 timeout 900 "$home/bin/ironbell" server > "$home/server.log" 2>&1 &
    pid=$!
    n=0
    until curl -sf "http://127.0.0.1:$http/readyz" > /dev/null; do
      n=$((n + 1)); [ $n -lt 240 ] || { cat "$home/server.log"; exit 1; }; sleep 0.5
    done
    if [ $mode = tls ]; then url=https://127.0.0.1:$https; else url=http://127.0.0.1:$http; fi
    token=$(cat "$home/data/api-token")
    ca=; [ $mode = tls ] && ca=-Dironbell.ca=$home/data/tls/ca.pem
    load() { timeout 600 java $ca -cp "$jar" io.ironbell.bench.WorkerLoad "$url" "$token" "$@"; }
    load 200 1 1000 500 true > /dev/null                       # warm-up
    load "$workers" 3 5000 2000 true > "$work/run" 2>&1 || { cat "$work/run"; exit 1; }
    sed "s/^/$mode run $i: /" "$work/run" | grep -E 'connect:|next-action|report:|errors' | tee -a "$out"
    kill $pid; wait $pid 2>/dev/null || true
  done
done
for mode in tls plain; do
  for what in connect next-action report; do
    for q in p50 p95 p99; do
      grep "^$mode run .*: $what" "$out" | sed "s/.* $q \([0-9.]*\) ms.*/\1/" | sort -n \
        | awk -v m=$mode -v w=$what -v q=$q '{a[NR]=$1} END {printf "median %s %s %s: %s ms\n", m, w, q, a[int((NR+1)/2)]}'
    done
  done
done
exit 0
