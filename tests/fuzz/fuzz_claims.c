/*
 * SPDX-License-Identifier: GPL-2.0-or-later
 * Copyright (C) 2026 the ims_wic authors
 *
 * ims_wic fuzzing - structure-aware companion of fuzz_token: the input is
 * JSON, the harness turns it into a correctly signed token, so that
 * mutations land in the JOSE header and the claims parser instead of
 * being stopped by the signature check.
 *
 * Input: "<header JSON>\n<claims JSON>". Without '\n', or with an empty
 * first line, the header is {"alg":"HS256","kid":"hs"} and the whole input
 * (after the '\n') is the claims. The harness signs with the fixture key
 * that fits the header's "alg" (HS256/384/512: the HMAC secret of WWSF 1,
 * or of WWSF 2 for HS256 when the header has no kid and the claims name
 * FZ_ISS2; ES256: the P-256 key; EdDSA: the Ed25519 key; anything else:
 * HS256), then verifies with and without the signature check.
 *
 * Invariants: as fuzz_token (both modes agree unless the signature check
 * failed); also, a token signed with the key the header names never fails
 * with WIC_TOK_SIGNATURE.
 */
#include <jansson.h>
#include "fuzz_common.h"
#include "wic_token.h"
#include "../../tools/wic_jws_sign.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char default_header[] = "{\"alg\":\"HS256\",\"kid\":\"hs\"}";
FZ_PROV_FIXTURE("fuzz_claims")

/* The header's alg and kid as the verifier will read them (a header that
 * is not an object with a string alg gets HS256 and no kid). */
static unsigned header_alg(const char *header, char *kid, size_t kidlen)
{
	json_t *h = json_loads(header, JSON_REJECT_DUPLICATES, NULL);
	json_t *a = json_object_get(h, "alg"), *k = json_object_get(h, "kid");
	unsigned alg = 0;

	kid[0] = '\0';
	if (json_is_string(a))
		alg = wic_alg_from_name(json_string_value(a), json_string_length(a));
	if (json_is_string(k))
		snprintf(kid, kidlen, "%s", json_string_value(k));
	json_decref(h);
	return alg;
}

/* True when the claims name WWSF 2 as issuer (then HS256 uses its key). */
static bool claims_of_wwsf2(const char *claims)
{
	json_t *c = json_loads(claims, 0, NULL);
	json_t *iss = json_object_get(c, "iss");
	bool w2 = json_is_string(iss) && strcmp(json_string_value(iss),
			FZ_ISS2) == 0;

	json_decref(c);
	return w2;
}

static char *sign(const char *header, const char *claims, unsigned alg,
		bool *keyed)
{
	char kid[64];
	unsigned hdr_alg = header_alg(header, kid, sizeof(kid));
	bool w2 = claims_of_wwsf2(claims);

	/* "keyed": the signing key is the one the verifier will pick */
	switch (hdr_alg) {
	case WIC_ALG_ES256:
		*keyed = !w2 && (!kid[0] || strcmp(kid, "ec256") == 0);
		return wic_jws_sign(header, claims, WIC_ALG_ES256, ec256, NULL, 0);
	case WIC_ALG_EDDSA:
		*keyed = !w2 && (!kid[0] || strcmp(kid, "ed") == 0);
		return wic_jws_sign(header, claims, WIC_ALG_EDDSA, ed, NULL, 0);
	case WIC_ALG_HS256:
		if (w2) {
			*keyed = !kid[0];
			return wic_jws_sign(header, claims, WIC_ALG_HS256, NULL,
					fz_hmac2(), 32);
		}
		/* fall through */
	case WIC_ALG_HS384:
	case WIC_ALG_HS512:
		*keyed = !w2 && (!kid[0] || strcmp(kid, "hs") == 0);
		return wic_jws_sign(header, claims, hdr_alg, NULL, fz_hmac1(), 64);
	default:
		*keyed = false;
		return wic_jws_sign(header, claims, alg, NULL, fz_hmac1(), 64);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *a, *b;
	size_t alen, blen;
	char *header, *claims, *tok;
	char why1[128], why2[128];
	wic_token_t t1, t2;
	wic_tok_status_t s1, s2;
	bool keyed = false;

	fz_split(data, size, &a, &alen, &b, &blen);
	if (!b || alen == 0) {
		header = strdup(default_header);
		claims = b ? fz_dup_str(b, blen) : fz_dup_str(a, alen);
	} else {
		header = fz_dup_str(a, alen);
		claims = fz_dup_str(b, blen);
	}
	tok = (header && claims) ? sign(header, claims, WIC_ALG_HS256, &keyed)
			: NULL;
	if (tok) {
		size_t len = strlen(tok);
		char *exact = fz_dup_exact((const uint8_t *)tok, len);

		if (exact) {
			s1 = wic_token_verify(prov, exact, len, FZ_NOW,
					WIC_VERIFY_SIGNATURE, &t1, why1, sizeof(why1));
			s2 = wic_token_verify(prov, exact, len, FZ_NOW,
					WIC_SKIP_SIGNATURE, &t2, why2, sizeof(why2));
			FZ_CHECK(s1 == WIC_TOK_SIGNATURE || s1 == s2);
			if (keyed && s1 == WIC_TOK_SIGNATURE) {
				fprintf(stderr, "signed with the header's key, yet: %s\n",
						why1);
				FZ_CHECK(!"signature of the right key refused");
			}
			if (s1 != WIC_TOK_OK)
				FZ_CHECK(t1.iss == NULL && t1.impu == NULL);
			wic_token_clear(&t1);
			wic_token_clear(&t2);
			free(exact);
		}
		free(tok);
	}
	free(header);
	free(claims);
	return 0;
}
