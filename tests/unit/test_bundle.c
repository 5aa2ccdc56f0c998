/*
 * SPDX-License-Identifier: GPL-2.0-or-later
 * Copyright (C) 2026 the ims_wic authors
 *
 * Unit tests of wic_bundle.c: files read from disk once and kept, a sealed
 * bundle that never reads the disk, the flat form for shared memory and
 * its parser against malformed blocks, the content hash, and a
 * provisioning parsed from a sealed view equal to the one parsed from disk.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "tok_fixture.h"
#include "wic_bundle.h"
#include "wic_prov.h"

static char dir[] = "/tmp/wic-bundle-XXXXXX";

static void write_file(const char *name, const char *text, char *path)
{
	snprintf(path, PATH_MAX, "%s/%s", dir, name);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static int setup(void **state)
{
	return mkdtemp(dir) == NULL ? -1 : fx_setup(state);
}

static int teardown(void **state)
{
	static const char *const files[] = {
			"a.txt", "one", "empty", "later", "m", "prov.json", "big", "fifo"};
	char path[PATH_MAX];

	for(size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, files[i]);
		unlink(path);
	}
	rmdir(dir);
	return fx_teardown(state);
}

static void test_get_reads_once_and_keeps(void **state)
{
	(void)state;
	char path[PATH_MAX], err[256] = "";
	const unsigned char *d1, *d2;
	size_t l1, l2;
	wic_bundle_t b = {0};

	write_file("a.txt", "first", path);
	assert_int_equal(wic_bundle_get(&b, path, 1024, &d1, &l1, err, sizeof(err)), 0);
	assert_int_equal(l1, 5);
	assert_memory_equal(d1, "first", 5);
	/* the disk changes: the bundle keeps what it read */
	write_file("a.txt", "second!", path);
	assert_int_equal(wic_bundle_get(&b, path, 1024, &d2, &l2, err, sizeof(err)), 0);
	assert_ptr_equal(d1, d2);
	assert_int_equal(l2, 5);
	assert_int_equal(b.n, 1);

	snprintf(path, sizeof(path), "%s/missing", dir);
	assert_int_equal(wic_bundle_get(&b, path, 1024, &d1, &l1, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "cannot open"));
	assert_int_equal(b.n, 1);
	wic_bundle_clear(&b);
	assert_int_equal(b.n, 0);
}

/* Only regular files under the limit; a FIFO is refused without blocking
 * (nobody writes to it here: a blocking open would hang the test). */
static void test_get_refuses_what_is_not_a_small_regular_file(void **state)
{
	(void)state;
	char path[PATH_MAX], err[256] = "";
	const unsigned char *d;
	size_t l;
	wic_bundle_t b = {0};

	write_file("big", "0123456789", path);
	assert_int_equal(wic_bundle_get(&b, path, 10, &d, &l, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "10 bytes, the limit is 9"));
	assert_int_equal(wic_bundle_get(&b, path, 11, &d, &l, err, sizeof(err)), 0);
	assert_int_equal(l, 10);

	snprintf(path, sizeof(path), "%s/fifo", dir);
	assert_int_equal(mkfifo(path, 0600), 0);
	assert_int_equal(wic_bundle_get(&b, path, 1024, &d, &l, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "not a regular file"));
	assert_int_equal(wic_bundle_get(&b, dir, 1024, &d, &l, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "not a regular file"));
	assert_int_equal(b.n, 1);
	wic_bundle_clear(&b);
}

static void test_flat_round_trip_is_sealed(void **state)
{
	(void)state;
	char p1[PATH_MAX], p2[PATH_MAX], err[256] = "";
	const unsigned char *d;
	size_t l;
	wic_bundle_t b = {0}, v;

	write_file("one", "1111", p1);
	write_file("empty", "", p2);
	assert_int_equal(wic_bundle_get(&b, p1, 1024, &d, &l, err, sizeof(err)), 0);
	assert_int_equal(wic_bundle_get(&b, p2, 1024, &d, &l, err, sizeof(err)), 0);
	size_t size = wic_bundle_flat_size(&b);
	unsigned char *flat = malloc(size);
	assert_non_null(flat);
	wic_bundle_flatten(&b, flat, size);
	assert_int_equal(wic_bundle_view(flat, size, &v), 0);
	assert_int_equal(v.n, 2);
	assert_true(v.sealed);
	assert_int_equal(wic_bundle_get(&v, p1, 1024, &d, &l, err, sizeof(err)), 0);
	assert_int_equal(l, 4);
	assert_memory_equal(d, "1111", 4);
	assert_int_equal(wic_bundle_get(&v, p2, 1024, &d, &l, err, sizeof(err)), 0);
	assert_int_equal(l, 0);
	/* sealed: a file not in the snapshot is not read from disk */
	char p3[PATH_MAX];
	write_file("later", "x", p3);
	assert_int_equal(wic_bundle_get(&v, p3, 1024, &d, &l, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "not in the provisioning snapshot"));

	unsigned char h1[WIC_BUNDLE_DIGEST_LEN], h2[WIC_BUNDLE_DIGEST_LEN];
	assert_int_equal(wic_bundle_digest(&b, h1), 0);
	assert_int_equal(wic_bundle_digest(&v, h2), 0);
	assert_memory_equal(h1, h2, sizeof(h1));
	wic_bundle_clear(&v);
	/* one byte of one file changes the digest */
	b.files[0].data[0] = '2';
	assert_int_equal(wic_bundle_digest(&b, h2), 0);
	assert_memory_not_equal(h1, h2, sizeof(h1));
	free(flat);
	wic_bundle_clear(&b);
}

/* Every truncation and a few corruptions of a valid block are refused,
 * never read past the block (ASan). */
static void test_view_refuses_malformed(void **state)
{
	(void)state;
	char p1[PATH_MAX], err[256] = "";
	const unsigned char *d;
	size_t l;
	wic_bundle_t b = {0}, v;

	write_file("m", "content", p1);
	assert_int_equal(wic_bundle_get(&b, p1, 1024, &d, &l, err, sizeof(err)), 0);
	size_t size = wic_bundle_flat_size(&b);
	unsigned char *flat = malloc(size);
	assert_non_null(flat);
	wic_bundle_flatten(&b, flat, size);
	for(size_t cut = 0; cut < size; cut++) {
		unsigned char *part = malloc(cut ? cut : 1);
		memcpy(part, flat, cut);
		assert_int_equal(wic_bundle_view(part, cut, &v), -1);
		free(part);
	}
	uint64_t huge = UINT64_MAX;
	memcpy(flat + 8, &huge, sizeof(huge)); /* name length */
	assert_int_equal(wic_bundle_view(flat, size, &v), -1);
	memcpy(flat, &huge, sizeof(huge)); /* file count */
	assert_int_equal(wic_bundle_view(flat, size, &v), -1);
	assert_int_equal(wic_bundle_view(NULL, 0, &v), -1);
	free(flat);
	wic_bundle_clear(&b);
}

/* The provisioning and its key file come from the snapshot, not the disk:
 * parsed again after the files are gone, it is the same. */
static void test_prov_from_sealed_view(void **state)
{
	const fx_t *fx = *state;
	char prov[PATH_MAX], pem[PATH_MAX], err[512] = "";
	char text[PATH_MAX + 512];
	snprintf(pem, sizeof(pem), "%s", fx_path(fx, "ec256.pem"));
	snprintf(text, sizeof(text),
			"{\"audience\": \"a\", \"wwsfs\": [{\"id\": \"w\", \"origins\": "
			"[\"https://w.example\"], \"issuers\": [\"https://w.example\"], "
			"\"keys\": [{\"pem\": \"%s\", \"kid\": \"k\"}], \"ranges\": "
			"[{\"wildcard\": \"sip:w!.*!@w.example\", \"distinct_pui\": "
			"\"sip:w@w.example\", \"impi\": \"w@w.example\"}]}]}",
			pem);
	write_file("prov.json", text, prov);

	wic_bundle_t bytes = {0}, view;
	wic_prov_t *p = NULL, *q = NULL;
	assert_int_equal(wic_prov_load(prov, &bytes, NULL, 0, &p, err, sizeof(err)), 0);
	assert_int_equal(bytes.n, 2); /* the file and its key */
	size_t size = wic_bundle_flat_size(&bytes);
	unsigned char *flat = malloc(size);
	assert_non_null(flat);
	wic_bundle_flatten(&bytes, flat, size);
	unlink(prov);
	unlink(pem);
	assert_int_equal(wic_bundle_view(flat, size, &view), 0);
	assert_int_equal(
			wic_prov_load(view.files[0].name, &view, NULL, WIC_PROV_DEFER_KEYS,
					&q, err, sizeof(err)),
			0);
	assert_int_equal(q->n_wwsfs, 1);
	assert_string_equal(q->wwsfs[0].id, p->wwsfs[0].id);
	/* the key is built at its first use, from the snapshot's copy */
	assert_int_equal(q->wwsfs[0].keys.n, 0);
	assert_int_equal(q->wwsfs[0].keys.n_pending, 1);
	assert_int_equal(wic_keyset_ready(&q->wwsfs[0].keys, err, sizeof(err)), 0);
	assert_int_equal(q->wwsfs[0].keys.n_pending, 0);
	assert_int_equal(q->wwsfs[0].keys.n, 1);
	assert_string_equal(q->wwsfs[0].keys.keys[0].kid, "k");
	/* the same bytes from disk are gone */
	wic_prov_t *r = NULL;
	assert_int_equal(wic_prov_load_file(prov, &r, err, sizeof(err)), -1);
	wic_prov_free(p);
	wic_prov_free(q);
	wic_bundle_clear(&view);
	wic_bundle_clear(&bytes);
	free(flat);
	/* the fixture's teardown expects its key file */
	assert_int_equal(fx_write_pub(fx, fx->ec256, "ec256.pem"), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
			cmocka_unit_test(test_get_reads_once_and_keeps),
			cmocka_unit_test(test_get_refuses_what_is_not_a_small_regular_file),
			cmocka_unit_test(test_flat_round_trip_is_sealed),
			cmocka_unit_test(test_view_refuses_malformed),
			cmocka_unit_test(test_prov_from_sealed_view),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
