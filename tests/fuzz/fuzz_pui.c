/*
 * SPDX-License-Identifier: GPL-2.0-or-later
 * Copyright (C) 2026 the ims_wic authors
 *
 * ims_wic fuzzing - wildcarded PUI ranges: wic_pui_range_compile() of an
 * operator's wildcard and wic_pui_range_match() of network IMPUs against
 * it (the IMPU side is hostile; the expression's backtracking is bounded).
 *
 * Input: "<wildcard>\n<impu>\n<impu>..." (each part copied to a buffer of
 * its exact size). Without '\n' the input is only compiled, then matched
 * against itself and a few fixed IMPUs.
 *
 * Invariants: a compiled range keeps its text; a matching IMPU starts with
 * the range's scheme (case-insensitively) and, for sip:/sips:, holds
 * exactly the '@' that the suffix holds; wic_pui_is_wildcarded() is true
 * for every compiled wildcard.
 */
#include <strings.h>
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const fixed[] = {
	"sip:wic1@wwsf1.lab", "tel:+15551234567", "sip:@x", "tel:",
	"SIP:WIC@WWSF1.LAB", "sips:a!b!@h",
};

static void match_one(const wic_pui_range_t *r, const char *text,
		const uint8_t *impu, size_t len)
{
	char *exact = fz_dup_exact(impu, len);

	if (!exact)
		return;
	if (wic_pui_range_match(r, exact, len)) {
		size_t slen = strchr(text, ':') ? (size_t)(strchr(text, ':') - text)
				+ 1 : 0;
		FZ_CHECK(len >= slen && strncasecmp(exact, text, slen) == 0);
		FZ_CHECK(memchr(exact, '\0', len) == NULL);
		if (strncasecmp(text, "tel:", 4) != 0)
			FZ_CHECK(memchr(exact, '@', len) != NULL);
	}
	free(exact);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *a, *rest;
	size_t alen, rlen, i;
	char *wildcard;
	char err[256];
	wic_pui_range_t *r = NULL;

	fz_split(data, size, &a, &alen, &rest, &rlen);
	wildcard = fz_dup_exact(a, alen);
	if (!wildcard)
		return 0;
	if (wic_pui_range_compile(wildcard, alen, &r, err, sizeof(err)) < 0) {
		FZ_CHECK(r == NULL && err[0] != '\0');
		free(wildcard);
		return 0;
	}
	FZ_CHECK(r != NULL && wic_pui_is_wildcarded(wildcard, alen));
	FZ_CHECK(strlen(wic_pui_range_text(r)) == alen
			&& memcmp(wic_pui_range_text(r), wildcard, alen) == 0);
	if (!rest) {
		match_one(r, wic_pui_range_text(r), a, alen);
		for (i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++)
			match_one(r, wic_pui_range_text(r), (const uint8_t *)fixed[i],
					strlen(fixed[i]));
	}
	while (rest) {
		const uint8_t *impu;
		size_t ilen;

		fz_split(rest, rlen, &impu, &ilen, &rest, &rlen);
		match_one(r, wic_pui_range_text(r), impu, ilen);
	}
	wic_pui_range_free(r);
	free(wildcard);
	return 0;
}
