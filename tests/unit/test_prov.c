/*
 * SPDX-License-Identifier: GPL-2.0-or-later
 * Copyright (C) 2026 the ims_wic authors
 *
 * Unit tests of wic_prov.c: the WWSF provisioning loader.
 *
 * Fixtures (key files, provisioning files) are generated at test time in a
 * temporary folder; no key material is committed. Error cases start from a
 * valid document and change one JSON path each.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <jansson.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "wic_prov.h"

/* base64url of "0123456789abcdef" twice and three times */
#define HMAC_32 "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY"
#define HMAC_48 "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWYwMTIzNDU2Nzg5YWJjZGVm"

static char tmpdir[PATH_MAX];
static char provpath[PATH_MAX];

/* ------------------------------------------------------------- fixtures */

static void b64url(const unsigned char *in, size_t len, char *out, size_t cap)
{
	static const char digits[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	size_t o = 0;
	unsigned acc = 0, bits = 0;
	for (size_t i = 0; i < len; i++) {
		acc = (acc << 8) | in[i];
		bits += 8;
		while (bits >= 6) {
			bits -= 6;
			assert_true(o + 1 < cap);
			out[o++] = digits[(acc >> bits) & 63];
		}
	}
	if (bits > 0) {
		assert_true(o + 1 < cap);
		out[o++] = digits[(acc << (6 - bits)) & 63];
	}
	out[o] = '\0';
}

static void path_in_tmp(char *out, size_t cap, const char *rel)
{
	int n = snprintf(out, cap, "%s/%s", tmpdir, rel);
	assert_true(n > 0 && (size_t)n < cap);
}

static void write_text(const char *rel, const char *text)
{
	char path[PATH_MAX];
	path_in_tmp(path, sizeof(path), rel);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	assert_true(fputs(text, f) >= 0);
	assert_int_equal(fclose(f), 0);
}

static void write_pem(EVP_PKEY *pkey, const char *rel)
{
	char path[PATH_MAX];
	path_in_tmp(path, sizeof(path), rel);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	assert_int_equal(PEM_write_PUBKEY(f, pkey), 1);
	assert_int_equal(fclose(f), 0);
}

static void ec_coord(EVP_PKEY *pkey, const char *param, char *out, size_t cap)
{
	BIGNUM *bn = NULL;
	unsigned char buf[32];
	assert_int_equal(EVP_PKEY_get_bn_param(pkey, param, &bn), 1);
	assert_int_equal(BN_bn2binpad(bn, buf, sizeof(buf)), sizeof(buf));
	BN_free(bn);
	b64url(buf, sizeof(buf), out, cap);
}

static void write_ec_jwks(EVP_PKEY *pkey, const char *rel)
{
	char x[64], y[64], text[512];
	ec_coord(pkey, OSSL_PKEY_PARAM_EC_PUB_X, x, sizeof(x));
	ec_coord(pkey, OSSL_PKEY_PARAM_EC_PUB_Y, y, sizeof(y));
	int n = snprintf(text, sizeof(text), "{\"keys\":[{\"kty\":\"EC\","
			"\"crv\":\"P-256\",\"kid\":\"jwk-1\",\"use\":\"sig\","
			"\"x\":\"%s\",\"y\":\"%s\"}]}", x, y);
	assert_true(n > 0 && (size_t)n < sizeof(text));
	write_text(rel, text);
}

static int setup_dir(void **state)
{
	(void)state;
	snprintf(tmpdir, sizeof(tmpdir), "%s/wic-prov-XXXXXX",
			getenv("TMPDIR") != NULL ? getenv("TMPDIR") : "/tmp");
	if (mkdtemp(tmpdir) == NULL)
		return -1;
	char keys[PATH_MAX];
	int n = snprintf(keys, sizeof(keys), "%s/keys", tmpdir);
	if (n < 0 || (size_t)n >= sizeof(keys) || mkdir(keys, 0700) != 0)
		return -1;
	EVP_PKEY *ec = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	if (ec == NULL)
		return -1;
	write_pem(ec, "keys/demo-es256.pub.pem");
	write_ec_jwks(ec, "keys/demo.jwks.json");
	EVP_PKEY_free(ec);
	write_text("keys/not-a-key.pem", "hello\n");
	write_text("keys/oct.jwks.json", "{\"keys\":[{\"kty\":\"oct\","
			"\"kid\":\"s\",\"k\":\"" HMAC_32 "\"}]}");
	write_text("keys/private.jwks.json", "{\"keys\":[{\"kty\":\"EC\","
			"\"kid\":\"leaked\",\"crv\":\"P-256\",\"x\":\"AA\","
			"\"y\":\"AA\",\"d\":\"AA\"}]}");
	path_in_tmp(provpath, sizeof(provpath), "prov.json");
	return 0;
}

static void remove_in_tmp(const char *rel)
{
	char path[PATH_MAX];
	path_in_tmp(path, sizeof(path), rel);
	(void)unlink(path);
}

static int teardown_dir(void **state)
{
	(void)state;
	remove_in_tmp("keys/demo-es256.pub.pem");
	remove_in_tmp("keys/demo.jwks.json");
	remove_in_tmp("keys/not-a-key.pem");
	remove_in_tmp("keys/oct.jwks.json");
	remove_in_tmp("keys/private.jwks.json");
	remove_in_tmp("prov.json");
	remove_in_tmp("example.json");
	char keys[PATH_MAX];
	path_in_tmp(keys, sizeof(keys), "keys");
	(void)rmdir(keys);
	(void)rmdir(tmpdir);
	return 0;
}

/* ------------------------------------------------- the valid document */

/* Single quotes stand for double quotes, to keep the C strings readable. */
static json_t *json_q(const char *text)
{
	char *s = strdup(text);
	assert_non_null(s);
	for (char *c = s; *c != '\0'; c++) {
		if (*c == '\'')
			*c = '"';
	}
	json_error_t jerr;
	json_t *j = json_loads(s, JSON_DECODE_ANY, &jerr);
	if (j == NULL)
		print_error("bad test JSON: %s: %s\n", jerr.text, s);
	free(s);
	assert_non_null(j);
	return j;
}

#define PEM_KEY "{'pem':'keys/demo-es256.pub.pem','kid':'demo-1'," \
		"'algs':['ES256']}"
#define RANGE_DEMO "{'wildcard':'sip:demo!.*!@wwsf.lab'," \
		"'distinct_pui':'sip:demo@wwsf.lab','impi':'demo@wwsf.lab'}"
#define BASE_DOC "{'audience':'epcscf.lab','wwsfs':[{'id':'demo'," \
		"'origins':['http://127.0.0.1:8000'," \
		"'https://wwsf.example.com']," \
		"'issuers':['https://wwsf.example.com']," \
		"'keys':[" PEM_KEY "],'ranges':[" RANGE_DEMO "]}]}"
/* The same with the WWSF's opt-in to shared secrets. */
#define HMAC_DOC "{'audience':'epcscf.lab','wwsfs':[{'id':'demo'," \
		"'origins':['http://127.0.0.1:8000']," \
		"'issuers':['https://wwsf.example.com'],'allow_hmac':true," \
		"'keys':[" PEM_KEY "],'ranges':[" RANGE_DEMO "]}]}"
#define SECOND_WWSF "{'id':'other','origins':['https://other.example.com']," \
		"'issuers':['https://other.example.com'],'keys':[" PEM_KEY "]," \
		"'ranges':[{'wildcard':'sip:other!.*!@other.lab'," \
		"'distinct_pui':'sip:other@other.lab','impi':'other@other.lab'}]}"

/* A JSON path "wwsfs[0].ranges[1].trigger" as name / index steps. */
typedef struct step {
	char name[64];
	long index;   /* -1: name step */
} step_t;

static size_t parse_steps(const char *path, step_t *steps, size_t max)
{
	size_t n = 0;
	while (*path != '\0') {
		assert_true(n < max);
		if (*path == '.') {
			path++;
			continue;
		}
		if (*path == '[') {
			char *end = NULL;
			steps[n].index = strtol(path + 1, &end, 10);
			assert_true(end != NULL && *end == ']');
			path = end + 1;
		} else {
			size_t len = strcspn(path, ".[");
			assert_true(len < sizeof(steps[n].name));
			memcpy(steps[n].name, path, len);
			steps[n].name[len] = '\0';
			steps[n].index = -1;
			path += len;
		}
		n++;
	}
	return n;
}

/* Replace (value != NULL) or delete the member at path. An index equal to
 * the array size appends. */
static void edit(json_t *root, const char *path, json_t *value)
{
	step_t steps[8];
	size_t n = parse_steps(path, steps, 8);
	json_t *cur = root;
	for (size_t i = 0; i + 1 < n; i++) {
		cur = steps[i].index < 0 ? json_object_get(cur, steps[i].name)
				: json_array_get(cur, (size_t)steps[i].index);
		assert_non_null(cur);
	}
	const step_t *last = &steps[n - 1];
	if (last->index < 0 && value == NULL)
		assert_int_equal(json_object_del(cur, last->name), 0);
	else if (last->index < 0)
		assert_int_equal(json_object_set_new(cur, last->name, value), 0);
	else if ((size_t)last->index == json_array_size(cur))
		assert_int_equal(json_array_append_new(cur, value), 0);
	else if (value == NULL)
		assert_int_equal(json_array_remove(cur, (size_t)last->index), 0);
	else
		assert_int_equal(json_array_set_new(cur, (size_t)last->index,
				value), 0);
}

static void write_doc(json_t *doc)
{
	assert_int_equal(json_dump_file(doc, provpath, JSON_INDENT(2)), 0);
}

/* A valid document with one edit, written to prov.json. value_q is
 * JSON with single quotes, NULL to delete. */
static void write_edited_on(const char *base, const char *path,
		const char *value_q)
{
	json_t *doc = json_q(base);
	if (path != NULL)
		edit(doc, path, value_q != NULL ? json_q(value_q) : NULL);
	write_doc(doc);
	json_decref(doc);
}

static void write_edited(const char *path, const char *value_q)
{
	write_edited_on(BASE_DOC, path, value_q);
}

/* Load must fail with "<provpath>: <want>" (exactly, or as a prefix when
 * want ends with '*'); the message must also contain `contains` when set
 * (for the parts the key loader words). */
static void expect_error_with(const char *want, const char *contains)
{
	wic_prov_t *p = (wic_prov_t *)1;
	char err[512] = "", full[PATH_MAX + 512];
	assert_int_equal(wic_prov_load_file(provpath, &p, err, sizeof(err)), -1);
	assert_null(p);
	size_t wl = strlen(want);
	bool prefix = wl > 0 && want[wl - 1] == '*';
	int n = snprintf(full, sizeof(full), "%s: %.*s", provpath,
			(int)(prefix ? wl - 1 : wl), want);
	assert_true(n > 0 && (size_t)n < sizeof(full));
	bool ok = prefix ? strncmp(err, full, strlen(full)) == 0
			: strcmp(err, full) == 0;
	if (!ok)
		print_error("got  '%s'\nwant '%s'%s\n", err, full,
				prefix ? " (prefix)" : "");
	assert_true(ok);
	if (contains != NULL && strstr(err, contains) == NULL)
		print_error("'%s' lacks '%s'\n", err, contains);
	assert_true(contains == NULL || strstr(err, contains) != NULL);
}

static void expect_error(const char *want)
{
	expect_error_with(want, NULL);
}

static wic_prov_t *load_ok(const char *path)
{
	wic_prov_t *p = NULL;
	char err[512] = "";
	int rc = wic_prov_load_file(path, &p, err, sizeof(err));
	if (rc != 0)
		print_error("load failed: %s\n", err);
	assert_int_equal(rc, 0);
	assert_non_null(p);
	return p;
}

/* ---------------------------------------------------------- error table */


typedef struct edit_case {
	const char *path;   /* NULL: the valid document */
	const char *value;  /* single-quoted JSON, NULL: delete */
	/* message after "<file>: ", '*' = prefix; "|text" appended: the
	 * message must also contain text (parts the key loader words) */
	const char *want;
} edit_case_t;

static const edit_case_t top_cases[] = {
	{ "audiance", "'x'", "unknown key 'audiance'" },
	{ "audience", NULL, "audience: missing" },
	{ "audience", "5", "audience: not a string" },
	{ "audience", "''", "audience: empty string" },
	{ "max_token_size", "'big'", "max_token_size: not an integer" },
	{ "max_token_size", "1000000000",
		"max_token_size: 1000000000 out of range 128..65536" },
	{ "max_token_size", "100", "max_token_size: 100 out of range 128..65536" },
	{ "leeway", "-1", "leeway: -1 out of range 0..3600" },
	{ "leeway", "1.5", "leeway: not an integer" },
	{ "leeway", "true", "leeway: not an integer" },
	{ "max_token_lifetime", "59",
		"max_token_lifetime: 59 out of range 60..2592000" },
	{ "max_token_lifetime", "2592001",
		"max_token_lifetime: 2592001 out of range 60..2592000" },
	{ "claims", "[]", "claims: not an object" },
	{ "claims", "{'imp':'x'}", "claims: unknown key 'imp'" },
	{ "claims", "{'impu':''}", "claims.impu: empty string" },
	{ "claims", "{'anon':false}", "claims.anon: not a string" },
	{ "wwsfs", NULL, "wwsfs: missing" },
	{ "wwsfs", "{}", "wwsfs: not an array" },
	{ "wwsfs", "[]", "wwsfs: empty array" },
	{ "wwsfs[0]", "5", "wwsfs[0]: not an object" },
};

static const edit_case_t wwsf_cases[] = {
	{ "wwsfs[0].orgins", "[]", "wwsfs[0]: unknown key 'orgins'" },
	{ "wwsfs[0].id", NULL, "wwsfs[0].id: missing" },
	{ "wwsfs[0].id", "''", "wwsfs[0].id: empty string" },
	{ "wwsfs[0].id", "'a b'",
		"wwsfs[0].id: 'a b' is not 1..63 characters of [A-Za-z0-9._-]" },
	{ "wwsfs[0].id",
		"'abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyzabcdefghijkl'",
		"wwsfs[0].id: 'abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyz"
		"abcdefghijkl' is not 1..63 characters of [A-Za-z0-9._-]" },
	{ "wwsfs[0].origins", NULL, "wwsfs[0].origins: missing" },
	{ "wwsfs[0].origins", "'http://a'", "wwsfs[0].origins: not an array" },
	{ "wwsfs[0].origins", "[]", "wwsfs[0].origins: empty array" },
	{ "wwsfs[0].origins[1]", "5", "wwsfs[0].origins[1]: not a string" },
	{ "wwsfs[0].origins[1]", "''", "wwsfs[0].origins[1]: empty string" },
	{ "wwsfs[0].origins[1]", "'https://wwsf.example.com/'",
		"wwsfs[0].origins[1]: 'https://wwsf.example.com/' is not "
		"scheme://host[:port] (http or https)" },
	{ "wwsfs[0].origins[0]", "'https://a/path'", "wwsfs[0].origins[0]: "
		"'https://a/path' is not scheme://host[:port] (http or https)" },
	{ "wwsfs[0].origins[0]", "'ftp://a'", "wwsfs[0].origins[0]: 'ftp://a' "
		"is not scheme://host[:port] (http or https)" },
	{ "wwsfs[0].origins[0]", "'https://'", "wwsfs[0].origins[0]: 'https://' "
		"is not scheme://host[:port] (http or https)" },
	{ "wwsfs[0].origins[0]", "'https://a:0'", "wwsfs[0].origins[0]: "
		"'https://a:0' is not scheme://host[:port] (http or https)" },
	{ "wwsfs[0].origins[0]", "'https://a:65536'", "wwsfs[0].origins[0]: "
		"'https://a:65536' is not scheme://host[:port] (http or https)" },
	{ "wwsfs[0].origins[0]", "'https://a:'", "wwsfs[0].origins[0]: "
		"'https://a:' is not scheme://host[:port] (http or https)" },
	{ "wwsfs[0].origins[0]", "'null'", "wwsfs[0].origins[0]: 'null' "
		"is not scheme://host[:port] (http or https)" },
	{ "wwsfs[0].origins[0]", "'*'", "wwsfs[0].origins[0]: '*' "
		"is not scheme://host[:port] (http or https)" },
	{ "wwsfs[0].origins[0]", "'https://*.example.com'", "wwsfs[0].origins[0]: "
		"'https://*.example.com' is not scheme://host[:port] (http or https)" },
	{ "wwsfs[0].origins[0]", "'https://[::1'", "wwsfs[0].origins[0]: "
		"'https://[::1' is not scheme://host[:port] (http or https)" },
	{ "wwsfs[0].origins[0]", "'HTTPS://WWSF.example.com'",
		"wwsfs[0].origins[1]: duplicate origin 'https://wwsf.example.com' "
		"(already in WWSF 'demo')" },
	{ "wwsfs[0].issuers", "[]", "wwsfs[0].issuers: empty array" },
	{ "wwsfs[0].issuers", NULL, "wwsfs[0].issuers: missing" },
	{ "wwsfs[0].issuers[1]", "'https://wwsf.example.com'",
		"wwsfs[0].issuers[1]: duplicate issuer 'https://wwsf.example.com' "
		"(already in WWSF 'demo')" },
	{ "wwsfs[0].audience", "''", "wwsfs[0].audience: empty string" },
	{ "wwsfs[0].limits", "5", "wwsfs[0].limits: not an object" },
	{ "wwsfs[0].limits", "{'max_contact':1}",
		"wwsfs[0].limits: unknown key 'max_contact'" },
	{ "wwsfs[0].limits", "{'max_contacts_per_impu':0}",
		"wwsfs[0].limits.max_contacts_per_impu: 0 out of range 1..100" },
	{ "wwsfs[0].limits", "{'max_expires':10}",
		"wwsfs[0].limits.max_expires: 10 out of range 60..86400" },
	{ "wwsfs[0].limits", "{'max_impus':1}",
		"wwsfs[0].limits: unknown key 'max_impus'" },
	{ "wwsfs[0].limits", "{'max_token_lifetime':10}",
		"wwsfs[0].limits.max_token_lifetime: 10 out of range 60..2592000" },
	{ "wwsfs[0].required_typ", "''", "wwsfs[0].required_typ: empty string" },
	{ "wwsfs[0].required_typ", "['JWT']",
		"wwsfs[0].required_typ: not a string" },
	{ "wwsfs[0].required_typ", "'J WT'",
		"wwsfs[0].required_typ: not a media type" },
	{ "wwsfs[0].allow_hmac", "'yes'",
		"wwsfs[0].allow_hmac: not true or false" },
	{ "wwsfs[0].allow_hmac", "1", "wwsfs[0].allow_hmac: not true or false" },
};

static const edit_case_t key_cases[] = {
	{ "wwsfs[0].keys", NULL, "wwsfs[0].keys: missing" },
	{ "wwsfs[0].keys", "[]", "wwsfs[0].keys: empty array" },
	{ "wwsfs[0].keys[0]", "'k'", "wwsfs[0].keys[0]: not an object" },
	{ "wwsfs[0].keys[0]", "{}",
		"wwsfs[0].keys[0]: exactly one of 'pem', 'jwks', 'hmac' needed" },
	{ "wwsfs[0].keys[0].hmac", "'AAAA'",
		"wwsfs[0].keys[0]: exactly one of 'pem', 'jwks', 'hmac' needed" },
	{ "wwsfs[0].keys[0].kidd", "'x'", "wwsfs[0].keys[0]: unknown key 'kidd'" },
	{ "wwsfs[0].keys[0].kid", "''", "wwsfs[0].keys[0].kid: empty string" },
	{ "wwsfs[0].keys[0].pem", "5", "wwsfs[0].keys[0].pem: not a string" },
	{ "wwsfs[0].keys[0].algs", "[]", "wwsfs[0].keys[0].algs: empty array" },
	{ "wwsfs[0].keys[0].algs", "'ES256'",
		"wwsfs[0].keys[0].algs: not an array" },
	{ "wwsfs[0].keys[0].algs", "['ES256','none']",
		"wwsfs[0].keys[0].algs[1]: unknown algorithm 'none'" },
	{ "wwsfs[0].keys[0].algs", "['es256']",
		"wwsfs[0].keys[0].algs[0]: unknown algorithm 'es256'" },
	{ "wwsfs[0].keys[0].algs", "[256]",
		"wwsfs[0].keys[0].algs[0]: not a string" },
	{ "wwsfs[0].keys[0]", "{'jwks':'keys/demo.jwks.json','kid':'x'}",
		"wwsfs[0].keys[0]: 'kid' not allowed with 'jwks' (the JWKS names "
		"its keys)" },
	/* relative key paths resolve against the provisioning file's folder */
	{ "wwsfs[0].keys[0].pem", "'keys/missing.pem'",
		"wwsfs[0].keys[0]: *|/keys/missing.pem: cannot open" },
	{ "wwsfs[0].keys[0].pem", "'keys/not-a-key.pem'",
		"wwsfs[0].keys[0]: *|/keys/not-a-key.pem: no PEM public key" },
	{ "wwsfs[0].keys[0].algs", "['RS256']",
		"wwsfs[0].keys[0]: *|RS256 does not fit" },
	{ "wwsfs[0].keys[0]", "{'jwks':'keys/missing.jwks.json'}",
		"wwsfs[0].keys[0]: *|/keys/missing.jwks.json" },
	/* shared secrets only with the WWSF's opt-in */
	{ "wwsfs[0].keys[0]", "{'hmac':'" HMAC_32 "','kid':'h'}",
		"wwsfs[0].keys[0]: HMAC key 'h' refused: the WWSF does not allow "
		"shared secrets (allow_hmac)" },
	{ "wwsfs[0].keys[0]", "{'jwks':'keys/oct.jwks.json'}",
		"wwsfs[0].keys[0]: keys[0]: oct JWK (a shared secret) refused: the "
		"WWSF does not allow shared secrets (allow_hmac)" },
	{ "wwsfs[0].keys[0]", "{'jwks':'keys/private.jwks.json'}",
		"wwsfs[0].keys[0]: keys[0] (kid 'leaked'): private key member 'd' "
		"refused (publish public keys only)" },
	/* a kid names one key of the WWSF */
	{ "wwsfs[0].keys[1]", PEM_KEY,
		"wwsfs[0].keys[1]: duplicate kid 'demo-1'" },
	{ "wwsfs[0].keys[0].kid", "'jwk-1'", NULL },
};

/* On a WWSF with allow_hmac: the secrets themselves. */
static const edit_case_t hmac_cases[] = {
	{ "wwsfs[0].keys[0]", "{'hmac':'abc$def'}",
		"wwsfs[0].keys[0]: hmac: not base64url (unpadded)" },
	/* padded base64 is not the JOSE form */
	{ "wwsfs[0].keys[0]",
		"{'hmac':'MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY='}",
		"wwsfs[0].keys[0]: hmac: not base64url (unpadded)" },
	{ "wwsfs[0].keys[0]", "{'hmac':'MDEyMzQ1Njc4OWFiY2RlZg'}",
		"wwsfs[0].keys[0]: HMAC key '(no kid)': secret of 16 bytes refused "
		"(at least 32, RFC 7518 3.2)" },
	{ "wwsfs[0].keys[0]", "{'hmac':'" HMAC_32 "','algs':['HS512']}",
		"wwsfs[0].keys[0]: HMAC key '(no kid)': secret of 32 bytes too "
		"short for HS512 (at least 64 bytes, RFC 7518 3.2)" },
	{ "wwsfs[0].keys[0]", "{'hmac':'" HMAC_32 "','kid':'h',"
		"'algs':['HS256','HS384']}",
		"wwsfs[0].keys[0]: HMAC key 'h': secret of 32 bytes too short for "
		"HS384 (at least 48 bytes, RFC 7518 3.2)" },
	{ "wwsfs[0].keys[0]", "{'hmac':'" HMAC_32 "','algs':['ES256']}",
		"wwsfs[0].keys[0]: *|ES256 does not fit" },
	{ "wwsfs[0].keys[1]", "{'hmac':'" HMAC_32 "','kid':'demo-1'}",
		"wwsfs[0].keys[1]: duplicate kid 'demo-1'" },
};

static const edit_case_t range_cases[] = {
	{ "wwsfs[0].ranges", NULL, "wwsfs[0].ranges: missing" },
	{ "wwsfs[0].ranges", "[]", "wwsfs[0].ranges: empty array" },
	{ "wwsfs[0].ranges[0]", "[]", "wwsfs[0].ranges[0]: not an object" },
	{ "wwsfs[0].ranges[0].expire", "60",
		"wwsfs[0].ranges[0]: unknown key 'expire'" },
	{ "wwsfs[0].ranges[0].wildcard", NULL,
		"wwsfs[0].ranges[0].wildcard: missing" },
	{ "wwsfs[0].ranges[0].wildcard", "'sip:demo@wwsf.lab'",
		"wwsfs[0].ranges[0].wildcard: no '!'-delimited expression" },
	{ "wwsfs[0].ranges[0].wildcard", "'sip:demo!!@wwsf.lab'",
		"wwsfs[0].ranges[0].wildcard: empty regular expression between '!'" },
	{ "wwsfs[0].ranges[0].wildcard", "'sip:demo!(!@wwsf.lab'",
		"wwsfs[0].ranges[0].wildcard: bad regular expression at offset 1: "
		"*|parenthesis" },
	{ "wwsfs[0].ranges[0].wildcard", "'http:demo!.*!@wwsf.lab'",
		"wwsfs[0].ranges[0].wildcard: unknown scheme *" },
	{ "wwsfs[0].ranges[0].distinct_pui", NULL,
		"wwsfs[0].ranges[0].distinct_pui: missing" },
	{ "wwsfs[0].ranges[0].distinct_pui", "'sip:demo!.*!@wwsf.lab'",
		"wwsfs[0].ranges[0].distinct_pui: must not be wildcarded" },
	{ "wwsfs[0].ranges[0].distinct_pui", "'mailto:demo@wwsf.lab'",
		"wwsfs[0].ranges[0].distinct_pui: unknown scheme (sip:, sips: or "
		"tel:)" },
	{ "wwsfs[0].ranges[0].distinct_pui", "'<sip:demo@wwsf.lab>'",
		"wwsfs[0].ranges[0].distinct_pui: not a bare URI" },
	{ "wwsfs[0].ranges[0].distinct_pui", "'sip:de mo@wwsf.lab'",
		"wwsfs[0].ranges[0].distinct_pui: not a bare URI" },
	{ "wwsfs[0].ranges[0].impi", NULL, "wwsfs[0].ranges[0].impi: missing" },
	{ "wwsfs[0].ranges[0].trigger", "'sometimes'",
		"wwsfs[0].ranges[0].trigger: unknown trigger 'sometimes'" },
	{ "wwsfs[0].ranges[0].trigger", "'Startup'",
		"wwsfs[0].ranges[0].trigger: unknown trigger 'Startup'" },
	{ "wwsfs[0].ranges[0].trigger", "[]",
		"wwsfs[0].ranges[0].trigger: empty array" },
	{ "wwsfs[0].ranges[0].trigger", "['startup','later']",
		"wwsfs[0].ranges[0].trigger[1]: unknown trigger 'later'" },
	{ "wwsfs[0].ranges[0].trigger", "[1]",
		"wwsfs[0].ranges[0].trigger[0]: not a string" },
	{ "wwsfs[0].ranges[0].trigger", "5",
		"wwsfs[0].ranges[0].trigger: not a string or an array" },
	{ "wwsfs[0].ranges[0].linger", "-5",
		"wwsfs[0].ranges[0].linger: -5 out of range 0..86400" },
	{ "wwsfs[0].ranges[0].expires", "0",
		"wwsfs[0].ranges[0].expires: 0 out of range 60..86400" },
	{ "wwsfs[0].ranges[0].expires", "'3600'",
		"wwsfs[0].ranges[0].expires: not an integer" },
	{ "wwsfs[0].ranges[1]", "{'wildcard':'sip:demo!.*!@wwsf.lab',"
		"'distinct_pui':'sip:demo2@wwsf.lab','impi':'x'}",
		"wwsfs[0].ranges[1].wildcard: duplicate wildcard "
		"'sip:demo!.*!@wwsf.lab' (already in WWSF 'demo')" },
	{ "wwsfs[0].ranges[1]", "{'wildcard':'sip:x!.*!@wwsf.lab',"
		"'distinct_pui':'sip:demo@wwsf.lab','impi':'x'}",
		"wwsfs[0].ranges[1].distinct_pui: duplicate distinct PUI "
		"'sip:demo@wwsf.lab' (already in WWSF 'demo')" },
};

/* want NULL: the edited document loads. */
static void run_cases_on(const char *base, const edit_case_t *cases, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		write_edited_on(base, cases[i].path, cases[i].value);
		if (cases[i].want == NULL) {
			wic_prov_free(load_ok(provpath));
			continue;
		}
		char want[512];
		snprintf(want, sizeof(want), "%s", cases[i].want);
		char *bar = strchr(want, '|');
		if (bar != NULL)
			*bar = '\0';
		expect_error_with(want, bar != NULL ? bar + 1 : NULL);
	}
}

#define RUN_CASES(table) \
	run_cases_on(BASE_DOC, table, sizeof(table) / sizeof(table[0]))

static void test_top_level_errors(void **state)
{
	(void)state;
	RUN_CASES(top_cases);
}

static void test_wwsf_errors(void **state)
{
	(void)state;
	RUN_CASES(wwsf_cases);
}

static void test_key_errors(void **state)
{
	(void)state;
	RUN_CASES(key_cases);
	run_cases_on(HMAC_DOC, hmac_cases,
			sizeof(hmac_cases) / sizeof(hmac_cases[0]));
}

static void test_range_errors(void **state)
{
	(void)state;
	RUN_CASES(range_cases);
}

/* A second WWSF that repeats something of the first. */
static void test_cross_wwsf_duplicates(void **state)
{
	(void)state;
	static const edit_case_t cases[] = {
		{ "id", "'demo'", "wwsfs[1].id: duplicate WWSF id 'demo'" },
		{ "origins[0]", "'HTTP://127.0.0.1:8000'",
			"wwsfs[1].origins[0]: duplicate origin 'http://127.0.0.1:8000' "
			"(already in WWSF 'demo')" },
		{ "issuers[0]", "'https://wwsf.example.com'",
			"wwsfs[1].issuers[0]: duplicate issuer 'https://wwsf.example.com' "
			"(already in WWSF 'demo')" },
		{ "ranges[0].wildcard", "'sip:demo!.*!@wwsf.lab'",
			"wwsfs[1].ranges[0].wildcard: duplicate wildcard "
			"'sip:demo!.*!@wwsf.lab' (already in WWSF 'demo')" },
		{ "ranges[0].distinct_pui", "'sip:demo@wwsf.lab'",
			"wwsfs[1].ranges[0].distinct_pui: duplicate distinct PUI "
			"'sip:demo@wwsf.lab' (already in WWSF 'demo')" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		json_t *doc = json_q(BASE_DOC);
		json_t *second = json_q(SECOND_WWSF);
		edit(second, cases[i].path, json_q(cases[i].value));
		edit(doc, "wwsfs[1]", second);
		write_doc(doc);
		json_decref(doc);
		expect_error(cases[i].want);
	}
}

static void test_json_syntax_errors(void **state)
{
	(void)state;
	write_text("prov.json", "{\n  \"audience\": \"x\",\n}\n");
	expect_error_with("line 3: *", "expected");
	write_text("prov.json", "{\"audience\":\"a\",\"audience\":\"b\"}");
	expect_error("line 1: duplicate object key*");
	write_text("prov.json", "[]");
	expect_error("not a JSON object");
	write_text("prov.json", "");
	expect_error("line 1: *");
}

static void test_missing_file_and_bad_args(void **state)
{
	(void)state;
	char path[PATH_MAX], err[512] = "";
	wic_prov_t *p = NULL;
	path_in_tmp(path, sizeof(path), "nope.json");
	assert_int_equal(wic_prov_load_file(path, &p, err, sizeof(err)), -1);
	assert_null(p);
	assert_int_equal(strncmp(err, path, strlen(path)), 0);
	assert_non_null(strstr(err, "cannot open: No such file"));

	assert_int_equal(wic_prov_load_file(NULL, &p, err, sizeof(err)), -1);
	assert_string_equal(err, "(null): no provisioning file");
	assert_int_equal(wic_prov_load_file(provpath, NULL, err, sizeof(err)),
			-1);
	/* no error buffer, and a tiny one */
	write_edited("audience", NULL);
	assert_int_equal(wic_prov_load_file(provpath, &p, NULL, 0), -1);
	char tiny[4];
	assert_int_equal(wic_prov_load_file(provpath, &p, tiny, sizeof(tiny)),
			-1);
	assert_int_equal(strlen(tiny), 3);
	wic_prov_free(NULL);
}

/* ------------------------------------------------------------ success */

static void test_defaults(void **state)
{
	(void)state;
	write_edited(NULL, NULL);
	wic_prov_t *p = load_ok(provpath);
	assert_string_equal(p->path, provpath);
	assert_string_equal(p->audience, "epcscf.lab");
	assert_int_equal(p->max_token_size, 8192);
	assert_int_equal(p->leeway, 30);
	assert_int_equal(p->max_token_lifetime, 86400);
	assert_string_equal(p->claims.impu, "impu");
	assert_string_equal(p->claims.impi, "impi");
	assert_string_equal(p->claims.range, "range");
	assert_string_equal(p->claims.anon, "anon");
	assert_int_equal(p->n_wwsfs, 1);
	const wic_wwsf_t *w = &p->wwsfs[0];
	assert_string_equal(w->id, "demo");
	assert_null(w->audience);
	assert_null(w->required_typ);
	assert_false(w->keys.allow_hmac);
	assert_int_equal(w->limits.max_token_lifetime, 0);
	assert_int_equal(w->n_origins, 2);
	assert_int_equal(w->n_issuers, 1);
	assert_int_equal(w->keys.n, 1);
	assert_string_equal(w->keys.keys[0].kid, "demo-1");
	assert_int_equal(w->keys.keys[0].algs, WIC_ALG_ES256);
	assert_int_equal(w->n_ranges, 1);
	const wic_range_t *r = &w->ranges[0];
	assert_string_equal(r->wildcard, "sip:demo!.*!@wwsf.lab");
	assert_string_equal(wic_pui_range_text(r->pui), r->wildcard);
	assert_string_equal(r->distinct_pui, "sip:demo@wwsf.lab");
	assert_string_equal(r->impi, "demo@wwsf.lab");
	assert_int_equal(r->triggers, WIC_TRIGGER_STARTUP);
	assert_int_equal(r->linger, 60);
	assert_int_equal(r->expires, 3600);
	assert_int_equal(w->limits.max_contacts_per_impu, 5);
	assert_int_equal(w->limits.max_expires, 3600);
	wic_prov_free(p);
}

static void test_all_fields(void **state)
{
	(void)state;
	char abs_pem[PATH_MAX], keys[PATH_MAX * 2];
	path_in_tmp(abs_pem, sizeof(abs_pem), "keys/demo-es256.pub.pem");
	snprintf(keys, sizeof(keys), "[{'pem':'%s'},"
			"{'jwks':'keys/demo.jwks.json','algs':['RS256','ES256']},"
			"{'hmac':'" HMAC_32 "','kid':'h1','algs':['HS256']},"
			"{'hmac':'" HMAC_48 "','kid':'h2'}]", abs_pem);

	json_t *doc = json_q(BASE_DOC);
	edit(doc, "max_token_size", json_q("4096"));
	edit(doc, "leeway", json_q("0"));
	edit(doc, "claims", json_q("{'impu':'sub_impu','anon':'guest'}"));
	edit(doc, "max_token_lifetime", json_q("7200"));
	edit(doc, "wwsfs[0].audience", json_q("'wwsf-aud'"));
	edit(doc, "wwsfs[0].required_typ", json_q("'application/JWT'"));
	edit(doc, "wwsfs[0].allow_hmac", json_q("true"));
	edit(doc, "wwsfs[0].keys", json_q(keys));
	edit(doc, "wwsfs[0].ranges[1]", json_q("{'wildcard':'tel:+1555123!"
			"\\\\d{4}!','distinct_pui':'tel:+15559990000','impi':'t@lab',"
			"'trigger':['on-demand','token'],'linger':0,'expires':600}"));
	edit(doc, "wwsfs[0].limits", json_q("{'max_contacts_per_impu':2,"
			"'max_expires':600,'max_token_lifetime':900}"));
	write_doc(doc);
	json_decref(doc);

	wic_prov_t *p = load_ok(provpath);
	assert_int_equal(p->max_token_lifetime, 7200);
	assert_int_equal(p->max_token_size, 4096);
	assert_int_equal(p->leeway, 0);
	assert_string_equal(p->claims.impu, "sub_impu");
	assert_string_equal(p->claims.impi, "impi");
	assert_string_equal(p->claims.anon, "guest");
	const wic_wwsf_t *w = &p->wwsfs[0];
	assert_string_equal(w->audience, "wwsf-aud");
	assert_string_equal(w->required_typ, "application/JWT");
	assert_true(w->keys.allow_hmac);
	assert_int_equal(w->limits.max_token_lifetime, 900);
	assert_int_equal(w->keys.n, 4);
	assert_null(w->keys.keys[0].kid);
	assert_int_equal(w->keys.keys[0].type, WIC_KEY_EC);
	assert_string_equal(w->keys.keys[1].kid, "jwk-1");
	assert_int_equal(w->keys.keys[1].algs, WIC_ALG_ES256);
	assert_int_equal(w->keys.keys[2].type, WIC_KEY_HMAC);
	assert_int_equal(w->keys.keys[2].secret_len, 32);
	assert_memory_equal(w->keys.keys[2].secret,
			"0123456789abcdef0123456789abcdef", 32);
	/* no algs: what 48 bytes are long enough for (RFC 7518 3.2) */
	assert_int_equal(w->keys.keys[3].secret_len, 48);
	assert_int_equal(w->keys.keys[3].algs, WIC_ALG_HS256 | WIC_ALG_HS384);
	assert_int_equal(w->n_ranges, 2);
	assert_int_equal(w->ranges[1].triggers,
			WIC_TRIGGER_ON_DEMAND | WIC_TRIGGER_TOKEN);
	assert_int_equal(w->ranges[1].linger, 0);
	assert_int_equal(w->ranges[1].expires, 600);
	assert_int_equal(w->limits.max_contacts_per_impu, 2);
	assert_int_equal(w->limits.max_expires, 600);
	wic_prov_free(p);
}

static void test_lookups(void **state)
{
	(void)state;
	json_t *doc = json_q(BASE_DOC);
	edit(doc, "wwsfs[1]", json_q(SECOND_WWSF));
	edit(doc, "wwsfs[1].origins[1]", json_q("'https://[::1]:8443'"));
	edit(doc, "wwsfs[0].ranges[1]", json_q("{'wildcard':'tel:+1555123!"
			"\\\\d{4}!','distinct_pui':'tel:+15559990000','impi':'t'}"));
	write_doc(doc);
	json_decref(doc);
	wic_prov_t *p = load_ok(provpath);
	const wic_wwsf_t *demo = &p->wwsfs[0], *other = &p->wwsfs[1];

	assert_ptr_equal(wic_prov_wwsf_by_id(p, "demo"), demo);
	assert_ptr_equal(wic_prov_wwsf_by_id(p, "other"), other);
	assert_null(wic_prov_wwsf_by_id(p, "Demo"));
	assert_null(wic_prov_wwsf_by_id(p, NULL));
	assert_null(wic_prov_wwsf_by_id(NULL, "demo"));

	const char *o = "HTTPS://WWSF.Example.COM";
	assert_ptr_equal(wic_prov_wwsf_by_origin(p, o, strlen(o)), demo);
	o = "http://127.0.0.1:8000";
	assert_ptr_equal(wic_prov_wwsf_by_origin(p, o, strlen(o)), demo);
	assert_null(wic_prov_wwsf_by_origin(p, o, strlen(o) - 1));
	o = "http://127.0.0.1:80000";
	assert_null(wic_prov_wwsf_by_origin(p, o, strlen(o)));
	o = "https://[::1]:8443";
	assert_ptr_equal(wic_prov_wwsf_by_origin(p, o, strlen(o)), other);
	assert_null(wic_prov_wwsf_by_origin(p, "http://127.0.0.1:8000\0x", 23));
	assert_null(wic_prov_wwsf_by_origin(p, "https://wwsf.example.com/", 25));
	assert_null(wic_prov_wwsf_by_origin(p, NULL, 5));
	assert_null(wic_prov_wwsf_by_origin(p, o, 0));

	const char *iss = "https://other.example.com";
	assert_ptr_equal(wic_prov_wwsf_by_issuer(p, iss, strlen(iss)), other);
	iss = "https://WWSF.example.com";
	assert_null(wic_prov_wwsf_by_issuer(p, iss, strlen(iss)));
	iss = "https://wwsf.example.com.evil";
	assert_null(wic_prov_wwsf_by_issuer(p, iss, strlen(iss)));
	assert_ptr_equal(wic_prov_wwsf_by_issuer(p, iss, strlen(iss) - 5), demo);
	assert_null(wic_prov_wwsf_by_issuer(NULL, iss, 5));

	const wic_wwsf_t *owner = (const wic_wwsf_t *)1;
	const char *impu = "sip:other42@OTHER.lab";
	const wic_range_t *r = wic_prov_range_of(p, NULL, impu, strlen(impu),
			&owner);
	assert_ptr_equal(r, &other->ranges[0]);
	assert_ptr_equal(owner, other);
	assert_null(wic_prov_range_of(p, demo, impu, strlen(impu), &owner));
	assert_null(owner);
	impu = "tel:+15551234567";
	assert_ptr_equal(wic_prov_range_of(p, demo, impu, strlen(impu), NULL),
			&demo->ranges[1]);
	impu = "sip:demo7@wwsf.lab.evil";
	assert_null(wic_prov_range_of(p, NULL, impu, strlen(impu), &owner));
	assert_null(wic_prov_range_of(NULL, NULL, impu, strlen(impu), &owner));
	assert_null(wic_prov_range_of(p, NULL, NULL, 3, NULL));

	const char *text = "sip:demo!.*!@wwsf.lab";
	assert_ptr_equal(wic_prov_range_by_text(p, demo, text, strlen(text)),
			&demo->ranges[0]);
	assert_null(wic_prov_range_by_text(p, other, text, strlen(text)));
	assert_null(wic_prov_range_by_text(p, demo, text, strlen(text) - 1));
	assert_null(wic_prov_range_by_text(p, demo, "SIP:demo!.*!@wwsf.lab",
			strlen(text)));
	assert_null(wic_prov_range_by_text(p, NULL, text, strlen(text)));
	assert_ptr_equal(wic_prov_range_by_text(NULL, demo, text, strlen(text)),
			&demo->ranges[0]);
	assert_ptr_equal(wic_prov_range_by_pui(p, demo->ranges[1].distinct_pui),
			&demo->ranges[1]);
	assert_null(wic_prov_range_by_pui(p, "sip:nobody@wwsf.lab"));
	wic_prov_free(p);
}

/* A provisioning file named without a folder: keys relative to ".". */
static void test_file_in_current_folder(void **state)
{
	(void)state;
	char cwd[PATH_MAX];
	assert_non_null(getcwd(cwd, sizeof(cwd)));
	write_edited(NULL, NULL);
	assert_int_equal(chdir(tmpdir), 0);
	wic_prov_t *p = NULL;
	char err[512] = "";
	int rc = wic_prov_load_file("prov.json", &p, err, sizeof(err));
	assert_int_equal(chdir(cwd), 0);
	if (rc != 0)
		print_error("%s\n", err);
	assert_int_equal(rc, 0);
	assert_int_equal(p->wwsfs[0].keys.n, 1);
	wic_prov_free(p);
}

/* The documented example loads once its key files exist. */
static void test_example_file(void **state)
{
	(void)state;
	static const char rel[] = "kamailio-cfg/wwsf-provisioning.example.json";
	static const char self[] = "tests/unit/test_prov.c";
	char src[PATH_MAX];
	size_t flen = strlen(__FILE__), slen = strlen(self);

	snprintf(src, sizeof(src), "%s", rel);
	if (access(src, R_OK) != 0 && flen >= slen
			&& strcmp(__FILE__ + flen - slen, self) == 0)
		snprintf(src, sizeof(src), "%.*s%s", (int)(flen - slen), __FILE__,
				rel);
	if (access(src, R_OK) != 0)
		skip();
	json_error_t jerr;
	json_t *doc = json_load_file(src, 0, &jerr);
	assert_non_null(doc);
	char dst[PATH_MAX];
	path_in_tmp(dst, sizeof(dst), "example.json");
	assert_int_equal(json_dump_file(doc, dst, 0), 0);
	json_decref(doc);
	wic_prov_t *p = load_ok(dst);
	assert_non_null(wic_prov_wwsf_by_id(p, "demo"));
	wic_prov_free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_all_fields),
		cmocka_unit_test(test_lookups),
		cmocka_unit_test(test_file_in_current_folder),
		cmocka_unit_test(test_example_file),
		cmocka_unit_test(test_top_level_errors),
		cmocka_unit_test(test_wwsf_errors),
		cmocka_unit_test(test_key_errors),
		cmocka_unit_test(test_range_errors),
		cmocka_unit_test(test_cross_wwsf_duplicates),
		cmocka_unit_test(test_json_syntax_errors),
		cmocka_unit_test(test_missing_file_and_bad_args),
	};
	return cmocka_run_group_tests(tests, setup_dir, teardown_dir);
}
