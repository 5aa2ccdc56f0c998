/*
 * SPDX-License-Identifier: GPL-2.0-or-later
 * Copyright (C) 2026 the ims_wic authors
 *
 * ims_wic fuzzing - writes the token-bearing seed files of the corpora
 * (token, claims, bearer, body, authz, jwks), signed with the fixture keys of
 * fuzz_common.h so that they verify in the fuzzers. Run by
 * make-seeds.sh; its output is committed (test data, not secrets).
 *
 *   make_seeds <corpus folder>
 */
#include <errno.h>
#include <sys/stat.h>
#include "fuzz_common.h"
#include "../../tools/wic_jws_sign.h"

#define EXP "1700000300"
#define IAT "1699999990"
#define C_W1 "{\"iss\":\"" FZ_ISS1 "\",\"aud\":\"" FZ_AUD "\",\"exp\":" EXP \
	",\"iat\":" IAT ",\"impu\":[\"sip:wic1@wwsf1.lab\"," \
	"\"sip:wic2@wwsf1.lab\"],\"impi\":\"wic1@wwsf1.lab\"}"

static const char *root;
static EVP_PKEY *ec256, *ed;
static int failed;

static void put(const char *target, const char *name, const char *fmt, ...)
		__attribute__((format(printf, 3, 4)));

static void put(const char *target, const char *name, const char *fmt, ...)
{
	char path[512];
	va_list ap;
	FILE *fp;

	snprintf(path, sizeof(path), "%s/%s", root, target);
	if (mkdir(path, 0755) < 0 && errno != EEXIST) {
		perror(path);
		failed = 1;
		return;
	}
	snprintf(path, sizeof(path), "%s/%s/%s", root, target, name);
	if (!(fp = fopen(path, "w"))) {
		perror(path);
		failed = 1;
		return;
	}
	va_start(ap, fmt);
	vfprintf(fp, fmt, ap);
	va_end(ap);
	if (fclose(fp) != 0)
		failed = 1;
}

/* Token of header and claims, signed with the fixture key for alg
 * (w2: the HMAC secret of WWSF 2). Never NULL (exits instead). */
static char *mint(unsigned alg, bool w2, const char *header,
		const char *claims)
{
	char *t;

	if (alg == WIC_ALG_ES256)
		t = wic_jws_sign(header, claims, alg, ec256, NULL, 0);
	else if (alg == WIC_ALG_EDDSA)
		t = wic_jws_sign(header, claims, alg, ed, NULL, 0);
	else if (w2)
		t = wic_jws_sign(header, claims, alg, NULL, fz_hmac2(), 32);
	else
		t = wic_jws_sign(header, claims, alg, NULL, fz_hmac1(), 64);
	if (!t) {
		fprintf(stderr, "make_seeds: cannot sign %s\n", header);
		exit(1);
	}
	return t;
}

typedef struct seed {
	const char *name;
	unsigned alg;
	bool w2;
	const char *header;
	const char *claims;
	const char *impu;  /* To IMPU for the authz seed, NULL: none */
	const char *conn;  /* connection's WWSF for the authz seed */
} seed_t;

static const seed_t seeds[] = {
	{ "hs256-kid", WIC_ALG_HS256, false,
		"{\"alg\":\"HS256\",\"typ\":\"JWT\",\"kid\":\"hs\"}", C_W1,
		"sip:wic1@wwsf1.lab", "w1" },
	{ "hs256-nokid", WIC_ALG_HS256, false, "{\"alg\":\"HS256\"}", C_W1,
		"SIP:wic2@WWSF1.lab", "w1" },
	{ "hs384", WIC_ALG_HS384, false,
		"{\"alg\":\"HS384\",\"kid\":\"hs\"}", C_W1, "sip:wic1@wwsf1.lab",
		"w2" },
	{ "hs512", WIC_ALG_HS512, false,
		"{\"alg\":\"HS512\",\"kid\":\"hs\"}", C_W1, "sip:Wic1@wwsf1.lab",
		"w1" },
	{ "es256", WIC_ALG_ES256, false,
		"{\"alg\":\"ES256\",\"typ\":\"JWT\",\"kid\":\"ec256\"}", C_W1,
		"sip:wic1@wwsf1.lab", "w1" },
	{ "eddsa", WIC_ALG_EDDSA, false, "{\"alg\":\"EdDSA\",\"kid\":\"ed\"}",
		C_W1, "sip:wic2@wwsf1.lab", "w1" },
	{ "tel-range", WIC_ALG_HS256, false, "{\"alg\":\"HS256\",\"kid\":\"hs\"}",
		"{\"iss\":\"" FZ_ISS1 "\",\"aud\":[\"x\",\"" FZ_AUD "\"],"
		"\"exp\":" EXP ".5,\"nbf\":" IAT ",\"impu\":\"tel:+15551234567\","
		"\"range\":\"tel:+1555123!\\\\d{4}!\",\"anon\":true}",
		"tel:+15551234567", "w1" },
	{ "range-not-allocated", WIC_ALG_HS256, false,
		"{\"alg\":\"HS256\",\"kid\":\"hs\"}",
		"{\"iss\":\"" FZ_ISS1 "\",\"aud\":\"" FZ_AUD "\",\"exp\":" EXP ","
		"\"impu\":[\"sip:wic9@wwsf1.lab\"],\"range\":\"sip:w2!.*!@wwsf2.lab\"}",
		"sip:wic9@wwsf1.lab", "w1" },
	{ "w2", WIC_ALG_HS256, true, "{\"alg\":\"HS256\",\"typ\":\"JWT\"}",
		"{\"iss\":\"" FZ_ISS2 "\",\"aud\":\"sip:epcscf2.lab\",\"exp\":" EXP ","
		"\"impu\":[\"sip:w2ab.cd.12@wwsf2.lab\",\"sip:w2x@wwsf2.lab\"],"
		"\"impi\":\"w2@wwsf2.lab\",\"range\":"
		"\"sip:w2!([a-z]+\\\\.)*[0-9]{2,}!@wwsf2.lab\"}",
		"sip:w2ab.cd.12@wwsf2.lab", "w2" },
	{ "expired", WIC_ALG_HS256, false, "{\"alg\":\"HS256\",\"kid\":\"hs\"}",
		"{\"iss\":\"" FZ_ISS1 "\",\"aud\":\"" FZ_AUD "\",\"exp\":1699999000,"
		"\"impu\":\"sip:wic1@wwsf1.lab\"}", "sip:wic1@wwsf1.lab", "w1" },
	{ "not-yet-valid", WIC_ALG_HS256, false,
		"{\"alg\":\"HS256\",\"kid\":\"hs\"}",
		"{\"iss\":\"" FZ_ISS1 "\",\"aud\":\"" FZ_AUD "\",\"exp\":1800000000,"
		"\"nbf\":1700009000,\"iat\":1.7e9,\"impu\":\"sip:wic1@wwsf1.lab\"}",
		"sip:wic1@wwsf1.lab", "w1" },
	{ "bad-claims", WIC_ALG_HS256, false, "{\"alg\":\"HS256\",\"kid\":\"hs\"}",
		"{\"iss\":\"" FZ_ISS1 "\",\"aud\":\"" FZ_AUD "\",\"exp\":" EXP ","
		"\"impu\":[\"sip:a@wwsf1.lab\",\"\",7],\"impi\":5,"
		"\"anon\":\"yes\"}", "sip:a@wwsf1.lab", "w1" },
	{ "alg-confusion", WIC_ALG_HS256, false,
		"{\"alg\":\"RS256\",\"kid\":\"hs\"}", C_W1, "sip:wic1@wwsf1.lab",
		"w1" },
	{ "wrong-kid", WIC_ALG_HS256, false,
		"{\"alg\":\"HS256\",\"kid\":\"ec256\"}", C_W1, "sip:wic1@wwsf1.lab",
		"w1" },
	{ "crit", WIC_ALG_HS256, false,
		"{\"alg\":\"HS256\",\"kid\":\"hs\",\"crit\":[\"exp\"]}", C_W1,
		"sip:wic1@wwsf1.lab", "w1" },
	/* WWSF 2 requires typ JWT (RFC 7515 4.1.9 comparison) */
	{ "w2-typ-app", WIC_ALG_HS256, true,
		"{\"alg\":\"HS256\",\"typ\":\"application/jwt\"}",
		"{\"iss\":\"" FZ_ISS2 "\",\"aud\":\"sip:epcscf2.lab\",\"exp\":" EXP ","
		"\"impu\":\"sip:w2x12@wwsf2.lab\"}", "sip:w2x12@wwsf2.lab", "w2" },
	{ "w2-no-typ", WIC_ALG_HS256, true, "{\"alg\":\"HS256\"}",
		"{\"iss\":\"" FZ_ISS2 "\",\"aud\":\"sip:epcscf2.lab\",\"exp\":" EXP ","
		"\"impu\":\"sip:w2x12@wwsf2.lab\"}", "sip:w2x12@wwsf2.lab", "w2" },
	/* token lifetime: issued long ago, and far too long ahead without iat */
	{ "lifetime-iat", WIC_ALG_HS256, false,
		"{\"alg\":\"HS256\",\"kid\":\"hs\"}",
		"{\"iss\":\"" FZ_ISS1 "\",\"aud\":\"" FZ_AUD "\",\"exp\":" EXP ","
		"\"iat\":1600000000,\"impu\":\"sip:wic1@wwsf1.lab\"}",
		"sip:wic1@wwsf1.lab", "w1" },
	{ "lifetime-exp", WIC_ALG_HS256, false,
		"{\"alg\":\"HS256\",\"kid\":\"hs\"}",
		"{\"iss\":\"" FZ_ISS1 "\",\"aud\":\"" FZ_AUD "\",\"exp\":1700200000,"
		"\"impu\":\"sip:wic1@wwsf1.lab\"}", "sip:wic1@wwsf1.lab", "w1" },
	{ "big-numbers", WIC_ALG_HS256, false,
		"{\"alg\":\"HS256\",\"kid\":\"hs\"}",
		"{\"iss\":\"" FZ_ISS1 "\",\"aud\":\"" FZ_AUD "\","
		"\"exp\":9223372036854775807,\"nbf\":-1e308,\"iat\":4.6e18,"
		"\"impu\":\"sip:wic1@wwsf1.lab\"}", "sip:wic1@wwsf1.lab", "w1" },
};

/* JWKS seeds: the fixture's P-256 and Ed25519 keys, an HMAC secret and a
 * fresh RSA key, in valid and broken variants. */
static void jwks_seeds(void)
{
	unsigned char pt[65], raw[32], nb[512], eb[8];
	size_t ptlen = 0, rawlen = sizeof(raw);
	EVP_PKEY *rsa = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
	BIGNUM *n = NULL, *e = NULL;
	char *x, *y, *okp, *k, *kn, *ke;
	int nlen, elen;

	if (!rsa || EVP_PKEY_get_bn_param(rsa, "n", &n) != 1
			|| EVP_PKEY_get_bn_param(rsa, "e", &e) != 1
			|| (nlen = BN_bn2bin(n, nb)) <= 0 || (elen = BN_bn2bin(e, eb)) <= 0
			|| EVP_PKEY_get_octet_string_param(ec256, "encoded-pub-key", pt,
				sizeof(pt), &ptlen) != 1 || ptlen != 65
			|| EVP_PKEY_get_raw_public_key(ed, raw, &rawlen) != 1) {
		fprintf(stderr, "make_seeds: JWKS keys\n");
		exit(1);
	}
	x = wic_jws_b64url(pt + 1, 32);
	y = wic_jws_b64url(pt + 33, 32);
	okp = wic_jws_b64url(raw, rawlen);
	k = wic_jws_b64url(fz_hmac1(), 64);
	kn = wic_jws_b64url(nb, (size_t)nlen);
	ke = wic_jws_b64url(eb, (size_t)elen);
	put("jwks", "all-types", "{\"keys\":[\n"
		"{\"kty\":\"EC\",\"crv\":\"P-256\",\"kid\":\"ec\",\"use\":\"sig\","
		"\"alg\":\"ES256\",\"x\":\"%s\",\"y\":\"%s\"},\n"
		"{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"kid\":\"ed\",\"x\":\"%s\"},\n"
		"{\"kty\":\"oct\",\"kid\":\"hs\",\"alg\":\"HS512\",\"k\":\"%s\"},\n"
		"{\"kty\":\"RSA\",\"kid\":\"rsa\",\"n\":\"%s\",\"e\":\"%s\"}]}\n",
		x, y, okp, k, kn, ke);
	put("jwks", "rsa-enc-skipped", "{\"keys\":[{\"kty\":\"RSA\",\"use\":\"enc\","
		"\"n\":\"%s\",\"e\":\"%s\"},{\"kty\":\"RSA\",\"alg\":\"PS256\","
		"\"n\":\"%s\",\"e\":\"AQAB\"}]}", kn, ke, kn);
	put("jwks", "ec-bad-point", "{\"keys\":[{\"kty\":\"EC\",\"crv\":\"P-384\","
		"\"x\":\"%s\",\"y\":\"%s\"},{\"kty\":\"EC\",\"crv\":\"P-256\","
		"\"x\":\"%s\",\"y\":\"%s\"}]}", x, y, y, x);
	put("jwks", "mismatch", "{\"keys\":[{\"kty\":\"OKP\",\"crv\":\"X25519\","
		"\"x\":\"%s\"},{\"kty\":\"oct\",\"alg\":\"RS256\",\"k\":\"%s\"},"
		"{\"kty\":\"EC\",\"alg\":\"HS256\",\"crv\":\"P-256\",\"x\":\"%s\","
		"\"y\":\"%s\"}]}", okp, k, x, y);
	put("jwks", "weird", "{\"keys\":[{\"kty\":\"RSA\",\"n\":\"AA\",\"e\":\"AQ\"},"
		"{\"kty\":\"oct\",\"k\":\"a\"},{\"kty\":\"oct\",\"kid\":7,\"k\":\"AAAA\"},"
		"{\"kty\":\"oct\",\"k\":\"=\"},[],{\"kty\":1}]}");
	put("jwks", "empty", "{\"keys\":[]}");
	/* public keys only: a private member refuses the file */
	put("jwks", "private-members", "{\"keys\":[{\"kty\":\"EC\",\"crv\":"
		"\"P-256\",\"kid\":\"ec\",\"x\":\"%s\",\"y\":\"%s\",\"d\":\"%s\"},"
		"{\"kty\":\"RSA\",\"n\":\"%s\",\"e\":\"%s\",\"p\":\"AQ\",\"q\":\"AQ\","
		"\"dp\":\"AQ\",\"dq\":\"AQ\",\"qi\":\"AQ\",\"oth\":[]}]}", x, y, x,
		kn, ke);
	/* kids name one key; short secrets and secrets named for HS512 */
	put("jwks", "kids-and-secrets", "{\"keys\":[{\"kty\":\"oct\",\"kid\":"
		"\"a\",\"k\":\"%.43s\"},{\"kty\":\"oct\",\"kid\":\"b\",\"alg\":"
		"\"HS512\",\"k\":\"%.43s\"},{\"kty\":\"OKP\",\"crv\":\"Ed25519\","
		"\"kid\":\"a\",\"x\":\"%s\"},{\"kty\":\"oct\",\"k\":\"%.64s\"}]}",
		k, k, okp, k);
	free(x);
	free(y);
	free(okp);
	free(k);
	free(kn);
	free(ke);
	BN_free(n);
	BN_free(e);
	EVP_PKEY_free(rsa);
}

int main(int argc, char **argv)
{
	size_t i;

	if (argc != 2) {
		fprintf(stderr, "usage: make_seeds CORPUS_DIR\n");
		return 2;
	}
	root = argv[1];
	ec256 = fz_ec256_key();
	ed = fz_ed25519_key();
	if (!ec256 || !ed) {
		fprintf(stderr, "make_seeds: no keys\n");
		return 1;
	}
	for (i = 0; i < sizeof(seeds) / sizeof(seeds[0]); i++) {
		const seed_t *s = &seeds[i];
		char *t = mint(s->alg, s->w2, s->header, s->claims);

		put("token", s->name, "%s", t);
		put("claims", s->name, "%s\n%s", s->header, s->claims);
		put("authz", s->name, "%s\n%s\n%s", t, s->impu, s->conn);
		free(t);
	}
	/* extraction seeds around one valid token */
	{
		char *t = mint(WIC_ALG_HS256, false, seeds[0].header, C_W1);
		char *e = mint(WIC_ALG_ES256, false, seeds[4].header, C_W1);

		put("token", "none", "eyJhbGciOiJub25lIn0.eyJpc3MiOiJodHRwczovL3d3"
				"c2YxLmxhYiJ9.");
		put("authz", "no-impu", "%s", t);
		put("authz", "no-wwsf", "%s\nsip:wic1@wwsf1.lab\n", t);
		put("bearer", "plain", "Bearer %s", t);
		put("bearer", "case-ws", "  bEARER \t %s \r\n", e);
		put("bearer", "two-tokens", "Bearer %s %s", t, t);
		put("bearer", "auth-params", "Bearer realm=\"x\", error=\"y\"");
		put("bearer", "digest", "Digest username=\"a\", realm=\"b\"");
		put("bearer", "empty", "Bearer ");
		put("body", "jwt", "application/jwt\n%s\r\n", t);
		put("body", "jwt-params", "Application/JWT ; charset=utf-8\n %s ", e);
		put("body", "multipart", "multipart/mixed;boundary=b1\n"
				"--b1\r\nContent-Type: application/sdp\r\n\r\nv=0\r\n"
				"--b1\r\nContent-Type: application/jwt\r\n\r\n%s\r\n"
				"--b1--\r\n", t);
		put("body", "multipart-quoted", "multipart/related; type=x; "
				"boundary = \"a b:c\"\n"
				"preamble\r\n--a b:c  \r\nc: application/jwt\r\n"
				"Content-Length: 9\r\n\r\n%s\r\n--a b:c--\r\nepilogue", e);
		put("body", "multipart-lf", "multipart/mixed; boundary=XYZ\n"
				"--XYZ\nContent-Type:text/plain\n\nhello\n--XYZ\n"
				"CONTENT-TYPE: application/jwt;x=1\n\n\n%s\n\n--XYZ--\n", t);
		put("body", "multipart-no-jwt", "multipart/mixed;boundary=b\n"
				"--b\r\nContent-Type: application/sdp\r\n\r\nv=0\r\n--b--\r\n");
		put("body", "multipart-unterminated", "multipart/mixed;boundary=b\n"
				"--b\r\nContent-Type: application/jwt\r\n\r\n%s", t);
		free(t);
		free(e);
	}
	jwks_seeds();
	EVP_PKEY_free(ec256);
	EVP_PKEY_free(ed);
	return failed;
}
