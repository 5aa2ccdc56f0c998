/*
 * SPDX-License-Identifier: GPL-2.0-or-later
 * Copyright (C) 2026 the ims_wic authors
 *
 * wic-verify-bench - per-verify cost of wic_token_verify() against raw
 * OpenSSL on the same key and token, in one process, for bench/run.sh.
 *
 *   wic-verify-bench --prov PROVISIONING.json --key PRIV.pem --alg ES256
 *                    --kid K --iss I --aud A [--seconds 1]
 *
 * Measures (5 interleaved rounds, --seconds in all per measure, best
 * round kept: the machine may be shared), verifies per second of:
 *   raw_init   EVP_DigestVerifyInit + EVP_DigestVerify (DER signature
 *              prepared once) - the plain OpenSSL loop;
 *   raw_dup    EVP_MD_CTX_copy_ex from a context initialised once +
 *              EVP_DigestVerify - the fastest OpenSSL way;
 *   wic_full   wic_token_verify(..., WIC_VERIFY_SIGNATURE) + clear: split,
 *              base64url, JSON, key choice, signature, claims;
 *   wic_nosig  wic_token_verify(..., WIC_SKIP_SIGNATURE): the refresh path
 *              after a token cache hit;
 *   tcache_hit wic_tcache_hit() on a stored token (SHA-256 + one slot).
 * Prints one JSON object; ratio = raw_init rate / wic_full rate (the cost
 * of one of our verifies in units of one raw OpenSSL verify).
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <openssl/pem.h>

#include "wic_jws_sign.h"
#include "wic_prov.h"
#include "wic_tcache.h"
#include "wic_token.h"

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Runs fn until `seconds` passed (checked every 64 calls); calls/s. */
#define TIMED(seconds, body) ({ \
	double t0_ = now_s(), t_ = t0_; \
	unsigned long n_ = 0; \
	while (t_ - t0_ < (seconds)) { \
		for (int i_ = 0; i_ < 64; i_++) { body; } \
		n_ += 64; \
		t_ = now_s(); \
	} \
	(double)n_ / (t_ - t0_); })

static void *m_alloc(size_t n) { return malloc(n); }
static void m_free(void *p) { free(p); }

static unsigned char *b64url_dec(const char *in, size_t len, size_t *outlen)
{
	size_t i, o = 0;
	unsigned v = 0, bits = 0;
	unsigned char *out = malloc(len);

	for (i = 0; i < len; i++) {
		char c = in[i];
		int d = c >= 'A' && c <= 'Z' ? c - 'A' : c >= 'a' && c <= 'z'
			? c - 'a' + 26 : c >= '0' && c <= '9' ? c - '0' + 52
			: c == '-' ? 62 : c == '_' ? 63 : -1;
		if (d < 0)
			break;
		v = v << 6 | (unsigned)d;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[o++] = (unsigned char)(v >> bits);
		}
	}
	*outlen = o;
	return out;
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {{"prov", 1, 0, 'p'}, {"key", 1, 0, 'k'},
		{"alg", 1, 0, 'a'}, {"kid", 1, 0, 'i'}, {"iss", 1, 0, 'I'},
		{"aud", 1, 0, 'A'}, {"seconds", 1, 0, 's'}, {0, 0, 0, 0}};
	const char *prov_path = NULL, *key_path = NULL, *kid = "bench-es";
	const char *iss = "http://127.0.0.1:8000", *aud = "epcscf.lab";
	const char *algname = "ES256";
	double secs = 1;
	unsigned alg = WIC_ALG_ES256;
	wic_prov_t *prov = NULL;
	char errbuf[512], hdr[256], claims[512], why[256];
	EVP_PKEY *priv, *pub;
	FILE *f;
	char *tok, *dot2;
	size_t toklen, siglen, derlen;
	unsigned char *sig, *der = NULL;
	const EVP_MD *md;
	EVP_MD_CTX *tmpl, *ctx;
	wic_token_t out;
	wic_mem_ops_t mem = {m_alloc, m_free};
	wic_tcache_t *tc;
	double r_init, r_dup, r_full, r_nosig, r_tc;
	long now = (long)time(NULL);
	int ch;

	while ((ch = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (ch) {
		case 'p': prov_path = optarg; break;
		case 'k': key_path = optarg; break;
		case 'a': algname = optarg; break;
		case 'i': kid = optarg; break;
		case 'I': iss = optarg; break;
		case 'A': aud = optarg; break;
		case 's': secs = atof(optarg); break;
		default: return 2;
		}
	}
	alg = strcmp(algname, "RS256") == 0 ? WIC_ALG_RS256 : WIC_ALG_ES256;
	if (!prov_path || !key_path) {
		fprintf(stderr, "usage: wic-verify-bench --prov P.json --key PRIV.pem "
				"[--alg ES256|RS256] [--kid K] [--iss I] [--aud A] [--seconds S]\n");
		return 2;
	}
	if (wic_prov_load_file(prov_path, &prov, errbuf, sizeof(errbuf)) < 0) {
		fprintf(stderr, "wic-verify-bench: %s\n", errbuf);
		return 1;
	}
	f = fopen(key_path, "r");
	priv = f ? PEM_read_PrivateKey(f, NULL, NULL, NULL) : NULL;
	if (f)
		fclose(f);
	if (!priv) {
		fprintf(stderr, "wic-verify-bench: cannot read %s\n", key_path);
		return 1;
	}
	/* the public half, as the verifier holds it */
	{
		unsigned char *d = NULL, *p;
		int l = i2d_PUBKEY(priv, &d);
		p = d;
		pub = d2i_PUBKEY(NULL, (const unsigned char **)&p, l);
		OPENSSL_free(d);
	}
	snprintf(hdr, sizeof(hdr), "{\"alg\":\"%s\",\"typ\":\"JWT\",\"kid\":\"%s\"}",
			algname, kid);
	snprintf(claims, sizeof(claims),
			"{\"iss\":\"%s\",\"aud\":\"%s\",\"iat\":%ld,\"exp\":%ld,"
			"\"impu\":[\"sip:demo1@wwsf.lab\"]}", iss, aud, now, now + 3600);
	tok = wic_jws_sign(hdr, claims, alg, priv, NULL, 0);
	if (!tok)
		return 1;
	toklen = strlen(tok);
	if (wic_token_verify(prov, tok, toklen, now, WIC_VERIFY_SIGNATURE, &out,
			why, sizeof(why)) != WIC_TOK_OK) {
		fprintf(stderr, "wic-verify-bench: token refused: %s\n", why);
		return 1;
	}
	wic_token_clear(&out);

	/* the raw material: signing input and signature as OpenSSL wants it */
	dot2 = strrchr(tok, '.');
	sig = b64url_dec(dot2 + 1, strlen(dot2 + 1), &siglen);
	if (alg == WIC_ALG_ES256) {
		ECDSA_SIG *es = ECDSA_SIG_new();
		BIGNUM *r = BN_bin2bn(sig, 32, NULL), *s = BN_bin2bn(sig + 32, 32, NULL);
		ECDSA_SIG_set0(es, r, s);
		derlen = (size_t)i2d_ECDSA_SIG(es, &der);
		ECDSA_SIG_free(es);
	} else {
		der = sig;
		derlen = siglen;
	}
	md = EVP_sha256();
	ctx = EVP_MD_CTX_new();
	tmpl = EVP_MD_CTX_new();
	EVP_DigestVerifyInit(tmpl, NULL, md, NULL, pub);
	{
		const unsigned char *data = (const unsigned char *)tok;
		size_t dlen = (size_t)(dot2 - tok);
		EVP_MD_CTX_reset(ctx);
		if (EVP_DigestVerifyInit(ctx, NULL, md, NULL, pub) != 1
				|| EVP_DigestVerify(ctx, der, derlen, data, dlen) != 1) {
			fprintf(stderr, "wic-verify-bench: raw verify failed\n");
			return 1;
		}
		/* interleaved rounds, best of each: the machine is shared and
		 * noise only ever slows a round down */
		r_init = r_dup = r_full = r_nosig = 0;
		for (int round = 0; round < 5; round++) {
			double x;
			x = TIMED(secs / 5, {
				EVP_MD_CTX_reset(ctx);
				if (EVP_DigestVerifyInit(ctx, NULL, md, NULL, pub) != 1
						|| EVP_DigestVerify(ctx, der, derlen, data, dlen) != 1)
					abort();
			});
			r_init = x > r_init ? x : r_init;
			x = TIMED(secs / 5, {
				if (EVP_MD_CTX_copy_ex(ctx, tmpl) != 1
						|| EVP_DigestVerify(ctx, der, derlen, data, dlen) != 1)
					abort();
			});
			r_dup = x > r_dup ? x : r_dup;
			x = TIMED(secs / 5, {
				if (wic_token_verify(prov, tok, toklen, now, WIC_VERIFY_SIGNATURE,
						&out, why, sizeof(why)) != WIC_TOK_OK)
					abort();
				wic_token_clear(&out);
			});
			r_full = x > r_full ? x : r_full;
			x = TIMED(secs / 10, {
				if (wic_token_verify(prov, tok, toklen, now, WIC_SKIP_SIGNATURE,
						&out, why, sizeof(why)) != WIC_TOK_OK)
					abort();
				wic_token_clear(&out);
			});
			r_nosig = x > r_nosig ? x : r_nosig;
		}
	}
	tc = wic_tcache_create(65536, 1, &mem, NULL);
	wic_tcache_put(tc, tok, toklen, 1, now + 3600, now);
	r_tc = TIMED(secs / 2, {
		if (!wic_tcache_hit(tc, tok, toklen, 1, now))
			abort();
	});
	printf("{\"alg\":\"%s\",\"token_bytes\":%zu,\"raw_init_per_s\":%.0f,"
			"\"raw_dup_per_s\":%.0f,\"wic_full_per_s\":%.0f,"
			"\"wic_nosig_per_s\":%.0f,\"tcache_hit_per_s\":%.0f,"
			"\"cost_ratio_vs_raw_init\":%.3f,\"cost_ratio_vs_raw_dup\":%.3f,"
			"\"us\":{\"raw_init\":%.2f,\"raw_dup\":%.2f,\"wic_full\":%.2f,"
			"\"wic_nosig\":%.2f,\"tcache_hit\":%.3f}}\n",
			algname, toklen, r_init, r_dup, r_full, r_nosig, r_tc,
			r_init / r_full, r_dup / r_full, 1e6 / r_init, 1e6 / r_dup,
			1e6 / r_full, 1e6 / r_nosig, 1e6 / r_tc);
	wic_tcache_destroy(tc);
	EVP_MD_CTX_free(ctx);
	EVP_MD_CTX_free(tmpl);
	EVP_PKEY_free(priv);
	EVP_PKEY_free(pub);
	free(tok);
	free(sig);
	if (alg == WIC_ALG_ES256)
		OPENSSL_free(der);
	wic_prov_free(prov);
	return 0;
}
