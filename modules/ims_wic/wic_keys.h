/*
 * SPDX-License-Identifier: GPL-2.0-or-later
 * Copyright (C) 2026 the ims_wic authors
 *
 * ims_wic - token verification keys of a WWSF (PEM files, JWKS files,
 * HMAC secrets), each with the algorithms it may be used with.
 */
#ifndef WIC_KEYS_H
#define WIC_KEYS_H

#include <stdbool.h>
#include <stddef.h>
#include <openssl/evp.h>

/* JWS algorithms, as bits of an allow-list. "none" has no bit: never allowed. */
enum wic_alg
{
	WIC_ALG_HS256 = 1u << 0,
	WIC_ALG_HS384 = 1u << 1,
	WIC_ALG_HS512 = 1u << 2,
	WIC_ALG_RS256 = 1u << 3,
	WIC_ALG_RS384 = 1u << 4,
	WIC_ALG_RS512 = 1u << 5,
	WIC_ALG_ES256 = 1u << 6,
	WIC_ALG_ES384 = 1u << 7,
	WIC_ALG_ES512 = 1u << 8,
	WIC_ALG_PS256 = 1u << 9,
	WIC_ALG_EDDSA = 1u << 10,
};
#define WIC_ALG_HMAC (WIC_ALG_HS256 | WIC_ALG_HS384 | WIC_ALG_HS512)
#define WIC_ALG_COUNT 11 /* bits above */

/* "ES256" -> WIC_ALG_ES256; 0 for unknown names and for "none". */
unsigned wic_alg_from_name(const char *name, size_t len);
const char *wic_alg_name(unsigned alg);
/* Bit number of one algorithm (0..WIC_ALG_COUNT-1); digest of a JWS alg
 * (NULL for EdDSA, which hashes internally). */
unsigned wic_alg_index(unsigned alg);
const EVP_MD *wic_alg_md(unsigned alg);

typedef enum wic_key_type
{
	WIC_KEY_HMAC, /* secret, secret_len */
	WIC_KEY_RSA,  /* pkey */
	WIC_KEY_EC,	  /* pkey, P-256/384/521 */
	WIC_KEY_OKP,  /* pkey, Ed25519 */
} wic_key_type_t;

typedef struct wic_key
{
	char *kid; /* NULL when the key has none */
	wic_key_type_t type;
	unsigned algs;	/* allowed algorithms; always consistent with type */
	EVP_PKEY *pkey; /* public key, asymmetric types */
	unsigned char *secret;
	size_t secret_len;
	/* Contexts initialised at the first token of each allowed algorithm
	 * (index wic_alg_index), duplicated per token: OpenSSL 3 otherwise
	 * fetches providers on every init. See wic_key_verify_template(). */
	EVP_MD_CTX *vctx[WIC_ALG_COUNT];  /* asymmetric keys */
	EVP_MAC_CTX *mctx[WIC_ALG_COUNT]; /* HMAC keys */
	OSSL_LIB_CTX *libctx; /* the keyset's, for contexts built per call */
} wic_key_t;

/* A key of the provisioning not built yet (wic_keyset_defer): what the
 * add functions would take. */
typedef enum wic_key_source_kind
{
	WIC_SOURCE_PEM,
	WIC_SOURCE_JWKS,
	WIC_SOURCE_HMAC, /* data: the secret */
} wic_key_source_kind_t;

typedef struct wic_key_source
{
	wic_key_source_kind_t kind;
	char *name; /* file, for errors; NULL for HMAC */
	unsigned char *data;
	size_t len;
	char *kid;
	unsigned algs;
} wic_key_source_t;

typedef struct wic_keyset
{
	wic_key_t *keys;
	size_t n;
	/* The WWSF's opt-in to shared secrets (HMAC secrets, oct JWKs): a
	 * secret is also a signing key, so it is refused unless set. */
	bool allow_hmac;
	/* OpenSSL library context keys are built and used in (NULL: the
	 * default one). Not owned. Kamailio's tls module puts OpenSSL's memory
	 * in shared memory, so a context made before fork would be shared by
	 * every process: each process gives its own instead. */
	OSSL_LIB_CTX *libctx;
	/* Keys deferred to their first use (wic_keyset_ready), in order. */
	wic_key_source_t *pending;
	size_t n_pending;
} wic_keyset_t;

/* A PEM or JWKS file of this size or more is refused: a key takes a few
 * KiB, and the file goes to shared memory with the provisioning. */
#define WIC_KEY_FILE_MAX (1024u * 1024u)

/* The add functions return 0, or -1 with the reason in err.
 * algs == 0 means "every algorithm the key supports"; algs that do not fit
 * the key (HMAC alg on an RSA key, HS512 on a 32-byte secret, ...) are an
 * error. A kid already carried by a key of the set is an error. */
int wic_keyset_add_pem(wic_keyset_t *ks, const char *path, const char *kid,
		unsigned algs, char *err, size_t errlen);
/* The same from the file's bytes; name only names it in errors. The file
 * holds one public key: anything but white space after it is an error. */
int wic_keyset_add_pem_data(wic_keyset_t *ks, const char *name,
		const unsigned char *data, size_t len, const char *kid, unsigned algs,
		char *err, size_t errlen);
/* A JWKS publishes public keys: a JWK with a private member (d, p, q, dp,
 * dq, qi, oth) makes the whole file an error, and an oct JWK (a shared
 * secret) needs ks->allow_hmac. All or nothing: on error, nothing of the
 * file stays in ks. */
int wic_keyset_add_jwks(wic_keyset_t *ks, const char *path, unsigned algs,
		char *err, size_t errlen);
int wic_keyset_add_jwks_data(wic_keyset_t *ks, const char *name,
		const unsigned char *data, size_t len, unsigned algs, char *err,
		size_t errlen);
/* RFC 7518 3.2: a secret supports HS256/384/512 only when it has at least
 * 32/48/64 bytes; the default allow-list is what its length supports.
 * Refused unless ks->allow_hmac. */
int wic_keyset_add_hmac(wic_keyset_t *ks, const unsigned char *secret,
		size_t len, const char *kid, unsigned algs, char *err, size_t errlen);
/* HMAC algorithms a secret of len bytes is long enough for. */
unsigned wic_hmac_algs_for_len(size_t len);

/* The key for a token: by kid when the token has one, else the only key
 * that allows alg. NULL when none fits. A kid that no key carries falls
 * back to the only kid-less key that allows alg. */
const wic_key_t *wic_keyset_find(
		const wic_keyset_t *ks, const char *kid, unsigned alg);
/* The key whose kid is kid, whatever its algorithms; NULL when none. */
const wic_key_t *wic_keyset_by_kid(const wic_keyset_t *ks, const char *kid);
/* Union of the allow-lists of every key (the WWSF's allowed algorithms). */
unsigned wic_keyset_algs(const wic_keyset_t *ks);

/* Keeps a copy of a key's source instead of building it: OpenSSL objects
 * cost memory (several KiB a key, in shared memory with the tls module)
 * and time in every process, while a process only ever uses the keys of
 * the WWSFs whose WICs it serves. For a source that a build of the same
 * bytes already accepted (the reloading process validates). 0, or -1 (out
 * of memory) with the reason in err. */
int wic_keyset_defer(wic_keyset_t *ks, wic_key_source_kind_t kind,
		const char *name, const unsigned char *data, size_t len,
		const char *kid, unsigned algs, char *err, size_t errlen);
/* Builds the deferred keys, in order, in place: the keyset belongs to this
 * process (const only because lookups hand it out so). 0, or -1 with the
 * reason in err; after a failure nothing is built and the next call tries
 * again. */
int wic_keyset_ready(const wic_keyset_t *ks, char *err, size_t errlen);

void wic_keyset_clear(wic_keyset_t *ks);

/* The context of k prepared for alg, to duplicate per token: built at
 * the first call and kept in k (which belongs to this process). NULL when
 * alg is not k's, or OpenSSL failed (then initialise per call). */
const EVP_MD_CTX *wic_key_verify_template(const wic_key_t *k, unsigned alg);
const EVP_MAC_CTX *wic_key_mac_template(const wic_key_t *k, unsigned alg);

/* EVP_DigestVerifyInit_ex() of ctx for a JWS alg with the public key k, in
 * k's library context; RSASSA-PSS parameters of RFC 7518 3.5 for PS256.
 * 1 on success, 0 on failure (OpenSSL's error queue not cleared). */
int wic_digest_verify_init(EVP_MD_CTX *ctx, const wic_key_t *k, unsigned alg);

#endif
