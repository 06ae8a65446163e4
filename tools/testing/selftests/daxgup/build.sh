#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# build.sh OUTDIR: build into OUTDIR
#   - the lab's own tests (this directory), and the patched tree's mm
#     selftests that touch GUP and pinning (gup_test, gup_longterm, cow),
#     against the base tree's headers;
#   - the kselftests the series adds (tools/testing/selftests/filesystems/dax
#     of the patched tree, the same sources whatever kernel runs them), the
#     kernel's way: headers and tests built with O=OUTDIR/ksft-build,
#     installed with run_kselftest.sh into OUTDIR/ksft.
set -eu
. "$(dirname "$0")/../../../../scripts/lab/lib.sh"

out=$1
src=$(src_dir base)
[ -d "$src" ] || "$DAXGUP_TOP/scripts/lab/tree.sh" base >/dev/null
hdr=$DAXGUP_O/$(base_id)/headers
mkdir -p "$out/mm"
if [ ! -f "$hdr/usr/include/linux/mman.h" ]; then
	make -s -C "$src" O="$hdr" ARCH=x86 INSTALL_HDR_PATH="$hdr/usr" headers_install >/dev/null
fi
make -s -C "$(dirname "$0")" KSRC="$src" OUTPUT="$out" KHDR_INCLUDES="-isystem $hdr/usr/include"
# The mm selftests from the patched tree: the series updates gup_longterm's
# expectations (long-term pins of DAX files on ext4 and xfs).
msrc=$(src_dir patched)
[ -d "$msrc" ] || "$DAXGUP_TOP/scripts/lab/tree.sh" patched >/dev/null
make -s -C "$msrc/tools/testing/selftests/mm" OUTPUT="$out/mm" \
	KHDR_INCLUDES="-isystem $hdr/usr/include" \
	"$out/mm/gup_test" "$out/mm/gup_longterm" "$out/mm/cow" >"$out/mm/build.log" 2>&1 ||
	{ tail -n 20 "$out/mm/build.log" >&2; die "building the mm selftests failed"; }

# The kselftests of the series, from the patched tree.
ksrc=$(src_dir patched)
targets="filesystems/dax"
rm -rf "$out/ksft"
for t in $targets; do
	if [ ! -f "$ksrc/tools/testing/selftests/$t/Makefile" ]; then
		# The suite entries that run them then fail, and say why.
		log "warning: $ksrc has no tools/testing/selftests/$t: the series lacks its selftests"
		exit 0
	fi
done
kobj=$out/ksft-build
log=$out/ksft-build.log
{
	make -j"$JOBS" -C "$ksrc" O="$kobj" headers &&
	make -j"$JOBS" -C "$ksrc/tools/testing/selftests" O="$kobj" TARGETS="$targets" \
		KSFT_INSTALL_PATH="$out/ksft" install
} >"$log" 2>&1 || { tail -n 20 "$log" >&2; die "building the kselftests failed (log: $log)"; }
# A warning is a defect of the tests: no test runs with one.
if grep -q 'warning:' "$log"; then
	grep 'warning:' "$log" >&2
	die "the kselftests built with warnings (log: $log)"
fi
