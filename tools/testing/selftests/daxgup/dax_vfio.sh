#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# dax_vfio: QEMU's edu PCI device (boot option DAXGUP_BOOT_IOMMU=edu: a q35
# machine with an Intel IOMMU) bound to vfio-pci, then dax_vfio.c: device
# DMA into DAX files mapped with VFIO_IOMMU_MAP_DMA.  The device goes back
# to no driver on exit.
. /run/daxgup/env
set -u
fail() {
	echo "TAP version 13"
	echo "1..1"
	printf '%s\n' "$1" | sed 's/^/# /'
	echo "not ok 1 edu bound to vfio-pci: $2"
	exit 1
}
bdf=
for d in /sys/bus/pci/devices/*; do
	[ "$(cat "$d/vendor")" = 0x1234 ] && [ "$(cat "$d/device")" = 0x11e8 ] &&
		bdf=${d##*/} && break
done
[ -n "$bdf" ] || fail "$(lspci -nn 2>&1 || ls /sys/bus/pci/devices)" \
	"no edu device (1234:11e8): not booted with DAXGUP_BOOT_IOMMU=edu?"
dev=/sys/bus/pci/devices/$bdf
[ -e "$dev/iommu_group" ] || fail "$(dmesg | grep -i -e dmar -e iommu | tail -n 5)" \
	"$bdf has no IOMMU group: the IOMMU is off"
# Built in on the lab's kernels, modules on Debian's.
for m in vfio-pci vfio_iommu_type1; do
	out=$(modprobe "$m" 2>&1) || fail "$out" "modprobe $m"
done
cleanup() {
	[ -e "$dev/driver" ] && echo "$bdf" >"$dev/driver/unbind"
	echo >"$dev/driver_override"
}
trap cleanup EXIT
[ -e "$dev/driver" ] && echo "$bdf" >"$dev/driver/unbind"
out=$({ echo vfio-pci >"$dev/driver_override" && echo "$bdf" >/sys/bus/pci/drivers_probe; } 2>&1)
[ "$(basename "$(readlink "$dev/driver")")" = vfio-pci ] ||
	fail "$out" "binding $bdf to vfio-pci"
DAXGUP_EDU=$bdf "$DAXGUP_BIN/dax_vfio"
