# shellcheck shell=bash disable=SC2034
# SPDX-License-Identifier: GPL-2.0-or-later
# Copyright (C) 2026 the ims_wic authors
#
# ims_wic fuzzing - the targets and their settings, sourced by run.sh and
# smoke.sh (bash). FUZZ_TARGETS="token pui" narrows the list.

ALL_FUZZ_TARGETS=(bearer body token claims pui prov pau authz jwks dialog uri cparam bundle)
# shellcheck disable=SC2206
FUZZ_TARGET_LIST=(${FUZZ_TARGETS:-${ALL_FUZZ_TARGETS[@]}})

# -max_len: a little above what the code accepts, so that limits are hit
fuzz_max_len() {
	case $1 in
	token | authz) echo 9000 ;;  # max_token_size 8192
	body | prov | jwks | bundle) echo 8192 ;;
	bearer | claims) echo 4096 ;;
	pau) echo 2048 ;;
	dialog) echo 1024 ;;
	pui) echo 1024 ;;
	uri | cparam) echo 1024 ;; # identities are at most 511 bytes
	*) echo 4096 ;;
	esac
}

fuzz_dict() {
	case $1 in
	authz) echo tests/fuzz/token.dict ;;
	*) echo "tests/fuzz/$1.dict" ;;
	esac
}

# libFuzzer options common to every run: UBSan findings and leaks are
# failures like crashes; a slow input (> 10 s) is a finding too.
fuzz_common_opts() { # target
	local opts=(-max_len="$(fuzz_max_len "$1")" -timeout=10
		-rss_limit_mb=2048 -detect_leaks=1)
	[ -f "$(fuzz_dict "$1")" ] && opts+=(-dict="$(fuzz_dict "$1")")
	printf '%s\n' "${opts[@]}"
}

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:symbolize=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
