/*
 * SPDX-License-Identifier: GPL-2.0-or-later
 * Copyright (C) 2026 the ims_wic authors
 *
 * Unit tests of wic_token.c: extraction from REGISTER (Bearer, body,
 * multipart) and JWS verification, every algorithm and every refusal.
 * Keys are generated at test time; libjwt mints tokens as an independent
 * implementation to cross-check interoperability.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wic_token.h"
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
	prov = NULL;
	return fx_teardown(state);
}

/* Verifies tok and checks the status; why must never contain the token. */
static wic_tok_status_t verify_at(const char *tok, time_t now,
		wic_sig_mode_t mode, wic_token_t *out)
{
	char why[256] = "";
	wic_tok_status_t st = wic_token_verify(prov, tok, strlen(tok), now,
			mode, out, why, sizeof(why));

	assert_true(why[0] != '\0');
	if (strlen(tok) > 16) {
		char head[17];
		memcpy(head, tok, 16);
		head[16] = '\0';
		assert_null(strstr(why, head));
	}
	return st;
}

static void expect_status(char *tok, wic_tok_status_t want)
{
	wic_token_t t;

	assert_non_null(tok);
	assert_int_equal(verify_at(tok, FX_NOW, WIC_VERIFY_SIGNATURE, &t), want);
	if (want != WIC_TOK_OK) {
		/* a refusal leaves nothing behind */
		assert_null(t.iss);
		assert_null(t.impu);
		assert_null(t.wwsf);
	}
	wic_token_clear(&t);
	free(tok);
}

static void expect_ok_fields(char *tok)
{
	wic_token_t t;

	assert_non_null(tok);
	assert_int_equal(verify_at(tok, FX_NOW, WIC_VERIFY_SIGNATURE, &t),
			WIC_TOK_OK);
	assert_string_equal(t.iss, FX_ISS1);
	assert_non_null(t.wwsf);
	assert_string_equal(t.wwsf->id, "w1");
	assert_true(t.n_impu >= 1);
	assert_string_equal(t.impu[0], "sip:wic1@wwsf1.lab");
	assert_string_equal(t.impi, "wic1@wwsf1.lab");
	assert_true(t.exp > FX_NOW);
	wic_token_clear(&t);
	assert_null(t.iss);
	free(tok);
}

static const unsigned all_algs[] = {
	WIC_ALG_HS256, WIC_ALG_HS384, WIC_ALG_HS512, WIC_ALG_RS256,
	WIC_ALG_RS384, WIC_ALG_RS512, WIC_ALG_PS256, WIC_ALG_ES256,
	WIC_ALG_ES384, WIC_ALG_ES512, WIC_ALG_EDDSA,
};
#define N_ALGS (sizeof(all_algs) / sizeof(all_algs[0]))

/* ---------------------------------------------------------- algorithms */

static void test_every_alg_with_kid(void **state)
{
	size_t i;
	(void)state;
	for (i = 0; i < N_ALGS; i++)
		expect_ok_fields(fx_mint(fx, all_algs[i], true, NULL));
}

/* without kid, the only key that allows the alg is used */
static void test_every_alg_without_kid(void **state)
{
	size_t i;
	(void)state;
	for (i = 0; i < N_ALGS; i++)
		expect_ok_fields(fx_mint(fx, all_algs[i], false, NULL));
}

static void test_libjwt_interop(void **state)
{
	static const unsigned algs[] = { WIC_ALG_HS256, WIC_ALG_HS384,
		WIC_ALG_HS512, WIC_ALG_RS256, WIC_ALG_RS384, WIC_ALG_RS512,
		WIC_ALG_ES256, WIC_ALG_ES384, WIC_ALG_ES512 };
	size_t i;
	wic_token_t t;
	(void)state;
	for (i = 0; i < sizeof(algs) / sizeof(algs[0]); i++) {
		char *tok = fx_libjwt_mint(fx, algs[i]);
		assert_non_null(tok);
		assert_int_equal(verify_at(tok, FX_NOW, WIC_VERIFY_SIGNATURE, &t),
				WIC_TOK_OK);
		assert_true(t.anon);
		assert_int_equal(t.n_impu, 1);
		assert_int_equal(t.exp, FX_NOW + 600);
		wic_token_clear(&t);
		free(tok);
	}
}

/* Our signer's output checked by libjwt's verifier: same wire format. */
static void test_libjwt_verifies_ours(void **state)
{
	char *tok = fx_mint(fx, WIC_ALG_HS256, false, NULL);
	jwt_t *jwt = NULL;
	(void)state;
	assert_int_equal(jwt_decode(&jwt, tok, fx->hmac, sizeof(fx->hmac)), 0);
	assert_string_equal(jwt_get_grant(jwt, "iss"), FX_ISS1);
	jwt_free(jwt);
	free(tok);
}

/* --------------------------------------------------------------- alg */

static void test_alg_none(void **state)
{
	char claims[2048], *h, *c, *tok;
	(void)state;
	fx_claims(claims, sizeof(claims), FX_ISS1, FX_NOW + 300, NULL);
	h = wic_jws_b64url((const unsigned char *)"{\"alg\":\"none\"}", 14);
	c = wic_jws_b64url((unsigned char *)claims, strlen(claims));
	tok = malloc(strlen(h) + strlen(c) + 3);
	sprintf(tok, "%s.%s.", h, c);
	free(h);
	free(c);
	expect_status(tok, WIC_TOK_ALG);
}

static void test_alg_unknown_or_wrong_case(void **state)
{
	char claims[2048];
	(void)state;
	fx_claims(claims, sizeof(claims), FX_ISS1, FX_NOW + 300, NULL);
	expect_status(fx_mint_raw(fx, WIC_ALG_HS256, "{\"alg\":\"hs256\"}",
			claims), WIC_TOK_ALG);
	expect_status(fx_mint_raw(fx, WIC_ALG_HS256, "{\"alg\":\"HS1\"}",
			claims), WIC_TOK_ALG);
	expect_status(fx_mint_raw(fx, WIC_ALG_HS256, "{\"alg\":256}",
			claims), WIC_TOK_MALFORMED);
	expect_status(fx_mint_raw(fx, WIC_ALG_HS256, "{\"typ\":\"JWT\"}",
			claims), WIC_TOK_MALFORMED);
}

/* HS256 with the RSA public key (PEM text) as the HMAC secret: the key
 * decides, so the RSA key never runs an HMAC. */
static void test_alg_confusion(void **state)
{
	char claims[2048];
	const unsigned char *pub = (const unsigned char *)fx->rsa_pub_pem;
	size_t plen = strlen(fx->rsa_pub_pem);
	(void)state;
	fx_claims(claims, sizeof(claims), FX_ISS2, FX_NOW + 300, NULL);
	/* w2 holds only the RSA key: with or without its kid */
	expect_status(wic_jws_sign("{\"alg\":\"HS256\"}", claims, WIC_ALG_HS256,
			NULL, pub, plen), WIC_TOK_ALG);
	fx_claims(claims, sizeof(claims), FX_ISS1, FX_NOW + 300, NULL);
	expect_status(wic_jws_sign("{\"alg\":\"HS256\",\"kid\":\"rsa\"}", claims,
			WIC_ALG_HS256, NULL, pub, plen), WIC_TOK_ALG);
	/* an ES256 token naming the P-384 key */
	expect_status(fx_mint_raw(fx, WIC_ALG_ES256,
			"{\"alg\":\"ES256\",\"kid\":\"ec384\"}", claims), WIC_TOK_ALG);
	/* an RS256 token naming the Ed25519 key */
	expect_status(fx_mint_raw(fx, WIC_ALG_RS256,
			"{\"alg\":\"RS256\",\"kid\":\"ed\"}", claims), WIC_TOK_ALG);
}

static void test_wrong_kid(void **state)
{
	char claims[2048];
	(void)state;
	fx_claims(claims, sizeof(claims), FX_ISS1, FX_NOW + 300, NULL);
	/* every key of w1 has a kid: an unknown kid finds none */
	expect_status(fx_mint_raw(fx, WIC_ALG_ES256,
			"{\"alg\":\"ES256\",\"kid\":\"nope\"}", claims), WIC_TOK_NO_KEY);
	expect_status(fx_mint_raw(fx, WIC_ALG_ES256,
			"{\"alg\":\"ES256\",\"kid\":7}", claims), WIC_TOK_MALFORMED);
	/* w2's key has no kid: a token kid falls back to it */
	fx_claims(claims, sizeof(claims), FX_ISS2, FX_NOW + 300, NULL);
	expect_status(fx_mint_raw(fx, WIC_ALG_RS256,
			"{\"alg\":\"RS256\",\"kid\":\"any\"}", claims), WIC_TOK_OK);
}

static void test_crit_header(void **state)
{
	char claims[2048];
	(void)state;
	fx_claims(claims, sizeof(claims), FX_ISS1, FX_NOW + 300, NULL);
	expect_status(fx_mint_raw(fx, WIC_ALG_ES256,
			"{\"alg\":\"ES256\",\"crit\":[\"exp\"],\"exp\":1}", claims),
			WIC_TOK_MALFORMED);
}

/* ---------------------------------------------------------- signature */

/* Changes one base64url character in the middle of segment seg. */
static void tamper(char *tok, int seg)
{
	char *p = tok;
	size_t len;
	int i;

	for (i = 0; i < seg; i++)
		p = strchr(p, '.') + 1;
	len = strcspn(p, ".");
	p[len / 2] = p[len / 2] == 'A' ? 'B' : 'A';
}

static void test_tampered(void **state)
{
	size_t i;
	(void)state;
	for (i = 0; i < N_ALGS; i++) {
		char *tok = fx_mint(fx, all_algs[i], true, NULL);
		tamper(tok, 1);
		expect_status(tok, WIC_TOK_SIGNATURE);
		tok = fx_mint(fx, all_algs[i], true, NULL);
		tamper(tok, 2);
		expect_status(tok, WIC_TOK_SIGNATURE);
	}
}

/* A signature cut short (and an ECDSA one in DER instead of r||s). */
static void test_signature_length(void **state)
{
	char *tok = fx_mint(fx, WIC_ALG_ES256, true, NULL);
	char *hs = fx_mint(fx, WIC_ALG_HS256, true, NULL);
	(void)state;
	strcpy(strrchr(tok, '.') + 1, "AAAA"); /* 3 bytes */
	expect_status(tok, WIC_TOK_SIGNATURE);
	strcpy(strrchr(hs, '.') + 1, "AAAA");
	expect_status(hs, WIC_TOK_SIGNATURE);
	tok = fx_mint(fx, WIC_ALG_ES256, true, NULL);
	*(strrchr(tok, '.') + 1) = '\0'; /* empty signature */
	expect_status(tok, WIC_TOK_SIGNATURE);
}

static void test_skip_signature(void **state)
{
	char *tok = fx_mint(fx, WIC_ALG_RS256, true, NULL);
	wic_token_t t;
	(void)state;
	tamper(tok, 2);
	assert_int_equal(verify_at(tok, FX_NOW, WIC_SKIP_SIGNATURE, &t),
			WIC_TOK_OK);
	wic_token_clear(&t);
	/* the claims are still checked */
	assert_int_equal(verify_at(tok, FX_NOW + 1000, WIC_SKIP_SIGNATURE, &t),
			WIC_TOK_EXPIRED);
	free(tok);
}

/* -------------------------------------------------------------- times */

static char *mint_times(long exp, const char *extra)
{
	char claims[2048];
	fx_claims(claims, sizeof(claims), FX_ISS1, exp, "%s", extra);
	return fx_mint_raw(fx, WIC_ALG_ES256, "{\"alg\":\"ES256\"}", claims);
}

static void test_expired_and_leeway(void **state)
{
	char extra[64];
	(void)state;
	expect_status(mint_times(FX_NOW - 3600, ""), WIC_TOK_EXPIRED);
	/* exp + leeway (30) == now: expired; one second more: fine */
	expect_status(mint_times(FX_NOW - 30, ""), WIC_TOK_EXPIRED);
	expect_status(mint_times(FX_NOW - 29, ""), WIC_TOK_OK);
	expect_status(mint_times(FX_NOW + 1, ""), WIC_TOK_OK);
	snprintf(extra, sizeof(extra), ",\"nbf\":%ld", FX_NOW + 30);
	expect_status(mint_times(FX_NOW + 300, extra), WIC_TOK_OK);
	snprintf(extra, sizeof(extra), ",\"nbf\":%ld", FX_NOW + 31);
	expect_status(mint_times(FX_NOW + 300, extra), WIC_TOK_NOT_YET_VALID);
	snprintf(extra, sizeof(extra), ",\"nbf\":%ld", FX_NOW + 3600);
	expect_status(mint_times(FX_NOW + 7200, extra), WIC_TOK_NOT_YET_VALID);
}

static void test_iat_future(void **state)
{
	char claims[512];
	(void)state;
	/* fx_claims sets iat: write the claims by hand */
	snprintf(claims, sizeof(claims), "{\"iss\":\"" FX_ISS1 "\",\"aud\":\""
			FX_AUD "\",\"exp\":%ld,\"iat\":%ld,\"impu\":\"sip:wic1@wwsf1.lab\"}",
			FX_NOW + 300, FX_NOW + 31);
	expect_status(fx_mint_raw(fx, WIC_ALG_EDDSA, "{\"alg\":\"EdDSA\"}",
			claims), WIC_TOK_NOT_YET_VALID);
	snprintf(claims, sizeof(claims), "{\"iss\":\"" FX_ISS1 "\",\"aud\":\""
			FX_AUD "\",\"exp\":%ld,\"iat\":%ld,\"impu\":\"sip:wic1@wwsf1.lab\"}",
			FX_NOW + 300, FX_NOW + 30);
	expect_status(fx_mint_raw(fx, WIC_ALG_EDDSA, "{\"alg\":\"EdDSA\"}",
			claims), WIC_TOK_OK);
}

static void test_time_claim_types(void **state)
{
	char claims[512];
	(void)state;
	/* no exp: refused */
	expect_status(fx_mint_raw(fx, WIC_ALG_HS256, "{\"alg\":\"HS256\"}",
			"{\"iss\":\"" FX_ISS1 "\",\"aud\":\"" FX_AUD "\","
			"\"impu\":\"sip:wic1@wwsf1.lab\"}"), WIC_TOK_CLAIMS);
	expect_status(fx_mint_raw(fx, WIC_ALG_HS256, "{\"alg\":\"HS256\"}",
			"{\"iss\":\"" FX_ISS1 "\",\"aud\":\"" FX_AUD "\",\"exp\":\"soon\","
			"\"impu\":\"sip:wic1@wwsf1.lab\"}"), WIC_TOK_CLAIMS);
	expect_status(fx_mint_raw(fx, WIC_ALG_HS256, "{\"alg\":\"HS256\"}",
			"{\"iss\":\"" FX_ISS1 "\",\"aud\":\"" FX_AUD "\",\"exp\":1e300,"
			"\"impu\":\"sip:wic1@wwsf1.lab\"}"), WIC_TOK_CLAIMS);
	/* a real NumericDate is fine (RFC 7519 2) */
	snprintf(claims, sizeof(claims), "{\"iss\":\"" FX_ISS1 "\",\"aud\":\""
			FX_AUD "\",\"exp\":%ld.5,\"impu\":\"sip:wic1@wwsf1.lab\"}",
			FX_NOW + 100);
	expect_status(fx_mint_raw(fx, WIC_ALG_HS256, "{\"alg\":\"HS256\"}",
			claims), WIC_TOK_OK);
}

/* ------------------------------------------- token lifetime (RFC 8725) */

/* ES256 token of WWSF 1 with exp and, when iat_set, iat. */
static char *mint_life(long exp, bool iat_set, long iat)
{
	char claims[512], iat_text[40] = "";
	if (iat_set)
		snprintf(iat_text, sizeof(iat_text), ",\"iat\":%ld", iat);
	snprintf(claims, sizeof(claims), "{\"iss\":\"" FX_ISS1 "\",\"aud\":\""
			FX_AUD "\",\"exp\":%ld%s,\"impu\":\"sip:wic1@wwsf1.lab\"}", exp,
			iat_text);
	return fx_mint_raw(fx, WIC_ALG_ES256, "{\"alg\":\"ES256\"}", claims);
}

/* exp - iat and exp - now are both bounded; the default is 24 h. */
static void test_lifetime_default(void **state)
{
	(void)state;
	assert_int_equal(wic_token_max_lifetime(prov, &prov->wwsfs[0]), 86400);
	/* via iat: issued a minute ago for exactly 24 h, then a second more */
	expect_status(mint_life(FX_NOW - 60 + 86400, true, FX_NOW - 60),
			WIC_TOK_OK);
	expect_status(mint_life(FX_NOW - 60 + 86401, true, FX_NOW - 60),
			WIC_TOK_LIFETIME);
	/* a year-long token issued long ago, with little left: exp - iat */
	expect_status(mint_life(FX_NOW + 300, true, FX_NOW - 365 * 86400L),
			WIC_TOK_LIFETIME);
	/* without iat only exp - now counts, with the leeway for skew */
	expect_status(mint_life(FX_NOW + 86400 + 30, false, 0), WIC_TOK_OK);
	expect_status(mint_life(FX_NOW + 86400 + 31, false, 0),
			WIC_TOK_LIFETIME);
	/* with iat: exp - now is checked too (iat inside the leeway) */
	expect_status(mint_life(FX_NOW + 86431, true, FX_NOW + 30),
			WIC_TOK_LIFETIME);
	/* extreme values cannot overflow the arithmetic */
	expect_status(mint_life(4611686018427387904L, true,
			-4611686018427387904L), WIC_TOK_LIFETIME);
}

/* The file's max_token_lifetime, overridden by the WWSF's limit. */
static void test_lifetime_configured(void **state)
{
	wic_wwsf_t *w = &prov->wwsfs[0];
	(void)state;
	prov->max_token_lifetime = 1000;
	assert_int_equal(wic_token_max_lifetime(prov, w), 1000);
	expect_status(mint_life(FX_NOW + 990, true, FX_NOW - 10), WIC_TOK_OK);
	expect_status(mint_life(FX_NOW + 991, true, FX_NOW - 10),
			WIC_TOK_LIFETIME);
	w->limits.max_token_lifetime = 600;
	assert_int_equal(wic_token_max_lifetime(prov, w), 600);
	assert_int_equal(wic_token_max_lifetime(prov, &prov->wwsfs[1]), 1000);
	expect_status(mint_life(FX_NOW + 590, true, FX_NOW - 10), WIC_TOK_OK);
	expect_status(mint_life(FX_NOW + 591, true, FX_NOW - 10),
			WIC_TOK_LIFETIME);
	expect_status(mint_life(FX_NOW + 630, false, 0), WIC_TOK_OK);
	expect_status(mint_life(FX_NOW + 631, false, 0), WIC_TOK_LIFETIME);
	w->limits.max_token_lifetime = 0;
	prov->max_token_lifetime = 0;
	assert_int_equal(wic_token_max_lifetime(NULL, NULL), 86400);
}

/* ------------------------------------------------ typ (RFC 8725 3.11) */

static void test_typ_equal(void **state)
{
	(void)state;
#define TYP_EQ(a, b) wic_typ_equal(a, strlen(a), b, strlen(b))
	assert_true(TYP_EQ("JWT", "JWT"));
	assert_true(TYP_EQ("jwt", "JWT"));
	assert_true(TYP_EQ("application/jwt", "JWT"));
	assert_true(TYP_EQ("JWT", "Application/JWT"));
	assert_true(TYP_EQ("application/at+jwt", "AT+JWT"));
	assert_true(TYP_EQ("wic+jwt", "application/wic+jwt"));
	assert_false(TYP_EQ("JWT", "JWS"));
	assert_false(TYP_EQ("JWT", "JWTX"));
	assert_false(TYP_EQ("at+jwt", "JWT"));
	assert_false(TYP_EQ("", "JWT"));
	assert_false(TYP_EQ("application/", "JWT"));
	assert_false(TYP_EQ("text/jwt", "JWT"));
	/* with another '/', "application/" is part of the name */
	assert_false(TYP_EQ("application/x/jwt", "x/jwt"));
	assert_true(TYP_EQ("application/x/jwt", "Application/X/JWT"));
	assert_false(wic_typ_equal("JW\0", 3, "JWT", 3));
	assert_false(wic_typ_equal(NULL, 0, "JWT", 3));
#undef TYP_EQ
}

static char *mint_typ(const char *typ_member)
{
	char header[128], claims[2048];
	snprintf(header, sizeof(header), "{\"alg\":\"ES256\",\"kid\":\"ec256\""
			"%s}", typ_member);
	fx_claims(claims, sizeof(claims), FX_ISS1, FX_NOW + 300, NULL);
	return fx_mint_raw(fx, WIC_ALG_ES256, header, claims);
}

static void test_required_typ(void **state)
{
	wic_wwsf_t *w = &prov->wwsfs[0];
	(void)state;
	/* no requirement: any typ, or none */
	expect_status(mint_typ(""), WIC_TOK_OK);
	expect_status(mint_typ(",\"typ\":\"at+jwt\""), WIC_TOK_OK);
	w->required_typ = strdup("wic+jwt");
	assert_non_null(w->required_typ);
	expect_status(mint_typ(",\"typ\":\"wic+jwt\""), WIC_TOK_OK);
	expect_status(mint_typ(",\"typ\":\"WIC+JWT\""), WIC_TOK_OK);
	expect_status(mint_typ(",\"typ\":\"application/wic+jwt\""), WIC_TOK_OK);
	expect_status(mint_typ(""), WIC_TOK_TYP);
	expect_status(mint_typ(",\"typ\":\"JWT\""), WIC_TOK_TYP);
	expect_status(mint_typ(",\"typ\":\"application/jwt\""), WIC_TOK_TYP);
	expect_status(mint_typ(",\"typ\":\"wic+jwt \""), WIC_TOK_TYP);
	expect_status(mint_typ(",\"typ\":[\"wic+jwt\"]"), WIC_TOK_TYP);
	expect_status(mint_typ(",\"typ\":null"), WIC_TOK_TYP);
	/* the other WWSF requires nothing */
	expect_status(fx_mint_raw(fx, WIC_ALG_RS256, "{\"alg\":\"RS256\"}",
			"{\"iss\":\"" FX_ISS2 "\",\"aud\":\"" FX_AUD "\",\"exp\":1700000300,"
			"\"impu\":\"sip:w2a@wwsf2.lab\"}"), WIC_TOK_OK);
	free(w->required_typ);
	w->required_typ = NULL;
}

/* ----------------------------------------------------------- iss / aud */

static void test_issuer(void **state)
{
	char claims[2048];
	(void)state;
	fx_claims(claims, sizeof(claims), "https://evil.example", FX_NOW + 300,
			NULL);
	expect_status(fx_mint_raw(fx, WIC_ALG_ES256, "{\"alg\":\"ES256\"}",
			claims), WIC_TOK_ISSUER);
	expect_status(fx_mint_raw(fx, WIC_ALG_ES256, "{\"alg\":\"ES256\"}",
			"{\"aud\":\"" FX_AUD "\",\"exp\":2000000000,\"impu\":\"sip:a@b\"}"),
			WIC_TOK_ISSUER);
	expect_status(fx_mint_raw(fx, WIC_ALG_ES256, "{\"alg\":\"ES256\"}",
			"{\"iss\":5,\"aud\":\"" FX_AUD "\",\"exp\":2000000000,"
			"\"impu\":\"sip:a@b\"}"), WIC_TOK_ISSUER);
	/* w2's token signed with w1's EC key: w2 has no such key */
	fx_claims(claims, sizeof(claims), FX_ISS2, FX_NOW + 300, NULL);
	expect_status(fx_mint_raw(fx, WIC_ALG_ES256, "{\"alg\":\"ES256\"}",
			claims), WIC_TOK_ALG);
	/* w2's token signed with the right alg but another RSA key */
	{
		EVP_PKEY *other = fx_keygen("RSA", NULL);
		char *tok = wic_jws_sign("{\"alg\":\"RS256\"}", claims,
				WIC_ALG_RS256, other, NULL, 0);
		EVP_PKEY_free(other);
		expect_status(tok, WIC_TOK_SIGNATURE);
	}
}

static void test_audience(void **state)
{
	char claims[512];
	(void)state;
	snprintf(claims, sizeof(claims), "{\"iss\":\"" FX_ISS1 "\",\"aud\":"
			"\"sip:other.lab\",\"exp\":%ld,\"impu\":\"sip:wic1@wwsf1.lab\"}",
			FX_NOW + 100);
	expect_status(fx_mint_raw(fx, WIC_ALG_PS256, "{\"alg\":\"PS256\"}",
			claims), WIC_TOK_AUDIENCE);
	snprintf(claims, sizeof(claims), "{\"iss\":\"" FX_ISS1 "\",\"aud\":"
			"[\"x\",\"" FX_AUD "\"],\"exp\":%ld,\"impu\":\"sip:wic1@wwsf1.lab\"}",
			FX_NOW + 100);
	expect_status(fx_mint_raw(fx, WIC_ALG_PS256, "{\"alg\":\"PS256\"}",
			claims), WIC_TOK_OK);
	snprintf(claims, sizeof(claims), "{\"iss\":\"" FX_ISS1 "\",\"aud\":"
			"[\"x\",7],\"exp\":%ld,\"impu\":\"sip:wic1@wwsf1.lab\"}",
			FX_NOW + 100);
	expect_status(fx_mint_raw(fx, WIC_ALG_PS256, "{\"alg\":\"PS256\"}",
			claims), WIC_TOK_AUDIENCE);
	snprintf(claims, sizeof(claims), "{\"iss\":\"" FX_ISS1 "\","
			"\"exp\":%ld,\"impu\":\"sip:wic1@wwsf1.lab\"}", FX_NOW + 100);
	expect_status(fx_mint_raw(fx, WIC_ALG_PS256, "{\"alg\":\"PS256\"}",
			claims), WIC_TOK_AUDIENCE);
	/* a WWSF's own audience overrides the default */
	prov->wwsfs[0].audience = strdup("sip:special.lab");
	fx_claims(claims, sizeof(claims), FX_ISS1, FX_NOW + 300, NULL);
	expect_status(fx_mint_raw(fx, WIC_ALG_PS256, "{\"alg\":\"PS256\"}",
			claims), WIC_TOK_AUDIENCE);
	free(prov->wwsfs[0].audience);
	prov->wwsfs[0].audience = NULL;
}

/* -------------------------------------------------------------- claims */

static char *mint_claims_tail(const char *tail)
{
	char claims[1024];
	snprintf(claims, sizeof(claims), "{\"iss\":\"" FX_ISS1 "\",\"aud\":\""
			FX_AUD "\",\"exp\":%ld%s}", FX_NOW + 100, tail);
	return fx_mint_raw(fx, WIC_ALG_ES384, "{\"alg\":\"ES384\"}", claims);
}

static void test_impu_types(void **state)
{
	wic_token_t t;
	char *tok;
	(void)state;
	expect_status(mint_claims_tail(""), WIC_TOK_CLAIMS);
	expect_status(mint_claims_tail(",\"impu\":5"), WIC_TOK_CLAIMS);
	expect_status(mint_claims_tail(",\"impu\":[]"), WIC_TOK_CLAIMS);
	expect_status(mint_claims_tail(",\"impu\":[\"sip:a@b\",5]"),
			WIC_TOK_CLAIMS);
	expect_status(mint_claims_tail(",\"impu\":\"\""), WIC_TOK_CLAIMS);
	/* jansson refuses NUL in strings: malformed before any claim check */
	expect_status(mint_claims_tail(",\"impu\":\"sip:a\\u0000b@c\""),
			WIC_TOK_MALFORMED);
	expect_status(mint_claims_tail(",\"impu\":{\"a\":1}"), WIC_TOK_CLAIMS);
	expect_status(mint_claims_tail(",\"impu\":\"sip:a@b\",\"impi\":1"),
			WIC_TOK_CLAIMS);
	expect_status(mint_claims_tail(",\"impu\":\"sip:a@b\",\"range\":[]"),
			WIC_TOK_CLAIMS);
	expect_status(mint_claims_tail(",\"impu\":\"sip:a@b\",\"anon\":\"yes\""),
			WIC_TOK_CLAIMS);
	tok = mint_claims_tail(",\"impu\":\"sip:a@b\",\"anon\":true,"
			"\"range\":\"sip:wic!.*!@wwsf1.lab\"");
	assert_int_equal(verify_at(tok, FX_NOW, WIC_VERIFY_SIGNATURE, &t),
			WIC_TOK_OK);
	assert_int_equal(t.n_impu, 1);
	assert_string_equal(t.impu[0], "sip:a@b");
	assert_null(t.impi);
	assert_string_equal(t.range, "sip:wic!.*!@wwsf1.lab");
	assert_true(t.anon);
	wic_token_clear(&t);
	free(tok);
}

static void test_custom_claim_names(void **state)
{
	wic_token_t t;
	char *tok;
	(void)state;
	prov->claims.impu = strdup("sub_ids");
	prov->claims.anon = strdup("guest");
	tok = mint_claims_tail(",\"sub_ids\":[\"sip:x@y\"],\"guest\":true,"
			"\"impu\":5");
	assert_int_equal(verify_at(tok, FX_NOW, WIC_VERIFY_SIGNATURE, &t),
			WIC_TOK_OK);
	assert_string_equal(t.impu[0], "sip:x@y");
	assert_true(t.anon);
	wic_token_clear(&t);
	free(tok);
	free(prov->claims.impu);
	free(prov->claims.anon);
	prov->claims.impu = prov->claims.anon = NULL;
}

/* ----------------------------------------------------------- structure */

static void test_oversize(void **state)
{
	char pad[9000];
	char *tok;
	(void)state;
	memset(pad, 'x', sizeof(pad) - 1);
	pad[sizeof(pad) - 1] = '\0';
	tok = fx_mint(fx, WIC_ALG_HS256, true, ",\"pad\":\"%s\"", pad + 8000);
	expect_status(tok, WIC_TOK_OK); /* ~1.4 KB: under 8 KiB */
	prov->max_token_size = 1000;
	expect_status(fx_mint(fx, WIC_ALG_HS256, true, ",\"pad\":\"%s\"",
			pad + 8000), WIC_TOK_MALFORMED);
	/* exactly at the limit is fine, one byte more is not */
	tok = fx_mint(fx, WIC_ALG_HS256, true, NULL);
	prov->max_token_size = (unsigned)strlen(tok);
	expect_status(strdup(tok), WIC_TOK_OK);
	prov->max_token_size--;
	expect_status(tok, WIC_TOK_MALFORMED);
	prov->max_token_size = 8192;
}

/* tokens up to the limit need a heap decode buffer: still fine */
static void test_large_token_ok(void **state)
{
	char pad[5001];
	(void)state;
	memset(pad, 'y', sizeof(pad) - 1);
	pad[sizeof(pad) - 1] = '\0';
	expect_status(fx_mint(fx, WIC_ALG_ES512, true, ",\"pad\":\"%s\"", pad),
			WIC_TOK_OK);
}

static void test_parts(void **state)
{
	char *tok = fx_mint(fx, WIC_ALG_HS256, true, NULL);
	char *two = strdup(tok), *four = malloc(strlen(tok) + 4);
	(void)state;
	*strrchr(two, '.') = '\0';
	expect_status(two, WIC_TOK_MALFORMED);
	sprintf(four, "%s.AA", tok);
	expect_status(four, WIC_TOK_MALFORMED);
	expect_status(strdup("..sig"), WIC_TOK_MALFORMED);
	expect_status(strdup("a"), WIC_TOK_MALFORMED);
	free(tok);
}

static void test_bad_base64url(void **state)
{
	static const char bad[] = { '+', '/', '=', ' ', '\n', '%', (char)0xc3 };
	size_t i;
	(void)state;
	for (i = 0; i < sizeof(bad); i++) {
		char *tok = fx_mint(fx, WIC_ALG_HS256, true, NULL);
		tok[3] = bad[i];
		expect_status(tok, WIC_TOK_MALFORMED);
	}
	/* padding after the signature */
	{
		char *tok = fx_mint(fx, WIC_ALG_HS256, true, NULL);
		char *padded = malloc(strlen(tok) + 3);
		sprintf(padded, "%s==", tok);
		free(tok);
		expect_status(padded, WIC_TOK_MALFORMED);
	}
	/* "QR" decodes to "A" with 4 stray bits: not canonical ("QQ" is) */
	expect_status(strdup("eyJhbGciOiJIUzI1NiJ9.QR.QQ"), WIC_TOK_MALFORMED);
	/* length 4n+1 */
	expect_status(strdup("eyJhbGciOiJIUzI1NiJ9.QUFBQ.QQ"), WIC_TOK_MALFORMED);
}

static void test_bad_json(void **state)
{
	char claims[2048];
	(void)state;
	fx_claims(claims, sizeof(claims), FX_ISS1, FX_NOW + 300, NULL);
	expect_status(fx_mint_raw(fx, WIC_ALG_HS256, "{\"alg\":\"HS256\"",
			claims), WIC_TOK_MALFORMED);
	expect_status(fx_mint_raw(fx, WIC_ALG_HS256, "[\"HS256\"]", claims),
			WIC_TOK_MALFORMED);
	expect_status(fx_mint_raw(fx, WIC_ALG_HS256,
			"{\"alg\":\"HS256\",\"alg\":\"none\"}", claims), WIC_TOK_MALFORMED);
	expect_status(fx_mint_raw(fx, WIC_ALG_HS256, "{\"alg\":\"HS256\"}",
			"not json"), WIC_TOK_MALFORMED);
	expect_status(fx_mint_raw(fx, WIC_ALG_HS256, "{\"alg\":\"HS256\"}",
			"[1,2]"), WIC_TOK_MALFORMED);
	expect_status(fx_mint_raw(fx, WIC_ALG_HS256, "{\"alg\":\"HS256\"}",
			"{\"iss\":\"a\",\"iss\":\"b\"}"), WIC_TOK_MALFORMED);
}

static void test_null_args(void **state)
{
	wic_token_t t;
	char why[8];
	(void)state;
	assert_int_equal(wic_token_verify(prov, NULL, 0, FX_NOW,
			WIC_VERIFY_SIGNATURE, &t, why, sizeof(why)), WIC_TOK_MALFORMED);
	assert_int_equal(wic_token_verify(prov, "", 0, FX_NOW,
			WIC_VERIFY_SIGNATURE, &t, NULL, 0), WIC_TOK_MALFORMED);
	/* a tiny why buffer is truncated, never overrun */
	assert_int_equal(wic_token_verify(prov, "a.b.c", 5, FX_NOW,
			WIC_VERIFY_SIGNATURE, &t, why, sizeof(why)), WIC_TOK_MALFORMED);
	assert_true(strlen(why) < sizeof(why));
	wic_token_clear(NULL);
}

/* --------------------------------------------------------- extraction */

static void bearer_ok(const char *hval, const char *want)
{
	const char *tok = NULL;
	size_t len = 0;
	assert_int_equal(wic_token_from_bearer(hval, strlen(hval), &tok, &len),
			0);
	assert_int_equal(len, strlen(want));
	assert_memory_equal(tok, want, len);
}

static void bearer_fails(const char *hval)
{
	const char *tok = NULL;
	size_t len = 0;
	assert_int_equal(wic_token_from_bearer(hval, strlen(hval), &tok, &len),
			-1);
}

static void test_bearer(void **state)
{
	(void)state;
	bearer_ok("Bearer a.b.c", "a.b.c");
	bearer_ok("bearer a.b.c", "a.b.c");
	bearer_ok("BEARER\ta.b.c", "a.b.c");
	bearer_ok("  Bearer    a.b.c  \r\n", "a.b.c");
	bearer_ok("Bearer a.b.c=", "a.b.c=");
	bearer_fails("Bearera.b.c");
	bearer_fails("Basic dXNlcjpwYXNz");
	bearer_fails("Digest username=\"x\"");
	bearer_fails("Bearer");
	bearer_fails("Bearer   ");
	bearer_fails("Bearer a.b.c extra");
	bearer_fails("");
	/* the length bounds the value, not a NUL */
	{
		const char *tok;
		size_t len;
		assert_int_equal(wic_token_from_bearer("Bearer abcdef", 10, &tok,
				&len), 0);
		assert_int_equal(len, 3);
	}
}

static void body_ok(const char *ctype, const char *body, const char *want)
{
	const char *tok = NULL;
	size_t len = 0;
	assert_int_equal(wic_token_from_body(ctype, strlen(ctype), body,
			strlen(body), &tok, &len), 0);
	assert_int_equal(len, strlen(want));
	assert_memory_equal(tok, want, len);
}

static void body_fails(const char *ctype, const char *body)
{
	const char *tok = NULL;
	size_t len = 0;
	assert_int_equal(wic_token_from_body(ctype, strlen(ctype), body,
			strlen(body), &tok, &len), -1);
}

static void test_body_jwt(void **state)
{
	(void)state;
	body_ok("application/jwt", "a.b.c", "a.b.c");
	body_ok("Application/JWT ; charset=us-ascii", "a.b.c\r\n", "a.b.c");
	body_ok(" application/jwt", "\r\n  a.b.c\n", "a.b.c");
	body_fails("application/json", "a.b.c");
	body_fails("application/jwtx", "a.b.c");
	body_fails("application/jwt", "\r\n");
	body_fails("application/jwt", "");
}

static void test_body_multipart(void **state)
{
	(void)state;
	body_ok("multipart/mixed;boundary=unique-boundary-1",
			"--unique-boundary-1\r\n"
			"Content-Type: application/sdp\r\n\r\n"
			"v=0\r\n"
			"--unique-boundary-1\r\n"
			"Content-Type: application/jwt\r\n\r\n"
			"h.p.s\r\n"
			"--unique-boundary-1--\r\n", "h.p.s");
	/* quoted boundary, LF only, preamble, header case, parameters */
	body_ok("Multipart/Mixed; charset=x; Boundary=\"b 1\"",
			"preamble\n"
			"--b 1\n"
			"content-type:APPLICATION/JWT;x=y\n"
			"Content-Length: 5\n\n"
			"h.p.s\n"
			"--b 1--\n", "h.p.s");
	/* the boundary text inside a part (not at a line start) */
	body_ok("multipart/mixed; boundary=zz",
			"--zz\r\nContent-Type: text/plain\r\n\r\nsee --zz here\r\n"
			"--zz \r\nContent-Type: application/jwt\r\n\r\nt.o.k\r\n--zz--",
			"t.o.k");
	/* compact form of Content-Type */
	body_ok("multipart/mixed; boundary=zz",
			"--zz\r\nc: application/jwt\r\n\r\nt.o.k\r\n--zz--\r\n", "t.o.k");
	body_fails("multipart/mixed", "--zz\r\nContent-Type: application/jwt"
			"\r\n\r\nt.o.k\r\n--zz--\r\n");
	body_fails("multipart/mixed; boundary=\"zz",
			"--zz\r\nContent-Type: application/jwt\r\n\r\nt.o.k\r\n--zz--");
	body_fails("multipart/mixed; boundary=zz",
			"--zz\r\nContent-Type: application/sdp\r\n\r\nv=0\r\n--zz--\r\n");
	body_fails("multipart/mixed; boundary=zz",
			"--zz\r\nContent-Type: application/jwt\r\n\r\nt.o.k\r\n");
	body_fails("multipart/mixed; boundary=zz",
			"--zz\r\nContent-Type: application/jwt\r\n\r\n\r\n--zz--");
	body_fails("multipart/mixed; boundary=zz", "no delimiter at all");
	body_fails("multipart/mixed; boundary=zz", "--zz");
	body_fails("multipart/mixed; boundary=zz",
			"--zz\r\nContent-Type: application/jwt\r\n");
	body_fails("text/plain; boundary=zz",
			"--zz\r\nContent-Type: application/jwt\r\n\r\nt.o.k\r\n--zz--");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_alg_with_kid),
		cmocka_unit_test(test_every_alg_without_kid),
		cmocka_unit_test(test_libjwt_interop),
		cmocka_unit_test(test_libjwt_verifies_ours),
		cmocka_unit_test(test_alg_none),
		cmocka_unit_test(test_alg_unknown_or_wrong_case),
		cmocka_unit_test(test_alg_confusion),
		cmocka_unit_test(test_wrong_kid),
		cmocka_unit_test(test_crit_header),
		cmocka_unit_test(test_tampered),
		cmocka_unit_test(test_signature_length),
		cmocka_unit_test(test_skip_signature),
		cmocka_unit_test(test_expired_and_leeway),
		cmocka_unit_test(test_iat_future),
		cmocka_unit_test(test_time_claim_types),
		cmocka_unit_test(test_lifetime_default),
		cmocka_unit_test(test_lifetime_configured),
		cmocka_unit_test(test_typ_equal),
		cmocka_unit_test(test_required_typ),
		cmocka_unit_test(test_issuer),
		cmocka_unit_test(test_audience),
		cmocka_unit_test(test_impu_types),
		cmocka_unit_test(test_custom_claim_names),
		cmocka_unit_test(test_oversize),
		cmocka_unit_test(test_large_token_ok),
		cmocka_unit_test(test_parts),
		cmocka_unit_test(test_bad_base64url),
		cmocka_unit_test(test_bad_json),
		cmocka_unit_test(test_null_args),
		cmocka_unit_test(test_bearer),
		cmocka_unit_test(test_body_jwt),
		cmocka_unit_test(test_body_multipart),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
