#!/usr/bin/env bash
# The test command: set up the machine if needed, then configure, build and run every
# test suite in three flavours, and print one closing summary. Exits non-zero on failure.
#
#   build/       g++, the default flavour: every suite (unit, pcap, oracle, interop, corpus)
#   build-asan/  g++ with AddressSanitizer + UndefinedBehaviorSanitizer, -march=native (the
#                AVX2 lean paths): the unit suites and the dataplane suite (EAL in-process,
#                installs and removals while traffic flows; not the multiprocess suite)
#   build-fuzz/  clang with libFuzzer: each fuzzer runs for L2TPX_FUZZ_SECONDS (default 20)
#
# Environment: L2TPX_SKIP_SETUP=1 skips tools/setup.sh; L2TPX_FLAVOURS="default asan fuzz"
# picks flavours; extra arguments go to every `meson test` (e.g. a suite or test name).
set -uo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"

if [ "${L2TPX_SKIP_SETUP:-0}" != 1 ]; then
	bash tools/setup.sh || { echo "test: set-up failed" >&2; exit 1; }
fi

jobs=$(nproc)
flavours=${L2TPX_FLAVOURS:-default asan fuzz}
export L2TPX_FUZZ_SECONDS=${L2TPX_FUZZ_SECONDS:-20}
passed=0 failed=0 skipped=0 status=0

configure() { # dir, meson args...
	local dir=$1; shift
	if [ -f "$dir/build.ninja" ]; then
		meson setup --reconfigure "$dir" "$@" >"$dir.setup.log" 2>&1
	else
		meson setup "$dir" "$@" >"$dir.setup.log" 2>&1
	fi || { cat "$dir.setup.log"; echo "test: meson setup of $dir failed" >&2; return 1; }
}

count() { # dir: add this run's results from meson's testlog.json to the totals
	local log=$1/meson-logs/testlog.json p f s
	[ -f "$log" ] || return 0
	read -r p f s < <(/usr/bin/python3 - "$log" <<'PY'
import json, sys
p = f = s = 0
for line in open(sys.argv[1]):
    r = json.loads(line)["result"]
    if r in ("OK", "EXPECTEDFAIL"): p += 1
    elif r == "SKIP": s += 1
    else: f += 1
print(p, f, s)
PY
)
	passed=$((passed + p)) failed=$((failed + f)) skipped=$((skipped + s))
}

run_flavour() { # name dir suites-args -- meson-setup-args
	local name=$1 dir=$2; shift 2
	local suites=() setup=()
	while [ $# -gt 0 ] && [ "$1" != -- ]; do suites+=("$1"); shift; done
	shift
	setup=("$@")
	echo "=== flavour $name ($dir) ==="
	configure "$dir" "${setup[@]}" || { failed=$((failed + 1)); status=1; return; }
	if ! ninja -C "$dir" -j "$jobs" >"$dir.build.log" 2>&1; then
		tail -n 60 "$dir.build.log"
		echo "test: build of $dir failed (full log: $dir.build.log)" >&2
		failed=$((failed + 1)) status=1
		return
	fi
	rm -f "$dir/meson-logs/testlog.json"
	meson test -C "$dir" --print-errorlogs --num-processes "$jobs" "${suites[@]}" ${TEST_ARGS[@]+"${TEST_ARGS[@]}"} || status=1
	count "$dir"
}

TEST_ARGS=("$@")
for f in $flavours; do
	case $f in
	default) run_flavour default build -- ;;
	asan) run_flavour asan build-asan --suite unit --suite dataplane --no-suite multiprocess -- \
		-Db_sanitize=address,undefined -Db_lundef=false -Dmarch=native ;;
	fuzz) CXX=clang++ run_flavour fuzz build-fuzz --suite fuzz -- -Dfuzz=true -Ddpdk=disabled -Dmarch= ;;
	*) echo "test: unknown flavour $f" >&2; status=1 ;;
	esac
done

echo
echo "=== l2tpx test summary (flavours: $flavours) ==="
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ] || status=1
exit $status
