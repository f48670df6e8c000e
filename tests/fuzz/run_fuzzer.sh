#!/usr/bin/env bash
# Runs one libFuzzer target for a bounded time over a scratch copy of its seed corpus, so
# the repository's corpus is never modified. Usage: run_fuzzer.sh BINARY SEED_DIR
set -euo pipefail
bin=$1 seeds=$2
secs=${L2TPX_FUZZ_SECONDS:-20}
work=$(mktemp -d /tmp/l2tpx-fuzz.XXXXXX)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/corpus" "$work/artifacts"
exec_rc=0
"$bin" -max_total_time="$secs" -print_final_stats=1 -artifact_prefix="$work/artifacts/" \
	-rss_limit_mb=2048 -timeout=10 "$work/corpus" "$seeds" || exec_rc=$?
if [ "$exec_rc" -ne 0 ]; then
	for a in "$work"/artifacts/*; do
		[ -f "$a" ] && { echo "crash input ($a):"; od -An -tx1 "$a" | head -20; }
	done
fi
exit "$exec_rc"
