#!/usr/bin/env bash
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

run_suite() { # name, command...
	local name=$1 rc
	shift
	printf '== %s\n' "$name"
	"$@" > "$OUT/$name.tap" 2> "$OUT/$name.err"
	rc=$?
	grep -E '^[[:space:]]*(not )?ok [0-9]+' "$OUT/$name.tap" | sed 's/^[[:space:]]*/  /'
	count_tap "$OUT/$name.tap"
	if [ $rc -ne 0 ] && ! grep -qE '^[[:space:]]*not ok' "$OUT/$name.tap"; then
		# the suite died without saying which test failed
		printf '  not ok - %s exited %d (see %s)\n' "$name" "$rc" "$OUT/$name.err"
		failed=$((failed + 1))
	fi
}

for bin in build/unit/test_*; do
	[ -x "$bin" ] || continue
	run_suite "unit-$(basename "$bin")" env CMOCKA_MESSAGE_OUTPUT=TAP \
		ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
		UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 "$bin"
done

if [ -x tests/fuzz/smoke.sh ]; then
	run_suite fuzz-smoke tests/fuzz/smoke.sh
fi

shopt -s nullglob
integration=(tests/integration/*.test.js)
if [ ${#integration[@]} -gt 0 ]; then
	run_suite integration node --test --test-reporter=tap \
		--test-concurrency=1 "${integration[@]}"
fi

echo
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
