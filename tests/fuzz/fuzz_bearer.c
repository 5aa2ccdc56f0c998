/*
 * SPDX-License-Identifier: GPL-2.0-or-later
 * Copyright (C) 2026 the ims_wic authors
 *
 * ims_wic fuzzing - wic_token_from_bearer(): an Authorization header value
 * straight from the network ("Bearer <jwt>", RFC 8898).
 *
 * Invariants: on success the token lies inside the value, is not empty
 * and holds no whitespace; on failure the outputs are untouched.
 */
#include <ctype.h>
#include "fuzz_common.h"
#include "wic_token.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *hval = fz_dup_exact(data, size);
	const char *tok = NULL;
	size_t toklen = 0, i;

	if (!hval)
		return 0;
	if (wic_token_from_bearer(hval, size, &tok, &toklen) == 0) {
		FZ_CHECK(tok != NULL && toklen > 0);
		FZ_CHECK(tok >= hval && tok + toklen <= hval + size);
		for (i = 0; i < toklen; i++)
			FZ_CHECK(tok[i] != ' ' && tok[i] != '\t' && tok[i] != '\r'
					&& tok[i] != '\n');
	} else {
		FZ_CHECK(tok == NULL && toklen == 0);
	}
	/* NULL arguments are refused, never dereferenced */
	FZ_CHECK(wic_token_from_bearer(NULL, size, &tok, &toklen) == -1);
	free(hval);
	return 0;
}
