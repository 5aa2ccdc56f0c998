/*
 * SPDX-License-Identifier: GPL-2.0-or-later
 * Copyright (C) 2026 the ims_wic authors
 *
 * ims_wic unit tests - keys generated at test time, an in-memory
 * provisioning, and token minting (our signer and libjwt), shared by
 * test_keys.c, test_token.c and test_authz.c. Nothing is committed: keys
 * live in a mkdtemp() folder removed at teardown.
 */
#ifndef TOK_FIXTURE_H
#define TOK_FIXTURE_H

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <openssl/pem.h>
#include <jwt.h>
#include "wic_keys.h"
#include "wic_prov.h"
#include "wic_pui.h"
#include "../../tools/wic_jws_sign.h"

#define FX_NOW 1700000000L
#define FX_AUD "sip:epcscf.lab"
#define FX_ISS1 "https://wwsf1.lab"
#define FX_ISS2 "https://wwsf2.lab"

typedef struct fx {
	char dir[256];
	EVP_PKEY *rsa, *ec256, *ec384, *ec521, *ed25519;
	unsigned char hmac[64];
	char rsa_pub_pem[2048]; /* the RSA public key as text (confusion) */
} fx_t;

static inline EVP_PKEY *fx_keygen(const char *type, const char *curve)
{
	if (strcmp(type, "RSA") == 0)
		return EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
	if (curve)
		return EVP_PKEY_Q_keygen(NULL, NULL, type, curve);
	return EVP_PKEY_Q_keygen(NULL, NULL, type);
}

/* path of name inside the fixture's folder */
static inline const char *fx_path(const fx_t *f, const char *name)
{
	static char buf[512];
	snprintf(buf, sizeof(buf), "%s/%s", f->dir, name);
	return buf;
}

static inline int fx_write_pub(const fx_t *f, EVP_PKEY *k, const char *name)
{
	BIO *b = BIO_new_file(fx_path(f, name), "w");
	int ok = b && PEM_write_bio_PUBKEY(b, k) == 1;
	BIO_free(b);
	return ok ? 0 : -1;
}

static inline int fx_write_text(const fx_t *f, const char *name,
		const char *text)
{
	FILE *fp = fopen(fx_path(f, name), "w");
	if (!fp)
		return -1;
	fputs(text, fp);
	return fclose(fp);
}

/* PEM text of a private key, malloc'd (libjwt takes keys as PEM). */
static inline char *fx_priv_pem(EVP_PKEY *k)
{
	BIO *b = BIO_new(BIO_s_mem());
	char *data = NULL, *out = NULL;
	long n;

	if (b && PEM_write_bio_PrivateKey(b, k, NULL, NULL, 0, NULL, NULL) == 1
			&& (n = BIO_get_mem_data(b, &data)) > 0
			&& (out = malloc((size_t)n + 1))) {
		memcpy(out, data, (size_t)n);
		out[n] = '\0';
	}
	BIO_free(b);
	return out;
}

static inline int fx_setup(void **state)
{
	const char *tmp = getenv("TMPDIR");
	fx_t *f = calloc(1, sizeof(*f));
	BIO *b;
	char *data = NULL;
	long n;
	size_t i;

	if (!f)
		return -1;
	snprintf(f->dir, sizeof(f->dir), "%s/wic_unit_XXXXXX",
			tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(f->dir))
		return -1;
	f->rsa = fx_keygen("RSA", NULL);
	f->ec256 = fx_keygen("EC", "P-256");
	f->ec384 = fx_keygen("EC", "P-384");
	f->ec521 = fx_keygen("EC", "P-521");
	f->ed25519 = fx_keygen("ED25519", NULL);
	if (!f->rsa || !f->ec256 || !f->ec384 || !f->ec521 || !f->ed25519)
		return -1;
	for (i = 0; i < sizeof(f->hmac); i++)
		f->hmac[i] = (unsigned char)(i * 7 + 3);
	if (fx_write_pub(f, f->rsa, "rsa.pem") || fx_write_pub(f, f->ec256,
			"ec256.pem") || fx_write_pub(f, f->ec384, "ec384.pem")
			|| fx_write_pub(f, f->ec521, "ec521.pem")
			|| fx_write_pub(f, f->ed25519, "ed25519.pem"))
		return -1;
	b = BIO_new(BIO_s_mem());
	if (!b || PEM_write_bio_PUBKEY(b, f->rsa) != 1
			|| (n = BIO_get_mem_data(b, &data)) <= 0
			|| (size_t)n >= sizeof(f->rsa_pub_pem))
		return -1;
	memcpy(f->rsa_pub_pem, data, (size_t)n);
	BIO_free(b);
	*state = f;
	return 0;
}

static inline int fx_teardown(void **state)
{
	fx_t *f = *state;
	static const char *const files[] = { "rsa.pem", "ec256.pem",
		"ec384.pem", "ec521.pem", "ed25519.pem", "jwks.json", "small.pem",
		"other.pem", "x.json", NULL };
	size_t i;

	if (!f)
		return 0;
	for (i = 0; files[i]; i++)
		unlink(fx_path(f, files[i]));
	rmdir(f->dir);
	EVP_PKEY_free(f->rsa);
	EVP_PKEY_free(f->ec256);
	EVP_PKEY_free(f->ec384);
	EVP_PKEY_free(f->ec521);
	EVP_PKEY_free(f->ed25519);
	free(f);
	return 0;
}

/* private key that signs alg */
static inline EVP_PKEY *fx_key_for(const fx_t *f, unsigned alg)
{
	switch (alg) {
	case WIC_ALG_ES256: return f->ec256;
	case WIC_ALG_ES384: return f->ec384;
	case WIC_ALG_ES512: return f->ec521;
	case WIC_ALG_EDDSA: return f->ed25519;
	default: return f->rsa;
	}
}

static inline const char *fx_kid_for(unsigned alg)
{
	switch (alg) {
	case WIC_ALG_HS256: case WIC_ALG_HS384: case WIC_ALG_HS512:
		return "hs";
	case WIC_ALG_ES256: return "ec256";
	case WIC_ALG_ES384: return "ec384";
	case WIC_ALG_ES512: return "ec521";
	case WIC_ALG_EDDSA: return "ed";
	default: return "rsa";
	}
}

/* Token with a raw header and claims, signed with the fixture's key. */
static inline char *fx_mint_raw(const fx_t *f, unsigned alg,
		const char *header, const char *claims)
{
	return wic_jws_sign(header, claims, alg, fx_key_for(f, alg), f->hmac,
			sizeof(f->hmac));
}

/* {"iss":..,"aud":..,"exp":..,"iat":..,"impu":[..]} with a printf tail
 * for extra members (", \"nbf\": 1"). */
static inline char *fx_claims(char *buf, size_t len, const char *iss,
		long exp, const char *extra_fmt, ...)
{
	char extra[7000] = "";
	va_list ap;

	if (extra_fmt) {
		va_start(ap, extra_fmt);
		vsnprintf(extra, sizeof(extra), extra_fmt, ap);
		va_end(ap);
	}
	snprintf(buf, len, "{\"iss\":\"%s\",\"aud\":\"" FX_AUD "\","
			"\"exp\":%ld,\"iat\":%ld,\"impu\":[\"sip:wic1@wwsf1.lab\","
			"\"sip:wic2@wwsf1.lab\"],\"impi\":\"wic1@wwsf1.lab\"%s}",
			iss, exp, FX_NOW - 10, extra);
	return buf;
}

/* A valid token of WWSF 1 for alg (kid in the header when with_kid). */
static inline char *fx_mint(const fx_t *f, unsigned alg, bool with_kid,
		const char *extra_fmt, ...)
{
	char header[256], claims[7600], extra[7000] = "";
	va_list ap;

	if (extra_fmt) {
		va_start(ap, extra_fmt);
		vsnprintf(extra, sizeof(extra), extra_fmt, ap);
		va_end(ap);
	}
	if (with_kid)
		snprintf(header, sizeof(header),
				"{\"alg\":\"%s\",\"typ\":\"JWT\",\"kid\":\"%s\"}",
				wic_alg_name(alg), fx_kid_for(alg));
	else
		snprintf(header, sizeof(header), "{\"alg\":\"%s\",\"typ\":\"JWT\"}",
				wic_alg_name(alg));
	fx_claims(claims, sizeof(claims), FX_ISS1, FX_NOW + 300, "%s", extra);
	return fx_mint_raw(f, alg, header, claims);
}

/* ---- in-memory provisioning (freed by wic_prov_free) ---- */

static inline char **fx_strv1(const char *s)
{
	char **v = calloc(1, sizeof(char *));
	if (v)
		v[0] = strdup(s);
	return v;
}

static inline int fx_add_range(wic_wwsf_t *w, const char *wildcard,
		const char *distinct)
{
	char err[256];
	wic_range_t *r = realloc(w->ranges, (w->n_ranges + 1) * sizeof(*r));

	if (!r)
		return -1;
	w->ranges = r;
	r = &w->ranges[w->n_ranges];
	memset(r, 0, sizeof(*r));
	r->wildcard = strdup(wildcard);
	r->distinct_pui = strdup(distinct);
	r->triggers = WIC_TRIGGER_ON_DEMAND | WIC_TRIGGER_TOKEN;
	r->expires = 3600;
	w->n_ranges++;
	return wic_pui_range_compile(wildcard, strlen(wildcard), &r->pui, err,
			sizeof(err));
}

static inline int fx_wwsf_init(wic_wwsf_t *w, const char *id,
		const char *origin, const char *iss)
{
	w->id = strdup(id);
	w->origins = fx_strv1(origin);
	w->n_origins = 1;
	w->issuers = fx_strv1(iss);
	w->n_issuers = 1;
	return (w->id && w->origins && w->issuers) ? 0 : -1;
}

/* WWSF 1 ("w1"): every key type, each with a kid; WWSF 2 ("w2"): only
 * the RSA key, without kid (the classic alg-confusion target). */
static inline wic_prov_t *fx_prov_new(const fx_t *f)
{
	char err[256];
	wic_prov_t *p = calloc(1, sizeof(*p));
	wic_wwsf_t *w;
	int rc = 0;

	if (!p || !(p->wwsfs = calloc(2, sizeof(wic_wwsf_t))))
		return NULL;
	p->n_wwsfs = 2;
	p->audience = strdup(FX_AUD);
	p->max_token_size = 8192;
	p->leeway = 30;
	w = &p->wwsfs[0];
	rc |= fx_wwsf_init(w, "w1", "https://wwsf1.lab", FX_ISS1);
	w->keys.allow_hmac = true;
	rc |= wic_keyset_add_hmac(&w->keys, f->hmac, sizeof(f->hmac), "hs", 0,
			err, sizeof(err));
	rc |= wic_keyset_add_pem(&w->keys, fx_path(f, "rsa.pem"), "rsa", 0, err,
			sizeof(err));
	rc |= wic_keyset_add_pem(&w->keys, fx_path(f, "ec256.pem"), "ec256", 0,
			err, sizeof(err));
	rc |= wic_keyset_add_pem(&w->keys, fx_path(f, "ec384.pem"), "ec384", 0,
			err, sizeof(err));
	rc |= wic_keyset_add_pem(&w->keys, fx_path(f, "ec521.pem"), "ec521", 0,
			err, sizeof(err));
	rc |= wic_keyset_add_pem(&w->keys, fx_path(f, "ed25519.pem"), "ed", 0,
			err, sizeof(err));
	rc |= fx_add_range(w, "sip:wic!.*!@wwsf1.lab", "sip:wic-range@wwsf1.lab");
	rc |= fx_add_range(w, "tel:+1555123!\\d{4}!", "tel:+15551230000");
	w = &p->wwsfs[1];
	rc |= fx_wwsf_init(w, "w2", "https://wwsf2.lab", FX_ISS2);
	rc |= wic_keyset_add_pem(&w->keys, fx_path(f, "rsa.pem"), NULL, 0, err,
			sizeof(err));
	rc |= fx_add_range(w, "sip:w2!.*!@wwsf2.lab", "sip:w2-range@wwsf2.lab");
	if (rc) {
		fprintf(stderr, "fixture provisioning: %s\n", err);
		wic_prov_free(p);
		return NULL;
	}
	return p;
}

/* ---- libjwt (an independent implementation) ---- */

static inline jwt_alg_t fx_jwt_alg(unsigned alg)
{
	switch (alg) {
	case WIC_ALG_HS256: return JWT_ALG_HS256;
	case WIC_ALG_HS384: return JWT_ALG_HS384;
	case WIC_ALG_HS512: return JWT_ALG_HS512;
	case WIC_ALG_RS256: return JWT_ALG_RS256;
	case WIC_ALG_RS384: return JWT_ALG_RS384;
	case WIC_ALG_RS512: return JWT_ALG_RS512;
	case WIC_ALG_ES256: return JWT_ALG_ES256;
	case WIC_ALG_ES384: return JWT_ALG_ES384;
	case WIC_ALG_ES512: return JWT_ALG_ES512;
	default: return JWT_ALG_INVAL;
	}
}

/* A valid token of WWSF 1 minted by libjwt; free() it. */
static inline char *fx_libjwt_mint(const fx_t *f, unsigned alg)
{
	jwt_t *jwt = NULL;
	char *pem = NULL, *tok = NULL;
	int rc;

	if (jwt_new(&jwt) != 0)
		return NULL;
	if (alg & WIC_ALG_HMAC) {
		rc = jwt_set_alg(jwt, fx_jwt_alg(alg), f->hmac, sizeof(f->hmac));
	} else {
		pem = fx_priv_pem(fx_key_for(f, alg));
		rc = pem ? jwt_set_alg(jwt, fx_jwt_alg(alg), (unsigned char *)pem,
				(int)strlen(pem)) : -1;
	}
	if (rc == 0
			&& jwt_add_grant(jwt, "iss", FX_ISS1) == 0
			&& jwt_add_grant(jwt, "aud", FX_AUD) == 0
			&& jwt_add_grant_int(jwt, "exp", FX_NOW + 600) == 0
			&& jwt_add_grant_int(jwt, "iat", FX_NOW) == 0
			&& jwt_add_grants_json(jwt,
				"{\"impu\":[\"sip:wic1@wwsf1.lab\"],\"anon\":true}") == 0
			&& jwt_add_grant(jwt, "impi", "wic1@wwsf1.lab") == 0)
		tok = jwt_encode_str(jwt);
	jwt_free(jwt);
	free(pem);
	return tok;
}

#endif
