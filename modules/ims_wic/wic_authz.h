/*
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
	WIC_NO_TOKEN,		   /* 401 + WWW-Authenticate: Bearer realm */
	WIC_BAD_TOKEN,		   /* 400 */
	WIC_BAD_ALG,		   /* 403 */
	WIC_BAD_SIGNATURE,	   /* 403 (also: no key fits) */
	WIC_EXPIRED,		   /* 401 + error="invalid_token" */
	WIC_NOT_YET_VALID,	   /* 403 */
	WIC_BAD_ISSUER,		   /* 403 */
	WIC_BAD_AUDIENCE,	   /* 403 */
	WIC_BAD_CLAIMS,		   /* 400 */
	WIC_WRONG_WWSF,		   /* 403: token's WWSF != connection's WWSF */
	WIC_IMPU_NOT_IN_TOKEN, /* 403 */
	WIC_IMPU_NOT_IN_RANGE, /* 403 */
	WIC_RANGE_NOT_ALLOWED, /* 403: token-named range not allocated */
	WIC_RANGE_DOWN,		   /* 503 + Retry-After (decided by the caller) */
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

#endif
