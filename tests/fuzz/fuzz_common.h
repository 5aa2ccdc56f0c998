/*
 * SPDX-License-Identifier: GPL-2.0-or-later
 * Copyright (C) 2026 the ims_wic authors
 *
 * ims_wic fuzzing - shared pieces of the libFuzzer harnesses and of the
 * seed generator (make_seeds.c): deterministic test keys, an in-memory
 * provisioning that accepts them, and input splitting helpers.
 *
 * The keys are derived from fixed bytes so that the committed seed tokens
 * (made once by make-seeds.sh) verify in every run. They are test data,
 * not secrets: nothing outside the fuzzers and the seed generator uses
 * them.
 */
#ifndef WIC_FUZZ_COMMON_H
#define WIC_FUZZ_COMMON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/obj_mac.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>
#include "wic_keys.h"
#include "wic_prov.h"
#include "wic_pui.h"

/* "now" of every verification: seeds carry exp = FZ_NOW + 300 */
#define FZ_NOW 1700000000L
#define FZ_AUD "sip:epcscf.lab"
#define FZ_ISS1 "https://wwsf1.lab"
#define FZ_ISS2 "https://wwsf2.lab"

/* ------------------------------------------------------------ key data */

/* HMAC secret of WWSF 1 (kid "hs"): 64 bytes, fits HS256/384/512. */
static inline const unsigned char *fz_hmac1(void)
{
	static unsigned char s[64];
	static bool done;
	size_t i;

	if (!done) {
		for (i = 0; i < sizeof(s); i++)
			s[i] = (unsigned char)(i * 7 + 3);
		done = true;
	}
	return s;
}

/* HMAC secret of WWSF 2 (no kid): 32 bytes, HS256 only. */
static inline const unsigned char *fz_hmac2(void)
{
	static unsigned char s[32];
	static bool done;
	size_t i;

	if (!done) {
		for (i = 0; i < sizeof(s); i++)
			s[i] = (unsigned char)(0xa5 ^ (i * 13));
		done = true;
	}
	return s;
}

/* P-256 key pair from a fixed private scalar (OpenSSL 3 API only). */
static inline EVP_PKEY *fz_ec256_key(void)
{
	static const unsigned char d[32] = {
		0x3c, 0x1f, 0x6a, 0x91, 0x0d, 0x52, 0xe7, 0x48, 0xb2, 0x77, 0x19,
		0xc4, 0x5e, 0x80, 0x2b, 0xf3, 0x66, 0x0a, 0x94, 0x31, 0xdd, 0x7c,
		0x12, 0xa8, 0x4f, 0xe0, 0x39, 0x85, 0x5b, 0xc6, 0x27, 0x01,
	};
	EC_GROUP *g = EC_GROUP_new_by_curve_name(NID_X9_62_prime256v1);
	EC_POINT *pub = g ? EC_POINT_new(g) : NULL;
	BIGNUM *priv = BN_bin2bn(d, sizeof(d), NULL);
	OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
	OSSL_PARAM *params = NULL;
	EVP_PKEY_CTX *ctx = NULL;
	EVP_PKEY *pkey = NULL;
	unsigned char oct[65];

	if (!g || !pub || !priv || !bld
			|| EC_POINT_mul(g, pub, priv, NULL, NULL, NULL) != 1
			|| EC_POINT_point2oct(g, pub, POINT_CONVERSION_UNCOMPRESSED, oct,
				sizeof(oct), NULL) != sizeof(oct)
			|| !OSSL_PARAM_BLD_push_utf8_string(bld,
				OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1", 0)
			|| !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_PRIV_KEY, priv)
			|| !OSSL_PARAM_BLD_push_octet_string(bld,
				OSSL_PKEY_PARAM_PUB_KEY, oct, sizeof(oct))
			|| !(params = OSSL_PARAM_BLD_to_param(bld))
			|| !(ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL))
			|| EVP_PKEY_fromdata_init(ctx) != 1
			|| EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_KEYPAIR, params) != 1)
		pkey = NULL;
	EVP_PKEY_CTX_free(ctx);
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(bld);
	BN_free(priv);
	EC_POINT_free(pub);
	EC_GROUP_free(g);
	return pkey;
}

static inline EVP_PKEY *fz_ed25519_key(void)
{
	static const unsigned char seed[32] = {
		0x9d, 0x61, 0xb1, 0x9d, 0xef, 0xfd, 0x5a, 0x60, 0xba, 0x84, 0x4a,
		0xf4, 0x92, 0xec, 0x2c, 0xc4, 0x44, 0x49, 0xc5, 0x69, 0x7b, 0x32,
		0x69, 0x19, 0x70, 0x3b, 0xac, 0x03, 0x1c, 0xae, 0x7f, 0x60,
	};
	return EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, seed,
			sizeof(seed));
}

/* Writes the public half of k as PEM to path. */
static inline int fz_write_pub_pem(const char *path, EVP_PKEY *k)
{
	BIO *b = BIO_new_file(path, "w");
	int ok = b && PEM_write_bio_PUBKEY(b, k) == 1;

	BIO_free(b);
	return ok ? 0 : -1;
}

/* A fresh folder under $TMPDIR (or /tmp); buf gets its path. */
static inline int fz_mkdtemp(char *buf, size_t len, const char *tag)
{
	const char *tmp = getenv("TMPDIR");

	snprintf(buf, len, "%s/wic_fuzz_%s_XXXXXX", tmp && *tmp ? tmp : "/tmp",
			tag);
	return mkdtemp(buf) ? 0 : -1;
}

/* Adds the public key k to ks through a PEM file in dir. */
static inline int fz_add_pub(wic_keyset_t *ks, const char *dir,
		EVP_PKEY *k, const char *kid)
{
	char path[512], err[256];
	int rc;

	snprintf(path, sizeof(path), "%s/%s.pem", dir, kid);
	rc = fz_write_pub_pem(path, k);
	if (rc == 0)
		rc = wic_keyset_add_pem(ks, path, kid, 0, err, sizeof(err));
	unlink(path);
	if (rc)
		fprintf(stderr, "fuzz fixture: key %s: %s\n", kid, err);
	return rc;
}

/* ------------------------------------------------- in-memory provisioning */

static inline char **fz_strv1(const char *s)
{
	char **v = calloc(1, sizeof(char *));

	if (v && !(v[0] = strdup(s))) {
		free(v);
		v = NULL;
	}
	return v;
}

static inline int fz_add_range(wic_wwsf_t *w, const char *wildcard,
		const char *distinct, unsigned triggers)
{
	char err[256];
	wic_range_t *r = realloc(w->ranges, (w->n_ranges + 1) * sizeof(*r));

	if (!r)
		return -1;
	w->ranges = r;
	r = &w->ranges[w->n_ranges++];
	memset(r, 0, sizeof(*r));
	r->wildcard = strdup(wildcard);
	r->distinct_pui = strdup(distinct);
	r->impi = strdup(distinct + 4);
	r->triggers = triggers;
	r->linger = 60;
	r->expires = 3600;
	if (!r->wildcard || !r->distinct_pui || !r->impi)
		return -1;
	if (wic_pui_range_compile(wildcard, strlen(wildcard), &r->pui, err,
			sizeof(err)) < 0) {
		fprintf(stderr, "fuzz fixture: range %s: %s\n", wildcard, err);
		return -1;
	}
	return 0;
}

static inline int fz_wwsf_init(wic_wwsf_t *w, const char *id,
		const char *origin, const char *iss)
{
	w->id = strdup(id);
	w->origins = fz_strv1(origin);
	w->n_origins = w->origins ? 1 : 0;
	w->issuers = fz_strv1(iss);
	w->n_issuers = w->issuers ? 1 : 0;
	w->limits.max_contacts_per_impu = 5;
	w->limits.max_expires = 3600;
	return (w->id && w->origins && w->issuers) ? 0 : -1;
}

/*
 * WWSF "w1" (issuer FZ_ISS1): HMAC key "hs", P-256 key "ec256", Ed25519
 * key "ed"; ranges sip:wic!.*!@wwsf1.lab and tel:+1555123!\d{4}!.
 * WWSF "w2" (issuer FZ_ISS2, its own audience, typ "JWT" required, tokens
 * of at most an hour): one HMAC key without kid (HS256); range
 * sip:w2!([a-z]+\.)*[0-9]{2,}!@wwsf2.lab.
 * Freed with wic_prov_free().
 */
static inline wic_prov_t *fz_prov_new(EVP_PKEY *ec256, EVP_PKEY *ed)
{
	char dir[256], err[256];
	wic_prov_t *p = calloc(1, sizeof(*p));
	wic_wwsf_t *w;
	int rc = 0;

	if (!p)
		return NULL;
	if (fz_mkdtemp(dir, sizeof(dir), "keys") < 0
			|| !(p->wwsfs = calloc(2, sizeof(wic_wwsf_t)))) {
		free(p);
		return NULL;
	}
	p->n_wwsfs = 2;
	p->path = strdup("(fuzz)");
	p->audience = strdup(FZ_AUD);
	p->max_token_size = 8192;
	p->leeway = 30;
	w = &p->wwsfs[0];
	rc |= fz_wwsf_init(w, "w1", "https://wwsf1.lab", FZ_ISS1);
	w->keys.allow_hmac = true;
	rc |= wic_keyset_add_hmac(&w->keys, fz_hmac1(), 64, "hs", 0, err,
			sizeof(err));
	rc |= fz_add_pub(&w->keys, dir, ec256, "ec256");
	rc |= fz_add_pub(&w->keys, dir, ed, "ed");
	rc |= fz_add_range(w, "sip:wic!.*!@wwsf1.lab", "sip:wic-range@wwsf1.lab",
			WIC_TRIGGER_STARTUP);
	rc |= fz_add_range(w, "tel:+1555123!\\d{4}!", "tel:+15551230000",
			WIC_TRIGGER_ON_DEMAND | WIC_TRIGGER_TOKEN);
	w = &p->wwsfs[1];
	rc |= fz_wwsf_init(w, "w2", "https://wwsf2.lab", FZ_ISS2);
	w->audience = strdup("sip:epcscf2.lab");
	w->required_typ = strdup("JWT");
	w->limits.max_token_lifetime = 3600;
	rc |= w->audience && w->required_typ ? 0 : -1;
	w->keys.allow_hmac = true;
	rc |= wic_keyset_add_hmac(&w->keys, fz_hmac2(), 32, NULL, WIC_ALG_HS256,
			err, sizeof(err));
	rc |= fz_add_range(w, "sip:w2!([a-z]+\\.)*[0-9]{2,}!@wwsf2.lab",
			"sip:w2-range@wwsf2.lab", WIC_TRIGGER_TOKEN);
	rmdir(dir);
	if (rc || !p->path || !p->audience) {
		wic_prov_free(p);
		return NULL;
	}
	return p;
}

/* ------------------------------------------------------- input helpers */

/* malloc'd copy of exactly len bytes (no terminator: ASan sees any read
 * past the end); never NULL for len 0 either. */
static inline char *fz_dup_exact(const uint8_t *data, size_t len)
{
	char *p = malloc(len ? len : 1);

	if (p && len)
		memcpy(p, data, len);
	return p;
}

/* malloc'd NUL-terminated copy. */
static inline char *fz_dup_str(const uint8_t *data, size_t len)
{
	char *p = malloc(len + 1);

	if (p) {
		if (len)
			memcpy(p, data, len);
		p[len] = '\0';
	}
	return p;
}

/* Splits [data, data + size) at the first '\n': *a is the part before
 * (size *alen), *b the part after. Without a '\n', *b is NULL. */
static inline void fz_split(const uint8_t *data, size_t size,
		const uint8_t **a, size_t *alen, const uint8_t **b, size_t *blen)
{
	const uint8_t *nl = size ? memchr(data, '\n', size) : NULL;

	*a = data;
	if (!nl) {
		*alen = size;
		*b = NULL;
		*blen = 0;
		return;
	}
	*alen = (size_t)(nl - data);
	*b = nl + 1;
	*blen = size - *alen - 1;
}

/* abort() with a message: a broken invariant is a finding like a crash. */
#define FZ_CHECK(cond) do { \
	if (!(cond)) { \
		fprintf(stderr, "invariant failed: %s (%s:%d)\n", #cond, \
				__FILE__, __LINE__); \
		abort(); \
	} \
} while (0)


/* The fixture of the targets that verify tokens: both fixture keys and the
 * provisioning that trusts them, made once and freed at exit. One use per
 * target: FZ_PROV_FIXTURE("fuzz_token"). */
#define FZ_PROV_FIXTURE(target_name)                                     \
	static wic_prov_t *prov;                                             \
	static EVP_PKEY *ec256, *ed;                                         \
	static void fz_fixture_teardown(void)                                \
	{                                                                    \
		wic_prov_free(prov);                                             \
		EVP_PKEY_free(ec256);                                            \
		EVP_PKEY_free(ed);                                               \
	}                                                                    \
	int LLVMFuzzerInitialize(int *argc, char ***argv);                   \
	int LLVMFuzzerInitialize(int *argc, char ***argv)                    \
	{                                                                    \
		(void)argc;                                                      \
		(void)argv;                                                      \
		ec256 = fz_ec256_key();                                          \
		ed = fz_ed25519_key();                                           \
		prov = (ec256 && ed) ? fz_prov_new(ec256, ed) : NULL;            \
		if (!prov) {                                                     \
			fprintf(stderr, target_name ": fixture setup failed\n");   \
			abort();                                                     \
		}                                                                \
		atexit(fz_fixture_teardown);                                     \
		return 0;                                                        \
	}

#endif
