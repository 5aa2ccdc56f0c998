/*
 * SPDX-License-Identifier: GPL-2.0-or-later
 * Copyright (C) 2026 the ims_wic authors
 *
 * ims_wic - the bytes of one provisioning (see wic_bundle.h).
 *
 * Flat form, native byte order (it never leaves the host):
 *   uint64 n, then per file: uint64 name_len, uint64 data_len,
 *   name bytes + NUL, data bytes.
 */
#include "wic_bundle.h"
#include "wic_mem.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/evp.h>

static int set_err(char *err, size_t errlen, const char *fmt, ...)
		__attribute__((format(printf, 3, 4)));

static int set_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if(err != NULL && errlen > 0) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return -1;
}

/* FNV-1a of a name */
static size_t name_hash(const char *name)
{
	uint64_t h = 14695981039346656037ull;

	for(; *name; name++)
		h = (h ^ (unsigned char)*name) * 1099511628211ull;
	return (size_t)h;
}

static const wic_bundle_file_t *find(const wic_bundle_t *b, const char *name)
{
	size_t mask = b->n_slots - 1, i;

	if(b->n_slots == 0)
		return NULL;
	for(i = name_hash(name) & mask; b->slots[i] != 0; i = (i + 1) & mask)
		if(strcmp(b->files[b->slots[i] - 1].name, name) == 0)
			return &b->files[b->slots[i] - 1];
	return NULL;
}

static void slot_put(
		size_t *slots, size_t n_slots, const char *name, size_t idx)
{
	size_t mask = n_slots - 1, i;

	for(i = name_hash(name) & mask; slots[i] != 0; i = (i + 1) & mask)
		;
	slots[i] = idx + 1;
}

/* Room in the index for one more file (kept at most half full). */
static int index_reserve(wic_bundle_t *b)
{
	size_t n_slots = b->n_slots ? b->n_slots : 16, *slots;

	if(2 * (b->n + 1) <= b->n_slots)
		return 0;
	while(2 * (b->n + 1) > n_slots)
		n_slots *= 2;
	slots = wic_calloc(n_slots, sizeof(*slots));
	if(slots == NULL)
		return -1;
	for(size_t i = 0; i < b->n; i++)
		slot_put(slots, n_slots, b->files[i].name, i);
	wic_free(b->slots);
	b->slots = slots;
	b->n_slots = n_slots;
	return 0;
}

/* Whole regular file into malloc'd memory, refused from max bytes on. A
 * FIFO, device or directory is refused before any read: opening or reading
 * one could block the reloading process (and every RPC behind it). */
static int read_disk(const char *path, size_t max, unsigned char **data,
		size_t *len, char *err, size_t errlen)
{
	int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	struct stat st;
	unsigned char *buf;
	size_t n = 0;

	if(fd < 0)
		return set_err(
				err, errlen, "%s: cannot open: %s", path, strerror(errno));
	if(fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return set_err(err, errlen, "%s: not a regular file", path);
	}
	if((unsigned long long)st.st_size >= max) {
		close(fd);
		return set_err(err, errlen, "%s: %lld bytes, the limit is %zu", path,
				(long long)st.st_size, max - 1);
	}
	buf = wic_malloc((size_t)st.st_size + 1);
	if(buf == NULL) {
		close(fd);
		return set_err(err, errlen, "%s: out of memory", path);
	}
	/* a file that grows while read is cut at its size when opened */
	while(n < (size_t)st.st_size) {
		ssize_t got = read(fd, buf + n, (size_t)st.st_size - n);
		if(got < 0 && errno == EINTR)
			continue;
		if(got <= 0)
			break;
		n += (size_t)got;
	}
	close(fd);
	if(n != (size_t)st.st_size) {
		wic_free(buf);
		return set_err(err, errlen, "%s: read error", path);
	}
	buf[n] = '\0'; /* text parsers may rely on it; not part of len */
	*data = buf;
	*len = n;
	return 0;
}

int wic_bundle_get(wic_bundle_t *b, const char *path, size_t max,
		const unsigned char **data, size_t *len, char *err, size_t errlen)
{
	const wic_bundle_file_t *have;
	wic_bundle_file_t add = {0}, *grown;

	if(b == NULL || path == NULL || data == NULL || len == NULL)
		return set_err(err, errlen, "no file");
	have = find(b, path);
	if(have != NULL) {
		*data = have->data;
		*len = have->len;
		return 0;
	}
	if(b->sealed)
		return set_err(
				err, errlen, "%s: not in the provisioning snapshot", path);
	if(read_disk(path, max, &add.data, &add.len, err, errlen) < 0)
		return -1;
	add.name = wic_strdup(path);
	grown = add.name && index_reserve(b) == 0
					? wic_realloc(b->files, (b->n + 1) * sizeof(*grown))
					: NULL;
	if(grown == NULL) {
		wic_free(add.name);
		wic_free(add.data);
		return set_err(err, errlen, "%s: out of memory", path);
	}
	b->files = grown;
	b->files[b->n] = add;
	slot_put(b->slots, b->n_slots, add.name, b->n);
	b->n++;
	*data = add.data;
	*len = add.len;
	return 0;
}

int wic_bundle_digest(
		const wic_bundle_t *b, unsigned char out[WIC_BUNDLE_DIGEST_LEN])
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	unsigned olen = 0;
	int ok = ctx != NULL && EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) == 1;

	for(size_t i = 0; ok && b != NULL && i < b->n; i++) {
		uint64_t lens[2] = {strlen(b->files[i].name), b->files[i].len};
		ok = EVP_DigestUpdate(ctx, lens, sizeof(lens)) == 1
			 && EVP_DigestUpdate(ctx, b->files[i].name, lens[0]) == 1
			 && EVP_DigestUpdate(ctx, b->files[i].data, lens[1]) == 1;
	}
	ok = ok && EVP_DigestFinal_ex(ctx, out, &olen) == 1
		 && olen == WIC_BUNDLE_DIGEST_LEN;
	EVP_MD_CTX_free(ctx);
	return ok ? 0 : -1;
}

size_t wic_bundle_flat_size(const wic_bundle_t *b)
{
	size_t size = sizeof(uint64_t);

	for(size_t i = 0; b != NULL && i < b->n; i++) {
		size_t one = 2 * sizeof(uint64_t) + strlen(b->files[i].name) + 1
					 + b->files[i].len;
		if(one > SIZE_MAX - size)
			return 0;
		size += one;
	}
	return size;
}

void wic_bundle_flatten(const wic_bundle_t *b, void *out, size_t size)
{
	unsigned char *p = out;
	uint64_t n = b->n;

	if(size < wic_bundle_flat_size(b))
		return;
	memcpy(p, &n, sizeof(n));
	p += sizeof(n);
	for(size_t i = 0; i < b->n; i++) {
		uint64_t lens[2] = {strlen(b->files[i].name), b->files[i].len};
		memcpy(p, lens, sizeof(lens));
		p += sizeof(lens);
		memcpy(p, b->files[i].name, lens[0] + 1);
		p += lens[0] + 1;
		memcpy(p, b->files[i].data, lens[1]);
		p += lens[1];
	}
}

int wic_bundle_view(const void *flat, size_t size, wic_bundle_t *out)
{
	const unsigned char *p = flat, *end = p + size;
	uint64_t n;

	memset(out, 0, sizeof(*out));
	if(flat == NULL || size < sizeof(n))
		return -1;
	memcpy(&n, p, sizeof(n));
	p += sizeof(n);
	/* every file takes at least its two lengths and a NUL */
	if(n > (size - sizeof(n)) / (2 * sizeof(uint64_t) + 1))
		return -1;
	out->files = wic_calloc(n ? n : 1, sizeof(*out->files));
	if(out->files == NULL)
		return -1;
	out->sealed = out->borrowed = true;
	for(out->n = 0; out->n < n; out->n++) {
		uint64_t lens[2];
		if((size_t)(end - p) < sizeof(lens))
			goto malformed;
		memcpy(lens, p, sizeof(lens));
		p += sizeof(lens);
		/* a name is a C string of exactly its length */
		if(lens[0] >= (uint64_t)(end - p) || p[lens[0]] != '\0'
				|| memchr(p, '\0', lens[0]) != NULL
				|| lens[1] > (uint64_t)(end - p) - lens[0] - 1)
			goto malformed;
		out->files[out->n].name = (char *)p;
		p += lens[0] + 1;
		out->files[out->n].data = (unsigned char *)p;
		out->files[out->n].len = lens[1];
		p += lens[1];
		if(index_reserve(out) < 0)
			goto malformed;
		slot_put(out->slots, out->n_slots, out->files[out->n].name, out->n);
	}
	return 0;
malformed:
	wic_bundle_clear(out);
	return -1;
}

void wic_bundle_clear(wic_bundle_t *b)
{
	if(b == NULL)
		return;
	for(size_t i = 0; !b->borrowed && i < b->n; i++) {
		wic_free(b->files[i].name);
		wic_free(b->files[i].data);
	}
	wic_free(b->files);
	wic_free(b->slots);
	memset(b, 0, sizeof(*b));
}
