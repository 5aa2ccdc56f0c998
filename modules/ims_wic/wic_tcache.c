/*
 * SPDX-License-Identifier: GPL-2.0-or-later
 * Copyright (C) 2026 the ims_wic authors
 *
 * ims_wic - cache of verified tokens (REQUIREMENTS.md 6: a refresh with
 * an unchanged token must not verify the signature again).
 *
 * Set-associative: the SHA-256 of the token picks a slot of a few ways,
 * so the table is bounded, needs no allocation after creation (it lives
 * in shared memory) and each operation holds one lock for a few compares.
 * Only the digest is stored, never the token.
 */
#include "wic_tcache.h"

#include <string.h>
#include <openssl/evp.h>
#include <openssl/sha.h>

#define WIC_TCACHE_WAYS 4u

typedef struct tc_entry
{
	unsigned char digest[SHA256_DIGEST_LENGTH];
	bool used;
	uint64_t prov_id; /* provisioning it was verified under */
	time_t exp;		  /* token exp: dead from then on */
	time_t stored;	  /* for "replace the oldest" */
} tc_entry_t;

struct wic_tcache
{
	wic_mem_ops_t mem;
	wic_lock_ops_t locks;
	bool has_locks;
	unsigned nlocks;
	unsigned nslots;
	unsigned ways;
	/* entries in use, kept with atomic builtins by every change of an
	 * entry's used flag (under its slot lock), so that reading it takes no
	 * lock and walks nothing: it is a statistic, read at every scrape */
	unsigned n_used;
	tc_entry_t entries[]; /* nslots * ways */
};

wic_tcache_t *wic_tcache_create(unsigned capacity, unsigned nlocks,
		const wic_mem_ops_t *mem, const wic_lock_ops_t *locks)
{
	unsigned ways, nslots;
	size_t size;
	wic_tcache_t *c;

	if(capacity == 0 || !mem || !mem->alloc || !mem->release)
		return NULL;
	ways = capacity < WIC_TCACHE_WAYS ? capacity : WIC_TCACHE_WAYS;
	nslots = capacity / ways; /* nslots * ways <= capacity: bounded */
	size = sizeof(*c) + (size_t)nslots * ways * sizeof(tc_entry_t);
	c = mem->alloc(size);
	if(!c)
		return NULL;
	memset(c, 0, size);
	c->mem = *mem;
	c->has_locks = locks && locks->lock && locks->unlock && nlocks > 0;
	if(c->has_locks)
		c->locks = *locks;
	c->nlocks = nlocks ? nlocks : 1;
	c->nslots = nslots;
	c->ways = ways;
	return c;
}

void wic_tcache_destroy(wic_tcache_t *c)
{
	if(c)
		c->mem.release(c);
}

static void slot_lock(wic_tcache_t *c, unsigned slot)
{
	if(c->has_locks)
		c->locks.lock(c->locks.ctx, slot % c->nlocks);
}

static void slot_unlock(wic_tcache_t *c, unsigned slot)
{
	if(c->has_locks)
		c->locks.unlock(c->locks.ctx, slot % c->nlocks);
}

/* SHA-256 of this process: fetched once and one context reused. EVP_Digest
 * with EVP_sha256() fetched the algorithm from the provider store (under
 * its read lock) and allocated a context, in shared memory under Kamailio's
 * tls module, on every call: about 4 us of a new registration. Kamailio's
 * processes are single-threaded; wic_tcache_forked() (child_init) drops
 * what a parent may have made, so that no two processes share one. */
static EVP_MD *sha256_md;
static EVP_MD_CTX *sha256_ctx;

void wic_tcache_forked(void)
{
	sha256_md = NULL; /* the parent's, if any: not ours to free */
	sha256_ctx = NULL;
}

static bool token_digest(
		const char *tok, size_t len, unsigned char d[SHA256_DIGEST_LENGTH])
{
	unsigned dlen = 0;

	if(!tok || len == 0)
		return false;
	if(!sha256_md)
		sha256_md = EVP_MD_fetch(NULL, "SHA256", NULL);
	if(!sha256_ctx)
		sha256_ctx = EVP_MD_CTX_new();
	if(!sha256_md || !sha256_ctx) /* no memory now: the one-shot way */
		return EVP_Digest(tok, len, d, &dlen, EVP_sha256(), NULL) == 1
			   && dlen == SHA256_DIGEST_LENGTH;
	return EVP_DigestInit_ex2(sha256_ctx, sha256_md, NULL) == 1
		   && EVP_DigestUpdate(sha256_ctx, tok, len) == 1
		   && EVP_DigestFinal_ex(sha256_ctx, d, &dlen) == 1
		   && dlen == SHA256_DIGEST_LENGTH;
}

bool wic_tcache_key(wic_tcache_key_t *k, const char *tok, size_t len)
{
	k->ok = token_digest(tok, len, k->digest);
	return k->ok;
}

/* The digest is uniformly distributed: its first bytes are a fine hash. */
static unsigned slot_of(
		const wic_tcache_t *c, const unsigned char d[SHA256_DIGEST_LENGTH])
{
	unsigned h = (unsigned)d[0] << 24 | (unsigned)d[1] << 16
				 | (unsigned)d[2] << 8 | d[3];
	return h % c->nslots;
}

static tc_entry_t *slot_entries(wic_tcache_t *c, unsigned slot)
{
	return &c->entries[(size_t)slot * c->ways];
}

static bool entry_dead(const tc_entry_t *e, uint64_t prov_id, time_t now)
{
	return !e->used || e->prov_id != prov_id || e->exp <= now;
}

bool wic_tcache_hit(wic_tcache_t *c, const char *tok, size_t len,
		uint64_t prov_id, time_t now)
{
	wic_tcache_key_t k;

	return wic_tcache_key(&k, tok, len)
		   && wic_tcache_hit_key(c, &k, prov_id, now);
}

bool wic_tcache_hit_key(wic_tcache_t *c, const wic_tcache_key_t *k,
		uint64_t prov_id, time_t now)
{
	const unsigned char *d = k->digest;
	unsigned slot, i;
	tc_entry_t *e;
	bool hit = false;

	if(!c || !k->ok)
		return false;
	slot = slot_of(c, d);
	slot_lock(c, slot);
	e = slot_entries(c, slot);
	for(i = 0; i < c->ways; i++) {
		if(!e[i].used || memcmp(e[i].digest, d, SHA256_DIGEST_LENGTH) != 0)
			continue;
		hit = !entry_dead(&e[i], prov_id, now);
		if(!hit) {
			e[i].used = false; /* expired or other provisioning: drop it */
			__atomic_sub_fetch(&c->n_used, 1u, __ATOMIC_RELAXED);
		}
		break;
	}
	slot_unlock(c, slot);
	return hit;
}

/* Where a new digest goes: its own entry, a free or dead one, else the
 * oldest of the slot. */
static tc_entry_t *victim_of(tc_entry_t *e, unsigned ways,
		const unsigned char *d, uint64_t prov_id, time_t now)
{
	tc_entry_t *victim = NULL;
	unsigned i;

	for(i = 0; i < ways; i++) {
		if(e[i].used && memcmp(e[i].digest, d, SHA256_DIGEST_LENGTH) == 0)
			return &e[i];
	}
	for(i = 0; i < ways; i++) {
		if(entry_dead(&e[i], prov_id, now))
			return &e[i];
		if(!victim || e[i].stored < victim->stored)
			victim = &e[i];
	}
	return victim;
}

void wic_tcache_put(wic_tcache_t *c, const char *tok, size_t len,
		uint64_t prov_id, time_t exp, time_t now)
{
	wic_tcache_key_t k;

	if(c && exp > now && wic_tcache_key(&k, tok, len))
		wic_tcache_put_key(c, &k, prov_id, exp, now);
}

void wic_tcache_put_key(wic_tcache_t *c, const wic_tcache_key_t *k,
		uint64_t prov_id, time_t exp, time_t now)
{
	const unsigned char *d = k->digest;
	unsigned slot;
	tc_entry_t *e;

	if(!c || exp <= now || !k->ok)
		return; /* a dead token is not worth a slot */
	slot = slot_of(c, d);
	slot_lock(c, slot);
	e = victim_of(slot_entries(c, slot), c->ways, d, prov_id, now);
	if(!e->used)
		__atomic_add_fetch(&c->n_used, 1u, __ATOMIC_RELAXED);
	memcpy(e->digest, d, SHA256_DIGEST_LENGTH);
	e->used = true;
	e->prov_id = prov_id;
	e->exp = exp;
	e->stored = now;
	slot_unlock(c, slot);
}

unsigned wic_tcache_count(wic_tcache_t *c)
{
	return c ? __atomic_load_n(&c->n_used, __ATOMIC_RELAXED) : 0;
}

unsigned wic_tcache_count_walk(wic_tcache_t *c)
{
	unsigned slot, i, n = 0;

	if(!c)
		return 0;
	for(slot = 0; slot < c->nslots; slot++) {
		const tc_entry_t *e;
		slot_lock(c, slot);
		e = slot_entries(c, slot);
		for(i = 0; i < c->ways; i++)
			n += e[i].used ? 1 : 0;
		slot_unlock(c, slot);
	}
	return n;
}
