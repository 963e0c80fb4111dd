# Tinkerbell's grub2disk, the part kexec and firmware read: BLOCK_DEVICE's /boot/grub/grub.cfg, whose
# default entry boots the kernel and initrd found under /boot with GRUB_CMDLINE.
set -eu
dev=${BLOCK_DEVICE:?BLOCK_DEVICE is required}
target=/mnt/target
mkdir -p "$target"
mount -t "${FS_TYPE:-ext4}" "$dev" "$target"
trap 'umount "$target"' EXIT
kernel=$(cd "$target/boot" && ls vmlinuz-* 2>/dev/null | sort | tail -1)
[ -n "$kernel" ] || { echo "grub2disk: no /boot/vmlinuz-* on $dev"; exit 1; }
version=${kernel#vmlinuz-}
mkdir -p "$target/boot/grub"
cat > "$target/boot/grub/grub.cfg" <<CFG
# written by grub2disk
set default="0"
set timeout=1
menuentry 'Installed OS' --class gnu-linux {
	insmod ext2
	linux	/boot/$kernel root=${ROOT_DEVICE:-$dev} ro ${GRUB_CMDLINE:-}
	initrd	/boot/initrd.img-$version
}
CFG
echo "grub2disk: $dev boots /boot/$kernel with '${GRUB_CMDLINE:-}'"
