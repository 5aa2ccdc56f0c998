#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Copyright (C) 2026 the ims_wic authors
#
# Runs every test of ims_wic: the unit tests (under ASan/UBSan), the fuzz
# smoke runs and the integration tests against a real Kamailio. Each suite
# speaks TAP; the summary counts every test and ends with
# "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/.."
OUT=tests/out
mkdir -p "$OUT"
: > "$OUT/summary.tap"

passed=0
failed=0

count_tap() { # file
	local p f
	p=$(grep -cE '^[[:space:]]*ok [0-9]+' "$1" || true)
	f=$(grep -cE '^[[:space:]]*not ok [0-9]+' "$1" || true)
	passed=$((passed + p))
	failed=$((failed + f))
	cat "$1" >> "$OUT/summary.tap"
}

# Every suite runs under a time limit (coreutils timeout: SIGTERM, then
# SIGKILL KILL_AFTER seconds later), so that a hung test can never hold the
# run: when the limit is hit the suite gets a "not ok" of its own and the
# summary is still printed.
KILL_AFTER=${KILL_AFTER:-30}
UNIT_LIMIT=${UNIT_LIMIT:-300}             # s, each unit-test binary
FUZZ_LIMIT=${FUZZ_LIMIT:-600}             # s, the fuzz smoke runs
INTEGRATION_LIMIT=${INTEGRATION_LIMIT:-1200}  # s, all integration files
FILE_LIMIT_MS=${FILE_LIMIT_MS:-600000}    # ms, one integration file (node --test-timeout)
DOCKER_LAB_LIMIT=${DOCKER_LAB_LIMIT:-1800} # s, the docker lab (a cold run builds every image)

run_suite() { # name, limit (s), command...
	local name=$1 limit=$2 rc
	shift 2
	printf '== %s\n' "$name"
	timeout -k "$KILL_AFTER" "$limit" "$@" > "$OUT/$name.tap" 2> "$OUT/$name.err"
	rc=$?
	grep -E '^[[:space:]]*(not )?ok [0-9]+' "$OUT/$name.tap" | sed 's/^[[:space:]]*//; s/^/  /'
	count_tap "$OUT/$name.tap"
	if [ $rc -eq 124 ] || [ $rc -eq 137 ]; then
		# timeout's SIGTERM (124) or, KILL_AFTER seconds later, SIGKILL (137)
		printf 'not ok - %s timed out after %d s (see %s)\n' "$name" "$limit" "$OUT/$name.err" |
			tee -a "$OUT/summary.tap" | sed 's/^/  /'
		failed=$((failed + 1))
	elif [ $rc -ne 0 ] && ! grep -qE '^[[:space:]]*not ok' "$OUT/$name.tap"; then
		# the suite died without saying which test failed
		printf 'not ok - %s exited %d (see %s)\n' "$name" "$rc" "$OUT/$name.err" |
			tee -a "$OUT/summary.tap" | sed 's/^/  /'
		failed=$((failed + 1))
	fi
}

for bin in build/unit/test_*; do
	[ -x "$bin" ] || continue
	run_suite "unit-$(basename "$bin")" "$UNIT_LIMIT" env CMOCKA_MESSAGE_OUTPUT=TAP \
		ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
		UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 "$bin"
done

if [ -x tests/fuzz/smoke.sh ]; then
	run_suite fuzz-smoke "$FUZZ_LIMIT" tests/fuzz/smoke.sh
fi

shopt -s nullglob
integration=()
for f in tests/integration/*.test.js; do
	# the docker lab runs as a suite of its own, below
	[ "$f" = tests/integration/docker-lab.test.js ] || integration+=("$f")
done
if [ ${#integration[@]} -gt 0 ]; then
	# --test-timeout: the limit of one file in Node 20 (tests/lib/test.js
	# gives each test and hook its own); --test-force-exit: a file's process
	# ends once its tests are done, whatever handle is still open (its exit
	# handler then kills what tests/lib/common.js registered)
	run_suite integration "$INTEGRATION_LIMIT" node --test --test-reporter=tap \
		--test-concurrency=1 --test-timeout="$FILE_LIMIT_MS" --test-force-exit \
		"${integration[@]}"
fi

# The compose lab in containers (issue 16): images built (cached between
# runs), the stack up, calls through it, torn down.
if [ -f tests/integration/docker-lab.test.js ]; then
	run_suite docker-lab "$DOCKER_LAB_LIMIT" node --test --test-reporter=tap \
		--test-timeout="$((DOCKER_LAB_LIMIT * 1000))" --test-force-exit \
		tests/integration/docker-lab.test.js
fi

echo
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
