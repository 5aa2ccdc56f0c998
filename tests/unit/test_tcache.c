/*
 * SPDX-License-Identifier: GPL-2.0-or-later
 * Copyright (C) 2026 the ims_wic authors
 *
 * Unit tests of wic_tcache.c: hits, expiry with the token, provisioning
 * change, bounds, the lock-free count, and lock discipline through
 * wic_lock_ops_t.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wic_tcache.h"

#define NLOCKS 4
#define NOW 1700000000L

/* Lock recorder: every lock index within range, never two held at once,
 * every lock released. */
typedef struct lock_rec {
	int held[NLOCKS];
	int holding;
	unsigned calls;
	int bad;
} lock_rec_t;

static void rec_lock(void *ctx, unsigned idx)
{
	lock_rec_t *r = ctx;
	if (idx >= NLOCKS || r->holding || r->held[idx]) {
		r->bad = 1;
		return;
	}
	r->held[idx] = 1;
	r->holding = 1;
	r->calls++;
}

static void rec_unlock(void *ctx, unsigned idx)
{
	lock_rec_t *r = ctx;
	if (idx >= NLOCKS || !r->held[idx]) {
		r->bad = 1;
		return;
	}
	r->held[idx] = 0;
	r->holding = 0;
}

static size_t live_allocs;

static void *count_alloc(size_t size)
{
	void *p = malloc(size);
	if (p)
		live_allocs++;
	return p;
}

static void count_release(void *p)
{
	if (p)
		live_allocs--;
	free(p);
}

static void *no_alloc(size_t size)
{
	(void)size;
	return NULL;
}

static const wic_mem_ops_t mem = { count_alloc, count_release };
static lock_rec_t rec;
static const wic_lock_ops_t locks = { &rec, rec_lock, rec_unlock };

static int setup(void **state)
{
	memset(&rec, 0, sizeof(rec));
	*state = wic_tcache_create(64, NLOCKS, &mem, &locks);
	return *state ? 0 : -1;
}

static int teardown(void **state)
{
	wic_tcache_destroy(*state);
	assert_int_equal(live_allocs, 0);
	assert_int_equal(rec.bad, 0);
	assert_int_equal(rec.holding, 0);
	return 0;
}

static const char *tok_n(unsigned n)
{
	static char buf[64];
	snprintf(buf, sizeof(buf), "eyJhbGciOiJFUzI1NiJ9.token-%u.sig", n);
	return buf;
}

static void test_hit_after_put(void **state)
{
	wic_tcache_t *c = *state;
	const char *t = "a.b.c";
	assert_false(wic_tcache_hit(c, t, 5, 1, NOW));
	wic_tcache_put(c, t, 5, 1, NOW + 100, NOW);
	assert_true(wic_tcache_hit(c, t, 5, 1, NOW));
	assert_true(wic_tcache_hit(c, t, 5, 1, NOW + 99));
	assert_int_equal(wic_tcache_count(c), 1);
	/* another token, or the same text one byte shorter, misses */
	assert_false(wic_tcache_hit(c, "a.b.d", 5, 1, NOW));
	assert_false(wic_tcache_hit(c, t, 4, 1, NOW));
	/* a second put of the same token refreshes, does not duplicate */
	wic_tcache_put(c, t, 5, 1, NOW + 200, NOW + 1);
	assert_int_equal(wic_tcache_count(c), 1);
	assert_true(wic_tcache_hit(c, t, 5, 1, NOW + 150));
	assert_true(rec.calls > 0);
}

/* The digest computed once (what a REGISTER does: lookup, verify, store)
 * finds what the text API stored and the other way round; a key that
 * could not be made never hits and is never stored. */
static void test_key_once(void **state)
{
	wic_tcache_t *c = *state;
	wic_tcache_key_t k, other, bad = {.ok = false};
	const char *t = "k.e.y";

	assert_true(wic_tcache_key(&k, t, 5));
	assert_false(wic_tcache_hit_key(c, &k, 1, NOW));
	wic_tcache_put_key(c, &k, 1, NOW + 100, NOW);
	assert_true(wic_tcache_hit(c, t, 5, 1, NOW));
	assert_true(wic_tcache_hit_key(c, &k, 1, NOW));
	assert_false(wic_tcache_hit_key(c, &k, 2, NOW)); /* other provisioning */
	wic_tcache_put(c, "o.t.h", 5, 1, NOW + 100, NOW);
	assert_true(wic_tcache_key(&other, "o.t.h", 5));
	assert_true(wic_tcache_hit_key(c, &other, 1, NOW));
	assert_false(wic_tcache_key(&bad, t, 0));
	assert_false(wic_tcache_hit_key(c, &bad, 1, NOW));
	wic_tcache_put_key(c, &bad, 1, NOW + 100, NOW);
	/* "o.t.h" only: k's entry went with the lookup under provisioning 2 */
	assert_int_equal(wic_tcache_count(c), 1);
	assert_true(wic_tcache_key(&other, t, 5)); /* the context is reused */
	assert_memory_equal(other.digest, k.digest, sizeof(k.digest));
}

static void test_expiry(void **state)
{
	wic_tcache_t *c = *state;
	wic_tcache_put(c, "x.y.z", 5, 1, NOW + 10, NOW);
	assert_false(wic_tcache_hit(c, "x.y.z", 5, 1, NOW + 10));
	assert_int_equal(wic_tcache_count(c), 0); /* dropped on the miss */
	/* an already dead token is not stored */
	wic_tcache_put(c, "x.y.z", 5, 1, NOW, NOW);
	wic_tcache_put(c, "x.y.z", 5, 1, NOW - 5, NOW);
	assert_int_equal(wic_tcache_count(c), 0);
}

static void test_generation(void **state)
{
	wic_tcache_t *c = *state;
	wic_tcache_put(c, "g.e.n", 5, 7, NOW + 100, NOW);
	assert_false(wic_tcache_hit(c, "g.e.n", 5, 8, NOW));
	/* the entry of the older generation is gone for good */
	assert_false(wic_tcache_hit(c, "g.e.n", 5, 7, NOW));
	wic_tcache_put(c, "g.e.n", 5, 8, NOW + 100, NOW);
	assert_true(wic_tcache_hit(c, "g.e.n", 5, 8, NOW));
}

static void test_bounded(void **state)
{
	wic_tcache_t *c = *state;
	unsigned i, hits = 0;
	for (i = 0; i < 1000; i++)
		wic_tcache_put(c, tok_n(i), strlen(tok_n(i)), 1, NOW + 5000,
				NOW + i);
	assert_true(wic_tcache_count(c) <= 64);
	assert_true(wic_tcache_count(c) >= 32);
	/* the most recent tokens survive, the oldest were replaced */
	for (i = 990; i < 1000; i++)
		hits += wic_tcache_hit(c, tok_n(i), strlen(tok_n(i)), 1, NOW + i);
	assert_int_equal(hits, 10);
	assert_false(wic_tcache_hit(c, tok_n(0), strlen(tok_n(0)), 1, NOW + 1));
}

/* dead entries are reused before live ones are evicted */
static void test_dead_reused(void **state)
{
	wic_tcache_t *c = wic_tcache_create(4, 1, &mem, NULL); /* one slot */
	unsigned i;
	(void)state;
	assert_non_null(c);
	wic_tcache_put(c, tok_n(0), strlen(tok_n(0)), 1, NOW + 1000, NOW);
	for (i = 1; i < 4; i++)
		wic_tcache_put(c, tok_n(i), strlen(tok_n(i)), 1, NOW + 5, NOW + i);
	wic_tcache_put(c, tok_n(9), strlen(tok_n(9)), 1, NOW + 1000, NOW + 10);
	/* token 0 is the oldest but still live: an expired one made room */
	assert_true(wic_tcache_hit(c, tok_n(0), strlen(tok_n(0)), 1, NOW + 10));
	assert_true(wic_tcache_hit(c, tok_n(9), strlen(tok_n(9)), 1, NOW + 10));
	assert_true(wic_tcache_count(c) <= 4);
	wic_tcache_destroy(c);
}

/* The statistic is a counter kept on insert and eviction: after any mix of
 * puts, refreshes, hits, expiries, provisioning changes and evictions it
 * equals a walk of the table, and reading it takes no lock. */
static void test_count_is_kept(void **state)
{
	wic_tcache_t *c = *state;
	unsigned i, calls;
	uint64_t prov;
	time_t t;
	srand(17);
	for (i = 0; i < 5000; i++) {
		unsigned n = (unsigned)rand() % 300;
		prov = 1 + (unsigned)rand() % 3;
		t = NOW + (time_t)(i / 10);
		switch (rand() % 4) {
		case 0:
		case 1: /* a put, live for 0..99 s (0: not stored) */
			wic_tcache_put(c, tok_n(n), strlen(tok_n(n)), prov,
					t + rand() % 100, t);
			break;
		case 2: /* a hit, which drops what is dead */
			(void)wic_tcache_hit(c, tok_n(n), strlen(tok_n(n)), prov, t);
			break;
		default: /* a refresh of the same token */
			wic_tcache_put(c, tok_n(n), strlen(tok_n(n)), 1, t + 50, t);
		}
		if (i % 97 == 0)
			assert_int_equal(wic_tcache_count(c), wic_tcache_count_walk(c));
	}
	assert_int_equal(wic_tcache_count(c), wic_tcache_count_walk(c));
	assert_true(wic_tcache_count(c) > 0);
	assert_true(wic_tcache_count(c) <= 64);
	calls = rec.calls;
	(void)wic_tcache_count(c);
	assert_int_equal(rec.calls, calls);
	/* every entry dropped by a hit after its death: the count falls to 0 */
	for (i = 0; i < 300; i++) {
		(void)wic_tcache_hit(c, tok_n(i), strlen(tok_n(i)), 1, NOW + 100000);
		(void)wic_tcache_hit(c, tok_n(i), strlen(tok_n(i)), 2, NOW + 100000);
		(void)wic_tcache_hit(c, tok_n(i), strlen(tok_n(i)), 3, NOW + 100000);
	}
	assert_int_equal(wic_tcache_count_walk(c), 0);
	assert_int_equal(wic_tcache_count(c), 0);
}

static void test_create_errors(void **state)
{
	const wic_mem_ops_t failing = { no_alloc, count_release };
	(void)state;
	assert_null(wic_tcache_create(0, 1, &mem, &locks));
	assert_null(wic_tcache_create(10, 1, NULL, &locks));
	assert_null(wic_tcache_create(10, 1, &failing, &locks));
	assert_false(wic_tcache_hit(NULL, "a", 1, 1, NOW));
	wic_tcache_put(NULL, "a", 1, 1, NOW + 1, NOW);
	assert_int_equal(wic_tcache_count(NULL), 0);
	wic_tcache_destroy(NULL);
}

static void test_empty_token(void **state)
{
	wic_tcache_t *c = *state;
	wic_tcache_put(c, "", 0, 1, NOW + 10, NOW);
	wic_tcache_put(c, NULL, 3, 1, NOW + 10, NOW);
	assert_int_equal(wic_tcache_count(c), 0);
	assert_false(wic_tcache_hit(c, NULL, 3, 1, NOW));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_hit_after_put, setup, teardown),
		cmocka_unit_test_setup_teardown(test_key_once, setup, teardown),
		cmocka_unit_test_setup_teardown(test_expiry, setup, teardown),
		cmocka_unit_test_setup_teardown(test_generation, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bounded, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dead_reused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_count_is_kept, setup, teardown),
		cmocka_unit_test_setup_teardown(test_create_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_empty_token, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
