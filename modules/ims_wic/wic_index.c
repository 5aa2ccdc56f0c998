/*
 * SPDX-License-Identifier: GPL-2.0-or-later
 * Copyright (C) 2026 the ims_wic authors
 *
 * ims_wic - lookup indexes of a loaded provisioning (see wic_index.h).
 *
 * Every table is the same structure: an array of items sorted by key, then
 * by file order, and an open-addressing hash table whose slots name the
 * run of items of one key. A lookup hashes the key once and gets every
 * item of that key in file order, so "first in file order" needs no scan.
 *
 * The range table is keyed by (host part, literal prefix) of each range in
 * normal form; the host table lists, per host part, the lengths of the
 * literal prefixes present, so that a lookup probes the range table once
 * per length, with the identity's own first bytes as the prefix.
 */
#include "wic_index.h"
#include "wic_mem.h"
#include "wic_pui.h"
#include "wic_uri.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

typedef struct ix_item
{
	const char *a; /* first part of the key */
	const char *b; /* second part ("" for one-part keys) */
	uint32_t alen;
	uint32_t blen;
	uint32_t order; /* file order; the host table: the prefix length */
	uint32_t val;	/* WWSF index, flat range index or prefix length */
} ix_item_t;

typedef struct ix_slot
{
	uint32_t hash;
	uint32_t first; /* first item of the run */
	uint32_t count; /* 0: empty slot */
} ix_slot_t;

typedef struct ix_map
{
	bool icase; /* keys compare ASCII case-insensitively */
	ix_item_t *items;
	size_t n;
	ix_slot_t *slots;
	uint32_t mask;
} ix_map_t;

struct wic_index
{
	const wic_prov_t *p;
	ix_map_t ids, origins, issuers, texts, puis, prefixes, hosts;
	const wic_range_t **ranges; /* every range, file order */
	uint32_t *range_wwsf;		/* WWSF index of each range */
	size_t n_ranges;
	size_t bytes;
};

#define IX_MAX ((size_t)INT32_MAX)

/* ---------------------------------------------------------------- keys */

static unsigned char lower(unsigned char c)
{
	return c >= 'A' && c <= 'Z' ? (unsigned char)(c - 'A' + 'a') : c;
}

static uint32_t hash_part(uint32_t h, const char *s, size_t len, bool icase)
{
	for(size_t i = 0; i < len; i++) {
		h ^= icase ? lower((unsigned char)s[i]) : (unsigned char)s[i];
		h *= 16777619u; /* FNV-1a */
	}
	return h;
}

static uint32_t hash_key(
		const char *a, size_t alen, const char *b, size_t blen, bool icase)
{
	uint32_t h = hash_part(2166136261u, a, alen, icase);
	h ^= 0x100u; /* no byte value: ("ab", "c") and ("a", "bc") differ */
	h *= 16777619u;
	return hash_part(h, b, blen, icase);
}

static int cmp_part(
		const char *x, size_t xl, const char *y, size_t yl, bool icase)
{
	size_t n = xl < yl ? xl : yl;
	for(size_t i = 0; i < n; i++) {
		unsigned char cx = (unsigned char)x[i], cy = (unsigned char)y[i];
		if(icase) {
			cx = lower(cx);
			cy = lower(cy);
		}
		if(cx != cy)
			return cx < cy ? -1 : 1;
	}
	return xl == yl ? 0 : (xl < yl ? -1 : 1);
}

static int cmp_key(const ix_item_t *x, const char *a, size_t alen,
		const char *b, size_t blen, bool icase)
{
	int c = cmp_part(x->a, x->alen, a, alen, icase);
	return c != 0 ? c : cmp_part(x->b, x->blen, b, blen, icase);
}

static int cmp_items(const ix_item_t *x, const ix_item_t *y, bool icase)
{
	int c = cmp_key(x, y->a, y->alen, y->b, y->blen, icase);
	if(c != 0)
		return c;
	return x->order == y->order ? 0 : (x->order < y->order ? -1 : 1);
}

static int cmp_items_exact(const void *x, const void *y)
{
	return cmp_items(x, y, false);
}

static int cmp_items_icase(const void *x, const void *y)
{
	return cmp_items(x, y, true);
}

/* ----------------------------------------------------------------- maps */

/* Takes items (n of them, malloc'ed): sorts them, drops repeated (key,
 * order) pairs and builds the slots. -1 when out of memory. */
static int map_build(
		ix_map_t *m, ix_item_t *items, size_t n, bool icase, size_t *bytes)
{
	size_t kept = 0, runs = 0, cap = 4;

	m->icase = icase;
	m->items = items;
	if(n > 1)
		qsort(items, n, sizeof(*items),
				icase ? cmp_items_icase : cmp_items_exact);
	for(size_t i = 0; i < n; i++) {
		if(kept > 0 && cmp_items(&items[kept - 1], &items[i], icase) == 0)
			continue;
		items[kept++] = items[i];
	}
	m->n = kept;
	for(size_t i = 0; i < kept; i++) {
		if(i == 0
				|| cmp_key(&items[i - 1], items[i].a, items[i].alen, items[i].b,
						   items[i].blen, icase)
						   != 0)
			runs++;
	}
	while(cap < 2 * runs)
		cap <<= 1;
	m->slots = wic_calloc(cap, sizeof(*m->slots));
	if(m->slots == NULL)
		return -1;
	m->mask = (uint32_t)(cap - 1);
	*bytes += cap * sizeof(*m->slots) + n * sizeof(*items);
	for(size_t i = 0; i < kept;) {
		size_t j = i + 1;
		while(j < kept
				&& cmp_key(&items[j], items[i].a, items[i].alen, items[i].b,
						   items[i].blen, icase)
						   == 0)
			j++;
		uint32_t h = hash_key(
				items[i].a, items[i].alen, items[i].b, items[i].blen, icase);
		uint32_t s = h & m->mask;
		while(m->slots[s].count != 0)
			s = (s + 1) & m->mask;
		m->slots[s] = (ix_slot_t){h, (uint32_t)i, (uint32_t)(j - i)};
		i = j;
	}
	return 0;
}

static void map_free(ix_map_t *m)
{
	wic_free(m->items);
	wic_free(m->slots);
}

/* The run of items whose key is (a, b), in file order; NULL when none. */
static const ix_item_t *map_get(const ix_map_t *m, const char *a, size_t alen,
		const char *b, size_t blen, uint32_t *count)
{
	*count = 0;
	if(m->slots == NULL)
		return NULL;
	uint32_t h = hash_key(a, alen, b, blen, m->icase);
	for(uint32_t s = h & m->mask; m->slots[s].count != 0;
			s = (s + 1) & m->mask) {
		const ix_slot_t *sl = &m->slots[s];
		const ix_item_t *it = &m->items[sl->first];
		if(sl->hash == h && cmp_key(it, a, alen, b, blen, m->icase) == 0) {
			*count = sl->count;
			return it;
		}
	}
	return NULL;
}

/* ------------------------------------------------------------- building */

/* Host part of a normal form: "" for tel:, else from the first '@' on
 * (for a range, of its suffix: the first '@' of an identity it contains
 * is that one, since neither the prefix nor the expression's part may
 * hold one). */
static void host_part(const char *scheme_src, const char *s, size_t len,
		const char **h, size_t *hlen)
{
	const char *at = NULL;

	if(strncmp(scheme_src, "tel:", 4) != 0)
		at = memchr(s, '@', len);
	*h = at != NULL ? at : "";
	*hlen = at != NULL ? len - (size_t)(at - s) : 0;
}

static ix_item_t item1(const char *a, size_t alen, uint32_t order)
{
	return (ix_item_t){a, "", (uint32_t)alen, 0, order, order};
}

static int add_lists(
		wic_index_t *ix, ix_item_t *ids, ix_item_t *origins, ix_item_t *issuers)
{
	const wic_prov_t *p = ix->p;
	size_t no = 0, ni = 0;

	for(size_t w = 0; w < p->n_wwsfs; w++) {
		const wic_wwsf_t *ww = &p->wwsfs[w];
		ids[w] = item1(ww->id, strlen(ww->id), (uint32_t)w);
		for(size_t j = 0; j < ww->n_origins; j++, no++)
			origins[no] =
					item1(ww->origins[j], strlen(ww->origins[j]), (uint32_t)w);
		for(size_t j = 0; j < ww->n_issuers; j++, ni++)
			issuers[ni] =
					item1(ww->issuers[j], strlen(ww->issuers[j]), (uint32_t)w);
	}
	if(map_build(&ix->ids, ids, p->n_wwsfs, false, &ix->bytes) < 0
			|| map_build(&ix->origins, origins, no, true, &ix->bytes) < 0
			|| map_build(&ix->issuers, issuers, ni, false, &ix->bytes) < 0)
		return -1;
	return 0;
}

static int add_ranges(wic_index_t *ix, ix_item_t *texts, ix_item_t *puis,
		ix_item_t *prefixes, ix_item_t *hosts)
{
	const wic_prov_t *p = ix->p;
	size_t k = 0, kp = 0, pl, sl, hl;
	const char *pre, *suf, *h;

	for(size_t w = 0; w < p->n_wwsfs; w++) {
		for(size_t j = 0; j < p->wwsfs[w].n_ranges; j++, k++) {
			const wic_range_t *r = &p->wwsfs[w].ranges[j];
			uint32_t o = (uint32_t)k;
			ix->ranges[k] = r;
			ix->range_wwsf[k] = (uint32_t)w;
			texts[k] = item1(r->wildcard, strlen(r->wildcard), o);
			puis[k] = item1(r->distinct_pui, strlen(r->distinct_pui), o);
			pre = wic_pui_range_prefix(r->pui, &pl);
			suf = wic_pui_range_suffix(r->pui, &sl);
			if(pre == NULL || suf == NULL)
				continue; /* not compiled: matches nothing */
			host_part(pre, suf, sl, &h, &hl);
			prefixes[kp] =
					(ix_item_t){h, pre, (uint32_t)hl, (uint32_t)pl, o, o};
			hosts[kp++] = (ix_item_t){
					h, "", (uint32_t)hl, 0, (uint32_t)pl, (uint32_t)pl};
		}
	}
	if(map_build(&ix->texts, texts, k, false, &ix->bytes) < 0
			|| map_build(&ix->puis, puis, k, false, &ix->bytes) < 0
			|| map_build(&ix->prefixes, prefixes, kp, false, &ix->bytes) < 0
			|| map_build(&ix->hosts, hosts, kp, false, &ix->bytes) < 0)
		return -1;
	return 0;
}

wic_index_t *wic_index_build(const wic_prov_t *p)
{
	size_t no = 0, ni = 0, nr = 0;
	wic_index_t *ix;

	if(p == NULL)
		return NULL;
	for(size_t w = 0; w < p->n_wwsfs; w++) {
		no += p->wwsfs[w].n_origins;
		ni += p->wwsfs[w].n_issuers;
		nr += p->wwsfs[w].n_ranges;
	}
	if(p->n_wwsfs > IX_MAX || no > IX_MAX || ni > IX_MAX || nr > IX_MAX)
		return NULL;
	ix = wic_calloc(1, sizeof(*ix));
	if(ix == NULL)
		return NULL;
	ix->p = p;
	ix->n_ranges = nr;
	ix->bytes = sizeof(*ix) + nr * (sizeof(*ix->ranges) + sizeof(uint32_t));
	/* each array belongs to its map from map_build on, even on failure */
	ix_item_t *ids = wic_calloc(p->n_wwsfs + 1, sizeof(ix_item_t));
	ix_item_t *origins = wic_calloc(no + 1, sizeof(ix_item_t));
	ix_item_t *issuers = wic_calloc(ni + 1, sizeof(ix_item_t));
	ix_item_t *texts = wic_calloc(nr + 1, sizeof(ix_item_t));
	ix_item_t *puis = wic_calloc(nr + 1, sizeof(ix_item_t));
	ix_item_t *prefixes = wic_calloc(nr + 1, sizeof(ix_item_t));
	ix_item_t *hosts = wic_calloc(nr + 1, sizeof(ix_item_t));
	ix->ranges = wic_calloc(nr + 1, sizeof(*ix->ranges));
	ix->range_wwsf = wic_calloc(nr + 1, sizeof(*ix->range_wwsf));
	ix->ids.items = ids;
	ix->origins.items = origins;
	ix->issuers.items = issuers;
	ix->texts.items = texts;
	ix->puis.items = puis;
	ix->prefixes.items = prefixes;
	ix->hosts.items = hosts;
	if(ids == NULL || origins == NULL || issuers == NULL || texts == NULL
			|| puis == NULL || prefixes == NULL || hosts == NULL
			|| ix->ranges == NULL || ix->range_wwsf == NULL
			|| add_lists(ix, ids, origins, issuers) < 0
			|| add_ranges(ix, texts, puis, prefixes, hosts) < 0) {
		wic_index_free(ix);
		return NULL;
	}
	return ix;
}

void wic_index_free(wic_index_t *ix)
{
	if(ix == NULL)
		return;
	map_free(&ix->ids);
	map_free(&ix->origins);
	map_free(&ix->issuers);
	map_free(&ix->texts);
	map_free(&ix->puis);
	map_free(&ix->prefixes);
	map_free(&ix->hosts);
	wic_free(ix->ranges);
	wic_free(ix->range_wwsf);
	wic_free(ix);
}

size_t wic_index_bytes(const wic_index_t *ix)
{
	return ix != NULL ? ix->bytes : 0;
}

/* -------------------------------------------------------------- lookups */

static const wic_wwsf_t *wwsf_of_run(
		const wic_index_t *ix, const ix_item_t *it, uint32_t count)
{
	return it != NULL && count > 0 ? &ix->p->wwsfs[it->val] : NULL;
}

const wic_wwsf_t *wic_index_wwsf_by_id(
		const wic_index_t *ix, const char *id, size_t len)
{
	uint32_t n;
	if(ix == NULL || id == NULL)
		return NULL;
	const ix_item_t *it = map_get(&ix->ids, id, len, "", 0, &n);
	return wwsf_of_run(ix, it, n);
}

const wic_wwsf_t *wic_index_wwsf_by_origin(
		const wic_index_t *ix, const char *origin, size_t len)
{
	uint32_t n;
	if(ix == NULL || origin == NULL || len == 0)
		return NULL;
	const ix_item_t *it = map_get(&ix->origins, origin, len, "", 0, &n);
	return wwsf_of_run(ix, it, n);
}

const wic_wwsf_t *wic_index_wwsf_by_issuer(
		const wic_index_t *ix, const char *iss, size_t len)
{
	uint32_t n;
	if(ix == NULL || iss == NULL || len == 0)
		return NULL;
	const ix_item_t *it = map_get(&ix->issuers, iss, len, "", 0, &n);
	return wwsf_of_run(ix, it, n);
}

/* First item of the run owned by w (any when w is NULL). */
static const wic_range_t *range_of_run(const wic_index_t *ix,
		const wic_wwsf_t *w, const ix_item_t *it, uint32_t count)
{
	for(uint32_t i = 0; it != NULL && i < count; i++) {
		if(w == NULL || &ix->p->wwsfs[ix->range_wwsf[it[i].val]] == w)
			return ix->ranges[it[i].val];
	}
	return NULL;
}

const wic_range_t *wic_index_range_by_text(const wic_index_t *ix,
		const wic_wwsf_t *w, const char *text, size_t len)
{
	uint32_t n;
	if(ix == NULL || text == NULL || len == 0)
		return NULL;
	const ix_item_t *it = map_get(&ix->texts, text, len, "", 0, &n);
	return range_of_run(ix, w, it, n);
}

const wic_range_t *wic_index_range_by_pui(
		const wic_index_t *ix, const char *pui, size_t len)
{
	uint32_t n;
	if(ix == NULL || pui == NULL || len == 0)
		return NULL;
	const ix_item_t *it = map_get(&ix->puis, pui, len, "", 0, &n);
	return range_of_run(ix, NULL, it, n);
}

typedef struct cand_run
{
	const ix_item_t *it;
	uint32_t left;
} cand_run_t;

/* Candidates of every prefix length, merged in file order; the first one
 * (of w) whose expression matches wins. */
static const wic_range_t *first_match(const wic_index_t *ix,
		const wic_wwsf_t *w, cand_run_t *runs, size_t nruns, const char *norm,
		size_t n, const wic_wwsf_t **owner)
{
	for(;;) {
		size_t best = nruns;
		for(size_t i = 0; i < nruns; i++) {
			if(runs[i].left > 0
					&& (best == nruns
							|| runs[i].it->order < runs[best].it->order))
				best = i;
		}
		if(best == nruns)
			return NULL;
		uint32_t k = runs[best].it->val;
		runs[best].it++;
		runs[best].left--;
		const wic_wwsf_t *cw = &ix->p->wwsfs[ix->range_wwsf[k]];
		if(w != NULL && cw != w)
			continue;
		if(wic_pui_range_match_normal(ix->ranges[k]->pui, norm, n)) {
			if(owner != NULL)
				*owner = cw;
			return ix->ranges[k];
		}
	}
}

const wic_range_t *wic_index_range_of(const wic_index_t *ix,
		const wic_wwsf_t *w, const char *impu, size_t len,
		const wic_wwsf_t **owner)
{
	char norm[WIC_URI_NORM_MAX];
	cand_run_t runs[WIC_URI_NORM_MAX];
	const ix_item_t *lens;
	uint32_t nlens, count;
	size_t nruns = 0, hlen;
	const char *h;
	int n;

	if(owner != NULL)
		*owner = NULL;
	if(ix == NULL || impu == NULL || len == 0
			|| memchr(impu, '\0', len) != NULL)
		return NULL;
	n = wic_uri_normalize(impu, len, norm, sizeof(norm));
	if(n < 0)
		return NULL;
	host_part(norm, norm, (size_t)n, &h, &hlen);
	lens = map_get(&ix->hosts, h, hlen, "", 0, &nlens);
	/* lengths ascend; each is a distinct one, so at most n + 1 of them */
	for(uint32_t i = 0; lens != NULL && i < nlens && nruns < WIC_URI_NORM_MAX;
			i++) {
		if(lens[i].val > (uint32_t)n)
			break;
		const ix_item_t *it =
				map_get(&ix->prefixes, h, hlen, norm, lens[i].val, &count);
		if(it != NULL)
			runs[nruns++] = (cand_run_t){it, count};
	}
	return first_match(ix, w, runs, nruns, norm, (size_t)n, owner);
}

/* ----------------------------------------------------------- duplicates */

typedef struct dup_item
{
	const char *s;
	size_t len;
	size_t wwsf, item;
} dup_item_t;

/* by string, then in check order (WWSF, then item) */
static int cmp_dup(const void *x, const void *y)
{
	const dup_item_t *a = x, *b = y;
	int c = cmp_part(a->s, a->len, b->s, b->len, false);
	if(c != 0)
		return c;
	if(a->wwsf != b->wwsf)
		return a->wwsf < b->wwsf ? -1 : 1;
	return a->item == b->item ? 0 : (a->item < b->item ? -1 : 1);
}

/* Is duplicate a checked before b? */
static bool checked_before(const wic_dup_t *a, const wic_dup_t *b)
{
	if(a->wwsf != b->wwsf)
		return a->wwsf < b->wwsf;
	if(a->kind != b->kind)
		return a->kind < b->kind;
	return a->item < b->item;
}

static const char *dup_string(
		const wic_wwsf_t *w, wic_dup_kind_t kind, size_t i, size_t *n)
{
	switch(kind) {
		case WIC_DUP_ID:
			*n = 1;
			return w->id;
		case WIC_DUP_ORIGIN:
			*n = w->n_origins;
			return i < *n ? w->origins[i] : NULL;
		case WIC_DUP_ISSUER:
			*n = w->n_issuers;
			return i < *n ? w->issuers[i] : NULL;
		case WIC_DUP_WILDCARD:
			*n = w->n_ranges;
			return i < *n ? w->ranges[i].wildcard : NULL;
		case WIC_DUP_DISTINCT:
			*n = w->n_ranges;
			return i < *n ? w->ranges[i].distinct_pui : NULL;
	}
	*n = 0;
	return NULL;
}

/* The items of one kind, sorted; every item equal to the one before it is
 * a duplicate of the first of its run. */
static void first_dup_of_kind(const wic_prov_t *p, size_t n_wwsfs,
		wic_dup_kind_t k, dup_item_t *items, wic_dup_t *out, int *found)
{
	size_t m = 0, n, first = 0;

	for(size_t w = 0; w < n_wwsfs; w++) {
		dup_string(&p->wwsfs[w], k, 0, &n);
		for(size_t i = 0; i < n; i++) {
			const char *str = dup_string(&p->wwsfs[w], k, i, &n);
			if(str != NULL)
				items[m++] = (dup_item_t){str, strlen(str), w, i};
		}
	}
	if(m > 1)
		qsort(items, m, sizeof(*items), cmp_dup);
	for(size_t i = 1; i < m; i++) {
		const dup_item_t *b = &items[i];
		if(cmp_part(items[i - 1].s, items[i - 1].len, b->s, b->len, false)
				!= 0) {
			first = i;
			continue;
		}
		wic_dup_t d = {b->wwsf, k, b->item, items[first].wwsf};
		if(!*found || checked_before(&d, out)) {
			*out = d;
			*found = 1;
		}
	}
}

int wic_index_first_duplicate(
		const wic_prov_t *p, size_t n_wwsfs, wic_dup_t *out)
{
	size_t most = 1;
	dup_item_t *items;
	int found = 0;

	if(p == NULL || out == NULL)
		return 0;
	if(n_wwsfs > p->n_wwsfs)
		n_wwsfs = p->n_wwsfs;
	for(size_t w = 0; w < n_wwsfs; w++) {
		const wic_wwsf_t *ww = &p->wwsfs[w];
		most += ww->n_origins > ww->n_issuers ? ww->n_origins : ww->n_issuers;
		most += ww->n_ranges + 1;
	}
	items = wic_calloc(most, sizeof(*items));
	if(items == NULL)
		return -1;
	for(int k = WIC_DUP_ID; k <= WIC_DUP_DISTINCT; k++)
		first_dup_of_kind(p, n_wwsfs, (wic_dup_kind_t)k, items, out, &found);
	wic_free(items);
	return found;
}
