#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Unpack Debian's prebuilt kernel of the same version as linux-source-6.12
# (KERNEL=stock: what users run today), with its modules, without touching
# the host's /boot.
set -eu
. "$(dirname "$0")/lib.sh"

d=$(build_dir stock)
[ -s "$d/release" ] && [ -f "$(kernel_image stock)" ] && { log "stock kernel: $(kernel_release stock)"; exit 0; }

fetch() {
	local srcver upstream pkg rel
	srcver=$(dpkg-query -W -f='${Version}' linux-source-6.12 2>/dev/null) ||
		die "linux-source-6.12 is not installed (make deps): it names the stock version"
	upstream=${srcver%%-*}
	rel="$upstream+deb12-amd64"
	pkg="linux-image-$rel-unsigned"
	rm -rf "$d"
	mkdir -p "$d/debs"
	(cd "$d/debs" && apt-get download -q "$pkg=$srcver" >/dev/null 2>"$d/apt.log") || {
		cat "$d/apt.log" >&2
		die "cannot download $pkg $srcver from Debian's archive"
	}
	dpkg -x "$d"/debs/*.deb "$d/root"
	[ -d "$d/root/lib/modules/$rel" ] || die "$pkg holds no lib/modules/$rel"
	depmod -b "$d/root" "$rel"
	printf '%s\n' "$rel" >"$d/release"
}

step "fetch Debian's stock kernel" fetch
log "stock kernel: $(kernel_release stock)"
