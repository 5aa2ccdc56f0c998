/*
 * SPDX-License-Identifier: GPL-2.0-or-later
 * Copyright (C) 2026 the ims_wic authors
 *
 * ims_wic - the WWSF's token: extraction from a REGISTER (Authorization:
 * Bearer, or an application/jwt body part) and JWS verification.
 *
 * Verification is done directly with OpenSSL EVP and jansson, without a
 * JWT library, so that the key - never the token's "alg" alone - decides
 * which primitive runs: a key only verifies the algorithms of its
 * allow-list, which always fit its type. That makes "alg":"none" and the
 * HS256-with-the-RSA-public-key confusion fail by construction.
 */
#include "wic_token.h"
#include "wic_mem.h"
#include "wic_text.h"

#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <jansson.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rsa.h>

#define WIC_DEFAULT_MAX_TOKEN 8192u
#define WIC_DEFAULT_MAX_LIFETIME 86400u
#define WIC_STACK_DECODE 4096u
/* claim values outside this are nonsense, and keep time arithmetic safe */
#define WIC_TIME_LIMIT 4611686018427387904.0 /* 2^62 */

/* ---------------------------------------------------------------------- */
/* Extraction                                                              */
/* ---------------------------------------------------------------------- */

static bool is_ws(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* Trims whitespace on both ends of [*s, *s + *len). */
static void trim(const char **s, size_t *len)
{
	while(*len && is_ws(**s)) {
		(*s)++;
		(*len)--;
	}
	while(*len && is_ws((*s)[*len - 1]))
		(*len)--;
}

int wic_token_from_bearer(
		const char *hval, size_t len, const char **tok, size_t *toklen)
{
	static const char scheme[] = "Bearer";
	const size_t slen = sizeof(scheme) - 1;
	size_t i;

	if(!hval || !tok || !toklen)
		return -1;
	trim(&hval, &len);
	/* the scheme must be followed by whitespace, then one b64token */
	if(len <= slen || strncasecmp(hval, scheme, slen) != 0
			|| !is_ws(hval[slen]))
		return -1;
	hval += slen;
	len -= slen;
	trim(&hval, &len);
	for(i = 0; i < len; i++) {
		if(is_ws(hval[i]))
			return -1; /* "Bearer a b", or auth-params: not a bearer token */
	}
	if(len == 0)
		return -1;
	*tok = hval;
	*toklen = len;
	return 0;
}

/* Media type of a Content-Type value (parameters cut off), compared
 * case-insensitively with want ("application/jwt"). */
static bool media_type_is(const char *ct, size_t len, const char *want)
{
	const char *semi = memchr(ct, ';', len);
	size_t wlen = strlen(want);

	if(semi)
		len = (size_t)(semi - ct);
	trim(&ct, &len);
	return len == wlen && strncasecmp(ct, want, wlen) == 0;
}

/* Value of the boundary parameter of a multipart Content-Type, quoted or
 * not (RFC 2046 5.1.1). */
static int boundary_of(const char *ct, size_t len, const char **b, size_t *blen)
{
	const char *end = ct + len, *p = ct;

	while((p = memchr(p, ';', (size_t)(end - p))) != NULL) {
		const char *v;
		p++;
		while(p < end && is_ws(*p))
			p++;
		if((size_t)(end - p) < 9 || strncasecmp(p, "boundary", 8) != 0)
			continue;
		v = p + 8;
		while(v < end && is_ws(*v))
			v++;
		if(v >= end || *v != '=')
			continue;
		v++;
		while(v < end && is_ws(*v))
			v++;
		if(v < end && *v == '"') {
			const char *q = memchr(v + 1, '"', (size_t)(end - v - 1));
			if(!q)
				return -1;
			*b = v + 1;
			*blen = (size_t)(q - v - 1);
		} else {
			const char *q = v;
			while(q < end && *q != ';' && !is_ws(*q))
				q++;
			*b = v;
			*blen = (size_t)(q - v);
		}
		return (*blen > 0 && *blen <= 70) ? 0 : -1;
	}
	return -1;
}

/* Next line of [p, end): returns its length without CR/LF and moves *next
 * past the line terminator. */
static size_t next_line(const char *p, const char *end, const char **next)
{
	const char *nl = memchr(p, '\n', (size_t)(end - p));
	size_t len = nl ? (size_t)(nl - p) : (size_t)(end - p);

	*next = nl ? nl + 1 : end;
	if(len && p[len - 1] == '\r')
		len--;
	return len;
}

/* True when the headers of a body part declare Content-Type
 * application/jwt; *content is moved past the empty line. */
static bool part_is_jwt(const char *p, const char *end, const char **content)
{
	bool jwt = false;

	while(p < end) {
		const char *next, *colon;
		size_t len = next_line(p, end, &next);
		if(len == 0) {
			*content = next;
			return jwt;
		}
		colon = memchr(p, ':', len);
		if(colon) {
			const char *name = p;
			size_t nlen = (size_t)(colon - p);
			trim(&name, &nlen);
			if((nlen == 12 && strncasecmp(name, "content-type", 12) == 0)
					|| (nlen == 1 && (*name == 'c' || *name == 'C')))
				jwt = media_type_is(colon + 1, len - (size_t)(colon + 1 - p),
						"application/jwt");
		}
		p = next;
	}
	return false; /* no end of headers: not a usable part */
}

/* Start of the delimiter line "--boundary" at or after p, at a line start. */
static const char *find_delimiter(const char *body, const char *p,
		const char *end, const char *b, size_t blen)
{
	while(p < end) {
		const char *d = memmem(p, (size_t)(end - p), "--", 2);
		if(!d)
			return NULL;
		if((d == body || d[-1] == '\n') && (size_t)(end - d - 2) >= blen
				&& memcmp(d + 2, b, blen) == 0)
			return d;
		p = d + 1;
	}
	return NULL;
}

static int token_from_multipart(const char *ctype, size_t ctlen,
		const char *body, size_t blen, const char **tok, size_t *toklen)
{
	const char *b, *end = body + blen, *d;
	size_t bl;

	if(boundary_of(ctype, ctlen, &b, &bl) < 0)
		return -1;
	d = find_delimiter(body, body, end, b, bl);
	while(d) {
		const char *part, *content = NULL, *nextd;
		d += 2 + bl;
		if((size_t)(end - d) >= 2 && d[0] == '-' && d[1] == '-')
			return -1;			  /* close delimiter: no JWT part */
		next_line(d, end, &part); /* transport padding up to the EOL */
		nextd = find_delimiter(body, part, end, b, bl);
		if(!nextd)
			return -1; /* unterminated part */
		if(part_is_jwt(part, nextd, &content) && content) {
			/* the CRLF before a delimiter belongs to the delimiter */
			size_t clen = (size_t)(nextd - content);
			trim(&content, &clen);
			if(clen == 0)
				return -1;
			*tok = content;
			*toklen = clen;
			return 0;
		}
		d = nextd;
	}
	return -1;
}

int wic_token_from_body(const char *ctype, size_t ctlen, const char *body,
		size_t blen, const char **tok, size_t *toklen)
{
	if(!ctype || !body || !tok || !toklen || blen == 0)
		return -1;
	if(media_type_is(ctype, ctlen, "application/jwt")) {
		trim(&body, &blen);
		if(blen == 0)
			return -1;
		*tok = body;
		*toklen = blen;
		return 0;
	}
	if(media_type_is(ctype, ctlen, "multipart/mixed")
			|| media_type_is(ctype, ctlen, "multipart/related"))
		return token_from_multipart(ctype, ctlen, body, blen, tok, toklen);
	return -1;
}

/* ---------------------------------------------------------------------- */
/* JWS                                                                     */
/* ---------------------------------------------------------------------- */


/* why for the success path, without a printf on every REGISTER */
static void why_plain(char *why, size_t whylen, const char *text)
{
	size_t n;

	if(!why || whylen == 0)
		return;
	n = strnlen(text, whylen - 1);
	memcpy(why, text, n);
	why[n] = '\0';
}


typedef struct jws
{
	const char *seg[3]; /* header, payload, signature (base64url text) */
	size_t seglen[3];
	json_t *header;
	json_t *claims;
	unsigned char *sig;
	size_t siglen;
	unsigned char *buf; /* decoded segments, when not on the stack */
} jws_t;

static void jws_release(jws_t *j)
{
	json_decref(j->header);
	json_decref(j->claims);
	wic_free(j->buf);
}

/* Splits into exactly three segments; header and payload non-empty (an
 * empty signature is left for the alg and signature checks to refuse). */
static int jws_split(const char *tok, size_t len, jws_t *j)
{
	const char *d1 = memchr(tok, '.', len), *d2;

	if(!d1)
		return -1;
	d2 = memchr(d1 + 1, '.', (size_t)(tok + len - d1 - 1));
	if(!d2 || memchr(d2 + 1, '.', (size_t)(tok + len - d2 - 1)))
		return -1;
	j->seg[0] = tok;
	j->seglen[0] = (size_t)(d1 - tok);
	j->seg[1] = d1 + 1;
	j->seglen[1] = (size_t)(d2 - d1 - 1);
	j->seg[2] = d2 + 1;
	j->seglen[2] = (size_t)(tok + len - d2 - 1);
	return (j->seglen[0] && j->seglen[1]) ? 0 : -1;
}

static json_t *json_object_of(const unsigned char *text, size_t len)
{
	json_t *o =
			json_loadb((const char *)text, len, JSON_REJECT_DUPLICATES, NULL);

	if(o && !json_is_object(o)) {
		json_decref(o);
		return NULL;
	}
	return o;
}

/* Decodes the three segments (one buffer) and parses header and claims. */
static wic_tok_status_t jws_parse(const char *tok, size_t len, jws_t *j,
		unsigned char *stackbuf, size_t stacklen, char *why, size_t whylen)
{
	unsigned char *out[3];
	long n[3];
	size_t need = 0, i;
	unsigned char *buf = stackbuf;

	if(jws_split(tok, len, j) < 0) {
		wic_why(why, whylen, "token is not three dot-separated parts");
		return WIC_TOK_MALFORMED;
	}
	for(i = 0; i < 3; i++)
		need += j->seglen[i] * 3 / 4 + 1;
	if(need > stacklen) {
		buf = j->buf = wic_malloc(need);
		if(!buf) {
			wic_why(why, whylen, "out of memory");
			return WIC_TOK_MALFORMED;
		}
	}
	for(i = 0; i < 3; i++) {
		out[i] = buf;
		n[i] = wic_b64url_decode(j->seg[i], j->seglen[i], buf);
		if(n[i] < 0) {
			wic_why(why, whylen, "token part %zu is not base64url", i + 1);
			return WIC_TOK_MALFORMED;
		}
		buf += n[i];
	}
	j->sig = out[2];
	j->siglen = (size_t)n[2];
	j->header = json_object_of(out[0], (size_t)n[0]);
	j->claims = j->header ? json_object_of(out[1], (size_t)n[1]) : NULL;
	if(!j->header || !j->claims) {
		wic_why(why, whylen, "token %s is not a JSON object",
				j->header ? "payload" : "header");
		return WIC_TOK_MALFORMED;
	}
	return WIC_TOK_OK;
}

/* alg (known, never none), kid (string when present) and crit (none is
 * understood here: RFC 7515 4.1.11 says refuse). */
static wic_tok_status_t jws_header(const jws_t *j, unsigned *alg,
		const char **kid, char *why, size_t whylen)
{
	json_t *a = json_object_get(j->header, "alg");
	json_t *k = json_object_get(j->header, "kid");

	if(json_object_get(j->header, "crit")) {
		wic_why(why, whylen, "token header has a crit parameter");
		return WIC_TOK_MALFORMED;
	}
	if(!json_is_string(a) || (k && !json_is_string(k))) {
		wic_why(why, whylen, "token header alg/kid missing or not a string");
		return WIC_TOK_MALFORMED;
	}
	*kid = k ? json_string_value(k) : NULL;
	*alg = wic_alg_from_name(json_string_value(a), json_string_length(a));
	if(*alg == 0) {
		wic_why(why, whylen, "token alg is none or unknown");
		return WIC_TOK_ALG;
	}
	return WIC_TOK_OK;
}

/* The key for (kid, alg); when none, tells a disallowed alg (confusion,
 * an alg outside the WWSF's allow-list) from a missing key. */
static wic_tok_status_t pick_key(const wic_wwsf_t *w, const char *kid,
		unsigned alg, const wic_key_t **key, char *why, size_t whylen)
{
	const wic_key_t *byk;
	char kerr[256] = "";

	if(wic_keyset_ready(&w->keys, kerr, sizeof(kerr)) < 0) {
		*key = NULL;
		wic_why(why, whylen, "the keys of WWSF %s cannot be built here: %s",
				w->id, kerr);
		return WIC_TOK_NO_KEY;
	}
	byk = kid ? wic_keyset_by_kid(&w->keys, kid) : NULL;
	*key = wic_keyset_find(&w->keys, kid, alg);
	if(*key)
		return WIC_TOK_OK;
	if((byk && !(byk->algs & alg)) || !(wic_keyset_algs(&w->keys) & alg)) {
		wic_why(why, whylen, "alg %s not allowed for the key of WWSF %s",
				wic_alg_name(alg), w->id);
		return WIC_TOK_ALG;
	}
	wic_why(why, whylen, "no key of WWSF %s fits the token's %s", w->id,
			kid ? "kid" : "alg (several keys: kid needed)");
	return WIC_TOK_NO_KEY;
}

/* HMAC from the key's prepared context (a dup is cheaper than a fetch). */
static bool hmac_compute(const wic_key_t *k, unsigned alg,
		const unsigned char *data, size_t dlen, unsigned char *mac,
		size_t *maclen)
{
	const EVP_MAC_CTX *tmpl = wic_key_mac_template(k, alg);
	EVP_MAC_CTX *ctx;
	bool ok;

	if(!tmpl) {
		return EVP_Q_mac(k->libctx, "HMAC", NULL,
					   EVP_MD_get0_name(wic_alg_md(alg)), NULL, k->secret,
					   k->secret_len, data, dlen, mac, EVP_MAX_MD_SIZE, maclen)
			   != NULL;
	}
	ctx = EVP_MAC_CTX_dup(tmpl);
	ok = ctx && EVP_MAC_update(ctx, data, dlen) == 1
		 && EVP_MAC_final(ctx, mac, maclen, EVP_MAX_MD_SIZE) == 1;
	EVP_MAC_CTX_free(ctx);
	return ok;
}

static bool verify_hmac(const wic_key_t *k, unsigned alg,
		const unsigned char *data, size_t dlen, const unsigned char *sig,
		size_t siglen)
{
	unsigned char mac[EVP_MAX_MD_SIZE];
	size_t maclen = 0;

	if(!hmac_compute(k, alg, data, dlen, mac, &maclen))
		return false;
	/* a truncated MAC is not a MAC; compare in constant time */
	return maclen == siglen && CRYPTO_memcmp(mac, sig, siglen) == 0;
}

/* DER INTEGER of an unsigned big-endian value; returns bytes written. */
static size_t der_uint(unsigned char *out, const unsigned char *v, size_t n)
{
	size_t pad;

	while(n > 1 && v[0] == 0) {
		v++;
		n--;
	}
	pad = (v[0] & 0x80) ? 1 : 0;
	out[0] = 0x02;
	out[1] = (unsigned char)(n + pad);
	out[2] = 0;
	memcpy(out + 2 + pad, v, n);
	return 2 + pad + n;
}

/* JWS ECDSA signatures are r || s, each the curve's size (RFC 7518
 * 3.4); OpenSSL wants an ECDSA-Sig-Value in DER. */
static size_t ecdsa_raw_to_der(unsigned alg, const unsigned char *sig,
		size_t siglen, unsigned char *der)
{
	size_t half = alg == WIC_ALG_ES256 ? 32 : alg == WIC_ALG_ES384 ? 48 : 66;
	unsigned char body[2 * (2 + 1 + 66)];
	size_t blen, hdr;

	if(siglen != 2 * half)
		return 0;
	blen = der_uint(body, sig, half);
	blen += der_uint(body + blen, sig + half, half);
	der[0] = 0x30;
	if(blen < 0x80) {
		der[1] = (unsigned char)blen;
		hdr = 2;
	} else {
		der[1] = 0x81;
		der[2] = (unsigned char)blen;
		hdr = 3;
	}
	memcpy(der + hdr, body, blen);
	return hdr + blen;
}

/* From the key's prepared context when there is one. */
static bool verify_init(EVP_MD_CTX *ctx, const wic_key_t *k, unsigned alg)
{
	const EVP_MD_CTX *tmpl = wic_key_verify_template(k, alg);

	if(tmpl)
		return EVP_MD_CTX_copy_ex(ctx, tmpl) == 1;
	return wic_digest_verify_init(ctx, k, alg) == 1;
}

static bool verify_pkey(const wic_key_t *k, unsigned alg,
		const unsigned char *data, size_t dlen, const unsigned char *sig,
		size_t siglen)
{
	unsigned char der[3 + 2 * (2 + 1 + 66)];
	EVP_MD_CTX *ctx;
	bool ok = false;

	if(k->type == WIC_KEY_EC) {
		siglen = ecdsa_raw_to_der(alg, sig, siglen, der);
		if(siglen == 0)
			return false;
		sig = der;
	}
	ctx = EVP_MD_CTX_new();
	if(!ctx || !verify_init(ctx, k, alg))
		goto out;
	/* one use only: lets OpenSSL skip duplicating the context at final */
	EVP_MD_CTX_set_flags(ctx, EVP_MD_CTX_FLAG_FINALISE);
	ok = EVP_DigestVerify(ctx, sig, siglen, data, dlen) == 1;
out:
	EVP_MD_CTX_free(ctx);
	return ok;
}

static bool jws_signature_ok(const jws_t *j, const wic_key_t *k, unsigned alg)
{
	/* the signing input is the token text up to the second dot */
	const unsigned char *data = (const unsigned char *)j->seg[0];
	size_t dlen = j->seglen[0] + 1 + j->seglen[1];
	bool ok;

	if(!(k->algs & alg))
		return false; /* pick_key guarantees it; never rely on alg alone */
	if(k->type == WIC_KEY_HMAC)
		ok = verify_hmac(k, alg, data, dlen, j->sig, j->siglen);
	else
		ok = verify_pkey(k, alg, data, dlen, j->sig, j->siglen);
	if(!ok)
		ERR_clear_error(); /* leave no stale errors for the TLS layer */
	return ok;
}

/* ---------------------------------------------------------------------- */
/* Claims                                                                  */
/* ---------------------------------------------------------------------- */

/* NumericDate claim: 0 absent, 1 present (value in *v), -1 wrong type. */
static int numeric_date(json_t *claims, const char *name, long *v)
{
	json_t *n = json_object_get(claims, name);
	double d;

	if(!n)
		return 0;
	if(json_is_integer(n)) {
		json_int_t i = json_integer_value(n);
		if(i > (json_int_t)WIC_TIME_LIMIT || i < -(json_int_t)WIC_TIME_LIMIT)
			return -1;
		*v = (long)i;
		return 1;
	}
	if(!json_is_real(n))
		return -1;
	d = json_real_value(n);
	if(!isfinite(d) || d > WIC_TIME_LIMIT || d < -WIC_TIME_LIMIT)
		return -1;
	*v = (long)d; /* toward zero: same as floor for real dates */
	return 1;
}

/* RFC 8725 2.9 / 3.10: a stolen bearer token is good until exp, so its
 * lifetime is bounded both as issued (exp - iat) and as left (exp - now,
 * with the leeway for clock skew). Sums only: |values| <= 2^62. */
static wic_tok_status_t check_lifetime(const wic_token_t *t, int has_iat,
		long now, long lw, long max, char *why, size_t whylen)
{
	if(has_iat && t->exp > t->iat + max) {
		wic_why(why, whylen, "token lifetime exp - iat above the %ld s limit",
				max);
		return WIC_TOK_LIFETIME;
	}
	if(t->exp > now + max + lw) {
		wic_why(why, whylen, "token exp is %ld s away (limit %ld)",
				t->exp - now, max);
		return WIC_TOK_LIFETIME;
	}
	return WIC_TOK_OK;
}

static wic_tok_status_t check_times(json_t *claims, time_t now, unsigned leeway,
		unsigned max_lifetime, wic_token_t *out, char *why, size_t whylen)
{
	long t = (long)now, lw = (long)leeway;
	int has_exp = numeric_date(claims, "exp", &out->exp);
	int has_nbf = numeric_date(claims, "nbf", &out->nbf);
	int has_iat = numeric_date(claims, "iat", &out->iat);

	if(has_exp <= 0 || has_nbf < 0 || has_iat < 0) {
		wic_why(why, whylen, "exp missing, or exp/nbf/iat not a number");
		return WIC_TOK_CLAIMS;
	}
	/* written so that no sum can overflow: |values| <= 2^62 */
	if(out->exp <= t - lw) {
		wic_why(why, whylen, "token expired %ld s ago", t - out->exp);
		return WIC_TOK_EXPIRED;
	}
	if(has_nbf && out->nbf - t > lw) {
		wic_why(why, whylen, "token nbf is %ld s in the future", out->nbf - t);
		return WIC_TOK_NOT_YET_VALID;
	}
	if(has_iat && out->iat - t > lw) {
		wic_why(why, whylen, "token iat is %ld s in the future", out->iat - t);
		return WIC_TOK_NOT_YET_VALID;
	}
	return check_lifetime(out, has_iat, t, lw, (long)max_lifetime, why, whylen);
}

/* Drops a leading "application/" when no other '/' follows it. */
static void typ_short_form(const char **s, size_t *len)
{
	static const char app[] = "application/";
	const size_t alen = sizeof(app) - 1;

	if(*len > alen && strncasecmp(*s, app, alen) == 0
			&& !memchr(*s + alen, '/', *len - alen)) {
		*s += alen;
		*len -= alen;
	}
}

bool wic_typ_equal(const char *a, size_t alen, const char *b, size_t blen)
{
	if(!a || !b)
		return false;
	typ_short_form(&a, &alen);
	typ_short_form(&b, &blen);
	return alen == blen && alen > 0 && strncasecmp(a, b, alen) == 0
		   && !memchr(a, '\0', alen) && !memchr(b, '\0', blen);
}

/* RFC 8725 3.11: a WWSF that types its tokens lets us refuse other JWTs
 * signed with the same key (ID tokens, access tokens of other services). */
static wic_tok_status_t check_typ(
		const jws_t *j, const wic_wwsf_t *w, char *why, size_t whylen)
{
	json_t *typ = json_object_get(j->header, "typ");

	if(!w->required_typ)
		return WIC_TOK_OK;
	if(!json_is_string(typ)
			|| !wic_typ_equal(json_string_value(typ), json_string_length(typ),
					w->required_typ, strlen(w->required_typ))) {
		wic_why(why, whylen, "token typ %s, WWSF %s requires %s",
				json_is_string(typ) ? "differs" : "missing", w->id,
				w->required_typ);
		return WIC_TOK_TYP;
	}
	return WIC_TOK_OK;
}

unsigned wic_token_max_lifetime(const wic_prov_t *prov, const wic_wwsf_t *w)
{
	if(w && w->limits.max_token_lifetime)
		return w->limits.max_token_lifetime;
	if(prov && prov->max_token_lifetime)
		return prov->max_token_lifetime;
	return WIC_DEFAULT_MAX_LIFETIME;
}

static bool json_str_eq(json_t *s, const char *want, size_t wlen)
{
	return json_is_string(s) && json_string_length(s) == wlen
		   && memcmp(json_string_value(s), want, wlen) == 0;
}

/* aud is a string or an array of strings (RFC 7519 4.1.3). */
static wic_tok_status_t check_audience(
		json_t *claims, const char *want, char *why, size_t whylen)
{
	json_t *aud = json_object_get(claims, "aud");
	size_t i, wlen;

	if(!want) {
		wic_why(why, whylen, "no audience configured");
		return WIC_TOK_AUDIENCE;
	}
	wlen = strlen(want);
	if(json_str_eq(aud, want, wlen))
		return WIC_TOK_OK;
	for(i = 0; json_is_array(aud) && i < json_array_size(aud); i++) {
		if(json_str_eq(json_array_get(aud, i), want, wlen))
			return WIC_TOK_OK;
	}
	wic_why(why, whylen, "token aud does not contain %s", want);
	return WIC_TOK_AUDIENCE;
}

static char *dup_json_str(json_t *s)
{
	return wic_strndup(json_string_value(s), json_string_length(s));
}

/* impu: a non-empty string or a non-empty array of non-empty strings. */
static int copy_impus(json_t *v, wic_token_t *out)
{
	size_t i, n = json_is_array(v) ? json_array_size(v) : 1;

	if(!json_is_string(v) && !(json_is_array(v) && n > 0))
		return -1;
	out->impu = wic_calloc(n, sizeof(char *));
	if(!out->impu)
		return -1;
	for(i = 0; i < n; i++) {
		json_t *s = json_is_array(v) ? json_array_get(v, i) : v;
		if(!json_is_string(s) || json_string_length(s) == 0
				|| strlen(json_string_value(s)) != json_string_length(s))
			return -1; /* also refuses embedded NULs */
		out->impu[i] = dup_json_str(s);
		if(!out->impu[i])
			return -1;
		out->n_impu = i + 1;
	}
	return 0;
}

/* Optional string claim: absent is fine, another type is not. */
static int copy_opt_str(json_t *claims, const char *name, char **dst)
{
	json_t *v = json_object_get(claims, name);

	if(!v)
		return 0;
	if(!json_is_string(v)
			|| strlen(json_string_value(v)) != json_string_length(v))
		return -1;
	*dst = dup_json_str(v);
	return *dst ? 0 : -1;
}

static const char *claim_name(const char *configured, const char *dflt)
{
	return configured ? configured : dflt;
}

static wic_tok_status_t copy_claims(const wic_prov_t *prov, json_t *claims,
		wic_token_t *out, char *why, size_t whylen)
{
	const wic_claim_names_t *cn = &prov->claims;
	json_t *anon = json_object_get(claims, claim_name(cn->anon, "anon"));

	if(copy_impus(json_object_get(claims, claim_name(cn->impu, "impu")), out)
			< 0) {
		wic_why(why, whylen, "impu claim missing or not string(s)");
		return WIC_TOK_CLAIMS;
	}
	if(copy_opt_str(claims, claim_name(cn->impi, "impi"), &out->impi) < 0
			|| copy_opt_str(claims, claim_name(cn->range, "range"), &out->range)
					   < 0
			|| (anon && !json_is_boolean(anon))) {
		wic_why(why, whylen, "impi/range/anon claim of the wrong type");
		return WIC_TOK_CLAIMS;
	}
	out->anon = anon && json_is_true(anon);
	return WIC_TOK_OK;
}

/* iss names a configured WWSF. */
static wic_tok_status_t find_issuer(const wic_prov_t *prov, json_t *claims,
		wic_token_t *out, char *why, size_t whylen)
{
	json_t *iss = json_object_get(claims, "iss");

	if(!json_is_string(iss)) {
		wic_why(why, whylen, "token iss missing or not a string");
		return WIC_TOK_ISSUER;
	}
	out->wwsf = wic_prov_wwsf_by_issuer(
			prov, json_string_value(iss), json_string_length(iss));
	if(!out->wwsf) {
		wic_why(why, whylen, "token iss is not a configured WWSF issuer");
		return WIC_TOK_ISSUER;
	}
	out->iss = dup_json_str(iss);
	if(!out->iss) {
		wic_why(why, whylen, "out of memory");
		return WIC_TOK_ISSUER;
	}
	return WIC_TOK_OK;
}

static wic_tok_status_t verify_parsed(const wic_prov_t *prov, jws_t *j,
		time_t now, wic_sig_mode_t mode, wic_token_t *out, char *why,
		size_t whylen)
{
	const wic_key_t *key = NULL;
	const char *kid = NULL;
	unsigned alg = 0;
	wic_tok_status_t st;

	if((st = jws_header(j, &alg, &kid, why, whylen)) != WIC_TOK_OK
			|| (st = find_issuer(prov, j->claims, out, why, whylen))
					   != WIC_TOK_OK
			|| (st = pick_key(out->wwsf, kid, alg, &key, why, whylen))
					   != WIC_TOK_OK)
		return st;
	if(mode == WIC_VERIFY_SIGNATURE && !jws_signature_ok(j, key, alg)) {
		wic_why(why, whylen, "token signature invalid (WWSF %s, %s)",
				out->wwsf->id, wic_alg_name(alg));
		return WIC_TOK_SIGNATURE;
	}
	if((st = check_typ(j, out->wwsf, why, whylen)) != WIC_TOK_OK
			|| (st = check_times(j->claims, now, prov->leeway,
						wic_token_max_lifetime(prov, out->wwsf), out, why,
						whylen))
					   != WIC_TOK_OK
			|| (st = check_audience(j->claims,
						out->wwsf->audience ? out->wwsf->audience
											: prov->audience,
						why, whylen))
					   != WIC_TOK_OK)
		return st;
	return copy_claims(prov, j->claims, out, why, whylen);
}

wic_tok_status_t wic_token_verify(const wic_prov_t *prov, const char *tok,
		size_t len, time_t now, wic_sig_mode_t mode, wic_token_t *out,
		char *why, size_t whylen)
{
	unsigned char stackbuf[WIC_STACK_DECODE];
	unsigned max;
	jws_t j = {0};
	wic_tok_status_t st;

	why_plain(why, whylen, "ok");
	if(!out)
		return WIC_TOK_MALFORMED;
	memset(out, 0, sizeof(*out));
	if(!prov || !tok) {
		wic_why(why, whylen, "no token");
		return WIC_TOK_MALFORMED;
	}
	max = prov->max_token_size ? prov->max_token_size : WIC_DEFAULT_MAX_TOKEN;
	if(len == 0 || len > max) {
		wic_why(why, whylen, "token of %zu bytes (limit %u)", len, max);
		return WIC_TOK_MALFORMED;
	}
	st = jws_parse(tok, len, &j, stackbuf, sizeof(stackbuf), why, whylen);
	if(st == WIC_TOK_OK)
		st = verify_parsed(prov, &j, now, mode, out, why, whylen);
	jws_release(&j);
	if(st != WIC_TOK_OK)
		wic_token_clear(out); /* failure leaves nothing behind */
	return st;
}

void wic_token_clear(wic_token_t *t)
{
	size_t i;

	if(!t)
		return;
	wic_free(t->iss);
	for(i = 0; t->impu && i < t->n_impu; i++)
		wic_free(t->impu[i]);
	wic_free(t->impu);
	wic_free(t->impi);
	wic_free(t->range);
	memset(t, 0, sizeof(*t));
}
