/*
 * SPDX-License-Identifier: GPL-2.0-or-later
 * Copyright (C) 2026 the ims_wic authors
 *
 * Counting fakes of the shared-memory and lock hooks (wic_mem.h) for the
 * unit tests of tables that live in Kamailio's shared memory: every
 * allocation must be freed, every lock released, never two locks held.
 * Reset with fake_shm_reset() in each setup.
 */
#ifndef FAKE_SHM_H
#define FAKE_SHM_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "wic_mem.h"

typedef struct fake_state {
	long live_allocs;
	long long live_bytes;
	long fail_in;            /* > 0: the fail_in-th next allocation fails */
	int held;                /* lock index held, -1 when none */
	long locks, unlocks;
	unsigned max_idx;
} fake_state_t;

static fake_state_t fk;

typedef struct fake_hdr {
	size_t size;
	max_align_t align;       /* keeps the user pointer aligned */
} fake_hdr_t;

static void *fake_alloc(size_t size)
{
	fake_hdr_t *h;

	if(fk.fail_in > 0 && --fk.fail_in == 0)
		return NULL;
	h = malloc(offsetof(fake_hdr_t, align) + size);
	if(h == NULL)
		return NULL;
	h->size = size;
	fk.live_allocs++;
	fk.live_bytes += (long long)size;
	return (char *)h + offsetof(fake_hdr_t, align);
}

static void fake_release(void *p)
{
	fake_hdr_t *h;

	if(p == NULL)
		return;
	h = (fake_hdr_t *)((char *)p - offsetof(fake_hdr_t, align));
	fk.live_allocs--;
	fk.live_bytes -= (long long)h->size;
	free(h);
}

static void fake_lock(void *ctx, unsigned idx)
{
	(void)ctx;
	assert_int_equal(fk.held, -1); /* never two locks at once */
	fk.held = (int)idx;
	fk.locks++;
	if(idx > fk.max_idx)
		fk.max_idx = idx;
}

static void fake_unlock(void *ctx, unsigned idx)
{
	(void)ctx;
	assert_int_equal(fk.held, (int)idx);
	fk.held = -1;
	fk.unlocks++;
}

static const wic_mem_ops_t mem_ops = {fake_alloc, fake_release};
static const wic_lock_ops_t lock_ops = {NULL, fake_lock, fake_unlock};

static void fake_shm_reset(void)
{
	memset(&fk, 0, sizeof(fk));
	fk.held = -1;
}

#endif
