#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# nvdimm-src.sh headers KDIR DEST: unpack libnvdimm's private headers
#	(drivers/nvdimm/) and the top Makefile of the kernel source that
#	matches the kernel built in KDIR into DEST, from Debian's
#	linux-source-<x.y> package (/usr/src/linux-source-<x.y>.tar.xz), and
#	check that it is the same x.y.z as that kernel.
# nvdimm-src.sh checkpatch DEST: unpack scripts/checkpatch.pl and its data
#	from the newest linux-source tarball into DEST; print its path.
#
# Debian ships the kernel source as a tarball only, and the source package
# follows the newest upload, not the running kernel: the check says which
# package version to install when they differ.
set -eu

die() { echo "daxgup_pmem: $*" >&2; exit 1; }

# unpack TARBALL DEST MEMBER...: MEMBERs (paths inside the source tree)
# into DEST, unless DEST already holds them from this very tarball
unpack() {
	tarball=$1 dest=$2
	shift 2
	stamp="$tarball $(stat -c '%s %Y' "$tarball") $*"
	[ "$(cat "$dest/.unpacked" 2>/dev/null)" != "$stamp" ] || return 0
	top=$(tar -tf "$tarball" | head -n 1 | cut -d/ -f1)
	rm -rf "$dest"
	mkdir -p "$dest"
	members=
	for m in "$@"; do members="$members $top/$m"; done
	echo "  UNPACK  $* from $tarball"
	# shellcheck disable=SC2086
	tar -xf "$tarball" -C "$dest" --strip-components=1 $members ||
		die "cannot unpack $* from $tarball"
	echo "$stamp" >"$dest/.unpacked"
}

# version DIR: x.y.z of the kernel source in DIR
version() {
	sed -n -e 's/^VERSION = \([0-9]*\)$/\1/p' -e 's/^PATCHLEVEL = \([0-9]*\)$/\1/p' \
		-e 's/^SUBLEVEL = \([0-9]*\)$/\1/p' "$1/Makefile" | paste -sd.
}

case ${1:-} in
headers)
	kdir=$2 dest=$3
	if ! rel=$(cat "$kdir/include/config/kernel.release" 2>/dev/null); then
		case $kdir in
		/lib/modules/*/build) want=linux-headers-$(basename "$(dirname "$kdir")") ;;
		*) want="the kernel's linux-headers package" ;;
		esac
		die "$kdir is not a kernel build tree (no include/config/kernel.release): install $want, or set KDIR"
	fi
	xyz=$(echo "$rel" | sed -n 's/^\([0-9]*\.[0-9]*\.[0-9]*\).*/\1/p')
	xy=${xyz%.*}
	pkg=linux-source-$xy
	tarball=/usr/src/$pkg.tar.xz
	# the Debian version of the kernel's headers names the source to match
	want=$(dpkg-query -W -f '${Version}' "linux-headers-$rel" 2>/dev/null || true)
	hint="apt-get install $pkg${want:+=$want}"
	[ -f "$tarball" ] ||
		die "$tarball is missing: libnvdimm's private headers come from it; install Debian's $pkg package, the same version as the kernel $rel ($hint)"
	unpack "$tarball" "$dest" Makefile drivers/nvdimm
	have=$(version "$dest")
	[ "$have" = "$xyz" ] ||
		die "$tarball holds Linux $have, the kernel in $kdir is $rel: libnvdimm's private structures must come from the same x.y.z; install the $pkg that matches it ($hint), or boot and build for a kernel of $have"
	;;
checkpatch)
	dest=$2
	# shellcheck disable=SC2012
	tarball=$(ls /usr/src/linux-source-*.tar.xz 2>/dev/null | sort -V | tail -n 1)
	[ -n "$tarball" ] ||
		die "no /usr/src/linux-source-*.tar.xz for checkpatch.pl: install Debian's linux-source-6.12, or set NVDIMM_SRC to a kernel tree"
	unpack "$tarball" "$dest" scripts/checkpatch.pl scripts/spelling.txt \
		scripts/const_structs.checkpatch >&2
	echo "$dest/scripts/checkpatch.pl"
	;;
*)
	die "usage: nvdimm-src.sh headers KDIR DEST | checkpatch DEST"
	;;
esac
