/*
 * SPDX-License-Identifier: GPL-2.0-or-later
 * Copyright (C) 2026 the ims_wic authors
 *
 * ims_wic - the REGISTER admission decision of a WIC: every check of
 * REQUIREMENTS.md section 2, in order, and the answer each failure gets.
 */
#ifndef WIC_AUTHZ_H
#define WIC_AUTHZ_H

#include <stddef.h>
#include <time.h>
#include "wic_prov.h"
#include "wic_token.h"

typedef enum wic_verdict
{
	WIC_OK = 0,
	WIC_NO_TOKEN,			/* 401 + WWW-Authenticate: Bearer realm */
	WIC_BAD_TOKEN,			/* 400 */
	WIC_BAD_ALG,			/* 403 */
	WIC_BAD_SIGNATURE,		/* 403 (also: no key fits) */
	WIC_EXPIRED,			/* 401 + error="invalid_token" */
	WIC_NOT_YET_VALID,		/* 403 */
	WIC_BAD_ISSUER,			/* 403 */
	WIC_BAD_AUDIENCE,		/* 403 */
	WIC_BAD_CLAIMS,			/* 400 */
	WIC_WRONG_WWSF,			/* 403: token's WWSF != connection's WWSF */
	WIC_IMPU_NOT_IN_TOKEN,	/* 403 */
	WIC_IMPU_NOT_IN_RANGE,	/* 403 */
	WIC_RANGE_NOT_ALLOWED,	/* 403: token-named range not allocated */
	WIC_RANGE_DOWN,			/* 503 + Retry-After (decided by the caller) */
	WIC_BAD_TYP,			/* 403: typ is not the WWSF's required_typ */
	WIC_LIFETIME_TOO_LONG,	/* 403: exp - iat or exp - now above the limit */
	WIC_TOKEN_TOO_SHORT,	/* 401 + error="invalid_token": cannot cover the
							* expiry floor */
	WIC_INTERVAL_TOO_BRIEF, /* 423 + Min-Expires */
	WIC_BAD_CONTACT_PARAM,	/* 400: expires, q, reg-id or +sip.instance
							 * outside its grammar */
	WIC_BAD_EXPIRES,		/* 400: Expires header not delta-seconds */
	WIC_VERDICT_COUNT
} wic_verdict_t;

typedef struct wic_answer
{
	int code;
	const char *reason; /* reason phrase, names the failed check */
	const char *stat;	/* statistic name suffix, e.g. "bad_signature" */
} wic_answer_t;

const wic_answer_t *wic_answer_of(wic_verdict_t v);

typedef struct wic_admission
{
	wic_token_t token;
	const wic_range_t *range; /* range of the IMPU */
	const wic_wwsf_t *wwsf;
} wic_admission_t;

/* conn_wwsf: id of the WWSF whose Origin opened the connection (NULL when
 * unknown: then the check fails with WIC_WRONG_WWSF). tok may be NULL (no
 * token). to_impu: bare URI of the To header. On WIC_OK, adm is filled and
 * must be released with wic_admission_clear(); otherwise adm is empty. */
wic_verdict_t wic_admit(const wic_prov_t *prov, const char *conn_wwsf,
		const char *tok, size_t toklen, const char *to_impu, size_t implen,
		time_t now, wic_sig_mode_t mode, wic_admission_t *adm, char *why,
		size_t whylen);
void wic_admission_clear(wic_admission_t *adm);

/* The registrar's expiry bounds, s. */
typedef struct wic_expiry_policy
{
	unsigned default_expires; /* when the REGISTER asks for none */
	unsigned max_expires;	  /* the module's cap (the WWSF may lower it) */
	unsigned min_expires;	  /* floor of a granted expiry; 0: none */
} wic_expiry_policy_t;

/* Expiry granted to one contact of an admitted REGISTER that asks for
 * asked s (-1: none asked; 0 is a removal, not for here): the smallest of
 * asked, the caps and what is left of the token, never under the floor
 * (min_expires, itself never above the caps). Otherwise:
 * WIC_EXPIRED when the token's exp has passed (inside the leeway);
 * WIC_TOKEN_TOO_SHORT when what is left of the token is under the floor;
 * WIC_INTERVAL_TOO_BRIEF when 0 < asked < floor (RFC 3261 10.3 step 7). */
wic_verdict_t wic_grant_expires(const wic_admission_t *adm,
		const wic_expiry_policy_t *pol, int asked, time_t now,
		unsigned *granted, char *why, size_t whylen);
/* The floor that applies to adm's WWSF under pol (Min-Expires of a 423). */
unsigned wic_expiry_floor(
		const wic_admission_t *adm, const wic_expiry_policy_t *pol);

#endif
