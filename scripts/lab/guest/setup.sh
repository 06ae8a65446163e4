#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Guest setup: turn the raw NVDIMM namespaces into fsdax namespaces and
# put a filesystem on each, mounted -o dax=always at /mnt/dax-<fs>-<memmap>:
#   namespace0.0  -M mem (memmap in RAM)   ext4
#   namespace1.0  -M dev (memmap in pmem)  xfs
#   namespace2.0  -M dev                   ext4   (with 4 NVDIMMs)
#   namespace3.0  -M mem                   xfs -m rmapbt=1 (with 4 NVDIMMs)
# With DAXGUP_DRIVER=both (make bench) each driver serves one namespace of
# each pair of equal ones, mounted at /mnt/dax-<fs>-<memmap>-<driver>:
#   namespace0.0  -M mem  ext4  nd_pmem     namespace1.0  -M mem  ext4  daxgup_pmem
#   namespace2.0  -M dev  xfs   nd_pmem     namespace3.0  -M dev  xfs   daxgup_pmem
# and check that DAX is really on.  Leaves what the tests
# need in /run/daxgup/env and a summary in /run/daxgup/setup.tsv.
set -eu
mkdir -p /run/daxgup
say() { echo "setup: $*"; }

# Which driver serves the namespaces: with both loaded, the first one
# registered binds a new namespace, so only the chosen one is loaded here.
driver=${DAXGUP_DRIVER:-nd_pmem}
# A boot with the module root dkms installed daxgup_pmem into
# (DAXGUP_BOOT_MODULES=installed): the pmem driver is loaded as udev loads
# it, by the modalias of each nd device, with the daxgup.conf installed
# with it in effect (MODPROBE_OPTIONS: for the modprobe its install line
# runs, and for the tests).
modprobe_opts=
if grep -q '\<daxgup\.pmem=modalias\>' /proc/cmdline; then
	driver=modalias
	kmods=$(sed -n 's/.*\<daxgup\.kmods=\([^ ]*\).*/\1/p' /proc/cmdline)
	mkdir -p /run/daxgup/modprobe.d
	cp "$kmods/etc/modprobe.d/daxgup.conf" /run/daxgup/modprobe.d/ ||
		{ say "no daxgup.conf in $kmods/etc/modprobe.d"; exit 1; }
	modprobe_opts="-C /run/daxgup/modprobe.d -d $kmods"
	export MODPROBE_OPTIONS=$modprobe_opts
fi
# nd_btt: daxgup_pmem serves BTT namespaces through it, as nd_pmem does.
for m in nfit libnvdimm nd_btt dax_pmem ext4 xfs dm_delay loop; do
	modprobe "$m" 2>/dev/null || say "modprobe $m failed (built in or missing)"
done
load_daxgup() {
	[ -f "${DAXGUP_MODULE:-}" ] || { say "no daxgup_pmem.ko at ${DAXGUP_MODULE:-?}"; exit 1; }
	insmod "$DAXGUP_MODULE"
}
specs="namespace0.0:mem:ext4 namespace1.0:dev:xfs namespace2.0:dev:ext4 namespace3.0:mem:xfs"
case $driver in
nd_pmem) modprobe nd_pmem ;;
daxgup_pmem) load_daxgup ;;
# nd_pmem registers first, so it binds every new namespace; the ones
# marked for daxgup_pmem are moved over before they get a filesystem.
both) modprobe nd_pmem; load_daxgup
      specs="namespace0.0:mem:ext4:nd_pmem namespace1.0:mem:ext4:daxgup_pmem"
      specs="$specs namespace2.0:dev:xfs:nd_pmem namespace3.0:dev:xfs:daxgup_pmem" ;;
modalias)
	# what udev does for each device: modprobe -b $MODALIAS
	for a in $(cat /sys/bus/nd/devices/*/modalias | sort -u); do
		modprobe -b "$a" || say "modprobe -b $a failed"
	done
	say "loaded by modalias: $(lsmod | awk '$1 ~ /pmem/ {printf "%s ", $1}')" ;;
*) say "DRIVER=$driver: expected nd_pmem, daxgup_pmem or both"; exit 1 ;;
esac

# rebind DEV DRIVER: move the device (pfnX.Y) of block device DEV from the
# driver that holds it to DRIVER, and print the block device it then has.
rebind() {
	local dev=$1 to=$2 sysdev from
	sysdev=$(readlink -f "/sys/block/$dev/device")
	from=$(basename "$(readlink "$sysdev/driver")")
	if [ "$from" != "$to" ]; then
		echo "$(basename "$sysdev")" >"/sys/bus/nd/drivers/$from/unbind"
		echo "$(basename "$sysdev")" >"/sys/bus/nd/drivers/$to/bind"
	fi
	ls "$sysdev/block"
}

# mkfs_xfs DEV ARGS...: mkfs.xfs with exchange-range (XFS_IOC_EXCHANGE_RANGE,
# which dax_inflight uses).  Only xfsprogs 6.10 and later make such a
# filesystem (-i exchange=1); with older ones (Debian 12 has 6.1) xfs_db
# sets the feature bit in the fresh primary superblock, with its checksum.
incompat() { xfs_db -c 'sb 0' -c 'print features_incompat' "$1" 2>/dev/null | sed -n 's/^features_incompat = //p'; }
mkfs_xfs() {
	local dev=$1 inc
	shift
	mkfs.xfs -q -f "$@" -i exchange=1 "$dev" 2>/dev/null && return 0
	mkfs.xfs -q -f "$@" "$dev"
	inc=$(incompat "$dev")
	[ -n "$inc" ] || { say "$dev: xfs_db cannot read the superblock"; return 1; }
	# XFS_SB_FEAT_INCOMPAT_EXCHRANGE; -d: xfs_db 6.1 does not know the bit.
	xfs_db -x -c 'sb 0' -c "write -d features_incompat $((inc | 0x40))" "$dev" >/dev/null 2>&1
	inc=$(incompat "$dev")
	[ $((${inc:-0} & 0x40)) != 0 ] || { say "$dev: could not enable exchange-range"; return 1; }
}

# json FIELD: read one field of the JSON object ndctl printed on stdin.
json() { python3 -c 'import json,sys; print(json.load(sys.stdin).get(sys.argv[1], ""))' "$1"; }

tsv=/run/daxgup/setup.tsv
printf 'namespace\tmode\tmemmap\tblockdev\tdriver\tfs\tmount\tdax\n' >"$tsv"
mounts=
i=0
for spec in $specs; do
	IFS=: read -r ns map fs want <<<"$spec"
	if [ ! -e "/sys/bus/nd/devices/$ns" ]; then
		[ "$i" -lt 2 ] || break
		say "no $ns: is the NVDIMM there (ndctl list -RN)?"
		exit 1
	fi
	out=$(ndctl create-namespace -f -e "$ns" -m fsdax -M "$map" 2>/tmp/ndctl.err) || {
		cat /tmp/ndctl.err
		say "ndctl create-namespace -e $ns -m fsdax -M $map failed"
		exit 1
	}
	dev=$(echo "$out" | json blockdev)
	[ -b "/dev/$dev" ] || { say "$ns: no block device /dev/$dev"; exit 1; }
	[ -z "$want" ] || dev=$(rebind "$dev" "$want") || { say "$ns: cannot move it to $want"; exit 1; }
	for _ in 1 2 3 4 5; do [ -b "/dev/$dev" ] || sleep 1; done
	[ -b "/dev/$dev" ] || { say "$ns: no block device /dev/$dev"; exit 1; }
	drv=$(basename "$(readlink "/sys/block/$dev/device/driver" 2>/dev/null || echo none)")
	[ -z "$want" ] || [ "$drv" = "$want" ] || { say "$ns: served by $drv, not $want"; exit 1; }
	mnt=/mnt/dax-$fs-$map${want:+-$want}
	mkdir -p "$mnt"
	case $fs in
	# 2 MiB stripe hints make the allocators hand out PMD-aligned
	# extents, so PMD faults can map them.
	ext4) mkfs.ext4 -q -F -b 4096 -E stride=512,stripe_width=512 "/dev/$dev" ;;
	# xfs with its memmap in RAM also gets the reverse-mapping btree,
	# with which 6.12's xfs handles memory failure and device removal.
	xfs) rmap=0; [ "$map" = mem ] && rmap=1
	     mkfs_xfs "/dev/$dev" -d su=2m,sw=1 -m rmapbt=$rmap ;;
	esac
	mount -t "$fs" -o dax=always "/dev/$dev" "$mnt"
	# DAX is on only when the block device offers it, the mount kept
	# dax=always, and a new file reports STATX_ATTR_DAX (0x200000).
	qdax=$(cat "/sys/block/$dev/queue/dax")
	grep -q "^/dev/$dev $mnt $fs .*dax=always" /proc/mounts || { say "$mnt: dax=always not in /proc/mounts"; exit 1; }
	xfs_io -f -c "pwrite -q 0 4096" "$mnt/.daxcheck"
	attr=$(xfs_io -c "statx -r" "$mnt/.daxcheck" | sed -n 's/^stat.attributes = //p')
	rm -f "$mnt/.daxcheck"
	if [ "$qdax" != 1 ] || [ $((attr & 0x200000)) = 0 ]; then
		say "$mnt: DAX is off (queue/dax=$qdax, statx attributes=$attr)"
		dmesg | grep -i dax | tail -n 5
		exit 1
	fi
	printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$ns" fsdax "$map" "$dev" "$drv" "$fs" "$mnt" on >>"$tsv"
	mounts="$mounts $fs:$mnt:$map:$dev:$drv"
	i=$((i + 1))
done

# The non-DAX side of the tests' O_DIRECT I/O: a loop device on tmpfs
# (the block layer pins the user pages, the loop worker copies), and the
# same behind dm-delay, whose reads take DAXGUP_SLOW_MS (times the timeout
# scale: a debug kernel needs longer for what a test does in the window).
slow_ms=$((${DAXGUP_SLOW_MS:-2000} * ${DAXGUP_TIMEOUT_SCALE:-1}))
truncate -s 256M /tmp/scratch.img /tmp/slow.img
scratch=$(losetup -f --show /tmp/scratch.img)
slowloop=$(losetup -f --show /tmp/slow.img)
sectors=$(blockdev --getsz "$slowloop")
dmsetup create --noudevsync daxgup-slow \
	--table "0 $sectors delay $slowloop 0 $slow_ms $slowloop 0 0"
dmsetup mknodes daxgup-slow
[ -b /dev/mapper/daxgup-slow ] || { say "dm-delay device did not appear"; exit 1; }
# (The kselftests of the series make slow devices of their own.)

# The filesystems that the long filesystem-level iterations go through:
# every one, or with DAXGUP_SHARE=K/N (make check's pass K of N, without
# FULL=1) the K-th of N equal runs of them.  The mounts come in the order
# ext4 -M mem, xfs -M dev, ext4 -M dev, xfs -M mem: with two passes each
# covers both filesystems and both memmap placements.
share=${mounts# }
if [ -n "${DAXGUP_SHARE:-}" ]; then
	# shellcheck disable=SC2086 # one mount a word
	set -- $share
	k=${DAXGUP_SHARE%/*} n=${DAXGUP_SHARE#*/}
	per=$((($# + n - 1) / n))
	shift $((k * per < $# ? k * per : $#))
	share=
	while [ $# -gt 0 ] && [ "$per" -gt 0 ]; do
		share=${share:+$share }$1
		shift
		per=$((per - 1))
	done
	[ -n "$share" ] || share=${mounts# }
fi

cat >/run/daxgup/env <<ENV
# fs:mountpoint:memmap:blockdev:driver of each DAX filesystem
export DAXGUP_MOUNTS="${mounts# }"
# those of them that the long iterations use (DAXGUP_SHARE)
export DAXGUP_SHARE_MOUNTS="$share"
export DAXGUP_SCRATCH=$scratch
export DAXGUP_SLOW=/dev/mapper/daxgup-slow
export DAXGUP_SLOW_MS=$slow_ms
export DAXGUP_ITER=${DAXGUP_ITER:-1}
$([ -z "$modprobe_opts" ] || echo "export MODPROBE_OPTIONS='$modprobe_opts'")
ENV
say "ok: $i DAX filesystems"
