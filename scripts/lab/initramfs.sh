#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# initramfs.sh [patched|base|stock]: the lab's small initramfs for a kernel:
# busybox, scripts/lab/guest/init, and (for a modular kernel such as Debian's)
# the modules it needs to mount the host root over 9p, uncompressed because
# busybox's insmod reads no .ko.xz.
set -eu
. "$(dirname "$0")/lib.sh"

k=${1:-$KERNEL}
rel=$(kernel_release "$k")
[ -n "$rel" ] || die "KERNEL=$k is not built yet"
mroot=$(modules_root "$k")
out=$(build_dir "$k")/initramfs.cpio.gz
bb=/bin/busybox
[ -x "$bb" ] && file -L "$bb" 2>/dev/null | grep -q static || bb=$(command -v busybox || true)
[ -n "$bb" ] || die "busybox is missing (make deps installs busybox-static)"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp"/{bin,proc,sys,dev,modules}
cp "$bb" "$tmp/bin/busybox"
install -m 755 "$DAXGUP_TOP/scripts/lab/guest/init" "$tmp/init"
: >"$tmp/modules/order"
# modprobe resolves the dependencies; built-in ones print "builtin".
for m in 9pnet_virtio 9p; do
	modprobe -d "$mroot" -S "$rel" --show-depends "$m" 2>/dev/null
done | awk '$1 == "insmod" && !seen[$2]++ {print $2}' |
	while read -r ko; do
		name=$(basename "${ko%.xz}")
		case $ko in
		*.xz) xz -dc "$ko" >"$tmp/modules/$name" ;;
		*) cp "$ko" "$tmp/modules/$name" ;;
		esac
		echo "$name" >>"$tmp/modules/order"
	done
(cd "$tmp" && find . | cpio -o -H newc --quiet | gzip -1) >"$out"
log "initramfs: $out ($(wc -l <"$tmp/modules/order") modules)"
