#!/bin/sh
# Action-claim throughput against PostgreSQL with one and with two store instances (two
# "servers" on one database), RUNS runs each, alternating; prints every run and the medians.
#   bench/claims.sh [runs] [threads] [workers] [workflows-per-worker]
# A machine runs one action at a time, so each worker has one due action per round: the
# default is 2,000 workers with one workflow each.
# Needs the test PostgreSQL (.ci/pg start) and bench/jmh built (mvn install -DskipTests).
set -e
runs=${1:-3}; threads=${2:-8}; workers=${3:-2000}; per=${4:-1}
root=$(cd "$(dirname "$0")/.." && pwd)
jar=$root/bench/jmh/target/benchmarks.jar
url=$("$root/.ci/pg" url)
out=$(mktemp)
i=0
while [ $i -lt "$runs" ]; do
  i=$((i + 1))
  for n in 1 2; do
    java -cp "$jar" io.ironbell.store.internal.ClaimThroughput "$url" ironbell $n "$threads" "$workers" "$per" 2>/dev/null \
      | grep '^instances=' | tee -a "$out"
  done
done
for n in 1 2; do
  grep "^instances=$n " "$out" | sed 's/.*claims_per_second=//' | sort -n \
    | awk -v n=$n '{a[NR]=$1} END {print "median claims/s with " n " instance(s): " a[int((NR+1)/2)]}'
done
rm -f "$out"
