/*
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
 *   - scheme compared case-insensitively, the rest of the prefix and the
 *     user part of the suffix literally (user parts are case-sensitive,
 *     RFC 3261 19.1.4), the host part case-insensitively;
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
#include "wic_text.h"

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

	wic_pui_range_t *r = calloc(1, sizeof(*r));
	if(r == NULL || (r->text = strndup(wildcard, len)) == NULL) {
		free(r);
		set_err(err, errlen, "out of memory");
		return -1;
	}
	r->prefix_len = (size_t)(first - wildcard);
	r->suffix_len = len - (size_t)(last - wildcard) - 1;
	if(check_static_parts(r, len, err, errlen) < 0
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

static bool static_parts_match(
		const wic_pui_range_t *r, const char *impu, size_t len)
{
	const char *pfx = r->text;
	const char *sfx = r->text + strlen(r->text) - r->suffix_len;
	const char *tail = impu + len - r->suffix_len;
	size_t host_len = r->suffix_len - r->suffix_user_len;

	return wic_ascii_caseeq(impu, pfx, r->scheme_len)
		   && memcmp(impu + r->scheme_len, pfx + r->scheme_len,
					  r->prefix_len - r->scheme_len)
					  == 0
		   && memcmp(tail, sfx, r->suffix_user_len) == 0
		   && wic_ascii_caseeq(tail + r->suffix_user_len,
				   sfx + r->suffix_user_len, host_len);
}

bool wic_pui_range_match(const wic_pui_range_t *r, const char *impu, size_t len)
{
	if(r == NULL || impu == NULL || len == 0)
		return false;
	if(len < r->prefix_len + r->suffix_len)
		return false;
	if(memchr(impu, '\0', len) != NULL)
		return false;
	if(!static_parts_match(r, impu, len))
		return false;

	const char *middle = impu + r->prefix_len;
	size_t mlen = len - r->prefix_len - r->suffix_len;
	if(r->host_in_suffix && memchr(middle, '@', mlen) != NULL)
		return false;
	return regex_matches_all(r, middle, mlen);
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
	free(r->text);
	free(r);
}
