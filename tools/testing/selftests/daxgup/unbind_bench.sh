#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# unbind_bench: how long a normal removal of an fsdax namespace takes when
# nothing is pinned, so that the waits the series adds to memunmap_pages()
# and to a dying filesystem can be compared with a kernel without them.
# For the first two DAX mounts (-M mem and -M dev in the lab's layout):
#   unmounted  the pfn device is unbound from its driver and bound again;
#   mounted    a file was mapped, touched and unmapped (the mapping keeps
#              its DAX entries), then the pfn device is unbound under the
#              mounted filesystem; it is unmounted, bound and mounted again.
#              Only on the patched kernel: without the series the unmount
#              after such an unbind crashes.
# Only the unbind itself is timed.  DAXGUP_BENCH_REPS removals each (5),
# median with min and max, one "# json:" line each.  Leaves the mounts as
# it found them.
. /run/daxgup/env
. "$(dirname "$0")/lib.sh"
set -u
reps=${DAXGUP_BENCH_REPS:-5}
mounts=$(echo "$DAXGUP_MOUNTS" | cut -d' ' -f1-2)
echo "TAP version 13"
echo "1..$(($(echo "$mounts" | wc -w) * 2))"

now_ns() { date +%s%N; }

# stats "ms ms ...": "median min max"
stats() {
	python3 -c 'import statistics, sys
v = [float(x) for x in sys.argv[1:]]
print("%.1f %.1f %.1f" % (statistics.median(v), min(v), max(v)))' "$@"
}

# The pfn device behind a block device, and the driver bound to it.
pfn_of() { basename "$(readlink "/sys/block/$1/device")"; }


n=0
for m in $mounts; do
	IFS=: read -r fs mnt map dev drv <<<"$m"
	size_mb=$(($(blockdev --getsize64 "/dev/$dev") >> 20))
	pfn=$(pfn_of "$dev")
	for mode in unmounted mounted; do
		n=$((n + 1))
		times=()
		err=
		if [ $mode = mounted ] && [ "$DAXGUP_KERNEL" != patched ]; then
			echo "ok $n # SKIP $fs/$map/$drv: unbind under a mounted filesystem: 6.12 without the series crashes at the unmount after it (DAX entries outlive the memmap)"
			continue
		fi
		for _ in $(seq "$reps"); do
			if [ $mode = mounted ]; then
				xfs_io -f -c "truncate 64m" -c "mmap -rw 0 64m" \
					-c "mwrite -S 0x5a 0 64m" -c "munmap" "$mnt/unbind-bench" >/dev/null ||
					{ err="xfs_io on $mnt failed"; break; }
			else
				umount "$mnt" || { err="umount $mnt failed"; break; }
			fi
			t0=$(now_ns)
			echo "$pfn" >"/sys/bus/nd/drivers/$drv/unbind" || { err="unbind $pfn failed"; break; }
			t1=$(now_ns)
			times+=("$(( (t1 - t0) / 1000 )).0")
			[ $mode = unmounted ] || umount "$mnt" || { err="umount $mnt failed"; break; }
			echo "$pfn" >"/sys/bus/nd/drivers/$drv/bind" || { err="bind $pfn failed"; break; }
			wait_blockdev "$dev" || { err="/dev/$dev did not come back"; break; }
			mount -t "$fs" -o dax=always "/dev/$dev" "$mnt" || { err="mount $mnt failed"; break; }
			pfn=$(pfn_of "$dev")
		done
		name="$fs/$map/$drv: unbind a ${size_mb} MiB fsdax namespace, $mode, nothing pinned"
		if [ -n "$err" ]; then
			echo "# $err"
			echo "not ok $n $name"
			continue
		fi
		# microseconds -> milliseconds
		ms=$(for t in "${times[@]}"; do echo "${t%.0}" | awk '{printf "%.3f ", $1 / 1000}'; done)
		read -r med min max <<<"$(stats $ms)"
		echo "# $name: median $med ms (min $min, max $max, $reps runs)"
		printf '# json: {"bench": "unbind", "kernel": "%s", "release": "%s", "driver": "%s", "fs": "%s", "memmap": "%s", "size_mb": %d, "mode": "%s", "workload": "unbind %s %d MiB", "figure": "time", "unit": "ms", "reps": %d, "median": %s, "min": %s, "max": %s}\n' \
			"$DAXGUP_KERNEL" "$(uname -r)" "$drv" "$fs" "$map" "$size_mb" "$mode" "$mode" "$size_mb" "$reps" "$med" "$min" "$max"
		echo "ok $n $name"
	done
	rm -f "$mnt/unbind-bench"
done
