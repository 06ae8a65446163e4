#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# dax_env: what the lab's setup made, as TAP, so a reader sees which driver
# served which namespace: each namespace in fsdax mode with the memmap where
# it was asked, DAX on for the block device, the mount and a new file.
. /run/daxgup/env
set -u
echo "TAP version 13"
n=0
plan=$(($(echo "$DAXGUP_MOUNTS" | wc -w) * 4))
echo "1..$plan"
ok() { n=$((n + 1)); if eval "$2"; then echo "ok $n $1"; else echo "not ok $n $1"; fi; }
# "blockdev mode map" of every namespace, read once (ndctl is slow under TCG)
nslist=$(ndctl list -N 2>/dev/null | python3 -c 'import json, sys
for n in json.load(sys.stdin):
    print(n.get("blockdev", "-"), n.get("mode", "-"), n.get("map", "-"))')
for m in $DAXGUP_MOUNTS; do
	IFS=: read -r fs mnt map dev drv <<<"$m"
	sysns=$(readlink -f "/sys/block/$dev/device")
	echo "# $dev: $(basename "$sysns") driver $drv, mode fsdax, memmap $map, $fs on $mnt"
	ok "$dev ($drv): fsdax namespace with its memmap in $map" \
		"printf '%s\\n' \"\$nslist\" | grep -qx '$dev fsdax $map'"
	ok "$dev ($drv): block device offers DAX (queue/dax)" "[ \"\$(cat /sys/block/$dev/queue/dax)\" = 1 ]"
	ok "$fs on $dev mounted with dax=always" "grep -q '^/dev/$dev $mnt $fs .*dax=always' /proc/mounts"
	ok "$fs on $dev: a new file reports STATX_ATTR_DAX" \
		"xfs_io -f -c 'pwrite -q 0 64k' $mnt/.env-check && a=\$(xfs_io -c 'statx -r' $mnt/.env-check | sed -n 's/^stat.attributes = //p'); rm -f $mnt/.env-check; [ \$((a & 0x200000)) != 0 ]"
done
