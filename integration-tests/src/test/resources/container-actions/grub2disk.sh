# Tinkerbell's grub2disk: GRUB for UEFI on GRUB_DISK's EFI system partition (EFI_DEVICE, else the
# disk's first partition), as the removable-media boot path the firmware finds without NVRAM
# entries, and GRUB_BLOCKDEVICE's /boot/grub/grub.cfg, whose default entry boots the kernel and
# initrd found under /boot with GRUB_CMDLINE.
set -eu
disk=${GRUB_DISK:?GRUB_DISK is required}
root=${GRUB_BLOCKDEVICE:?GRUB_BLOCKDEVICE is required}
case "$disk" in *[0-9]) esp=${EFI_DEVICE:-${disk}p1} ;; *) esp=${EFI_DEVICE:-${disk}1} ;; esac
target=/mnt/target
mkdir -p "$target"
mount -t "${FS_TYPE:-ext4}" "$root" "$target"
mkdir -p "$target/boot/efi"
mount -t vfat "$esp" "$target/boot/efi"
trap 'umount "$target/boot/efi"; umount "$target"' EXIT
kernel=$(cd "$target/boot" && ls vmlinuz-* 2>/dev/null | sort | tail -1)
[ -n "$kernel" ] || { echo "grub2disk: no /boot/vmlinuz-* on $root"; exit 1; }
version=${kernel#vmlinuz-}
grub-install --target=x86_64-efi --efi-directory="$target/boot/efi" --boot-directory="$target/boot" --removable --no-nvram \
  --no-uefi-secure-boot --modules="part_gpt ext2 fat" "$disk"
cat > "$target/boot/grub/grub.cfg" <<CFG
# written by grub2disk
set default="0"
set timeout=1
menuentry 'Installed OS' --class gnu-linux {
	insmod part_gpt
	insmod ext2
	search --no-floppy --label ROOT --set=root
	echo	'grub2disk: booting /boot/$kernel'
	linux	/boot/$kernel root=${ROOT_DEVICE:-$root} ro ${GRUB_CMDLINE:-}
	initrd	/boot/initrd.img-$version
}
CFG
echo "grub2disk: GRUB on $esp (EFI/BOOT/BOOTX64.EFI); $root boots /boot/$kernel with '${GRUB_CMDLINE:-}'"
