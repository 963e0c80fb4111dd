#!/bin/bash
# image2disk throughput: the plugin (java -Xmx64m) against the shell pipeline
# `curl | zstd -d | dd` (and `curl | gzip -d | dd`), side by side in one run: a 1 GiB disk image
# (half random, half zeros, in 8 MiB stripes, as a real image is part data, part empty space),
# compressed with zstd and gzip at their default levels, served by nginx on loopback and written
# to a loop device over a 1 GiB file; both flush the disk before the clock stops (dd conv=fsync).
# The plugin writes block devices with O_DIRECT, so the run also times the pipeline with
# `dd oflag=direct` (iflag=fullblock, 4 MiB blocks), the fairest shell equivalent.
# RUNS rounds alternating (default 3); medians, ratio, and the plugin JVM's peak RSS.
#   sudo bench/image2disk.sh [runs]
# Needs root (loop device), `mvn install` with bench/jmh packaged, nginx, curl, zstd, gzip.
set -e
runs=${1:-3}
root=$(cd "$(dirname "$0")/.." && pwd)
jar="$root/bench/jmh/target/benchmarks.jar"
work=$(mktemp -d -p /var/tmp)
nport=18795
cleanup() {
  [ -f "$work/nginx.pid" ] && kill "$(cat "$work/nginx.pid")" 2>/dev/null || true
  [ -n "$loop" ] && losetup -d "$loop" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
mkdir -p "$work/www"
for i in $(seq 64); do
  head -c 8388608 /dev/urandom
  head -c 8388608 /dev/zero
done >"$work/www/disk.img"
zstd -q -k "$work/www/disk.img" -o "$work/www/disk.img.zst"
gzip -k -c "$work/www/disk.img" >"$work/www/disk.img.gz"
chmod 755 "$work" && chmod -R a+rX "$work/www"   # nginx workers read as an unprivileged user
ls -l "$work/www" | awk 'NR > 1 {print $5, $9}'
cat >"$work/nginx.conf" <<CONF
worker_processes 1;
pid $work/nginx.pid;
error_log $work/nginx.err;
events { worker_connections 64; }
http { access_log off; sendfile on; server { listen 127.0.0.1:$nport; root $work/www; } }
CONF
nginx -c "$work/nginx.conf"
truncate -s 1G "$work/target"
loop=$(losetup --show -f "$work/target")

secs() { awk -v s="$1" -v e="$2" 'BEGIN {printf "%.2f", (e - s) / 1e9}'; }
median() { sort -n | awk '{v[NR]=$1} END {print v[int((NR+1)/2)]}'; }
for comp in zst gz; do
  tool=$([ $comp = zst ] && echo "zstd -d -q" || echo "gzip -d")
  url="http://127.0.0.1:$nport/disk.img.$comp"
  : >"$work/a"; : >"$work/b"; : >"$work/c"; : >"$work/d"; : >"$work/rss"
  for r in $(seq "$runs"); do
    s=$(date +%s%N)
    /usr/bin/time -f "%M" -o "$work/time" java -Xmx64m -cp "$jar" io.ironbell.bench.Image2DiskRun "$url" "$loop" >"$work/out" \
      || { cat "$work/out" "$work/time"; exit 1; }
    e=$(date +%s%N)
    grep -q "^wrote 1,073,741,824 bytes" "$work/out" || { cat "$work/out"; exit 1; }
    secs "$s" "$e" >>"$work/a"; echo >>"$work/a"
    cat "$work/time" >>"$work/rss"
    sed -n 's/.* in \([0-9.]*\) s (.*/\1/p' "$work/out" >>"$work/c"
    s=$(date +%s%N)
    curl -s "$url" | $tool | dd of="$loop" bs=1M conv=fsync status=none
    e=$(date +%s%N)
    secs "$s" "$e" >>"$work/b"; echo >>"$work/b"
    s=$(date +%s%N)
    curl -s "$url" | $tool | dd of="$loop" bs=4M iflag=fullblock oflag=direct conv=fsync status=none
    e=$(date +%s%N)
    secs "$s" "$e" >>"$work/d"; echo >>"$work/d"
  done
  a=$(median <"$work/a"); b=$(median <"$work/b"); c=$(median <"$work/c"); d=$(median <"$work/d")
  printf "%-4s plugin %6ss with JVM start, %ss in the action (%5.0f MiB/s, peak RSS %s MiB) | pipeline %6ss (%5.0f MiB/s) | ratio %s with JVM start, %s without\n" \
    "$comp" "$a" "$c" "$(awk -v t="$c" 'BEGIN {print 1024 / t}')" "$(median <"$work/rss" | awk '{printf "%.0f", $1 / 1024}')" \
    "$b" "$(awk -v t="$b" 'BEGIN {print 1024 / t}')" "$(awk -v a="$a" -v b="$b" 'BEGIN {printf "%.0f%%", 100 * b / a}')" \
    "$(awk -v c="$c" -v b="$b" 'BEGIN {printf "%.0f%%", 100 * b / c}')"
  printf "     pipeline with dd oflag=direct %ss: ratio %s with JVM start\n" "$d" "$(awk -v a="$a" -v d="$d" 'BEGIN {printf "%.0f%%", 100 * d / a}')"
  echo "     runs: plugin $(tr '\n' ' ' <"$work/a")(action $(tr '\n' ' ' <"$work/c"))  pipeline $(tr '\n' ' ' <"$work/b") direct $(tr '\n' ' ' <"$work/d")"
done
