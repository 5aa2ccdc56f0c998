/*
 * SPDX-License-Identifier: GPL-2.0-or-later
 * Copyright (C) 2026 the ims_wic authors
 *
 * ims_wic - WWSF provisioning loader.
 *
 * File format (JSON, UTF-8; see kamailio-cfg/wwsf-provisioning.example.json):
 *
 * {
 *   "audience": "epcscf.lab",   required: "aud" of tokens must contain it
 *   "max_token_size": 8192,     optional, bytes, 128..65536
 *   "leeway": 30,               optional, s, 0..3600
 *   "max_token_lifetime": 86400, optional, s, 60..2592000: longest
 *                               exp - iat and exp - now of a token
 *   "claims": {                 optional claim names (renames)
 *     "impu": "impu", "impi": "impi", "range": "range", "anon": "anon" },
 *   "wwsfs": [ {                required, at least one
 *     "id": "demo",             required, 1..63 of [A-Za-z0-9._-], unique
 *     "origins": ["https://wwsf.example.com", "http://127.0.0.1:8000"],
 *                               required, exact scheme://host[:port] with
 *                               scheme http or https; scheme and host are
 *                               compared case-insensitively; unique across
 *                               the file
 *     "issuers": ["https://wwsf.example.com"],
 *                               required, compared exactly; unique across
 *                               the file
 *     "audience": "...",        optional, overrides the top-level one
 *     "required_typ": "JWT",    optional: the typ header its tokens must
 *                               carry, compared case-insensitively with
 *                               "application/" optional (RFC 7515 4.1.9)
 *     "allow_hmac": false,      optional: true allows shared secrets
 *                               ("hmac" keys, oct JWKs); default false
 *     "keys": [                 required, at least one; each exactly one of
 *       {"pem": "keys/demo-es256.pub.pem", "kid": "demo-1", "algs": ["ES256"]},
 *       {"jwks": "keys/demo.jwks.json", "algs": ["RS256", "ES256"]},
 *       {"hmac": "<base64url secret>", "kid": "h1", "algs": ["HS256"]} ],
 *                               relative paths are relative to this file's
 *                               folder; "kid" not with "jwks" (the JWKS
 *                               names its keys); "algs" optional (default:
 *                               every algorithm the key supports); an
 *                               HMAC secret has at least 32 bytes, and at
 *                               least the hash size of each alg listed
 *                               (RFC 7518 3.2); a kid names one key of the
 *                               WWSF (a duplicate is an error); JWKS files
 *                               hold public keys only
 *     "ranges": [ {             required, at least one
 *       "wildcard": "sip:demo!.*!@wwsf.lab",  required, unique in the file
 *       "distinct_pui": "sip:demo@wwsf.lab",  required, not wildcarded,
 *                               sip:/sips:/tel:, unique in the file (it
 *                               keys the range registration state)
 *       "impi": "demo@wwsf.lab",              required
 *       "trigger": "startup",   optional (default "startup"): "startup",
 *                               "on-demand", "token" or an array of these
 *       "linger": 60,           optional, s, 0..86400
 *       "expires": 3600 } ],    optional, s, 60..86400
 *     "limits": {               optional
 *       "max_contacts_per_impu": 5,   1..100, default 5
 *       "max_expires": 3600,          60..86400, default 3600
 *       "max_token_lifetime": 3600 }  60..2592000, default: the file's
 *   } ]
 * }
 *
 * Unknown keys are refused at every level so that typos do not silently
 * fall back to defaults. Every error names the file and the JSON path:
 * "prov.json: wwsfs[0].ranges[1].trigger: unknown trigger 'sometimes'",
 * or the line for JSON syntax: "prov.json: line 7: <jansson text>".
 *
 * Everything is allocated with malloc: the provisioning is per-process
 * configuration (each Kamailio process parses its own copy of the bytes
 * the reloading process read, see wic_bundle.h), not shm.
 */
#include "wic_prov.h"
#include "wic_mem.h"
#include "wic_index.h"
#include "wic_text.h"

#include <jansson.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#define WIC_PROV_ID_MAX 63
#define WIC_PROV_LIFETIME_MAX 2592000 /* 30 days */
#define WIC_PROV_LIFETIME_DEFAULT 86400
/* JSON paths are built from our own key names and indices only. */
#define WIC_JPATH_MAX 128

typedef struct loader
{
	wic_bundle_t *bytes;  /* where files are read from (and kept) */
	OSSL_LIB_CTX *libctx; /* the keys' */
	bool defer_keys;	  /* WIC_PROV_DEFER_KEYS */
	const char *file;	  /* as given, for messages */
	char *dir;			  /* folder of the file, for relative key paths */
	char *err;
	size_t errlen;
} loader_t;

/* ---------------------------------------------------------------- errors */

/* "<file>: <jpath>: <reason>" (jpath may be empty). Always returns -1. */
static int fail(const loader_t *ld, const char *jpath, const char *fmt, ...)
		__attribute__((format(printf, 3, 4)));

static int fail(const loader_t *ld, const char *jpath, const char *fmt, ...)
{
	if(ld->err == NULL || ld->errlen == 0)
		return -1;
	int n = snprintf(ld->err, ld->errlen, "%s: %s%s", ld->file, jpath,
			jpath[0] != '\0' ? ": " : "");
	if(n < 0 || (size_t)n >= ld->errlen)
		return -1;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(ld->err + n, ld->errlen - (size_t)n, fmt, ap);
	va_end(ap);
	return -1;
}

/* A JSON path only names a field in an error message: a cut one is fine. */
static void sub_path(char *out, const char *parent, const char *key)
{
	if(snprintf(out, WIC_JPATH_MAX, "%s%s%s", parent,
			   parent[0] != '\0' ? "." : "", key)
			< 0)
		out[0] = '\0';
}

static void index_path(char *out, const char *parent, size_t i)
{
	if(snprintf(out, WIC_JPATH_MAX, "%s[%zu]", parent, i) < 0)
		out[0] = '\0';
}

/* ------------------------------------------------------- string helpers */


static void ascii_lower(char *s)
{
	for(; *s != '\0'; s++) {
		if(*s >= 'A' && *s <= 'Z')
			*s = (char)(*s - 'A' + 'a');
	}
}

static bool str_eq_n(const char *stored, const char *s, size_t len)
{
	return strlen(stored) == len && memcmp(stored, s, len) == 0;
}

static char *dup_or_fail(const loader_t *ld, const char *jpath, const char *s)
{
	char *d = wic_strdup(s);
	if(d == NULL)
		fail(ld, jpath, "out of memory");
	return d;
}

/* Folder of a file path: "a/b.json" -> "a", "b.json" -> ".", "/b" -> "/". */
static char *folder_of(const char *path)
{
	const char *slash = strrchr(path, '/');
	if(slash == NULL)
		return wic_strdup(".");
	if(slash == path)
		return wic_strdup("/");
	return wic_strndup(path, (size_t)(slash - path));
}

static char *resolve_path(const loader_t *ld, const char *rel)
{
	if(rel[0] == '/')
		return wic_strdup(rel);
	size_t n = strlen(ld->dir) + 1 + strlen(rel) + 1;
	char *full = wic_malloc(n);
	if(full != NULL)
		snprintf(full, n, "%s/%s", ld->dir, rel);
	return full;
}

/* --------------------------------------------------------- JSON helpers */

/* Refuses keys of obj not in allowed (NULL-terminated). */
static int check_keys(const loader_t *ld, json_t *obj, const char *jpath,
		const char *const *allowed)
{
	const char *key;
	json_t *val;
	json_object_foreach(obj, key, val)
	{
		bool known = false;
		for(size_t i = 0; allowed[i] != NULL && !known; i++)
			known = strcmp(key, allowed[i]) == 0;
		if(!known)
			return fail(ld, jpath, "unknown key '%.64s'", key);
	}
	return 0;
}

/* Non-empty string member. *out NULL when absent and not required. */
static int get_string(const loader_t *ld, json_t *obj, const char *key,
		const char *parent, bool required, char **out)
{
	char jpath[WIC_JPATH_MAX];
	json_t *v = json_object_get(obj, key);

	*out = NULL;
	sub_path(jpath, parent, key);
	if(v == NULL)
		return required ? fail(ld, jpath, "missing") : 0;
	if(!json_is_string(v))
		return fail(ld, jpath, "not a string");
	if(json_string_length(v) == 0)
		return fail(ld, jpath, "empty string");
	*out = dup_or_fail(ld, jpath, json_string_value(v));
	return *out != NULL ? 0 : -1;
}

static int get_uint(const loader_t *ld, json_t *obj, const char *key,
		const char *parent, unsigned def, unsigned min, unsigned max,
		unsigned *out)
{
	char jpath[WIC_JPATH_MAX];
	json_t *v = json_object_get(obj, key);

	sub_path(jpath, parent, key);
	*out = def;
	if(v == NULL)
		return 0;
	if(!json_is_integer(v))
		return fail(ld, jpath, "not an integer");
	json_int_t n = json_integer_value(v);
	if(n < (json_int_t)min || n > (json_int_t)max)
		return fail(ld, jpath,
				"%" JSON_INTEGER_FORMAT " out of range "
				"%u..%u",
				n, min, max);
	*out = (unsigned)n;
	return 0;
}

static int get_bool(const loader_t *ld, json_t *obj, const char *key,
		const char *parent, bool *out)
{
	char jpath[WIC_JPATH_MAX];
	json_t *v = json_object_get(obj, key);

	sub_path(jpath, parent, key);
	*out = false;
	if(v == NULL)
		return 0;
	if(!json_is_boolean(v))
		return fail(ld, jpath, "not true or false");
	*out = json_is_true(v);
	return 0;
}

/* Required non-empty array member. */
static int get_array(const loader_t *ld, json_t *obj, const char *key,
		const char *parent, json_t **out)
{
	char jpath[WIC_JPATH_MAX];
	json_t *v = json_object_get(obj, key);

	sub_path(jpath, parent, key);
	*out = v;
	if(v == NULL)
		return fail(ld, jpath, "missing");
	if(!json_is_array(v))
		return fail(ld, jpath, "not an array");
	if(json_array_size(v) == 0)
		return fail(ld, jpath, "empty array");
	return 0;
}

/* Element i of an array, which must be a non-empty string. */
static const char *array_string(
		const loader_t *ld, json_t *arr, size_t i, const char *jpath)
{
	json_t *v = json_array_get(arr, i);
	if(!json_is_string(v)) {
		fail(ld, jpath, "not a string");
		return NULL;
	}
	if(json_string_length(v) == 0) {
		fail(ld, jpath, "empty string");
		return NULL;
	}
	return json_string_value(v);
}

/* Required non-empty array of non-empty strings, copied. */
static int get_string_list(const loader_t *ld, json_t *obj, const char *key,
		const char *parent, char ***out, size_t *n)
{
	char jpath[WIC_JPATH_MAX], epath[WIC_JPATH_MAX];
	json_t *arr;

	if(get_array(ld, obj, key, parent, &arr) < 0)
		return -1;
	sub_path(jpath, parent, key);
	*out = wic_calloc(json_array_size(arr), sizeof(**out));
	if(*out == NULL)
		return fail(ld, jpath, "out of memory");
	*n = json_array_size(arr);
	for(size_t i = 0; i < *n; i++) {
		index_path(epath, jpath, i);
		const char *s = array_string(ld, arr, i, epath);
		if(s == NULL || ((*out)[i] = dup_or_fail(ld, epath, s)) == NULL)
			return -1;
	}
	return 0;
}

/* --------------------------------------------------------------- origins */

static size_t host_length(const char *h)
{
	size_t n = 0;
	if(h[0] == '[') {
		/* IPv6 literal */
		n = 1;
		while(h[n] != '\0' && h[n] != ']'
				&& (strchr("0123456789abcdefABCDEF:.", h[n]) != NULL))
			n++;
		return h[n] == ']' && n > 1 ? n + 1 : 0;
	}
	while((h[n] >= 'a' && h[n] <= 'z') || (h[n] >= 'A' && h[n] <= 'Z')
			|| (h[n] >= '0' && h[n] <= '9') || h[n] == '-' || h[n] == '.')
		n++;
	return n;
}

static bool port_is_valid(const char *p)
{
	unsigned long v = 0;
	size_t n = 0;
	for(; p[n] >= '0' && p[n] <= '9' && n < 6; n++)
		v = v * 10 + (unsigned long)(p[n] - '0');
	return n > 0 && p[n] == '\0' && v >= 1 && v <= 65535;
}

/* scheme://host[:port] with scheme http or https, nothing else: a
 * browser's Origin header never carries a path or a trailing '/'. */
static bool origin_is_valid(const char *o)
{
	size_t skip;
	/* ascii_caseeq stops at the first difference, so at o's NUL */
	if(wic_ascii_caseeq(o, "https://", 8))
		skip = 8;
	else if(wic_ascii_caseeq(o, "http://", 7))
		skip = 7;
	else
		return false;
	const char *host = o + skip;
	size_t hlen = host_length(host);
	if(hlen == 0)
		return false;
	if(host[hlen] == '\0')
		return true;
	return host[hlen] == ':' && port_is_valid(host + hlen + 1);
}

static int check_origins(const loader_t *ld, wic_wwsf_t *w, const char *parent)
{
	char jpath[WIC_JPATH_MAX], epath[WIC_JPATH_MAX];

	sub_path(jpath, parent, "origins");
	for(size_t i = 0; i < w->n_origins; i++) {
		index_path(epath, jpath, i);
		if(!origin_is_valid(w->origins[i]))
			return fail(ld, epath,
					"'%.200s' is not scheme://host[:port] "
					"(http or https)",
					w->origins[i]);
		/* lower-case once so that lookups compare like the browser */
		ascii_lower(w->origins[i]);
	}
	return 0;
}

/* ------------------------------------------------------------------ keys */


static int get_algs(
		const loader_t *ld, json_t *key, const char *parent, unsigned *algs)
{
	char jpath[WIC_JPATH_MAX], epath[WIC_JPATH_MAX];
	json_t *arr;

	*algs = 0;
	if(json_object_get(key, "algs") == NULL)
		return 0;
	if(get_array(ld, key, "algs", parent, &arr) < 0)
		return -1;
	sub_path(jpath, parent, "algs");
	for(size_t i = 0; i < json_array_size(arr); i++) {
		index_path(epath, jpath, i);
		const char *name = array_string(ld, arr, i, epath);
		if(name == NULL)
			return -1;
		unsigned a = wic_alg_from_name(name, strlen(name));
		if(a == 0)
			return fail(ld, epath, "unknown algorithm '%.32s'", name);
		*algs |= a;
	}
	return 0;
}

static int add_hmac_key(const loader_t *ld, wic_keyset_t *ks,
		const char *secret_text, const char *kid, unsigned algs,
		const char *jpath)
{
	char kerr[256] = "";
	size_t len = 0;
	unsigned char *secret =
			wic_b64url_decode_alloc(secret_text, strlen(secret_text), &len);

	if(secret == NULL)
		return fail(ld, jpath, "hmac: not base64url (unpadded)");
	int rc = 0;
	if((ld->defer_keys ? wic_keyset_defer(ks, WIC_SOURCE_HMAC, NULL, secret,
				len, kid, algs, kerr, sizeof(kerr))
					   : wic_keyset_add_hmac(
							   ks, secret, len, kid, algs, kerr, sizeof(kerr)))
			< 0)
		rc = fail(ld, jpath, "%s", kerr);
	OPENSSL_cleanse(secret, len);
	wic_free(secret);
	return rc;
}

static int add_file_key(const loader_t *ld, wic_keyset_t *ks, const char *file,
		bool is_jwks, const char *kid, unsigned algs, const char *jpath)
{
	char kerr[512] = "";
	const unsigned char *data;
	size_t len;
	char *full = resolve_path(ld, file);
	if(full == NULL)
		return fail(ld, jpath, "out of memory");
	int rc = wic_bundle_get(
			ld->bytes, full, WIC_KEY_FILE_MAX, &data, &len, kerr, sizeof(kerr));
	if(rc == 0 && ld->defer_keys)
		rc = wic_keyset_defer(ks, is_jwks ? WIC_SOURCE_JWKS : WIC_SOURCE_PEM,
				full, data, len, kid, algs, kerr, sizeof(kerr));
	else if(rc == 0)
		rc = is_jwks ? wic_keyset_add_jwks_data(
					 ks, full, data, len, algs, kerr, sizeof(kerr))
					 : wic_keyset_add_pem_data(ks, full, data, len, kid, algs,
							 kerr, sizeof(kerr));
	wic_free(full);
	return rc < 0 ? fail(ld, jpath, "%s", kerr) : 0;
}

static int parse_key(
		const loader_t *ld, json_t *key, const char *jpath, wic_keyset_t *ks)
{
	static const char *const allowed[] = {
			"pem", "jwks", "hmac", "kid", "algs", NULL};
	char *pem = NULL, *jwks = NULL, *hmac = NULL, *kid = NULL;
	unsigned algs = 0;
	int rc = -1;

	if(!json_is_object(key))
		return fail(ld, jpath, "not an object");
	if(check_keys(ld, key, jpath, allowed) < 0
			|| get_string(ld, key, "pem", jpath, false, &pem) < 0
			|| get_string(ld, key, "jwks", jpath, false, &jwks) < 0
			|| get_string(ld, key, "hmac", jpath, false, &hmac) < 0
			|| get_string(ld, key, "kid", jpath, false, &kid) < 0
			|| get_algs(ld, key, jpath, &algs) < 0)
		goto out;
	if((pem != NULL) + (jwks != NULL) + (hmac != NULL) != 1) {
		fail(ld, jpath, "exactly one of 'pem', 'jwks', 'hmac' needed");
		goto out;
	}
	if(jwks != NULL && kid != NULL) {
		fail(ld, jpath,
				"'kid' not allowed with 'jwks' (the JWKS names "
				"its keys)");
		goto out;
	}
	if(hmac != NULL)
		rc = add_hmac_key(ld, ks, hmac, kid, algs, jpath);
	else
		rc = add_file_key(ld, ks, pem != NULL ? pem : jwks, jwks != NULL, kid,
				algs, jpath);
out:
	if(hmac != NULL)
		OPENSSL_cleanse(hmac, strlen(hmac));
	wic_free(pem);
	wic_free(jwks);
	wic_free(hmac);
	wic_free(kid);
	return rc;
}

static int parse_keys(
		const loader_t *ld, json_t *wj, const char *parent, wic_keyset_t *ks)
{
	char jpath[WIC_JPATH_MAX], epath[WIC_JPATH_MAX];
	json_t *arr;

	if(get_array(ld, wj, "keys", parent, &arr) < 0)
		return -1;
	sub_path(jpath, parent, "keys");
	for(size_t i = 0; i < json_array_size(arr); i++) {
		index_path(epath, jpath, i);
		if(parse_key(ld, json_array_get(arr, i), epath, ks) < 0)
			return -1;
	}
	return 0;
}

/* ---------------------------------------------------------------- ranges */

static int trigger_of(
		const loader_t *ld, const char *name, const char *jpath, unsigned *bits)
{
	if(strcmp(name, "startup") == 0)
		*bits |= WIC_TRIGGER_STARTUP;
	else if(strcmp(name, "on-demand") == 0)
		*bits |= WIC_TRIGGER_ON_DEMAND;
	else if(strcmp(name, "token") == 0)
		*bits |= WIC_TRIGGER_TOKEN;
	else
		return fail(ld, jpath, "unknown trigger '%.32s'", name);
	return 0;
}

static int parse_triggers(
		const loader_t *ld, json_t *rj, const char *parent, unsigned *bits)
{
	char jpath[WIC_JPATH_MAX], epath[WIC_JPATH_MAX];
	json_t *v = json_object_get(rj, "trigger");

	sub_path(jpath, parent, "trigger");
	*bits = 0;
	if(v == NULL) {
		*bits = WIC_TRIGGER_STARTUP;
		return 0;
	}
	if(json_is_string(v))
		return trigger_of(ld, json_string_value(v), jpath, bits);
	if(!json_is_array(v))
		return fail(ld, jpath, "not a string or an array");
	if(json_array_size(v) == 0)
		return fail(ld, jpath, "empty array");
	for(size_t i = 0; i < json_array_size(v); i++) {
		index_path(epath, jpath, i);
		const char *name = array_string(ld, v, i, epath);
		if(name == NULL || trigger_of(ld, name, epath, bits) < 0)
			return -1;
	}
	return 0;
}

static bool has_uri_scheme(const char *s)
{
	return wic_ascii_caseeq(s, "sip:", 4) || wic_ascii_caseeq(s, "sips:", 5)
		   || wic_ascii_caseeq(s, "tel:", 4);
}

static int check_distinct_pui(
		const loader_t *ld, const char *pui, const char *parent)
{
	char jpath[WIC_JPATH_MAX];
	sub_path(jpath, parent, "distinct_pui");
	if(wic_pui_is_wildcarded(pui, strlen(pui)))
		return fail(ld, jpath, "must not be wildcarded");
	for(const char *c = pui; *c != '\0'; c++) {
		if((unsigned char)*c <= ' ' || *c == '<' || *c == '>')
			return fail(ld, jpath, "not a bare URI");
	}
	if(!has_uri_scheme(pui))
		return fail(ld, jpath, "unknown scheme (sip:, sips: or tel:)");
	return 0;
}

static int compile_wildcard(
		const loader_t *ld, wic_range_t *r, const char *parent)
{
	char jpath[WIC_JPATH_MAX], perr[256] = "";
	sub_path(jpath, parent, "wildcard");
	if(wic_pui_range_compile(
			   r->wildcard, strlen(r->wildcard), &r->pui, perr, sizeof(perr))
			< 0)
		return fail(ld, jpath, "%s", perr);
	return 0;
}

static int parse_range(
		const loader_t *ld, json_t *rj, const char *jpath, wic_range_t *r)
{
	static const char *const allowed[] = {"wildcard", "distinct_pui", "impi",
			"trigger", "linger", "expires", NULL};

	if(!json_is_object(rj))
		return fail(ld, jpath, "not an object");
	if(check_keys(ld, rj, jpath, allowed) < 0
			|| get_string(ld, rj, "wildcard", jpath, true, &r->wildcard) < 0
			|| compile_wildcard(ld, r, jpath) < 0
			|| get_string(ld, rj, "distinct_pui", jpath, true, &r->distinct_pui)
					   < 0
			|| check_distinct_pui(ld, r->distinct_pui, jpath) < 0
			|| get_string(ld, rj, "impi", jpath, true, &r->impi) < 0
			|| parse_triggers(ld, rj, jpath, &r->triggers) < 0
			|| get_uint(ld, rj, "linger", jpath, 60, 0, 86400, &r->linger) < 0
			|| get_uint(ld, rj, "expires", jpath, 3600, 60, 86400, &r->expires)
					   < 0)
		return -1;
	return 0;
}

static int parse_ranges(
		const loader_t *ld, json_t *wj, const char *parent, wic_wwsf_t *w)
{
	char jpath[WIC_JPATH_MAX], epath[WIC_JPATH_MAX];
	json_t *arr;

	if(get_array(ld, wj, "ranges", parent, &arr) < 0)
		return -1;
	sub_path(jpath, parent, "ranges");
	w->ranges = wic_calloc(json_array_size(arr), sizeof(*w->ranges));
	if(w->ranges == NULL)
		return fail(ld, jpath, "out of memory");
	w->n_ranges = json_array_size(arr);
	for(size_t i = 0; i < w->n_ranges; i++) {
		index_path(epath, jpath, i);
		if(parse_range(ld, json_array_get(arr, i), epath, &w->ranges[i]) < 0)
			return -1;
	}
	return 0;
}

/* ---------------------------------------------------------------- limits */

static int parse_limits(
		const loader_t *ld, json_t *wj, const char *parent, wic_limits_t *lim)
{
	static const char *const allowed[] = {
			"max_contacts_per_impu", "max_expires", "max_token_lifetime", NULL};
	char jpath[WIC_JPATH_MAX];
	json_t *lj = json_object_get(wj, "limits");

	sub_path(jpath, parent, "limits");
	if(lj != NULL && !json_is_object(lj))
		return fail(ld, jpath, "not an object");
	if(lj != NULL && check_keys(ld, lj, jpath, allowed) < 0)
		return -1;
	/* json_object_get(NULL, ...) is NULL: absent limits give defaults */
	if(get_uint(ld, lj, "max_contacts_per_impu", jpath, 5, 1, 100,
			   &lim->max_contacts_per_impu)
					< 0
			|| get_uint(ld, lj, "max_expires", jpath, 3600, 60, 86400,
					   &lim->max_expires)
					   < 0
			|| get_uint(ld, lj, "max_token_lifetime", jpath, 0, 60,
					   WIC_PROV_LIFETIME_MAX, &lim->max_token_lifetime)
					   < 0)
		return -1;
	return 0;
}

/* ----------------------------------------------------------------- WWSFs */

/* A media type is visible ASCII (RFC 6838 4.2); anything else would never
 * equal a typ header. */
static int check_required_typ(
		const loader_t *ld, const wic_wwsf_t *w, const char *parent)
{
	char jpath[WIC_JPATH_MAX];

	if(w->required_typ == NULL)
		return 0;
	sub_path(jpath, parent, "required_typ");
	for(const char *c = w->required_typ; *c != '\0'; c++) {
		if(*c <= ' ' || *c > '~')
			return fail(ld, jpath, "not a media type");
	}
	return 0;
}

static bool id_is_valid(const char *id)
{
	size_t n = 0;
	for(; id[n] != '\0'; n++) {
		char c = id[n];
		if(!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
				   || (c >= '0' && c <= '9') || c == '.' || c == '_'
				   || c == '-'))
			return false;
	}
	return n >= 1 && n <= WIC_PROV_ID_MAX;
}

static int parse_id(
		const loader_t *ld, json_t *wj, const char *parent, wic_wwsf_t *w)
{
	char jpath[WIC_JPATH_MAX];
	if(get_string(ld, wj, "id", parent, true, &w->id) < 0)
		return -1;
	sub_path(jpath, parent, "id");
	if(!id_is_valid(w->id))
		return fail(ld, jpath,
				"'%.80s' is not 1..%d characters of "
				"[A-Za-z0-9._-]",
				w->id, WIC_PROV_ID_MAX);
	return 0;
}

static int parse_wwsf(
		const loader_t *ld, json_t *wj, const char *jpath, wic_wwsf_t *w)
{
	static const char *const allowed[] = {"id", "origins", "issuers",
			"audience", "required_typ", "allow_hmac", "keys", "ranges",
			"limits", NULL};

	if(!json_is_object(wj))
		return fail(ld, jpath, "not an object");
	w->keys.libctx = ld->libctx;
	if(check_keys(ld, wj, jpath, allowed) < 0 || parse_id(ld, wj, jpath, w) < 0
			|| get_string_list(
					   ld, wj, "origins", jpath, &w->origins, &w->n_origins)
					   < 0
			|| check_origins(ld, w, jpath) < 0
			|| get_string_list(
					   ld, wj, "issuers", jpath, &w->issuers, &w->n_issuers)
					   < 0
			|| get_string(ld, wj, "audience", jpath, false, &w->audience) < 0
			|| get_string(
					   ld, wj, "required_typ", jpath, false, &w->required_typ)
					   < 0
			|| check_required_typ(ld, w, jpath) < 0
			|| get_bool(ld, wj, "allow_hmac", jpath, &w->keys.allow_hmac) < 0
			|| parse_keys(ld, wj, jpath, &w->keys) < 0
			|| parse_ranges(ld, wj, jpath, w) < 0
			|| parse_limits(ld, wj, jpath, &w->limits) < 0)
		return -1;
	return 0;
}

/* ------------------------------------------------------------ uniqueness */

/* WWSFs 0 .. n-1 parsed: the first duplicate id, origin, issuer, wildcard
 * or distinct PUI, in the order of a check after each WWSF (its id, then
 * each list, each item against every earlier one). The search sorts
 * (wic_index.c): 10,000 WWSFs cost milliseconds, not a scan per item. */
static int check_unique(const loader_t *ld, const wic_prov_t *p, size_t n)
{
	static const char *const what[] = {
			"WWSF id", "origin", "issuer", "wildcard", "distinct PUI"};
	static const char *const list[] = {
			"id", "origins", "issuers", "ranges", "ranges"};
	static const char *const field[] = {
			"", "", "", ".wildcard", ".distinct_pui"};
	char jpath[WIC_JPATH_MAX];
	wic_dup_t d;
	int rc = wic_index_first_duplicate(p, n, &d);

	if(rc < 0)
		return fail(ld, "wwsfs", "out of memory");
	if(rc == 0)
		return 0;
	const wic_wwsf_t *w = &p->wwsfs[d.wwsf];
	const char *item = d.kind == WIC_DUP_ID		  ? w->id
					   : d.kind == WIC_DUP_ORIGIN ? w->origins[d.item]
					   : d.kind == WIC_DUP_ISSUER ? w->issuers[d.item]
					   : d.kind == WIC_DUP_WILDCARD
							   ? w->ranges[d.item].wildcard
							   : w->ranges[d.item].distinct_pui;
	if(d.kind == WIC_DUP_ID) {
		snprintf(jpath, sizeof(jpath), "wwsfs[%zu].id", d.wwsf);
		return fail(ld, jpath, "duplicate WWSF id '%s'", item);
	}
	snprintf(jpath, sizeof(jpath), "wwsfs[%zu].%s[%zu]%s", d.wwsf, list[d.kind],
			d.item, field[d.kind]);
	return fail(ld, jpath, "duplicate %s '%.200s' (already in WWSF '%s')",
			what[d.kind], item, p->wwsfs[d.owner].id);
}

/* ------------------------------------------------------------- top level */

static int parse_claims(const loader_t *ld, json_t *root, wic_claim_names_t *c)
{
	static const char *const allowed[] = {
			"impu", "impi", "range", "anon", NULL};
	static const char *const names[] = {"impu", "impi", "range", "anon"};
	char **fields[] = {&c->impu, &c->impi, &c->range, &c->anon};
	json_t *cj = json_object_get(root, "claims");

	if(cj != NULL && !json_is_object(cj))
		return fail(ld, "claims", "not an object");
	if(cj != NULL && check_keys(ld, cj, "claims", allowed) < 0)
		return -1;
	for(size_t i = 0; i < 4; i++) {
		if(get_string(ld, cj, names[i], "claims", false, fields[i]) < 0)
			return -1;
		if(*fields[i] == NULL
				&& (*fields[i] = dup_or_fail(ld, "claims", names[i])) == NULL)
			return -1;
	}
	return 0;
}

static int parse_wwsfs(const loader_t *ld, json_t *root, wic_prov_t *p)
{
	char jpath[WIC_JPATH_MAX];
	json_t *arr;

	if(get_array(ld, root, "wwsfs", "", &arr) < 0)
		return -1;
	p->wwsfs = wic_calloc(json_array_size(arr), sizeof(*p->wwsfs));
	if(p->wwsfs == NULL)
		return fail(ld, "wwsfs", "out of memory");
	p->n_wwsfs = json_array_size(arr);
	size_t parsed = 0;
	int rc = 0;
	for(; parsed < p->n_wwsfs && rc == 0; parsed++) {
		index_path(jpath, "wwsfs", parsed);
		rc = parse_wwsf(
				ld, json_array_get(arr, parsed), jpath, &p->wwsfs[parsed]);
	}
	/* a duplicate among the WWSFs before a bad one is reported first, as
	 * a check after each WWSF would have */
	if(check_unique(ld, p, rc == 0 ? parsed : parsed - 1) < 0)
		return -1;
	return rc;
}

static int parse_top(const loader_t *ld, json_t *root, wic_prov_t *p)
{
	static const char *const allowed[] = {"audience", "max_token_size",
			"leeway", "max_token_lifetime", "claims", "wwsfs", NULL};

	if(!json_is_object(root))
		return fail(ld, "", "not a JSON object");
	if(check_keys(ld, root, "", allowed) < 0
			|| get_string(ld, root, "audience", "", true, &p->audience) < 0
			|| get_uint(ld, root, "max_token_size", "", 8192, 128, 65536,
					   &p->max_token_size)
					   < 0
			|| get_uint(ld, root, "leeway", "", 30, 0, 3600, &p->leeway) < 0
			|| get_uint(ld, root, "max_token_lifetime", "",
					   WIC_PROV_LIFETIME_DEFAULT, 60, WIC_PROV_LIFETIME_MAX,
					   &p->max_token_lifetime)
					   < 0
			|| parse_claims(ld, root, &p->claims) < 0
			|| parse_wwsfs(ld, root, p) < 0)
		return -1;
	return 0;
}

static json_t *read_json(const loader_t *ld)
{
	json_error_t jerr;
	const unsigned char *data;
	size_t len;
	char rerr[512];
	if(wic_bundle_get(ld->bytes, ld->file, WIC_BUNDLE_FILE_MAX, &data, &len,
			   rerr, sizeof(rerr))
			< 0) {
		if(ld->err != NULL && ld->errlen > 0)
			snprintf(ld->err, ld->errlen, "%s", rerr);
		return NULL;
	}
	json_t *root =
			json_loadb((const char *)data, len, JSON_REJECT_DUPLICATES, &jerr);
	if(root != NULL)
		return root;
	if(jerr.line > 0 && ld->err != NULL && ld->errlen > 0)
		snprintf(ld->err, ld->errlen, "%s: line %d: %s", ld->file, jerr.line,
				jerr.text);
	else
		fail(ld, "", "%s", jerr.text);
	return NULL;
}

int wic_prov_load(const char *path, wic_bundle_t *bytes, OSSL_LIB_CTX *libctx,
		unsigned flags, wic_prov_t **out, char *err, size_t errlen)
{
	if(out == NULL)
		return -1;
	*out = NULL;
	loader_t ld = {.bytes = bytes,
			.libctx = libctx,
			.defer_keys = (flags & WIC_PROV_DEFER_KEYS) != 0,
			.file = path != NULL ? path : "(null)",
			.err = err,
			.errlen = errlen};
	if(path == NULL || path[0] == '\0')
		return fail(&ld, "", "no provisioning file");
	if(bytes == NULL)
		return fail(&ld, "", "no file source");

	wic_prov_t *p = wic_calloc(1, sizeof(*p));
	ld.dir = folder_of(path);
	if(p == NULL || ld.dir == NULL || (p->path = wic_strdup(path)) == NULL) {
		wic_free(ld.dir);
		wic_prov_free(p);
		return fail(&ld, "", "out of memory");
	}
	json_t *root = read_json(&ld);
	int rc = root != NULL ? parse_top(&ld, root, p) : -1;
	json_decref(root);
	wic_free(ld.dir);
	if(rc == 0 && (p->index = wic_index_build(p)) == NULL)
		rc = fail(&ld, "", "out of memory (lookup indexes)");
	if(rc < 0) {
		wic_prov_free(p);
		return -1;
	}
	*out = p;
	return 0;
}

int wic_prov_load_file(
		const char *path, wic_prov_t **out, char *err, size_t errlen)
{
	wic_bundle_t bytes = {0};
	int rc = wic_prov_load(path, &bytes, NULL, 0, out, err, errlen);

	wic_bundle_clear(&bytes);
	return rc;
}

/* ------------------------------------------------------------------ free */

static void free_list(char **list, size_t n)
{
	for(size_t i = 0; list != NULL && i < n; i++)
		wic_free(list[i]);
	wic_free(list);
}

static void free_range(wic_range_t *r)
{
	wic_free(r->wildcard);
	wic_pui_range_free(r->pui);
	wic_free(r->distinct_pui);
	wic_free(r->impi);
}

static void free_wwsf(wic_wwsf_t *w)
{
	wic_free(w->id);
	free_list(w->origins, w->n_origins);
	free_list(w->issuers, w->n_issuers);
	wic_free(w->audience);
	wic_free(w->required_typ);
	wic_keyset_clear(&w->keys);
	for(size_t i = 0; w->ranges != NULL && i < w->n_ranges; i++)
		free_range(&w->ranges[i]);
	wic_free(w->ranges);
}

void wic_prov_free(wic_prov_t *p)
{
	if(p == NULL)
		return;
	wic_index_free(p->index);
	for(size_t i = 0; p->wwsfs != NULL && i < p->n_wwsfs; i++)
		free_wwsf(&p->wwsfs[i]);
	wic_free(p->wwsfs);
	wic_free(p->path);
	wic_free(p->audience);
	wic_free(p->claims.impu);
	wic_free(p->claims.impi);
	wic_free(p->claims.range);
	wic_free(p->claims.anon);
	wic_free(p);
}

/* --------------------------------------------------------------- lookups */

/* Each lookup goes through the index (wic_index.c) when the provisioning
 * has one; the scans below are the reference it is tested against. */

/* w is one of p's WWSFs (the index knows no other). */
static bool owns(const wic_prov_t *p, const wic_wwsf_t *w)
{
	return w == NULL
		   || (p->n_wwsfs > 0 && w >= p->wwsfs && w < p->wwsfs + p->n_wwsfs);
}

const wic_wwsf_t *wic_prov_wwsf_by_id(const wic_prov_t *p, const char *id)
{
	if(p == NULL || id == NULL)
		return NULL;
	if(p->index != NULL)
		return wic_index_wwsf_by_id(p->index, id, strlen(id));
	for(size_t i = 0; i < p->n_wwsfs; i++) {
		if(strcmp(p->wwsfs[i].id, id) == 0)
			return &p->wwsfs[i];
	}
	return NULL;
}

const wic_wwsf_t *wic_prov_wwsf_by_origin(
		const wic_prov_t *p, const char *origin, size_t len)
{
	if(p == NULL || origin == NULL || len == 0)
		return NULL;
	if(p->index != NULL)
		return wic_index_wwsf_by_origin(p->index, origin, len);
	for(size_t i = 0; i < p->n_wwsfs; i++) {
		const wic_wwsf_t *w = &p->wwsfs[i];
		for(size_t j = 0; j < w->n_origins; j++) {
			/* stored origins hold no NUL and are lower-case: an equal
			 * length and a case-insensitive compare is exact */
			if(strlen(w->origins[j]) == len
					&& wic_ascii_caseeq(w->origins[j], origin, len))
				return w;
		}
	}
	return NULL;
}

const wic_wwsf_t *wic_prov_wwsf_by_issuer(
		const wic_prov_t *p, const char *iss, size_t len)
{
	if(p == NULL || iss == NULL || len == 0)
		return NULL;
	if(p->index != NULL)
		return wic_index_wwsf_by_issuer(p->index, iss, len);
	for(size_t i = 0; i < p->n_wwsfs; i++) {
		const wic_wwsf_t *w = &p->wwsfs[i];
		for(size_t j = 0; j < w->n_issuers; j++) {
			if(str_eq_n(w->issuers[j], iss, len))
				return w;
		}
	}
	return NULL;
}

static const wic_range_t *range_in(
		const wic_wwsf_t *w, const char *impu, size_t len)
{
	for(size_t i = 0; i < w->n_ranges; i++) {
		if(wic_pui_range_match(w->ranges[i].pui, impu, len))
			return &w->ranges[i];
	}
	return NULL;
}

const wic_range_t *wic_prov_range_of(const wic_prov_t *p, const wic_wwsf_t *w,
		const char *impu, size_t len, const wic_wwsf_t **owner)
{
	if(owner != NULL)
		*owner = NULL;
	if(impu == NULL || len == 0 || (w == NULL && p == NULL))
		return NULL;
	if(p != NULL && p->index != NULL && owns(p, w))
		return wic_index_range_of(p->index, w, impu, len, owner);
	size_t n = w != NULL ? 1 : p->n_wwsfs;
	for(size_t i = 0; i < n; i++) {
		const wic_wwsf_t *cand = w != NULL ? w : &p->wwsfs[i];
		const wic_range_t *r = range_in(cand, impu, len);
		if(r != NULL) {
			if(owner != NULL)
				*owner = cand;
			return r;
		}
	}
	return NULL;
}

const wic_range_t *wic_prov_range_by_text(
		const wic_prov_t *p, const wic_wwsf_t *w, const char *text, size_t len)
{
	if(w == NULL || text == NULL || len == 0)
		return NULL;
	if(p != NULL && p->index != NULL && owns(p, w))
		return wic_index_range_by_text(p->index, w, text, len);
	for(size_t i = 0; i < w->n_ranges; i++) {
		if(str_eq_n(w->ranges[i].wildcard, text, len))
			return &w->ranges[i];
	}
	return NULL;
}

const wic_range_t *wic_prov_range_by_pui(const wic_prov_t *p, const char *pui)
{
	if(p == NULL || pui == NULL)
		return NULL;
	if(p->index != NULL)
		return wic_index_range_by_pui(p->index, pui, strlen(pui));
	for(size_t w = 0; w < p->n_wwsfs; w++) {
		for(size_t r = 0; r < p->wwsfs[w].n_ranges; r++) {
			if(strcmp(p->wwsfs[w].ranges[r].distinct_pui, pui) == 0)
				return &p->wwsfs[w].ranges[r];
		}
	}
	return NULL;
}
