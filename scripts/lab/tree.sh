#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Prepare the kernel source trees of the lab:
#   src-base     the base tree (Debian's linux-source-6.12, or KSRC) as a git
#                repository whose first commit is tagged daxgup-base;
#   src-patched  a worktree of it, branch daxgup, with patches/series
#                committed onto it, one commit a patch, as `git am` would.
#                Re-applied only when the series changed.
#
# Usage: tree.sh [base|patched]
set -eu
. "$(dirname "$0")/lib.sh"

export GIT_AUTHOR_NAME=${GIT_AUTHOR_NAME:-daxgup lab} GIT_AUTHOR_EMAIL=${GIT_AUTHOR_EMAIL:-lab@daxgup.invalid}
export GIT_COMMITTER_NAME=${GIT_COMMITTER_NAME:-daxgup lab} GIT_COMMITTER_EMAIL=${GIT_COMMITTER_EMAIL:-lab@daxgup.invalid}

DEB_TARBALL=/usr/src/linux-source-6.12.tar.xz

# tree_version DIR: "6.12.N" read from the tree's Makefile.
tree_version() {
	awk -F' *= *' '$1=="VERSION"{v=$2} $1=="PATCHLEVEL"{p=$2}
		$1=="SUBLEVEL"{s=$2} END{if (v!="") print v "." p "." s}' "$1/Makefile" 2>/dev/null
}

check_612() {
	local v
	v=$(tree_version "$1")
	[ -n "$v" ] || die "$1 is not a kernel tree (no VERSION in its Makefile)"
	case $v in
	6.12.*) ;;
	*) die "$1 is Linux $v, but daxgup's series is for 6.12.y" ;;
	esac
}

make_base() {
	local src tmp
	src=$(src_dir base)
	[ -d "$src/.git" ] && git -C "$src" rev-parse -q --verify daxgup-base >/dev/null && return 0
	rm -rf "$src"
	mkdir -p "$(dirname "$src")"
	if [ -n "${KSRC:-}" ]; then
		[ -d "$KSRC" ] || die "KSRC=$KSRC: no such directory"
		check_612 "$KSRC"
		if git -C "$KSRC" rev-parse --show-toplevel >/dev/null 2>&1; then
			[ -z "$(git -C "$KSRC" status --porcelain -uno)" ] ||
				log "warning: KSRC has uncommitted changes; using its HEAD only"
			git clone -q --shared --no-checkout "$KSRC" "$src"
			git -C "$src" checkout -q --detach "$(git -C "$KSRC" rev-parse HEAD)"
		else
			[ ! -e "$KSRC/.config" ] ||
				die "KSRC=$KSRC has been built in place: run 'make mrproper' there first"
			mkdir -p "$src"
			cp -a "$KSRC/." "$src/"
			git -C "$src" init -q
			git -C "$src" add -A -f .
			git -C "$src" commit -q -m "Linux $(tree_version "$src") from $KSRC"
		fi
	else
		[ -f "$DEB_TARBALL" ] ||
			die "$DEB_TARBALL is missing: install linux-source-6.12 (make deps)"
		tmp=$(mktemp -d "$(dirname "$src")/unpack.XXXXXX")
		tar -C "$tmp" -xf "$DEB_TARBALL"
		mv "$tmp/linux-source-6.12" "$src"
		rmdir "$tmp"
		check_612 "$src"
		git -C "$src" init -q
		git -C "$src" add -A -f .
		git -C "$src" commit -q -m "Linux $(tree_version "$src") (Debian linux-source-6.12)"
	fi
	git -C "$src" tag -f daxgup-base >/dev/null
	git -C "$src" gc --auto -q 2>/dev/null || true
}

apply_series() {
	local base src stamp want p n=0
	base=$(src_dir base)
	src=$(src_dir patched)
	stamp=$src.series
	want=$(series_hash)
	if [ ! -e "$src/.git" ]; then
		rm -rf "$src"
		git -C "$base" worktree prune
		git -C "$base" worktree add -q --detach "$src" daxgup-base
		rm -f "$stamp"
	fi
	if [ "$(cat "$stamp" 2>/dev/null)" = "$want" ] &&
	   [ -z "$(git -C "$src" status --porcelain -uno)" ]; then
		return 0
	fi
	rm -f "$stamp"
	git -C "$src" am --abort >/dev/null 2>&1 || true
	# The series is committed in an index of its own, off the work tree
	# (git apply --cached, commit-tree), and the work tree is then checked
	# out at the result: only the files whose content changed are written,
	# so the build stays incremental when one patch changes.  (Going back
	# to the base and applying again would give every file the series
	# touches, include/linux/page-flags.h among them, a new mtime.)
	local idx msg head tree info
	idx=$(realpath -m "$src.index")
	msg=$src.msg
	head=$(git -C "$src" rev-parse daxgup-base)
	rm -f "$idx"
	GIT_INDEX_FILE=$idx git -C "$src" read-tree "$head"
	for p in $(series_patches); do
		[ -f "$DAXGUP_TOP/patches/$p" ] || die "patches/series names $p, which does not exist"
		# mailinfo splits the mail: the message to $msg, the diff alone
		# to $src.diff (a message that quotes a diff is not applied).
		if ! info=$(git mailinfo "$msg" "$src.diff" <"$DAXGUP_TOP/patches/$p") ||
		   ! GIT_INDEX_FILE=$idx git -C "$src" apply --cached --whitespace=nowarn \
		     "$src.diff" >"$src.am.log" 2>&1; then
			cat "$src.am.log" >&2
			rm -f "$idx" "$msg" "$src.diff"
			die "patch $p does not apply to Linux $(tree_version "$base")"
		fi
		tree=$(GIT_INDEX_FILE=$idx git -C "$src" write-tree)
		head=$({ sed -n 's/^Subject: //p' <<<"$info"; echo; cat "$msg"; } |
			GIT_AUTHOR_NAME=$(sed -n 's/^Author: //p' <<<"$info") \
			GIT_AUTHOR_EMAIL=$(sed -n 's/^Email: //p' <<<"$info") \
			GIT_AUTHOR_DATE=$(sed -n 's/^Date: //p' <<<"$info") \
			git -C "$src" commit-tree "$tree" -p "$head") ||
			die "patch $p: cannot commit it (no From: or Subject:?)"
		n=$((n + 1))
	done
	rm -f "$idx" "$msg" "$src.diff"
	git -C "$src" checkout -q -f -B daxgup "$head"
	printf '%s\n' "$want" >"$stamp"
}

print_tree() {
	local src=$1
	log "base: Linux $(tree_version "$src") ($(if [ -n "${KSRC:-}" ]; then echo "KSRC=$KSRC"; else echo "Debian linux-source-6.12"; fi))"
	if [ "$2" = patched ]; then
		log "series: $(git -C "$src" rev-list --count daxgup-base..HEAD) patch(es) applied"
		git -C "$src" log --reverse --format='    %h %s' daxgup-base..HEAD >&2
	fi
}

flav=${1:-$KERNEL}
case $flav in
base)
	step "unpack base tree" make_base
	print_tree "$(src_dir base)" base
	;;
patched)
	step "unpack base tree" make_base
	step "apply patches/series" apply_series
	print_tree "$(src_dir patched)" patched
	;;
*) die "tree.sh: no source tree for KERNEL=$flav" ;;
esac
