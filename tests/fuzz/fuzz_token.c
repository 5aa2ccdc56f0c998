/*
 * SPDX-License-Identifier: GPL-2.0-or-later
 * Copyright (C) 2026 the ims_wic authors
 *
 * ims_wic fuzzing - wic_token_verify() on raw compact JWS text, against an
 * in-memory provisioning with HMAC, P-256 and Ed25519 keys (fuzz_common.h).
 *
 * Every input is verified twice: with the signature check (what a first
 * REGISTER gets) and without it (a token-cache hit), so that the header,
 * issuer, key choice, time, audience and claims handling are all reached
 * even by mutated tokens whose signature no longer fits.
 *
 * Invariants (differential): both modes agree unless the signature check
 * failed; a successful result is complete (iss, WWSF, at least one IMPU
 * without NUL); a failed one leaves the output empty.
 */
#include "fuzz_common.h"
#include "wic_token.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

FZ_PROV_FIXTURE("fuzz_token")

static bool is_empty(const wic_token_t *t)
{
	static const wic_token_t zero;
	return memcmp(t, &zero, sizeof(zero)) == 0;
}

static void check_result(wic_tok_status_t st, const wic_token_t *t,
		const char *why)
{
	size_t i;

	FZ_CHECK(why[0] != '\0');
	if (st != WIC_TOK_OK) {
		FZ_CHECK(is_empty(t));
		return;
	}
	FZ_CHECK(t->iss && t->wwsf && t->impu && t->n_impu > 0 && t->exp != 0);
	for (i = 0; i < t->n_impu; i++)
		FZ_CHECK(t->impu[i] && t->impu[i][0] != '\0');
}

static bool same_token(const wic_token_t *a, const wic_token_t *b)
{
	size_t i;

	if (strcmp(a->iss, b->iss) != 0 || a->wwsf != b->wwsf
			|| a->n_impu != b->n_impu || a->anon != b->anon
			|| a->exp != b->exp || a->nbf != b->nbf || a->iat != b->iat
			|| !a->impi != !b->impi || !a->range != !b->range
			|| (a->impi && strcmp(a->impi, b->impi) != 0)
			|| (a->range && strcmp(a->range, b->range) != 0))
		return false;
	for (i = 0; i < a->n_impu; i++) {
		if (strcmp(a->impu[i], b->impu[i]) != 0)
			return false;
	}
	return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *tok = fz_dup_exact(data, size);
	char why1[128], why2[128];
	wic_token_t t1, t2;
	wic_tok_status_t s1, s2;

	if (!tok)
		return 0;
	s1 = wic_token_verify(prov, tok, size, FZ_NOW, WIC_VERIFY_SIGNATURE, &t1,
			why1, sizeof(why1));
	s2 = wic_token_verify(prov, tok, size, FZ_NOW, WIC_SKIP_SIGNATURE, &t2,
			why2, sizeof(why2));
	check_result(s1, &t1, why1);
	check_result(s2, &t2, why2);
	FZ_CHECK(s1 == WIC_TOK_SIGNATURE || s1 == s2);
	if (s1 == WIC_TOK_OK)
		FZ_CHECK(same_token(&t1, &t2));
	wic_token_clear(&t1);
	wic_token_clear(&t2);
	free(tok);
	return 0;
}
