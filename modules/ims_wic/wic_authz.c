/*
 * SPDX-License-Identifier: GPL-2.0-or-later
 * Copyright (C) 2026 the ims_wic authors
 *
 * ims_wic - the REGISTER admission decision of a WIC (REQUIREMENTS.md
 * section 2): the token checks of wic_token.c, then the checks that tie
 * the token to the connection and to the operator's ranges.
 */
#include "wic_authz.h"
#include "wic_text.h"
#include "wic_uri.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

/* Reason phrases name the failed check so that the WIC's developer and the
 * operator's logs agree on what went wrong without seeing the token. */
static const wic_answer_t answers[WIC_VERDICT_COUNT] = {
		[WIC_OK] = {200, "OK", "accepted"},
		[WIC_NO_TOKEN] = {401, "Unauthorized - Token Missing", "no_token"},
		[WIC_BAD_TOKEN] = {400, "Bad Request - Token Malformed", "bad_token"},
		[WIC_BAD_ALG] = {403, "Forbidden - Token Algorithm Not Allowed",
				"bad_alg"},
		[WIC_BAD_SIGNATURE] = {403, "Forbidden - Token Signature Invalid",
				"bad_signature"},
		[WIC_EXPIRED] = {401, "Unauthorized - Token Expired", "expired"},
		[WIC_NOT_YET_VALID] = {403, "Forbidden - Token Not Yet Valid",
				"not_yet_valid"},
		[WIC_BAD_ISSUER] = {403, "Forbidden - Token Issuer Unknown",
				"bad_issuer"},
		[WIC_BAD_AUDIENCE] = {403, "Forbidden - Token Audience Mismatch",
				"bad_audience"},
		[WIC_BAD_CLAIMS] = {400, "Bad Request - Token Claims Invalid",
				"bad_claims"},
		[WIC_WRONG_WWSF] = {403, "Forbidden - Token WWSF Mismatch",
				"wrong_wwsf"},
		[WIC_IMPU_NOT_IN_TOKEN] = {403, "Forbidden - IMPU Not In Token",
				"impu_not_in_token"},
		[WIC_IMPU_NOT_IN_RANGE] = {403, "Forbidden - IMPU Not In Range",
				"impu_not_in_range"},
		[WIC_RANGE_NOT_ALLOWED] = {403, "Forbidden - Range Not Allocated",
				"range_not_allowed"},
		[WIC_RANGE_DOWN] = {503, "Service Unavailable - Range Not Registered",
				"range_down"},
		[WIC_BAD_TYP] = {403, "Forbidden - Token Type Not Accepted", "bad_typ"},
		[WIC_LIFETIME_TOO_LONG] = {403, "Forbidden - Token Lifetime Too Long",
				"lifetime_too_long"},
		[WIC_TOKEN_TOO_SHORT] = {401, "Unauthorized - Token Expires Too Soon",
				"token_too_short"},
		[WIC_INTERVAL_TOO_BRIEF] = {423, "Interval Too Brief",
				"interval_too_brief"},
		[WIC_BAD_CONTACT_PARAM] = {400,
				"Bad Request - Contact Parameter Invalid", "bad_contact_param"},
		[WIC_BAD_EXPIRES] = {400, "Bad Request - Expires Invalid",
				"bad_expires"},
};

static const wic_answer_t internal_error = {
		500, "Server Internal Error", "internal_error"};

const wic_answer_t *wic_answer_of(wic_verdict_t v)
{
	if((unsigned)v >= WIC_VERDICT_COUNT)
		return &internal_error;
	return &answers[v];
}


static wic_verdict_t verdict_of(wic_tok_status_t st)
{
	switch(st) {
		case WIC_TOK_OK:
			return WIC_OK;
		case WIC_TOK_MALFORMED:
			return WIC_BAD_TOKEN;
		case WIC_TOK_ALG:
			return WIC_BAD_ALG;
		case WIC_TOK_ISSUER:
			return WIC_BAD_ISSUER;
		case WIC_TOK_NO_KEY:
			return WIC_BAD_SIGNATURE;
		case WIC_TOK_SIGNATURE:
			return WIC_BAD_SIGNATURE;
		case WIC_TOK_EXPIRED:
			return WIC_EXPIRED;
		case WIC_TOK_NOT_YET_VALID:
			return WIC_NOT_YET_VALID;
		case WIC_TOK_AUDIENCE:
			return WIC_BAD_AUDIENCE;
		case WIC_TOK_CLAIMS:
			return WIC_BAD_CLAIMS;
		case WIC_TOK_TYP:
			return WIC_BAD_TYP;
		case WIC_TOK_LIFETIME:
			return WIC_LIFETIME_TOO_LONG;
	}
	return WIC_BAD_TOKEN;
}

/* The To IMPU (already in normal form, wic_bare_uri) against each claim
 * in its normal form: "sip:Alice@WWSF.LAB" in a token names the
 * "sip:Alice@wwsf.lab" of a To, "tel:+1-555-0100" names "tel:+15550100".
 * A claim that is no identity names nothing. */
static bool token_names_impu(const wic_token_t *t, const char *impu, size_t len)
{
	char a[WIC_URI_NORM_MAX], b[WIC_URI_NORM_MAX];
	size_t i;

	if(wic_uri_normalize(impu, len, a, sizeof(a)) < 0)
		return false;
	for(i = 0; i < t->n_impu; i++) {
		if(wic_uri_normalize(t->impu[i], strlen(t->impu[i]), b, sizeof(b)) >= 0
				&& strcmp(a, b) == 0)
			return true;
	}
	return false;
}

/* Range check: the IMPU must lie in a range of the token's WWSF; a range
 * named by the token (trigger "token") must be one of that WWSF's and
 * contain the IMPU, and is then the range the WIC belongs to. */
static wic_verdict_t check_range(const wic_prov_t *prov, wic_admission_t *adm,
		const char *impu, size_t len, char *why, size_t whylen)
{
	const wic_wwsf_t *w = adm->token.wwsf;
	const wic_range_t *named;

	adm->range = wic_prov_range_of(prov, w, impu, len, NULL);
	if(!adm->range) {
		wic_why(why, whylen, "IMPU is in no range of WWSF %s", w->id);
		return WIC_IMPU_NOT_IN_RANGE;
	}
	if(!adm->token.range)
		return WIC_OK;
	named = wic_prov_range_by_text(
			prov, w, adm->token.range, strlen(adm->token.range));
	if(!named) {
		wic_why(why, whylen, "token range is not allocated to WWSF %s", w->id);
		return WIC_RANGE_NOT_ALLOWED;
	}
	if(!wic_pui_range_match(named->pui, impu, len)) {
		wic_why(why, whylen, "IMPU is not in the token's range");
		return WIC_IMPU_NOT_IN_RANGE;
	}
	adm->range = named;
	return WIC_OK;
}

static wic_verdict_t admit_token(const wic_prov_t *prov, const char *conn_wwsf,
		const char *impu, size_t implen, wic_admission_t *adm, char *why,
		size_t whylen)
{
	const wic_wwsf_t *w = adm->token.wwsf;

	if(!conn_wwsf || strcmp(conn_wwsf, w->id) != 0) {
		wic_why(why, whylen, "token of WWSF %s on a connection of %s", w->id,
				conn_wwsf ? conn_wwsf : "no WWSF");
		return WIC_WRONG_WWSF;
	}
	if(!impu || implen == 0 || !token_names_impu(&adm->token, impu, implen)) {
		wic_why(why, whylen, "To IMPU is not one of the token's IMPUs");
		return WIC_IMPU_NOT_IN_TOKEN;
	}
	adm->wwsf = w;
	return check_range(prov, adm, impu, implen, why, whylen);
}

wic_verdict_t wic_admit(const wic_prov_t *prov, const char *conn_wwsf,
		const char *tok, size_t toklen, const char *to_impu, size_t implen,
		time_t now, wic_sig_mode_t mode, wic_admission_t *adm, char *why,
		size_t whylen)
{
	wic_tok_status_t st;
	wic_verdict_t v;

	wic_why(why, whylen, "ok");
	if(!adm)
		return WIC_BAD_TOKEN;
	memset(adm, 0, sizeof(*adm));
	if(!tok || toklen == 0) {
		wic_why(why, whylen, "no token in REGISTER");
		return WIC_NO_TOKEN;
	}
	st = wic_token_verify(
			prov, tok, toklen, now, mode, &adm->token, why, whylen);
	if(st != WIC_TOK_OK)
		return verdict_of(st);
	v = admit_token(prov, conn_wwsf, to_impu, implen, adm, why, whylen);
	if(v != WIC_OK)
		wic_admission_clear(adm);
	return v;
}

void wic_admission_clear(wic_admission_t *adm)
{
	if(!adm)
		return;
	wic_token_clear(&adm->token);
	adm->range = NULL;
	adm->wwsf = NULL;
}

/* The module's cap, lowered by the WWSF's limits.max_expires. */
static unsigned expiry_cap(
		const wic_admission_t *adm, const wic_expiry_policy_t *pol)
{
	unsigned cap = pol->max_expires;
	unsigned wwsf_cap = adm->wwsf ? adm->wwsf->limits.max_expires : 0;

	return wwsf_cap > 0 && wwsf_cap < cap ? wwsf_cap : cap;
}

unsigned wic_expiry_floor(
		const wic_admission_t *adm, const wic_expiry_policy_t *pol)
{
	unsigned cap = expiry_cap(adm, pol);

	/* a floor above what the operator allows at all cannot be met */
	return pol->min_expires < cap ? pol->min_expires : cap;
}

wic_verdict_t wic_grant_expires(const wic_admission_t *adm,
		const wic_expiry_policy_t *pol, int asked, time_t now,
		unsigned *granted, char *why, size_t whylen)
{
	long left = adm->token.exp - (long)now;
	unsigned floor = wic_expiry_floor(adm, pol);
	unsigned want = asked < 0 ? pol->default_expires : (unsigned)asked;
	unsigned cap = expiry_cap(adm, pol);

	*granted = 0;
	if(left <= 0) {
		/* exp passed inside the leeway: the token still verifies, but a
		 * binding never outlives it (a 200 would bind an expired contact) */
		wic_why(why, whylen, "token exp passed (inside the leeway)");
		return WIC_EXPIRED;
	}
	if(left < (long)floor) {
		wic_why(why, whylen, "token expires in %ld s, under the %u s floor",
				left, floor);
		return WIC_TOKEN_TOO_SHORT;
	}
	if(asked > 0 && want < floor) {
		wic_why(why, whylen, "Expires %u under the %u s floor", want, floor);
		return WIC_INTERVAL_TOO_BRIEF;
	}
	if(want > cap)
		want = cap;
	if((long)want > left)
		want = (unsigned)left;
	/* a default_expires under the floor is raised: nobody asked for less */
	*granted = want < floor ? floor : want;
	return WIC_OK;
}
