#!/bin/bash
# TFTP throughput: Ironbell against tftpd-hpa serving the same directory, side by side in one run.
# For a 1 MiB and a 32 MiB file, with 1 and with 20 concurrent clients, each round times
#   curl --tftp-blksize 1468                        (both servers; the block size PXE ROMs use)
#   atftp --option "blksize 1468" --option "windowsize 16"   (RFC 7440; tftpd-hpa ignores windowsize)
# and reports the aggregate MiB/s, medians of RUNS rounds (default 3), Ironbell/tftpd-hpa ratio.
#   bench/tftp.sh [runs]
# Needs the distribution built, curl, atftp and tftpd-hpa (apt-get install curl atftp tftpd-hpa).
set -e
runs=${1:-3}
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
hport=18811
iport=16991
tport=16992
cleanup() {
  [ -n "$ipid" ] && kill "$ipid" 2>/dev/null && wait "$ipid" 2>/dev/null || true
  [ -n "$tpid" ] && kill "$tpid" 2>/dev/null && wait "$tpid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
mkdir -p "$work/files" "$work/out"
head -c 1048576 /dev/urandom >"$work/files/f1"
head -c 33554432 /dev/urandom >"$work/files/f32"
cp -r "$root/distribution/target/ironbell" "$work/home"
rm -rf "$work/home/data/felix-cache"
IRONBELL_HTTP_PORT=$hport IRONBELL_TFTP_ENABLED=true IRONBELL_TFTP_PORT=$iport IRONBELL_TFTP_ROOT="$work/files" \
  IRONBELL_LOG_LEVEL=WARN "$work/home/bin/ironbell" server >"$work/server.log" 2>&1 &
ipid=$!
in.tftpd -L -s "$work/files" -a "127.0.0.1:$tport" &
tpid=$!
until curl -sf "http://127.0.0.1:$hport/readyz" >/dev/null 2>&1; do sleep 0.2; done

# fetch SERVER_PORT FILE CLIENTS TOOL: prints aggregate MiB/s, checks every copy
fetch() {
  local port=$1 file=$2 n=$3 tool=$4 pids=() start end i
  start=$(date +%s.%N)
  for i in $(seq "$n"); do
    if [ "$tool" = curl ]; then
      curl -sS --tftp-blksize 1468 -o "$work/out/$i" "tftp://127.0.0.1:$port/$file" &
    else
      atftp --option "blksize 1468" --option "windowsize 16" -g -r "$file" -l "$work/out/$i" 127.0.0.1 "$port" >/dev/null 2>&1 &
    fi
    pids+=($!)
  done
  wait "${pids[@]}"   # only the clients: a bare `wait` would wait for the servers too
  end=$(date +%s.%N)
  for i in $(seq "$n"); do
    cmp -s "$work/out/$i" "$work/files/$file" || { echo "copy $i of $file from port $port differs" >&2; exit 1; }
  done
  rm -f "$work/out/"*
  awk -v s="$start" -v e="$end" -v b="$(stat -c %s "$work/files/$file")" -v n="$n" 'BEGIN {printf "%.1f", n*b/1048576/(e-s)}'
}

fetch $iport f1 1 curl >/dev/null   # warm-up (JIT)
fetch $iport f32 1 curl >/dev/null
median() { sort -n | awk '{v[NR]=$1} END {print v[int((NR+1)/2)]}'; }
printf "%-5s %-7s %-6s %12s %12s %7s\n" file clients client "ironbell" "tftpd-hpa" ratio
for file in f1 f32; do
  for n in 1 20; do
    for tool in curl atftp-w16; do
      : >"$work/a"; : >"$work/b"
      for r in $(seq "$runs"); do
        fetch $iport $file $n $tool >>"$work/a"; echo >>"$work/a"
        fetch $tport $file $n $tool >>"$work/b"; echo >>"$work/b"
      done
      a=$(median <"$work/a"); b=$(median <"$work/b")
      printf "%-5s %-7s %-6s %9s MiB/s %9s MiB/s %6s\n" "${file#f}MiB" $n $tool "$a" "$b" \
        "$(awk -v a="$a" -v b="$b" 'BEGIN {printf "%.0f%%", 100*a/b}')"
    done
  done
done
