#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Work on the patch series as git commits:
#   series.sh edit        apply patches/series (if needed) and print the tree:
#                         branch daxgup on top of tag daxgup-base, one commit a
#                         patch; amend, rebase -i, add commits there
#   series.sh export      write daxgup-base..daxgup back to patches/NNNN-*.patch
#                         and patches/series (0000-cover-letter.patch is kept)
#   series.sh checkpatch  scripts/checkpatch.pl --strict on every patch
set -eu
. "$(dirname "$0")/lib.sh"

src=$(src_dir patched)
case ${1:-} in
edit)
	"$DAXGUP_TOP/scripts/lab/tree.sh" patched
	echo "$src"
	;;
export)
	[ -d "$src/.git" ] || [ -f "$src/.git" ] || die "no series tree yet: run 'make series-edit' first"
	[ -z "$(git -C "$src" status --porcelain -uno)" ] || die "$src has uncommitted changes: commit them first"
	n=$(git -C "$src" rev-list --count daxgup-base..HEAD)
	find "$DAXGUP_TOP/patches" -name '[0-9][0-9][0-9][0-9]-*.patch' ! -name '0000-cover-letter.patch' -delete
	{
		sed -n '/^#/p' "$DAXGUP_TOP/patches/series"
		[ "$n" -eq 0 ] || git -C "$src" format-patch --no-signature --zero-commit \
			-o "$DAXGUP_TOP/patches" daxgup-base..HEAD | xargs -n1 basename
	} >"$DAXGUP_TOP/patches/series.new"
	mv "$DAXGUP_TOP/patches/series.new" "$DAXGUP_TOP/patches/series"
	# The tree already holds exactly this series: no need to apply it again.
	series_hash >"$src.series"
	log "exported $n patch(es) to patches/"
	;;
checkpatch)
	"$DAXGUP_TOP/scripts/lab/tree.sh" base >/dev/null
	rc=0
	# The base tree is a tarball without history, so checkpatch cannot look
	# up the commits named by Fixes: tags.  "Does MAINTAINERS need updating"
	# only asks whether a patch that adds a file also touches MAINTAINERS;
	# patch 14 adds the entry that covers the files a later patch adds
	# (checked here: each file the series adds is under one of its F:
	# patterns in the patched tree).  Every other check stays on.  Its
	# SPDX check runs scripts/spdxcheck.py with the first python3 in PATH,
	# which must be Debian's (python3-ply, python3-git), or it fails.
	for p in $(series_patches); do
		PATH=/usr/bin:$PATH "$(src_dir base)/scripts/checkpatch.pl" --strict -q \
			--ignore UNKNOWN_COMMIT_ID,FILE_PATH_CHANGES "$DAXGUP_TOP/patches/$p" || rc=1
	done
	"$DAXGUP_TOP/scripts/lab/tree.sh" patched >/dev/null
	for f in $(git -C "$(src_dir patched)" diff --name-only --diff-filter=A daxgup-base HEAD); do
		(cd "$(src_dir patched)" && perl scripts/get_maintainer.pl --no-git \
			--no-git-fallback --no-email --sections -f "$f" 2>/dev/null) |
			grep -v -e '^THE REST$' -e '^[A-Z]:' -e '^$' | grep -q . ||
			{ log "$f: no MAINTAINERS entry covers it but THE REST"; rc=1; }
	done
	[ $rc -eq 0 ] && log "checkpatch --strict: $(series_patches | wc -l) patch(es) clean"
	exit $rc
	;;
*) die "usage: series.sh edit|export|checkpatch" ;;
esac
