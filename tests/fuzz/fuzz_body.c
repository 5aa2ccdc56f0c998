/*
 * SPDX-License-Identifier: GPL-2.0-or-later
 * Copyright (C) 2026 the ims_wic authors
 *
 * ims_wic fuzzing - wic_token_from_body(): a REGISTER body carrying the
 * token as application/jwt, bare or as a part of multipart/mixed.
 *
 * Input: "<Content-Type value>\n<body>" (without '\n' the whole input is
 * the Content-Type and the body is empty). Each part is copied to a buffer
 * of its exact size so that ASan sees any read past either end.
 *
 * Invariants: on success the token lies inside the body, is not empty and
 * has no leading or trailing whitespace.
 */
#include "fuzz_common.h"
#include "wic_token.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool is_ws(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *a, *b;
	size_t alen, blen;
	char *ctype, *body;
	const char *tok = NULL;
	size_t toklen = 0;

	fz_split(data, size, &a, &alen, &b, &blen);
	ctype = fz_dup_exact(a, alen);
	body = fz_dup_exact(b, blen);
	if (ctype && body && wic_token_from_body(ctype, alen, body, blen, &tok,
			&toklen) == 0) {
		FZ_CHECK(tok != NULL && toklen > 0);
		FZ_CHECK(tok >= body && tok + toklen <= body + blen);
		FZ_CHECK(!is_ws(tok[0]) && !is_ws(tok[toklen - 1]));
	}
	free(ctype);
	free(body);
	return 0;
}
