#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# dax_rdma: soft-RoCE for dax_rdma.c.  A veth pair, an rxe device on one end
# (rdma link add), then the test: RDMA memory regions in DAX files, written
# and read by a queue pair of the same device.  Undone on exit.
. /run/daxgup/env
set -u
veth=daxgup-rdma0
rxe=daxgup_rxe0
cleanup() {
	rdma link delete "$rxe" 2>/dev/null
	ip link delete "$veth" 2>/dev/null
}
trap cleanup EXIT
fail() {
	echo "TAP version 13"
	echo "1..1"
	printf '%s\n' "$1" | sed 's/^/# /'
	echo "not ok 1 soft-RoCE over veth: $2"
	exit 1
}
# Built in on the lab's kernels, modules on Debian's.
for m in veth ib_uverbs rdma_rxe; do
	out=$(modprobe "$m" 2>&1) || fail "$out" "modprobe $m"
done
out=$({ ip link set lo up &&
	ip link add "$veth" type veth peer name "${veth%0}1" &&
	ip addr add 10.231.0.1/24 dev "$veth" &&
	ip link set "${veth%0}1" up && ip link set "$veth" up &&
	rdma link add "$rxe" type rxe netdev "$veth"; } 2>&1) ||
	fail "$out" "setting up $rxe on $veth"
# rxe fills its GID table from the address asynchronously.
gid=0000:0000:0000:0000:0000:ffff:0ae7:0001
for i in $(seq 100); do
	grep -qx "$gid" /sys/class/infiniband/"$rxe"/ports/1/gids/* 2>/dev/null && break
	sleep 0.1
done
grep -qx "$gid" /sys/class/infiniband/"$rxe"/ports/1/gids/* 2>/dev/null ||
	fail "$(cat /sys/class/infiniband/"$rxe"/ports/1/gids/* 2>&1 | sort -u)" \
		"no GID of 10.231.0.1 on $rxe after 10 s"
DAXGUP_RXE=$rxe "$DAXGUP_BIN/dax_rdma"
