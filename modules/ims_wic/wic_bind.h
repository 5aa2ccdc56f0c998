/*
 * SPDX-License-Identifier: GPL-2.0-or-later
 * Copyright (C) 2026 the ims_wic authors
 *
 * ims_wic - the local registrar's binding table: IMPU -> contacts, each
 * tied to the WebSocket connection it registered on. Lives in shared
 * memory through wic_mem_ops_t; every operation takes the lock of the slot
 * it touches through wic_lock_ops_t and never holds two at once.
 *
 * IMPUs are keyed by their normal form (wic_uri_normalize): every function
 * taking an impu accepts any spelling of it, reports the normal form to
 * visitors and events, and treats a string that is no identity as an IMPU
 * that is not there (save: WIC_SAVE_NOMEM, nothing stored).
 */
#ifndef WIC_BIND_H
#define WIC_BIND_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>
#include "wic_mem.h"

typedef struct wic_btable wic_btable_t;

/* What the registrar stores per contact. Strings are copied on save. */
typedef struct wic_contact
{
	const char *uri;		/* Contact URI */
	const char *instance;	/* +sip.instance, "" when absent */
	unsigned reg_id;		/* 0 when absent */
	int conn_id;			/* WS/TCP connection id ($conid) */
	const char *socket;		/* local socket, "tls:127.0.0.1:8443" */
	const char *received;	/* source, "sip:1.2.3.4:5678;transport=ws" */
	const char *user_agent; /* "" when absent */
	const char *call_id;
	unsigned cseq;
	time_t expires;	  /* absolute */
	time_t token_exp; /* absolute */
	const char *wwsf; /* WWSF id */
	/* distinct PUI of the range admission chose, which the binding counts
	 * toward; "" (or NULL on save) for none */
	const char *range;
} wic_contact_t;

typedef enum wic_save_result
{
	WIC_SAVE_CREATED, /* new contact (and maybe new IMPU) */
	WIC_SAVE_REFRESHED,
	WIC_SAVE_OUT_OF_ORDER, /* same Call-ID, CSeq not higher: nothing changed */
	WIC_SAVE_NOMEM,
	WIC_SAVE_LIMIT, /* max contacts per IMPU reached */
} wic_save_result_t;

/* Events for the caller's counters (range WIC count, statistics): the
 * first contact of an IMPU added, its last one removed, with the range
 * that contact was saved with. */
typedef enum
{
	WIC_EV_IMPU_ADDED,
	WIC_EV_IMPU_REMOVED
} wic_bind_event_t;
typedef void (*wic_bind_event_f)(
		void *ctx, wic_bind_event_t ev, const char *impu, const char *range);
/* Visitor of contacts (lookup, foreach, remove_conn_cb). */
typedef void (*wic_contact_visit_f)(
		void *ctx, const char *impu, const wic_contact_t *c);

/* slots: hash size (rounded to a power of two); lock ops index 0..slots-1
 * for the IMPU table and slots..2*slots-1 for the connection index. */
wic_btable_t *wic_btable_create(unsigned slots, unsigned max_contacts,
		const wic_mem_ops_t *mem, const wic_lock_ops_t *locks,
		wic_bind_event_f on_event, void *event_ctx);
void wic_btable_destroy(wic_btable_t *t);
/* Size of the lock set wic_btable_create(slots, ...) indexes: 2 * slots
 * rounded up to a power of two (at most 2^24). */
unsigned wic_btable_locks_needed(unsigned slots);

/* Insert or refresh the contact of impu identified by (instance, reg_id)
 * when instance is set, else by uri. RFC 3261 10.3: a request with the
 * Call-ID of the stored contact and a CSeq not higher is out of order. */
wic_save_result_t wic_btable_save(
		wic_btable_t *t, const char *impu, const wic_contact_t *c);
/* Same with a per-call contact limit (e.g. per WWSF); 0 = the table's. */
wic_save_result_t wic_btable_save_limit(wic_btable_t *t, const char *impu,
		const wic_contact_t *c, unsigned max_contacts);

/* Expires: 0 for one contact (matched as in save); returns number removed,
 * or -1 when out of order. */
int wic_btable_remove(
		wic_btable_t *t, const char *impu, const wic_contact_t *c);
/* A de-registration that carries no credential (RFC 3261 10.2.2 from a
 * client whose stack sends none): allowed only when it removes nothing but
 * the sender's own contacts. The n contacts of c (matched as in save), or
 * every contact of impu when n is 0 (Contact: *), must each exist, be on
 * conn_id and have been registered with call_id and a CSeq lower than
 * cseq; then they are removed. Returns the number removed, or -1 (nothing
 * changed) when any condition fails. */
int wic_btable_remove_own(wic_btable_t *t, const char *impu, int conn_id,
		const char *call_id, unsigned cseq, const wic_contact_t *c, size_t n);
/* Contact: * : every contact of impu; returns number removed. */
int wic_btable_remove_all(wic_btable_t *t, const char *impu);
/* Connection closed: every contact on conn_id, and the connection's
 * WWSF mark. Returns number of contacts removed. */
int wic_btable_remove_conn(wic_btable_t *t, int conn_id);
/* Same, and removed(ctx, impu, contact) for each contact removed, called
 * without any lock held (WIC_EV_IMPU_REMOVED still fires as usual). */
int wic_btable_remove_conn_cb(
		wic_btable_t *t, int conn_id, wic_contact_visit_f removed, void *ctx);
/* The safety net of the connection index: every connection in the index
 * (holding contacts, or only the WWSF mark of its upgrade) for which
 * alive(ctx, conn_id) is false is removed as by wic_btable_remove_conn.
 * The index is read a slot at a time (at most 64 ids per lock hold);
 * alive() and the removals run with no lock held. Returns the number of
 * contacts removed; *conns_dropped (optional) gets the number of
 * connections taken out of the index. */
typedef bool (*wic_conn_alive_f)(void *ctx, int conn_id);
int wic_btable_sweep(wic_btable_t *t, wic_conn_alive_f alive, void *ctx,
		unsigned *conns_dropped);
/* Timer: contacts whose expires <= now or token_exp <= now (token_exp 0:
 * no token bound). */
int wic_btable_expire(wic_btable_t *t, time_t now);

/* Visit each live contact of impu (under the slot lock: copy, do not keep
 * pointers). Returns the number visited. */
int wic_btable_lookup(wic_btable_t *t, const char *impu, time_t now,
		wic_contact_visit_f visit, void *ctx);
/* Every contact, for RPC listings. */
int wic_btable_foreach(wic_btable_t *t, wic_contact_visit_f visit, void *ctx);
/* A page of that listing: the contacts from the offset-th on, in the order
 * of wic_btable_foreach, until visit returns nonzero (the contact it
 * returned nonzero for counts as visited). IMPUs wholly before offset are
 * stepped over by their contact count, one slot lock at a time. A table
 * that changes between two pages may shift a contact across the page
 * boundary (listed twice or not at all), as any offset listing. Returns
 * the number visited. */
typedef int (*wic_contact_page_f)(
		void *ctx, const char *impu, const wic_contact_t *c);
int wic_btable_foreach_from(
		wic_btable_t *t, unsigned offset, wic_contact_page_f visit, void *ctx);

/* The connection index: which WWSF opened conn_id (set at the WebSocket
 * handshake) and which IMPUs are registered on it. */
int wic_btable_conn_set_wwsf(wic_btable_t *t, int conn_id, const char *wwsf);
/* Copies the WWSF id into buf; returns 0, or -1 when unknown. */
int wic_btable_conn_wwsf(wic_btable_t *t, int conn_id, char *buf, size_t len);
/* True when impu has a contact on conn_id (an expired one counts until the
 * expiry timer removes it). */
bool wic_btable_conn_has_impu(wic_btable_t *t, int conn_id, const char *impu);
/* Copies the first registered IMPU of conn_id into buf; 0 or -1 (none). */
int wic_btable_conn_default_impu(
		wic_btable_t *t, int conn_id, char *buf, size_t len);

unsigned wic_btable_contacts(wic_btable_t *t);
unsigned wic_btable_impus(wic_btable_t *t);
/* Connections in the index (WWSF marked or holding contacts). */
unsigned wic_btable_conns(wic_btable_t *t);

#endif
