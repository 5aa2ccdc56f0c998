/*
 * SPDX-License-Identifier: GPL-2.0-or-later
 * Copyright (C) 2026 the ims_wic authors
 *
 * ims_wic - token verification keys: PEM public keys, JWKS files and HMAC
 * secrets, each tagged with the JWS algorithms it may verify.
 *
 * The allow-list of a key is always a subset of what its type supports, so
 * the verifier can trust "key allows alg" to also mean "alg fits the key"
 * (no HMAC alg on a public key, no ES256 on a P-384 key).
 */
#include "wic_keys.h"
#include "wic_mem.h"
#include "wic_bundle.h"
#include "wic_text.h"

#include <ctype.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <jansson.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/rsa.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>

#define WIC_RSA_MIN_BITS 2048
#define WIC_ALG_RSA \
	(WIC_ALG_RS256 | WIC_ALG_RS384 | WIC_ALG_RS512 | WIC_ALG_PS256)

static const struct
{
	const char *name;
	unsigned alg;
} alg_names[] = {
		{"HS256", WIC_ALG_HS256},
		{"HS384", WIC_ALG_HS384},
		{"HS512", WIC_ALG_HS512},
		{"RS256", WIC_ALG_RS256},
		{"RS384", WIC_ALG_RS384},
		{"RS512", WIC_ALG_RS512},
		{"ES256", WIC_ALG_ES256},
		{"ES384", WIC_ALG_ES384},
		{"ES512", WIC_ALG_ES512},
		{"PS256", WIC_ALG_PS256},
		{"EdDSA", WIC_ALG_EDDSA},
};
#define N_ALG_NAMES (sizeof(alg_names) / sizeof(alg_names[0]))

unsigned wic_alg_from_name(const char *name, size_t len)
{
	size_t i;

	if(!name)
		return 0;
	/* JWS names are case-sensitive (RFC 7515 4.1.1) */
	for(i = 0; i < N_ALG_NAMES; i++) {
		if(strlen(alg_names[i].name) == len
				&& memcmp(alg_names[i].name, name, len) == 0)
			return alg_names[i].alg;
	}
	return 0;
}

const char *wic_alg_name(unsigned alg)
{
	size_t i;

	for(i = 0; i < N_ALG_NAMES; i++) {
		if(alg_names[i].alg == alg)
			return alg_names[i].name;
	}
	return "unknown";
}

unsigned wic_alg_index(unsigned alg)
{
	unsigned i;

	for(i = 0; i < WIC_ALG_COUNT; i++) {
		if(alg == 1u << i)
			return i;
	}
	return 0;
}

const EVP_MD *wic_alg_md(unsigned alg)
{
	if(alg & (WIC_ALG_HS256 | WIC_ALG_RS256 | WIC_ALG_ES256 | WIC_ALG_PS256))
		return EVP_sha256();
	if(alg & (WIC_ALG_HS384 | WIC_ALG_RS384 | WIC_ALG_ES384))
		return EVP_sha384();
	if(alg & (WIC_ALG_HS512 | WIC_ALG_RS512 | WIC_ALG_ES512))
		return EVP_sha512();
	return NULL;
}

static void set_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if(!err || errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

/* Algorithms a key type (and, for EC, its curve) can verify. */
static unsigned algs_of_ec_group(const char *group)
{
	if(strcmp(group, "prime256v1") == 0 || strcmp(group, "P-256") == 0)
		return WIC_ALG_ES256;
	if(strcmp(group, "secp384r1") == 0 || strcmp(group, "P-384") == 0)
		return WIC_ALG_ES384;
	if(strcmp(group, "secp521r1") == 0 || strcmp(group, "P-521") == 0)
		return WIC_ALG_ES512;
	return 0;
}

/* Type and supported algorithms of a public key; -1 when unusable. */
static int classify_pkey(EVP_PKEY *pkey, wic_key_type_t *type,
		unsigned *supported, char *err, size_t errlen)
{
	char group[64];
	size_t glen = 0;

	switch(EVP_PKEY_get_base_id(pkey)) {
		case EVP_PKEY_RSA:
			if(EVP_PKEY_get_bits(pkey) < WIC_RSA_MIN_BITS) {
				set_err(err, errlen, "RSA key of %d bits refused (minimum %d)",
						EVP_PKEY_get_bits(pkey), WIC_RSA_MIN_BITS);
				return -1;
			}
			*type = WIC_KEY_RSA;
			*supported = WIC_ALG_RSA;
			return 0;
		case EVP_PKEY_EC:
			if(!EVP_PKEY_get_utf8_string_param(pkey, OSSL_PKEY_PARAM_GROUP_NAME,
					   group, sizeof(group), &glen)
					|| (*supported = algs_of_ec_group(group)) == 0) {
				set_err(err, errlen,
						"EC key on an unsupported curve "
						"(P-256, P-384, P-521 only)");
				return -1;
			}
			*type = WIC_KEY_EC;
			return 0;
		case EVP_PKEY_ED25519:
			*type = WIC_KEY_OKP;
			*supported = WIC_ALG_EDDSA;
			return 0;
		default:
			set_err(err, errlen,
					"unsupported key type (RSA, EC, Ed25519 only)");
			return -1;
	}
}

/* The allow-list a key gets: every supported alg when none is asked for,
 * else exactly what is asked, which must fit the key type. */
static int resolve_algs(unsigned asked, unsigned supported, unsigned *out,
		char *err, size_t errlen)
{
	if(asked == 0) {
		*out = supported;
		return 0;
	}
	if(asked & ~supported) {
		set_err(err, errlen, "algorithm %s does not fit the key type",
				wic_alg_name(asked & ~supported & (0u - (asked & ~supported))));
		return -1;
	}
	*out = asked;
	return 0;
}

int wic_digest_verify_init(EVP_MD_CTX *ctx, const wic_key_t *k, unsigned alg)
{
	EVP_PKEY_CTX *pctx = NULL;
	const EVP_MD *md = wic_alg_md(alg);

	if(EVP_DigestVerifyInit_ex(ctx, &pctx, md ? EVP_MD_get0_name(md) : NULL,
			   k->libctx, NULL, k->pkey, NULL)
			!= 1)
		return 0;
	return alg != WIC_ALG_PS256
		   || (EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) > 0
				   && EVP_PKEY_CTX_set_rsa_pss_saltlen(
							  pctx, RSA_PSS_SALTLEN_DIGEST)
							  > 0);
}

static EVP_MD_CTX *verify_template(const wic_key_t *k, unsigned alg)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();

	if(ctx && wic_digest_verify_init(ctx, k, alg) == 1)
		return ctx;
	EVP_MD_CTX_free(ctx);
	ERR_clear_error();
	return NULL;
}

static EVP_MAC_CTX *hmac_template(const wic_key_t *k, unsigned alg)
{
	EVP_MAC *mac = EVP_MAC_fetch(k->libctx, "HMAC", NULL);
	EVP_MAC_CTX *ctx = mac ? EVP_MAC_CTX_new(mac) : NULL;
	OSSL_PARAM params[2];

	EVP_MAC_free(mac); /* the context keeps its own reference */
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST,
			(char *)EVP_MD_get0_name(wic_alg_md(alg)), 0);
	params[1] = OSSL_PARAM_construct_end();
	if(ctx && EVP_MAC_init(ctx, k->secret, k->secret_len, params) == 1)
		return ctx;
	EVP_MAC_CTX_free(ctx);
	ERR_clear_error();
	return NULL;
}

/* Built at the first token of each algorithm, kept for the next ones; a
 * key never used costs no context (a reload validates 20,000 keys). Best
 * effort: a missing template only costs speed. */
const EVP_MD_CTX *wic_key_verify_template(const wic_key_t *ck, unsigned alg)
{
	wic_key_t *k = (wic_key_t *)ck;
	unsigned i = wic_alg_index(alg);

	if(k->type == WIC_KEY_HMAC || !(k->algs & alg) || i >= WIC_ALG_COUNT)
		return NULL;
	if(k->vctx[i] == NULL)
		k->vctx[i] = verify_template(k, alg);
	return k->vctx[i];
}

const EVP_MAC_CTX *wic_key_mac_template(const wic_key_t *ck, unsigned alg)
{
	wic_key_t *k = (wic_key_t *)ck;
	unsigned i = wic_alg_index(alg);

	if(k->type != WIC_KEY_HMAC || !(k->algs & alg) || i >= WIC_ALG_COUNT)
		return NULL;
	if(k->mctx[i] == NULL)
		k->mctx[i] = hmac_template(k, alg);
	return k->mctx[i];
}

/* Appends a key; takes ownership of pkey and secret on success only. */
static int keyset_append(
		wic_keyset_t *ks, const wic_key_t *k, char *err, size_t errlen)
{
	wic_key_t *grown;
	char *kid = NULL;

	/* a kid names one key: two keys behind one kid would let the token's
	 * alg pick between them */
	if(k->kid && wic_keyset_by_kid(ks, k->kid)) {
		set_err(err, errlen, "duplicate kid '%s'", k->kid);
		return -1;
	}
	if(k->kid) {
		kid = wic_strdup(k->kid);
		if(!kid)
			goto nomem;
	}
	grown = wic_realloc(ks->keys, (ks->n + 1) * sizeof(*grown));
	if(!grown) {
		wic_free(kid);
		goto nomem;
	}
	ks->keys = grown;
	ks->keys[ks->n] = *k;
	ks->keys[ks->n].kid = kid;
	ks->keys[ks->n].libctx = ks->libctx;
	ks->n++;
	return 0;
nomem:
	set_err(err, errlen, "out of memory");
	return -1;
}

static int add_pkey(wic_keyset_t *ks, EVP_PKEY *pkey, const char *kid,
		unsigned algs, char *err, size_t errlen)
{
	wic_key_t k = {0};
	unsigned supported = 0;

	if(classify_pkey(pkey, &k.type, &supported, err, errlen) < 0
			|| resolve_algs(algs, supported, &k.algs, err, errlen) < 0)
		return -1;
	k.kid = (char *)kid;
	k.pkey = pkey;
	return keyset_append(ks, &k, err, errlen);
}

/* One key a file: what follows its PEM block may only be white space (a
 * second key would be ignored, junk would only take memory). */
static bool only_space_left(BIO *bio)
{
	char *rest = NULL;
	long n = BIO_get_mem_data(bio, &rest);

	for(long i = 0; i < n; i++)
		if(!isspace((unsigned char)rest[i]))
			return false;
	return true;
}

/* The DER of an EC P-256 public key (SubjectPublicKeyInfo, uncompressed
 * point) has one form: these 26 bytes, then the 65-byte point. */
static const unsigned char p256_spki[] = {0x30, 0x59, 0x30, 0x13, 0x06, 0x07,
		0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01, 0x06, 0x08, 0x2a, 0x86, 0x48,
		0xce, 0x3d, 0x03, 0x01, 0x07, 0x03, 0x42, 0x00};

/* The key of a P-256 SubjectPublicKeyInfo, built from its point
 * (OpenSSL checks that the point is on the curve), or NULL. */
static EVP_PKEY *p256_from_spki(
		OSSL_LIB_CTX *libctx, const unsigned char *der, long len)
{
	EVP_PKEY_CTX *ctx;
	EVP_PKEY *pkey = NULL;
	OSSL_PARAM params[3];

	if(len != (long)sizeof(p256_spki) + 65
			|| memcmp(der, p256_spki, sizeof(p256_spki)) != 0
			|| der[sizeof(p256_spki)] != 0x04)
		return NULL;
	params[0] = OSSL_PARAM_construct_utf8_string(
			OSSL_PKEY_PARAM_GROUP_NAME, "P-256", 0);
	params[1] = OSSL_PARAM_construct_octet_string(
			OSSL_PKEY_PARAM_PUB_KEY, (void *)(der + sizeof(p256_spki)), 65);
	params[2] = OSSL_PARAM_construct_end();
	ctx = EVP_PKEY_CTX_new_from_name(libctx, "EC", NULL);
	if(ctx == NULL || EVP_PKEY_fromdata_init(ctx) <= 0
			|| EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_PUBLIC_KEY, params) <= 0)
		pkey = NULL;
	EVP_PKEY_CTX_free(ctx);
	return pkey;
}

/* The first PEM block of bio as a public key, bio left after it. A
 * shortcut for the most common key: OpenSSL 3's decoders cost about 300 us
 * per key, which is 6 s for the 20,000 keys of 10,000 WWSFs; a P-256 key
 * built from its point costs about 20 us (docs/performance.md). Anything
 * else, or a first PEM block that is not a plain "PUBLIC KEY", goes to the
 * decoders. */
static EVP_PKEY *read_pem_pubkey(
		OSSL_LIB_CTX *libctx, const unsigned char *data, size_t len, BIO **rest)
{
	char *name = NULL, *header = NULL;
	unsigned char *der = NULL;
	long der_len = 0;
	EVP_PKEY *pkey = NULL;

	*rest = BIO_new_mem_buf(data, (int)len);
	if(*rest == NULL)
		return NULL;
	if(PEM_read_bio(*rest, &name, &header, &der, &der_len) > 0
			&& strcmp(name, PEM_STRING_PUBLIC) == 0 && header[0] == '\0')
		pkey = p256_from_spki(libctx, der, der_len);
	OPENSSL_free(name);
	OPENSSL_free(header);
	OPENSSL_free(der);
	ERR_clear_error();
	if(pkey != NULL)
		return pkey;
	BIO_free(*rest);
	*rest = BIO_new_mem_buf(data, (int)len);
	return *rest ? PEM_read_bio_PUBKEY_ex(*rest, NULL, NULL, NULL, libctx, NULL)
				 : NULL;
}

int wic_keyset_add_pem_data(wic_keyset_t *ks, const char *name,
		const unsigned char *data, size_t len, const char *kid, unsigned algs,
		char *err, size_t errlen)
{
	BIO *bio = NULL;
	EVP_PKEY *pkey;

	if(!ks || !name || !data || len > INT_MAX) {
		set_err(err, errlen, "no key file");
		return -1;
	}
	pkey = read_pem_pubkey(ks->libctx, data, len, &bio);
	if(bio == NULL) {
		EVP_PKEY_free(pkey);
		set_err(err, errlen, "%s: out of memory", name);
		return -1;
	}
	if(pkey && !only_space_left(bio)) {
		EVP_PKEY_free(pkey);
		BIO_free(bio);
		set_err(err, errlen, "%s: data after the PEM public key", name);
		return -1;
	}
	BIO_free(bio);
	if(!pkey) {
		ERR_clear_error();
		set_err(err, errlen, "%s: no PEM public key", name);
		return -1;
	}
	if(add_pkey(ks, pkey, kid, algs, err, errlen) < 0) {
		EVP_PKEY_free(pkey);
		return -1;
	}
	return 0;
}

int wic_keyset_add_pem(wic_keyset_t *ks, const char *path, const char *kid,
		unsigned algs, char *err, size_t errlen)
{
	wic_bundle_t file = {0};
	const unsigned char *data;
	size_t len;
	int rc = -1;

	if(!path)
		set_err(err, errlen, "no key file");
	else if(wic_bundle_get(
					&file, path, WIC_KEY_FILE_MAX, &data, &len, err, errlen)
			== 0)
		rc = wic_keyset_add_pem_data(
				ks, path, data, len, kid, algs, err, errlen);
	wic_bundle_clear(&file);
	return rc;
}

unsigned wic_hmac_algs_for_len(size_t len)
{
	unsigned algs = 0;

	/* RFC 7518 3.2: a key of the same size as the hash output or larger */
	if(len >= 32)
		algs |= WIC_ALG_HS256;
	if(len >= 48)
		algs |= WIC_ALG_HS384;
	if(len >= 64)
		algs |= WIC_ALG_HS512;
	return algs;
}

/* The allow-list of an HMAC secret: asked (0: what its length supports),
 * never an algorithm the secret is too short for. */
static int resolve_hmac_algs(unsigned asked, size_t len, const char *kid,
		unsigned *out, char *err, size_t errlen)
{
	unsigned supported = wic_hmac_algs_for_len(len);
	unsigned short_for = asked & WIC_ALG_HMAC & ~supported;

	if(supported == 0) {
		set_err(err, errlen,
				"HMAC key '%s': secret of %zu bytes refused (at least 32, "
				"RFC 7518 3.2)",
				kid ? kid : "(no kid)", len);
		return -1;
	}
	if(short_for) {
		unsigned one = short_for & (0u - short_for);
		set_err(err, errlen,
				"HMAC key '%s': secret of %zu bytes too short for %s "
				"(at least %d bytes, RFC 7518 3.2)",
				kid ? kid : "(no kid)", len, wic_alg_name(one),
				EVP_MD_get_size(wic_alg_md(one)));
		return -1;
	}
	return resolve_algs(asked, supported, out, err, errlen);
}

int wic_keyset_add_hmac(wic_keyset_t *ks, const unsigned char *secret,
		size_t len, const char *kid, unsigned algs, char *err, size_t errlen)
{
	wic_key_t k = {0};

	if(!ks || !secret || len == 0) {
		set_err(err, errlen, "empty HMAC secret");
		return -1;
	}
	if(!ks->allow_hmac) {
		set_err(err, errlen,
				"HMAC key '%s' refused: the WWSF does not allow shared "
				"secrets (allow_hmac)",
				kid ? kid : "(no kid)");
		return -1;
	}
	if(resolve_hmac_algs(algs, len, kid, &k.algs, err, errlen) < 0)
		return -1;
	k.type = WIC_KEY_HMAC;
	k.kid = (char *)kid;
	k.secret = wic_malloc(len);
	if(!k.secret) {
		set_err(err, errlen, "out of memory");
		return -1;
	}
	memcpy(k.secret, secret, len);
	k.secret_len = len;
	if(keyset_append(ks, &k, err, errlen) < 0) {
		OPENSSL_cleanse(k.secret, len);
		wic_free(k.secret);
		return -1;
	}
	return 0;
}

static void key_clear(wic_key_t *k);

/* ---- JWKS (RFC 7517 / RFC 7518 section 6 / RFC 8037) ---- */

static unsigned char *jwk_b64(json_t *jwk, const char *member, size_t *outlen)
{
	const char *s = json_string_value(json_object_get(jwk, member));

	return s ? wic_b64url_decode_alloc(s, strlen(s), outlen) : NULL;
}

/* Builds a public key from OSSL_PARAMs (the OpenSSL 3 way, no legacy
 * RSA/EC_KEY objects). */
static EVP_PKEY *pkey_from_params(
		OSSL_LIB_CTX *libctx, const char *type, OSSL_PARAM_BLD *bld)
{
	OSSL_PARAM *params = OSSL_PARAM_BLD_to_param(bld);
	EVP_PKEY_CTX *ctx = NULL;
	EVP_PKEY *pkey = NULL;

	if(!params)
		return NULL;
	ctx = EVP_PKEY_CTX_new_from_name(libctx, type, NULL);
	if(!ctx || EVP_PKEY_fromdata_init(ctx) <= 0
			|| EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_PUBLIC_KEY, params) <= 0)
		pkey = NULL;
	EVP_PKEY_CTX_free(ctx);
	OSSL_PARAM_free(params);
	return pkey;
}

static EVP_PKEY *jwk_rsa(OSSL_LIB_CTX *libctx, json_t *jwk)
{
	size_t nlen = 0, elen = 0;
	unsigned char *n = jwk_b64(jwk, "n", &nlen);
	unsigned char *e = jwk_b64(jwk, "e", &elen);
	BIGNUM *bn_n = NULL, *bn_e = NULL;
	OSSL_PARAM_BLD *bld = NULL;
	EVP_PKEY *pkey = NULL;

	if(!n || !e)
		goto out;
	bn_n = BN_bin2bn(n, (int)nlen, NULL);
	bn_e = BN_bin2bn(e, (int)elen, NULL);
	bld = OSSL_PARAM_BLD_new();
	if(!bn_n || !bn_e || !bld
			|| !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, bn_n)
			|| !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, bn_e))
		goto out;
	pkey = pkey_from_params(libctx, "RSA", bld);
out:
	OSSL_PARAM_BLD_free(bld);
	BN_free(bn_n);
	BN_free(bn_e);
	wic_free(n);
	wic_free(e);
	return pkey;
}

/* JWK crv -> OpenSSL group name and coordinate size in bytes. */
static const char *ec_group_of_crv(const char *crv, size_t *coord)
{
	if(!crv)
		return NULL;
	if(strcmp(crv, "P-256") == 0) {
		*coord = 32;
		return "prime256v1";
	}
	if(strcmp(crv, "P-384") == 0) {
		*coord = 48;
		return "secp384r1";
	}
	if(strcmp(crv, "P-521") == 0) {
		*coord = 66;
		return "secp521r1";
	}
	return NULL;
}

static EVP_PKEY *jwk_ec(OSSL_LIB_CTX *libctx, json_t *jwk)
{
	size_t coord = 0, xlen = 0, ylen = 0;
	const char *group = ec_group_of_crv(
			json_string_value(json_object_get(jwk, "crv")), &coord);
	unsigned char *x = jwk_b64(jwk, "x", &xlen);
	unsigned char *y = jwk_b64(jwk, "y", &ylen);
	unsigned char point[1 + 2 * 66];
	OSSL_PARAM_BLD *bld = NULL;
	EVP_PKEY *pkey = NULL;

	/* RFC 7518 6.2.1.2: coordinates are full-length octet strings */
	if(!group || !x || !y || xlen != coord || ylen != coord)
		goto out;
	point[0] = 0x04; /* uncompressed point */
	memcpy(point + 1, x, coord);
	memcpy(point + 1 + coord, y, coord);
	bld = OSSL_PARAM_BLD_new();
	if(!bld
			|| !OSSL_PARAM_BLD_push_utf8_string(
					bld, OSSL_PKEY_PARAM_GROUP_NAME, group, 0)
			|| !OSSL_PARAM_BLD_push_octet_string(
					bld, OSSL_PKEY_PARAM_PUB_KEY, point, 1 + 2 * coord))
		goto out;
	pkey = pkey_from_params(libctx, "EC", bld);
out:
	OSSL_PARAM_BLD_free(bld);
	wic_free(x);
	wic_free(y);
	return pkey;
}

static EVP_PKEY *jwk_okp(OSSL_LIB_CTX *libctx, json_t *jwk)
{
	const char *crv = json_string_value(json_object_get(jwk, "crv"));
	size_t xlen = 0;
	unsigned char *x;
	OSSL_PARAM_BLD *bld = NULL;
	EVP_PKEY *pkey = NULL;

	if(!crv || strcmp(crv, "Ed25519") != 0)
		return NULL;
	x = jwk_b64(jwk, "x", &xlen);
	if(!x || xlen != 32)
		goto out;
	bld = OSSL_PARAM_BLD_new();
	if(!bld
			|| !OSSL_PARAM_BLD_push_octet_string(
					bld, OSSL_PKEY_PARAM_PUB_KEY, x, xlen))
		goto out;
	pkey = pkey_from_params(libctx, "ED25519", bld);
out:
	OSSL_PARAM_BLD_free(bld);
	wic_free(x);
	return pkey;
}

/* Algorithms a JWK gets: what its type supports, narrowed by the JWK's
 * own "alg" and by the file-level list. 0 means "not usable here" (an
 * operator may restrict a WWSF's published JWKS to some algorithms). */
static int jwk_algs(json_t *jwk, unsigned file_algs, unsigned supported,
		unsigned *out, char *err, size_t errlen, size_t idx)
{
	json_t *a = json_object_get(jwk, "alg");
	unsigned algs = supported;

	if(a) {
		unsigned one = json_is_string(a) ? wic_alg_from_name(
							   json_string_value(a), json_string_length(a))
										 : 0;
		if(one == 0 || !(one & supported)) {
			set_err(err, errlen,
					"keys[%zu]: alg unsupported or not fitting "
					"the key type",
					idx);
			return -1;
		}
		algs = one;
	}
	if(file_algs)
		algs &= file_algs;
	*out = algs;
	return 0;
}

/* An oct JWK is the shared secret itself: HMAC algorithms only, from the
 * JWK's own alg or else what the secret's length supports, narrowed by the
 * file-level list. */
static int jwks_add_oct(wic_keyset_t *ks, json_t *jwk, const char *kid,
		unsigned file_algs, char *err, size_t errlen, size_t idx)
{
	json_t *a = json_object_get(jwk, "alg");
	size_t klen = 0;
	unsigned char *k;
	unsigned algs;
	int rc = 0;

	if(!ks->allow_hmac) {
		set_err(err, errlen,
				"keys[%zu]: oct JWK (a shared secret) refused: the WWSF "
				"does not allow shared secrets (allow_hmac)",
				idx);
		return -1;
	}
	algs = a && json_is_string(a) ? wic_alg_from_name(
				   json_string_value(a), json_string_length(a))
								  : 0;
	if(a && !(algs & WIC_ALG_HMAC)) {
		set_err(err, errlen,
				"keys[%zu]: alg unsupported or not fitting the key type", idx);
		return -1;
	}
	k = jwk_b64(jwk, "k", &klen);
	if(!k) {
		set_err(err, errlen, "keys[%zu]: bad or missing \"k\"", idx);
		return -1;
	}
	if(!a)
		algs = wic_hmac_algs_for_len(klen);
	if(file_algs)
		algs &= file_algs;
	/* 0 from the file's list: not usable here, skipped; a secret too short
	 * for any algorithm is refused by wic_keyset_add_hmac */
	if(algs || !file_algs || !wic_hmac_algs_for_len(klen))
		rc = wic_keyset_add_hmac(ks, k, klen, kid, algs, err, errlen);
	OPENSSL_cleanse(k, klen);
	wic_free(k);
	return rc;
}

static EVP_PKEY *jwk_pkey(OSSL_LIB_CTX *libctx, json_t *jwk, const char *kty)
{
	if(strcmp(kty, "RSA") == 0)
		return jwk_rsa(libctx, jwk);
	if(strcmp(kty, "EC") == 0)
		return jwk_ec(libctx, jwk);
	if(strcmp(kty, "OKP") == 0)
		return jwk_okp(libctx, jwk);
	return NULL;
}

static int jwks_add_pkey(wic_keyset_t *ks, json_t *jwk, const char *kty,
		const char *kid, unsigned file_algs, char *err, size_t errlen,
		size_t idx)
{
	EVP_PKEY *pkey = jwk_pkey(ks->libctx, jwk, kty);
	wic_key_t k = {0};
	unsigned supported = 0;

	if(!pkey) {
		set_err(err, errlen, "keys[%zu]: unsupported or invalid %s key", idx,
				kty);
		return -1;
	}
	if(classify_pkey(pkey, &k.type, &supported, err, errlen) < 0
			|| jwk_algs(jwk, file_algs, supported, &k.algs, err, errlen, idx)
					   < 0)
		goto fail;
	if(k.algs == 0) {
		EVP_PKEY_free(pkey);
		return 0; /* outside the allowed algorithms: skipped */
	}
	k.kid = (char *)kid;
	k.pkey = pkey;
	if(keyset_append(ks, &k, err, errlen) < 0)
		goto fail;
	return 0;
fail:
	EVP_PKEY_free(pkey);
	return -1;
}

/* RFC 7517 / RFC 7518 6.2.2, 6.3.2: members of private keys. */
static const char *private_member(json_t *jwk)
{
	static const char *const names[] = {
			"d", "p", "q", "dp", "dq", "qi", "oth", NULL};
	size_t i;

	for(i = 0; names[i]; i++) {
		if(json_object_get(jwk, names[i]))
			return names[i];
	}
	return NULL;
}

static int jwks_add_one(wic_keyset_t *ks, json_t *jwk, unsigned algs, char *err,
		size_t errlen, size_t idx)
{
	const char *kty = json_string_value(json_object_get(jwk, "kty"));
	const char *use = json_string_value(json_object_get(jwk, "use"));
	json_t *kidj = json_object_get(jwk, "kid");
	const char *kid = json_string_value(kidj);
	const char *priv;

	if(!json_is_object(jwk) || !kty || (kidj && !kid)) {
		set_err(err, errlen, "keys[%zu]: not a JWK (kty, kid)", idx);
		return -1;
	}
	/* a published private key is compromised: refuse the file, whatever
	 * the key is used for */
	if((priv = private_member(jwk)) != NULL) {
		set_err(err, errlen,
				"keys[%zu]%s%s%s: private key member '%s' refused (publish "
				"public keys only)",
				idx, kid ? " (kid '" : "", kid ? kid : "", kid ? "')" : "",
				priv);
		return -1;
	}
	if(use && strcmp(use, "sig") != 0)
		return 0; /* encryption keys may share the file: not ours */
	if(strcmp(kty, "oct") == 0)
		return jwks_add_oct(ks, jwk, kid, algs, err, errlen, idx);
	return jwks_add_pkey(ks, jwk, kty, kid, algs, err, errlen, idx);
}

int wic_keyset_add_jwks_data(wic_keyset_t *ks, const char *name,
		const unsigned char *data, size_t len, unsigned algs, char *err,
		size_t errlen)
{
	json_error_t jerr;
	json_t *root, *keys;
	size_t i, before;

	if(!ks || !name || !data) {
		set_err(err, errlen, "no JWKS file");
		return -1;
	}
	root = json_loadb((const char *)data, len, JSON_REJECT_DUPLICATES, &jerr);
	if(!root) {
		set_err(err, errlen, "%s: line %d: %s", name, jerr.line, jerr.text);
		return -1;
	}
	keys = json_object_get(root, "keys");
	if(!json_is_array(keys) || json_array_size(keys) == 0) {
		set_err(err, errlen, "%s: no \"keys\" array", name);
		json_decref(root);
		return -1;
	}
	before = ks->n;
	for(i = 0; i < json_array_size(keys); i++) {
		if(jwks_add_one(ks, json_array_get(keys, i), algs, err, errlen, i)
				< 0) {
			/* all or nothing: drop what this file added */
			while(ks->n > before)
				key_clear(&ks->keys[--ks->n]);
			json_decref(root);
			return -1;
		}
	}
	json_decref(root);
	if(ks->n == before) {
		set_err(err, errlen, "%s: no signature key", name);
		return -1;
	}
	return 0;
}

int wic_keyset_add_jwks(wic_keyset_t *ks, const char *path, unsigned algs,
		char *err, size_t errlen)
{
	wic_bundle_t file = {0};
	const unsigned char *data;
	size_t len;
	int rc = -1;

	if(!path)
		set_err(err, errlen, "no JWKS file");
	else if(wic_bundle_get(
					&file, path, WIC_KEY_FILE_MAX, &data, &len, err, errlen)
			== 0)
		rc = wic_keyset_add_jwks_data(ks, path, data, len, algs, err, errlen);
	wic_bundle_clear(&file);
	return rc;
}

static void key_clear(wic_key_t *k)
{
	unsigned i;

	for(i = 0; i < WIC_ALG_COUNT; i++) {
		EVP_MD_CTX_free(k->vctx[i]);
		EVP_MAC_CTX_free(k->mctx[i]);
	}
	wic_free(k->kid);
	EVP_PKEY_free(k->pkey);
	if(k->secret) {
		OPENSSL_cleanse(k->secret, k->secret_len);
		wic_free(k->secret);
	}
	memset(k, 0, sizeof(*k));
}

/* The only key among those with (kid == want_kid, or any kid when
 * any_kid) that allows alg; NULL when none or several do. */
static const wic_key_t *only_key_for(
		const wic_keyset_t *ks, bool any_kid, unsigned alg)
{
	const wic_key_t *found = NULL;
	size_t i;

	for(i = 0; i < ks->n; i++) {
		const wic_key_t *k = &ks->keys[i];
		if(!(k->algs & alg) || (!any_kid && k->kid))
			continue;
		if(found)
			return NULL; /* ambiguous: a kid is needed */
		found = k;
	}
	return found;
}

const wic_key_t *wic_keyset_by_kid(const wic_keyset_t *ks, const char *kid)
{
	size_t i;

	if(!ks || !kid)
		return NULL;
	for(i = 0; i < ks->n; i++) {
		if(ks->keys[i].kid && strcmp(ks->keys[i].kid, kid) == 0)
			return &ks->keys[i];
	}
	return NULL;
}

unsigned wic_keyset_algs(const wic_keyset_t *ks)
{
	unsigned algs = 0;
	size_t i;

	for(i = 0; ks && i < ks->n; i++)
		algs |= ks->keys[i].algs;
	return algs;
}

/* A token kid that no key carries may still be verified by a key that was
 * configured without kid (a PEM file): the signature decides. */
const wic_key_t *wic_keyset_find(
		const wic_keyset_t *ks, const char *kid, unsigned alg)
{
	const wic_key_t *k;

	if(!ks || alg == 0)
		return NULL;
	if(kid) {
		k = wic_keyset_by_kid(ks, kid);
		if(k)
			return (k->algs & alg) ? k : NULL;
		return only_key_for(ks, false, alg);
	}
	return only_key_for(ks, true, alg);
}

static void source_clear(wic_key_source_t *src)
{
	if(src->data)
		OPENSSL_cleanse(src->data, src->len);
	wic_free(src->data);
	wic_free(src->name);
	wic_free(src->kid);
	memset(src, 0, sizeof(*src));
}

int wic_keyset_defer(wic_keyset_t *ks, wic_key_source_kind_t kind,
		const char *name, const unsigned char *data, size_t len,
		const char *kid, unsigned algs, char *err, size_t errlen)
{
	wic_key_source_t src = {.kind = kind, .len = len, .algs = algs};
	wic_key_source_t *grown;

	if(!ks || !data) {
		set_err(err, errlen, "no key");
		return -1;
	}
	src.data = wic_malloc(len ? len : 1);
	src.name = name ? wic_strdup(name) : NULL;
	src.kid = kid ? wic_strdup(kid) : NULL;
	grown = wic_realloc(ks->pending, (ks->n_pending + 1) * sizeof(*grown));
	if(!src.data || (name && !src.name) || (kid && !src.kid) || !grown) {
		if(grown)
			ks->pending = grown;
		source_clear(&src);
		set_err(err, errlen, "out of memory");
		return -1;
	}
	memcpy(src.data, data, len);
	ks->pending = grown;
	ks->pending[ks->n_pending++] = src;
	return 0;
}

static int build_source(
		wic_keyset_t *ks, const wic_key_source_t *src, char *err, size_t errlen)
{
	switch(src->kind) {
		case WIC_SOURCE_PEM:
			return wic_keyset_add_pem_data(ks, src->name, src->data, src->len,
					src->kid, src->algs, err, errlen);
		case WIC_SOURCE_JWKS:
			return wic_keyset_add_jwks_data(
					ks, src->name, src->data, src->len, src->algs, err, errlen);
		case WIC_SOURCE_HMAC:
			return wic_keyset_add_hmac(
					ks, src->data, src->len, src->kid, src->algs, err, errlen);
	}
	set_err(err, errlen, "unknown key source");
	return -1;
}

int wic_keyset_ready(const wic_keyset_t *cks, char *err, size_t errlen)
{
	wic_keyset_t *ks = (wic_keyset_t *)cks;
	size_t i, before;

	if(!ks || ks->n_pending == 0)
		return 0;
	before = ks->n;
	for(i = 0; i < ks->n_pending; i++) {
		if(build_source(ks, &ks->pending[i], err, errlen) < 0) {
			while(ks->n > before)
				key_clear(&ks->keys[--ks->n]);
			return -1;
		}
	}
	for(i = 0; i < ks->n_pending; i++)
		source_clear(&ks->pending[i]);
	wic_free(ks->pending);
	ks->pending = NULL;
	ks->n_pending = 0;
	return 0;
}

void wic_keyset_clear(wic_keyset_t *ks)
{
	size_t i;

	if(!ks)
		return;
	for(i = 0; i < ks->n; i++)
		key_clear(&ks->keys[i]);
	wic_free(ks->keys);
	ks->keys = NULL;
	ks->n = 0;
	for(i = 0; i < ks->n_pending; i++)
		source_clear(&ks->pending[i]);
	wic_free(ks->pending);
	ks->pending = NULL;
	ks->n_pending = 0;
}
