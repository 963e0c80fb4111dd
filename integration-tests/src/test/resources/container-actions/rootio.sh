# Tinkerbell's rootio, reduced: one partition over DEST_DISK, formatted ext4 (FS_TYPE), labelled ROOT.
set -eu
disk=${DEST_DISK:?DEST_DISK is required}
[ -b "$disk" ] || { echo "rootio: $disk is not a block device (is /dev among the action's volumes?)"; exit 2; }
echo "rootio: partitioning $disk"
printf 'label: dos\nstart=2048, type=83, bootable\n' | sfdisk -q "$disk"
case "$disk" in *[0-9]) part=${disk}p1 ;; *) part=${disk}1 ;; esac
i=0
while [ ! -b "$part" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
[ -b "$part" ] || { echo "rootio: $part did not appear after partitioning"; exit 1; }
mkfs.ext4 -q -F -L ROOT "$part"
echo "rootio: $part is ${FS_TYPE:-ext4}, labelled ROOT"
