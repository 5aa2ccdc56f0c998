/*
 * SPDX-License-Identifier: GPL-2.0-or-later
 * Copyright (C) 2026 the ims_wic authors
 *
 * wic-token - mint the token a WWSF hands to its WIC (REQUIREMENTS.md 2),
 * for WWSF integrators and tests. Prints the compact JWS on stdout.
 *
 *   wic-token --key PRIV.pem | --hmac SECRET_B64URL | --hmac-text SECRET
 *             --alg ES256 [--kid K] --iss I --aud A --impu sip:x@y
 *             [--impu ...] [--impi I] [--range R] [--anon]
 *             [--lifetime 300] [--nbf-offset N] [--iat-offset N]
 *             [--now EPOCH] [--claim name=json]...
 *
 * --hmac takes the secret as the provisioning file writes it (unpadded
 * base64url); --hmac-text takes it literally.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <jansson.h>
#include <openssl/pem.h>

#include "wic_keys.h"
#include "wic_jws_sign.h"

typedef struct opts {
	const char *key_file;
	unsigned char *secret;
	size_t secret_len;
	unsigned alg;
	const char *kid, *iss, *aud, *impi, *range;
	const char **impus;
	size_t n_impus;
	bool anon;
	long lifetime, iat_offset, nbf_offset, now;
	bool has_nbf, has_now;
	json_t *extra; /* --claim name=json, applied last */
} opts_t;

static void usage(FILE *out)
{
	fputs("usage: wic-token (--key PRIV.pem | --hmac B64URL | --hmac-text S)\n"
		"  --alg HS256|HS384|HS512|RS256|RS384|RS512|PS256|ES256|ES384|"
		"ES512|EdDSA\n"
		"  [--kid K] --iss ISSUER --aud AUDIENCE --impu URI [--impu URI]...\n"
		"  [--impi I] [--range WILDCARD] [--anon] [--lifetime S]\n"
		"  [--nbf-offset S] [--iat-offset S] [--now EPOCH]\n"
		"  [--claim name=json]...\n", out);
}

static int die(const char *msg, const char *arg)
{
	fprintf(stderr, "wic-token: %s%s%s\n", msg, arg ? ": " : "",
			arg ? arg : "");
	return 2;
}

static int parse_long(const char *s, long *out)
{
	char *end;
	errno = 0;
	*out = strtol(s, &end, 10);
	return (errno || end == s || *end) ? -1 : 0;
}

static int b64url_value(int c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	return c == '-' ? 62 : c == '_' ? 63 : -1;
}

/* the provisioning file's form of an HMAC secret */
static int set_secret_b64(opts_t *o, const char *s)
{
	size_t len = strlen(s), i, n = 0;
	unsigned acc = 0;
	int bits = 0;

	free(o->secret);
	o->secret = malloc(len * 3 / 4 + 1);
	if (!o->secret || len % 4 == 1)
		return -1;
	for (i = 0; i < len; i++) {
		int v = b64url_value((unsigned char)s[i]);
		if (v < 0)
			return -1;
		acc = (acc << 6) | (unsigned)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			o->secret[n++] = (unsigned char)(acc >> bits);
			acc &= (1u << bits) - 1;
		}
	}
	o->secret_len = n;
	return n ? 0 : -1;
}

static int set_secret_text(opts_t *o, const char *s)
{
	free(o->secret);
	o->secret_len = strlen(s);
	o->secret = (unsigned char *)strdup(s);
	return (o->secret && o->secret_len) ? 0 : -1;
}

static int add_claim(opts_t *o, const char *arg)
{
	const char *eq = strchr(arg, '=');
	json_t *v;
	char *name;

	if (!eq || eq == arg)
		return -1;
	v = json_loads(eq + 1, JSON_DECODE_ANY, NULL);
	name = strndup(arg, (size_t)(eq - arg));
	if (!v || !name || json_object_set_new(o->extra, name, v) != 0) {
		free(name);
		return -1;
	}
	free(name);
	return 0;
}

static int add_impu(opts_t *o, const char *impu)
{
	const char **grown = realloc(o->impus, (o->n_impus + 1) * sizeof(*grown));
	if (!grown)
		return -1;
	o->impus = grown;
	o->impus[o->n_impus++] = impu;
	return 0;
}

enum { OPT_KEY = 256, OPT_HMAC, OPT_HMAC_TEXT, OPT_ALG, OPT_KID, OPT_ISS,
	OPT_AUD, OPT_IMPU, OPT_IMPI, OPT_RANGE, OPT_ANON, OPT_LIFETIME, OPT_NBF,
	OPT_IAT, OPT_NOW, OPT_CLAIM, OPT_HELP };

static const struct option long_opts[] = {
	{"key", required_argument, NULL, OPT_KEY},
	{"hmac", required_argument, NULL, OPT_HMAC},
	{"hmac-text", required_argument, NULL, OPT_HMAC_TEXT},
	{"alg", required_argument, NULL, OPT_ALG},
	{"kid", required_argument, NULL, OPT_KID},
	{"iss", required_argument, NULL, OPT_ISS},
	{"aud", required_argument, NULL, OPT_AUD},
	{"impu", required_argument, NULL, OPT_IMPU},
	{"impi", required_argument, NULL, OPT_IMPI},
	{"range", required_argument, NULL, OPT_RANGE},
	{"anon", no_argument, NULL, OPT_ANON},
	{"lifetime", required_argument, NULL, OPT_LIFETIME},
	{"nbf-offset", required_argument, NULL, OPT_NBF},
	{"iat-offset", required_argument, NULL, OPT_IAT},
	{"now", required_argument, NULL, OPT_NOW},
	{"claim", required_argument, NULL, OPT_CLAIM},
	{"help", no_argument, NULL, OPT_HELP},
	{NULL, 0, NULL, 0},
};

/* One option; returns 0, or the exit code to leave with. */
static int apply_opt(opts_t *o, int c, const char *arg)
{
	switch (c) {
	case OPT_KEY: o->key_file = arg; return 0;
	case OPT_HMAC:
		return set_secret_b64(o, arg) ? die("bad base64url secret", NULL) : 0;
	case OPT_HMAC_TEXT:
		return set_secret_text(o, arg) ? die("empty secret", NULL) : 0;
	case OPT_ALG:
		o->alg = wic_alg_from_name(arg, strlen(arg));
		return o->alg ? 0 : die("unknown alg", arg);
	case OPT_KID: o->kid = arg; return 0;
	case OPT_ISS: o->iss = arg; return 0;
	case OPT_AUD: o->aud = arg; return 0;
	case OPT_IMPU: return add_impu(o, arg) ? die("out of memory", NULL) : 0;
	case OPT_IMPI: o->impi = arg; return 0;
	case OPT_RANGE: o->range = arg; return 0;
	case OPT_ANON: o->anon = true; return 0;
	case OPT_LIFETIME:
		return parse_long(arg, &o->lifetime) ? die("bad --lifetime", arg) : 0;
	case OPT_NBF:
		o->has_nbf = true;
		return parse_long(arg, &o->nbf_offset) ? die("bad --nbf-offset",
				arg) : 0;
	case OPT_IAT:
		return parse_long(arg, &o->iat_offset) ? die("bad --iat-offset",
				arg) : 0;
	case OPT_NOW:
		o->has_now = true;
		return parse_long(arg, &o->now) ? die("bad --now", arg) : 0;
	case OPT_CLAIM:
		return add_claim(o, arg) ? die("bad --claim (name=json)", arg) : 0;
	case OPT_HELP: usage(stdout); return 1;
	default: usage(stderr); return 2;
	}
}

static int parse_args(opts_t *o, int argc, char **argv)
{
	int c, rc;

	while ((c = getopt_long(argc, argv, "", long_opts, NULL)) != -1) {
		if ((rc = apply_opt(o, c, optarg)) != 0)
			return rc;
	}
	if (optind != argc)
		return die("unexpected argument", argv[optind]);
	if (!o->alg || !o->iss || !o->aud || o->n_impus == 0)
		return die("--alg, --iss, --aud and --impu are required", NULL);
	if ((o->alg & WIC_ALG_HMAC) ? !o->secret : !o->key_file)
		return die((o->alg & WIC_ALG_HMAC) ? "HS* needs --hmac"
				: "this alg needs --key", NULL);
	if (!o->has_now)
		o->now = (long)time(NULL);
	return 0;
}

static json_t *build_claims(const opts_t *o)
{
	json_t *c = json_object(), *impu;
	size_t i;

	if (!c)
		return NULL;
	if (o->n_impus == 1) {
		impu = json_string(o->impus[0]);
	} else {
		impu = json_array();
		for (i = 0; impu && i < o->n_impus; i++)
			json_array_append_new(impu, json_string(o->impus[i]));
	}
	json_object_set_new(c, "iss", json_string(o->iss));
	json_object_set_new(c, "aud", json_string(o->aud));
	json_object_set_new(c, "iat", json_integer(o->now + o->iat_offset));
	json_object_set_new(c, "exp", json_integer(o->now + o->lifetime));
	if (o->has_nbf)
		json_object_set_new(c, "nbf", json_integer(o->now + o->nbf_offset));
	json_object_set_new(c, "impu", impu);
	if (o->impi)
		json_object_set_new(c, "impi", json_string(o->impi));
	if (o->range)
		json_object_set_new(c, "range", json_string(o->range));
	if (o->anon)
		json_object_set_new(c, "anon", json_true());
	if (json_object_update(c, o->extra) != 0) {
		json_decref(c);
		return NULL;
	}
	return c;
}

static char *build_header(const opts_t *o)
{
	json_t *h = json_pack("{s:s, s:s}", "alg", wic_alg_name(o->alg),
			"typ", "JWT");
	char *s;

	if (h && o->kid)
		json_object_set_new(h, "kid", json_string(o->kid));
	s = h ? json_dumps(h, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
	json_decref(h);
	return s;
}

static EVP_PKEY *load_private(const char *path)
{
	BIO *b = BIO_new_file(path, "r");
	EVP_PKEY *k = b ? PEM_read_bio_PrivateKey(b, NULL, NULL, NULL) : NULL;
	BIO_free(b);
	return k;
}

static int mint(const opts_t *o)
{
	EVP_PKEY *priv = NULL;
	json_t *claims = build_claims(o);
	char *cj = claims ? json_dumps(claims, JSON_COMPACT | JSON_PRESERVE_ORDER)
			: NULL;
	char *hj = build_header(o), *tok = NULL;
	int rc = 1;

	if (!cj || !hj) {
		fprintf(stderr, "wic-token: cannot build the token JSON\n");
		goto out;
	}
	if (!(o->alg & WIC_ALG_HMAC) && !(priv = load_private(o->key_file))) {
		fprintf(stderr, "wic-token: %s: no PEM private key\n", o->key_file);
		goto out;
	}
	tok = wic_jws_sign(hj, cj, o->alg, priv, o->secret, o->secret_len);
	if (!tok) {
		fprintf(stderr, "wic-token: signing failed (does the key fit %s?)\n",
				wic_alg_name(o->alg));
		goto out;
	}
	printf("%s\n", tok);
	rc = 0;
out:
	free(tok);
	free(hj);
	free(cj);
	json_decref(claims);
	EVP_PKEY_free(priv);
	return rc;
}

int main(int argc, char **argv)
{
	opts_t o = { .lifetime = 300, .extra = json_object() };
	int rc;

	if (!o.extra)
		return 1;
	rc = parse_args(&o, argc, argv);
	if (rc == 0)
		rc = mint(&o);
	else if (rc == 1)
		rc = 0; /* --help */
	if (o.secret)
		OPENSSL_cleanse(o.secret, o.secret_len);
	free(o.secret);
	free(o.impus);
	json_decref(o.extra);
	return rc;
}
