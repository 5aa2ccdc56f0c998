/*
 * SPDX-License-Identifier: GPL-2.0-or-later
 * Copyright (C) 2026 the ims_wic authors
 *
 * ims_wic - wildcarded Public User Identities (TS 23.003 clause 13.5/13.4).
 *
 * A wildcarded PUI is "<static prefix>!<regex>!<static suffix>": the regular
 * expression is everything between the first and the last '!', so by
 * construction the static parts never contain a '!' (a '!' between the two
 * outer ones belongs to the expression).
 *
 * Rules enforced when compiling (choice, so that a range always describes
 * identities in the user part of one host):
 *   - scheme sip:, sips: or tel: (case-insensitive);
 *   - sip/sips: the expression lies in the user part, i.e. the prefix holds
 *     no '@' and the suffix holds "@<non-empty host>";
 *   - tel: no '@' at all;
 *   - no NUL byte, the expression is not empty and compiles with PCRE2.
 *
 * Matching of a bare URI (no parameters):
 *   - the IMPU is brought to its normal form first (wic_uri_normalize:
 *     scheme and host lower-case, escapes of unreserved characters
 *     decoded, tel visual separators removed), and so are the static
 *     parts of the range when it is compiled; then the prefix and the
 *     suffix compare byte for byte (user parts stay case-sensitive,
 *     RFC 3261 19.1.4), and the expression sees the normal form of the
 *     variable part;
 *   - the expression must match the whole remaining user part (PCRE2
 *     ANCHORED | ENDANCHORED, not a textual "^(...)$" wrap which an
 *     expression like "a)|(b" could escape);
 *   - the part the expression matches may not contain '@', so that the
 *     host of the URI is always the provisioned one;
 *   - URIs containing a NUL byte never match (a C-string consumer would see
 *     a different identity than the one we checked).
 */
#define PCRE2_CODE_UNIT_WIDTH 8

#include "wic_pui.h"
#include "wic_mem.h"
#include "wic_text.h"
#include "wic_uri.h"

#include <ctype.h>
#include <pcre2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The expression is operator-provided but the subject comes from the
 * network: bound the backtracking work of a single match. */
#define WIC_PUI_MATCH_LIMIT 100000u
#define WIC_PUI_DEPTH_LIMIT 10000u

struct wic_pui_range
{
	char *text;				/* the wildcard as provisioned, NUL-terminated */
	size_t scheme_len;		/* "sip:" -> 4, compared case-insensitively */
	size_t prefix_len;		/* static prefix including the scheme */
	size_t suffix_len;		/* static suffix */
	size_t suffix_user_len; /* part of the suffix before '@' (literal) */
	bool host_in_suffix;	/* sip/sips: '@' must not be in the regex match */
	char *norm_prefix;		/* static prefix in normal form */
	char *norm_suffix;		/* static suffix in normal form */
	size_t norm_prefix_len;
	size_t norm_suffix_len;
	pcre2_code *code;
	pcre2_match_context *mctx;
};

static void set_err(char *err, size_t errlen, const char *msg)
{
	if(err != NULL && errlen > 0)
		snprintf(err, errlen, "%s", msg);
}


/* Last occurrence of c in s[0..len), bounded (memrchr is a GNU extension
 * but we do not want to depend on it for portability of the tests). */
static const char *last_of(const char *s, size_t len, char c)
{
	while(len > 0) {
		len--;
		if(s[len] == c)
			return s + len;
	}
	return NULL;
}

bool wic_pui_is_wildcarded(const char *s, size_t len)
{
	if(s == NULL || len == 0)
		return false;
	const char *first = memchr(s, '!', len);
	if(first == NULL)
		return false;
	return last_of(s, len, '!') != first;
}

/* Length of the scheme including ':' when it is one we serve, else 0. */
static size_t scheme_length(const char *s, size_t len)
{
	static const char *const schemes[] = {"sip:", "sips:", "tel:"};
	for(size_t i = 0; i < sizeof(schemes) / sizeof(schemes[0]); i++) {
		size_t n = strlen(schemes[i]);
		if(len >= n && wic_ascii_caseeq(s, schemes[i], n))
			return n;
	}
	return 0;
}

static bool is_tel(const wic_pui_range_t *r)
{
	return r->scheme_len == 4 && wic_ascii_caseeq(r->text, "tel:", 4);
}

/* Checks the static parts and fills the layout fields of r. */
static int check_static_parts(
		wic_pui_range_t *r, size_t len, char *err, size_t errlen)
{
	const char *s = r->text;
	const char *suffix = s + len - r->suffix_len;

	r->scheme_len = scheme_length(s, r->prefix_len);
	if(r->scheme_len == 0) {
		set_err(err, errlen,
				"unknown scheme (sip:, sips: or tel: "
				"expected before the first '!')");
		return -1;
	}
	if(memchr(s, '@', r->prefix_len) != NULL) {
		set_err(err, errlen,
				"the expression must be in the user part "
				"('@' before the first '!')");
		return -1;
	}
	const char *at = memchr(suffix, '@', r->suffix_len);
	if(is_tel(r)) {
		if(at != NULL) {
			set_err(err, errlen, "'@' in a tel: URI");
			return -1;
		}
		r->suffix_user_len = r->suffix_len;
		r->host_in_suffix = false;
		return 0;
	}
	if(at == NULL || at == suffix + r->suffix_len - 1) {
		set_err(err, errlen, "no '@host' after the last '!'");
		return -1;
	}
	r->suffix_user_len = (size_t)(at - suffix);
	r->host_in_suffix = true;
	return 0;
}

/* Normal form of a static part; the host of a sip suffix is normalised as
 * a host (with its port) by normalising "sip:@" + host. */
static char *normal_part(
		const char *s, size_t len, size_t user_len, bool tel, size_t *out_len)
{
	char buf[WIC_URI_NORM_MAX], host[WIC_URI_NORM_MAX + 8];
	int n = wic_uri_normalize_user(s, user_len, tel, buf, sizeof(buf));
	int h;

	if(n < 0)
		return NULL;
	if(user_len < len) {
		/* "sip:x@" + host: the normaliser's own host rules */
		h = snprintf(host, sizeof(host), "sip:x@%.*s",
				(int)(len - user_len - 1), s + user_len + 1);
		if(h < 0 || (size_t)h >= sizeof(host)
				|| wic_uri_normalize_inplace(host, sizeof(host)) < 0
				|| (size_t)n + strlen(host + 5) >= sizeof(buf))
			return NULL;
		memcpy(buf + n, host + 5, strlen(host + 5) + 1);
		n += (int)strlen(host + 5);
	}
	*out_len = (size_t)n;
	return wic_strndup(buf, (size_t)n);
}

static int normalise_static_parts(wic_pui_range_t *r, char *err, size_t errlen)
{
	bool tel = is_tel(r);
	const char *sfx = r->text + strlen(r->text) - r->suffix_len;
	char scheme[8];
	char *user;
	size_t ulen;

	user = normal_part(r->text + r->scheme_len, r->prefix_len - r->scheme_len,
			r->prefix_len - r->scheme_len, tel, &ulen);
	r->norm_suffix = normal_part(
			sfx, r->suffix_len, r->suffix_user_len, tel, &r->norm_suffix_len);
	if(user == NULL || r->norm_suffix == NULL
			|| r->scheme_len >= sizeof(scheme)) {
		wic_free(user);
		set_err(err, errlen,
				"the static parts are no URI (bad escape, character or "
				"host)");
		return -1;
	}
	for(size_t i = 0; i < r->scheme_len; i++)
		scheme[i] = (char)tolower((unsigned char)r->text[i]);
	r->norm_prefix = wic_malloc(r->scheme_len + ulen + 1);
	if(r->norm_prefix == NULL) {
		wic_free(user);
		set_err(err, errlen, "out of memory");
		return -1;
	}
	memcpy(r->norm_prefix, scheme, r->scheme_len);
	memcpy(r->norm_prefix + r->scheme_len, user, ulen + 1);
	r->norm_prefix_len = r->scheme_len + ulen;
	wic_free(user);
	return 0;
}

static int compile_regex(wic_pui_range_t *r, const char *re, size_t relen,
		char *err, size_t errlen)
{
	int code = 0;
	PCRE2_SIZE offset = 0;
	uint32_t opts =
			PCRE2_ANCHORED | PCRE2_ENDANCHORED | PCRE2_NEVER_BACKSLASH_C;

	r->code = pcre2_compile((PCRE2_SPTR)re, relen, opts, &code, &offset, NULL);
	if(r->code == NULL) {
		PCRE2_UCHAR msg[120];
		if(pcre2_get_error_message(code, msg, sizeof(msg)) < 0)
			snprintf((char *)msg, sizeof(msg), "error %d", code);
		if(err != NULL && errlen > 0)
			snprintf(err, errlen,
					"bad regular expression at offset %zu: "
					"%s",
					(size_t)offset, (const char *)msg);
		return -1;
	}
	/* JIT is an optimisation only: the interpreter gives the same result. */
	(void)pcre2_jit_compile(r->code, PCRE2_JIT_COMPLETE);

	r->mctx = pcre2_match_context_create(NULL);
	if(r->mctx == NULL) {
		set_err(err, errlen, "out of memory");
		return -1;
	}
	pcre2_set_match_limit(r->mctx, WIC_PUI_MATCH_LIMIT);
	pcre2_set_depth_limit(r->mctx, WIC_PUI_DEPTH_LIMIT);
	return 0;
}

int wic_pui_range_compile(const char *wildcard, size_t len,
		wic_pui_range_t **out, char *err, size_t errlen)
{
	if(out == NULL)
		return -1;
	*out = NULL;
	if(wildcard == NULL || len == 0) {
		set_err(err, errlen, "empty wildcarded PUI");
		return -1;
	}
	if(memchr(wildcard, '\0', len) != NULL) {
		set_err(err, errlen, "NUL byte in wildcarded PUI");
		return -1;
	}
	if(!wic_pui_is_wildcarded(wildcard, len)) {
		set_err(err, errlen, "no '!'-delimited expression");
		return -1;
	}
	const char *first = memchr(wildcard, '!', len);
	const char *last = last_of(wildcard, len, '!');
	size_t relen = (size_t)(last - first) - 1;
	if(relen == 0) {
		set_err(err, errlen, "empty regular expression between '!'");
		return -1;
	}

	wic_pui_range_t *r = wic_calloc(1, sizeof(*r));
	if(r == NULL || (r->text = wic_strndup(wildcard, len)) == NULL) {
		wic_free(r);
		set_err(err, errlen, "out of memory");
		return -1;
	}
	r->prefix_len = (size_t)(first - wildcard);
	r->suffix_len = len - (size_t)(last - wildcard) - 1;
	if(check_static_parts(r, len, err, errlen) < 0
			|| normalise_static_parts(r, err, errlen) < 0
			|| compile_regex(r, first + 1, relen, err, errlen) < 0) {
		wic_pui_range_free(r);
		return -1;
	}
	*out = r;
	return 0;
}

/* The expression must match all of subject; ANCHORED|ENDANCHORED already
 * enforce it, the ovector check is a second line of defence. */
static bool regex_matches_all(
		const wic_pui_range_t *r, const char *subject, size_t len)
{
	pcre2_match_data *md = pcre2_match_data_create_from_pattern(r->code, NULL);
	if(md == NULL)
		return false;
	int rc = pcre2_match(r->code, (PCRE2_SPTR)subject, len, 0, 0, md, r->mctx);
	bool whole = false;
	if(rc >= 0) {
		const PCRE2_SIZE *ov = pcre2_get_ovector_pointer(md);
		whole = ov[0] == 0 && ov[1] == len;
	}
	pcre2_match_data_free(md);
	return whole;
}

bool wic_pui_range_match_normal(
		const wic_pui_range_t *r, const char *norm, size_t n)
{
	if(r == NULL || norm == NULL || n < r->norm_prefix_len + r->norm_suffix_len)
		return false;
	if(memcmp(norm, r->norm_prefix, r->norm_prefix_len) != 0
			|| memcmp(norm + n - r->norm_suffix_len, r->norm_suffix,
					   r->norm_suffix_len)
					   != 0)
		return false;

	const char *middle = norm + r->norm_prefix_len;
	size_t mlen = n - r->norm_prefix_len - r->norm_suffix_len;
	if(r->host_in_suffix && memchr(middle, '@', mlen) != NULL)
		return false;
	return regex_matches_all(r, middle, mlen);
}

bool wic_pui_range_match(const wic_pui_range_t *r, const char *impu, size_t len)
{
	char norm[WIC_URI_NORM_MAX];
	int n;

	if(r == NULL || impu == NULL || len == 0)
		return false;
	if(memchr(impu, '\0', len) != NULL)
		return false;
	n = wic_uri_normalize(impu, len, norm, sizeof(norm));
	if(n < 0)
		return false;
	return wic_pui_range_match_normal(r, norm, (size_t)n);
}

const char *wic_pui_range_prefix(const wic_pui_range_t *r, size_t *len)
{
	*len = r != NULL ? r->norm_prefix_len : 0;
	return r != NULL ? r->norm_prefix : NULL;
}

const char *wic_pui_range_suffix(const wic_pui_range_t *r, size_t *len)
{
	*len = r != NULL ? r->norm_suffix_len : 0;
	return r != NULL ? r->norm_suffix : NULL;
}

const char *wic_pui_range_text(const wic_pui_range_t *r)
{
	return r != NULL ? r->text : NULL;
}

void wic_pui_range_free(wic_pui_range_t *r)
{
	if(r == NULL)
		return;
	pcre2_match_context_free(r->mctx);
	pcre2_code_free(r->code);
	wic_free(r->norm_prefix);
	wic_free(r->norm_suffix);
	wic_free(r->text);
	wic_free(r);
}
