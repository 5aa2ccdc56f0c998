/*
 * SPDX-License-Identifier: GPL-2.0-or-later
 * Copyright (C) 2026 the ims_wic authors
 *
 * ims_wic - JWS compact signing (RFC 7515) with OpenSSL, for the
 * wic-token tool and the unit tests. The module itself never signs.
 *
 * Header-only (static inline) so that both users include it without a
 * separate object in the module's build.
 */
#ifndef WIC_JWS_SIGN_H
#define WIC_JWS_SIGN_H

#include <stdlib.h>
#include <string.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rsa.h>
#include "wic_keys.h"

/* Unpadded base64url of in; malloc'd, NUL-terminated. */
static inline char *wic_jws_b64url(const unsigned char *in, size_t len)
{
	static const char alpha[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	char *out = malloc(len / 3 * 4 + 5);
	size_t i, o = 0;

	if (!out)
		return NULL;
	for (i = 0; i + 2 < len; i += 3) {
		unsigned v = (unsigned)in[i] << 16 | (unsigned)in[i + 1] << 8
				| in[i + 2];
		out[o++] = alpha[v >> 18];
		out[o++] = alpha[(v >> 12) & 63];
		out[o++] = alpha[(v >> 6) & 63];
		out[o++] = alpha[v & 63];
	}
	if (len - i == 1) {
		unsigned v = (unsigned)in[i] << 16;
		out[o++] = alpha[v >> 18];
		out[o++] = alpha[(v >> 12) & 63];
	} else if (len - i == 2) {
		unsigned v = (unsigned)in[i] << 16 | (unsigned)in[i + 1] << 8;
		out[o++] = alpha[v >> 18];
		out[o++] = alpha[(v >> 12) & 63];
		out[o++] = alpha[(v >> 6) & 63];
	}
	out[o] = '\0';
	return out;
}

static inline const EVP_MD *wic_jws_md(unsigned alg)
{
	if (alg & (WIC_ALG_HS256 | WIC_ALG_RS256 | WIC_ALG_ES256 | WIC_ALG_PS256))
		return EVP_sha256();
	if (alg & (WIC_ALG_HS384 | WIC_ALG_RS384 | WIC_ALG_ES384))
		return EVP_sha384();
	if (alg & (WIC_ALG_HS512 | WIC_ALG_RS512 | WIC_ALG_ES512))
		return EVP_sha512();
	return NULL; /* EdDSA */
}

/* JWS ECDSA signature: DER ECDSA-Sig-Value -> r || s, each the curve's
 * size (RFC 7518 3.4). Returns the length written or 0. */
static inline size_t wic_jws_der_to_raw(unsigned alg, const unsigned char *der,
		size_t derlen, unsigned char *raw)
{
	int half = alg == WIC_ALG_ES256 ? 32 : alg == WIC_ALG_ES384 ? 48 : 66;
	ECDSA_SIG *es = d2i_ECDSA_SIG(NULL, &der, (long)derlen);
	const BIGNUM *r = NULL, *s = NULL;
	size_t out = 0;

	if (!es)
		return 0;
	ECDSA_SIG_get0(es, &r, &s);
	if (BN_bn2binpad(r, raw, half) == half
			&& BN_bn2binpad(s, raw + half, half) == half)
		out = 2 * (size_t)half;
	ECDSA_SIG_free(es);
	return out;
}

/* True when the private key is of the type (and curve) alg needs, so
 * that no token is minted that a verifier must refuse. */
static inline int wic_jws_key_fits(unsigned alg, EVP_PKEY *k)
{
	char group[64] = "";
	size_t glen = 0;

	switch (EVP_PKEY_get_base_id(k)) {
	case EVP_PKEY_RSA:
		return !!(alg & (WIC_ALG_RS256 | WIC_ALG_RS384 | WIC_ALG_RS512
				| WIC_ALG_PS256));
	case EVP_PKEY_ED25519:
		return alg == WIC_ALG_EDDSA;
	case EVP_PKEY_EC:
		if (!EVP_PKEY_get_utf8_string_param(k, "group", group,
				sizeof(group), &glen))
			return 0;
		return (alg == WIC_ALG_ES256 && strcmp(group, "prime256v1") == 0)
			|| (alg == WIC_ALG_ES384 && strcmp(group, "secp384r1") == 0)
			|| (alg == WIC_ALG_ES512 && strcmp(group, "secp521r1") == 0);
	default:
		return 0;
	}
}

/* Signature of data with a private key; malloc'd into *sig. */
static inline int wic_jws_sign_pkey(unsigned alg, EVP_PKEY *priv,
		const unsigned char *data, size_t dlen, unsigned char **sig,
		size_t *siglen)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	EVP_PKEY_CTX *pctx = NULL;
	unsigned char *buf = NULL;
	size_t len = 0;
	int rc = -1;

	if (!priv || !wic_jws_key_fits(alg, priv) || !ctx
			|| EVP_DigestSignInit(ctx, &pctx, wic_jws_md(alg), NULL, priv) != 1)
		goto out;
	if (alg == WIC_ALG_PS256
			&& (EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) <= 0
			|| EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx,
				RSA_PSS_SALTLEN_DIGEST) <= 0))
		goto out;
	if (EVP_DigestSign(ctx, NULL, &len, data, dlen) != 1
			|| !(buf = malloc(len))
			|| EVP_DigestSign(ctx, buf, &len, data, dlen) != 1)
		goto out;
	if (alg & (WIC_ALG_ES256 | WIC_ALG_ES384 | WIC_ALG_ES512)) {
		unsigned char raw[132];
		size_t rawlen = wic_jws_der_to_raw(alg, buf, len, raw);
		if (rawlen == 0)
			goto out;
		memcpy(buf, raw, rawlen); /* raw is never longer than DER */
		len = rawlen;
	}
	*sig = buf;
	*siglen = len;
	buf = NULL;
	rc = 0;
out:
	free(buf);
	EVP_MD_CTX_free(ctx);
	return rc;
}

static inline int wic_jws_sign_hmac(unsigned alg, const unsigned char *secret,
		size_t secret_len, const unsigned char *data, size_t dlen,
		unsigned char **sig, size_t *siglen)
{
	unsigned char *buf = malloc(EVP_MAX_MD_SIZE);
	unsigned len = 0;

	if (!buf || !HMAC(wic_jws_md(alg), secret, (int)secret_len, data, dlen,
			buf, &len)) {
		free(buf);
		return -1;
	}
	*sig = buf;
	*siglen = len;
	return 0;
}

/* Compact JWS "b64(header).b64(claims).b64(signature)"; priv for the
 * asymmetric algorithms, secret for HS*. malloc'd, NULL on error. */
static inline char *wic_jws_sign(const char *header_json,
		const char *claims_json, unsigned alg, EVP_PKEY *priv,
		const unsigned char *secret, size_t secret_len)
{
	char *h = wic_jws_b64url((const unsigned char *)header_json,
			strlen(header_json));
	char *c = wic_jws_b64url((const unsigned char *)claims_json,
			strlen(claims_json));
	char *input = NULL, *s = NULL, *tok = NULL;
	unsigned char *sig = NULL;
	size_t siglen = 0, ilen;
	int rc;

	if (!h || !c || !(input = malloc(strlen(h) + strlen(c) + 2)))
		goto out;
	ilen = (size_t)sprintf(input, "%s.%s", h, c);
	rc = (alg & WIC_ALG_HMAC)
		? wic_jws_sign_hmac(alg, secret, secret_len,
			(unsigned char *)input, ilen, &sig, &siglen)
		: wic_jws_sign_pkey(alg, priv, (unsigned char *)input, ilen, &sig,
			&siglen);
	if (rc < 0 || !(s = wic_jws_b64url(sig, siglen))
			|| !(tok = malloc(ilen + strlen(s) + 2)))
		goto out;
	sprintf(tok, "%s.%s", input, s);
out:
	free(h);
	free(c);
	free(input);
	free(sig);
	free(s);
	return tok;
}

#endif
