/*
 * SPDX-License-Identifier: GPL-2.0-or-later
 * Copyright (C) 2026 the ims_wic authors
 *
 * Unit tests of wic_authz.c: the answer table and the admission checks of
 * REQUIREMENTS.md section 2, in order, on an in-memory provisioning.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wic_authz.h"
#include "tok_fixture.h"

static fx_t *fx;
static wic_prov_t *prov;

static int group_setup(void **state)
{
	if (fx_setup(state) != 0)
		return -1;
	fx = *state;
	prov = fx_prov_new(fx);
	return prov ? 0 : -1;
}

static int group_teardown(void **state)
{
	wic_prov_free(prov);
	return fx_teardown(state);
}

/* ES256 token of iss with the given impu JSON and extra claims */
static char *mint(const char *iss, const char *impu_json, const char *extra)
{
	char claims[1024];
	snprintf(claims, sizeof(claims), "{\"iss\":\"%s\",\"aud\":\"" FX_AUD
			"\",\"exp\":%ld,\"impu\":%s%s}", iss, FX_NOW + 300, impu_json,
			extra ? extra : "");
	if (strcmp(iss, FX_ISS2) == 0)
		return fx_mint_raw(fx, WIC_ALG_RS256, "{\"alg\":\"RS256\"}", claims);
	return fx_mint_raw(fx, WIC_ALG_ES256, "{\"alg\":\"ES256\"}", claims);
}

static wic_verdict_t admit(const char *conn, const char *tok,
		const char *impu, wic_admission_t *adm)
{
	char why[256] = "";
	wic_verdict_t v = wic_admit(prov, conn, tok, tok ? strlen(tok) : 0,
			impu, impu ? strlen(impu) : 0, FX_NOW, WIC_VERIFY_SIGNATURE, adm,
			why, sizeof(why));
	assert_true(why[0] != '\0');
	if (v != WIC_OK) {
		assert_null(adm->token.iss); /* a refusal keeps no state */
		assert_null(adm->range);
	}
	return v;
}

/* admit and release; returns the verdict */
static wic_verdict_t verdict(const char *conn, char *tok, const char *impu)
{
	wic_admission_t adm;
	wic_verdict_t v = admit(conn, tok, impu, &adm);
	wic_admission_clear(&adm);
	free(tok);
	return v;
}

static void test_answer_table(void **state)
{
	static const struct { wic_verdict_t v; int code; const char *reason; }
	want[] = {
		{WIC_OK, 200, "OK"},
		{WIC_NO_TOKEN, 401, "Unauthorized - Token Missing"},
		{WIC_BAD_TOKEN, 400, "Bad Request - Token Malformed"},
		{WIC_BAD_ALG, 403, "Forbidden - Token Algorithm Not Allowed"},
		{WIC_BAD_SIGNATURE, 403, "Forbidden - Token Signature Invalid"},
		{WIC_EXPIRED, 401, "Unauthorized - Token Expired"},
		{WIC_NOT_YET_VALID, 403, "Forbidden - Token Not Yet Valid"},
		{WIC_BAD_ISSUER, 403, "Forbidden - Token Issuer Unknown"},
		{WIC_BAD_AUDIENCE, 403, "Forbidden - Token Audience Mismatch"},
		{WIC_BAD_CLAIMS, 400, "Bad Request - Token Claims Invalid"},
		{WIC_WRONG_WWSF, 403, "Forbidden - Token WWSF Mismatch"},
		{WIC_IMPU_NOT_IN_TOKEN, 403, "Forbidden - IMPU Not In Token"},
		{WIC_IMPU_NOT_IN_RANGE, 403, "Forbidden - IMPU Not In Range"},
		{WIC_RANGE_NOT_ALLOWED, 403, "Forbidden - Range Not Allocated"},
		{WIC_RANGE_DOWN, 503, "Service Unavailable - Range Not Registered"},
		{WIC_BAD_TYP, 403, "Forbidden - Token Type Not Accepted"},
		{WIC_LIFETIME_TOO_LONG, 403, "Forbidden - Token Lifetime Too Long"},
		{WIC_TOKEN_TOO_SHORT, 401, "Unauthorized - Token Expires Too Soon"},
		{WIC_INTERVAL_TOO_BRIEF, 423, "Interval Too Brief"},
		{WIC_BAD_CONTACT_PARAM, 400, "Bad Request - Contact Parameter Invalid"},
		{WIC_BAD_EXPIRES, 400, "Bad Request - Expires Invalid"},
	};
	size_t i, j;
	(void)state;
	assert_int_equal(sizeof(want) / sizeof(want[0]), WIC_VERDICT_COUNT);
	for (i = 0; i < WIC_VERDICT_COUNT; i++) {
		const wic_answer_t *a = wic_answer_of(want[i].v);
		assert_int_equal(a->code, want[i].code);
		assert_string_equal(a->reason, want[i].reason);
		assert_true(strlen(a->stat) > 0);
		for (j = 0; j < i; j++)
			assert_string_not_equal(a->stat, wic_answer_of(want[j].v)->stat);
	}
	assert_string_equal(wic_answer_of(WIC_BAD_SIGNATURE)->stat,
			"bad_signature");
	assert_int_equal(wic_answer_of(WIC_VERDICT_COUNT)->code, 500);
	assert_int_equal(wic_answer_of((wic_verdict_t)-1)->code, 500);
}

static void test_ok(void **state)
{
	wic_admission_t adm;
	char *tok = mint(FX_ISS1, "[\"sip:wic7@wwsf1.lab\",\"tel:+15551234567\"]",
			",\"anon\":true");
	(void)state;
	assert_int_equal(admit("w1", tok, "sip:wic7@wwsf1.lab", &adm), WIC_OK);
	assert_string_equal(adm.wwsf->id, "w1");
	assert_ptr_equal(adm.range, &prov->wwsfs[0].ranges[0]);
	assert_true(adm.token.anon);
	wic_admission_clear(&adm);
	assert_null(adm.token.iss);
	/* the second IMPU of the token, in the tel range */
	assert_int_equal(admit("w1", tok, "tel:+15551234567", &adm), WIC_OK);
	assert_ptr_equal(adm.range, &prov->wwsfs[0].ranges[1]);
	wic_admission_clear(&adm);
	/* host and scheme compare case-insensitively, like SIP URIs */
	assert_int_equal(admit("w1", tok, "SIP:wic7@WWSF1.lab", &adm), WIC_OK);
	wic_admission_clear(&adm);
	/* the To as the registrar gives it (normal form) against a tel claim
	 * with visual separators and an escaped user part */
	free(tok);
	tok = mint(FX_ISS1, "[\"sip:%77ic7@WWSF1.LAB\",\"tel:+1-555-123-4567\"]",
			NULL);
	assert_int_equal(admit("w1", tok, "sip:wic7@wwsf1.lab", &adm), WIC_OK);
	wic_admission_clear(&adm);
	assert_int_equal(admit("w1", tok, "tel:+15551234567", &adm), WIC_OK);
	assert_ptr_equal(adm.range, &prov->wwsfs[0].ranges[1]);
	wic_admission_clear(&adm);
	free(tok);
	/* a cache hit skips the signature */
	tok = mint(FX_ISS1, "\"sip:wic7@wwsf1.lab\"", NULL);
	tok[strlen(tok) - 5] = tok[strlen(tok) - 5] == 'A' ? 'B' : 'A';
	assert_int_equal(wic_admit(prov, "w1", tok, strlen(tok),
			"sip:wic7@wwsf1.lab", 18, FX_NOW, WIC_SKIP_SIGNATURE, &adm, NULL,
			0), WIC_OK);
	wic_admission_clear(&adm);
	assert_int_equal(verdict("w1", tok, "sip:wic7@wwsf1.lab"),
			WIC_BAD_SIGNATURE);
}

static void test_no_token(void **state)
{
	wic_admission_t adm;
	(void)state;
	assert_int_equal(admit("w1", NULL, "sip:wic7@wwsf1.lab", &adm),
			WIC_NO_TOKEN);
	assert_int_equal(wic_answer_of(WIC_NO_TOKEN)->code, 401);
	assert_int_equal(wic_admit(prov, "w1", "x", 0, "sip:a@b", 7, FX_NOW,
			WIC_VERIFY_SIGNATURE, &adm, NULL, 0), WIC_NO_TOKEN);
}

/* every token refusal maps to its verdict */
static void test_token_verdicts(void **state)
{
	char claims[512];
	const char *impu = "sip:wic7@wwsf1.lab";
	(void)state;
	assert_int_equal(verdict("w1", strdup("a.b"), impu), WIC_BAD_TOKEN);
	snprintf(claims, sizeof(claims), "{\"iss\":\"" FX_ISS2 "\",\"aud\":\""
			FX_AUD "\",\"exp\":%ld,\"impu\":\"%s\"}", FX_NOW + 300, impu);
	assert_int_equal(verdict("w2", wic_jws_sign("{\"alg\":\"HS256\"}", claims,
			WIC_ALG_HS256, NULL, (unsigned char *)fx->rsa_pub_pem,
			strlen(fx->rsa_pub_pem)), impu), WIC_BAD_ALG);
	assert_int_equal(verdict("w1", fx_mint_raw(fx, WIC_ALG_ES256,
			"{\"alg\":\"ES256\",\"kid\":\"unknown\"}", claims), impu),
			WIC_BAD_ALG); /* w2 has no key for ES256 at all */
	snprintf(claims, sizeof(claims), "{\"iss\":\"" FX_ISS1 "\",\"aud\":\""
			FX_AUD "\",\"exp\":%ld,\"impu\":\"%s\"}", FX_NOW + 300, impu);
	assert_int_equal(verdict("w1", fx_mint_raw(fx, WIC_ALG_ES256,
			"{\"alg\":\"ES256\",\"kid\":\"unknown\"}", claims), impu),
			WIC_BAD_SIGNATURE);
	assert_int_equal(verdict("w1", mint("https://x.lab", "\"sip:a@b\"", NULL),
			impu), WIC_BAD_ISSUER);
	snprintf(claims, sizeof(claims), "{\"iss\":\"" FX_ISS1 "\",\"aud\":\""
			FX_AUD "\",\"exp\":%ld,\"impu\":\"%s\"}", FX_NOW - 100, impu);
	assert_int_equal(verdict("w1", fx_mint_raw(fx, WIC_ALG_ES256,
			"{\"alg\":\"ES256\"}", claims), impu), WIC_EXPIRED);
	assert_int_equal(verdict("w1", mint(FX_ISS1, "\"sip:wic7@wwsf1.lab\"",
			",\"nbf\":2000000000"), impu), WIC_NOT_YET_VALID);
	snprintf(claims, sizeof(claims), "{\"iss\":\"" FX_ISS1 "\",\"aud\":"
			"\"other\",\"exp\":%ld,\"impu\":\"%s\"}", FX_NOW + 100, impu);
	assert_int_equal(verdict("w1", fx_mint_raw(fx, WIC_ALG_ES256,
			"{\"alg\":\"ES256\"}", claims), impu), WIC_BAD_AUDIENCE);
	assert_int_equal(verdict("w1", mint(FX_ISS1, "7", NULL), impu),
			WIC_BAD_CLAIMS);
	snprintf(claims, sizeof(claims), "{\"iss\":\"" FX_ISS1 "\",\"aud\":\""
			FX_AUD "\",\"exp\":%ld,\"impu\":\"%s\"}", FX_NOW + 90000, impu);
	assert_int_equal(verdict("w1", fx_mint_raw(fx, WIC_ALG_ES256,
			"{\"alg\":\"ES256\"}", claims), impu), WIC_LIFETIME_TOO_LONG);
	prov->wwsfs[0].required_typ = strdup("JWT");
	assert_int_equal(verdict("w1", fx_mint_raw(fx, WIC_ALG_ES256,
			"{\"alg\":\"ES256\",\"typ\":\"JOSE\"}", claims), impu),
			WIC_BAD_TYP);
	free(prov->wwsfs[0].required_typ);
	prov->wwsfs[0].required_typ = NULL;
	assert_string_equal(wic_answer_of(WIC_BAD_TYP)->stat, "bad_typ");
	assert_string_equal(wic_answer_of(WIC_LIFETIME_TOO_LONG)->stat,
			"lifetime_too_long");
}

/* ------------------------------------------------ granted expiry, floor */

/* An admitted token of w1 with exp FX_NOW + left. */
static void admitted(wic_admission_t *adm, long left)
{
	char claims[512];
	char *tok;
	snprintf(claims, sizeof(claims), "{\"iss\":\"" FX_ISS1 "\",\"aud\":\""
			FX_AUD "\",\"exp\":%ld,\"impu\":\"sip:wic7@wwsf1.lab\"}",
			FX_NOW + left);
	tok = fx_mint_raw(fx, WIC_ALG_ES256, "{\"alg\":\"ES256\"}", claims);
	assert_int_equal(admit("w1", tok, "sip:wic7@wwsf1.lab", adm), WIC_OK);
	free(tok);
}

static wic_verdict_t grant(const wic_expiry_policy_t *pol, long left,
		int asked, unsigned *granted)
{
	wic_admission_t adm;
	char why[128] = "";
	wic_verdict_t v;
	admitted(&adm, left);
	v = wic_grant_expires(&adm, pol, asked, FX_NOW, granted, why,
			sizeof(why));
	assert_true(why[0] != '\0' || v == WIC_OK);
	wic_admission_clear(&adm);
	return v;
}

/* The smallest of asked, the caps and the token's time left. */
static void test_grant_caps(void **state)
{
	const wic_expiry_policy_t pol = {600, 3600, 30};
	unsigned g = 1;
	(void)state;
	assert_int_equal(grant(&pol, 7200, -1, &g), WIC_OK);
	assert_int_equal(g, 600); /* default_expires */
	assert_int_equal(grant(&pol, 7200, 300, &g), WIC_OK);
	assert_int_equal(g, 300);
	assert_int_equal(grant(&pol, 7200, 86400, &g), WIC_OK);
	assert_int_equal(g, 3600); /* max_expires */
	assert_int_equal(grant(&pol, 200, 300, &g), WIC_OK);
	assert_int_equal(g, 200); /* the token's time left */
	/* the WWSF's limit lowers the cap */
	prov->wwsfs[0].limits.max_expires = 120;
	assert_int_equal(grant(&pol, 7200, 300, &g), WIC_OK);
	assert_int_equal(g, 120);
	prov->wwsfs[0].limits.max_expires = 0;
}

/* Never less than the floor: a token that cannot cover it gets 401
 * invalid_token, a shorter Expires 423 (RFC 3261 10.3 step 7). */
static void test_grant_floor(void **state)
{
	wic_expiry_policy_t pol = {600, 3600, 30};
	wic_admission_t adm;
	unsigned g = 1;
	(void)state;
	assert_int_equal(grant(&pol, 30, 300, &g), WIC_OK);
	assert_int_equal(g, 30); /* exactly the floor is left */
	assert_int_equal(grant(&pol, 29, 300, &g), WIC_TOKEN_TOO_SHORT);
	assert_int_equal(g, 0);
	assert_int_equal(grant(&pol, 1, -1, &g), WIC_TOKEN_TOO_SHORT);
	/* exp passed inside the leeway: expired, nothing to grant */
	assert_int_equal(grant(&pol, 0, 300, &g), WIC_EXPIRED);
	assert_int_equal(grant(&pol, -10, 300, &g), WIC_EXPIRED);
	assert_int_equal(grant(&pol, 7200, 29, &g), WIC_INTERVAL_TOO_BRIEF);
	assert_int_equal(grant(&pol, 7200, 1, &g), WIC_INTERVAL_TOO_BRIEF);
	assert_int_equal(grant(&pol, 7200, 30, &g), WIC_OK);
	assert_int_equal(g, 30);
	/* the token is looked at first: it needs renewing either way */
	assert_int_equal(grant(&pol, 10, 5, &g), WIC_TOKEN_TOO_SHORT);
	admitted(&adm, 7200);
	assert_int_equal(wic_expiry_floor(&adm, &pol), 30);
	/* a floor above the caps is the cap */
	pol.min_expires = 200;
	prov->wwsfs[0].limits.max_expires = 100;
	assert_int_equal(wic_expiry_floor(&adm, &pol), 100);
	prov->wwsfs[0].limits.max_expires = 0;
	wic_admission_clear(&adm);
	assert_int_equal(grant(&pol, 7200, 150, &g), WIC_INTERVAL_TOO_BRIEF);
	/* a default under the floor is raised to it: nobody asked for less */
	pol.default_expires = 60;
	assert_int_equal(grant(&pol, 7200, -1, &g), WIC_OK);
	assert_int_equal(g, 200);
	/* no floor */
	pol.min_expires = 0;
	assert_int_equal(grant(&pol, 5, 300, &g), WIC_OK);
	assert_int_equal(g, 5);
	assert_int_equal(grant(&pol, 7200, 1, &g), WIC_OK);
	assert_int_equal(g, 1);
	assert_int_equal(wic_answer_of(WIC_TOKEN_TOO_SHORT)->code, 401);
	assert_int_equal(wic_answer_of(WIC_INTERVAL_TOO_BRIEF)->code, 423);
}

static void test_wrong_wwsf(void **state)
{
	const char *impu = "sip:wic7@wwsf1.lab";
	(void)state;
	assert_int_equal(verdict("w2", mint(FX_ISS1, "\"sip:wic7@wwsf1.lab\"",
			NULL), impu), WIC_WRONG_WWSF);
	assert_int_equal(verdict(NULL, mint(FX_ISS1, "\"sip:wic7@wwsf1.lab\"",
			NULL), impu), WIC_WRONG_WWSF);
	assert_int_equal(verdict("w", mint(FX_ISS1, "\"sip:wic7@wwsf1.lab\"",
			NULL), impu), WIC_WRONG_WWSF);
}

static void test_impu_not_in_token(void **state)
{
	(void)state;
	assert_int_equal(verdict("w1", mint(FX_ISS1, "[\"sip:wic7@wwsf1.lab\"]",
			NULL), "sip:wic8@wwsf1.lab"), WIC_IMPU_NOT_IN_TOKEN);
	/* the user part is case-sensitive */
	assert_int_equal(verdict("w1", mint(FX_ISS1, "[\"sip:wic7@wwsf1.lab\"]",
			NULL), "sip:WIC7@wwsf1.lab"), WIC_IMPU_NOT_IN_TOKEN);
	assert_int_equal(verdict("w1", mint(FX_ISS1, "[\"sip:wic7@wwsf1.lab\"]",
			NULL), "sip:wic7@wwsf1.lab.evil"), WIC_IMPU_NOT_IN_TOKEN);
	assert_int_equal(verdict("w1", mint(FX_ISS1, "[\"sip:wic7@wwsf1.lab\"]",
			NULL), NULL), WIC_IMPU_NOT_IN_TOKEN);
}

static void test_impu_not_in_range(void **state)
{
	(void)state;
	/* named by the token, but outside every range of w1 */
	assert_int_equal(verdict("w1", mint(FX_ISS1, "\"sip:bob@wwsf1.lab\"",
			NULL), "sip:bob@wwsf1.lab"), WIC_IMPU_NOT_IN_RANGE);
	/* in w2's range: not w1's to hand out */
	assert_int_equal(verdict("w1", mint(FX_ISS1, "\"sip:w2x@wwsf2.lab\"",
			NULL), "sip:w2x@wwsf2.lab"), WIC_IMPU_NOT_IN_RANGE);
	assert_int_equal(verdict("w1", mint(FX_ISS1, "\"tel:+155512345\"",
			NULL), "tel:+155512345"), WIC_IMPU_NOT_IN_RANGE);
}

static void test_token_range(void **state)
{
	wic_admission_t adm;
	char *tok = mint(FX_ISS1, "\"tel:+15551230042\"",
			",\"range\":\"tel:+1555123!\\\\d{4}!\"");
	(void)state;
	assert_int_equal(admit("w1", tok, "tel:+15551230042", &adm), WIC_OK);
	assert_ptr_equal(adm.range, &prov->wwsfs[0].ranges[1]);
	assert_string_equal(adm.token.range, "tel:+1555123!\\d{4}!");
	wic_admission_clear(&adm);
	free(tok);
	/* a range of another WWSF, or none at all */
	assert_int_equal(verdict("w1", mint(FX_ISS1, "\"sip:wic1@wwsf1.lab\"",
			",\"range\":\"sip:w2!.*!@wwsf2.lab\""), "sip:wic1@wwsf1.lab"),
			WIC_RANGE_NOT_ALLOWED);
	assert_int_equal(verdict("w1", mint(FX_ISS1, "\"sip:wic1@wwsf1.lab\"",
			",\"range\":\"sip:!.*!@wwsf1.lab\""), "sip:wic1@wwsf1.lab"),
			WIC_RANGE_NOT_ALLOWED);
	/* w1's range, but the IMPU lies in w1's other range */
	assert_int_equal(verdict("w1", mint(FX_ISS1, "\"sip:wic1@wwsf1.lab\"",
			",\"range\":\"tel:+1555123!\\\\d{4}!\""), "sip:wic1@wwsf1.lab"),
			WIC_IMPU_NOT_IN_RANGE);
}

static void test_w2(void **state)
{
	(void)state;
	assert_int_equal(verdict("w2", mint(FX_ISS2, "\"sip:w2abc@wwsf2.lab\"",
			NULL), "sip:w2abc@wwsf2.lab"), WIC_OK);
	assert_int_equal(verdict("w1", mint(FX_ISS2, "\"sip:w2abc@wwsf2.lab\"",
			NULL), "sip:w2abc@wwsf2.lab"), WIC_WRONG_WWSF);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_answer_table),
		cmocka_unit_test(test_ok),
		cmocka_unit_test(test_no_token),
		cmocka_unit_test(test_token_verdicts),
		cmocka_unit_test(test_wrong_wwsf),
		cmocka_unit_test(test_impu_not_in_token),
		cmocka_unit_test(test_impu_not_in_range),
		cmocka_unit_test(test_token_range),
		cmocka_unit_test(test_w2),
		cmocka_unit_test(test_grant_caps),
		cmocka_unit_test(test_grant_floor),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
