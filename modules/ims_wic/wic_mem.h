/*
 * SPDX-License-Identifier: GPL-2.0-or-later
 * Copyright (C) 2026 the ims_wic authors
 *
 * ims_wic - memory and lock hooks for the Kamailio-independent code.
 *
 * Tables that live in shared memory (bindings, token cache, range state)
 * take these hooks so that the same code runs inside Kamailio (shm_malloc,
 * gen_lock_set_t) and in the unit tests (malloc, pthread or no-op locks).
 *
 * What a process keeps for itself (its copy of the provisioning, key sets,
 * token parse buffers) comes from the process heap: wic_malloc() and the
 * others below. That is libc until wic_heap_set() is called; the Kamailio
 * glue sets Kamailio's pkg memory there first thing in mod_init, so that
 * Kamailio accounts it (kamcmd pkg.stats) and its -M bounds it.
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

/* The process heap of the plain-C code. */
typedef struct wic_heap_ops
{
	void *(*alloc)(size_t size);
	void *(*resize)(void *ptr, size_t size);
	void (*release)(void *ptr);
} wic_heap_ops_t;

/* Every later allocation and release of the plain-C code goes through ops
 * (NULL: libc again). Set it before anything is allocated: memory is never
 * released through another heap than the one that gave it. */
void wic_heap_set(const wic_heap_ops_t *ops);

void *wic_malloc(size_t size);
void *wic_calloc(size_t n, size_t size);
void *wic_realloc(void *ptr, size_t size);
void wic_free(void *ptr);
char *wic_strdup(const char *s);
char *wic_strndup(const char *s, size_t n);

#endif
