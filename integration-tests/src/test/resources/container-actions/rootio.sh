# Tinkerbell's rootio, reduced: a GPT over DEST_DISK with an EFI system partition (FAT, 32 MiB) and
# a root partition over the rest (FS_TYPE, ext4), labelled ESP and ROOT.
set -eu
disk=${DEST_DISK:?DEST_DISK is required}
[ -b "$disk" ] || { echo "rootio: $disk is not a block device (is /dev among the action's volumes?)"; exit 2; }
case "$disk" in *[0-9]) p=${disk}p ;; *) p=$disk ;; esac
echo "rootio: partitioning $disk"
printf 'label: gpt\nsize=32MiB, type=C12A7328-F81F-11D2-BA4B-00A0C93EC93B, name=ESP\ntype=0FC63DAF-8483-4772-8E79-3D69D8477DE4, name=ROOT\n' \
  | sfdisk -q "$disk"
i=0
while { [ ! -b "${p}1" ] || [ ! -b "${p}2" ]; } && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
[ -b "${p}2" ] || { echo "rootio: ${p}1 and ${p}2 did not appear after partitioning"; exit 1; }
mkfs.vfat -n ESP "${p}1" > /dev/null
mkfs.ext4 -q -F -L ROOT "${p}2"
echo "rootio: ${p}1 is the EFI system partition (vfat), ${p}2 ${FS_TYPE:-ext4}, labelled ROOT"
