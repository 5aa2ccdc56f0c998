/*
 * SPDX-License-Identifier: GPL-2.0-or-later
 * Copyright (C) 2026 the ims_wic authors
 *
 * Unit tests of wic_keys.c: PEM, JWKS and HMAC keys, the per-key
 * algorithm allow-list and key lookup. Keys are generated at test time.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>

#include "wic_keys.h"
#include "tok_fixture.h"

#define RSA_ALGS (WIC_ALG_RS256 | WIC_ALG_RS384 | WIC_ALG_RS512 | WIC_ALG_PS256)

static fx_t *fx;

static int group_setup(void **state)
{
	int rc = fx_setup(state);
	fx = *state;
	return rc;
}

static void add_pem_ok(wic_keyset_t *ks, const char *file, const char *kid,
		unsigned algs)
{
	char err[256] = "";
	int rc = wic_keyset_add_pem(ks, fx_path(fx, file), kid, algs, err,
			sizeof(err));
	if (rc != 0)
		print_error("%s: %s\n", file, err);
	assert_int_equal(rc, 0);
}

static void add_pem_fails(const char *file, unsigned algs, const char *want)
{
	wic_keyset_t ks = {0};
	char err[256] = "";
	assert_int_equal(wic_keyset_add_pem(&ks, fx_path(fx, file), NULL, algs,
			err, sizeof(err)), -1);
	if (!strstr(err, want))
		print_error("'%s' lacks '%s'\n", err, want);
	assert_non_null(strstr(err, want));
	assert_int_equal(ks.n, 0);
	wic_keyset_clear(&ks);
}

static void test_alg_names(void **state)
{
	static const unsigned algs[] = { WIC_ALG_HS256, WIC_ALG_HS384,
		WIC_ALG_HS512, WIC_ALG_RS256, WIC_ALG_RS384, WIC_ALG_RS512,
		WIC_ALG_ES256, WIC_ALG_ES384, WIC_ALG_ES512, WIC_ALG_PS256,
		WIC_ALG_EDDSA };
	size_t i;
	(void)state;
	for (i = 0; i < sizeof(algs) / sizeof(algs[0]); i++) {
		const char *n = wic_alg_name(algs[i]);
		assert_int_equal(wic_alg_from_name(n, strlen(n)), algs[i]);
	}
	assert_int_equal(wic_alg_from_name("none", 4), 0);
	assert_int_equal(wic_alg_from_name("es256", 5), 0);
	assert_int_equal(wic_alg_from_name("ES2566", 6), 0);
	assert_int_equal(wic_alg_from_name("ES2566", 5), WIC_ALG_ES256);
	assert_int_equal(wic_alg_from_name(NULL, 0), 0);
	assert_string_equal(wic_alg_name(0), "unknown");
}

static void test_pem_types(void **state)
{
	wic_keyset_t ks = {0};
	(void)state;
	add_pem_ok(&ks, "rsa.pem", "r", 0);
	add_pem_ok(&ks, "ec256.pem", "e1", 0);
	add_pem_ok(&ks, "ec384.pem", "e2", 0);
	add_pem_ok(&ks, "ec521.pem", "e3", 0);
	add_pem_ok(&ks, "ed25519.pem", NULL, 0);
	assert_int_equal(ks.n, 5);
	assert_int_equal(ks.keys[0].type, WIC_KEY_RSA);
	assert_int_equal(ks.keys[0].algs, RSA_ALGS);
	assert_string_equal(ks.keys[0].kid, "r");
	assert_int_equal(ks.keys[1].type, WIC_KEY_EC);
	assert_int_equal(ks.keys[1].algs, WIC_ALG_ES256);
	assert_int_equal(ks.keys[2].algs, WIC_ALG_ES384);
	assert_int_equal(ks.keys[3].algs, WIC_ALG_ES512);
	assert_int_equal(ks.keys[4].type, WIC_KEY_OKP);
	assert_int_equal(ks.keys[4].algs, WIC_ALG_EDDSA);
	assert_null(ks.keys[4].kid);
	assert_non_null(ks.keys[4].pkey);
	wic_keyset_clear(&ks);
	assert_int_equal(ks.n, 0);
	assert_null(ks.keys);
}

/* An allow-list narrower than the type is kept; one that does not fit
 * the type is an error. */
static void test_pem_alg_lists(void **state)
{
	wic_keyset_t ks = {0};
	(void)state;
	add_pem_ok(&ks, "rsa.pem", NULL, WIC_ALG_PS256);
	assert_int_equal(ks.keys[0].algs, WIC_ALG_PS256);
	wic_keyset_clear(&ks);
	add_pem_fails("rsa.pem", WIC_ALG_HS256, "HS256");
	add_pem_fails("rsa.pem", WIC_ALG_RS256 | WIC_ALG_ES256, "ES256");
	add_pem_fails("ec256.pem", WIC_ALG_ES384, "ES384");
	add_pem_fails("ec384.pem", WIC_ALG_ES256, "ES256");
	add_pem_fails("ec521.pem", WIC_ALG_ES256, "ES256");
	add_pem_fails("ed25519.pem", WIC_ALG_ES256, "ES256");
	add_pem_fails("ed25519.pem", WIC_ALG_HS512, "HS512");
}

static void write_pub_of(EVP_PKEY *k, const char *name)
{
	assert_non_null(k);
	assert_int_equal(fx_write_pub(fx, k, name), 0);
	EVP_PKEY_free(k);
}

static void test_pem_refused(void **state)
{
	(void)state;
	write_pub_of(EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)1024),
			"small.pem");
	add_pem_fails("small.pem", 0, "1024 bits refused");
	write_pub_of(EVP_PKEY_Q_keygen(NULL, NULL, "EC", "secp256k1"),
			"other.pem");
	add_pem_fails("other.pem", 0, "unsupported curve");
	write_pub_of(EVP_PKEY_Q_keygen(NULL, NULL, "ED448"), "other.pem");
	add_pem_fails("other.pem", 0, "unsupported key type");
	assert_int_equal(fx_write_text(fx, "other.pem", "not a key\n"), 0);
	add_pem_fails("other.pem", 0, "no PEM public key");
	add_pem_fails("missing.pem", 0, "cannot open");
	/* one key a file: junk (or a second key) after it is refused, white
	 * space is not */
	char text[4096];
	snprintf(text, sizeof(text), "%s\n\n  \n", fx->rsa_pub_pem);
	assert_int_equal(fx_write_text(fx, "other.pem", text), 0);
	wic_keyset_t ks = {0};
	add_pem_ok(&ks, "other.pem", NULL, 0);
	wic_keyset_clear(&ks);
	snprintf(text, sizeof(text), "%sjunk\n", fx->rsa_pub_pem);
	assert_int_equal(fx_write_text(fx, "other.pem", text), 0);
	add_pem_fails("other.pem", 0, "data after the PEM public key");
}

/* Deferred keys are the keys the add functions build, built at first use;
 * a failed build leaves nothing built and can be tried again. */
static void test_deferred(void **state)
{
	(void)state;
	wic_keyset_t direct = {.allow_hmac = true}, later = {.allow_hmac = true};
	char err[256] = "";
	FILE *f = fopen(fx_path(fx, "ec256.pem"), "rb");
	unsigned char pem[4096];
	size_t n;

	assert_non_null(f);
	n = fread(pem, 1, sizeof(pem), f);
	fclose(f);
	add_pem_ok(&direct, "ec256.pem", "k1", 0);
	assert_int_equal(wic_keyset_add_hmac(&direct, fx->hmac, 32, "h", 0, err,
			sizeof(err)), 0);
	assert_int_equal(wic_keyset_defer(&later, WIC_SOURCE_PEM, "ec256.pem",
			pem, n, "k1", 0, err, sizeof(err)), 0);
	assert_int_equal(wic_keyset_defer(&later, WIC_SOURCE_HMAC, NULL, fx->hmac,
			32, "h", 0, err, sizeof(err)), 0);
	assert_int_equal(later.n, 0);
	assert_null(wic_keyset_find(&later, "k1", WIC_ALG_ES256));
	assert_int_equal(wic_keyset_ready(&later, err, sizeof(err)), 0);
	assert_int_equal(later.n, direct.n);
	for (size_t i = 0; i < direct.n; i++) {
		assert_string_equal(later.keys[i].kid, direct.keys[i].kid);
		assert_int_equal(later.keys[i].type, direct.keys[i].type);
		assert_int_equal(later.keys[i].algs, direct.keys[i].algs);
	}
	assert_int_equal(wic_keyset_ready(&later, err, sizeof(err)), 0);
	assert_int_equal(later.n, direct.n);
	wic_keyset_clear(&later);

	/* HMAC without the WWSF's opt-in: the build fails, nothing stays */
	wic_keyset_t refused = {0};
	assert_int_equal(wic_keyset_defer(&refused, WIC_SOURCE_PEM, "ec256.pem",
			pem, n, "k1", 0, err, sizeof(err)), 0);
	assert_int_equal(wic_keyset_defer(&refused, WIC_SOURCE_HMAC, NULL,
			fx->hmac, 32, "h", 0, err, sizeof(err)), 0);
	assert_int_equal(wic_keyset_ready(&refused, err, sizeof(err)), -1);
	assert_int_equal(refused.n, 0);
	assert_int_equal(refused.n_pending, 2);
	refused.allow_hmac = true;
	assert_int_equal(wic_keyset_ready(&refused, err, sizeof(err)), 0);
	assert_int_equal(refused.n, 2);
	wic_keyset_clear(&refused);
	wic_keyset_clear(&direct);
}

static void test_hmac(void **state)
{
	wic_keyset_t ks = {.allow_hmac = true};
	char err[128];
	(void)state;
	assert_int_equal(wic_keyset_add_hmac(&ks, fx->hmac, 64, "h", 0, err,
			sizeof(err)), 0);
	assert_int_equal(ks.keys[0].type, WIC_KEY_HMAC);
	assert_int_equal(ks.keys[0].algs, WIC_ALG_HMAC);
	assert_int_equal(ks.keys[0].secret_len, 64);
	assert_memory_equal(ks.keys[0].secret, fx->hmac, 64);
	assert_null(ks.keys[0].pkey);
	assert_int_equal(wic_keyset_add_hmac(&ks, fx->hmac, 64, NULL,
			WIC_ALG_HS512, err, sizeof(err)), 0);
	assert_int_equal(ks.keys[1].algs, WIC_ALG_HS512);
	assert_int_equal(wic_keyset_add_hmac(&ks, fx->hmac, 32, NULL,
			WIC_ALG_RS256, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "RS256 does not fit"));
	assert_int_equal(wic_keyset_add_hmac(&ks, fx->hmac, 0, NULL, 0, err,
			sizeof(err)), -1);
	assert_int_equal(ks.n, 2);
	wic_keyset_clear(&ks);
}

static void hmac_fails(size_t len, const char *kid, unsigned algs,
		const char *want)
{
	wic_keyset_t ks = {.allow_hmac = true};
	char err[256] = "";
	assert_int_equal(wic_keyset_add_hmac(&ks, fx->hmac, len, kid, algs, err,
			sizeof(err)), -1);
	if (!strstr(err, want))
		print_error("'%s' lacks '%s'\n", err, want);
	assert_non_null(strstr(err, want));
	assert_int_equal(ks.n, 0);
}

static unsigned hmac_algs_of(size_t len, unsigned asked)
{
	wic_keyset_t ks = {.allow_hmac = true};
	char err[256] = "";
	unsigned algs;
	if (wic_keyset_add_hmac(&ks, fx->hmac, len, NULL, asked, err,
			sizeof(err)) != 0)
		print_error("%zu bytes: %s\n", len, err);
	assert_int_equal(ks.n, 1);
	algs = ks.keys[0].algs;
	wic_keyset_clear(&ks);
	return algs;
}

/* RFC 7518 3.2: HS256/384/512 need 32/48/64 bytes. An allow-list naming an
 * algorithm the secret is too short for is refused, naming key and alg;
 * without a list the secret gets what its length supports. */
static void test_hmac_lengths(void **state)
{
	(void)state;
	assert_int_equal(wic_hmac_algs_for_len(31), 0);
	assert_int_equal(wic_hmac_algs_for_len(32), WIC_ALG_HS256);
	assert_int_equal(wic_hmac_algs_for_len(47), WIC_ALG_HS256);
	assert_int_equal(wic_hmac_algs_for_len(48),
			WIC_ALG_HS256 | WIC_ALG_HS384);
	assert_int_equal(wic_hmac_algs_for_len(63),
			WIC_ALG_HS256 | WIC_ALG_HS384);
	assert_int_equal(wic_hmac_algs_for_len(64), WIC_ALG_HMAC);
	assert_int_equal(hmac_algs_of(32, 0), WIC_ALG_HS256);
	assert_int_equal(hmac_algs_of(48, 0), WIC_ALG_HS256 | WIC_ALG_HS384);
	assert_int_equal(hmac_algs_of(64, 0), WIC_ALG_HMAC);
	assert_int_equal(hmac_algs_of(32, WIC_ALG_HS256), WIC_ALG_HS256);
	assert_int_equal(hmac_algs_of(48, WIC_ALG_HS384), WIC_ALG_HS384);
	assert_int_equal(hmac_algs_of(64, WIC_ALG_HS512), WIC_ALG_HS512);
	hmac_fails(31, "h", 0, "HMAC key 'h': secret of 31 bytes refused "
			"(at least 32, RFC 7518 3.2)");
	hmac_fails(31, "h", WIC_ALG_HS256, "secret of 31 bytes refused");
	hmac_fails(32, "h32", WIC_ALG_HS512, "HMAC key 'h32': secret of 32 "
			"bytes too short for HS512 (at least 64 bytes, RFC 7518 3.2)");
	hmac_fails(32, NULL, WIC_ALG_HS256 | WIC_ALG_HS384,
			"HMAC key '(no kid)': secret of 32 bytes too short for HS384 "
			"(at least 48 bytes");
	hmac_fails(47, "h", WIC_ALG_HS384, "too short for HS384");
	hmac_fails(63, "h", WIC_ALG_HMAC, "too short for HS512");
}

/* A 32-byte secret never verifies HS512, whatever the token says. */
static void test_hmac_short_never_hs512(void **state)
{
	wic_keyset_t ks = {.allow_hmac = true};
	char err[256];
	(void)state;
	assert_int_equal(wic_keyset_add_hmac(&ks, fx->hmac, 32, "h", 0, err,
			sizeof(err)), 0);
	assert_null(wic_keyset_find(&ks, "h", WIC_ALG_HS512));
	assert_null(wic_keyset_find(&ks, NULL, WIC_ALG_HS512));
	assert_null(wic_keyset_find(&ks, "h", WIC_ALG_HS384));
	assert_ptr_equal(wic_keyset_find(&ks, "h", WIC_ALG_HS256), &ks.keys[0]);
	wic_keyset_clear(&ks);
}

/* Shared secrets only with the WWSF's opt-in. */
static void test_hmac_needs_opt_in(void **state)
{
	wic_keyset_t ks = {0};
	char err[256] = "";
	(void)state;
	assert_int_equal(wic_keyset_add_hmac(&ks, fx->hmac, 64, "h", 0, err,
			sizeof(err)), -1);
	assert_string_equal(err, "HMAC key 'h' refused: the WWSF does not allow "
			"shared secrets (allow_hmac)");
	assert_int_equal(ks.n, 0);
}

/* A kid names one key of a WWSF: PEM, HMAC and JWKS keys alike. */
static void test_duplicate_kid(void **state)
{
	wic_keyset_t ks = {.allow_hmac = true};
	char err[256] = "";
	(void)state;
	add_pem_ok(&ks, "rsa.pem", "k1", 0);
	assert_int_equal(wic_keyset_add_pem(&ks, fx_path(fx, "ec256.pem"), "k1",
			0, err, sizeof(err)), -1);
	assert_string_equal(err, "duplicate kid 'k1'");
	assert_int_equal(wic_keyset_add_hmac(&ks, fx->hmac, 64, "k1", 0, err,
			sizeof(err)), -1);
	assert_string_equal(err, "duplicate kid 'k1'");
	/* keys without kid may be several (the signature decides) */
	add_pem_ok(&ks, "ec256.pem", NULL, 0);
	add_pem_ok(&ks, "ec384.pem", NULL, 0);
	assert_int_equal(ks.n, 3);
	assert_int_equal(fx_write_text(fx, "x.json", "{\"keys\":[{\"kty\":"
			"\"oct\",\"kid\":\"k2\",\"k\":\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
			"AAAAAAAAAAAA\"},{\"kty\":\"oct\",\"kid\":\"k1\",\"k\":\"AAAAAAAAA"
			"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\"}]}"), 0);
	assert_int_equal(wic_keyset_add_jwks(&ks, fx_path(fx, "x.json"), 0, err,
			sizeof(err)), -1);
	assert_string_equal(err, "duplicate kid 'k1'");
	assert_int_equal(ks.n, 3); /* the JWKS is all or nothing */
	wic_keyset_clear(&ks);
}

/* ---- JWKS built from the generated keys ---- */

static char *b64_bn(EVP_PKEY *k, const char *param)
{
	BIGNUM *bn = NULL;
	unsigned char buf[600];
	char *s;
	int n;
	assert_int_equal(EVP_PKEY_get_bn_param(k, param, &bn), 1);
	n = BN_bn2bin(bn, buf);
	BN_free(bn);
	s = wic_jws_b64url(buf, (size_t)n);
	assert_non_null(s);
	return s;
}

/* "x" and "y" of an EC key, from its uncompressed point */
static void ec_xy(EVP_PKEY *k, char **x, char **y)
{
	unsigned char pt[1 + 2 * 66];
	size_t len = 0;
	assert_int_equal(EVP_PKEY_get_octet_string_param(k,
			OSSL_PKEY_PARAM_PUB_KEY, pt, sizeof(pt), &len), 1);
	assert_int_equal(pt[0], 4);
	*x = wic_jws_b64url(pt + 1, (len - 1) / 2);
	*y = wic_jws_b64url(pt + 1 + (len - 1) / 2, (len - 1) / 2);
}

static char *jwk_ec(EVP_PKEY *k, const char *crv, const char *kid)
{
	char *x, *y, *out = malloc(1024);
	ec_xy(k, &x, &y);
	snprintf(out, 1024, "{\"kty\":\"EC\",\"crv\":\"%s\",\"kid\":\"%s\","
			"\"x\":\"%s\",\"y\":\"%s\",\"use\":\"sig\"}", crv, kid, x, y);
	free(x);
	free(y);
	return out;
}

static void write_jwks(void)
{
	char *n = b64_bn(fx->rsa, OSSL_PKEY_PARAM_RSA_N);
	char *e = b64_bn(fx->rsa, OSSL_PKEY_PARAM_RSA_E);
	char *e256 = jwk_ec(fx->ec256, "P-256", "e256");
	char *e384 = jwk_ec(fx->ec384, "P-384", "e384");
	char *e521 = jwk_ec(fx->ec521, "P-521", "e521");
	unsigned char raw[32];
	size_t rlen = sizeof(raw);
	char *ed, *k = wic_jws_b64url(fx->hmac, 48), *doc = malloc(8192);
	assert_int_equal(EVP_PKEY_get_raw_public_key(fx->ed25519, raw, &rlen), 1);
	ed = wic_jws_b64url(raw, rlen);
	snprintf(doc, 8192, "{\"keys\":["
			"{\"kty\":\"RSA\",\"kid\":\"rsa\",\"n\":\"%s\",\"e\":\"%s\"},"
			"%s,%s,%s,"
			"{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"kid\":\"ed\",\"x\":\"%s\"},"
			"{\"kty\":\"oct\",\"kid\":\"hs\",\"k\":\"%s\",\"alg\":\"HS384\"},"
			"{\"kty\":\"RSA\",\"use\":\"enc\",\"n\":\"AQAB\",\"e\":\"AQAB\"}"
			"]}", n, e, e256, e384, e521, ed, k);
	assert_int_equal(fx_write_text(fx, "jwks.json", doc), 0);
	free(n);
	free(e);
	free(e256);
	free(e384);
	free(e521);
	free(ed);
	free(k);
	free(doc);
}

static void test_jwks(void **state)
{
	wic_keyset_t ks = {.allow_hmac = true};
	char err[256] = "";
	(void)state;
	write_jwks();
	if (wic_keyset_add_jwks(&ks, fx_path(fx, "jwks.json"), 0, err,
			sizeof(err)) != 0)
		print_error("jwks: %s\n", err);
	assert_int_equal(ks.n, 6); /* the "enc" key is skipped */
	assert_string_equal(ks.keys[0].kid, "rsa");
	assert_int_equal(ks.keys[0].algs, RSA_ALGS);
	assert_int_equal(EVP_PKEY_eq(ks.keys[0].pkey, fx->rsa), 1);
	assert_int_equal(ks.keys[1].algs, WIC_ALG_ES256);
	assert_int_equal(EVP_PKEY_eq(ks.keys[1].pkey, fx->ec256), 1);
	assert_int_equal(ks.keys[2].algs, WIC_ALG_ES384);
	assert_int_equal(EVP_PKEY_eq(ks.keys[2].pkey, fx->ec384), 1);
	assert_int_equal(ks.keys[3].algs, WIC_ALG_ES512);
	assert_int_equal(EVP_PKEY_eq(ks.keys[3].pkey, fx->ec521), 1);
	assert_int_equal(ks.keys[4].type, WIC_KEY_OKP);
	assert_int_equal(EVP_PKEY_eq(ks.keys[4].pkey, fx->ed25519), 1);
	assert_int_equal(ks.keys[5].type, WIC_KEY_HMAC);
	assert_int_equal(ks.keys[5].algs, WIC_ALG_HS384); /* the JWK's alg */
	assert_memory_equal(ks.keys[5].secret, fx->hmac, 48);
	wic_keyset_clear(&ks);

	/* a file-level list keeps only the keys that can use it */
	assert_int_equal(wic_keyset_add_jwks(&ks, fx_path(fx, "jwks.json"),
			WIC_ALG_ES256 | WIC_ALG_RS256, err, sizeof(err)), 0);
	assert_int_equal(ks.n, 2);
	assert_int_equal(ks.keys[0].algs, WIC_ALG_RS256);
	assert_int_equal(ks.keys[1].algs, WIC_ALG_ES256);
	wic_keyset_clear(&ks);
	assert_int_equal(wic_keyset_add_jwks(&ks, fx_path(fx, "jwks.json"),
			WIC_ALG_HS256, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "no signature key"));
}

static void jwks_fails_with(bool allow_hmac, const char *doc,
		const char *want)
{
	wic_keyset_t ks = {.allow_hmac = true};
	char err[256] = "";
	assert_int_equal(wic_keyset_add_hmac(&ks, fx->hmac, 32, "pre", 0, err,
			sizeof(err)), 0);
	ks.allow_hmac = allow_hmac;
	assert_int_equal(fx_write_text(fx, "x.json", doc), 0);
	assert_int_equal(wic_keyset_add_jwks(&ks, fx_path(fx, "x.json"), 0, err,
			sizeof(err)), -1);
	if (!strstr(err, want))
		print_error("'%s' lacks '%s'\n", err, want);
	assert_non_null(strstr(err, want));
	assert_int_equal(ks.n, 1); /* all or nothing */
	wic_keyset_clear(&ks);
}

static void jwks_fails(const char *doc, const char *want)
{
	jwks_fails_with(true, doc, want);
}

static void test_jwks_errors(void **state)
{
	char *ec = jwk_ec(fx->ec256, "P-256", "a");
	char *ec_as_384 = jwk_ec(fx->ec256, "P-384", "a");
	char doc[2048];
	(void)state;
	jwks_fails("{", "line");
	jwks_fails("{\"keys\":[]}", "no \"keys\"");
	jwks_fails("{\"nokeys\":1}", "no \"keys\"");
	snprintf(doc, sizeof(doc), "{\"keys\":[%s,{\"kty\":\"XYZ\"}]}", ec);
	jwks_fails(doc, "keys[1]: unsupported or invalid XYZ");
	jwks_fails("{\"keys\":[{\"kty\":\"oct\",\"k\":\"a+b\"}]}", "\"k\"");
	jwks_fails("{\"keys\":[{\"kty\":\"oct\",\"k\":\"abcd\",\"kid\":1}]}",
			"not a JWK");
	jwks_fails("{\"keys\":[{\"kty\":\"oct\",\"k\":\"abcd\",\"alg\":\"RS256\"}]}",
			"alg unsupported");
	jwks_fails("{\"keys\":[{\"kty\":\"oct\",\"k\":\"abcd\",\"alg\":\"none\"}]}",
			"alg unsupported");
	snprintf(doc, sizeof(doc), "{\"keys\":[%s]}", ec_as_384);
	jwks_fails(doc, "invalid EC");
	jwks_fails("{\"keys\":[{\"kty\":\"EC\",\"crv\":\"P-192\",\"x\":\"AA\","
			"\"y\":\"AA\"}]}", "invalid EC");
	jwks_fails("{\"keys\":[{\"kty\":\"OKP\",\"crv\":\"Ed448\",\"x\":\"AA\"}]}",
			"invalid OKP");
	jwks_fails("{\"keys\":[{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"x\":\"AA\"}]}",
			"invalid OKP");
	/* RSA modulus of 512 bits: too small */
	jwks_fails("{\"keys\":[{\"kty\":\"RSA\",\"e\":\"AQAB\",\"n\":\""
			"wf-wiusGhA-gleZYQAOPQlNUIucPiqXdPVyieDqQbXXOPBe3nuggtVzeq7pVFH1dZz4"
			"dY2Q2LA5DaegvP8kRvQ\"}]}", "refused");
	free(ec);
	free(ec_as_384);
}

/* A JWKS publishes public keys: a private member refuses the whole file
 * (whatever the key's use), and an oct JWK is a shared secret, so it needs
 * the WWSF's opt-in and a length fitting its alg. */
static void test_jwks_private(void **state)
{
	char *ec = jwk_ec(fx->ec256, "P-256", "ok");
	char doc[4096];
	static const char *const members[] = {
		"d", "p", "q", "dp", "dq", "qi", "oth" };
	(void)state;
	snprintf(doc, sizeof(doc), "{\"keys\":[%s,{\"kty\":\"RSA\","
			"\"kid\":\"r\",\"n\":\"AQAB\",\"e\":\"AQAB\",\"d\":\"AQAB\"}]}",
			ec);
	jwks_fails(doc, "keys[1] (kid 'r'): private key member 'd' refused "
			"(publish public keys only)");
	snprintf(doc, sizeof(doc), "{\"keys\":[{\"kty\":\"EC\",\"crv\":"
			"\"P-256\",\"x\":\"AA\",\"y\":\"AA\",\"d\":\"AA\"}]}");
	jwks_fails(doc, "keys[0]: private key member 'd' refused");
	snprintf(doc, sizeof(doc), "{\"keys\":[{\"kty\":\"OKP\",\"crv\":"
			"\"Ed25519\",\"x\":\"AA\",\"d\":\"AA\",\"use\":\"enc\"}]}");
	jwks_fails(doc, "keys[0]: private key member 'd' refused");
	for (size_t i = 0; i < sizeof(members) / sizeof(members[0]); i++) {
		char want[64];
		snprintf(doc, sizeof(doc), "{\"keys\":[{\"kty\":\"RSA\","
				"\"n\":\"AQAB\",\"e\":\"AQAB\",\"%s\":\"AQAB\"}]}",
				members[i]);
		snprintf(want, sizeof(want), "private key member '%s'", members[i]);
		jwks_fails(doc, want);
	}
	jwks_fails_with(false, "{\"keys\":[{\"kty\":\"oct\",\"kid\":\"s\","
			"\"k\":\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\"}]}",
			"keys[0]: oct JWK (a shared secret) refused: the WWSF does not "
			"allow shared secrets (allow_hmac)");
	jwks_fails("{\"keys\":[{\"kty\":\"oct\",\"kid\":\"s\",\"alg\":"
			"\"HS512\",\"k\":\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\"}]}",
			"HMAC key 's': secret of 32 bytes too short for HS512");
	jwks_fails("{\"keys\":[{\"kty\":\"oct\",\"k\":\"AAAA\"}]}",
			"secret of 3 bytes refused");
	free(ec);
}

static void test_find(void **state)
{
	wic_keyset_t ks = {0};
	char err[128];
	(void)state;
	add_pem_ok(&ks, "rsa.pem", "r1", 0);
	add_pem_ok(&ks, "ec256.pem", NULL, 0);
	ks.allow_hmac = true;
	assert_int_equal(wic_keyset_add_hmac(&ks, fx->hmac, 32, "h1", 0, err,
			sizeof(err)), 0);
	assert_int_equal(wic_keyset_add_hmac(&ks, fx->hmac, 32, "h2", 0, err,
			sizeof(err)), 0);
	/* by kid */
	assert_ptr_equal(wic_keyset_find(&ks, "r1", WIC_ALG_RS256), &ks.keys[0]);
	assert_ptr_equal(wic_keyset_find(&ks, "h2", WIC_ALG_HS256), &ks.keys[3]);
	/* kid found but alg not allowed: no fallback to another key */
	assert_null(wic_keyset_find(&ks, "r1", WIC_ALG_HS256));
	assert_null(wic_keyset_find(&ks, "r1", WIC_ALG_ES256));
	/* unknown kid: the only kid-less key that allows alg */
	assert_ptr_equal(wic_keyset_find(&ks, "zz", WIC_ALG_ES256), &ks.keys[1]);
	assert_null(wic_keyset_find(&ks, "zz", WIC_ALG_RS256));
	/* no kid: the only key for alg; two HMAC keys are ambiguous */
	assert_ptr_equal(wic_keyset_find(&ks, NULL, WIC_ALG_PS256), &ks.keys[0]);
	assert_ptr_equal(wic_keyset_find(&ks, NULL, WIC_ALG_ES256), &ks.keys[1]);
	assert_null(wic_keyset_find(&ks, NULL, WIC_ALG_HS256));
	assert_null(wic_keyset_find(&ks, NULL, WIC_ALG_EDDSA));
	assert_null(wic_keyset_find(&ks, NULL, 0));
	assert_null(wic_keyset_find(NULL, NULL, WIC_ALG_RS256));
	assert_ptr_equal(wic_keyset_by_kid(&ks, "h1"), &ks.keys[2]);
	assert_null(wic_keyset_by_kid(&ks, NULL));
	assert_int_equal(wic_keyset_algs(&ks), RSA_ALGS | WIC_ALG_ES256
			| WIC_ALG_HS256);
	wic_keyset_clear(&ks);
	wic_keyset_clear(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_alg_names),
		cmocka_unit_test(test_pem_types),
		cmocka_unit_test(test_deferred),
		cmocka_unit_test(test_pem_alg_lists),
		cmocka_unit_test(test_pem_refused),
		cmocka_unit_test(test_hmac),
		cmocka_unit_test(test_hmac_lengths),
		cmocka_unit_test(test_hmac_short_never_hs512),
		cmocka_unit_test(test_hmac_needs_opt_in),
		cmocka_unit_test(test_duplicate_kid),
		cmocka_unit_test(test_jwks),
		cmocka_unit_test(test_jwks_errors),
		cmocka_unit_test(test_jwks_private),
		cmocka_unit_test(test_find),
	};
	return cmocka_run_group_tests(tests, group_setup, fx_teardown);
}
