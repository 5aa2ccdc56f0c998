/*
 * SPDX-License-Identifier: GPL-2.0-or-later
 * Copyright (C) 2026 the ims_wic authors
 *
 * Unit tests of wic_index.c: the lookup indexes of a provisioning give the
 * answers of the linear scan in file order (wic_prov.c without an index),
 * on hand-written cases and on random provisionings whose ranges overlap
 * on purpose (several ranges of one host and prefix, prefixes of one
 * another, escapes, case, tel:), queried with random identities.
 *
 * WWSFs use HMAC keys (allow_hmac), so a provisioning is one JSON file.
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

#include "wic_index.h"
#include "wic_prov.h"

#define HMAC_32 "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY"

static char tmpdir[64];
static char provpath[PATH_MAX];

/* xorshift32: reproducible, seeded per case */
static uint32_t rng;
static uint32_t rnd(uint32_t n)
{
	rng ^= rng << 13;
	rng ^= rng >> 17;
	rng ^= rng << 5;
	return n ? rng % n : 0;
}
static const char *pick(const char *const *v, size_t n)
{
	return v[rnd((uint32_t)n)];
}
#define PICK(v) pick(v, sizeof(v) / sizeof(v[0]))

static int setup_dir(void **state)
{
	(void)state;
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/wic-index-test.XXXXXX");
	if(mkdtemp(tmpdir) == NULL)
		return -1;
	snprintf(provpath, sizeof(provpath), "%s/prov.json", tmpdir);
	return 0;
}

static int teardown_dir(void **state)
{
	(void)state;
	unlink(provpath);
	rmdir(tmpdir);
	return 0;
}

/* ------------------------------------------------------------ building */

typedef struct sbuf
{
	char *s;
	size_t len, cap;
} sbuf_t;

static void sb_add(sbuf_t *b, const char *fmt, ...)
{
	va_list ap;
	for(;;) {
		va_start(ap, fmt);
		int n = vsnprintf(b->s + b->len, b->cap - b->len, fmt, ap);
		va_end(ap);
		assert_true(n >= 0);
		if(b->len + (size_t)n < b->cap) {
			b->len += (size_t)n;
			return;
		}
		b->cap = b->cap * 2 + (size_t)n + 64;
		b->s = realloc(b->s, b->cap);
		assert_non_null(b->s);
	}
}

static wic_prov_t *load_text(const char *json)
{
	char err[512] = "";
	wic_prov_t *p = NULL;
	FILE *f = fopen(provpath, "w");
	assert_non_null(f);
	assert_true(fputs(json, f) >= 0);
	assert_int_equal(fclose(f), 0);
	if(wic_prov_load_file(provpath, &p, err, sizeof(err)) < 0)
		fail_msg("%s", err);
	assert_non_null(p->index);
	return p;
}

/* The same provisioning without its index: the lookups scan. */
static wic_prov_t linear_view(const wic_prov_t *p)
{
	wic_prov_t l = *p;
	l.index = NULL;
	return l;
}

static const char *const hosts[] = {
		"a.lab", "b.lab", "a.lab:5060", "x.y.lab", "A.Lab"};
static const char *const prefixes[] = {
		"", "d", "de", "demo", "dem", "%64e", "x", "+1", "a.b"};
static const char *const regexes[] = {".*", "\\\\d+", "[a-z]{1,3}", "1.*",
		"a|b", "(x)?y", "e.*", "mo\\\\d", "[^@]*"};
static const char *const suffixes[] = {"", "z", "-1", "o"};
static const char *const schemes[] = {"sip:", "sip:", "sip:", "sips:", "SIP:"};

/* One wildcard of the random family, into out. */
static void random_wildcard(char *out, size_t cap)
{
	if(rnd(6) == 0) {
		static const char *const telp[] = {"+1555", "+155", "+1-555", "+44"};
		static const char *const telr[] = {"\\\\d{4}", "\\\\d*", "1.*"};
		snprintf(out, cap, "tel:%s!%s!", PICK(telp), PICK(telr));
		return;
	}
	snprintf(out, cap, "%s%s!%s!%s@%s", PICK(schemes), PICK(prefixes),
			PICK(regexes), PICK(suffixes), PICK(hosts));
}

static bool seen_before(char seen[][96], size_t n, const char *s)
{
	for(size_t i = 0; i < n; i++) {
		if(strcmp(seen[i], s) == 0)
			return true;
	}
	return false;
}

/* A provisioning of n_wwsfs WWSFs with up to 4 ranges each, overlapping. */
static wic_prov_t *random_prov(size_t n_wwsfs)
{
	static char seen[1024][96];
	size_t n_seen = 0, distinct = 0;
	sbuf_t b = {0};
	char wc[96];

	sb_add(&b, "{\"audience\":\"epcscf.lab\",\"wwsfs\":[");
	for(size_t w = 0; w < n_wwsfs; w++) {
		sb_add(&b,
				"%s{\"id\":\"w%zu\",\"allow_hmac\":true,"
				"\"origins\":[\"https://o%zu.lab\",\"http://O%zu.lab:8%zu\"],"
				"\"issuers\":[\"iss-%zu\",\"ISS-%zu\"],"
				"\"keys\":[{\"hmac\":\"" HMAC_32
				"\",\"kid\":\"k\",\"algs\":[\"HS256\"]}],\"ranges\":[",
				w ? "," : "", w, w, w, w, w, w);
		size_t nr = 1 + rnd(4);
		for(size_t r = 0, made = 0; r < 20 && made < nr; r++) {
			random_wildcard(wc, sizeof(wc));
			if(seen_before(seen, n_seen, wc) || n_seen >= 1024)
				continue;
			snprintf(seen[n_seen++], sizeof(seen[0]), "%s", wc);
			sb_add(&b,
					"%s{\"wildcard\":\"%s\",\"distinct_pui\":"
					"\"sip:r%zu@d.lab\",\"impi\":\"r%zu@d.lab\"}",
					made ? "," : "", wc, distinct, distinct);
			distinct++;
			made++;
		}
		sb_add(&b, "]}");
	}
	sb_add(&b, "]}");
	wic_prov_t *p = load_text(b.s);
	free(b.s);
	return p;
}

/* An identity close to the random family: most hit a host, many a prefix. */
static void random_identity(char *out, size_t cap)
{
	static const char *const parts[] = {"d", "e", "m", "o", "1", "2", "a",
			"b", "x", "y", "z", "-", "%64", "%41", "demo", "de", "+1", "."};
	static const char *const qschemes[] = {
			"sip:", "sip:", "sip:", "sips:", "SIP:", "tel:", "http:"};
	char user[64] = "";
	size_t len = 0;

	for(uint32_t i = 0, n = rnd(6); i < n; i++) {
		const char *part = PICK(parts);
		if(len + strlen(part) + 1 >= sizeof(user))
			break;
		memcpy(user + len, part, strlen(part) + 1);
		len += strlen(part);
	}
	const char *scheme = PICK(qschemes);
	if(strcmp(scheme, "tel:") == 0) {
		static const char *const num[] = {"+15551234", "+1-555-1234",
				"+155", "+1555", "+4412", "+1555123x", "+15551"};
		snprintf(out, cap, "tel:%s", PICK(num));
		return;
	}
	switch(rnd(10)) {
		case 0:
			snprintf(out, cap, "%s%s", scheme, user); /* no host */
			break;
		case 1:
			snprintf(out, cap, "%s%s@%s@a.lab", scheme, user, user);
			break;
		case 2:
			snprintf(out, cap, "%s%s@other.lab", scheme, user);
			break;
		default:
			snprintf(out, cap, "%s%s@%s", scheme, user, PICK(hosts));
	}
}

/* ------------------------------------------------------------- checking */

static void same_range_of(const wic_prov_t *p, const wic_prov_t *lin,
		const wic_wwsf_t *w, const char *impu, size_t len)
{
	const wic_wwsf_t *o1 = (const wic_wwsf_t *)1, *o2 = (const wic_wwsf_t *)2;
	const wic_range_t *r1 = wic_prov_range_of(p, w, impu, len, &o1);
	const wic_range_t *r2 = wic_prov_range_of(lin, w, impu, len, &o2);
	if(r1 != r2 || o1 != o2)
		fail_msg("range_of(%s, %.*s): index %s, scan %s", w ? w->id : "*",
				(int)len, impu, r1 ? r1->wildcard : "-",
				r2 ? r2->wildcard : "-");
}

static size_t check_identity(
		const wic_prov_t *p, const wic_prov_t *lin, const char *impu)
{
	size_t len = strlen(impu);
	same_range_of(p, lin, NULL, impu, len);
	for(size_t w = 0; w < p->n_wwsfs; w++)
		same_range_of(p, lin, &p->wwsfs[w], impu, len);
	return wic_prov_range_of(lin, NULL, impu, len, NULL) != NULL;
}

/* Case flips of every other letter. */
static void flip_case(char *s)
{
	for(size_t i = 0; s[i]; i += 2) {
		if(s[i] >= 'a' && s[i] <= 'z')
			s[i] = (char)(s[i] - 'a' + 'A');
		else if(s[i] >= 'A' && s[i] <= 'Z')
			s[i] = (char)(s[i] - 'A' + 'a');
	}
}

static void check_names(const wic_prov_t *p, const wic_prov_t *lin)
{
	char buf[160];

	for(size_t w = 0; w < p->n_wwsfs; w++) {
		const wic_wwsf_t *ww = &p->wwsfs[w];
		assert_ptr_equal(wic_prov_wwsf_by_id(p, ww->id), ww);
		for(size_t j = 0; j < ww->n_origins; j++) {
			snprintf(buf, sizeof(buf), "%s", ww->origins[j]);
			flip_case(buf);
			assert_ptr_equal(wic_prov_wwsf_by_origin(p, buf, strlen(buf)),
					wic_prov_wwsf_by_origin(lin, buf, strlen(buf)));
			assert_ptr_equal(
					wic_prov_wwsf_by_origin(p, buf, strlen(buf)), ww);
			assert_null(wic_prov_wwsf_by_origin(p, buf, strlen(buf) - 1));
		}
		for(size_t j = 0; j < ww->n_issuers; j++) {
			snprintf(buf, sizeof(buf), "%s", ww->issuers[j]);
			assert_ptr_equal(
					wic_prov_wwsf_by_issuer(p, buf, strlen(buf)), ww);
			flip_case(buf);
			assert_ptr_equal(wic_prov_wwsf_by_issuer(p, buf, strlen(buf)),
					wic_prov_wwsf_by_issuer(lin, buf, strlen(buf)));
		}
		for(size_t r = 0; r < ww->n_ranges; r++) {
			const wic_range_t *rg = &ww->ranges[r];
			const char *t = rg->wildcard;
			assert_ptr_equal(wic_prov_range_by_pui(p, rg->distinct_pui), rg);
			assert_ptr_equal(
					wic_prov_range_by_pui(lin, rg->distinct_pui), rg);
			for(size_t o = 0; o < p->n_wwsfs; o++) {
				const wic_wwsf_t *ow = &p->wwsfs[o];
				assert_ptr_equal(
						wic_prov_range_by_text(p, ow, t, strlen(t)),
						wic_prov_range_by_text(lin, ow, t, strlen(t)));
			}
			assert_ptr_equal(wic_prov_range_by_text(p, ww, t, strlen(t)), rg);
			assert_null(wic_prov_range_by_text(p, ww, t, strlen(t) - 1));
		}
	}
	assert_null(wic_prov_wwsf_by_id(p, "nope"));
	assert_null(wic_prov_wwsf_by_origin(p, "https://nope.lab", 16));
	assert_null(wic_prov_wwsf_by_issuer(p, "nope", 4));
	assert_null(wic_prov_range_by_pui(p, "sip:nope@d.lab"));
}

/* ---------------------------------------------------------------- tests */

static void test_known_cases(void **state)
{
	(void)state;
	/* prefixes of one another on one host, one range of the second WWSF
	 * before a shorter-prefix range of the third in file order */
	wic_prov_t *p = load_text(
			"{\"audience\":\"a\",\"wwsfs\":["
			"{\"id\":\"one\",\"allow_hmac\":true,"
			"\"origins\":[\"https://One.lab\"],\"issuers\":[\"i1\"],"
			"\"keys\":[{\"hmac\":\"" HMAC_32 "\"}],\"ranges\":["
			"{\"wildcard\":\"sip:demo!9.*!@h.lab\",\"distinct_pui\":"
			"\"sip:a@h.lab\",\"impi\":\"a@h.lab\"}]},"
			"{\"id\":\"two\",\"allow_hmac\":true,"
			"\"origins\":[\"https://two.lab\"],\"issuers\":[\"i2\"],"
			"\"keys\":[{\"hmac\":\"" HMAC_32 "\"}],\"ranges\":["
			"{\"wildcard\":\"sip:de!.*!@H.LAB\",\"distinct_pui\":"
			"\"sip:b@h.lab\",\"impi\":\"b@h.lab\"},"
			"{\"wildcard\":\"tel:+1555!\\\\d{4}!\",\"distinct_pui\":"
			"\"tel:+15550000\",\"impi\":\"t@h.lab\"}]},"
			"{\"id\":\"three\",\"allow_hmac\":true,"
			"\"origins\":[\"https://three.lab\"],\"issuers\":[\"i3\"],"
			"\"keys\":[{\"hmac\":\"" HMAC_32 "\"}],\"ranges\":["
			"{\"wildcard\":\"sip:!.*!@h.lab\",\"distinct_pui\":"
			"\"sip:c@h.lab\",\"impi\":\"c@h.lab\"}]}]}");
	wic_prov_t lin = linear_view(p);
	const wic_wwsf_t *owner = NULL;
	const char *impu;

	impu = "sip:demo99@h.lab";
	assert_ptr_equal(wic_prov_range_of(p, NULL, impu, strlen(impu), &owner),
			&p->wwsfs[0].ranges[0]);
	assert_ptr_equal(owner, &p->wwsfs[0]);
	impu = "sip:demo1@H.Lab";
	assert_ptr_equal(wic_prov_range_of(p, NULL, impu, strlen(impu), &owner),
			&p->wwsfs[1].ranges[0]);
	assert_ptr_equal(owner, &p->wwsfs[1]);
	impu = "sip:%64emo1@h.lab"; /* escape of an unreserved character */
	assert_ptr_equal(wic_prov_range_of(p, NULL, impu, strlen(impu), NULL),
			&p->wwsfs[1].ranges[0]);
	impu = "sip:xyz@h.lab";
	assert_ptr_equal(wic_prov_range_of(p, NULL, impu, strlen(impu), &owner),
			&p->wwsfs[2].ranges[0]);
	impu = "sip:demo99@h.lab";
	assert_ptr_equal(wic_prov_range_of(p, &p->wwsfs[2], impu, strlen(impu),
							 &owner),
			&p->wwsfs[2].ranges[0]);
	assert_null(wic_prov_range_of(
			p, &p->wwsfs[0], "sip:demo1@h.lab", 15, &owner));
	assert_null(owner);
	impu = "tel:+1-555-1234";
	assert_ptr_equal(wic_prov_range_of(p, NULL, impu, strlen(impu), NULL),
			&p->wwsfs[1].ranges[1]);
	assert_null(wic_prov_range_of(p, NULL, "sip:a@b@h.lab", 13, NULL));
	assert_null(wic_prov_range_of(p, NULL, "sip:demo\0@h.lab", 15, NULL));
	assert_null(wic_prov_range_of(p, NULL, "sip:demo1@h.lab.evil", 20, NULL));
	assert_ptr_equal(wic_prov_wwsf_by_origin(p, "HTTPS://ONE.LAB", 15),
			&p->wwsfs[0]);
	assert_null(wic_prov_wwsf_by_issuer(p, "I1", 2));
	check_names(p, &lin);
	assert_true(wic_index_bytes(p->index) > 0);
	wic_prov_free(p);
}

static void test_random_equivalence(void **state)
{
	(void)state;
	char impu[160];
	size_t matched = 0, queries = 0;

	for(uint32_t seed = 1; seed <= 40; seed++) {
		rng = seed * 2654435761u;
		wic_prov_t *p = random_prov(1 + rnd(seed < 20 ? 8 : 60));
		wic_prov_t lin = linear_view(p);
		check_names(p, &lin);
		for(int q = 0; q < 400; q++, queries++) {
			random_identity(impu, sizeof(impu));
			matched += check_identity(p, &lin, impu);
		}
		/* the distinct PUIs and wildcards as identities too */
		for(size_t w = 0; w < p->n_wwsfs; w++) {
			for(size_t r = 0; r < p->wwsfs[w].n_ranges; r++) {
				check_identity(p, &lin, p->wwsfs[w].ranges[r].wildcard);
				check_identity(p, &lin, p->wwsfs[w].ranges[r].distinct_pui);
			}
		}
		wic_prov_free(p);
	}
	/* the family is close enough that both answers occur often */
	assert_true(matched > queries / 10);
	assert_true(matched < queries - queries / 10);
}

/* The loader's former check, a scan per item: WWSF by WWSF, its id, then
 * each list, each item against every earlier one. */
static const char *ref_item(const wic_wwsf_t *w, int k, size_t i, size_t *n)
{
	switch(k) {
		case WIC_DUP_ID:
			*n = 1;
			return w->id;
		case WIC_DUP_ORIGIN:
			*n = w->n_origins;
			return i < *n ? w->origins[i] : NULL;
		case WIC_DUP_ISSUER:
			*n = w->n_issuers;
			return i < *n ? w->issuers[i] : NULL;
		case WIC_DUP_WILDCARD:
			*n = w->n_ranges;
			return i < *n ? w->ranges[i].wildcard : NULL;
		default:
			*n = w->n_ranges;
			return i < *n ? w->ranges[i].distinct_pui : NULL;
	}
}

static int ref_first_duplicate(const wic_prov_t *p, wic_dup_t *out)
{
	size_t n, m;
	for(size_t w = 0; w < p->n_wwsfs; w++) {
		for(int k = WIC_DUP_ID; k <= WIC_DUP_DISTINCT; k++) {
			ref_item(&p->wwsfs[w], k, 0, &n);
			for(size_t e = 0; e < n; e++) {
				const char *s = ref_item(&p->wwsfs[w], k, e, &n);
				for(size_t o = 0; o <= w; o++) {
					ref_item(&p->wwsfs[o], k, 0, &m);
					size_t upto = o == w ? e : m;
					for(size_t j = 0; j < upto; j++) {
						if(strcmp(ref_item(&p->wwsfs[o], k, j, &m), s) == 0) {
							*out = (wic_dup_t){w, (wic_dup_kind_t)k, e, o};
							return 1;
						}
					}
				}
			}
		}
	}
	return 0;
}

static void test_first_duplicate_matches_scan(void **state)
{
	(void)state;
	static const char *const pool[] = {"a", "b", "c", "d", "e", "f", "g"};
	enum { W = 12, L = 3 };
	wic_wwsf_t w[W];
	wic_range_t ranges[W][L];
	char *origins[W][L], *issuers[W][L];
	size_t dups = 0;

	for(uint32_t seed = 1; seed <= 3000; seed++) {
		rng = seed * 2246822519u;
		wic_prov_t p = {0};
		memset(w, 0, sizeof(w));
		memset(ranges, 0, sizeof(ranges));
		p.wwsfs = w;
		p.n_wwsfs = 1 + rnd(W);
		/* small pools: duplicates are frequent, but not everywhere */
		uint32_t spread = 2 + rnd(5);
		for(size_t i = 0; i < p.n_wwsfs; i++) {
			w[i].id = (char *)pool[rnd(spread + 2) % 7];
			w[i].n_origins = 1 + rnd(L);
			w[i].n_issuers = 1 + rnd(L);
			w[i].n_ranges = 1 + rnd(L);
			w[i].origins = origins[i];
			w[i].issuers = issuers[i];
			w[i].ranges = ranges[i];
			for(size_t j = 0; j < L; j++) {
				origins[i][j] = (char *)pool[rnd(spread * 3) % 7];
				issuers[i][j] = (char *)pool[rnd(spread * 3) % 7];
				ranges[i][j].wildcard = (char *)pool[rnd(spread * 3) % 7];
				ranges[i][j].distinct_pui = (char *)pool[rnd(spread * 3) % 7];
			}
		}
		for(size_t upto = 0; upto <= p.n_wwsfs; upto++) {
			wic_prov_t part = p;
			part.n_wwsfs = upto;
			wic_dup_t a = {0}, b = {0};
			int ra = wic_index_first_duplicate(&p, upto, &a);
			int rb = ref_first_duplicate(&part, &b);
			assert_int_equal(ra, rb);
			if(ra == 1) {
				dups++;
				assert_int_equal(a.wwsf, b.wwsf);
				assert_int_equal(a.kind, b.kind);
				assert_int_equal(a.item, b.item);
				assert_int_equal(a.owner, b.owner);
			}
		}
	}
	assert_true(dups > 1000);
}

static void test_hand_built_provisioning_scans(void **state)
{
	(void)state;
	wic_wwsf_t w = {0};
	char *origins[] = {"https://x.lab"};
	wic_prov_t p = {0};

	w.id = "x";
	w.origins = origins;
	w.n_origins = 1;
	p.wwsfs = &w;
	p.n_wwsfs = 1;
	/* no index: the lookups scan, as before */
	assert_ptr_equal(wic_prov_wwsf_by_origin(&p, "https://X.lab", 13), &w);
	assert_null(wic_index_build(NULL));
	wic_index_t *ix = wic_index_build(&p);
	assert_non_null(ix);
	assert_ptr_equal(wic_index_wwsf_by_origin(ix, "https://X.lab", 13), &w);
	assert_ptr_equal(wic_index_wwsf_by_id(ix, "x", 1), &w);
	assert_null(wic_index_range_of(ix, NULL, "sip:a@b", 7, NULL));
	wic_index_free(ix);
	wic_index_free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
			cmocka_unit_test(test_known_cases),
			cmocka_unit_test(test_random_equivalence),
			cmocka_unit_test(test_first_duplicate_matches_scan),
			cmocka_unit_test(test_hand_built_provisioning_scans),
	};
	return cmocka_run_group_tests(tests, setup_dir, teardown_dir);
}
