#!/bin/sh
# Builds OUT/ironbell.iso: the lean in-memory OS (OUT/vmlinuz, OUT/initramfs) on a hybrid ISO that
# boots under BIOS (isolinux) and UEFI (GRUB, standalone, as the removable-media loader on an EFI
# system partition image). The kernel command line in both boot loaders' configs is a fixed-size
# placeholder the server overwrites, byte for byte, with each machine's parameters while it serves
# the ISO (as Tinkerbell's Smee patches its Hook ISO per MAC); offsets and sizes stay the same.
#
#   iso.sh OUT
#
# Inputs from the build machine (Debian packages): xorriso, isolinux, syslinux-common, mtools,
# grub-efi-amd64-bin (and grub-common's grub-mkstandalone).
set -eu
out=$1
fail() { echo "osie iso: $*" >&2; exit 1; }
for tool in xorriso mformat mcopy mmd grub-mkstandalone; do
  command -v $tool >/dev/null || fail "no $tool: apt-get install xorriso mtools grub-common grub-efi-amd64-bin isolinux syslinux-common"
done
[ -r /usr/lib/ISOLINUX/isolinux.bin ] && [ -r /usr/lib/ISOLINUX/isohdpfx.bin ] || fail "no isolinux: apt-get install isolinux"
[ -r /usr/lib/syslinux/modules/bios/ldlinux.c32 ] || fail "no ldlinux.c32: apt-get install syslinux-common"
[ -d /usr/lib/grub/x86_64-efi ] || fail "no GRUB for x86_64-efi: apt-get install grub-efi-amd64-bin"
[ -r "$out/vmlinuz" ] && [ -r "$out/initramfs" ] || fail "build the in-memory OS first ($out/vmlinuz, $out/initramfs)"

# 1024 bytes: what the server overwrites (IsoRoutes.PLACEHOLDER must match)
placeholder="IRONBELL-KERNEL-PARAMETERS$(printf '%0998d' 0 | tr 0 '#')"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
root=$work/root
mkdir -p "$root/isolinux" "$root/boot/grub"
cp /usr/lib/ISOLINUX/isolinux.bin /usr/lib/syslinux/modules/bios/ldlinux.c32 "$root/isolinux/"
cp "$out/vmlinuz" "$root/vmlinuz"
cp "$out/initramfs" "$root/initrd.img"
printf 'default ironbell\nprompt 0\ntimeout 1\nlabel ironbell\n  kernel /vmlinuz\n  append initrd=/initrd.img %s\n' "$placeholder" \
  > "$root/isolinux/isolinux.cfg"
printf 'set timeout=0\nset default=0\nmenuentry "Ironbell in-memory OS" {\n  linux /vmlinuz %s\n  initrd /initrd.img\n}\n' "$placeholder" \
  > "$root/boot/grub/grub.cfg"
echo ironbell > "$root/ironbell.id"
printf 'search --no-floppy --set=root --file /ironbell.id\nset prefix=($root)/boot/grub\nconfigfile /boot/grub/grub.cfg\n' > "$work/embedded.cfg"
grub-mkstandalone -O x86_64-efi --modules="part_gpt part_msdos iso9660 search search_fs_file configfile linux normal" \
  --locales= --fonts= --themes= -o "$work/BOOTX64.EFI" "boot/grub/grub.cfg=$work/embedded.cfg"
dd if=/dev/zero of="$root/efiboot.img" bs=1k count=8192 2>/dev/null
mformat -i "$root/efiboot.img" ::
mmd -i "$root/efiboot.img" ::/EFI ::/EFI/BOOT
mcopy -i "$root/efiboot.img" "$work/BOOTX64.EFI" ::/EFI/BOOT/BOOTX64.EFI
xorriso -as mkisofs -quiet -o "$out/ironbell.iso.tmp" -V IRONBELL -J -R -isohybrid-mbr /usr/lib/ISOLINUX/isohdpfx.bin \
  -b isolinux/isolinux.bin -c isolinux/boot.cat -no-emul-boot -boot-load-size 4 -boot-info-table \
  -eltorito-alt-boot -e efiboot.img -no-emul-boot -isohybrid-gpt-basdat "$root"
mv "$out/ironbell.iso.tmp" "$out/ironbell.iso"
count=$(grep -c -a -o "IRONBELL-KERNEL-PARAMETERS" "$out/ironbell.iso" || true)
[ "$count" -ge 2 ] || fail "the placeholder is not in both boot configs of $out/ironbell.iso ($count found)"
echo "osie iso: $out/ironbell.iso ($(du -h "$out/ironbell.iso" | cut -f1), BIOS and UEFI, kernel parameters patched when served)"
