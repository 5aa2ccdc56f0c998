/*
 * SPDX-License-Identifier: GPL-2.0-or-later
 * Copyright (C) 2026 the ims_wic authors
 *
 * ims_wic - the process heap of the Kamailio-independent code: libc, or
 * the hooks the glue sets (Kamailio's pkg memory).
 */
#include <stdlib.h>
#include <string.h>

#include "wic_mem.h"

static const wic_heap_ops_t *heap;

void wic_heap_set(const wic_heap_ops_t *ops)
{
	heap = ops;
}

void *wic_malloc(size_t size)
{
	return heap ? heap->alloc(size ? size : 1) : malloc(size ? size : 1);
}

void *wic_calloc(size_t n, size_t size)
{
	size_t total;
	void *p;

	if(size != 0 && n > (size_t)-1 / size)
		return NULL;
	total = n * size;
	p = wic_malloc(total);
	if(p != NULL)
		memset(p, 0, total > 0 ? total : 1);
	return p;
}

void *wic_realloc(void *ptr, size_t size)
{
	return heap ? heap->resize(ptr, size ? size : 1)
				: realloc(ptr, size ? size : 1);
}

void wic_free(void *ptr)
{
	if(ptr == NULL)
		return;
	if(heap)
		heap->release(ptr);
	else
		free(ptr);
}

char *wic_strndup(const char *s, size_t n)
{
	size_t len = strnlen(s, n);
	char *d = wic_malloc(len + 1);

	if(d != NULL) {
		memcpy(d, s, len);
		d[len] = '\0';
	}
	return d;
}

char *wic_strdup(const char *s)
{
	return wic_strndup(s, strlen(s));
}
