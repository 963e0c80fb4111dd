#!/bin/sh
# Builds the container images ContainerActionsIT runs on the in-memory OS, offline, from this
# machine's Debian packages and busybox, with buildah (its own storage under WORK), and pushes
# them to the registry at REGISTRY (plain HTTP), optionally from inside a network namespace:
#   REGISTRY/ironbell-test/busybox:1    busybox alone (the bad-input actions)
#   REGISTRY/ironbell-test/rootio:1     partitions DEST_DISK (an EFI system partition and an ext4 root) and formats them, as Tinkerbell's rootio
#   REGISTRY/ironbell-test/cexec:1      runs CMD_LINE chrooted into BLOCK_DEVICE, as Tinkerbell's cexec
#   REGISTRY/ironbell-test/grub2disk:1  installs GRUB for UEFI (Debian's grub-efi-amd64-bin) and writes its grub.cfg, as Tinkerbell's grub2disk
#
#   build-images.sh WORK REGISTRY [NETNS]
set -eu
here=$(cd "$(dirname "$0")" && pwd)
work=$1
registry=$2
netns=${3:-}
b() { buildah --root "$work/storage" --runroot "$work/run" --storage-driver vfs "$@"; }

# an image root: static busybox and its links, the given programs with their libraries, an action script
image() {
  name=$1; script=$2; shift 2
  ctr=$(b from scratch)
  mnt=$(b mount "$ctr")
  mkdir -p "$mnt/bin" "$mnt/sbin" "$mnt/usr/bin" "$mnt/usr/sbin" "$mnt/etc" "$mnt/tmp" "$mnt/mnt" "$mnt/dev" "$mnt/proc" "$mnt/sys"
  cp /bin/busybox "$mnt/bin/busybox"
  chroot "$mnt" /bin/busybox --install -s
  for prog in "$@"; do
    src=$(command -v "$prog")
    cp -L "$src" "$mnt/usr/sbin/$prog"
    ldd "$src" 2>/dev/null | awk '/=> \// {print $3} /^\t\/lib/ {print $1}' | while read -r lib; do
      mkdir -p "$mnt$(dirname "$lib")"
      cp -L "$lib" "$mnt$lib"
    done
  done
  [ -f /etc/mke2fs.conf ] && cp /etc/mke2fs.conf "$mnt/etc/"
  case " $* " in *" grub-install "*)
    mkdir -p "$mnt/usr/lib/grub" "$mnt/usr/share"
    cp -r /usr/lib/grub/x86_64-efi "$mnt/usr/lib/grub/"
    [ -d /usr/share/grub ] && cp -r /usr/share/grub "$mnt/usr/share/" ;;
  esac
  if [ -n "$script" ]; then
    cp "$here/$script" "$mnt/action.sh"
    chmod 0755 "$mnt/action.sh"
    b config --entrypoint '["/bin/sh", "/action.sh"]' "$ctr"
  else
    b config --cmd '["/bin/sh"]' "$ctr"
  fi
  b config --env PATH=/usr/sbin:/usr/bin:/sbin:/bin "$ctr"
  b umount "$ctr" >/dev/null
  b commit -q "$ctr" "ironbell-test/$name:1" >/dev/null
  b rm "$ctr" >/dev/null
  if [ -n "$netns" ]; then
    ip netns exec "$netns" buildah --root "$work/storage" --runroot "$work/run" --storage-driver vfs push -q --tls-verify=false \
      "ironbell-test/$name:1" "docker://$registry/ironbell-test/$name:1"
  else
    b push -q --tls-verify=false "ironbell-test/$name:1" "docker://$registry/ironbell-test/$name:1"
  fi
  echo "image ironbell-test/$name:1 pushed to $registry"
}

image busybox ""
image rootio rootio.sh sfdisk mkfs.ext4 mkfs.vfat
image cexec cexec.sh
image grub2disk grub2disk.sh grub-install
