/*
 * SPDX-License-Identifier: GPL-2.0-or-later
 * Copyright (C) 2026 the ims_wic authors
 *
 * ims_wic fuzzing - wic_keyset_add_jwks(): a JWKS file as a WWSF
 * publishes it (the operator copies it in, but its content is the third
 * party's). The input is written to a file in a private temporary folder
 * and loaded with every algorithm allowed, then with ES256 + HS256 only,
 * each with and without the WWSF's allow_hmac opt-in.
 *
 * Invariants: success adds at least one key and failure adds none (all or
 * nothing); each key has algorithms that fit its type and the allow-list,
 * a public key exactly when it is not an HMAC key, HMAC keys only with
 * the opt-in and never an HS alg the secret is too short for (RFC 7518
 * 3.2), and a kid without NUL that wic_keyset_by_kid() finds as this very
 * key (kids are unique).
 */
#include "fuzz_common.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char dir[256], path[300];

static void teardown(void)
{
	unlink(path);
	rmdir(dir);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	if (fz_mkdtemp(dir, sizeof(dir), "jwks") < 0) {
		fprintf(stderr, "fuzz_jwks: no temporary folder\n");
		abort();
	}
	snprintf(path, sizeof(path), "%s/keys.jwks", dir);
	atexit(teardown);
	return 0;
}

static unsigned algs_of_type(wic_key_type_t t)
{
	switch (t) {
	case WIC_KEY_HMAC:
		return WIC_ALG_HMAC;
	case WIC_KEY_RSA:
		return WIC_ALG_RS256 | WIC_ALG_RS384 | WIC_ALG_RS512
				| WIC_ALG_PS256;
	case WIC_KEY_EC:
		return WIC_ALG_ES256 | WIC_ALG_ES384 | WIC_ALG_ES512;
	case WIC_KEY_OKP:
		return WIC_ALG_EDDSA;
	}
	return 0;
}

static void load(unsigned allow, bool allow_hmac)
{
	wic_keyset_t ks = {.allow_hmac = allow_hmac};
	char err[512] = "";
	size_t i;

	if (wic_keyset_add_jwks(&ks, path, allow, err, sizeof(err)) == 0) {
		FZ_CHECK(ks.n > 0);
		for (i = 0; i < ks.n; i++) {
			const wic_key_t *k = &ks.keys[i];
			FZ_CHECK(k->algs != 0 && (k->algs & ~algs_of_type(k->type)) == 0);
			FZ_CHECK(!allow || (k->algs & ~allow) == 0);
			FZ_CHECK((k->type == WIC_KEY_HMAC) == (k->pkey == NULL));
			FZ_CHECK((k->type == WIC_KEY_HMAC) == (k->secret != NULL));
			FZ_CHECK(k->type != WIC_KEY_HMAC || (allow_hmac
					&& (k->algs & ~wic_hmac_algs_for_len(k->secret_len)) == 0));
			if (k->kid)
				FZ_CHECK(wic_keyset_by_kid(&ks, k->kid) == k);
		}
	} else {
		FZ_CHECK(ks.n == 0 && err[0] != '\0');
	}
	wic_keyset_clear(&ks);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	FILE *fp = fopen(path, "wb");

	if (!fp)
		return 0;
	if ((size && fwrite(data, 1, size, fp) != size) | fclose(fp))
		return 0;
	load(0, true);
	load(WIC_ALG_ES256 | WIC_ALG_HS256, true);
	load(0, false);
	return 0;
}
