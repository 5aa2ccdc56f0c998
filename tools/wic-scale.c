/*
 * SPDX-License-Identifier: GPL-2.0-or-later
 * Copyright (C) 2026 the ims_wic authors
 *
 * wic-scale - provisionings of many WWSFs for the scale phase of
 * bench/run.sh, and the in-process cost of the provisioning lookups.
 *
 *   wic-scale gen --dir D --wwsfs 1,100,10000
 *       generates 2 EC P-256 keys per WWSF of the largest count once
 *       (D/keys/wNNNNN-a.pem, -b.pem, public), and for each count N the
 *       provisioning D/prov-N.json (WWSFs w00000 .. wN-1, each with two
 *       origins, one issuer, its two keys and one range
 *       sip:demo!.*!@wNNNNN.wwsf.lab) and the private key of its last WWSF
 *       (D/last-N.key, kid wNNNNN-a), whose tokens a linear scan would
 *       find last.
 *
 *   wic-scale lookup --prov D/prov-N.json [--seconds S]
 *       loads the file (timed), then times, for the last WWSF: the Origin
 *       lookup, the issuer lookup, the range of an identity (admission:
 *       within the WWSF; terminating: any WWSF) in range and outside every
 *       range, and the range state's lookup by distinct PUI (bind events).
 *       The same lookups without the index (the linear scans) are timed
 *       too. One JSON object on stdout.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <getopt.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/pem.h>

#include "wic_index.h"
#include "wic_prov.h"
#include "wic_rstate.h"

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void die(const char *what)
{
	fprintf(stderr, "wic-scale: %s: %s\n", what, errno ? strerror(errno) : "failed");
	exit(1);
}

/* ---------------------------------------------------------------- gen */

static void write_key(EVP_PKEY *k, const char *path, int priv)
{
	FILE *f = fopen(path, "w");
	if (!f)
		die(path);
	if (!(priv ? PEM_write_PrivateKey(f, k, NULL, NULL, 0, NULL, NULL)
			: PEM_write_PUBKEY(f, k)))
		die(path);
	if (fclose(f) != 0)
		die(path);
}

static void write_prov(const char *dir, unsigned n)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/prov-%u.json", dir, n);
	f = fopen(path, "w");
	if (!f)
		die(path);
	fprintf(f, "{\n \"audience\": \"epcscf.lab\",\n \"wwsfs\": [\n");
	for (unsigned i = 0; i < n; i++) {
		fprintf(f,
			"  {\"id\": \"w%05u\",\n"
			"   \"origins\": [\"https://w%05u.wwsf.lab\", \"http://w%05u.wwsf.lab:8000\"],\n"
			"   \"issuers\": [\"https://w%05u.wwsf.lab\"],\n"
			"   \"keys\": [{\"pem\": \"keys/w%05u-a.pem\", \"kid\": \"w%05u-a\", \"algs\": [\"ES256\"]},\n"
			"            {\"pem\": \"keys/w%05u-b.pem\", \"kid\": \"w%05u-b\", \"algs\": [\"ES256\"]}],\n"
			"   \"ranges\": [{\"wildcard\": \"sip:demo!.*!@w%05u.wwsf.lab\",\n"
			"               \"distinct_pui\": \"sip:demo@w%05u.wwsf.lab\",\n"
			"               \"impi\": \"demo@w%05u.wwsf.lab\", \"trigger\": \"startup\",\n"
			"               \"linger\": 60, \"expires\": 3600}],\n"
			"   \"limits\": {\"max_contacts_per_impu\": 5, \"max_expires\": 3600}}%s\n",
			i, i, i, i, i, i, i, i, i, i, i, i + 1 < n ? "," : "");
	}
	fprintf(f, " ]\n}\n");
	if (fclose(f) != 0)
		die(path);
}

static int cmd_gen(int argc, char **argv)
{
	static const struct option lo[] = {{"dir", 1, 0, 'd'}, {"wwsfs", 1, 0, 'w'},
		{0, 0, 0, 0}};
	const char *dir = NULL;
	char *list = NULL, path[4096];
	unsigned counts[16], nc = 0, max = 0;
	int ch;

	while ((ch = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		if (ch == 'd') dir = optarg;
		else if (ch == 'w') list = optarg;
		else return 2;
	}
	if (!dir || !list)
		return 2;
	for (char *t = strtok(list, ","); t && nc < 16; t = strtok(NULL, ",")) {
		counts[nc] = (unsigned)strtoul(t, NULL, 10);
		if (counts[nc] == 0 || counts[nc] > 99999)
			return 2;
		if (counts[nc] > max)
			max = counts[nc];
		nc++;
	}
	snprintf(path, sizeof(path), "%s/keys", dir);
	if (mkdir(path, 0755) < 0 && errno != EEXIST)
		die(path);
	double t0 = now_s();
	for (unsigned i = 0; i < max; i++) {
		for (int k = 0; k < 2; k++) {
			EVP_PKEY *key = EVP_EC_gen("P-256");
			if (!key)
				die("EVP_EC_gen");
			snprintf(path, sizeof(path), "%s/keys/w%05u-%c.pem", dir, i, "ab"[k]);
			write_key(key, path, 0);
			for (unsigned c = 0; c < nc && k == 0; c++) {
				if (counts[c] - 1 != i)
					continue;
				snprintf(path, sizeof(path), "%s/last-%u.key", dir, counts[c]);
				write_key(key, path, 1);
			}
			EVP_PKEY_free(key);
		}
	}
	double t1 = now_s();
	for (unsigned c = 0; c < nc; c++)
		write_prov(dir, counts[c]);
	printf("{\"keys\":%u,\"keygen_s\":%.3f,\"files_s\":%.3f}\n", 2 * max, t1 - t0,
		now_s() - t1);
	return 0;
}

/* ------------------------------------------------------------- lookup */

static volatile size_t sink;

/* ns per call of fn over at least secs seconds */
#define TIME_NS(secs, expr)                                                   \
	({                                                                        \
		unsigned long _n = 0, _batch = 256;                                   \
		double _t0 = now_s(), _t;                                             \
		do {                                                                  \
			for (unsigned long _i = 0; _i < _batch; _i++)                     \
				sink += (size_t)(expr);                                       \
			_n += _batch;                                                     \
			_t = now_s();                                                     \
		} while (_t - _t0 < (secs));                                          \
		(_t - _t0) * 1e9 / (double)_n;                                        \
	})

static void *m_alloc(size_t n) { return malloc(n); }
static void m_free(void *p) { free(p); }

static size_t heap_used(void)
{
	struct mallinfo2 mi = mallinfo2();
	return mi.uordblks + mi.hblkhd;
}

static int cmd_lookup(int argc, char **argv)
{
	static const struct option lo[] = {{"prov", 1, 0, 'p'},
		{"seconds", 1, 0, 's'}, {0, 0, 0, 0}};
	const char *path = NULL;
	double secs = 0.3;
	char err[512], origin[128], iss[128], impu[128], out404[128], pui[128];
	wic_prov_t *p = NULL;
	int ch;

	while ((ch = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		if (ch == 'p') path = optarg;
		else if (ch == 's') secs = atof(optarg);
		else return 2;
	}
	if (!path)
		return 2;
	size_t h0 = heap_used();
	double t0 = now_s();
	if (wic_prov_load_file(path, &p, err, sizeof(err)) < 0) {
		fprintf(stderr, "wic-scale: %s\n", err);
		return 1;
	}
	double load_s = now_s() - t0;
	size_t prov_bytes = heap_used() - h0;
	t0 = now_s();
	wic_index_t *again = wic_index_build(p);
	double index_s = now_s() - t0;
	wic_index_free(again);

	const wic_wwsf_t *last = &p->wwsfs[p->n_wwsfs - 1];
	snprintf(origin, sizeof(origin), "%s", last->origins[0]);
	snprintf(iss, sizeof(iss), "%s", last->issuers[0]);
	snprintf(impu, sizeof(impu), "sip:demo123456@%s", strchr(last->ranges[0].distinct_pui, '@') + 1);
	snprintf(out404, sizeof(out404), "sip:demo123456@elsewhere.lab");
	snprintf(pui, sizeof(pui), "%s", last->ranges[0].distinct_pui);
	size_t lo_ = strlen(origin), li = strlen(iss), lm = strlen(impu), l4 = strlen(out404);
	if (wic_prov_range_of(p, last, impu, lm, NULL) != &last->ranges[0]
			|| wic_prov_wwsf_by_origin(p, origin, lo_) != last)
		die("lookup self-check");

	/* the range state of the file's ranges, in malloc'ed memory */
	wic_mem_ops_t mem = {m_alloc, m_free};
	wic_rstate_t *rs = wic_rstate_create(&mem, NULL, NULL, NULL);
	size_t nr = 0, k = 0;
	for (size_t w = 0; w < p->n_wwsfs; w++)
		nr += p->wwsfs[w].n_ranges;
	wic_rs_config_t *cfg = calloc(nr, sizeof(*cfg));
	for (size_t w = 0; w < p->n_wwsfs; w++)
		for (size_t r = 0; r < p->wwsfs[w].n_ranges; r++, k++) {
			const wic_range_t *rg = &p->wwsfs[w].ranges[r];
			cfg[k] = (wic_rs_config_t){rg->distinct_pui, rg->wildcard, rg->triggers,
				rg->expires, rg->linger, rg->impi, "wwsf.lab"};
		}
	t0 = now_s();
	if (!rs || wic_rstate_sync(rs, cfg, nr, time(NULL)) < 0)
		die("range state");
	double sync_s = now_s() - t0;
	time_t now = time(NULL);
	wic_rs_view_t view;

	wic_prov_t lin = *p;
	lin.index = NULL;
	printf("{\"wwsfs\":%zu,\"ranges\":%zu,\"load_s\":%.4f,\"index_build_s\":%.4f,"
		"\"rstate_sync_s\":%.4f,\"prov_heap_bytes\":%zu,\"index_bytes\":%zu,\"ns\":{",
		p->n_wwsfs, nr, load_s, index_s, sync_s, prov_bytes, wic_index_bytes(p->index));
	printf("\"origin\":%.1f,", TIME_NS(secs, wic_prov_wwsf_by_origin(p, origin, lo_)));
	printf("\"issuer\":%.1f,", TIME_NS(secs, wic_prov_wwsf_by_issuer(p, iss, li)));
	printf("\"range_admission\":%.1f,", TIME_NS(secs, wic_prov_range_of(p, last, impu, lm, NULL)));
	printf("\"range_480\":%.1f,", TIME_NS(secs, wic_prov_range_of(p, NULL, impu, lm, NULL)));
	printf("\"range_404\":%.1f,", TIME_NS(secs, wic_prov_range_of(p, NULL, out404, l4, NULL)));
	printf("\"rstate_bind_event\":%.1f,", TIME_NS(secs,
		wic_rstate_wic_added(rs, pui, now) + wic_rstate_wic_removed(rs, pui, now)) / 2);
	printf("\"rstate_view\":%.1f},\"ns_linear\":{", TIME_NS(secs,
		wic_rstate_view(rs, pui, now, &view)));
	printf("\"origin\":%.1f,", TIME_NS(secs, wic_prov_wwsf_by_origin(&lin, origin, lo_)));
	printf("\"issuer\":%.1f,", TIME_NS(secs, wic_prov_wwsf_by_issuer(&lin, iss, li)));
	printf("\"range_480\":%.1f,", TIME_NS(secs, wic_prov_range_of(&lin, NULL, impu, lm, NULL)));
	printf("\"range_404\":%.1f}}\n", TIME_NS(secs, wic_prov_range_of(&lin, NULL, out404, l4, NULL)));
	free(cfg);
	wic_rstate_destroy(rs);
	wic_prov_free(p);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc >= 2 && strcmp(argv[1], "gen") == 0)
		return cmd_gen(argc - 1, argv + 1);
	if (argc >= 2 && strcmp(argv[1], "lookup") == 0)
		return cmd_lookup(argc - 1, argv + 1);
	fprintf(stderr, "usage: wic-scale gen --dir D --wwsfs 1,100,10000\n"
		"       wic-scale lookup --prov D/prov-N.json [--seconds S]\n");
	return 2;
}
