#!/bin/sh
# The in-memory OS's two flavors side by side: size, and seconds from QEMU's start (TCG, 2 vCPUs,
# 2 GiB, direct kernel boot, user-mode network with a static address) to init's "up" line, to the
# worker's start, and, in the flavor with containers, to Podman's API; RUNS boots of each,
# alternating; prints every boot and the medians. The worker finds no server here: the figures
# end where it would first call one.
#   bench/osie.sh [runs]
# Needs the distribution built (mvn install -DskipTests) and qemu-system-x86.
set -e
runs=${1:-3}
root=$(cd "$(dirname "$0")/.." && pwd)
osie=$root/distribution/target/ironbell/data/artifacts/osie
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
for f in initramfs initramfs-containers; do
  awk -v f="$f" -v z="$(stat -c %s "$osie/$f")" -v u="$(zcat "$osie/$f" | wc -c)" \
    'BEGIN { printf "%s: %d bytes (%.1f MiB) gzipped, %.1f MiB unpacked\n", f, z, z / 1048576, u / 1048576 }'
done

# seconds from start until a line appears in FILE, or "-" after LIMIT seconds
seconds_until() {
  file=$1; pattern=$2; start=$3; limit=$4
  while ! grep -q "$pattern" "$file" 2>/dev/null; do
    awk -v now="$(date +%s.%N)" -v s="$start" -v l="$limit" 'BEGIN { exit !(now - s > l) }' && { echo -; return; }
    sleep 0.2
  done
  awk -v now="$(date +%s.%N)" -v s="$start" 'BEGIN { printf "%.1f", now - s }'
}

i=0
while [ $i -lt "$runs" ]; do
  i=$((i + 1))
  for flavor in initramfs initramfs-containers; do
    log=$work/$flavor-$i.log
    start=$(date +%s.%N)
    timeout 300 qemu-system-x86_64 -accel tcg -m 2048 -smp 2 -display none -monitor none -serial file:"$log" -no-reboot \
      -kernel "$osie/vmlinuz" -initrd "$osie/$flavor" \
      -append "console=ttyS0,115200 ironbell.server=https://10.0.2.2:9 ironbell.worker=52:54:00:be:0c:01 ip=10.0.2.15::10.0.2.2:24:bench:eth0" \
      -netdev user,id=n0 -device virtio-net-pci,netdev=n0,mac=52:54:00:be:0c:01 > /dev/null 2>&1 &
    pid=$!
    up=$(seconds_until "$log" "ironbell: up: worker" "$start" 240)
    podman=-
    [ $flavor = initramfs-containers ] && podman=$(seconds_until "$log" "ironbell: containers: Podman" "$start" 240)
    worker=$(seconds_until "$log" "takes its actions from\|cannot reach the server" "$start" 240)
    kill $pid 2>/dev/null; wait $pid 2>/dev/null || true
    echo "$flavor run $i: up $up s, Podman's API $podman s, worker started $worker s" | tee -a "$work/results"
  done
done
for flavor in initramfs initramfs-containers; do
  for what in up "Podman's API" "worker started"; do
    median=$(grep "^$flavor run" "$work/results" | sed "s/.*$what \([0-9.-]*\) s.*/\1/" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
    echo "median $flavor: $what $median s"
  done
done
