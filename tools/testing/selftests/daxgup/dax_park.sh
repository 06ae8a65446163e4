#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# dax_park: removing an fsdax namespace while a page of it is still in use
# must not wait for that page: the driver "parks" the memory of the pages
# in use until the last reference goes.  For each driver of the lab's
# mounts, on its first mount:
#   1. its pfn device is unbound from the driver while an O_DIRECT read
#      from a slow device (dm-delay, reads take 15 s) into a MAP_SHARED
#      mapping of a file on it is in flight (GUP pins the DAX pages): the
#      unbind must return before the read does, and the read must land in
#      full;
#   2. meanwhile the memory is parked (daxgup_pmem: its "parked" file lists
#      the namespace; nd_pmem: "memremap: parked" in the kernel log) and
#      binding the pfn device again fails with EBUSY and leaves it unbound;
#   3. with every filesystem of the driver unmounted (the removed one stays
#      mounted while the reader maps a file on it, and its block device
#      then holds the module as well), rmmod is refused and the removal
#      took a reference on the module: the parked memory pins it;
#   4. once the read landed, the reader exited and the removed filesystem
#      is unmounted (on stock and base the pages stay tied to its files
#      until then), the memory is released, rmmod succeeds, and the driver
#      loaded again serves every namespace, which mount again with a file
#      written before the removal intact;
#   5. a pipe holding 64 KiB of a DAX mapping (vmsplice) does not hold the
#      unbind up: on the patched kernel the pipe holds a copy and nothing
#      needs parking, on stock it holds the pages (parked, and binding is
#      refused until they are released); the pipe must return what was
#      put in it, and once it is drained and the filesystem unmounted the
#      namespace binds and mounts again;
#   6. on the driver's xfs with rmapbt (-M mem), an unmount is under way and
#      waits in the eviction of a file whose pages the same kind of read
#      pins (the reader unmapped and closed the file), and the namespace is
#      removed: the removal and the unmount must both return while the read
#      is in flight (with rmapbt, xfs is the DAX device's holder and freezes
#      itself on removal, which needs the s_umount that the unmount holds),
#      the read must land in full, and the namespace must come back and
#      mount.  On stock and base an unmount does not wait for pinned pages
#      (dax_inflight's umount case), so there is no unmount in progress to
#      test: SKIP;
#   7. a get_user_pages() that has pinned a DAX page and then sleeps in a
#      fault on the next page of its buffer (a private mapping of the slow
#      device: the fault reads the page, 15 s) does not hold up the
#      removal: the removal must return while the fault is still being
#      served, and the read must land in full once it is.  On 6.12 GUP
#      keeps the pagemap reference of the page it pinned across that
#      fault, and the removal, which drains those references, waits for
#      the fault (XFAIL on stock and base);
#   8. on the same xfs, frozen (fsfreeze) and unmounted while the read pins
#      a page of a file that nothing maps or opens any more (the freeze
#      keeps the superblock, so umount returns), then removed: xfs's
#      removal notification thaws it and drops the last reference, which
#      runs the rest of the unmount inside the removal; its eviction must
#      not wait for the pinned page: the removal returns while the read is
#      in flight, the read lands in full, the namespace comes back.  SKIP
#      on stock and base, as case 6;
#   9. (daxgup_pmem, stock and base) every filesystem of the driver is
#      unmounted while the same kind of read pins a page of an unmapped
#      file (6.12's unmount does not wait for it), the namespaces still
#      bound: rmmod must be refused at once (the pages in use after the
#      disk's last close hold the module), not wait for the read in the
#      removal it starts, where an interrupted wait could only leave the
#      memory mapped until reboot; once the read landed, rmmod works and
#      the driver loaded again serves every namespace.  SKIP on the
#      patched kernel, whose unmount waits for the page (no page is in
#      use after the last close), and for nd_pmem (see below).
# nd_pmem parks only on the patched kernel: on stock and base it crashes
# the guest when memory under DMA is removed (see known-crashes and
# dax_unbind), so its cases are SKIP there and nothing is removed.
. /run/daxgup/env
. "$(dirname "$0")/lib.sh"
set -u
echo "TAP version 13"
drivers=$(for m in $DAXGUP_MOUNTS; do echo "${m##*:}"; done | sort -u)
echo "1..$(($(echo "$drivers" | wc -w) * 9))"

nd=/sys/bus/nd
slow=daxgup-park-slow
tmp=/tmp/dax_park.$$
# The hang detector of every wait below (a removal, the read, a child's
# exit, a release): each normally takes seconds at most.  It is not a
# timing assertion, only what turns a hang into a failure with evidence.
hang=$((60 * ${DAXGUP_TIMEOUT_SCALE:-1}))
mkdir -p "$tmp"

# The pfn device (pfnX.Y) behind each block device, while they are bound.
declare -A pfn_of
for m in $DAXGUP_MOUNTS; do
	IFS=: read -r _ _ _ dev _ <<<"$m"
	pfn_of[$dev]=$(basename "$(readlink -f "/sys/block/$dev/device")")
done

# (reader_py, the pinning reader: lib.sh)

# unmapper FILE DEV: like the reader, but once the read is submitted, from
# another thread, unmap FILE and close it, say "unmapped", and let the read
# go on into pages that nothing maps any more; then say "read <bytes>".
unmapper_py='
import ctypes, os, sys, threading, time
libc = ctypes.CDLL(None, use_errno=True)
libc.mmap.restype = ctypes.c_void_p
libc.mmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int,
                      ctypes.c_int, ctypes.c_int, ctypes.c_long]
libc.munmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t]
n = 2 << 20
fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT | os.O_TRUNC, 0o644)
os.ftruncate(fd, n)
addr = libc.mmap(None, n, 3, 1, fd, 0)
if addr is None or addr == ctypes.c_void_p(-1).value:
    print("mmap failed: %s" % os.strerror(ctypes.get_errno()), flush=True)
    sys.exit(1)
ctypes.memset(addr, 0x5a, n)
buf = (ctypes.c_char * n).from_address(addr)
dev = os.open(sys.argv[2], os.O_RDONLY | os.O_DIRECT)
res = []
def read():
    try:
        res.append("read %d" % os.preadv(dev, [buf], 0))
    except OSError as e:
        res.append("read failed: %s" % e)
t = threading.Thread(target=read)
t.start()
time.sleep(2)
libc.munmap(addr, n)
os.close(fd)
print("unmapped", flush=True)
t.join()
print(res[0], flush=True)
sys.stdin.read()
'

# stalled FILE SLOW SRC: a 2-page buffer whose first page is FILE's (DAX,
# not touched yet) and whose second is a private, writable mapping of SLOW
# at 64 MiB (not cached: a write fault reads it first, 15 s); say "ready",
# then read 8 KiB from SRC with O_DIRECT into the buffer: GUP faults the
# DAX page in and pins it, then sleeps in the fault on the second page.
stalled_py='
import ctypes, os, sys
libc = ctypes.CDLL(None, use_errno=True)
libc.mmap.restype = ctypes.c_void_p
libc.mmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int,
                      ctypes.c_int, ctypes.c_int, ctypes.c_long]
P = 4096
fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT | os.O_TRUNC, 0o644)
os.pwrite(fd, b"\x5a" * P, 0)
slow = os.open(sys.argv[2], os.O_RDONLY)
os.posix_fadvise(slow, 64 << 20, 2 * P, os.POSIX_FADV_DONTNEED)
addr = libc.mmap(None, 2 * P, 3, 2, slow, 64 << 20)
if addr is None or addr == ctypes.c_void_p(-1).value:
    print("mmap failed: %s" % os.strerror(ctypes.get_errno()), flush=True)
    sys.exit(1)
if libc.mmap(addr, P, 3, 0x11, fd, 0) != addr:
    print("mmap of the file failed: %s" % os.strerror(ctypes.get_errno()), flush=True)
    sys.exit(1)
src = os.open(sys.argv[3], os.O_RDONLY | os.O_DIRECT)
buf = (ctypes.c_char * (2 * P)).from_address(addr)
print("ready", flush=True)
try:
    print("read %d" % os.preadv(src, [buf], 0), flush=True)
except OSError as e:
    print("read failed: %s" % e, flush=True)
sys.stdin.read()
'

# what the reader says once its read returned (not "ready")
readre='^read ([0-9]+|failed)'
# landed FILE: the reader's output FILE has the result of the read
landre=$'\n''read ([0-9]+|failed)'
landed() { local s; s=$'\n'$(<"$1"); [[ $s =~ $landre ]]; }

# splicer FILE: map FILE (64 KiB) shared, write it, vmsplice() all of the
# mapping into a pipe, say "ready"; once stdin closes, drain the pipe and
# say "drained <bytes> intact|differs".
splicer_py='
import ctypes, mmap, os, sys
class iovec(ctypes.Structure):
    _fields_ = [("base", ctypes.c_void_p), ("len", ctypes.c_size_t)]
libc = ctypes.CDLL(None, use_errno=True)
n = 1 << 16
fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT | os.O_TRUNC, 0o644)
os.ftruncate(fd, n)
m = mmap.mmap(fd, n)
m[:] = b"\x6b" * n
r, w = os.pipe()
iov = iovec(ctypes.addressof(ctypes.c_char.from_buffer(m)), n)
got = libc.vmsplice(w, ctypes.byref(iov), 1, 0)
if got != n:
    print("vmsplice returned %d: %s" % (got, os.strerror(ctypes.get_errno())))
    sys.exit(1)
print("ready", flush=True)
sys.stdin.read()
data = b""
while len(data) < n:
    chunk = os.read(r, n - len(data))
    if not chunk:
        break
    data += chunk
print("drained %d %s" % (len(data), "intact" if data == b"\x6b" * n else "differs"),
      flush=True)
'

# pattern BYTE: the md5sum of 64 KiB of BYTE (octal escape for tr)
pattern() { head -c 65536 /dev/zero | tr '\0' "$1" | md5sum; }
mounted() { grep -q "^/dev/$1 $2 " /proc/mounts; }
bound() { [ -e "$nd/devices/$1/driver" ]; }
modref() { local r; read -r r 2>/dev/null <"/sys/module/$1/refcnt" || r=none; echo "$r"; }
load() { if [ "$1" = daxgup_pmem ]; then insmod "$DAXGUP_MODULE"; else modprobe "$1"; fi; }
# bind_pfn DRV PFN: prints why the write failed, if it did
bind_pfn() { { echo "$2" >"$nd/drivers/$1/bind"; } 2>&1; }

# wait_line FILE REGEX PID: wait until a line of FILE matches REGEX; fails
# when PID exits without it, or after $hang s.
wait_line() {
	local i
	for ((i = 0; i < hang * 10; i++)); do
		grep -qE "$2" "$1" && return 0
		kill -0 "$3" 2>/dev/null || break
		sleep 0.1
	done
	grep -qE "$2" "$1"
}

# wait_exit PID: wait up to $hang s for PID to exit; 0 if it did.
wait_exit() {
	local i
	for ((i = 0; i < hang * 10; i++)); do
		kill -0 "$1" 2>/dev/null || return 0
		sleep 0.1
	done
	return 1
}

# stuck PID: how a process that does not return is waiting
stuck() {
	echo "# pid $1: $(grep '^State' "/proc/$1/status" 2>/dev/null)," \
		"wchan $(cat "/proc/$1/wchan" 2>/dev/null)"
	sed 's/^/#   /' "/proc/$1/stack" 2>/dev/null
}

# nd_write bind|unbind DRV PFN [FILE]: write PFN to DRV's bind or unbind
# file in the background, so that a write that hangs is seen.  Sets
# nd_ms (how long it took) and nd_err (why it failed); FILE (the reader's
# output) is copied to $tmp/at-bind or at-unbind as soon as the write
# returns.  A write
# still running after 1 s has its kernel stack printed (evidence of what
# it waits for, not a judgement).  0 if it returned and succeeded, 1 if it
# failed, 2 if it hangs ($hang s).  The kernel log gets a line before and
# after the write, to place it among the driver's messages.
hung=
nd_write() {
	local pid rc t0 i
	rm -f "$tmp/at-$1" "$tmp/write.end" "$tmp/write.stack"
	echo "dax_park: $1 $3 ($2)" >/dev/kmsg
	t0=$(date +%s%N)
	(
		rc=0
		echo "$3" >"$nd/drivers/$2/$1" || rc=1
		date +%s%N >"$tmp/write.end"
		echo "dax_park: $1 $3 ($2) returned $rc" >/dev/kmsg
		[ -z "${4:-}" ] || cp "$4" "$tmp/at-$1"
		exit $rc
	) 2>"$tmp/write.err" &
	pid=$!
	for ((i = 0; i < hang * 10; i++)); do
		kill -0 $pid 2>/dev/null || break
		[ $i != 10 ] || stuck $pid >"$tmp/write.stack"
		sleep 0.1
	done
	if kill -0 $pid 2>/dev/null; then
		echo "# the $1 of $3 (driver $2) did not return within $hang s"
		stuck $pid
		hung=$pid
		return 2
	fi
	wait $pid
	rc=$?
	nd_ms=$((($(cat "$tmp/write.end") - t0) / 1000000))
	nd_err=$(cat "$tmp/write.err")
	if [ -s "$tmp/write.stack" ]; then
		echo "# the $1 of $3 was still running after 1 s:"
		cat "$tmp/write.stack"
	fi
	[ $rc = 0 ] || return 1
}

# parked_line DRV NS START MARK: what says that NS's memory is parked
# (daxgup_pmem: its line in the parked file; nd_pmem: the kernel log line
# since MARK, for the namespace starting at START), nothing if it is not.
parked_line() {
	if [ "$1" = daxgup_pmem ]; then
		grep "^$2 " "$nd/drivers/$1/parked" 2>/dev/null
	else
		kmsg_since "$4" | grep -m1 "memremap: parked $3-"
	fi
}

# released DRV NS START MARK: whether NS's parked memory was released
released() {
	if [ "$1" = daxgup_pmem ]; then
		! grep -q "^$2 " "$nd/drivers/$1/parked" 2>/dev/null
	else
		kmsg_since "$4" | grep -q "memremap: released $3-"
	fi
}

# wait_released DRV NS START MARK: poll every 100 ms; the $hang s limit
# only detects a release that never comes (the driver looks again at
# pages tied to files with a backoff of up to 8 s).
wait_released() {
	local i
	for ((i = 0; i < hang * 10; i++)); do
		released "$@" && return 0
		sleep 0.1
	done
	return 1
}

# released_before TEXT: whether $log (the kernel log of a case) has a
# release ($relre) before the line with TEXT
released_before() {
	awk -v t="$1" -v r="$relre" 'index($0, t) { exit } $0 ~ r { f = 1; exit }
		END { exit !f }' <<<"$log"
}

# bring_back DEV DRV: /dev/DEV back, binding its pfn device to DRV if it
# did not come back by itself; 0 if it is there.
bring_back() {
	wait_blockdev "$1" && return 0
	bound "${pfn_of[$1]}" || bind_pfn "$2" "${pfn_of[$1]}" >/dev/null
	wait_blockdev "$1"
}

# Children, their stdin, and the cleanup of every path: they are let go,
# the slow device removed, and every filesystem brought back if it can be.
rpid='' spid='' upid='' gpid='' rin='' sin=''
cleanup() {
	local m fs mnt dev drv pid i end
	[ -z "$rin" ] || exec {rin}>&-
	[ -z "$sin" ] || exec {sin}>&-
	for pid in $rpid $spid $upid $gpid; do
		kill -0 "$pid" 2>/dev/null || continue
		kill -KILL "$pid" 2>/dev/null
		wait_exit "$pid" || echo "# cleanup: child $pid does not exit"
	done
	# a reader killed in its read goes once the read lands (15 s)
	if dmsetup info "$slow" >/dev/null 2>&1; then
		for ((i = 0; i < hang * 10; i++)); do
			dmsetup remove --noudevsync "$slow" 2>/dev/null && break
			sleep 0.1
		done
		dmsetup mknodes
		! dmsetup info "$slow" >/dev/null 2>&1 || echo "# cleanup: cannot remove $slow"
	fi
	if [ -n "$hung" ]; then
		echo "# cleanup: an unbind hangs (pid $hung): leaving the namespaces as they are"
	else
		for drv in $drivers; do
			[ -e "/sys/module/$drv" ] || load "$drv" ||
				echo "# cleanup: cannot load $drv"
		done
		for m in $DAXGUP_MOUNTS; do
			IFS=: read -r fs mnt _ dev drv <<<"$m"
			mounted "$dev" "$mnt" && continue
			# parked memory may still be on its way out: retry the bind
			end=$((SECONDS + hang))
			until bring_back "$dev" "$drv"; do
				[ $SECONDS -lt $end ] || break
				sleep 1
			done
			mount -t "$fs" -o dax=always "/dev/$dev" "$mnt" ||
				echo "# cleanup: cannot mount $mnt again"
		done
	fi
	for m in $DAXGUP_MOUNTS; do
		IFS=: read -r _ mnt _ _ _ <<<"$m"
		rm -f "$mnt/park-read" "$mnt/park-pipe" "$mnt/park-kept" "$mnt/park-umount" \
			"$mnt/park-stall" "$mnt/park-frozen" "$mnt/park-rmmod"
	done
	rm -rf "$tmp"
}
trap cleanup EXIT

# Reads from the slow device take 15 s, longer on slower kernels (debug):
# every step of a case must fit in that window (the longest, case 6's
# unmount, takes about 5 s in the lab's TCG guest).
slow_ms=$((15000 * ${DAXGUP_TIMEOUT_SCALE:-1}))
sectors=$(blockdev --getsz "$DAXGUP_SCRATCH")
dmsetup create --noudevsync "$slow" \
	--table "0 $sectors delay $DAXGUP_SCRATCH 0 $slow_ms $DAXGUP_SCRATCH 0 0" &&
	dmsetup mknodes "$slow"
[ -b "/dev/mapper/$slow" ] || { echo "Bail out! cannot make the dm-delay device $slow"; exit 1; }

desc=(""
	"removal returns while an O_DIRECT read into a DAX mapping is in flight,
 and the read lands in full"
	"the namespace is refused while its memory is parked"
	"rmmod of the driver is refused while memory of it is parked"
	"once the last reference goes, the memory is released, and rmmod and a new load work"
	"a page held in a pipe does not hold up the removal,
 and the namespace comes back once the pipe is drained"
	"xfs with rmapbt: an unmount waiting for a pinned page and the removal
 both return while the read is in flight, and the namespace comes back"
	"a GUP that pinned a DAX page and sleeps in a fault on the next page
 does not hold up the removal"
	"xfs with rmapbt, frozen and unmounted with a page pinned: the removal
 finishes the unmount without waiting for the page"
	"the filesystems unmounted under a pinned page, the namespaces bound:
 rmmod is refused until the page is let go, then works")
desc=("${desc[@]//$'\n'/}")

# Results go out in case order: case 1 is judged once the read landed,
# after cases 2 and 3.  result CASE OK|FAIL|SKIP [REASON]
declare -A res why
next=1
result() {
	res[$1]=$2 why[$1]=${3:-}
	while [ -n "${res[$next]:-}" ]; do
		[ "${res[$next]}" != FAIL ] || echo "# ${why[$next]}"
		tap "${res[$next]}" "$drv: ${desc[$next]}" "${why[$next]}"
		next=$((next + 1))
	done
}
# bad WHY: add a reason to $problems
bad() { problems="${problems:+$problems; }$*"; }

# case_stall: case 7 for $drv, on the first mount
case_stall() {
	local infault got gerr log7 state i attr
	problems=
	if ! mounted "$dev" "$mnt"; then
		result 7 FAIL "$mnt is not mounted: nothing to test"
		return
	fi
	mark="park stall $idx"
	kmsg_mark "$mark"
	rm -f "$tmp/in" && mkfifo "$tmp/in"
	python3 -u -c "$stalled_py" "$mnt/park-stall" "/dev/mapper/$slow" "$DAXGUP_SCRATCH" \
		<"$tmp/in" >"$tmp/stalled" 2>&1 &
	gpid=$!
	exec {rin}>"$tmp/in"
	if ! wait_line "$tmp/stalled" '^ready$' "$gpid"; then
		sed 's/^/# stalled: /' "$tmp/stalled"
		result 7 FAIL "the reader on $mnt did not start"
		return
	fi
	attr=$(xfs_io -c "statx -r" "$mnt/park-stall" | sed -n 's/^stat.attributes = //p')
	if [ $((attr & 0x200000)) = 0 ]; then
		result 7 FAIL "$mnt/park-stall is not a DAX file (statx attributes $attr)"
		return
	fi
	# until GUP sleeps in the fault on the second page ($hang s at most)
	for ((i = 0; i < hang * 10; i++)); do
		grep -qs handle_mm_fault "/proc/$gpid/stack" && break
		sleep 0.1
	done
	if ! grep -qs handle_mm_fault "/proc/$gpid/stack"; then
		stuck "$gpid"
		result 7 FAIL "the reader did not come to sleep in a fault within $hang s"
		return
	fi
	nd_write unbind "$drv" "$pfn" "$tmp/stalled"
	urc=$?
	if [ $urc = 2 ]; then
		result 7 FAIL "the unbind of $pfn did not return within $hang s"
		echo "Bail out! the removal hangs"
		exit 1
	fi
	# whether GUP was still serving the fault when the unbind returned
	infault=
	! grep -qs handle_mm_fault /proc/"$gpid"/stack || infault=1
	gerr=$nd_err
	state="no longer"
	[ -z "$infault" ] || state=still
	echo "# unbind of $pfn from $drv took $nd_ms ms${gerr:+: $gerr};" \
		"the reader was $state in the fault then"
	[ $urc = 0 ] || bad "the unbind failed: $gerr"
	wait_line "$tmp/stalled" "$readre" "$gpid" || bad "no result of the read within $hang s"
	got=$(grep -m1 -E "$readre" "$tmp/stalled")
	echo "# reader: ${got:-nothing}"
	[ "$got" = "read 8192" ] || bad "the read did not land in full: ${got:-no result}"
	exec {rin}>&-
	rin=
	if wait_exit "$gpid"; then
		wait "$gpid"
		gpid=
	else
		bad "the reader did not exit within $hang s of its stdin closing"
	fi
	log7=$(kmsg_since "$mark")
	grep -E "parked|released|dax_park:" <<<"$log7" | sed 's/^/# log: /'
	if mounted "$dev" "$mnt" && ! out=$(umount "$mnt" 2>&1); then
		bad "umount $mnt: $out"
		umount -l "$mnt"
	fi
	if grep -qE "$pfn: parked |memremap: parked $start-" <<<"$log7" &&
	   ! wait_released "$drv" "$ns" "$start" "$mark"; then
		bad "$ns not released $hang s after the read landed:" \
			"$(parked_line "$drv" "$ns" "$start" "$mark")"
	fi
	if bring_back "$dev" "$drv"; then
		out=$(mount -t "$fs" -o dax=always "/dev/$dev" "$mnt" 2>&1) || bad "mount $mnt: $out"
	else
		bad "/dev/$dev did not come back"
	fi
	rm -f "$mnt/park-stall"
	if [ -z "$infault" ]; then
		if [ "${DAXGUP_KERNEL:-}" != patched ] && [ -z "$problems" ]; then
			result 7 XFAIL "known bug of $DAXGUP_KERNEL: GUP keeps the pagemap reference of a pinned page across a fault on a later page, and the removal waits for that fault"
			return
		fi
		bad "the unbind returned only once the fault on the next page had been served"
	fi
	if [ -z "$problems" ]; then
		result 7 OK
	else
		result 7 FAIL "$problems"
	fi
}

# case_frozen: case 8 for $drv, on its xfs with rmapbt among $mine
case_frozen() {
	local f m map d umnt udev upfn uns ustart got log8 out
	problems=
	if [ "${DAXGUP_KERNEL:-}" != patched ]; then
		result 8 SKIP "on $DAXGUP_KERNEL an unmount does not wait for pinned DAX pages (dax_inflight's umount case): nothing to finish without waiting"
		return
	fi
	umnt=
	while IFS=: read -r f m map d _; do
		if [ "$f" = xfs ] && [ "$map" = mem ]; then
			umnt=$m udev=$d
			break
		fi
	done <<<"$mine"
	if [ -z "$umnt" ] || ! mounted "$udev" "$umnt" || ! xfs_info "$umnt" | grep -q 'rmapbt=1'; then
		result 8 SKIP "$drv serves no mounted xfs with rmapbt"
		return
	fi
	upfn=${pfn_of[$udev]}
	uns=$(cat "$nd/devices/$upfn/namespace")
	ustart=$(printf '%#x' "$(cat "$nd/devices/$uns/resource")")
	mark="park frozen $idx"
	kmsg_mark "$mark"
	rm -f "$tmp/in" && mkfifo "$tmp/in"
	python3 -u -c "$unmapper_py" "$umnt/park-frozen" "/dev/mapper/$slow" <"$tmp/in" \
		>"$tmp/unmapper" 2>&1 &
	upid=$!
	exec {rin}>"$tmp/in"
	if ! wait_line "$tmp/unmapper" '^unmapped$' "$upid"; then
		sed 's/^/# unmapper: /' "$tmp/unmapper"
		result 8 FAIL "the unmapper on $umnt did not start its read"
		return
	fi
	out=$(fsfreeze -f "$umnt" 2>&1) || bad "fsfreeze -f $umnt: $out"
	# the freeze holds the superblock: umount only detaches it ($hang s
	# at most, a hang detector)
	out=$(timeout "$hang" umount "$umnt" 2>&1) || bad "umount of frozen $umnt: $out"
	if [ -n "$problems" ]; then
		result 8 FAIL "$problems"
		return
	fi
	nd_write unbind "$drv" "$upfn" "$tmp/unmapper"
	urc=$?
	if [ $urc = 2 ]; then
		result 8 FAIL "the unbind of $upfn did not return within $hang s after $umnt was frozen and unmounted"
		echo "Bail out! the removal hangs"
		exit 1
	fi
	echo "# unbind of $upfn from $drv took $nd_ms ms${nd_err:+: $nd_err}"
	[ $urc = 0 ] || bad "the unbind failed: $nd_err"
	! landed "$tmp/at-unbind" || bad "the unbind returned only after the read had landed"
	wait_line "$tmp/unmapper" "$readre" "$upid" || bad "no result of the read within $hang s"
	got=$(grep -m1 -E "$readre" "$tmp/unmapper")
	echo "# unmapper: ${got:-nothing}"
	[ "$got" = "read 2097152" ] || bad "the read did not land in full: ${got:-no result}"
	exec {rin}>&-
	rin=
	if wait_exit "$upid"; then
		wait "$upid"
		upid=
	else
		bad "the unmapper did not exit within $hang s of its stdin closing"
	fi
	log8=$(kmsg_since "$mark")
	grep -E "parked|released|dax_park:|Dying|freez|about to be removed|waits for pinned" <<<"$log8" |
		sed 's/^/# log: /'
	! grep -qE "Dying superblock|already frozen by kernel|still frozen" <<<"$log8" ||
		bad "the removal's freeze or thaw met a dying superblock"
	if grep -qE "$upfn: parked |memremap: parked $ustart-" <<<"$log8" &&
	   ! wait_released "$drv" "$uns" "$ustart" "$mark"; then
		bad "$uns not released $hang s after the read landed:" \
			"$(parked_line "$drv" "$uns" "$ustart" "$mark")"
	fi
	if bring_back "$udev" "$drv"; then
		out=$(mount -t xfs -o dax=always "/dev/$udev" "$umnt" 2>&1) ||
			bad "mount $umnt again: $out"
	else
		bad "/dev/$udev did not come back (${upfn}: $(bind_pfn "$drv" "$upfn"))"
	fi
	rm -f "$umnt/park-frozen"
	if [ -z "$problems" ]; then
		result 8 OK
	else
		result 8 FAIL "$problems"
	fi
}

# case_umount: case 6 for $drv, on its xfs with rmapbt among $mine
case_umount() {
	local f m map d umnt udev upfn uns ustart umpid uurc uerr2 got log6 i
	problems=
	if [ "${DAXGUP_KERNEL:-}" != patched ]; then
		result 6 SKIP "on $DAXGUP_KERNEL an unmount does not wait for pinned DAX pages (dax_inflight's umount case): there is no unmount in progress to remove the device under"
		return
	fi
	umnt=
	while IFS=: read -r f m map d _; do
		if [ "$f" = xfs ] && [ "$map" = mem ]; then
			umnt=$m udev=$d
			break
		fi
	done <<<"$mine"
	if [ -z "$umnt" ]; then
		result 6 SKIP "$drv serves no xfs with its memmap in RAM (rmapbt)"
		return
	fi
	if ! xfs_info "$umnt" | grep -q 'rmapbt=1'; then
		result 6 SKIP "$umnt has no rmapbt: xfs is not the DAX device's holder"
		return
	fi
	upfn=${pfn_of[$udev]}
	uns=$(cat "$nd/devices/$upfn/namespace")
	ustart=$(printf '%#x' "$(cat "$nd/devices/$uns/resource")")
	echo "# $drv: xfs on $umnt, /dev/$udev: $upfn of $uns at $ustart"
	mark="park umount $idx"
	kmsg_mark "$mark"
	rm -f "$tmp/in" "$tmp/umount.end" && mkfifo "$tmp/in"
	python3 -u -c "$unmapper_py" "$umnt/park-umount" "/dev/mapper/$slow" <"$tmp/in" \
		>"$tmp/unmapper" 2>&1 &
	upid=$!
	exec {rin}>"$tmp/in"
	if ! wait_line "$tmp/unmapper" '^unmapped$' "$upid"; then
		sed 's/^/# unmapper: /' "$tmp/unmapper"
		result 6 FAIL "the unmapper on $umnt did not start its read"
		return
	fi
	# The unmount, in the background: on the patched kernel it evicts
	# park-umount and waits there for the pinned pages, s_umount held.
	echo "dax_park: umount $umnt" >/dev/kmsg
	(
		umount "$umnt" 2>"$tmp/umount.err"
		rc=$?
		cp "$tmp/unmapper" "$tmp/at-umount"
		echo "dax_park: umount $umnt returned $rc" >/dev/kmsg
		echo "$rc" >"$tmp/umount.end"
	) &
	umpid=$!
	# until the unmount waits in the eviction of park-umount ($hang s at
	# most: a hang detector, not a timing assertion)
	for ((i = 0; i < hang * 10; i++)); do
		[ ! -e "$tmp/umount.end" ] || break
		grep -qs dax_wait_idle_final "/proc/$(pgrep -P "$umpid" -x umount)/stack" && break
		sleep 0.1
	done
	if [ -e "$tmp/umount.end" ]; then
		uurc=$(cat "$tmp/umount.end")
		result 6 FAIL "umount $umnt returned ($uurc: $(cat "$tmp/umount.err")) while a page of park-umount was pinned: it did not wait in eviction"
		return
	fi
	echo "# umount $umnt, before the removal:"
	stuck "$(pgrep -P "$umpid" -x umount || echo "$umpid")"
	if ! grep -qs dax_wait_idle_final "/proc/$(pgrep -P "$umpid" -x umount)/stack"; then
		result 6 FAIL "umount $umnt did not come to wait in the eviction of park-umount within $hang s"
		return
	fi
	nd_write unbind "$drv" "$upfn" "$tmp/unmapper"
	urc=$?
	if [ $urc = 2 ]; then
		result 6 FAIL "the unbind of $upfn did not return within $hang s with an unmount of $umnt in progress"
		echo "Bail out! the removal hangs"
		exit 1
	fi
	uerr2=$nd_err
	echo "# unbind of $upfn from $drv took $nd_ms ms${uerr2:+: $uerr2}"
	if ! wait_exit "$umpid"; then
		echo "# umount $umnt has not returned $hang s after the unbind"
		stuck "$(pgrep -P "$umpid" -x umount || echo "$umpid")"
		result 6 FAIL "umount $umnt did not return within $hang s of the removal"
		echo "Bail out! the unmount hangs"
		exit 1
	fi
	uurc=$(cat "$tmp/umount.end")
	echo "# umount $umnt returned $uurc $(cat "$tmp/umount.err")"
	wait_line "$tmp/unmapper" "$readre" "$upid" || bad "no result of the read within $hang s"
	got=$(grep -m1 -E "$readre" "$tmp/unmapper")
	echo "# unmapper: ${got:-nothing}"
	[ $urc = 0 ] || bad "the unbind failed: $uerr2"
	! landed "$tmp/at-unbind" || bad "the unbind returned only after the read had landed"
	[ "$uurc" = 0 ] || bad "umount $umnt failed ($uurc): $(cat "$tmp/umount.err")"
	! landed "$tmp/at-umount" || bad "umount $umnt returned only after the read had landed"
	[ "$got" = "read 2097152" ] || bad "the read did not land in full: ${got:-no result}"
	exec {rin}>&-
	rin=
	if wait_exit "$upid"; then
		wait "$upid"
		upid=
	else
		bad "the unmapper did not exit within $hang s of its stdin closing"
		stuck "$upid"
	fi
	log6=$(kmsg_since "$mark")
	grep -E "parked|released|dax_park:|Dying|freez|about to be removed" <<<"$log6" |
		sed 's/^/# log: /'
	! grep -qE "Dying superblock|already frozen by kernel" <<<"$log6" ||
		bad "xfs froze a superblock that was being unmounted"
	if grep -qE "$upfn: parked |memremap: parked $ustart-" <<<"$log6" &&
	   ! wait_released "$drv" "$uns" "$ustart" "$mark"; then
		bad "$uns not released $hang s after the read landed and the unmapper exited:" \
			"$(parked_line "$drv" "$uns" "$ustart" "$mark")"
	fi
	if bring_back "$udev" "$drv"; then
		out=$(mount -t xfs -o dax=always "/dev/$udev" "$umnt" 2>&1) ||
			bad "mount $umnt again: $out"
	else
		bad "/dev/$udev did not come back (${upfn}: $(bind_pfn "$drv" "$upfn"))"
	fi
	rm -f "$umnt/park-umount"
	if [ -z "$problems" ]; then
		result 6 OK
	else
		result 6 FAIL "$problems"
	fi
}

# case_rmmod: case 9 for $drv, on the first mount
case_rmmod() {
	local problems='' mark out rc pid i r r0 t0 ms at f m d log letgo mounts=()

	if [ "$drv" != daxgup_pmem ]; then
		result 9 SKIP "$drv: on the patched kernel no page is in use once its filesystems are unmounted (the unmount waits), on stock and base its removal under a pin crashes"
		return
	fi
	if [ "${DAXGUP_KERNEL:-}" = patched ]; then
		result 9 SKIP "on $DAXGUP_KERNEL an unmount waits for pinned DAX pages (dax_inflight's umount case): no page is in use after the last close"
		return
	fi
	if [ -z "$modular" ]; then
		result 9 SKIP "$drv is built into the kernel"
		return
	fi
	mark="park rmmod $idx"
	kmsg_mark "$mark"
	rm -f "$tmp/in" && mkfifo "$tmp/in"
	python3 -u -c "$unmapper_py" "$mnt/park-rmmod" "/dev/mapper/$slow" <"$tmp/in" \
		>"$tmp/unmapper" 2>&1 &
	upid=$!
	exec {rin}>"$tmp/in"
	if ! wait_line "$tmp/unmapper" '^unmapped$' "$upid"; then
		sed 's/^/# unmapper: /' "$tmp/unmapper"
		result 9 FAIL "the unmapper of $mnt did not start"
		return
	fi
	# 6.12's unmount drops the DAX entry of the pinned page without waiting
	# for it, and dax_disassociate_entry() warns (dax_inflight's umount case)
	allow_report "WARNING: .* at fs/dax\.c:[0-9]+ dax_disassociate_entry"
	while IFS=: read -r f m _ d _; do
		out=$(umount "$m" 2>&1) || bad "umount $m: $out"
		mounts+=("$f:$m:$d")
	done <<<"$mine"
	r0=$(modref "$drv")
	at=
	if [ -z "$problems" ] && ! landed "$tmp/unmapper"; then
		echo "dax_park: rmmod $drv" >/dev/kmsg
		t0=$(date +%s%N)
		rm -f "$tmp/rmmod.pid"
		(
			rmmod "$drv" >"$tmp/rmmod.out" 2>&1 &
			echo $! >"$tmp/rmmod.pid"
			wait $!
			rc=$?
			echo "dax_park: rmmod $drv returned $rc" >/dev/kmsg
			cp "$tmp/unmapper" "$tmp/at-rmmod"
			echo "$rc $(cat "$tmp/rmmod.out")" >"$tmp/rmmod"
		) &
		pid=$!
		for ((i = 0; i < hang * 10; i++)); do
			kill -0 $pid 2>/dev/null || break
			# the stack of rmmod itself, not of this subshell
			[ $i != 10 ] || stuck "$(cat "$tmp/rmmod.pid" 2>/dev/null)" >"$tmp/rmmod.stack"
			sleep 0.1
		done
		if kill -0 $pid 2>/dev/null; then
			stuck $pid
			result 9 FAIL "rmmod $drv did not return within $hang s"
			echo "Bail out! rmmod hangs"
			exit 1
		fi
		wait $pid
		ms=$((($(date +%s%N) - t0) / 1000000))
		read -r rc out <"$tmp/rmmod"
		at="still in flight"
		! landed "$tmp/at-rmmod" || at=landed
		echo "# rmmod $drv: exit $rc${out:+: $out}, after about $ms ms, the read $at;" \
			"refcnt $r0 before"
		if [ -s "$tmp/rmmod.stack" ]; then
			echo "# rmmod was still running after 1 s:"
			cat "$tmp/rmmod.stack"
		fi
		log=$(kmsg_since "$mark")
		grep -E "$drv|dax_park:" <<<"$log" | sed 's/^/# log: /'
		# Judged from the kernel log, not from when things returned: the
		# read may land while rmmod runs.  A hold let go before rmmod was
		# tried leaves nothing to judge.
		letgo="no page is in use any more"
		if awk -v t="dax_park: rmmod $drv" -v r="$pfn: $letgo" \
			'index($0, t) { exit } index($0, r) { f = 1; exit } END { exit !f }' <<<"$log"; then
			at=
		else
			grep -q "$pfn: pages in use after the last close" <<<"$log" ||
				bad "the last close took no hold on $drv (no \"pages in use after the last close\" for $pfn)"
			[ "$rc" != 0 ] || bad "rmmod $drv succeeded with a page in use"
			[ "$rc" = 0 ] || [[ $out == *"in use"* ]] ||
				bad "rmmod $drv failed, not because the module is in use: $out"
			! sed -n "/dax_park: rmmod $drv\$/,\$p" <<<"$log" | grep -q "waiting for .*pinned pages" ||
				bad "rmmod $drv waited for the pinned page in the removal it started"
			[ -e "/sys/module/$drv" ] || bad "$drv was unloaded with a page in use"
			bound "$pfn" || bad "$pfn is no longer bound"
		fi
	fi
	# the read lands, the unmapper goes: rmmod works
	wait_line "$tmp/unmapper" "$readre" "$upid" || bad "no result of the read within $hang s"
	out=$(grep -m1 -E "$readre" "$tmp/unmapper")
	echo "# unmapper: ${out:-nothing}"
	[ "$out" = "read 2097152" ] || bad "the read did not land in full: ${out:-no result}"
	exec {rin}>&-
	rin=
	if wait_exit "$upid"; then
		wait "$upid"
		upid=
	else
		bad "the unmapper did not exit within $hang s of its stdin closing"
		stuck "$upid"
	fi
	if [ -e "/sys/module/$drv" ]; then
		# the hold goes once the put that ends the read has woken it
		for ((i = 0; i < hang * 10; i++)); do
			kmsg_since "$mark" | grep -q "$pfn: no page is in use any more" && break
			sleep 0.1
		done
		kmsg_since "$mark" | grep -q "$pfn: no page is in use any more" ||
			bad "$drv did not let its hold go within $hang s of the read landing"
		out=$(rmmod "$drv" 2>&1) ||
			bad "rmmod $drv failed once the page was let go: $out (refcnt $(modref "$drv"))"
	fi
	[ -e "/sys/module/$drv" ] || out=$(load "$drv" 2>&1) || bad "loading $drv again failed: $out"
	for r in "${mounts[@]}"; do
		IFS=: read -r f m d <<<"$r"
		if ! bring_back "$d" "$drv"; then
			bad "/dev/$d did not come back (${pfn_of[$d]}: $(bind_pfn "$drv" "${pfn_of[$d]}"))"
			continue
		fi
		out=$(mount -t "$f" -o dax=always "/dev/$d" "$m" 2>&1) || bad "mount $m: $out"
	done
	rm -f "$mnt/park-rmmod"
	if [ -n "$problems" ]; then
		result 9 FAIL "$problems"
	elif [ -z "$at" ]; then
		result 9 SKIP "the read landed before rmmod could be tried (the hold was let go before it)"
	else
		result 9 OK
	fi
}

idx=0
for drv in $drivers; do
	idx=$((idx + 1))
	res=() why=() next=1
	mine=$(for m in $DAXGUP_MOUNTS; do [ "${m##*:}" = "$drv" ] && echo "$m"; done)
	IFS=: read -r fs mnt _ dev _ <<<"$(echo "$mine" | head -n 1)"
	if [ "$drv" = nd_pmem ] && [ "${DAXGUP_KERNEL:-}" != patched ]; then
		skip="nd_pmem on $DAXGUP_KERNEL crashes the guest when memory under DMA is removed"
		skip="$skip (6.12: memunmap_pages() does not wait for pinned FS_DAX pages;"
		skip="$skip see known-crashes, dax_unbind): nothing removed"
		for c in 1 2 3 4 5 6 7 8 9; do
			result $c SKIP "$skip"
		done
		continue
	fi
	modular=1
	[ -e "/sys/module/$drv/refcnt" ] || modular=
	pfn=${pfn_of[$dev]}
	ns=$(cat "$nd/devices/$pfn/namespace")
	start=$(printf '%#x' "$(cat "$nd/devices/$ns/resource")")
	echo "# $drv: $fs on $mnt, /dev/$dev: $pfn of $ns at $start"

	# A file on another mount of the driver, to find intact after the reload
	kept=
	while IFS=: read -r _ m _ d _; do
		[ "$d" != "$dev" ] || continue
		xfs_io -f -c "pwrite -q -S 0x3e 0 64k" -c fsync "$m/park-kept" && kept=$m/park-kept
		break
	done <<<"$mine"

	# 1. the removal, with the read in flight.  From the removal to the
	# rmmod of case 3 as little runs as can: every command is slow in the
	# lab's guest (TCG, binaries over 9p), and all of it must fit in the
	# read's delay.  What is printed and judged comes after.
	mark="park unbind $idx"
	kmsg_mark "$mark"
	rm -f "$tmp/in" && mkfifo "$tmp/in"
	python3 -u -c "$reader_py" "$mnt/park-read" "/dev/mapper/$slow" <"$tmp/in" \
		>"$tmp/reader" 2>&1 &
	rpid=$!
	exec {rin}>"$tmp/in"
	if ! wait_line "$tmp/reader" '^ready$' "$rpid"; then
		sed 's/^/# reader: /' "$tmp/reader"
		echo "Bail out! the reader of $mnt did not start"
		exit 1
	fi
	sleep 1	# for the read to be submitted: its pages pinned
	r0=$(modref "$drv")
	nd_write unbind "$drv" "$pfn" "$tmp/reader"
	urc=$?
	if [ $urc = 2 ]; then
		msg="the unbind of $pfn did not return within $hang s"
		result 1 FAIL "$msg (the reader: $(tr '\n' ' ' <"$tmp/reader"))"
		echo "Bail out! the removal hangs"
		exit 1
	fi
	r1=$(modref "$drv")
	uerr=$nd_err ums=$nd_ms

	# 2. parked, and refused: the bind at once, then the parked file
	nd_write bind "$drv" "$pfn" "$tmp/reader"
	brc=$?
	if [ $brc = 2 ]; then
		result 2 FAIL "binding $pfn again did not return within $hang s"
		echo "Bail out! the bind hangs"
		exit 1
	fi
	berr=$nd_err bms=$nd_ms
	bound_to=
	! bound "$pfn" || bound_to=$(readlink "$nd/devices/$pfn/driver")
	line=
	if [ "$drv" = daxgup_pmem ]; then
		echo "dax_park: reading the parked file" >/dev/kmsg
		line=$(grep "^$ns " "$nd/drivers/$drv/parked")
		# not landed now: not landed when the file was read
		early=
		! landed "$tmp/reader" || early=1
	fi

	# 3. rmmod, with the driver's filesystems unmounted
	umounts=() busy=
	while IFS=: read -r _ m _ d _; do
		out=$(umount "$m" 2>&1) && continue
		if [ "$d" = "$dev" ] && [[ $(<"/proc/$rpid/maps") == *"$m/park-read"* ]]; then
			busy="$m: $out: the reader ($rpid) still maps $m/park-read,"
			busy="$busy so its block device holds $drv as well"
		else
			umounts+=("umount $m failed: $out")
		fi
	done <<<"$mine"
	tried=
	if [ -n "$modular" ] && ! landed "$tmp/reader"; then
		tried=1
		rmmod_out=$(rmmod "$drv" 2>&1)
		rmmod_rc=$?
		r2=$(modref "$drv")
	fi

	# What cases 1 to 3 saw.  The kernel log places each step: a release
	# logged before a check was made (the read landed early) leaves that
	# check unjudged.
	log=$(kmsg_since "$mark")
	if [ "$drv" = daxgup_pmem ]; then
		parkre="$pfn: parked " relre="$ns: released "
	else
		parkre="memremap: parked $start-" relre="memremap: released $start-"
	fi
	inflight=1 state="still"
	! landed "$tmp/at-unbind" || inflight='' state="no longer"
	echo "# unbind of $pfn from $drv took $ums ms${uerr:+: $uerr};" \
		"the read was $state in flight when it returned"
	grep -E "$parkre|$relre|dax_park:" <<<"$log" | sed 's/^/# log: /'
	state="still in flight"
	! landed "$tmp/at-bind" || state=landed
	echo "# bind $pfn returned after $bms ms${berr:+: $berr}; the read $state"

	problems='' unjudged=''
	parked=
	! grep -q "$parkre" <<<"$log" || parked=1
	if [ "$drv" = daxgup_pmem ]; then
		if [ -n "$line" ]; then
			echo "# parked: $line"
			# the read's pages are in use: the count cannot be 0 while it is in flight
			[ "${line##* }" -gt 0 ] 2>/dev/null || [ -n "$early" ] ||
				bad "$nd/drivers/$drv/parked lists $ns with no page in use: $line"
		elif released_before "dax_park: reading the parked file"; then
			unjudged="released before the parked file was read"
		else
			bad "the removal returned, yet $nd/drivers/$drv/parked does not list $ns"
		fi
	elif [ -z "$parked" ]; then
		bad "the removal returned, yet no \"memremap: parked $start-\" in the log"
	fi
	if released_before "dax_park: bind $pfn ($drv)"; then
		unjudged="${unjudged:+$unjudged; }released before the bind was tried"
	else
		if [ $brc = 0 ]; then
			bad "binding $pfn again succeeded (after $bms ms)"
		elif [[ $berr != *"Device or resource busy"* ]]; then
			bad "binding $pfn again failed, not with EBUSY: $berr"
		fi
		[ -z "$bound_to" ] || bad "$pfn is bound to $(basename "$bound_to")"
	fi
	if [ -n "$problems" ]; then
		result 2 FAIL "$problems"
	elif [ -n "$unjudged" ]; then
		result 2 SKIP "the read landed early: $unjudged"
	else
		result 2 OK
	fi

	problems=
	[ -z "$busy" ] || echo "# umount $busy"
	for u in "${umounts[@]}"; do
		bad "$u"
	done
	if [ -z "$modular" ]; then
		result 3 SKIP "$drv is built into the kernel"
	elif [ -z "$tried" ]; then
		result 3 SKIP "the holder let go before rmmod could be tried"
	else
		echo "# rmmod $drv: exit $rmmod_rc${rmmod_out:+: $rmmod_out}; refcnt $r0 before" \
			"the unbind, $r1 after it, $r2 with the filesystems unmounted"
		[ "$rmmod_rc" != 0 ] || bad "rmmod $drv succeeded"
		[ -e "/sys/module/$drv" ] || bad "/sys/module/$drv is gone"
		if [ "$r1" = none ] || [ "$r0" = none ] || [ "$r1" -le "$r0" ]; then
			bad "the removal took no reference on $drv" \
				"(refcnt $r0 before, $r1 after): nothing parked holds it"
		fi
		if [ -z "$problems" ]; then
			result 3 OK
		else
			result 3 FAIL "$problems"
		fi
	fi

	# 4. the read lands, the reader goes: released; rmmod and load again
	problems=
	wait_line "$tmp/reader" "$readre" "$rpid" || bad "no result of the read within $hang s"
	got=$(grep -m1 -E "$readre" "$tmp/reader")
	echo "# reader: ${got:-nothing}"
	p1=
	[ $urc = 0 ] || p1="the unbind failed: $uerr"
	[ -n "$inflight" ] || p1="${p1:+$p1; }the unbind returned only after the read had landed"
	[ "$got" = "read 2097152" ] ||
		p1="${p1:+$p1; }the read did not land in full: ${got:-no result}"
	if [ -z "$p1" ]; then
		result 1 OK
	else
		result 1 FAIL "$p1"
	fi
	exec {rin}>&-
	rin=
	if wait_exit "$rpid"; then
		wait "$rpid"
		rpid=
	else
		bad "the reader did not exit within $hang s of its stdin closing"
		stuck "$rpid"
	fi
	# on stock and base the pages stay tied to its files until the unmount
	if mounted "$dev" "$mnt" && ! out=$(umount "$mnt" 2>&1); then
		bad "umount $mnt failed once the reader was gone: $out"
		umount -l "$mnt"
	fi
	if [ -n "$parked" ]; then
		if wait_released "$drv" "$ns" "$start" "$mark"; then
			kmsg_since "$mark" | grep -E "released" | sed 's/^/# log: /'
		else
			bad "$ns not released $hang s after the read landed, the reader exited" \
				"and $mnt was unmounted:" \
				"$(parked_line "$drv" "$ns" "$start" "$mark")"
		fi
	fi
	if [ -n "$modular" ]; then
		if [ -e "/sys/module/$drv" ]; then
			out=$(rmmod "$drv" 2>&1) ||
				bad "rmmod $drv failed after the release: $out" \
					"(refcnt $(modref "$drv"))"
		else
			bad "$drv was already unloaded"
		fi
		[ -e "/sys/module/$drv" ] || out=$(load "$drv" 2>&1) ||
			bad "loading $drv again failed: $out"
	fi
	while IFS=: read -r f m _ d _; do
		if ! bring_back "$d" "$drv"; then
			bad "/dev/$d did not come back" \
				"(${pfn_of[$d]}: $(bind_pfn "$drv" "${pfn_of[$d]}"))"
			continue
		fi
		now=$(basename "$(readlink -f "/sys/block/$d/device/driver")")
		[ "$now" = "$drv" ] || bad "/dev/$d is served by $now"
		out=$(mount -t "$f" -o dax=always "/dev/$d" "$m" 2>&1) || bad "mount $m: $out"
	done <<<"$mine"
	if [ -n "$kept" ]; then
		[ "$(md5sum <"$kept" 2>/dev/null)" = "$(pattern '\076')" ] ||
			bad "$kept, written before the removal, is not intact"
	else
		echo "# $drv serves no other mount: no file to check"
	fi
	rm -f "$mnt/park-read"
	if [ -z "$problems" ]; then
		result 4 OK
	else
		result 4 FAIL "$problems"
	fi

	# 5. a pipe holds pages of the mapping
	problems=
	mark="park pipe $idx"
	kmsg_mark "$mark"
	rm -f "$tmp/in" && mkfifo "$tmp/in"
	python3 -u -c "$splicer_py" "$mnt/park-pipe" <"$tmp/in" >"$tmp/splicer" 2>&1 &
	spid=$!
	exec {sin}>"$tmp/in"
	if ! mounted "$dev" "$mnt" || ! wait_line "$tmp/splicer" '^ready$' "$spid"; then
		sed 's/^/# splicer: /' "$tmp/splicer"
		m=no
		! mounted "$dev" "$mnt" || m=yes
		result 5 FAIL "no pipe holding $mnt/park-pipe ($mnt mounted: $m)"
		exec {sin}>&-
		sin=
		kill -KILL "$spid" 2>/dev/null
		wait_exit "$spid" && spid=
		case_umount
		case_stall
		case_frozen
		case_rmmod
		continue
	fi
	nd_write unbind "$drv" "$pfn"
	urc=$?
	if [ $urc = 2 ]; then
		msg="the unbind of $pfn did not return within $hang s"
		result 5 FAIL "$msg with a pipe holding pages of $mnt"
		echo "Bail out! the removal hangs"
		exit 1
	fi
	[ $urc = 0 ] || bad "the unbind of $pfn failed: $nd_err"
	echo "# unbind of $pfn from $drv took $nd_ms ms"
	line=$(parked_line "$drv" "$ns" "$start" "$mark")
	if [ -n "$line" ]; then
		echo "# parked: $line" \
			"(the pipe holds the pages, or they are still tied to the file)"
		nd_write bind "$drv" "$pfn"
		brc=$?
		if [ $brc = 2 ]; then
			result 5 FAIL "binding $pfn while parked did not return within $hang s"
			echo "Bail out! the bind hangs"
			exit 1
		fi
		err=$nd_err
		echo "# bind $pfn while parked, after $nd_ms ms: ${err:-succeeded}"
		[ $brc != 0 ] || bad "binding $pfn succeeded while parked"
		[ $brc = 0 ] || [[ $err == *"Device or resource busy"* ]] ||
			bad "binding $pfn while parked failed, not with EBUSY: $err"
	else
		echo "# nothing parked: the pipe holds a copy"
	fi
	exec {sin}>&-
	sin=
	wait_line "$tmp/splicer" '^drained' "$spid" || bad "the pipe was not drained within $hang s"
	got=$(grep -m1 '^drained' "$tmp/splicer")
	echo "# splicer: ${got:-nothing}"
	[ "$got" = "drained 65536 intact" ] ||
		bad "the pipe did not return what was put in it: ${got:-nothing}"
	if wait_exit "$spid"; then
		wait "$spid"
		spid=
	else
		bad "the splicer did not exit within $hang s"
		stuck "$spid"
	fi
	out=$(umount "$mnt" 2>&1) || { bad "umount $mnt: $out"; umount -l "$mnt"; }
	if [ -n "$line" ] && ! wait_released "$drv" "$ns" "$start" "$mark"; then
		bad "$ns not released $hang s after the pipe was drained and $mnt unmounted:" \
			"$(parked_line "$drv" "$ns" "$start" "$mark")"
	fi
	if ! bound "$pfn"; then
		err=$(bind_pfn "$drv" "$pfn") || bad "binding $pfn again failed: $err"
	fi
	if wait_blockdev "$dev"; then
		out=$(mount -t "$fs" -o dax=always "/dev/$dev" "$mnt" 2>&1) ||
			bad "mount $mnt: $out"
	else
		bad "/dev/$dev did not come back"
	fi
	rm -f "$mnt/park-pipe" ${kept:+"$kept"}
	if [ -z "$problems" ]; then
		result 5 OK
	else
		result 5 FAIL "$problems"
	fi

	# 6. an unmount in progress
	case_umount
	# 7. a GUP stalled in a fault
	case_stall
	# 8. a frozen, unmounted filesystem finished by the removal
	case_frozen
	# 9. rmmod with the namespaces bound and a page in use
	case_rmmod
done
