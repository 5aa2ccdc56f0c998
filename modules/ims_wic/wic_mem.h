/*
 * SPDX-License-Identifier: GPL-2.0-or-later
 * Copyright (C) 2026 the ims_wic authors
 *
 * ims_wic - memory and lock hooks for the Kamailio-independent code.
 *
 * Tables that live in shared memory (bindings, token cache, range state)
 * take these hooks so that the same code runs inside Kamailio (shm_malloc,
 * gen_lock_set_t) and in the unit tests (malloc, pthread or no-op locks).
 */
#ifndef WIC_MEM_H
#define WIC_MEM_H

#include <stddef.h>

typedef struct wic_mem_ops
{
	void *(*alloc)(size_t size);
	void (*release)(void *ptr);
} wic_mem_ops_t;

/* Lock number idx of a set of n locks (n is given at table creation). */
typedef struct wic_lock_ops
{
	void *ctx;
	void (*lock)(void *ctx, unsigned idx);
	void (*unlock)(void *ctx, unsigned idx);
} wic_lock_ops_t;

#endif
