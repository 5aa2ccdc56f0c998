/*
 * SPDX-License-Identifier: GPL-2.0-or-later
 * Copyright (C) 2026 the ims_wic authors
 *
 * ims_wic - WWSF provisioning: who may connect (origins), whose tokens are
 * accepted (issuers, keys, audience), which identities they may hand out
 * (wildcarded PUI ranges) and how each range is registered with the IMS Core.
 */
#ifndef WIC_PROV_H
#define WIC_PROV_H

#include <stdbool.h>
#include <stddef.h>
#include "wic_bundle.h"
#include "wic_keys.h"
#include "wic_pui.h"

enum wic_trigger
{
	WIC_TRIGGER_STARTUP = 1u << 0,
	WIC_TRIGGER_ON_DEMAND = 1u << 1,
	WIC_TRIGGER_TOKEN = 1u << 2,
};

typedef struct wic_range
{
	char *wildcard; /* "sip:demo!.*!@wwsf.lab" */
	wic_pui_range_t *pui;
	char *distinct_pui; /* registered on the range's behalf */
	char *impi;			/* Authorization username of the range REGISTER */
	unsigned triggers;	/* enum wic_trigger bits */
	unsigned linger;	/* s before de-registering an empty range */
	unsigned expires;	/* Expires asked for in the range REGISTER */
} wic_range_t;

/* Per-WWSF registrar limits. */
typedef struct wic_limits
{
	unsigned max_contacts_per_impu; /* default 5 */
	unsigned max_expires;			/* s, default 3600 */
	unsigned max_token_lifetime;	/* s; 0: the file's max_token_lifetime */
} wic_limits_t;

typedef struct wic_wwsf
{
	char *id;
	char **origins; /* exact scheme://host[:port] */
	size_t n_origins;
	char **issuers;
	size_t n_issuers;
	char *audience; /* NULL: the file's default */
	/* typ header value its tokens must carry (RFC 8725 3.11); NULL: any */
	char *required_typ;
	wic_keyset_t keys; /* keys.allow_hmac: the WWSF's allow_hmac opt-in */
	wic_range_t *ranges;
	size_t n_ranges;
	wic_limits_t limits;
} wic_wwsf_t;

typedef struct wic_claim_names
{
	char *impu;	 /* default "impu" (string or array) */
	char *impi;	 /* default "impi" */
	char *range; /* default "range" */
	char *anon;	 /* default "anon" */
} wic_claim_names_t;

struct wic_index;

typedef struct wic_prov
{
	char *path;		/* file it came from, for messages */
	char *audience; /* default audience ("aud" must contain it) */
	wic_claim_names_t claims;
	unsigned max_token_size; /* bytes, default 8192 */
	unsigned leeway;		 /* s, default 30 */
	/* s, default 86400: longest exp - iat and exp - now of a token; 0 is
	 * the default too (an in-memory provisioning) */
	unsigned max_token_lifetime;
	wic_wwsf_t *wwsfs;
	size_t n_wwsfs;
	/* lookup indexes (wic_index.h), built by wic_prov_load_file; NULL in
	 * a provisioning built by hand: the lookups then scan */
	struct wic_index *index;
} wic_prov_t;

/* Load and check a provisioning file. Relative key paths are relative to
 * the file's folder. Files come from bytes: the ones it holds, and, unless
 * it is sealed, others read from disk and added to it (so that after a
 * load from disk, bytes holds exactly what was read). Keys are made in
 * libctx (NULL: OpenSSL's default), now or, with WIC_PROV_DEFER_KEYS, at
 * their first use. On error returns -1 and err says
 * "<file>: line N: ..." or "<file>: wwsfs[0].ranges[1].trigger: ...". */
/* flags of wic_prov_load */
enum wic_prov_flags
{
	/* keys kept as their bytes and built at first use (wic_keyset_ready):
	 * for bytes that a load without this flag accepted */
	WIC_PROV_DEFER_KEYS = 1u << 0,
};
int wic_prov_load(const char *path, wic_bundle_t *bytes, OSSL_LIB_CTX *libctx,
		unsigned flags, wic_prov_t **out, char *err, size_t errlen);
/* The same from disk, keeping nothing of the bytes read. */
int wic_prov_load_file(
		const char *path, wic_prov_t **out, char *err, size_t errlen);
void wic_prov_free(wic_prov_t *p);

const wic_wwsf_t *wic_prov_wwsf_by_id(const wic_prov_t *p, const char *id);
const wic_wwsf_t *wic_prov_wwsf_by_origin(
		const wic_prov_t *p, const char *origin, size_t len);
const wic_wwsf_t *wic_prov_wwsf_by_issuer(
		const wic_prov_t *p, const char *iss, size_t len);
/* First range of w (or of any WWSF when w is NULL) that contains impu. */
const wic_range_t *wic_prov_range_of(const wic_prov_t *p, const wic_wwsf_t *w,
		const char *impu, size_t len, const wic_wwsf_t **owner);
/* Range of w whose wildcard text equals text (token trigger); p, when
 * not NULL, is the provisioning w belongs to (its index). */
const wic_range_t *wic_prov_range_by_text(
		const wic_prov_t *p, const wic_wwsf_t *w, const char *text, size_t len);
/* First range whose distinct PUI equals pui. */
const wic_range_t *wic_prov_range_by_pui(const wic_prov_t *p, const char *pui);

#endif
