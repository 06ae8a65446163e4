#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# dax_rmmod: removing the module of the driver that serves the DAX
# filesystems.  For each driver of the lab's mounts:
#   1. while its filesystems are mounted and a process has a file of each
#      mapped, rmmod must refuse (the mounted block devices hold the module);
#   2. the filesystems and the mappings keep working;
#   3. once the mappings are gone and the filesystems unmounted, rmmod must
#      succeed and release every namespace it served;
#   4. loaded again, the driver binds the same namespaces, the filesystems
#      mount and what was written through the mappings is there; before
#      that, daxgup_pmem must refuse to load with its parameter out of range.
# A driver built into the kernel cannot be removed: SKIP.
. /run/daxgup/env
. "$(dirname "$0")/lib.sh"
set -u
echo "TAP version 13"
drivers=$(for m in $DAXGUP_MOUNTS; do echo "${m##*:}"; done | sort -u)
# (daxgup_pmem: one more, its module parameter out of range)
echo "1..$(($(echo "$drivers" | wc -w) * 4 + $(echo "$drivers" | grep -c '^daxgup_pmem$')))"

# The holder maps FILE shared, writes a pattern through the mapping, says
# so on stdout, and on SIGUSR1 exits 0 if the mapping still holds the
# pattern and a new store through it reads back.  It is the background
# job itself (exec), so that the signal reaches it.
holder() {
	exec python3 -u - "$1" <<'EOF'
import mmap, os, signal, sys
signal.pthread_sigmask(signal.SIG_BLOCK, [signal.SIGUSR1])
fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT, 0o644)
os.ftruncate(fd, 1 << 16)
m = mmap.mmap(fd, 1 << 16)
m[:] = b"\x3c" * (1 << 16)
print("mapped", flush=True)
signal.sigwait([signal.SIGUSR1])
ok = m[:] == b"\x3c" * (1 << 16)
m[0:4096] = b"\x3c" * 4096
sys.exit(0 if ok and m[0:4096] == b"\x3c" * 4096 else 1)
EOF
}

# pattern BYTE: the md5sum of 64 KiB of BYTE (octal escape for tr)
pattern() { head -c 65536 /dev/zero | tr '\0' "$1" | md5sum; }

for drv in $drivers; do
	mine=$(for m in $DAXGUP_MOUNTS; do [ "${m##*:}" = "$drv" ] && echo "$m"; done)
	if [ ! -e "/sys/module/$drv/refcnt" ]; then
		for _ in 1 2 3 4; do
			tap SKIP "$drv: removal" "built into the kernel"
		done
		continue
	fi

	# 1. mounted and mapped: refused
	pids=() fifos=()
	for m in $mine; do
		IFS=: read -r _ mnt _ _ _ <<<"$m"
		fifo=/tmp/rmmod-holder.$$.${#pids[@]}
		mkfifo "$fifo"
		holder "$mnt/rmmod-mapped" >"$fifo" &
		pids+=($!) fifos+=("$fifo")
	done
	for fifo in "${fifos[@]}"; do
		read -r -t $((60 * ${DAXGUP_TIMEOUT_SCALE:-1})) line <"$fifo" && [ "$line" = mapped ] || { echo "Bail out! a holder did not map its file"; exit 1; }
		rm -f "$fifo"
	done
	out=$(rmmod "$drv" 2>&1)
	rc=$?
	if [ $rc -ne 0 ] && [ -e "/sys/module/$drv" ]; then
		tap OK "$drv: rmmod is refused while its filesystems are mounted and mapped ($out)"
	else
		tap FAIL "$drv: rmmod is refused while its filesystems are mounted and mapped"
	fi

	# 2. still working
	bad=0
	for pid in "${pids[@]}"; do
		kill -USR1 "$pid"
		wait "$pid" || bad=1
	done
	for m in $mine; do
		IFS=: read -r fs mnt _ dev _ <<<"$m"
		grep -q "^/dev/$dev $mnt $fs " /proc/mounts || bad=1
		xfs_io -f -c "pwrite -q -S 0x3d 0 64k" -c fsync "$mnt/rmmod-written" || bad=1
	done
	if [ $bad = 0 ]; then
		tap OK "$drv: the filesystems and their mappings keep working"
	else
		tap FAIL "$drv: the filesystems and their mappings keep working"
	fi

	# 3. unmounted: removed, namespaces released
	for m in $mine; do
		IFS=: read -r _ mnt _ _ _ <<<"$m"
		umount "$mnt" || { echo "Bail out! umount $mnt"; exit 1; }
	done
	out=$(rmmod "$drv" 2>&1)
	rc=$?
	left=
	for m in $mine; do
		IFS=: read -r _ _ _ dev _ <<<"$m"
		[ ! -b "/dev/$dev" ] || left="$left $dev"
	done
	if [ $rc -eq 0 ] && [ ! -e "/sys/module/$drv" ] && [ -z "$left" ]; then
		tap OK "$drv: rmmod succeeds once its filesystems are unmounted, and releases its namespaces"
	else
		echo "# rmmod exit $rc: $out; block devices left:${left:- none}"
		tap FAIL "$drv: rmmod succeeds once its filesystems are unmounted, and releases its namespaces"
	fi

	# 4. loaded again (ours first with its parameter out of range)
	if [ "$drv" = daxgup_pmem ]; then
		bad=0
		for v in 0 3601 ten; do
			kmsg_mark "rmmod param $v"
			if insmod "$DAXGUP_MODULE" pin_wait_report_secs=$v 2>/dev/null; then
				echo "# insmod with pin_wait_report_secs=$v succeeded"
				rmmod "$drv"
				bad=1
			elif ! kmsg_since "rmmod param $v" | grep -q "pin_wait_report_secs"; then
				echo "# insmod with pin_wait_report_secs=$v failed without saying why"
				bad=1
			fi
		done
		what="$drv: insmod with pin_wait_report_secs 0, 3601 or 'ten' fails and says why"
		if [ $bad = 0 ]; then
			tap OK "$what"
		else
			tap FAIL "$what"
		fi
		insmod "$DAXGUP_MODULE"
	else
		modprobe "$drv"
	fi
	bad=0
	for m in $mine; do
		IFS=: read -r fs mnt _ dev _ <<<"$m"
		if ! wait_blockdev "$dev"; then
			echo "# /dev/$dev did not come back"
			bad=1
			continue
		fi
		now=$(basename "$(readlink -f "/sys/block/$dev/device/driver")")
		[ "$now" = "$drv" ] || { echo "# /dev/$dev is served by $now"; bad=1; }
		mount -t "$fs" -o dax=always "/dev/$dev" "$mnt" || { bad=1; continue; }
		[ "$(md5sum <"$mnt/rmmod-mapped")" = "$(pattern '\074')" ] || {
			echo "# $mnt/rmmod-mapped lost what was stored through its mapping"
			bad=1
		}
		[ "$(md5sum <"$mnt/rmmod-written")" = "$(pattern '\075')" ] || {
			echo "# $mnt/rmmod-written lost what was written"
			bad=1
		}
		rm -f "$mnt/rmmod-mapped" "$mnt/rmmod-written"
	done
	if [ $bad = 0 ]; then
		tap OK "$drv: loaded again, it serves the same namespaces and the files are intact"
	else
		tap FAIL "$drv: loaded again, it serves the same namespaces and the files are intact"
	fi
done
