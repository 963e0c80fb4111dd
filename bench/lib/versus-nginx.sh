# Shared by the HTTP benchmarks (sourced, not run): start the distribution, serve one answer
# from nginx as a static file, and compare the two with wrk side by side.
#   . bench/lib/versus-nginx.sh; ironbell_start PORT; ...; versus_nginx URL NGINX_PORT RUNS
# Sets work (a temporary directory, removed on exit), token (the API token) and api (its base URL).
set -e
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
cleanup() {
  [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null || true
  [ -f "$work/nginx.pid" ] && kill "$(cat "$work/nginx.pid")" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

# ironbell_start PORT: the unpacked distribution on a fresh copy, until /readyz answers
ironbell_start() {
  cp -r "$root/distribution/target/ironbell" "$work/home"
  rm -rf "$work/home/data/felix-cache"
  # one wrk client from one address: the per-caller limits (metadata, connections) would measure themselves, not the server
  IRONBELL_HTTP_PORT=$1 IRONBELL_LOG_LEVEL=WARN IRONBELL_METADATA_RATE_PER_ADDRESS=0 IRONBELL_HTTP_MAX_CONNECTIONS_PER_ADDRESS=4096 \
    "$work/home/bin/ironbell" server >"$work/server.log" 2>&1 &
  pid=$!
  until curl -sf "http://127.0.0.1:$1/readyz" >/dev/null 2>&1; do sleep 0.2; done
  token=$(cat "$work/home/data/api-token")
  api="http://127.0.0.1:$1/api/v1"
}

# post PATH JSON: an authenticated POST to the API
post() {
  curl -sf -H "Authorization: Bearer $token" -X POST "$api$1" --data-binary "$2" >/dev/null
}

# versus_nginx URL NGINX_PORT RUNS: fetches URL once, has nginx serve the same bytes, then
# alternates `wrk -t2 -c50 -d10s` on both RUNS times after a warm-up; prints runs and medians
versus_nginx() {
  mkdir -p "$work/www"
  curl -sf "$1" >"$work/www/answer" || { echo "no answer from $1" >&2; exit 1; }
  cat >"$work/nginx.conf" <<CONF
worker_processes auto;
pid $work/nginx.pid;
error_log $work/nginx.err;
events { worker_connections 1024; }
http {
  access_log off;
  server { listen 127.0.0.1:$2; root $work/www; default_type text/plain; }
}
CONF
  nginx -c "$work/nginx.conf"
  echo "$(wc -c <"$work/www/answer") bytes: $(head -c 60 "$work/www/answer" | tr '\n' ' ')"
  wrk -t2 -c50 -d5s "$1" >/dev/null   # warm-up (JIT)
  i=0
  while [ $i -lt "$3" ]; do
    i=$((i + 1))
    a=$(wrk -t2 -c50 -d10s --latency "$1" | awk '/Requests\/sec/ {r=$2} / 99%/ {p=$2} END {print r, "p99=" p}')
    b=$(wrk -t2 -c50 -d10s --latency "http://127.0.0.1:$2/answer" | awk '/Requests\/sec/ {r=$2} / 99%/ {p=$2} END {print r, "p99=" p}')
    echo "run $i: ironbell $a | nginx $b (requests/s, p99)"
    echo "${a%% *} ${b%% *}" >>"$work/all"
  done
  ma=$(awk '{print $1}' "$work/all" | sort -n | awk '{v[NR]=$1} END {print v[int((NR+1)/2)]}')
  mb=$(awk '{print $2}' "$work/all" | sort -n | awk '{v[NR]=$1} END {print v[int((NR+1)/2)]}')
  echo "median requests/s: ironbell $ma, nginx $mb, ratio $(awk -v a="$ma" -v b="$mb" 'BEGIN {printf "%.0f%%", 100*a/b}')"
}
