#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# config-check.sh CONFIG FRAGMENT...: fail when a line of the fragments did
# not survive into the final .config (an option Kconfig dropped or changed
# silently would make the lab measure something else than it says).
set -eu
cfg=$1
shift
bad=0
# Later fragments override earlier ones, as merge_config.sh does.
while read -r sym want; do
	have=$(sed -n "s/^$sym=\(.*\)/\1/p; s/^# $sym is not set/n/p" "$cfg")
	[ -n "$have" ] || have=n
	if [ "$have" != "$want" ]; then
		printf 'config-check: %s=%s wanted, .config has %s\n' "$sym" "$want" "$have" >&2
		bad=1
	fi
done < <(sed -n 's/^\(CONFIG_[A-Za-z0-9_]*\)=\(.*\)/\1 \2/p; s/^# \(CONFIG_[A-Za-z0-9_]*\) is not set/\1 n/p' "$@" |
	 awk '{v[$1]=$2; if (!($1 in o)) o[$1]=n++} END{for (k in v) print o[k], k, v[k]}' |
	 sort -n | cut -d' ' -f2-)
exit $bad
