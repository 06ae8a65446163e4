#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# dax_installed: daxgup_pmem as a user installs it.  The lab ran dkms add,
# build and install for the booted kernel (scripts/lab/dkms.sh: Debian's
# stock kernel with its linux-headers package, or the patched build), into
# a module root that holds the kernel's own modules, nd_pmem included, and
# daxgup.conf; this boot uses that root (DAXGUP_BOOT_MODULES=installed),
# and the lab's setup loaded the pmem driver by the modalias of each
# device, as udev does, before ndctl made the fsdax namespaces.
#   1. the daxgup_pmem loaded is the one dkms installed (updates/dkms, the
#      same build id), and nd_pmem is not loaded;
#   2. every fsdax namespace is served by daxgup_pmem, with DAX;
#   3. nd_pmem is installed too and has the same aliases as daxgup_pmem,
#      yet loading it by name, or the driver of a namespace and of a pfn
#      device by alias (what ndctl, a user and udev do), loads no nd_pmem:
#      modprobe runs daxgup.conf's install command instead;
#   4. an fsdax namespace whose info block is damaged (a field changed
#      under the old checksum) stays unserved however it is enabled again:
#      ndctl enable-namespace, udev's modprobe by modalias, the driver
#      core's drivers_probe; the kernel log says no driver serves it; with
#      the block restored, ndctl enables it and its filesystem is intact;
#   5. BTT: the same namespace made a sector-mode one with ndctl is served
#      (by daxgup_pmem, through nd_btt), and an ext4 on it keeps a file
#      across a mount;
#   6. removal under a pin: the first fsdax namespace's pfn device is
#      unbound while an O_DIRECT read from a slow device (dm-delay, 20 s)
#      into a DAX mapping of a file on it is in flight: the unbind returns
#      with the read still in flight, the memory is parked, the read lands
#      in full, and once the reader is gone and the filesystem unmounted
#      the memory is released and the namespace served and mounted again.
. /run/daxgup/env
. "$(dirname "$0")/lib.sh"
set -u
echo "TAP version 13"
echo "1..6"
nd=/sys/bus/nd
drv=daxgup_pmem
kmods=$(sed -n 's/.*\<daxgup\.kmods=\([^ ]*\).*/\1/p' /proc/cmdline)
rel=$(uname -r)
tmp=/tmp/dax_installed.$$
mkdir -p "$tmp"
# The hang detector of the waits below (a removal, the read, a release):
# each normally takes seconds; not a timing assertion.
hang=$((90 * ${DAXGUP_TIMEOUT_SCALE:-1}))
bail() { echo "Bail out! $*"; exit 1; }
grep -q '\<daxgup\.pmem=modalias\>' /proc/cmdline ||
	bail "not a boot with DAXGUP_BOOT_MODULES=installed: nothing to test"
[ -n "${MODPROBE_OPTIONS:-}" ] || bail "no MODPROBE_OPTIONS from the setup"
echo "# module root: $kmods ($(cat "$kmods/.installed" 2>/dev/null))"

# 1. the module dkms installed
ko=$(modinfo -b "$kmods" -n "$drv" 2>&1)
want=
[ -f "$ko" ] && want=$(case $ko in "$kmods/lib/modules/$rel/updates/dkms/$drv.ko"*) echo yes ;; esac)
buildid() {
	local f=$1
	case $f in
	*.xz) xz -dc "$f" >"$tmp/ko" && f=$tmp/ko ;;
	*.zst) zstd -qdc "$f" >"$tmp/ko" && f=$tmp/ko ;;
	esac
	readelf -n "$f" 2>/dev/null | sed -n 's/.*Build ID: //p'
}
# the loaded module's build id: the last 20 bytes of its GNU build-id note
loaded=$(od -An -tx1 -v "/sys/module/$drv/notes/.note.gnu.build-id" 2>/dev/null |
	tr -d ' \n' | tail -c 40)
file_id=
[ -z "$want" ] || file_id=$(buildid "$ko")
what="$drv is loaded from the module dkms installed ($kmods/lib/modules/$rel/updates/dkms), nd_pmem is not"
echo "# modinfo -n $drv (module root $kmods): $ko; build id of the file ${file_id:-?}, of the loaded module ${loaded:-?}"
if [ -n "$want" ] && [ -n "$loaded" ] && [ "$file_id" = "$loaded" ] && [ ! -d /sys/module/nd_pmem ]; then
	tap OK "$what"
else
	lsmod | grep -E 'pmem|nd_' | sed 's/^/# lsmod: /'
	tap FAIL "$what"
fi

# 2. every fsdax namespace served by daxgup_pmem, with DAX
bad=
while IFS=$'\t' read -r ns mode map bdev by fs mnt dax; do
	[ "$ns" != namespace ] || continue
	echo "# $ns: $mode -M $map, /dev/$bdev served by $by, $fs on $mnt, DAX $dax"
	[ "$by" = "$drv" ] && [ "$dax" = on ] && [ "$(cat "/sys/block/$bdev/queue/dax")" = 1 ] ||
		bad="$bad $ns"
done </run/daxgup/setup.tsv
what="every fsdax namespace the setup made with ndctl is served by $drv, with DAX"
if [ -z "$bad" ] && [ -n "$DAXGUP_MOUNTS" ]; then tap OK "$what"; else tap FAIL "$what (not:$bad)"; fi

# 3. nd_pmem by name or alias: daxgup_pmem instead
first=${DAXGUP_MOUNTS%% *}
IFS=: read -r _ _ _ fdev _ <<<"$first"
fpfn=$(basename "$(readlink -f "/sys/block/$fdev/device")")
fns=$(cat "$nd/devices/$fpfn/namespace")
# Not vacuous: nd_pmem is in the module root, its aliases are the ones the
# devices have, and it is modprobe's configuration (the install line of
# daxgup.conf) that loads daxgup_pmem in its place.
ndko=$(modinfo -b "$kmods" -n nd_pmem 2>/dev/null)
aliases=$(modprobe -R "$(cat "$nd/devices/$fns/modalias")" 2>/dev/null | sort | paste -sd' ')
inst=$(modprobe -n -v nd_pmem 2>&1 | grep -m1 '^install ')
echo "# nd_pmem: ${ndko:-not found}; $fns's modalias resolves to: ${aliases:-nothing}; ${inst:-no install command}"
out=$( { modprobe nd_pmem; modprobe -b "$(cat "$nd/devices/$fns/modalias")";
	 modprobe -b "$(cat "$nd/devices/$fpfn/modalias")"; } 2>&1)
what="nd_pmem is installed and has the devices' aliases, yet modprobe nd_pmem, and modprobe -b of the modalias of $fns and $fpfn, load $drv and no nd_pmem"
if [ -f "$ndko" ] && [ "$aliases" = "$drv nd_pmem" ] && [ -n "$inst" ] &&
   [ ! -d /sys/module/nd_pmem ] && [ -d "/sys/module/$drv" ]; then
	tap OK "$what"
else
	echo "$out" | sed 's/^/# /'
	tap FAIL "$what"
fi

# 4. a damaged info block stays unserved
last=${DAXGUP_MOUNTS##* }
IFS=: read -r fs mnt map dev _ <<<"$last"
pfn=$(basename "$(readlink -f "/sys/block/$dev/device")")
ns=$(cat "$nd/devices/$pfn/namespace")
bind_raw() {
	release_ns "$ns"
	echo 1 >"$nd/devices/$ns/force_raw"
	echo "$ns" >"$nd/drivers/$drv/bind" && wait_blockdev "$dev"
}
served() {
	local h d
	h=$(cat "$nd/devices/$ns/holder" 2>/dev/null)
	for d in $ns $h; do
		[ -e "$nd/devices/$d/driver" ] || continue
		echo "$d by $(basename "$(readlink "$nd/devices/$d/driver")")"
		return
	done
	if [ -b "/dev/$dev" ]; then echo "/dev/$dev"; else echo absent; fi
}
settle() { cat "$nd"/devices/ndbus*/wait_probe >/dev/null 2>&1; sleep 0.5; }
xfs_io -f -c "pwrite -q -S 0x4d 0 1m" -c fsync "$mnt/installed-keep" || bail "writing $mnt/installed-keep"
sum=$(md5sum <"$mnt/installed-keep")
umount "$mnt" || bail "umount $mnt"
ndctl disable-namespace "$ns" >/dev/null 2>&1 || bail "ndctl disable-namespace $ns"
bind_raw || bail "$ns does not come up raw"
dd if="/dev/$dev" of="$tmp/info" bs=4096 skip=1 count=1 iflag=direct status=none || bail "reading the info block of $ns"
[ "$(head -c 15 "$tmp/info")" = NVDIMM_PFN_INFO ] || bail "no fsdax info block at 4 KiB of $ns"
# a field changed, the checksum left as it was
cp "$tmp/info" "$tmp/bad"
printf '\xde\xad\xbe\xef' | dd of="$tmp/bad" bs=1 seek=64 conv=notrunc status=none
dd if="$tmp/bad" of="/dev/$dev" bs=4096 seek=1 conv=notrunc,fsync oflag=direct status=none || bail "writing the damaged info block"
release_ns "$ns"
kmsg_mark "installed damaged"
ways=()
ndctl enable-namespace "$ns" >/dev/null 2>&1; settle; ways+=("ndctl enable-namespace: $(served)")
modprobe -b "$(cat "$nd/devices/$ns/modalias")" 2>/dev/null; settle; ways+=("modprobe -b modalias: $(served)")
echo "$ns" >"$nd/drivers_probe" 2>/dev/null; settle; ways+=("drivers_probe: $(served)")
log=$(kmsg_since "installed damaged")
said=$(echo "$log" | grep -m1 "refused, nothing written to it: no driver serves it")
for w in "${ways[@]}"; do echo "# $w"; done
[ -z "$said" ] || echo "# ${said#*] }"
unserved=1
for w in "${ways[@]}"; do [ "${w##*: }" = absent ] || unserved=; done
# restore it: ndctl enables the namespace, the filesystem and file are there
release_ns "$ns"
bind_raw || bail "$ns does not come up raw"
dd if="$tmp/info" of="/dev/$dev" bs=4096 seek=1 conv=notrunc,fsync oflag=direct status=none || bail "restoring the info block"
release_ns "$ns"
ndctl enable-namespace "$ns" >/dev/null 2>&1
settle
restored=
if wait_blockdev "$dev" && [ "$(served)" = "$(cat "$nd/devices/$ns/holder") by $drv" ] &&
   mount -t "$fs" -o dax=always "/dev/$dev" "$mnt" && [ "$(md5sum <"$mnt/installed-keep")" = "$sum" ]; then
	restored=1
fi
what="a damaged info block on $ns stays unserved (ndctl enable-namespace, udev's modprobe, drivers_probe), the log says no driver serves it, and restored it is served again"
if [ -n "$unserved" ] && [ -n "$said" ] && [ -n "$restored" ]; then
	tap OK "$what"
else
	echo "# restored: ${restored:-no} ($(served))"
	tap FAIL "$what"
fi

# 5. BTT on the same namespace
umount "$mnt" 2>/dev/null
out=$(ndctl create-namespace -f -e "$ns" -m sector 2>&1)
bdev=$(echo "$out" | python3 -c 'import json,sys; print(json.load(sys.stdin).get("blockdev", ""))' 2>/dev/null)
btt_ok=
bmnt=/mnt/installed-btt
if [ -n "$bdev" ] && wait_blockdev "$bdev"; then
	bdrv=$(basename "$(readlink "/sys/block/$bdev/device/driver" 2>/dev/null)")
	echo "# $ns in sector mode: /dev/$bdev, $(basename "$(readlink -f "/sys/block/$bdev/device")") served by $bdrv"
	mkdir -p "$bmnt"
	if [ "$bdrv" = "$drv" ] && mkfs.ext4 -q -F "/dev/$bdev" && mount "/dev/$bdev" "$bmnt" &&
	   xfs_io -f -c "pwrite -q -S 0x5e 0 1m" -c fsync "$bmnt/f" >/dev/null && umount "$bmnt" &&
	   mount "/dev/$bdev" "$bmnt" &&
	   [ "$(md5sum <"$bmnt/f")" = "$(head -c 1048576 /dev/zero | tr '\0' '\136' | md5sum)" ]; then
		btt_ok=1
	fi
	umount "$bmnt" 2>/dev/null
else
	echo "$out" | sed 's/^/# ndctl: /'
fi
what="ndctl create-namespace -m sector on $ns: the BTT device is served by $drv, an ext4 on it keeps a file"
if [ -n "$btt_ok" ]; then tap OK "$what"; else tap FAIL "$what"; fi

# 6. removal under a pin, on the first fsdax namespace
IFS=: read -r ffs fmnt _ fdev _ <<<"$first"
unbind_under_pin installed "$drv" "$fpfn" "$fns" "$ffs" "$fdev" "$fmnt" \
	"the unbind of $fpfn returns while an O_DIRECT read pins its DAX pages, the memory is parked until the read lands, then released, and the namespace served again"
rm -rf "$tmp"
