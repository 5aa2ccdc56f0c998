/*
 * SPDX-License-Identifier: GPL-2.0-or-later
 * Copyright (C) 2026 the ims_wic authors
 *
 * ims_wic - grammar of the Contact parameters and the Expires header the
 * registrar reads (RFC 3261 expires and q, RFC 5626 reg-id and
 * +sip.instance).
 *
 * Why refuse instead of RFC 3261's "malformed values SHOULD be treated as
 * equivalent to 3600" (20.10): Kamailio's parsers read a malformed expires
 * as 0, which turned "expires=abc" into a removal; reading it as 3600 would
 * turn "expires=O" (a letter) into a registration. Either way the
 * registrar would act on a value the client did not write. A 400 tells
 * the client's developer, and changes nothing.
 */
#include "wic_cparam.h"
#include "wic_text.h"

#include <string.h>

#define DELTA_SECONDS_MAX 4294967295u
#define REG_ID_MAX 2147483647u

enum seen_bits
{
	SEEN_EXPIRES = 1u << 0,
	SEEN_Q = 1u << 1,
	SEEN_REG_ID = 1u << 2,
	SEEN_INSTANCE = 1u << 3,
};

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static bool is_alnum(char c)
{
	return is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool is_hex(char c)
{
	return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

static void trim_blanks(const char **s, size_t *len)
{
	while(*len > 0 && (**s == ' ' || **s == '\t')) {
		(*s)++;
		(*len)--;
	}
	while(*len > 0 && ((*s)[*len - 1] == ' ' || (*s)[*len - 1] == '\t'))
		(*len)--;
}

int wic_delta_seconds(const char *s, size_t len, uint32_t *out)
{
	uint64_t v = 0;
	size_t i;

	if(s == NULL || out == NULL)
		return -1;
	trim_blanks(&s, &len);
	if(len == 0)
		return -1;
	for(i = 0; i < len; i++) {
		if(!is_digit(s[i]))
			return -1;
		/* saturate: more digits never make it smaller */
		if(v <= DELTA_SECONDS_MAX)
			v = v * 10 + (uint64_t)(s[i] - '0');
	}
	*out = v > DELTA_SECONDS_MAX ? DELTA_SECONDS_MAX : (uint32_t)v;
	return 0;
}

bool wic_qvalue_valid(const char *s, size_t len)
{
	size_t i;

	if(s == NULL || len == 0 || (s[0] != '0' && s[0] != '1'))
		return false;
	if(len == 1)
		return true;
	if(s[1] != '.' || len > 5)
		return false;
	for(i = 2; i < len; i++) {
		if(s[0] == '0' ? !is_digit(s[i]) : s[i] != '0')
			return false;
	}
	return true;
}

int wic_reg_id_parse(const char *s, size_t len, uint32_t *out)
{
	uint64_t v = 0;
	size_t i;

	if(s == NULL || out == NULL || len == 0 || len > 10)
		return -1;
	for(i = 0; i < len; i++) {
		if(!is_digit(s[i]))
			return -1;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	if(v < 1 || v > REG_ID_MAX)
		return -1;
	*out = (uint32_t)v;
	return 0;
}

/* RFC 8141 NID = (alphanum) 0*30(ldh) (alphanum) */
static size_t urn_nid_length(const char *s, size_t len)
{
	size_t i = 0;

	while(i < len && i < 32 && (is_alnum(s[i]) || s[i] == '-'))
		i++;
	if(i < 2 || s[0] == '-' || s[i - 1] == '-' || i == len || s[i] != ':')
		return 0;
	return i;
}

/* RFC 3986 pchar = unreserved / pct-encoded / sub-delims / ":" / "@",
 * and "/" and "?" of the NSS and its components. */
static bool urn_chars_valid(const char *s, size_t len)
{
	for(size_t i = 0; i < len; i++) {
		if(s[i] == '%') {
			if(i + 2 >= len || !is_hex(s[i + 1]) || !is_hex(s[i + 2]))
				return false;
			i += 2;
		} else if(!is_alnum(s[i])
				  && strchr("-._~!$&'()*+,;=:@/?", s[i]) == NULL) {
			return false;
		}
	}
	return true;
}

bool wic_instance_valid(const char *s, size_t len)
{
	size_t nid;

	/* DQUOTE "<" ... ">" DQUOTE, nothing inside that needs quoting */
	if(s == NULL || len < 4 || s[0] != '"' || s[1] != '<' || s[len - 2] != '>'
			|| s[len - 1] != '"')
		return false;
	s += 2;
	len -= 4;
	if(len < 4 || !wic_ascii_caseeq(s, "urn:", 4))
		return false;
	s += 4;
	len -= 4;
	nid = urn_nid_length(s, len);
	if(nid == 0 || nid + 1 == len)
		return false; /* no NID, or an empty NSS */
	return urn_chars_valid(s + nid + 1, len - nid - 1);
}

void wic_cparams_init(wic_cparams_t *p)
{
	memset(p, 0, sizeof(*p));
	p->expires = -1;
}

static bool named(const char *name, size_t nlen, const char *want)
{
	return nlen == strlen(want) && wic_ascii_caseeq(name, want, nlen);
}

/* The parameter once: RFC 3261 gives each one value. */
static int first_time(wic_cparams_t *p, unsigned bit, const char *name,
		size_t nlen, char *why, size_t whylen)
{
	if(p->seen & bit) {
		wic_why(why, whylen, "Contact parameter %.*s given twice", (int)nlen,
				name);
		return -1;
	}
	p->seen |= bit;
	return 0;
}

static int bad_value(const char *name, size_t nlen, const char *value,
		size_t vlen, const char *grammar, char *why, size_t whylen)
{
	wic_why(why, whylen, "Contact parameter %.*s=%.*s is not %s", (int)nlen,
			name, vlen > 64 ? 64 : (int)vlen, value ? value : "", grammar);
	return -1;
}

int wic_cparams_add(wic_cparams_t *p, const char *name, size_t nlen,
		const char *value, size_t vlen, bool has_value, char *why,
		size_t whylen)
{
	uint32_t v;

	if(p == NULL || name == NULL)
		return -1;
	if(!has_value || value == NULL)
		vlen = 0;
	if(named(name, nlen, "expires")) {
		if(first_time(p, SEEN_EXPIRES, name, nlen, why, whylen) < 0)
			return -1;
		if(vlen == 0 || wic_delta_seconds(value, vlen, &v) < 0)
			return bad_value(name, nlen, value, vlen,
					"delta-seconds (RFC 3261)", why, whylen);
		p->expires = v;
	} else if(named(name, nlen, "q")) {
		if(first_time(p, SEEN_Q, name, nlen, why, whylen) < 0)
			return -1;
		if(!wic_qvalue_valid(value, vlen))
			return bad_value(name, nlen, value, vlen, "a qvalue (RFC 3261)",
					why, whylen);
		p->has_q = true;
	} else if(named(name, nlen, "reg-id")) {
		if(first_time(p, SEEN_REG_ID, name, nlen, why, whylen) < 0)
			return -1;
		if(wic_reg_id_parse(value, vlen, &v) < 0)
			return bad_value(name, nlen, value, vlen, "1 to 2^31-1 (RFC 5626)",
					why, whylen);
		p->reg_id = v;
	} else if(named(name, nlen, "+sip.instance")) {
		if(first_time(p, SEEN_INSTANCE, name, nlen, why, whylen) < 0)
			return -1;
		if(!wic_instance_valid(value, vlen))
			return bad_value(name, nlen, value, vlen,
					"a quoted <urn:...> (RFC 5626)", why, whylen);
		p->has_instance = true;
	}
	return 0;
}
