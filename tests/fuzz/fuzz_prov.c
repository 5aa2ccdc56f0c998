/*
 * SPDX-License-Identifier: GPL-2.0-or-later
 * Copyright (C) 2026 the ims_wic authors
 *
 * ims_wic fuzzing - wic_prov_load_file(): the operator's provisioning
 * file. The input is written to "prov.json" in a private temporary folder
 * that also holds the keys the seeds name ("ec.pem", "ed.pem",
 * "keys.jwks"), so that whole files load and the key, range, limit and
 * uniqueness checks all run; other relative key paths point to nothing.
 *
 * Inputs whose JSON strings hold an absolute path or ".." are skipped:
 * the loader would open any file they name (/dev/zero, a FIFO, ...),
 * which is the operator's right, not a finding.
 *
 * Invariants: success gives a complete provisioning (audience, at least
 * one WWSF, each with origins, issuers, keys and compiled ranges) and an
 * untouched error buffer; failure gives NULL and an error that names the
 * file.
 */
#include <jansson.h>
#include "fuzz_common.h"
#include "../../tools/wic_jws_sign.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char dir[256], prov_path[300];
static bool verbose; /* FUZZ_VERBOSE=1: print each load's outcome */
static const char *const files[] = { "prov.json", "ec.pem", "ed.pem",
	"keys.jwks", NULL };

static void teardown(void)
{
	char path[300];
	size_t i;

	for (i = 0; files[i]; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, files[i]);
		unlink(path);
	}
	rmdir(dir);
}

static int write_file(const char *name, const void *data, size_t len)
{
	char path[300];
	FILE *fp;
	int rc;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if (!(fp = fopen(path, "wb")))
		return -1;
	rc = (len && fwrite(data, 1, len, fp) != len) ? -1 : 0;
	return fclose(fp) ? -1 : rc;
}

/* JWKS of the fixture's P-256 and Ed25519 keys and an HMAC secret. */
static int write_jwks(EVP_PKEY *ec, EVP_PKEY *ed)
{
	unsigned char pt[65], raw[32];
	size_t ptlen = 0, rawlen = sizeof(raw);
	char *x = NULL, *y = NULL, *okp = NULL, *k = NULL, text[1024];
	int rc = -1;

	if (EVP_PKEY_get_octet_string_param(ec, "encoded-pub-key", pt,
			sizeof(pt), &ptlen) != 1 || ptlen != 65
			|| EVP_PKEY_get_raw_public_key(ed, raw, &rawlen) != 1)
		goto out;
	x = wic_jws_b64url(pt + 1, 32);
	y = wic_jws_b64url(pt + 33, 32);
	okp = wic_jws_b64url(raw, rawlen);
	k = wic_jws_b64url(fz_hmac1(), 64);
	if (!x || !y || !okp || !k)
		goto out;
	snprintf(text, sizeof(text), "{\"keys\":["
		"{\"kty\":\"EC\",\"crv\":\"P-256\",\"kid\":\"j-ec\",\"use\":\"sig\","
		"\"x\":\"%s\",\"y\":\"%s\"},"
		"{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"kid\":\"j-ed\",\"x\":\"%s\"},"
		"{\"kty\":\"oct\",\"kid\":\"j-hs\",\"alg\":\"HS512\",\"k\":\"%s\"}]}\n",
		x, y, okp, k);
	rc = write_file("keys.jwks", text, strlen(text));
out:
	free(x);
	free(y);
	free(okp);
	free(k);
	return rc;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char path[300];
	EVP_PKEY *ec = fz_ec256_key(), *ed = fz_ed25519_key();
	int rc = -1;

	(void)argc;
	(void)argv;
	if (ec && ed && fz_mkdtemp(dir, sizeof(dir), "prov") == 0) {
		atexit(teardown);
		snprintf(path, sizeof(path), "%s/ec.pem", dir);
		rc = fz_write_pub_pem(path, ec);
		snprintf(path, sizeof(path), "%s/ed.pem", dir);
		rc |= fz_write_pub_pem(path, ed);
		rc |= write_jwks(ec, ed);
	}
	EVP_PKEY_free(ec);
	EVP_PKEY_free(ed);
	if (rc) {
		fprintf(stderr, "fuzz_prov: fixture setup failed\n");
		abort();
	}
	snprintf(prov_path, sizeof(prov_path), "%s/prov.json", dir);
	verbose = getenv("FUZZ_VERBOSE") != NULL;
	return 0;
}

/* True when some string of j (value or key) could name a file outside the
 * folder: absolute, or with "..". */
static bool escapes(json_t *j, int depth)
{
	const char *key, *s;
	json_t *v;
	size_t i;

	if (depth > 64)
		return true;
	if (json_is_string(j)) {
		s = json_string_value(j);
		return s[0] == '/' || strstr(s, "..") != NULL;
	}
	if (json_is_array(j)) {
		json_array_foreach(j, i, v) {
			if (escapes(v, depth + 1))
				return true;
		}
	}
	if (json_is_object(j)) {
		json_object_foreach(j, key, v) {
			if (escapes(v, depth + 1))
				return true;
		}
	}
	return false;
}

static void check_loaded(const wic_prov_t *p)
{
	size_t i, k;

	FZ_CHECK(p->audience && p->n_wwsfs > 0 && p->wwsfs);
	FZ_CHECK(p->max_token_size >= 128 && p->max_token_size <= 65536);
	FZ_CHECK(p->claims.impu && p->claims.impi && p->claims.range
			&& p->claims.anon);
	for (i = 0; i < p->n_wwsfs; i++) {
		const wic_wwsf_t *w = &p->wwsfs[i];
		FZ_CHECK(w->id && w->n_origins > 0 && w->n_issuers > 0
				&& w->n_ranges > 0);
		FZ_CHECK(wic_prov_wwsf_by_id(p, w->id) == w);
		for (k = 0; k < w->n_ranges; k++) {
			const wic_range_t *r = &w->ranges[k];
			FZ_CHECK(r->pui && r->distinct_pui && r->impi && r->triggers);
			FZ_CHECK(!wic_pui_is_wildcarded(r->distinct_pui,
					strlen(r->distinct_pui)));
			FZ_CHECK(wic_prov_range_by_text(p, w, r->wildcard,
					strlen(r->wildcard)) == r);
			FZ_CHECK(wic_prov_range_by_text(NULL, w, r->wildcard,
					strlen(r->wildcard)) == r);
			FZ_CHECK(wic_prov_range_by_pui(p, r->distinct_pui) == r);
		}
		for (k = 0; k < w->n_issuers; k++)
			FZ_CHECK(wic_prov_wwsf_by_issuer(p, w->issuers[k],
					strlen(w->issuers[k])) == w);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_t *j = json_loadb((const char *)data, size, 0, NULL);
	bool skip = j && escapes(j, 0);
	char err[512];
	wic_prov_t *p = (wic_prov_t *)1;

	json_decref(j);
	if (skip || write_file("prov.json", data, size) < 0)
		return 0;
	err[0] = '\0';
	if (wic_prov_load_file(prov_path, &p, err, sizeof(err)) == 0) {
		if (verbose)
			fprintf(stderr, "loaded: %zu WWSF(s)\n", p->n_wwsfs);
		FZ_CHECK(p != NULL && err[0] == '\0');
		check_loaded(p);
		wic_prov_free(p);
	} else {
		if (verbose)
			fprintf(stderr, "refused: %s\n", err);
		FZ_CHECK(p == NULL);
		FZ_CHECK(strncmp(err, prov_path, strlen(prov_path)) == 0);
	}
	return 0;
}
