# Tinkerbell's cexec: runs CMD_LINE with DEFAULT_INTERPRETER, chrooted (CHROOT=y) into BLOCK_DEVICE's file system.
set -eu
dev=${BLOCK_DEVICE:?BLOCK_DEVICE is required}
cmd=${CMD_LINE:?CMD_LINE is required}
target=/mnt/target
mkdir -p "$target"
mount -t "${FS_TYPE:-ext4}" "$dev" "$target"
trap 'umount "$target/dev" 2>/dev/null; umount "$target/proc" 2>/dev/null; umount "$target"' EXIT
if [ "${CHROOT:-}" = y ]; then
  mkdir -p "$target/dev" "$target/proc"
  mount --bind /dev "$target/dev"
  mount -t proc proc "$target/proc"
  echo "cexec: running in $dev: $cmd"
  # shellcheck disable=SC2086
  chroot "$target" ${DEFAULT_INTERPRETER:-/bin/sh -c} "$cmd"
else
  echo "cexec: running: $cmd"
  # shellcheck disable=SC2086
  ${DEFAULT_INTERPRETER:-/bin/sh -c} "$cmd"
fi
