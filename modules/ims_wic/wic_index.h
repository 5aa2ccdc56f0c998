/*
 * SPDX-License-Identifier: GPL-2.0-or-later
 * Copyright (C) 2026 the ims_wic authors
 *
 * ims_wic - lookup indexes of a loaded provisioning, so that the cost of
 * a lookup does not grow with the number of WWSFs and ranges:
 *
 *   - WWSF by id, by Origin (ASCII case-insensitive) and by issuer (exact):
 *     hash tables;
 *   - range by wildcard text and by distinct PUI: hash tables;
 *   - range containing an identity: the identity is normalised once, then
 *     only the ranges of its scheme and host ("@host" of the normal form,
 *     none for tel:) whose literal prefix (scheme and the user part before
 *     the expression) starts the identity are candidates, found by one
 *     hash probe per prefix length present for that host; the expression
 *     runs on the candidates only, in file order, and the first match wins.
 *
 * Every answer is the one the linear scan in file order gives (the first
 * WWSF, the first range); tests/unit/test_index.c checks it on random
 * provisionings. Built once per loaded provisioning (wic_prov_load_file),
 * malloc'ed like the provisioning, and it points into it: it lives and
 * dies with it (wic_prov_free).
 */
#ifndef WIC_INDEX_H
#define WIC_INDEX_H

#include <stddef.h>

#include "wic_prov.h"

typedef struct wic_index wic_index_t;

/* NULL when out of memory or when p holds more than 2^31 items. */
wic_index_t *wic_index_build(const wic_prov_t *p);
void wic_index_free(wic_index_t *ix);

const wic_wwsf_t *wic_index_wwsf_by_id(
		const wic_index_t *ix, const char *id, size_t len);
const wic_wwsf_t *wic_index_wwsf_by_origin(
		const wic_index_t *ix, const char *origin, size_t len);
const wic_wwsf_t *wic_index_wwsf_by_issuer(
		const wic_index_t *ix, const char *iss, size_t len);
/* First range (of w, or of any WWSF when w is NULL) containing impu. */
const wic_range_t *wic_index_range_of(const wic_index_t *ix,
		const wic_wwsf_t *w, const char *impu, size_t len,
		const wic_wwsf_t **owner);
/* First range (of w, or of any WWSF when w is NULL) whose wildcard text
 * equals text. */
const wic_range_t *wic_index_range_by_text(const wic_index_t *ix,
		const wic_wwsf_t *w, const char *text, size_t len);
/* First range whose distinct PUI equals pui. */
const wic_range_t *wic_index_range_by_pui(
		const wic_index_t *ix, const char *pui, size_t len);

/* Duplicates the provisioning must not hold, in the order the loader
 * checks them: WWSF by WWSF (0 .. n_wwsfs - 1), in each its id, then its
 * origins, issuers, wildcards and distinct PUIs, each compared exactly with
 * every earlier one (earlier WWSFs, then earlier items of its own). */
typedef enum
{
	WIC_DUP_ID,
	WIC_DUP_ORIGIN,
	WIC_DUP_ISSUER,
	WIC_DUP_WILDCARD,
	WIC_DUP_DISTINCT
} wic_dup_kind_t;

typedef struct wic_dup
{
	size_t wwsf;		 /* WWSF holding the repeated item */
	wic_dup_kind_t kind; /* which list */
	size_t item;		 /* index in that list (0 for the id) */
	size_t owner;		 /* WWSF of the first occurrence */
} wic_dup_t;

/* First duplicate among WWSFs 0 .. n_wwsfs - 1 of p (n_wwsfs may be fewer
 * than p holds): 1 and *out, 0 when there is none, -1 when out of memory.
 * Sorting makes it O(n log n), not a scan per item. */
int wic_index_first_duplicate(
		const wic_prov_t *p, size_t n_wwsfs, wic_dup_t *out);

/* Bytes the index holds (for the figures in docs/performance.md). */
size_t wic_index_bytes(const wic_index_t *ix);

#endif
