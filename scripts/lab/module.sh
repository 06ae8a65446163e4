#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# module.sh [patched|base|stock]: build drivers/nvdimm/daxgup (daxgup_pmem.ko)
# and the selftest helper daxgup_badrange.ko (badrange/ in the same dir) for
# a lab kernel, outside the clone: the sources are copied next to the
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
# (badrange/, dkms/, installed/: the helper and dkms.sh's trees, kept)
rsync -a --delete --exclude='*.o' --exclude='*.ko' --exclude='.*.cmd' \
	--exclude=/badrange --exclude=/dkms --exclude=/installed --exclude=/dkms.log \
	"$DAXGUP_TOP/drivers/nvdimm/daxgup/" "$out/"
# build DIR NAME: kbuild DIR against the kernel, with W=1, warnings fatal
build() {
	if ! make -s -C "$kdir" M="$1" NVDIMM_SRC="$(src_dir base)" W=1 modules >"$1/build.log" 2>&1 ||
	   grep -q 'warning:' "$1/build.log"; then
		cat "$1/build.log" >&2
		die "$2 did not build cleanly against $rel"
	fi
}
build "$out" daxgup_pmem
log "module: $out/daxgup_pmem.ko ($rel)"
# A selftest helper next to it (daxgup_badrange.ko: media errors on demand).
rsync -a --delete --exclude='*.o' --exclude='*.ko' --exclude='.*.cmd' \
	"$DAXGUP_TOP/tools/testing/selftests/daxgup/badrange/" "$out/badrange/"
build "$out/badrange" daxgup_badrange
# daxgup_pmem as a user installs it: dkms add/build/install into a module
# root of this kernel's modules (the dax_installed test boots with it).
"$DAXGUP_TOP/scripts/lab/dkms.sh" lab "$k"
