#!/bin/sh
# iPXE script requests per second: Ironbell's /ipxe/<mac>/auto.ipxe against nginx serving the
# same bytes as a static file, side by side, RUNS rounds alternating (default 3), with
# `wrk -t2 -c50 -d10s`. Prints each run and the medians with their ratio.
#   bench/ipxe.sh [runs]
# Needs the distribution built, wrk and nginx (apt-get install wrk nginx-light).
set -e
runs=${1:-3}
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
port=18791
nport=18792
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
  '{"id":"bench","network":{"interfaces":[{"dhcp":{"mac":"52:54:00:be:0c:01","ip":{"address":"10.9.9.9"}},"netboot":{"allow_pxe":true,"allow_workflow":true}}]}}' >/dev/null
# a pending workflow, so the machine gets the script that boots the in-memory OS (not the exit script)
printf 'version: "0.1"\nname: bench\ntasks:\n- name: t\n  worker: "{{.device_1}}"\n  actions: [{name: a, image: x, timeout: 60}]\n' |
  curl -sf -H "Authorization: Bearer $token" -X POST "http://127.0.0.1:$port/api/v1/templates?name=bench" --data-binary @- >/dev/null
curl -sf -H "Authorization: Bearer $token" -X POST "http://127.0.0.1:$port/api/v1/workflows" \
  -d '{"template":"bench","hardware":{"device_1":"52:54:00:be:0c:01"}}' >/dev/null
url="http://127.0.0.1:$port/ipxe/52:54:00:be:0c:01/auto.ipxe"
sleep 1   # the workflow reaches the iPXE route's in-memory view by notification
mkdir -p "$work/www"
curl -sf "$url" >"$work/www/auto.ipxe"
grep -q "^kernel " "$work/www/auto.ipxe" || { echo "expected the boot script, got:"; cat "$work/www/auto.ipxe"; exit 1; }
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
echo "script: $(wc -c <"$work/www/auto.ipxe") bytes"
wrk -t2 -c50 -d5s "$url" >/dev/null   # warm-up (JIT)
i=0
while [ $i -lt "$runs" ]; do
  i=$((i + 1))
  a=$(wrk -t2 -c50 -d10s --latency "$url" | awk '/Requests\/sec/ {r=$2} / 99%/ {p=$2} END {print r, "p99=" p}')
  b=$(wrk -t2 -c50 -d10s --latency "http://127.0.0.1:$nport/auto.ipxe" | awk '/Requests\/sec/ {r=$2} / 99%/ {p=$2} END {print r, "p99=" p}')
  echo "run $i: ironbell $a | nginx $b (requests/s, p99)"
  echo "${a%% *} ${b%% *}" >>"$work/all"
done
awk '{print $1}' "$work/all" | sort -n > "$work/a"; awk '{print $2}' "$work/all" | sort -n > "$work/b"
ma=$(awk '{v[NR]=$1} END {print v[int((NR+1)/2)]}' "$work/a"); mb=$(awk '{v[NR]=$1} END {print v[int((NR+1)/2)]}' "$work/b")
echo "median requests/s: ironbell $ma, nginx $mb, ratio $(awk -v a="$ma" -v b="$mb" 'BEGIN {printf "%.0f%%", 100*a/b}')"
