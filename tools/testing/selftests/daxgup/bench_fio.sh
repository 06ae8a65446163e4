#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# bench_fio.sh MODE: fio benchmarks of make bench, TAP with one "# json: "
# line per figure (median, min and max over the repetitions).
#   fs     files on each DAX filesystem (ours and the in-tree driver side
#          by side with DRIVER=both): 4 KiB random and 128 KiB sequential
#          reads and writes, psync at iodepth 1, io_uring at 1 and 32
#   raw    the same jobs on the block devices of the DAX filesystems, which
#          it unmounts first (so it runs last), or on DAXGUP_BENCH_RAW_DEVS
#   iomem  O_DIRECT reads from and writes to the scratch device (a loop
#          device on tmpfs) with the buffers in anonymous memory (malloc,
#          mmap) or in a MAP_SHARED mapping of a file on each DAX
#          filesystem: what DAX-GUP costs against anonymous memory; and
#          the same with io_uring's registered buffers (--fixedbufs:
#          long-term pins), DAXGUP_BENCH_FIXED_JOBS (empty: none), as a
#          fio run of their own, which kernels that refuse long-term pins
#          of DAX files fail for the DAX buffers
# DAXGUP_BENCH_REPS (3) runs of each, the targets taking turns in each
# round; DAXGUP_BENCH_RUNTIME (2) seconds a job; DAXGUP_BENCH_FIO_MB (256)
# MiB of file or device; DAXGUP_BENCH_MOUNTS (all) the DAX filesystems.
. /run/daxgup/env
set -eu
DAXGUP_MOUNTS=${DAXGUP_BENCH_MOUNTS:-$DAXGUP_MOUNTS}
mode=${1:?usage: bench_fio.sh fs|raw|iomem}
reps=${DAXGUP_BENCH_REPS:-3}
runtime=${DAXGUP_BENCH_RUNTIME:-2}
size=${DAXGUP_BENCH_FIO_MB:-256}
here=$(dirname "$0")
work=$(mktemp -d /tmp/bench-fio.XXXXXX)
trap 'rm -rf "$work"' EXIT
manifest=$work/manifest.tsv
: >"$manifest"

# jobs SPEC...: a fio job file, one stonewalled job per
# name:rw:bs:engine:depth[:fixedbufs].
jobs() {
	local spec name rw bs engine depth opt
	for spec in "$@"; do
		IFS=: read -r name rw bs engine depth opt <<<"$spec"
		printf '[%s]\nstonewall\nrw=%s\nbs=%s\nioengine=%s\niodepth=%s\n' \
			"$name" "$rw" "$bs" "$engine" "$depth"
		[ "$opt" != fixedbufs ] || printf 'fixedbufs=1\n'
	done
}

# run ID BENCH DRIVER MEMMAP FS TARGET BUFFER FILENAME IOMEM JOBFILE
# (the manifest gets the job file's name: iomem-fixed for registered buffers)
run() {
	local id=$1 rc=0
	fio --output-format=json --output="$work/$id.json" \
		--filename="$8" --iomem="$9" --direct=1 --size="${size}m" \
		--time_based=1 --runtime="$runtime" "${10}" >"$work/$id.err" 2>&1 || rc=$?
	printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$id" "$2" "$3" "$4" "$5" "$6" "$7" \
		"$(basename "${10}" .fio)" "$rc" >>"$manifest"
}

all="randread-4k-psync-qd1:randread:4k:psync:1 randwrite-4k-psync-qd1:randwrite:4k:psync:1
randread-4k-io_uring-qd1:randread:4k:io_uring:1 randwrite-4k-io_uring-qd1:randwrite:4k:io_uring:1
randread-4k-io_uring-qd32:randread:4k:io_uring:32 randwrite-4k-io_uring-qd32:randwrite:4k:io_uring:32
read-128k-psync-qd1:read:128k:psync:1 write-128k-psync-qd1:write:128k:psync:1
read-128k-io_uring-qd1:read:128k:io_uring:1 write-128k-io_uring-qd1:write:128k:io_uring:1
read-128k-io_uring-qd32:read:128k:io_uring:32 write-128k-io_uring-qd32:write:128k:io_uring:32"
iomem="randread-4k-psync-qd1:randread:4k:psync:1 randwrite-4k-psync-qd1:randwrite:4k:psync:1
read-128k-io_uring-qd32:read:128k:io_uring:32 write-128k-io_uring-qd32:write:128k:io_uring:32"
# shellcheck disable=SC2086
jobs ${DAXGUP_BENCH_JOBS:-$all} >"$work/all.fio"
# shellcheck disable=SC2086
jobs ${DAXGUP_BENCH_JOBS:-$iomem} >"$work/iomem.fio"
fixed="read-128k-io_uring+fixedbufs-qd32:read:128k:io_uring:32:fixedbufs
write-128k-io_uring+fixedbufs-qd32:write:128k:io_uring:32:fixedbufs"
fixed=${DAXGUP_BENCH_FIXED_JOBS-$fixed}
# shellcheck disable=SC2086
jobs $fixed >"$work/iomem-fixed.fio"

# Targets: "driver:memmap:fs:target:buffer:filename:iomem" each.
targets=()
case $mode in
fs)
	for m in $DAXGUP_MOUNTS; do
		IFS=: read -r fs mnt map dev drv <<<"$m"
		xfs_io -f -c "pwrite -q -b 2m 0 ${size}m" "$mnt/bench-fio"
		targets+=("$drv:$map:$fs:file:malloc:$mnt/bench-fio:malloc")
	done
	jobfile=$work/all.fio
	;;
raw)
	if [ -n "${DAXGUP_BENCH_RAW_DEVS:-}" ]; then
		for dev in $DAXGUP_BENCH_RAW_DEVS; do
			targets+=("$(basename "$(readlink -f "/sys/block/${dev#/dev/}/device/driver" 2>/dev/null || echo none)"):-:-:raw:malloc:$dev:malloc")
		done
	else
		for m in $DAXGUP_MOUNTS; do
			IFS=: read -r fs mnt map dev drv <<<"$m"
			umount "$mnt"
			targets+=("$drv:$map:-:raw:malloc:/dev/$dev:malloc")
		done
	fi
	jobfile=$work/all.fio
	;;
iomem)
	targets+=("-:-:-:scratch:malloc:$DAXGUP_SCRATCH:malloc")
	targets+=("-:-:-:scratch:mmap:$DAXGUP_SCRATCH:mmap")
	for m in $DAXGUP_MOUNTS; do
		IFS=: read -r fs mnt map dev drv <<<"$m"
		xfs_io -f -c "falloc 0 16m" "$mnt/bench-iomem"
		targets+=("$drv:$map:$fs:scratch:dax:$DAXGUP_SCRATCH:mmapshared:$mnt/bench-iomem")
	done
	jobfile=$work/iomem.fio
	[ -z "$fixed" ] || jobfile+=" $work/iomem-fixed.fio"
	;;
*) echo "1..0 # SKIP bench_fio.sh: unknown mode $mode"; exit 4 ;;
esac

echo "TAP version 13"
echo "# bench_fio $mode: $reps run(s) of ${runtime}s jobs over $size MiB, $(uname -r)"
n=0
for rep in $(seq "$reps"); do
	for t in "${targets[@]}"; do
		IFS=: read -r drv map fs target buffer filename mem <<<"$t"
		for j in $jobfile; do
			n=$((n + 1))
			run "$n" "$([ "$mode" = iomem ] && echo iomem || echo fio)" "$drv" "$map" \
				"$fs" "$target" "$buffer" "$filename" "$mem" "$j"
		done
	done
	echo "# round $rep of $reps done"
done
for m in $DAXGUP_MOUNTS; do
	IFS=: read -r fs mnt map dev drv <<<"$m"
	rm -f "$mnt/bench-fio" "$mnt/bench-iomem" 2>/dev/null || true
done
python3 "$here/bench_stats.py" "$manifest" "$(uname -r)" "$runtime"
