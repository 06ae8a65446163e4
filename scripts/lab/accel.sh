#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Print the QEMU accelerator to use: ACCEL if set, else kvm when a probe boot
# under KVM reaches the initramfs, else tcg.  Nested KVM on some hosts opens
# /dev/kvm fine and then dies in the guest's decompressor, hence the probe.
set -eu
. "$(dirname "$0")/lib.sh"

if [ -n "${ACCEL:-}" ]; then
	echo "$ACCEL"
	exit 0
fi
cache=$DAXGUP_O/accel.$(uname -r)
if [ -s "$cache" ]; then
	cat "$cache"
	exit 0
fi
acc=tcg
if [ -w /dev/kvm ]; then
	out=$(timeout 30 qemu-system-x86_64 -nodefaults -machine pc -accel kvm -cpu host -m 512M \
		-kernel "$(kernel_image)" -initrd "$(build_dir)/initramfs.cpio.gz" \
		-append "console=ttyS0 panic=-1 daxgup.probe=1" -display none -monitor none \
		-serial stdio -no-reboot </dev/null 2>&1 || true)
	case $out in
	*"daxgup-probe: userspace reached"*) acc=kvm ;;
	*) log "KVM probe failed ($(printf '%s\n' "$out" | grep -m1 -i 'error\|fail' || echo 'no userspace')): using TCG" ;;
	esac
fi
mkdir -p "$DAXGUP_O"
echo "$acc" >"$cache"
echo "$acc"
