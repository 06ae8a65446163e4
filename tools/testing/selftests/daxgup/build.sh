#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# build.sh OUTDIR: build the daxgup selftests and the base tree's mm
# selftests that touch GUP and pinning (gup_test, gup_longterm, cow) into
# OUTDIR, against the base tree's headers.
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
make -s -C "$src/tools/testing/selftests/mm" OUTPUT="$out/mm" \
	KHDR_INCLUDES="-isystem $hdr/usr/include" \
	"$out/mm/gup_test" "$out/mm/gup_longterm" "$out/mm/cow" >"$out/mm/build.log" 2>&1 ||
	{ tail -n 20 "$out/mm/build.log" >&2; die "building the mm selftests failed"; }
