#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Copyright (C) 2026 the ims_wic authors
#
# Fuzzes every target for the given time (default 60 s each), one after
# the other:   tests/fuzz/run.sh [seconds-per-target]
# New corpus entries go to build/fuzz/corpus/<target>/ (a copy of the
# committed seeds, kept between runs; the committed corpus is only read),
# crashes to build/fuzz/crashes/<target>-*, logs to build/fuzz/logs/.
# Exits non-zero when any target found a crash, leak, UB or timeout.
# FUZZ_TARGETS="token pui" runs only those.
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 2
. tests/fuzz/targets.sh

SECS=${1:-60}
case $SECS in '' | *[!0-9]*) echo "usage: $0 [seconds-per-target]" >&2; exit 2 ;; esac
OUT=build/fuzz
tests/fuzz/build.sh "${FUZZ_TARGET_LIST[@]}" || exit 2
mkdir -p "$OUT/crashes" "$OUT/logs"

stat_of() { # log name
	sed -n "s/^stat::$2: *//p" "$1" | tail -n 1
}

failed=()
for t in "${FUZZ_TARGET_LIST[@]}"; do
	corpus=$OUT/corpus/$t
	log=$OUT/logs/$t.log
	mkdir -p "$corpus"
	# merge the committed seeds into the working copy (never the reverse)
	[ -d "tests/fuzz/corpus/$t" ] && cp -n tests/fuzz/corpus/"$t"/* "$corpus"/ 2>/dev/null
	dirs=("$corpus")
	[ -d "tests/fuzz/regressions/$t" ] && dirs+=("tests/fuzz/regressions/$t")
	mapfile -t opts < <(fuzz_common_opts "$t")
	printf 'fuzz %-7s %4s s ... ' "$t" "$SECS"
	"$OUT/fuzz_$t" "${opts[@]}" -max_total_time="$SECS" -print_final_stats=1 \
		-artifact_prefix="$OUT/crashes/$t-" "${dirs[@]}" > "$log" 2>&1
	rc=$?
	execs=$(stat_of "$log" number_of_executed_units)
	rate=$(stat_of "$log" average_exec_per_sec)
	cov=$(grep -oE 'cov: [0-9]+ ft: [0-9]+ corp: [0-9]+' "$log" | tail -n 1)
	if [ $rc -eq 0 ]; then
		echo "ok: ${execs:-?} execs, ${rate:-?}/s, $cov"
	else
		echo "FAILED (exit $rc): see $log"
		grep -E '^(==[0-9]+==ERROR|SUMMARY|invariant failed|.*runtime error)' "$log" | head -n 5 | sed 's/^/    /'
		find "$OUT/crashes" -name "$t-*" 2>/dev/null | sed "s/^/    artifact: /"
		failed+=("$t")
	fi
done

if [ ${#failed[@]} -gt 0 ]; then
	echo "fuzz: findings in: ${failed[*]} (inputs in $OUT/crashes/; once fixed, add each to tests/fuzz/regressions/<target>/)"
	exit 1
fi
echo "fuzz: no findings"
