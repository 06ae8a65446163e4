#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The lab's guest side, run by the initramfs /init in a chroot of the host
# root.  Reads $results/plan (one "name timeout command..." a line), sets up
# the NVDIMM namespaces and DAX filesystems, runs each test with a timeout,
# and writes back to $results:
#   progress          "start NAME", "end NAME RC", "ready", "setup-failed"
#   tap/NAME.tap      what the test printed (KTAP)
#   dmesg/NAME.log    the kernel log lines the test caused
#   dmesg.log         the whole kernel log at the end
set -u
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export HOME=/tmp LANG=C.UTF-8

results=$(sed -n 's/.*\<daxgup\.results=\([^ ]*\).*/\1/p' /proc/cmdline)
mkdir -p /dev/pts /dev/shm
mount -t devpts devpts /dev/pts 2>/dev/null
mount -t tmpfs tmpfs /dev/shm 2>/dev/null
mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null
# What udev makes on any system: the kernel's kselftest runner writes to
# /dev/stdout.
[ -e /dev/fd ] || ln -s /proc/self/fd /dev/fd
for f in 0:stdin 1:stdout 2:stderr; do
	[ -e "/dev/${f#*:}" ] || ln -s "/proc/self/fd/${f%%:*}" "/dev/${f#*:}"
done

# The guest kernel's modules live in the lab's work dir, not in the host's
# /lib/modules: a modprobe that looks there, for us and for the kernel.  It
# ignores the host's modprobe.d (ndctl's install hook for libnvdimm would
# call the host's modprobe): the lab decides which driver binds what.
kmods=$(sed -n 's/.*\<daxgup\.kmods=\([^ ]*\).*/\1/p' /proc/cmdline)
mkdir -p /run/daxgup/bin /run/daxgup/modprobe.d
printf '#!/bin/sh\nexec /sbin/modprobe -C /run/daxgup/modprobe.d -d "%s" "$@"\n' \
	"$kmods" >/run/daxgup/bin/modprobe
chmod +x /run/daxgup/bin/modprobe
echo /run/daxgup/bin/modprobe >/proc/sys/kernel/modprobe
export PATH=/run/daxgup/bin:$PATH
# shellcheck source=/dev/null
. "$results/env"
export DAXGUP_TOP DAXGUP_KERNEL DAXGUP_BIN DAXGUP_DRIVER DAXGUP_ITER DAXGUP_MODULE DAXGUP_TIMEOUT_SCALE
# make bench REPS=N RUNTIME=S: unset when empty, so each benchmark's default holds.
[ -n "${DAXGUP_BENCH_REPS:-}" ] && export DAXGUP_BENCH_REPS || unset DAXGUP_BENCH_REPS
[ -n "${DAXGUP_BENCH_RUNTIME:-}" ] && export DAXGUP_BENCH_RUNTIME || unset DAXGUP_BENCH_RUNTIME
# make check OPS=a,b: only those cases of dax_inflight.
[ -n "${DAXGUP_OPS:-}" ] && export DAXGUP_OPS || unset DAXGUP_OPS
# make check with two drivers: this pass's share of the long iterations.
[ -n "${DAXGUP_SHARE:-}" ] && export DAXGUP_SHARE || unset DAXGUP_SHARE
mkdir -p "$results/tap" "$results/dmesg"
progress() { echo "$*" >>"$results/progress"; sync; }

poweroff_now() {
	if [ -s "${kmsg:-}" ]; then
		cp "$kmsg" "$results/dmesg.log"
	else
		dmesg >"$results/dmesg.log" 2>&1
	fi
	sync
	echo o >/proc/sysrq-trigger
	sleep 10
}

# Every kernel message, as a /dev/kmsg reader sees it: a test that clears
# the ring buffer (dmesg -c) cannot hide a report from the lab.  After an
# overrun (EPIPE) the next read goes on with the oldest record left.
kmsg=/run/daxgup/kmsg.log
python3 -u -c '
import os, sys
fd = os.open("/dev/kmsg", os.O_RDONLY)
out = open(sys.argv[1], "a", buffering=1)
while True:
    try:
        rec = os.read(fd, 8192).decode("utf-8", "replace")
    except BrokenPipeError:
        out.write("[    0.000000] daxgup: kernel log overrun, messages lost\n")
        continue
    head, _, text = rec.partition(";")
    usec = int(head.split(",")[2])
    out.write("[%5d.%06d] %s\n" % (usec // 1000000, usec % 1000000,
                                   text.split("\n")[0]))
' "$kmsg" 2>/dev/null &
kmsg_pid=$!

# test_log NAME: the kernel log lines from NAME's start to its end
test_log() {
	for _ in $(seq 50); do
		grep -q "daxgup: end $1\$" "$kmsg" 2>/dev/null && break
		sleep 0.1
	done
	if kill -0 "$kmsg_pid" 2>/dev/null && grep -q "daxgup: end $1\$" "$kmsg"; then
		sed -n "/daxgup: start $1\$/,/daxgup: end $1\$/p" "$kmsg"
	else
		dmesg | sed -n "/daxgup: start $1\$/,\$p"
	fi
}

progress "ready $(cut -d' ' -f1 /proc/uptime)"
if ! bash "$DAXGUP_TOP/scripts/lab/guest/setup.sh" >"$results/setup.log" 2>&1; then
	progress "setup-failed"
	poweroff_now
fi
. /run/daxgup/env
progress "setup-done $(cut -d' ' -f1 /proc/uptime)"

report_re='WARNING:|BUG:|Oops|KASAN:|UBSAN:|possible circular locking|possible recursive locking|inconsistent lock state|INFO: task .* blocked|general protection fault|kernel BUG|Kernel panic|suspicious RCU usage'

while read -r name timeout cmd; do
	case $name in ''|'#'*) continue ;; esac
	# ITER repeats what the iterating tests do: their time grows with it
	timeout=$((${timeout%[+!]} * ${DAXGUP_TIMEOUT_SCALE:-1} * ${DAXGUP_ITER:-1}))
	allow=/run/daxgup/allow.$name
	rm -f "$allow"
	echo "daxgup: start $name" >/dev/kmsg
	progress "start $name $timeout"
	(cd /tmp && DAXGUP_ALLOW=$allow timeout -k 10 "$timeout" \
		bash -c "exec $cmd" </dev/null >"$results/tap/$name.tap" 2>&1)
	rc=$?
	echo "daxgup: end $name" >/dev/kmsg
	test_log "$name" >"$results/dmesg/$name.log"
	# Kernel reports the test announced as the known bug it shows are
	# kept, but do not fail it; any other report does.
	if [ -s "$allow" ]; then
		grep -E "$report_re" "$results/dmesg/$name.log" |
			grep -v -E -f "$allow" >"$results/dmesg/$name.reports"
	else
		grep -E "$report_re" "$results/dmesg/$name.log" >"$results/dmesg/$name.reports"
	fi
	progress "end $name $rc"
done <"$results/plan"

progress "done $(cut -d' ' -f1 /proc/uptime)"
poweroff_now
