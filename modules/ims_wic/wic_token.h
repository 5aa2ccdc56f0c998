/*
 * SPDX-License-Identifier: GPL-2.0-or-later
 * Copyright (C) 2026 the ims_wic authors
 *
 * ims_wic - the WWSF's token: where a REGISTER carries it, and its
 * verification (JWS signature, then claims).
 */
#ifndef WIC_TOKEN_H
#define WIC_TOKEN_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>
#include "wic_prov.h"

/* From an Authorization header value "Bearer <jwt>" (scheme
 * case-insensitive, RFC 8898). Returns 0 and points into hval, or -1. */
int wic_token_from_bearer(
		const char *hval, size_t len, const char **tok, size_t *toklen);

/* From a body of Content-Type application/jwt, or a multipart/mixed body
 * (boundary taken from ctype) with such a part. Returns 0 or -1. */
int wic_token_from_body(const char *ctype, size_t ctlen, const char *body,
		size_t blen, const char **tok, size_t *toklen);

typedef enum wic_tok_status
{
	WIC_TOK_OK = 0,
	WIC_TOK_MALFORMED, /* size, parts, base64url, JSON */
	WIC_TOK_ALG,	   /* alg not allowed for the key / none / confusion */
	WIC_TOK_ISSUER,	   /* iss missing or no WWSF has it */
	WIC_TOK_NO_KEY,	   /* no key of the issuer fits kid/alg */
	WIC_TOK_SIGNATURE,
	WIC_TOK_EXPIRED,
	WIC_TOK_NOT_YET_VALID, /* nbf or iat in the future */
	WIC_TOK_AUDIENCE,
	WIC_TOK_CLAIMS,	  /* impu claim missing or of the wrong type */
	WIC_TOK_TYP,	  /* typ header not the WWSF's required_typ */
	WIC_TOK_LIFETIME, /* exp - iat or exp - now above the limit */
} wic_tok_status_t;

typedef struct wic_token
{
	char *iss;
	char **impu;
	size_t n_impu;
	char *impi;	 /* NULL when absent */
	char *range; /* NULL when absent */
	bool anon;
	long exp;				/* 0 when absent (then the token is refused) */
	long nbf, iat;			/* 0 when absent */
	const wic_wwsf_t *wwsf; /* the WWSF of iss */
} wic_token_t;

/* Signature check skipped when the caller already verified this exact
 * token under the same provisioning (token cache hit). */
typedef enum
{
	WIC_VERIFY_SIGNATURE,
	WIC_SKIP_SIGNATURE
} wic_sig_mode_t;

/* Checks, in order: size <= prov->max_token_size and three base64url parts
 * with JSON header and claims; alg known and not none; iss names a WWSF;
 * a key of that WWSF fits kid and alg, and allows alg; signature; typ is
 * the WWSF's required_typ (when set); exp (required), nbf, iat with
 * prov->leeway; exp - iat and exp - now within the token lifetime limit
 * (wic_token_max_lifetime); aud contains the audience; impu claim present.
 * why gets a short reason for logs (never the token). */
wic_tok_status_t wic_token_verify(const wic_prov_t *prov, const char *tok,
		size_t len, time_t now, wic_sig_mode_t mode, wic_token_t *out,
		char *why, size_t whylen);
void wic_token_clear(wic_token_t *t);

/* Longest token lifetime for WWSF w: its limits.max_token_lifetime, else
 * the file's max_token_lifetime, else 86400 s. */
unsigned wic_token_max_lifetime(const wic_prov_t *prov, const wic_wwsf_t *w);
/* typ header value equality per RFC 7515 4.1.9: case-insensitive, and
 * "application/" may be left out when no other '/' follows. */
bool wic_typ_equal(const char *a, size_t alen, const char *b, size_t blen);

#endif
