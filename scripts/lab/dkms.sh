#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# daxgup_pmem through DKMS, the Debian way.
#
#   dkms.sh install [KVER]   (make dkms) on this machine, as root: Debian's
#                            dkms, linux-headers-KVER and linux-source-<x.y>
#                            packages, the source in /usr/src/daxgup-pmem-V,
#                            dkms add + install for KVER (default: the
#                            running kernel; AUTOINSTALL builds it for every
#                            later kernel), /etc/modprobe.d/daxgup.conf
#   dkms.sh remove           (make dkms-remove) undo it
#   dkms.sh lab [KERNEL]     the lab's test of it (scripts/lab/module.sh):
#                            dkms add, build and install for a lab kernel
#                            (Debian's stock one, or the patched build), the
#                            trees DKMS uses kept under the lab's work dir,
#                            installed into a module root that holds the
#                            kernel's own modules and daxgup.conf, which the
#                            guest then boots with (DAXGUP_BOOT_MODULES)
set -eu
. "$(dirname "$0")/lib.sh"

src=$DAXGUP_TOP/drivers/nvdimm/daxgup
name=daxgup-pmem
ver=$(sed -n 's/^PACKAGE_VERSION="\(.*\)"$/\1/p' "$src/dkms.conf")
[ -n "$ver" ] || die "no PACKAGE_VERSION in $src/dkms.conf"

need_root() { [ "$(id -u)" = 0 ] || die "$1: run it as root"; }

# apt_install PKG...: install the Debian packages that are missing
apt_install() {
	local p missing=()
	for p in "$@"; do
		dpkg-query -W -f '${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing+=("$p")
	done
	[ ${#missing[@]} = 0 ] && return 0
	need_root "installing ${missing[*]}"
	log "apt-get install ${missing[*]}"
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
		"${missing[@]}" >/tmp/daxgup-apt.log 2>&1 ||
		{ tail -n 5 /tmp/daxgup-apt.log >&2; die "cannot install ${missing[*]}"; }
}

# copy_source DIR: the module's source as DKMS builds it, in DIR
copy_source() {
	mkdir -p "$1"
	rsync -a --delete --exclude='*.o' --exclude='*.ko' --exclude='.*.cmd' \
		--exclude='*.mod' --exclude='*.mod.c' --exclude=modules.order \
		--exclude=Module.symvers --exclude=.nvdimm-src --exclude=.checkpatch \
		"$src/" "$1/"
}

cmd=${1:-}
case $cmd in
install)
	kver=${2:-${KVER:-$(uname -r)}}
	need_root "make dkms"
	case $kver in
	6.12.*) ;;
	*) die "kernel $kver: daxgup_pmem is for 6.12 kernels (BUILD_EXCLUSIVE_KERNEL in dkms.conf); KVER=6.12.... names one" ;;
	esac
	xy=$(echo "$kver" | cut -d. -f1-2)
	apt_install dkms "linux-headers-$kver" "linux-source-$xy"
	copy_source "/usr/src/$name-$ver"
	if dkms status -m "$name" -v "$ver" 2>/dev/null | grep -q .; then
		dkms remove -m "$name" -v "$ver" --all >/dev/null
	fi
	dkms add -m "$name" -v "$ver"
	# dkms says only "Bad return status"; the reason (a missing or
	# mismatched linux-source, say) is at the end of its make.log
	if ! dkms install -m "$name" -v "$ver" -k "$kver"; then
		f=/var/lib/dkms/$name/$ver/build/make.log
		[ ! -f "$f" ] || grep -E 'daxgup_pmem:|error' "$f" | tail -n 5 >&2
		die "dkms could not build $name $ver for $kver"
	fi
	install -D -m 644 "$src/daxgup.conf" /etc/modprobe.d/daxgup.conf
	log "installed: $(modinfo -k "$kver" -n daxgup_pmem), /etc/modprobe.d/daxgup.conf"
	cat <<EOF
daxgup_pmem now serves pmem namespaces on $kver: udev and ndctl load it
where they loaded nd_pmem.  Next:
  modprobe -r nd_pmem; modprobe daxgup_pmem     # or reboot
  ndctl list -N                                 # the namespaces, served again
  dmesg | grep daxgup_pmem                      # what it serves, what it refuses
EOF
	;;
remove)
	need_root "make dkms-remove"
	if command -v dkms >/dev/null && dkms status -m "$name" 2>/dev/null | grep -q .; then
		dkms remove -m "$name" -v "$ver" --all
	fi
	rm -rf "/usr/src/$name-$ver"
	rm -f /etc/modprobe.d/daxgup.conf
	log "daxgup_pmem removed; nd_pmem serves pmem namespaces again"
	;;
lab)
	k=${2:-$KERNEL}
	rel=$(kernel_release "$k")
	[ -n "$rel" ] || die "KERNEL=$k is not built yet"
	xy=$(echo "$rel" | cut -d. -f1-2)
	if [ "$k" = stock ]; then
		kdir=/usr/src/linux-headers-$rel
	else
		kdir=$(build_dir "$k")
	fi
	out=$(module_dir "$k")
	root=$out/installed
	tree=$out/dkms
	lib=$root/lib/modules/$rel
	# Again only when the module's source or the kernel changed.
	key=$(cd "$src" && find . -maxdepth 1 -type f \( -name '*.[ch]' -o -name Kbuild -o \
		-name Makefile -o -name '*.sh' -o -name '*.conf' \) | sort | xargs sha1sum |
		sha1sum | cut -c1-12)
	key="$key $rel $(stat -c %Y "$kdir/include/config/kernel.release" "$kdir/Module.symvers" | paste -sd' ')"
	if [ "$(cat "$root/.key" 2>/dev/null)" = "$key" ] && [ -s "$lib/modules.dep" ] &&
	   ls "$lib"/updates/dkms/daxgup_pmem.ko* >/dev/null 2>&1; then
		log "dkms: $(cat "$root/.installed") (up to date)"
		exit 0
	fi
	apt_install dkms "linux-source-$xy"
	rm -rf "$root" "$tree"
	mkdir -p "$lib" "$tree/var" "$root/etc/modprobe.d"
	# What a Debian system has in /lib/modules/<kernel>: the kernel's
	# modules (linux-image) and the build tree (linux-headers)
	ln -s "$kdir" "$lib/build"
	ln -s "$(modules_root "$k")/lib/modules/$rel/kernel" "$lib/kernel"
	for f in modules.order modules.builtin modules.builtin.modinfo; do
		cp "$(modules_root "$k")/lib/modules/$rel/$f" "$lib/"
	done
	copy_source "$tree/src/$name-$ver"
	# dkms runs depmod on /lib/modules of this machine: the module root is
	# ours, so depmod runs here, on it (--no-depmod)
	dk=(dkms --dkmstree "$tree/var" --sourcetree "$tree/src" --installtree "$root/lib/modules")
	{
		"${dk[@]}" add -m "$name" -v "$ver" &&
		"${dk[@]}" build -m "$name" -v "$ver" -k "$rel" --kernelsourcedir "$kdir" &&
		"${dk[@]}" install -m "$name" -v "$ver" -k "$rel" --kernelsourcedir "$kdir" --no-depmod &&
		"${dk[@]}" status -m "$name"
	} >"$out/dkms.log" 2>&1 || {
		tail -n 30 "$out/dkms.log" >&2
		f=$tree/var/$name/$ver/build/make.log
		[ ! -f "$f" ] || tail -n 20 "$f" >&2
		die "dkms could not build or install $name $ver for $rel (log: $out/dkms.log)"
	}
	depmod -b "$root" "$rel"
	install -m 644 "$src/daxgup.conf" "$root/etc/modprobe.d/daxgup.conf"
	ko=$(cd "$lib" && ls updates/dkms/daxgup_pmem.ko* 2>/dev/null)
	[ -n "$ko" ] || die "dkms installed no daxgup_pmem.ko under $lib/updates/dkms (log: $out/dkms.log)"
	printf '%s\n' "$key" >"$root/.key"
	printf '%s for %s: %s (sha256 %s)\n' "$name/$ver" "$rel" "$ko" \
		"$(sha256sum <"$lib/$ko" | cut -c1-16)" >"$root/.installed"
	log "dkms: $(cat "$root/.installed")"
	;;
*)
	die "dkms.sh install [KVER] | remove | lab [KERNEL]"
	;;
esac
