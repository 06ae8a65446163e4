#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Configure and build a lab kernel out of tree, with ccache:
#   build.sh [patched|base]      (VARIANT=debug adds scripts/config/debug.config)
# The result: $(build_dir)/arch/x86/boot/bzImage and modules under modroot/.
set -eu
. "$(dirname "$0")/lib.sh"

flav=${1:-$KERNEL}
src=$(src_dir "$flav")
b=$(build_dir "$flav")
frags=("$DAXGUP_TOP/scripts/config/daxgup.config")
[ "$VARIANT" != debug ] || frags+=("$DAXGUP_TOP/scripts/config/debug.config")
[ -z "$VARIANT" ] || [ "$VARIANT" = debug ] || die "VARIANT=$VARIANT: only 'debug' is known"
command -v ccache >/dev/null || die "ccache is missing (make deps)"
[ -d "$src" ] || die "no source tree at $src (scripts/lab/tree.sh $flav)"

export CCACHE_DIR=${CCACHE_DIR:-$HOME/.cache/ccache}
export CCACHE_MAXSIZE=${CCACHE_MAXSIZE:-8G}
export CCACHE_NOHASHDIR=1
export CCACHE_BASEDIR=$DAXGUP_O
kmake=(make -C "$src" O="$b" CC="ccache gcc" HOSTCC="ccache gcc" -j"$JOBS")
[ "$flav" = patched ] && kmake+=(LOCALVERSION=-daxgup) || kmake+=(LOCALVERSION=-base)

configure() {
	local key
	key=$(cat "${frags[@]}" | sha1sum | cut -c1-40)
	if [ -f "$b/.config" ] && [ "$(cat "$b/.daxgup-config" 2>/dev/null)" = "$key" ]; then
		return 0
	fi
	mkdir -p "$b"
	"${kmake[@]}" -s x86_64_defconfig
	"$src/scripts/kconfig/merge_config.sh" -m -O "$b" "$b/.config" "${frags[@]}" >"$b/merge.log"
	"${kmake[@]}" -s olddefconfig
	"$DAXGUP_TOP/scripts/lab/config-check.sh" "$b/.config" "${frags[@]}" ||
		die "the kernel config lost options of the fragment (above)"
	printf '%s\n' "$key" >"$b/.daxgup-config"
}

compile() {
	local pid s=$(date +%s) n rc=0
	"${kmake[@]}" bzImage modules >"$b/build.log" 2>&1 &
	pid=$!
	while kill -0 "$pid" 2>/dev/null; do
		sleep 20
		kill -0 "$pid" 2>/dev/null || break
		n=$(grep -c '^ *\(CC\|AS\|LD\)' "$b/build.log" || true)
		log "    compiling: $n objects so far, $(($(date +%s) - s)) s"
	done
	wait "$pid" || rc=$?
	if [ "$rc" -ne 0 ]; then
		grep -B2 -A8 -m5 'error:\|Error [0-9]' "$b/build.log" >&2 || tail -n 30 "$b/build.log" >&2
		die "kernel build failed (log: $b/build.log)"
	fi
}

install_modules() {
	rm -rf "$b/modroot"
	"${kmake[@]}" -s INSTALL_MOD_PATH="$b/modroot" INSTALL_MOD_STRIP=1 modules_install >/dev/null
}

step "configure $flav${VARIANT:+-$VARIANT} kernel" configure
step "build $flav${VARIANT:+-$VARIANT} kernel ($JOBS jobs, log in $b/build.log)" compile
step "install modules" install_modules
log "kernel: $(kernel_release "$flav") at $(kernel_image "$flav")"
