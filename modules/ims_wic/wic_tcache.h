/*
 * SPDX-License-Identifier: GPL-2.0-or-later
 * Copyright (C) 2026 the ims_wic authors
 *
 * ims_wic - cache of tokens whose signature was verified, so that a
 * refresh REGISTER with the same token costs a hash, not a signature
 * check. Bounded; an entry dies with its token (exp) or with the
 * provisioning it was verified under (a reload that changes any byte of
 * the provisioning or its keys).
 */
#ifndef WIC_TCACHE_H
#define WIC_TCACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>
#include "wic_mem.h"

typedef struct wic_tcache wic_tcache_t;

/* capacity: max entries; nlocks: size of the lock set the ops guard
 * (slots are spread over it). Returns NULL on allocation failure. */
wic_tcache_t *wic_tcache_create(unsigned capacity, unsigned nlocks,
		const wic_mem_ops_t *mem, const wic_lock_ops_t *locks);
void wic_tcache_destroy(wic_tcache_t *c);

/* True when the token (by SHA-256 of its text) was stored under the
 * provisioning prov_id (what its keys were: the content hash of the
 * provisioning bytes) and its exp has not passed. */
bool wic_tcache_hit(wic_tcache_t *c, const char *tok, size_t len,
		uint64_t prov_id, time_t now);
/* Remember a verified token until exp. When full, an expired or the
 * oldest entry of the slot is replaced. */
void wic_tcache_put(wic_tcache_t *c, const char *tok, size_t len,
		uint64_t prov_id, time_t exp, time_t now);

/* The same two with the digest computed once (wic_tcache_key) for a
 * lookup and the store that follows it. */
typedef struct wic_tcache_key
{
	unsigned char digest[32]; /* SHA-256 of the token */
	bool ok;
} wic_tcache_key_t;
bool wic_tcache_key(wic_tcache_key_t *k, const char *tok, size_t len);
bool wic_tcache_hit_key(wic_tcache_t *c, const wic_tcache_key_t *k,
		uint64_t prov_id, time_t now);
void wic_tcache_put_key(wic_tcache_t *c, const wic_tcache_key_t *k,
		uint64_t prov_id, time_t exp, time_t now);
/* In every new process (child_init): the digest state of this process is
 * made anew, not inherited. */
void wic_tcache_forked(void);

/* Entries in use (an expired one counts until it is dropped or replaced).
 * Lock-free and O(1): a counter kept on insert and eviction. */
unsigned wic_tcache_count(wic_tcache_t *c);
/* The same by walking every slot under its lock: what the counter must
 * equal (unit tests; never on a statistics path). */
unsigned wic_tcache_count_walk(wic_tcache_t *c);

#endif
