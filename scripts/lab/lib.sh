# SPDX-License-Identifier: GPL-2.0
# Shared helpers of the daxgup lab scripts.  Sourced, never run.

DAXGUP_TOP=${DAXGUP_TOP:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
# Everything built or downloaded lives outside the clone.
DAXGUP_O=${DAXGUP_O:-${O:-$HOME/.cache/daxgup}}
KERNEL=${KERNEL:-patched}
VARIANT=${VARIANT:-}
JOBS=${JOBS:-$(($(nproc) + 1))}

_t0=$(date +%s)

log() { printf '[%4ds] %s\n' $(($(date +%s) - _t0)) "$*" >&2; }
die() { printf 'daxgup: error: %s\n' "$*" >&2; exit 1; }

# step NAME CMD...: run one long step, with its name and elapsed time.
# A failing CMD ends the script (set -e) after it has said why.
step() {
	local name=$1 s
	shift
	s=$(date +%s)
	log "==> $name"
	"$@"
	log "<== $name ($(($(date +%s) - s)) s)"
}

# Base tree identity: Debian's linux-source-6.12 unless KSRC names a tree.
base_id() {
	if [ -n "${KSRC:-}" ]; then
		printf 'ksrc-%s\n' "$(realpath "$KSRC" | sha1sum | cut -c1-10)"
	else
		printf 'debian-6.12\n'
	fi
}

# Source tree of a flavour: the base tree as unpacked (base), or a git
# worktree of it with patches/series applied (patched).
src_dir() {
	printf '%s/%s/src-%s\n' "$DAXGUP_O" "$(base_id)" "${1:-$KERNEL}"
}

# Build dir of a flavour; Debian's prebuilt stock kernel is unpacked instead.
build_dir() {
	local k=${1:-$KERNEL}
	case $k in
	stock) printf '%s/stock\n' "$DAXGUP_O" ;;
	patched|base) printf '%s/%s/build-%s%s\n' "$DAXGUP_O" "$(base_id)" "$k" "${VARIANT:+-$VARIANT}" ;;
	*) die "KERNEL=$k: expected patched, base or stock" ;;
	esac
}

# What a checkout builds for itself (the module, the tests) lives apart
# from other checkouts that share O, so that none runs another's binaries.
checkout_dir() {
	printf '%s/checkouts/%s\n' "$DAXGUP_O" "$(printf '%s' "$DAXGUP_TOP" | sha1sum | cut -c1-10)"
}

# Where the daxgup_pmem module is built for a flavour.
module_dir() {
	printf '%s/module-%s\n' "$(checkout_dir)" "$(basename "$(build_dir "${1:-$KERNEL}")")"
}

# The kernel release string of a built or unpacked flavour.
kernel_release() {
	local k=${1:-$KERNEL} d
	d=$(build_dir "$k")
	if [ "$k" = stock ]; then
		cat "$d/release" 2>/dev/null
	else
		cat "$d/include/config/kernel.release" 2>/dev/null
	fi
}

# Directory holding lib/modules/<release> of a flavour.
modules_root() {
	local k=${1:-$KERNEL}
	if [ "$k" = stock ]; then
		printf '%s/root\n' "$(build_dir stock)"
	else
		printf '%s/modroot\n' "$(build_dir "$k")"
	fi
}

# Path of the bootable image of a flavour.
kernel_image() {
	local k=${1:-$KERNEL}
	if [ "$k" = stock ]; then
		printf '%s/root/boot/vmlinuz-%s\n' "$(build_dir stock)" "$(kernel_release stock)"
	else
		printf '%s/arch/x86/boot/bzImage\n' "$(build_dir "$k")"
	fi
}

# Content of the series: the cache key of the patched tree.
series_hash() {
	(cd "$DAXGUP_TOP/patches" &&
		cat series $(grep -v '^[[:space:]]*\(#\|$\)' series)) | sha1sum | cut -c1-40
}

# Patch files named by patches/series, in order.
series_patches() {
	grep -v '^[[:space:]]*\(#\|$\)' "$DAXGUP_TOP/patches/series" || true
}
