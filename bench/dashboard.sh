#!/bin/sh
# The dashboard's machines page with 10,000 machines and 200 live workflows, in Debian's headless
# Chromium (bench/jmh's DashboardLoad): time from navigation to the list painted (5 opens), JS heap
# and DOM nodes, then 30 s of 200 workers reporting progress every second while the page follows
# the fleet feed: the page's main-thread lag and a filter's time. RUNS rounds, each on a fresh server.
#   bench/dashboard.sh [runs] [machines] [live]
# Needs the distribution and bench/jmh built (mvn install -DskipTests), chromium, chromium-driver, certutil.
set -e
runs=${1:-3}
machines=${2:-10000}
live=${3:-200}
root=$(cd "$(dirname "$0")/.." && pwd)
jar=$root/bench/jmh/target/benchmarks.jar
dist=$root/distribution/target/ironbell
i=0
while [ $i -lt "$runs" ]; do
  i=$((i + 1))
  work=$(mktemp -d)
  timeout 900 java -cp "$jar" io.ironbell.bench.DashboardLoad "$dist" "$work" "$machines" "$live" 30 5 2>&1 \
    | grep -v -E '^\[server\]|SLF4J|^[0-9:.]+ (INFO|WARN|DEBUG)' || true
  rm -rf "$work"
done
