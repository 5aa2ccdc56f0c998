#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Copyright (C) 2026 the ims_wic authors
#
# Quick fuzz check for `make test` (tests/run-all.sh): builds every target,
# replays each committed seed and regression input, then fuzzes each target
# for a few seconds (FUZZ_SMOKE_SECONDS, default 3) from a scratch copy of
# its corpus. Prints TAP, one line per target; exits non-zero on failure.
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 2
. tests/fuzz/targets.sh

SECS=${FUZZ_SMOKE_SECONDS:-3}
OUT=build/fuzz
SMOKE=$OUT/smoke

if ! command -v "${CC:-clang}" >/dev/null 2>&1; then
	echo "1..0 # SKIP clang with libFuzzer not installed"
	exit 0
fi
mkdir -p "$OUT/logs"
if ! tests/fuzz/build.sh "${FUZZ_TARGET_LIST[@]}" > "$OUT/logs/smoke-build.log" 2>&1; then
	echo "1..1"
	echo "not ok 1 - fuzz build"
	sed 's/^/# /' "$OUT/logs/smoke-build.log" | tail -n 20
	exit 1
fi

echo "1..${#FUZZ_TARGET_LIST[@]}"
n=0
bad=0
for t in "${FUZZ_TARGET_LIST[@]}"; do
	n=$((n + 1))
	log=$OUT/logs/smoke-$t.log
	scratch=$SMOKE/$t
	rm -rf "$scratch" "$SMOKE/crash-$t-"*
	mkdir -p "$scratch"
	: > "$log"
	mapfile -t opts < <(fuzz_common_opts "$t")
	shopt -s nullglob
	inputs=(tests/fuzz/corpus/"$t"/* tests/fuzz/regressions/"$t"/*)
	shopt -u nullglob
	why=
	# 1. every committed input, once each
	if [ ${#inputs[@]} -gt 0 ]; then
		"$OUT/fuzz_$t" "${opts[@]}" -artifact_prefix="$SMOKE/crash-$t-" \
			"${inputs[@]}" >> "$log" 2>&1 || why="replay of committed inputs failed"
	fi
	# 2. a short fuzzing run
	if [ -z "$why" ]; then
		[ -d "tests/fuzz/corpus/$t" ] && cp tests/fuzz/corpus/"$t"/* "$scratch"/ 2>/dev/null
		"$OUT/fuzz_$t" "${opts[@]}" -max_total_time="$SECS" \
			-artifact_prefix="$SMOKE/crash-$t-" "$scratch" >> "$log" 2>&1 \
			|| why="finding in a ${SECS} s run"
	fi
	if [ -z "$why" ]; then
		echo "ok $n - fuzz $t"
	else
		bad=$((bad + 1))
		echo "not ok $n - fuzz $t"
		echo "# $why; log: $log"
		grep -E '^(==[0-9]+==ERROR|SUMMARY|invariant failed|Running: |.*runtime error)' "$log" \
			| tail -n 6 | sed 's/^/#   /'
		find "$SMOKE" -maxdepth 1 -name "crash-$t-*" 2>/dev/null | sed "s/^/#   artifact: /"
	fi
done
[ $bad -eq 0 ]
