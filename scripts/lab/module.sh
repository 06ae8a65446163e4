#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# module.sh [patched|base|stock]: build drivers/nvdimm/daxgup (daxgup_pmem.ko)
# for a lab kernel, outside the clone: the sources are copied next to the
# kernel's build and built there with W=1.  For the stock kernel, Debian's
# linux-headers package of that release is the build tree.
set -eu
. "$(dirname "$0")/lib.sh"

k=${1:-$KERNEL}
rel=$(kernel_release "$k")
[ -n "$rel" ] || die "KERNEL=$k is not built yet"
if [ "$k" = stock ]; then
	kdir=/usr/src/linux-headers-$rel
	if [ ! -f "$kdir/Makefile" ]; then
		[ "$(id -u)" = 0 ] || die "linux-headers-$rel is missing; install it as root"
		DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
			"linux-headers-$rel" >/tmp/daxgup-apt.log 2>&1 ||
			{ tail -n 5 /tmp/daxgup-apt.log >&2; die "cannot install linux-headers-$rel"; }
	fi
else
	kdir=$(build_dir "$k")
fi
out=$(module_dir "$k")
mkdir -p "$out"
rsync -a --delete --exclude='*.o' --exclude='*.ko' --exclude='.*.cmd' \
	"$DAXGUP_TOP/drivers/nvdimm/daxgup/" "$out/"
if ! make -s -C "$kdir" M="$out" NVDIMM_SRC="$(src_dir base)" W=1 modules >"$out/build.log" 2>&1 ||
   grep -q 'warning:' "$out/build.log"; then
	cat "$out/build.log" >&2
	die "daxgup_pmem did not build cleanly against $rel"
fi
log "module: $out/daxgup_pmem.ko ($rel)"
