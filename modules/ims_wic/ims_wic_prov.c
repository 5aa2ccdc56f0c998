/*
 * SPDX-License-Identifier: GPL-2.0-or-later
 * Copyright (C) 2026 the ims_wic authors
 *
 * ims_wic - the provisioning every process runs: one snapshot of bytes in
 * shared memory, parsed by each process into its own copy.
 *
 * A reload reads the file and its key files from disk once (wic_bundle),
 * validates them by parsing, registers or de-registers the ranges that
 * changed, and publishes the bytes with their SHA-256 as a new generation.
 * Every other process notices the generation at its next use and parses
 * exactly those bytes, never the path, so that all processes run one
 * provisioning and the token cache can be keyed by its content. Only the
 * reloading process builds every key (validation) and then drops its copy;
 * the others build a WWSF's keys at its first token (WIC_PROV_DEFER_KEYS),
 * so that a process holds OpenSSL objects only for WWSFs it serves.
 *
 * A process that cannot parse a published snapshot (out of memory) serves
 * nothing from its old copy: wic_prov_current() is NULL until it can, and
 * callers refuse (fail closed). It retries at most once a second.
 *
 * Each process builds its keys in an OpenSSL library context of its own:
 * the tls module gives OpenSSL shared memory, so objects made before fork
 * would be shared by every process and freed by one under the others. A
 * replaced copy is freed at the next point where no request can hold it:
 * before a SIP message's script, at a timer tick, at a reload.
 */
#include <stdatomic.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>

#include "../../core/dprint.h"
#include "../../core/locking.h"
#include "../../core/mem/shm_mem.h"
#include "../../core/mem/pkg.h"
#include "../../core/script_cb.h"
#include "../../core/ip_addr.h"

#include "ims_wic_mod.h"

typedef struct prov_snapshot
{
	unsigned generation;
	unsigned users; /* processes parsing it now */
	int replaced;	/* a newer one is current: last user frees it */
	unsigned char digest[WIC_BUNDLE_DIGEST_LEN];
	size_t size;
	unsigned char flat[]; /* wic_bundle_flatten() */
} prov_snapshot_t;

/* shared */
static gen_lock_t *snapshot_lock; /* current, users and replaced */
static gen_lock_t *reload_lock;	  /* one reload at a time */
static prov_snapshot_t **current;
static atomic_uint *published; /* generation of *current, read unlocked */

/* this process */
static OSSL_LIB_CTX *libctx;
static wic_prov_t *prov; /* NULL: none usable */
static unsigned prov_generation;
static uint64_t prov_id;
static time_t failed_at; /* last parse that failed, 0: none */
static wic_prov_t **retired;
static size_t n_retired;

static OSSL_LIB_CTX *process_libctx(void)
{
	if(libctx == NULL)
		libctx = OSSL_LIB_CTX_new();
	return libctx;
}

static uint64_t id_of(const unsigned char *digest)
{
	uint64_t id;

	memcpy(&id, digest, sizeof(id));
	return id;
}

/* Keeps p until the next quiescent point; freed now when it cannot be
 * kept (no memory), which a caller holding p would not survive, so this
 * happens only at quiescent points themselves. */
static void retire(wic_prov_t *p)
{
	wic_prov_t **grown;

	if(p == NULL)
		return;
	grown = pkg_realloc(retired, (n_retired + 1) * sizeof(*grown));
	if(grown == NULL) {
		LM_ERR("no memory to retire a provisioning copy: leaking it\n");
		return;
	}
	retired = grown;
	retired[n_retired++] = p;
}

void wic_prov_quiesce(void)
{
	size_t i;

	for(i = 0; i < n_retired; i++)
		wic_prov_free(retired[i]);
	if(retired != NULL)
		pkg_free(retired);
	retired = NULL;
	n_retired = 0;
}

static int quiesce_before_script(
		struct sip_msg *msg, unsigned int flags, void *param)
{
	wic_prov_quiesce();
	return 1;
}

static void snapshot_release(prov_snapshot_t *s)
{
	lock_get(snapshot_lock);
	s->users--;
	if(s->replaced && s->users == 0)
		shm_free(s);
	lock_release(snapshot_lock);
}

/* Parses the published snapshot into this process's copy. */
static void adopt(void)
{
	prov_snapshot_t *s;
	wic_bundle_t bytes;
	wic_prov_t *fresh = NULL;
	char err[512] = "no memory for the snapshot's file list";
	int rc = -1;

	lock_get(snapshot_lock);
	s = *current;
	s->users++;
	lock_release(snapshot_lock);
	if(prov != NULL && memcmp(&prov_id, s->digest, sizeof(prov_id)) == 0) {
		prov_generation = s->generation; /* same bytes */
		snapshot_release(s);
		return;
	}
	if(wic_bundle_view(s->flat, s->size, &bytes) == 0 && bytes.n > 0) {
		rc = wic_prov_load(bytes.files[0].name, &bytes, process_libctx(),
				WIC_PROV_DEFER_KEYS, &fresh, err, sizeof(err));
		wic_bundle_clear(&bytes);
	}
	retire(prov);
	prov = fresh;
	prov_generation = s->generation;
	prov_id = id_of(s->digest);
	failed_at = rc == 0 ? 0 : time(NULL);
	if(rc < 0)
		LM_ERR("provisioning generation %u unusable in this process, "
			   "refusing admissions until it is: %s\n",
				s->generation, err);
	else
		LM_DBG("provisioning generation %u in use\n", s->generation);
	snapshot_release(s);
}

const wic_prov_t *wic_prov_current(void)
{
	unsigned gen = atomic_load(published);

	if(gen != prov_generation || (prov == NULL && time(NULL) != failed_at))
		adopt();
	return prov;
}

void wic_prov_refused(struct sip_msg *msg, const char *what)
{
	update_stat(wic_stat_prov_unusable, 1);
	WIC_LOG_REFUSAL("%s from %s refused: the provisioning (generation %u) is "
					"unusable in this process\n",
			what, ip_addr2a(&msg->rcv.src_ip), prov_generation);
}

unsigned wic_prov_generation(void)
{
	return atomic_load(published);
}

uint64_t wic_prov_id(void)
{
	return prov_id;
}

/* The shm block of bytes, not yet published; NULL (with the reason in err)
 * when shared memory cannot take it: a snapshot may take at most half of
 * what is free, so that a huge provisioning cannot starve TLS and SIP. */
static prov_snapshot_t *snapshot_make(
		const wic_bundle_t *bytes, char *err, size_t errlen)
{
	size_t size = wic_bundle_flat_size(bytes);
	unsigned long avail = shm_available();
	prov_snapshot_t *s;

	if(size == 0 || size > avail / 2) {
		snprintf(err, errlen,
				"the provisioning and its key files (%zu bytes) would take "
				"more than half of the free shared memory (%lu bytes)",
				size, avail);
		return NULL;
	}
	s = shm_malloc(sizeof(*s) + size);
	if(s == NULL) {
		snprintf(err, errlen, "no shared memory for the snapshot");
		return NULL;
	}
	memset(s, 0, sizeof(*s));
	s->size = size;
	wic_bundle_flatten(bytes, s->flat, size);
	if(wic_bundle_digest(bytes, s->digest) < 0) {
		snprintf(err, errlen, "cannot compute the provisioning's SHA-256");
		shm_free(s);
		return NULL;
	}
	return s;
}

/* Makes s the current snapshot of every process; returns its generation. */
static unsigned publish(prov_snapshot_t *s)
{
	prov_snapshot_t *old;

	lock_get(snapshot_lock);
	old = *current;
	s->generation = old ? old->generation + 1 : 1;
	*current = s;
	if(old != NULL && old->users == 0)
		shm_free(old);
	else if(old != NULL)
		old->replaced = 1;
	atomic_store(published, s->generation);
	lock_release(snapshot_lock);
	return s->generation;
}

/* Reads and validates the file (every key built once), makes its snapshot,
 * syncs the ranges, publishes: a step that fails leaves everything as it
 * was, the range table included (it is synced only once nothing else can
 * fail). The validated copy is dropped: this process, like every other,
 * parses the snapshot with its keys deferred when it needs it. */
static int load_and_publish(OSSL_LIB_CTX *ctx, char *err, size_t errlen)
{
	wic_bundle_t bytes = {0};
	wic_prov_t *fresh = NULL;
	prov_snapshot_t *s = NULL;

	if(wic_prov_load(
			   wic_provisioning_path.s, &bytes, ctx, 0, &fresh, err, errlen)
			== 0)
		s = snapshot_make(&bytes, err, errlen);
	wic_bundle_clear(&bytes);
	if(s != NULL && wic_range_sync(fresh) < 0) {
		snprintf(err, errlen, "no shared memory for the range table");
		shm_free(s);
		s = NULL;
	}
	wic_prov_free(fresh);
	if(s == NULL)
		return -1;
	publish(s);
	return 0;
}

int wic_prov_reload(char *err, size_t errlen)
{
	int rc;

	wic_prov_quiesce();
	lock_get(reload_lock);
	rc = load_and_publish(process_libctx(), err, errlen);
	lock_release(reload_lock);
	if(rc < 0) {
		LM_ERR("reload refused, the previous provisioning stays: %s\n", err);
		return -1;
	}
	LM_INFO("provisioning reloaded from %.*s (generation %u)\n",
			wic_provisioning_path.len, wic_provisioning_path.s,
			wic_prov_generation());
	return 0;
}

int wic_prov_init(void)
{
	OSSL_LIB_CTX *ctx;
	char err[512];
	int rc;

	snapshot_lock = lock_alloc();
	reload_lock = lock_alloc();
	current = shm_malloc(sizeof(*current));
	published = shm_malloc(sizeof(*published));
	if(snapshot_lock == NULL || reload_lock == NULL || current == NULL
			|| published == NULL || lock_init(snapshot_lock) == NULL
			|| lock_init(reload_lock) == NULL) {
		SHM_MEM_ERROR;
		return -1;
	}
	*current = NULL;
	atomic_init(published, 0);
	/* validated here, then dropped: each child parses its own copy in
	 * its own OpenSSL context, nothing of OpenSSL made here survives */
	ctx = OSSL_LIB_CTX_new();
	if(ctx == NULL) {
		LM_ERR("cannot create an OpenSSL library context\n");
		return -1;
	}
	rc = load_and_publish(ctx, err, sizeof(err));
	OSSL_LIB_CTX_free(ctx);
	if(rc < 0) {
		LM_ERR("cannot load the provisioning: %s\n", err);
		return -1;
	}
	if(register_script_cb(quiesce_before_script,
			   PRE_SCRIPT_CB | REQUEST_CB | ONREPLY_CB, 0)
			< 0) {
		LM_ERR("cannot register the pre-script callback\n");
		return -1;
	}
	return 0;
}

void wic_prov_destroy(void)
{
	wic_prov_quiesce();
	wic_prov_free(prov);
	prov = NULL;
	if(current != NULL && *current != NULL)
		shm_free(*current);
	if(current != NULL)
		shm_free(current);
	if(published != NULL)
		shm_free((void *)published);
	current = NULL;
	published = NULL;
	if(snapshot_lock != NULL) {
		lock_destroy(snapshot_lock);
		lock_dealloc(snapshot_lock);
	}
	if(reload_lock != NULL) {
		lock_destroy(reload_lock);
		lock_dealloc(reload_lock);
	}
	snapshot_lock = reload_lock = NULL;
}
