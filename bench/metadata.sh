#!/bin/sh
# Metadata requests per second: Ironbell's EC2 metadata (the caller, 127.0.0.1, is a registered
# machine) against nginx serving the same bytes as static files, side by side, RUNS rounds
# alternating (default 3), with `wrk -t2 -c50 -d10s`, for PATH (default
# /latest/meta-data/hostname; try /latest/meta-data/ or /latest/user-data). Prints each run and the
# medians with their ratio.
#   bench/metadata.sh [runs] [path]
# Needs the distribution built, wrk and nginx (apt-get install wrk nginx-light).
set -e
runs=${1:-3}
path=${2:-/latest/meta-data/hostname}
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
port=18793
nport=18794
cleanup() {
  [ -n "$pid" ] && kill $pid 2>/dev/null && wait $pid 2>/dev/null || true
  [ -f "$work/nginx.pid" ] && kill "$(cat "$work/nginx.pid")" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
cp -r "$root/distribution/target/ironbell" "$work/home"
rm -rf "$work/home/data/felix-cache"
IRONBELL_HTTP_PORT=$port IRONBELL_LOG_LEVEL=WARN "$work/home/bin/ironbell" server >"$work/server.log" 2>&1 &
pid=$!
until curl -sf "http://127.0.0.1:$port/readyz" >/dev/null 2>&1; do sleep 0.2; done
token=$(cat "$work/home/data/api-token")
curl -sf -H "Authorization: Bearer $token" -X POST "http://127.0.0.1:$port/api/v1/hardware" -d \
  '{"id":"bench","metadata":{"facility":{"facility_code":"lab-1"},"instance":{"id":"i-bench","hostname":"bench-node-1",
    "operating_system":{"distro":"debian","version":"12","os_slug":"debian_12"},
    "userdata":"#cloud-config\npackages: [curl]\nruncmd:\n  - echo hello\n","ssh_keys":["ssh-ed25519 AAAAC3Nza ops@lab"],
    "tags":["env=lab"]}},
   "network":{"interfaces":[{"dhcp":{"mac":"52:54:00:be:0c:02","hostname":"bench-node-1","ip":{"address":"127.0.0.1"}},"netboot":{"allow_pxe":true}}]}}' >/dev/null
url="http://127.0.0.1:$port$path"
mkdir -p "$work/www"
curl -sf "$url" >"$work/www/answer" || { echo "no answer from $url"; exit 1; }
cat >"$work/nginx.conf" <<CONF
worker_processes auto;
pid $work/nginx.pid;
error_log $work/nginx.err;
events { worker_connections 1024; }
http {
  access_log off;
  server { listen 127.0.0.1:$nport; root $work/www; default_type text/plain; }
}
CONF
nginx -c "$work/nginx.conf"
echo "$path: $(wc -c <"$work/www/answer") bytes: $(head -c 60 "$work/www/answer" | tr '\n' ' ')"
wrk -t2 -c50 -d5s "$url" >/dev/null   # warm-up (JIT)
i=0
while [ $i -lt "$runs" ]; do
  i=$((i + 1))
  a=$(wrk -t2 -c50 -d10s --latency "$url" | awk '/Requests\/sec/ {r=$2} / 99%/ {p=$2} END {print r, "p99=" p}')
  b=$(wrk -t2 -c50 -d10s --latency "http://127.0.0.1:$nport/answer" | awk '/Requests\/sec/ {r=$2} / 99%/ {p=$2} END {print r, "p99=" p}')
  echo "run $i: ironbell $a | nginx $b (requests/s, p99)"
  echo "${a%% *} ${b%% *}" >>"$work/all"
done
awk '{print $1}' "$work/all" | sort -n > "$work/a"; awk '{print $2}' "$work/all" | sort -n > "$work/b"
ma=$(awk '{v[NR]=$1} END {print v[int((NR+1)/2)]}' "$work/a"); mb=$(awk '{v[NR]=$1} END {print v[int((NR+1)/2)]}' "$work/b")
echo "median requests/s: ironbell $ma, nginx $mb, ratio $(awk -v a="$ma" -v b="$mb" 'BEGIN {printf "%.0f%%", 100*a/b}')"
