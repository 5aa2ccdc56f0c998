/*
 * SPDX-License-Identifier: GPL-2.0-or-later
 * Copyright (C) 2026 the ims_wic authors
 *
 * ims_wic - the bytes of one provisioning: the file and every key file it
 * names, as read from disk at one (re)load, with the SHA-256 of them all.
 *
 * The process that reloads reads the disk once into a bundle, validates it,
 * and publishes its flat form in shared memory; every other process parses
 * that flat form and never the disk, so that all processes run the same
 * provisioning and the token cache can be keyed by its content.
 */
#ifndef WIC_BUNDLE_H
#define WIC_BUNDLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define WIC_BUNDLE_DIGEST_LEN 32 /* SHA-256 */
/* A provisioning file of this size or more is refused (one of 10,000
 * WWSFs is about 10 MiB). */
#define WIC_BUNDLE_FILE_MAX (64u * 1024u * 1024u)

typedef struct wic_bundle_file
{
	char *name; /* path as the loader resolved it, NUL-terminated */
	unsigned char *data;
	size_t len;
} wic_bundle_file_t;

typedef struct wic_bundle
{
	wic_bundle_file_t *files; /* in the order first read */
	size_t n;
	/* open-addressing index of files by name (index + 1, 0: empty), so
	 * that a provisioning of 20,000 key files is not a scan a lookup */
	size_t *slots;
	size_t n_slots; /* a power of two, at least twice n */
	/* sealed: lookups never read the disk (a bundle from shared memory);
	 * borrowed: names and data point into a flat form owned elsewhere */
	bool sealed;
	bool borrowed;
} wic_bundle_t;

/* The bytes of the file path: from the bundle when already there, else,
 * unless sealed, read from disk and kept: a regular file of less than max
 * bytes (anything else, a FIFO included, is refused without blocking).
 * 0, or -1 with "<path>: <reason>" in err. The bytes stay owned by the
 * bundle. */
int wic_bundle_get(wic_bundle_t *b, const char *path, size_t max,
		const unsigned char **data, size_t *len, char *err, size_t errlen);

/* SHA-256 over every file's name and bytes, in order. 0, or -1 when
 * OpenSSL fails. */
int wic_bundle_digest(
		const wic_bundle_t *b, unsigned char out[WIC_BUNDLE_DIGEST_LEN]);

/* Flat form: one block that holds every name and byte, for shared memory.
 * wic_bundle_flat_size() is 0 when the bundle is too large for one block. */
size_t wic_bundle_flat_size(const wic_bundle_t *b);
void wic_bundle_flatten(const wic_bundle_t *b, void *out, size_t size);
/* A sealed, borrowed bundle over a flat form (only the file list is
 * allocated). 0, or -1 when the block is malformed or memory runs out. */
int wic_bundle_view(const void *flat, size_t size, wic_bundle_t *out);

void wic_bundle_clear(wic_bundle_t *b);

#endif
