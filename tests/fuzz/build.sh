#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Copyright (C) 2026 the ims_wic authors
#
# Builds the libFuzzer targets of ims_wic into build/fuzz/ (clang with
# libFuzzer, ASan and UBSan; UBSan findings abort like crashes).
#   tests/fuzz/build.sh            every target
#   tests/fuzz/build.sh token pui  some of them
# CC (default clang) must support -fsanitize=fuzzer.
set -euo pipefail
cd "$(dirname "$0")/../.."

CC=${CC:-clang}
OUT=build/fuzz
MOD=modules/ims_wic
SAN="-fsanitize=address,undefined -fno-sanitize-recover=all"
CFLAGS="-std=c11 -D_GNU_SOURCE -Wall -Wextra -g -O1 -fno-omit-frame-pointer
	$SAN -I$MOD -Itests/fuzz"
LIBS="-ljwt -ljansson -lcrypto -lpcre2-8"

if ! command -v "$CC" >/dev/null 2>&1; then
	echo "build.sh: $CC not found (Debian: apt-get install clang libclang-rt-14-dev)" >&2
	exit 2
fi

. tests/fuzz/targets.sh
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=("${FUZZ_TARGET_LIST[@]}")
mkdir -p "$OUT/obj"

# the core, once, instrumented for coverage (fuzzer-no-link)
objs=()
hdrs=("$MOD"/wic_*.h)
for src in "$MOD"/wic_*.c; do
	obj="$OUT/obj/$(basename "${src%.c}").o"
	objs+=("$obj")
	rebuild=0
	[ "$obj" -nt "$src" ] || rebuild=1
	for h in "${hdrs[@]}"; do
		[ "$obj" -nt "$h" ] || rebuild=1
	done
	if [ $rebuild -eq 1 ]; then
		# shellcheck disable=SC2086
		"$CC" $CFLAGS -fsanitize=fuzzer-no-link -c -o "$obj" "$src"
	fi
done

for t in "${targets[@]}"; do
	src=tests/fuzz/fuzz_$t.c
	[ -f "$src" ] || { echo "build.sh: no target $t" >&2; exit 2; }
	# shellcheck disable=SC2086
	"$CC" $CFLAGS -Werror -fsanitize=fuzzer -o "$OUT/fuzz_$t" "$src" \
		"${objs[@]}" $LIBS
done
echo "built: ${targets[*]} -> $OUT/" >&2
