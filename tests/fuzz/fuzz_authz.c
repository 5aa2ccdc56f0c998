/*
 * SPDX-License-Identifier: GPL-2.0-or-later
 * Copyright (C) 2026 the ims_wic authors
 *
 * ims_wic fuzzing - wic_admit(): the whole REGISTER admission decision
 * (token checks, then WWSF of the connection, IMPU in the token, IMPU in
 * a range, token-named range) against the in-memory provisioning of
 * fuzz_common.h.
 *
 * Input: "<token>\n<To IMPU>[\n<connection's WWSF id>]" (WWSF "w1" when
 * the third line is absent; each part copied to a buffer of its exact
 * size). Decided with and without the signature check.
 *
 * Invariants: both modes agree unless the signature check failed; every
 * verdict has an answer of 2xx..5xx; an admission names a WWSF equal to
 * the connection's, a range of that WWSF that contains the IMPU, and a
 * token that names the IMPU; a refusal leaves the admission empty.
 */
#include "fuzz_common.h"
#include "wic_authz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

FZ_PROV_FIXTURE("fuzz_authz")

static void check(wic_verdict_t v, const wic_admission_t *adm,
		const char *conn, const char *impu, size_t implen)
{
	static const wic_admission_t zero;
	const wic_answer_t *ans = wic_answer_of(v);
	const wic_range_t *r;
	size_t i;
	bool owned = false;

	FZ_CHECK(ans && ans->reason && ans->stat && ans->code >= 200
			&& ans->code < 600);
	if (v != WIC_OK) {
		FZ_CHECK(memcmp(adm, &zero, sizeof(zero)) == 0);
		return;
	}
	FZ_CHECK(adm->wwsf && adm->range && adm->token.wwsf == adm->wwsf);
	FZ_CHECK(conn && strcmp(conn, adm->wwsf->id) == 0);
	r = adm->range;
	for (i = 0; i < adm->wwsf->n_ranges; i++)
		owned |= &adm->wwsf->ranges[i] == r;
	FZ_CHECK(owned);
	FZ_CHECK(wic_pui_range_match(r->pui, impu, implen));
	FZ_CHECK(adm->token.n_impu > 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *t, *rest, *i, *c;
	size_t tlen, rlen, ilen, clen;
	char *tok, *impu, *conn;
	char why[160];
	wic_admission_t a1, a2;
	wic_verdict_t v1, v2;

	fz_split(data, size, &t, &tlen, &rest, &rlen);
	fz_split(rest, rlen, &i, &ilen, &c, &clen);
	tok = fz_dup_exact(t, tlen);
	impu = rest ? fz_dup_exact(i, ilen) : NULL;
	conn = c ? fz_dup_str(c, clen) : strdup("w1");
	if (tok && conn && (impu || !rest)) {
		v1 = wic_admit(prov, conn, tok, tlen, impu, impu ? ilen : 0, FZ_NOW,
				WIC_VERIFY_SIGNATURE, &a1, why, sizeof(why));
		check(v1, &a1, conn, impu, ilen);
		v2 = wic_admit(prov, conn, tok, tlen, impu, impu ? ilen : 0, FZ_NOW,
				WIC_SKIP_SIGNATURE, &a2, why, sizeof(why));
		check(v2, &a2, conn, impu, ilen);
		FZ_CHECK(v1 == WIC_BAD_SIGNATURE || v1 == v2);
		if (v1 == WIC_OK)
			FZ_CHECK(a1.range == a2.range && a1.wwsf == a2.wwsf);
		wic_admission_clear(&a1);
		wic_admission_clear(&a2);
		/* a connection of no known WWSF is never admitted */
		v1 = wic_admit(prov, NULL, tok, tlen, impu, impu ? ilen : 0, FZ_NOW,
				WIC_SKIP_SIGNATURE, &a1, why, sizeof(why));
		FZ_CHECK(v1 != WIC_OK);
		wic_admission_clear(&a1);
	}
	free(tok);
	free(impu);
	free(conn);
	return 0;
}
