#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# fio_dax: O_DIRECT fio jobs whose buffers are a MAP_SHARED mapping of a file
# on each DAX filesystem (--iomem=mmapshared), against the lab's scratch
# device: write with crc32c verify data, then read it back and verify, with
# psync, io_uring, io_uring --fixedbufs (registered buffers: a long-term pin
# of the DAX file's pages) and libaio.  On this pass's share of the
# filesystems (DAXGUP_SHARE_MOUNTS: make check's two passes split them,
# FULL=1: all).
. /run/daxgup/env
set -u
mounts=${DAXGUP_SHARE_MOUNTS:-$DAXGUP_MOUNTS}
engines="psync io_uring io_uring:fixedbufs libaio"
echo "TAP version 13"
echo "1..$(($(echo "$mounts" | wc -w) * $(echo $engines | wc -w)))"
n=0
for m in $mounts; do
	IFS=: read -r fs mnt map dev drv <<<"$m"
	buf=$mnt/fio-buffers
	xfs_io -f -c "falloc 0 16m" "$buf"
	for e in $engines; do
		n=$((n + 1))
		opt=()
		[ "${e#*:}" = fixedbufs ] && opt=(--fixedbufs)
		name="$fs/$map/$drv: fio ${e%%:*}${opt:+ ${opt[*]}} O_DIRECT write+verify, buffers in a DAX mapping ($dev)"
		if out=$(fio --name="dax-${e%%:*}" --filename="$DAXGUP_SCRATCH" --rw=write --bs=64k \
			--size=32m --direct=1 --ioengine="${e%%:*}" "${opt[@]}" --iodepth=8 \
			--iomem="mmapshared:$buf" --verify=crc32c --do_verify=1 \
			--verify_fatal=1 --output-format=terse 2>&1); then
			echo "ok $n $name"
		else
			printf '%s\n' "$out" | tail -n 5 | sed 's/^/# /'
			echo "not ok $n $name"
		fi
	done
	rm -f "$buf"
done
