#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Install the Debian packages the lab needs, when any is missing.
set -eu
. "$(dirname "$0")/lib.sh"

pkgs=(linux-source-6.12 qemu-system-x86 qemu-utils ndctl fio xfsprogs e2fsprogs dmsetup
      ccache build-essential flex bison bc libelf-dev libssl-dev dwarves cpio kmod xz-utils
      busybox-static python3 git rsync file gnuplot-nox liburing-dev libaio-dev
      libcap-dev libnuma-dev pkg-config python3-ply python3-git
      libibverbs-dev ibverbs-providers iproute2)

missing=()
for p in "${pkgs[@]}"; do
	dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

[ "$(id -u)" = 0 ] || die "missing packages (${missing[*]}); run 'make deps' as root"
install() {
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -q >/tmp/daxgup-apt.log 2>&1 ||
		{ tail -n 5 /tmp/daxgup-apt.log >&2; die "apt-get update failed: is Debian's archive reachable?"; }
	apt-get install -y -q --no-install-recommends "${missing[@]}" >>/tmp/daxgup-apt.log 2>&1 ||
		{ tail -n 10 /tmp/daxgup-apt.log >&2; die "apt-get install ${missing[*]} failed (log: /tmp/daxgup-apt.log)"; }
}
step "install ${#missing[@]} Debian package(s): ${missing[*]}" install
