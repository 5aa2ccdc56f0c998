/*
 * SPDX-License-Identifier: GPL-2.0-or-later
 * Copyright (C) 2026 the ims_wic authors
 *
 * ims_wic - the normal form of an identity (see wic_uri.h for the rules).
 *
 * Why these rules:
 *   - RFC 3261 19.1.4: scheme and host compare case-insensitively, the
 *     userinfo case-sensitively, and "characters other than those in the
 *     reserved set are equivalent to their %HEX HEX encoding". We decode
 *     only escapes of unreserved characters (RFC 3261 25.1: alphanum and
 *     mark): those are the characters that may also stand unescaped in a
 *     user part. An escape of anything else ("%40" for '@', "%3B" for ';',
 *     "%20", non-ASCII bytes) must stay escaped to remain a URI, so it is
 *     kept, with upper-case hex (RFC 3986 6.2.2.1) so that "%3b" and "%3B"
 *     are one key.
 *   - A raw byte outside the grammar (space, '<', non-ASCII, NUL) refuses
 *     the whole URI instead of being guessed at: an identity has one
 *     spelling or none.
 *   - RFC 3966 section 4: tel URIs are equal when their numbers are equal
 *     without visual separators and their parameters are the same set,
 *     compared case-insensitively.
 */
#include "wic_uri.h"

#include <stdbool.h>
#include <string.h>

/* Parameters of a tel URI we keep apart to sort them. */
#define WIC_TEL_PARAMS_MAX 16

typedef struct obuf
{
	char *s;
	size_t len;
	size_t cap; /* bytes of s, the NUL included */
	bool failed;
} obuf_t;

static void put(obuf_t *o, char c)
{
	if(o->len + 1 >= o->cap) {
		o->failed = true;
		return;
	}
	o->s[o->len++] = c;
}

static int finish(obuf_t *o)
{
	if(o->failed || o->cap == 0)
		return -1;
	o->s[o->len] = '\0';
	return (int)o->len;
}

static char lower(char c)
{
	return (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
}

static bool is_alnum(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z')
		   || (c >= 'A' && c <= 'Z');
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static int hex_value(char c)
{
	if(c >= '0' && c <= '9')
		return c - '0';
	if(c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if(c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* RFC 3261 25.1: unreserved = alphanum / mark */
static bool is_unreserved(char c)
{
	return c != '\0' && (is_alnum(c) || strchr("-_.!~*'()", c) != NULL);
}

/* userinfo = user [":" password]: unreserved, user-unreserved, the
 * password's characters and its ':' separator. */
static bool is_userinfo_char(char c)
{
	return is_unreserved(c) || (c != '\0' && strchr("&=+$,;?/:", c) != NULL);
}

/* RFC 3966 paramchar without pct-encoded: param-unreserved / unreserved */
static bool is_tel_param_char(char c)
{
	return is_unreserved(c) || (c != '\0' && strchr("[]/:&+$", c) != NULL);
}

static bool is_visual_separator(char c)
{
	return c == '-' || c == '.' || c == '(' || c == ')';
}

/* The escape at in[*i]: decoded when unreserved (lower-cased when fold),
 * else kept with upper-case hex. -1 on a broken escape. */
static int put_escape(
		const char *in, size_t len, size_t *i, bool fold, obuf_t *o)
{
	static const char hex[] = "0123456789ABCDEF";
	int hi, lo;
	char c;

	if(*i + 2 >= len)
		return -1;
	hi = hex_value(in[*i + 1]);
	lo = hex_value(in[*i + 2]);
	if(hi < 0 || lo < 0)
		return -1;
	c = (char)(hi * 16 + lo);
	if(is_unreserved(c)) {
		put(o, fold ? lower(c) : c);
	} else {
		put(o, '%');
		put(o, hex[hi]);
		put(o, hex[lo]);
	}
	*i += 3;
	return 0;
}

/* A sip userinfo (or a fragment of one): escapes normalised, case kept. */
static int put_userinfo(const char *in, size_t len, obuf_t *o)
{
	size_t i = 0;

	while(i < len) {
		if(in[i] == '%') {
			if(put_escape(in, len, &i, false, o) < 0)
				return -1;
		} else if(is_userinfo_char(in[i])) {
			put(o, in[i++]);
		} else {
			return -1;
		}
	}
	return 0;
}

/* Port: 1*DIGIT up to 65535, written without leading zeros. */
static int put_port(const char *in, size_t len, obuf_t *o)
{
	char digits[8];
	unsigned long v = 0;
	size_t i;
	int n = 0;

	if(len == 0)
		return -1;
	for(i = 0; i < len; i++) {
		if(!is_digit(in[i]))
			return -1;
		v = v * 10 + (unsigned long)(in[i] - '0');
		if(v > 65535)
			return -1;
	}
	do {
		digits[n++] = (char)('0' + v % 10);
		v /= 10;
	} while(v > 0);
	put(o, ':');
	while(n > 0)
		put(o, digits[--n]);
	return 0;
}

/* host [":" port]; host a name, an IPv4 address or an [IPv6 reference]. */
static int put_hostport(const char *in, size_t len, obuf_t *o)
{
	size_t i = 0;

	if(len == 0)
		return -1;
	if(in[0] == '[') {
		const char *close = memchr(in, ']', len);
		if(close == NULL || close == in + 1)
			return -1;
		put(o, '[');
		for(i = 1; in + i < close; i++) {
			if(hex_value(in[i]) < 0 && in[i] != ':' && in[i] != '.')
				return -1;
			put(o, lower(in[i]));
		}
		put(o, ']');
		i++;
	} else {
		for(; i < len && in[i] != ':'; i++) {
			if(!is_alnum(in[i]) && in[i] != '-' && in[i] != '.')
				return -1;
			put(o, lower(in[i]));
		}
		if(i == 0)
			return -1;
	}
	if(i == len)
		return 0;
	if(in[i] != ':')
		return -1;
	return put_port(in + i + 1, len - i - 1, o);
}

static void put_text(obuf_t *o, const char *s)
{
	while(*s)
		put(o, *s++);
}

/* sip:/sips: after the scheme: [userinfo "@"] hostport. */
static int put_sip(const char *in, size_t len, obuf_t *o)
{
	const char *at = memchr(in, '@', len);

	if(at != NULL) {
		size_t ulen = (size_t)(at - in);
		if(ulen == 0 || put_userinfo(in, ulen, o) < 0)
			return -1;
		put(o, '@');
		in += ulen + 1;
		len -= ulen + 1;
	}
	return put_hostport(in, len, o);
}

/* The number of a tel URI: separators dropped, hex digits lower-case.
 * A global number is "+" and at least one digit; a local one holds hex
 * digits, '*' and escaped '#' ("%23"). Returns 0 (global), 1 (local) or
 * -1. */
static int put_tel_number(const char *in, size_t len, obuf_t *o)
{
	bool global = len > 0 && in[0] == '+';
	size_t i = global ? 1 : 0;
	size_t digits = 0;

	if(global)
		put(o, '+');
	for(; i < len; i++) {
		if(is_visual_separator(in[i]))
			continue;
		if(is_digit(in[i])) {
			put(o, in[i]);
		} else if(!global && (hex_value(in[i]) >= 0 || in[i] == '*')) {
			put(o, lower(in[i]));
		} else if(!global && in[i] == '%' && i + 2 < len && in[i + 1] == '2'
				  && in[i + 2] == '3') {
			put_text(o, "%23");
			i += 2;
		} else {
			return -1;
		}
		digits++;
	}
	if(digits == 0)
		return -1;
	return global ? 0 : 1;
}

/* One tel parameter "name[=value]" lower-cased into o. */
static int put_tel_param(const char *in, size_t len, obuf_t *o)
{
	size_t i = 0;

	for(; i < len && in[i] != '='; i++) {
		if(!is_alnum(in[i]) && in[i] != '-')
			return -1;
		put(o, lower(in[i]));
	}
	if(i == 0)
		return -1;
	if(i == len)
		return 0;
	put(o, '=');
	if(++i == len)
		return -1;
	while(i < len) {
		if(in[i] == '%') {
			if(put_escape(in, len, &i, true, o) < 0)
				return -1;
		} else if(is_tel_param_char(in[i])) {
			put(o, lower(in[i++]));
		} else {
			return -1;
		}
	}
	return 0;
}

typedef struct span
{
	size_t off;
	size_t len;
	size_t name_len;
} span_t;

static int span_cmp(const void *a, const void *b, const char *base)
{
	const span_t *x = a, *y = b;
	size_t n = x->name_len < y->name_len ? x->name_len : y->name_len;
	int c = memcmp(base + x->off, base + y->off, n);

	if(c != 0)
		return c;
	return x->name_len < y->name_len ? -1 : x->name_len > y->name_len;
}

/* Insertion sort: at most WIC_TEL_PARAMS_MAX elements, and qsort has no
 * context argument in C11. */
static void sort_spans(span_t *p, size_t n, const char *base)
{
	for(size_t i = 1; i < n; i++) {
		span_t cur = p[i];
		size_t j = i;
		while(j > 0 && span_cmp(&p[j - 1], &cur, base) > 0) {
			p[j] = p[j - 1];
			j--;
		}
		p[j] = cur;
	}
}

static size_t name_length(const char *s, size_t len)
{
	const char *eq = memchr(s, '=', len);
	return eq ? (size_t)(eq - s) : len;
}

/* Parameters (";" separated) normalised into tmp, then written sorted by
 * name; a name twice refuses the URI. *has_context tells whether
 * phone-context is among them. */
static int put_tel_params(
		const char *in, size_t len, obuf_t *o, bool *has_context)
{
	char tmp[WIC_URI_NORM_MAX];
	obuf_t t = {tmp, 0, sizeof(tmp), false};
	span_t p[WIC_TEL_PARAMS_MAX];
	size_t n = 0, i;

	*has_context = false;
	while(len > 0) {
		const char *semi = memchr(in, ';', len);
		size_t plen = semi ? (size_t)(semi - in) : len;
		if(n == WIC_TEL_PARAMS_MAX)
			return -1;
		p[n].off = t.len;
		if(put_tel_param(in, plen, &t) < 0 || t.failed)
			return -1;
		p[n].len = t.len - p[n].off;
		p[n].name_len = name_length(tmp + p[n].off, p[n].len);
		n++;
		in += plen + (semi ? 1 : 0);
		len -= plen + (semi ? 1 : 0);
		if(semi && len == 0)
			return -1; /* a trailing ';' */
	}
	sort_spans(p, n, tmp);
	for(i = 0; i < n; i++) {
		if(i > 0 && span_cmp(&p[i - 1], &p[i], tmp) == 0)
			return -1;
		if(p[i].name_len == 13
				&& memcmp(tmp + p[i].off, "phone-context", 13) == 0)
			*has_context = true;
		put(o, ';');
		for(size_t k = 0; k < p[i].len; k++)
			put(o, tmp[p[i].off + k]);
	}
	return 0;
}

/* tel: after the scheme: number *(";" param). */
static int put_tel(const char *in, size_t len, obuf_t *o)
{
	const char *semi = memchr(in, ';', len);
	size_t nlen = semi ? (size_t)(semi - in) : len;
	bool has_context = false;
	int kind = put_tel_number(in, nlen, o);

	if(kind < 0)
		return -1;
	if(semi != NULL
			&& (nlen + 1 == len
					|| put_tel_params(semi + 1, len - nlen - 1, o, &has_context)
							   < 0))
		return -1;
	/* RFC 3966 5.1.5: a local number is only meaningful in its context */
	return (kind == 1 && !has_context) ? -1 : 0;
}

static bool scheme_is(const char *in, size_t len, const char *scheme)
{
	size_t n = strlen(scheme);

	if(len < n)
		return false;
	for(size_t i = 0; i < n; i++)
		if(lower(in[i]) != scheme[i])
			return false;
	return true;
}

int wic_uri_normalize(const char *in, size_t len, char *out, size_t outlen)
{
	obuf_t o = {out, 0, outlen, false};
	int rc;

	if(in == NULL || out == NULL || outlen == 0)
		return -1;
	out[0] = '\0';
	if(scheme_is(in, len, "sip:")) {
		put_text(&o, "sip:");
		rc = put_sip(in + 4, len - 4, &o);
	} else if(scheme_is(in, len, "sips:")) {
		put_text(&o, "sips:");
		rc = put_sip(in + 5, len - 5, &o);
	} else if(scheme_is(in, len, "tel:")) {
		put_text(&o, "tel:");
		rc = put_tel(in + 4, len - 4, &o);
	} else {
		return -1;
	}
	if(rc < 0 || finish(&o) < 0) {
		out[0] = '\0';
		return -1;
	}
	return (int)o.len;
}

int wic_uri_normalize_inplace(char *buf, size_t size)
{
	char tmp[WIC_URI_NORM_MAX];
	size_t len;
	int n;

	if(buf == NULL || size == 0)
		return -1;
	len = strnlen(buf, size);
	if(len == size || len >= sizeof(tmp))
		return -1;
	n = wic_uri_normalize(buf, len, tmp, sizeof(tmp));
	if(n < 0)
		return -1;
	memcpy(buf, tmp, (size_t)n + 1);
	return 0;
}

/* A tel fragment: separators dropped before the parameters, the rest
 * lower-case (every part of a tel URI is case-insensitive). */
static int put_tel_fragment(const char *in, size_t len, obuf_t *o)
{
	bool in_params = false;
	size_t i = 0;

	while(i < len) {
		if(in[i] == ';')
			in_params = true;
		if(in[i] == '%') {
			if(put_escape(in, len, &i, true, o) < 0)
				return -1;
			continue;
		}
		if(!in_params && is_visual_separator(in[i])) {
			i++;
			continue;
		}
		if(!is_tel_param_char(in[i]) && in[i] != ';' && in[i] != '=')
			return -1;
		put(o, lower(in[i++]));
	}
	return 0;
}

int wic_uri_normalize_user(
		const char *in, size_t len, int tel, char *out, size_t outlen)
{
	obuf_t o = {out, 0, outlen, false};
	int rc;

	if(in == NULL || out == NULL || outlen == 0)
		return -1;
	rc = tel ? put_tel_fragment(in, len, &o) : put_userinfo(in, len, &o);
	if(rc < 0 || finish(&o) < 0) {
		out[0] = '\0';
		return -1;
	}
	return (int)o.len;
}
