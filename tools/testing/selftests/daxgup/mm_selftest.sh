#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# mm_selftest.sh PROG DIR: run one of the base tree's mm selftests in DIR
# (its local files live there): /tmp (tmpfs) or a DAX mount.
# gup_longterm pins its "local tmpfile" in the current directory: on fsdax,
# 6.12 refuses every long-term pin (check_vma_flags(): EOPNOTSUPP).  On the
# stock and base kernels those results are reported as XFAIL naming that
# refusal; nothing else is changed.  The patched kernel allows them (its
# gup_longterm expects that): a failure there is a failure.
. /run/daxgup/env
set -u
prog=$1 dir=$2
bin=$DAXGUP_BIN/mm/$prog
[ -x "$bin" ] || { echo "1..0 # SKIP $bin was not built"; exit 4; }
[ -e /sys/kernel/debug/gup_test ] || echo "# note: no CONFIG_GUP_TEST in this kernel: pin cases skip"

dax=no
for m in $DAXGUP_MOUNTS; do
	IFS=: read -r _ mnt _ <<<"$m"
	[ "$mnt" != "$dir" ] || dax=yes
done
[ -d "$dir" ] || { echo "1..0 # SKIP $dir does not exist"; exit 4; }
echo "# $prog in $dir ($(stat -f -c %T "$dir"), DAX: $dax)"
if [ "$prog" = gup_test ]; then
	# One run per GUP flavour, renumbered into one TAP stream.  On a DAX
	# mount the pages are a MAP_SHARED mapping of a file there (sized
	# first: gup_test does not), elsewhere gup_test's private default.
	args=()
	if [ "$dax" = yes ]; then
		xfs_io -f -c "falloc 0 64m" "$dir/gup_test.file"
		args=(-f "$dir/gup_test.file" -S -m 64)
	fi
	out="TAP version 13"$'\n'"1..4"
	rc=0 n=0
	for f in -u:GUP_FAST -a:PIN_FAST -U:GUP_BASIC -b:PIN_BASIC; do
		n=$((n + 1))
		o=$("$bin" "${args[@]}" "${f%%:*}" -n 512 2>&1)
		r=$?
		[ "$r" = 0 ] || [ "$r" = 4 ] || rc=$r
		out+=$'\n'$(printf '%s\n' "$o" | sed -n "s/^\(not ok\|ok\) 1 /\1 $n ${f#*:}: /p; /^#/p" |
			grep -v '^# Totals\|^# Planned')
	done
	rm -f "$dir/gup_test.file"
else
	out=$(cd "$dir" && "$bin" 2>&1)
	rc=$?
fi
if [ "$dax" = yes ] && [ "$prog" = gup_longterm ] && [ "$DAXGUP_KERNEL" != patched ]; then
	# Rewrite only failures of cases run on the local tmpfile.
	out=$(printf '%s\n' "$out" | awk '
		/^# \[RUN\]/ { local = ($0 ~ /with local tmpfile/) }
		/^not ok [0-9]+/ && local {
			n = $3; sub(/^not ok [0-9]+ */, "")
			print "ok " n " # XFAIL fsdax refuses long-term pins in 6.12 (check_vma_flags: EOPNOTSUPP): " $0
			xfail++; next }
		/^# Totals:/ && xfail { print "# (" xfail " failure(s) above reported as XFAIL)" }
		{ print }')
	printf '%s\n' "$out" | grep -q '^not ok' || rc=0
fi
printf '%s\n' "$out"
exit $rc
