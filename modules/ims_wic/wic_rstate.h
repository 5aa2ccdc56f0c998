/*
 * SPDX-License-Identifier: GPL-2.0-or-later
 * Copyright (C) 2026 the ims_wic authors
 *
 * ims_wic - registration state of each wildcarded PUI range with the IMS
 * Core (REQUIREMENTS.md section 1). Pure state machine: it decides what is
 * due and keeps the registration's Call-ID, From tag and CSeq (RFC 3261
 * 10.2); kamailio.cfg composes the REGISTER, the module sends it through tm
 * and reports the reply. Lives in shared memory through wic_mem_ops_t,
 * guarded by lock 0.
 */
#ifndef WIC_RSTATE_H
#define WIC_RSTATE_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>
#include "wic_mem.h"

typedef enum wic_rs_state
{
	WIC_RS_DOWN,
	WIC_RS_REGISTERING,
	WIC_RS_UP,
	WIC_RS_DEREGISTERING,
} wic_rs_state_t;

const char *wic_rs_state_name(wic_rs_state_t s);

/* Everything a (de-)registration needs is copied into the state, so that a
 * range removed from the provisioning can still be de-registered. */
typedef struct wic_rs_config
{
	const char *distinct_pui; /* key of the range */
	const char *wildcard;
	unsigned triggers; /* enum wic_trigger bits (wic_prov.h) */
	unsigned expires;  /* asked for */
	unsigned linger;
	const char *impi;  /* NULL: "" */
	const char *realm; /* home domain, Request-URI and digest realm */
} wic_rs_config_t;

typedef struct wic_rs_timing
{
	unsigned backoff_min; /* s, first retry delay, default 2 */
	unsigned backoff_max; /* s, cap, default 300 */
	unsigned
			refresh_margin; /* s, refresh at min(granted/2, granted-margin), default 600 */
	unsigned
			reply_timeout; /* s, REGISTERING longer than this counts as timeout */
	unsigned dereg_limit; /* s, a removed range's de-registration is retried
							 this long, default 300 */
} wic_rs_timing_t;

typedef struct wic_rstate wic_rstate_t;

wic_rstate_t *wic_rstate_create(const wic_mem_ops_t *mem,
		const wic_lock_ops_t *locks, const wic_rs_timing_t *timing,
		unsigned (*random_fn)(void));
void wic_rstate_destroy(wic_rstate_t *rs);

/* Make the set of ranges equal to cfg (after load or reload): ranges kept
 * keep their state, new ones start DOWN, removed ones are marked for
 * de-registration and stay until the IMS Core answered it (or
 * dereg_limit passed, or the registration lapsed); run() drops them.
 * Returns 0 or -1 (no memory). */
int wic_rstate_sync(
		wic_rstate_t *rs, const wic_rs_config_t *cfg, size_t n, time_t now);

/* Room for the Call-ID and From tag the state draws. */
#define WIC_RS_CALLID_MAX 64
#define WIC_RS_TAG_MAX 24

/* What kamailio.cfg must send now. */
typedef enum
{
	WIC_RS_SEND_REGISTER,
	WIC_RS_SEND_DEREGISTER
} wic_rs_action_t;
/* One REGISTER to send; the strings stay valid during the call only.
 * One registration (RFC 3261 10.2) keeps its Call-ID and From tag across
 * its refreshes and its de-registration, with cseq one higher each time;
 * a range that went down (de-registered, failed, lapsed) draws new ones. */
typedef struct wic_rs_due
{
	const char *distinct_pui;
	const char *wildcard;
	const char *impi;
	const char *realm;
	wic_rs_action_t action;
	unsigned expires; /* 0 for a de-registration */
	const char *call_id;
	const char *from_tag;
	unsigned cseq;
} wic_rs_due_t;
/* A removed range left the table: last_code is the IMS Core's answer to
 * its de-registration (2xx: done), why says otherwise ("" when done). */
typedef struct wic_rs_dropped
{
	const char *distinct_pui;
	const char *wildcard;
	int last_code;
	const char *why;
} wic_rs_dropped_t;
typedef struct wic_rs_hooks
{
	void (*due)(void *ctx, const wic_rs_due_t *d);
	void (*dropped)(void *ctx, const wic_rs_dropped_t *d); /* may be NULL */
} wic_rs_hooks_t;
/* Calls hooks->due() for every range due at now and moves it to
 * REGISTERING or DEREGISTERING; ranges stuck waiting for a reply past
 * reply_timeout are treated as timed out first. A refresh keeps an UP range
 * UP (it stays registered until its expiry, even when the refresh fails).
 * Removed ranges with nothing left to send are dropped and reported to
 * hooks->dropped(). Both run without the lock. hooks may be NULL. Returns
 * the number of actions. */
int wic_rstate_run(
		wic_rstate_t *rs, time_t now, const wic_rs_hooks_t *hooks, void *ctx);

/* The reply to a REGISTER of a range. */
typedef struct wic_rs_reply
{
	/* the request answered (from wic_rs_due_t); call_id NULL: whichever
	 * is in flight */
	const char *call_id;
	unsigned cseq;
	int code;		  /* final code; 0 = timeout, or could not be sent */
	unsigned granted; /* expiry granted (0 with a 2xx to a de-registration) */
	/* header values as received, whole; NULL or "" when absent */
	const char *service_route;
	const char *pau;
	/* non-NULL: a 2xx the module could not use (why), a failure */
	const char *unusable;
} wic_rs_reply_t;
/* 0 taken; -1 unknown range, or not the answer to its request in flight
 * (another Call-ID or CSeq, or answered or timed out already). A 2xx whose
 * Service-Route or P-Associated-URI cannot be stored whole (no memory)
 * counts as a failure, with the reason in last_error: nothing is cut. */
int wic_rstate_on_reply_to(wic_rstate_t *rs, const char *distinct_pui,
		const wic_rs_reply_t *reply, time_t now);
/* The same for the request in flight, whichever it is. */
int wic_rstate_on_reply(wic_rstate_t *rs, const char *distinct_pui, int code,
		unsigned granted, const char *service_route, const char *pau,
		time_t now);

/* A WIC of the range registered (first contact of an IMPU) or left.
 * on-demand ranges become due on the first; on-demand/token ranges are
 * de-registered linger s after the count reaches 0. */
int wic_rstate_wic_added(
		wic_rstate_t *rs, const char *distinct_pui, time_t now);
int wic_rstate_wic_removed(
		wic_rstate_t *rs, const char *distinct_pui, time_t now);
/* A WIC of an on-demand/token range is waiting (answered 503 + Retry-After)
 * while the range is not UP: keep the range wanted for linger +
 * reply_timeout s so that it registers and the WIC can come back. */
int wic_rstate_demand(wic_rstate_t *rs, const char *distinct_pui, time_t now);

/* WIC counts re-derived from the binding table, so that add/remove events
 * that arrived out of order (or a binding counted toward a range it no
 * longer belongs to) heal. Built by the caller without the range lock
 * (the binding table has its own locks: never hold both), then applied.
 * The tally lives in mem (per process memory is fine). */
typedef struct wic_rs_tally wic_rs_tally_t;
wic_rs_tally_t *wic_rs_tally_create(const wic_mem_ops_t *mem, unsigned slots);
void wic_rs_tally_destroy(wic_rs_tally_t *t);
/* One IMPU with a binding counted toward range (its distinct PUI). An
 * IMPU counts once per range; calls for one IMPU must come together (as a
 * walk of the binding table gives them). 0, or -1 (no memory: the tally
 * is then unusable and apply refuses it). */
int wic_rs_tally_add(wic_rs_tally_t *t, const char *impu, const char *range);
/* Sets every range's WIC count to the tally (0 for ranges it does not
 * name), with the same effects as the events (linger when a count drops
 * to 0, cancelled when it rises). Returns how many counts changed, or -1. */
int wic_rstate_apply_tally(
		wic_rstate_t *rs, const wic_rs_tally_t *t, time_t now);

/* Force a (re-)registration or de-registration now (RPC). 0 or -1 unknown.
 * REGISTER skips the back-off and holds the range up until its WICs leave;
 * DEREGISTER keeps it down (even with WICs) until forced up again. */
int wic_rstate_force(wic_rstate_t *rs, const char *distinct_pui,
		wic_rs_action_t action, time_t now);

/* Snapshot of one range, for admission (503 + Retry-After) and RPC. */
typedef struct wic_rs_view
{
	wic_rs_state_t state;
	time_t expires_at;	/* 0 unless UP */
	time_t next_action; /* refresh or retry time */
	unsigned attempts;	/* failures since last success */
	unsigned wic_count;
	int removed;		/* no longer provisioned: being de-registered */
	time_t dereg_until; /* removed: retries end then; else 0 */
	int last_code;
	char last_error[128];
	unsigned cseq;					 /* of the last REGISTER sent; 0 none */
	char call_id[WIC_RS_CALLID_MAX]; /* "" between registrations */
	/* whole header values of the last 2xx, "" when none: wic_rstate_view()
	 * leaves them NULL (see wic_rstate_lists()); wic_rstate_foreach()
	 * points them at copies valid during the visit */
	const char *service_route;
	const char *pau;
} wic_rs_view_t;
int wic_rstate_view(wic_rstate_t *rs, const char *distinct_pui, time_t now,
		wic_rs_view_t *out);
/* Copies of the range's Service-Route and P-Associated-URI, whole, in
 * memory of mem (the caller releases them); NULL when the range has none.
 * Either pointer may be NULL when not wanted. 0, -1 unknown range, -2 no
 * memory (nothing returned). */
int wic_rstate_lists(wic_rstate_t *rs, const char *distinct_pui,
		const wic_mem_ops_t *mem, char **service_route, char **pau);
/* Seconds a WIC should wait before retrying (Retry-After) while the range
 * is not UP: time to the next attempt, 1..backoff_max; 0 when UP or
 * unknown. */
unsigned wic_rstate_retry_after(
		wic_rstate_t *rs, const char *distinct_pui, time_t now);
typedef void (*wic_rs_visit_f)(void *ctx, const char *distinct_pui,
		const char *wildcard, const wic_rs_view_t *v);
int wic_rstate_foreach(
		wic_rstate_t *rs, time_t now, wic_rs_visit_f visit, void *ctx);

/* P-Associated-URI parsing: the <uri> entries of a header value, in order;
 * wildcarded ones flagged. Returns the count (<= max), -1 on syntax error. */
typedef struct wic_pau_entry
{
	const char *uri; /* points into value */
	size_t len;
	int wildcarded;
} wic_pau_entry_t;
int wic_pau_parse(
		const char *value, size_t len, wic_pau_entry_t *out, size_t max);

#endif
