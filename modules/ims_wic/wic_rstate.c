/*
 * SPDX-License-Identifier: GPL-2.0-or-later
 * Copyright (C) 2026 the ims_wic authors
 *
 * ims_wic - registration state of the PUI ranges (see wic_rstate.h).
 *
 * A range is "wanted" registered when it has the startup trigger, holds
 * WICs, lingers after its last WIC left, was demanded by a waiting WIC or
 * forced by the operator; run() compares wanted with the state and says
 * what to send. A refresh keeps the range UP (it is still registered at
 * the IMS Core) with a request in flight, so WICs are not refused during
 * it; a failed refresh keeps it UP until the granted expiry.
 *
 * One registration keeps its Call-ID and From tag, and raises its CSeq with
 * every REGISTER, refresh and de-registration alike (RFC 3261 10.2); once
 * the range is down the next registration draws new ones.
 *
 * All state is under lock 0; callbacks run after unlocking.
 */
#include "wic_rstate.h"
#include "wic_prov.h"
#include "wic_pui.h"

#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define RS_DEFAULT_BACKOFF_MIN 2
#define RS_DEFAULT_BACKOFF_MAX 300
#define RS_DEFAULT_REPLY_TIMEOUT 32
#define RS_DEFAULT_DEREG_LIMIT 300
#define RS_DEFAULT_EXPIRES 3600
#define RS_MIN_REFRESH 5		/* s: never refresh more often than this */
#define RS_CSEQ_MAX 0x7fffffffu /* RFC 3261 8.1.1.5: less than 2**31 */

typedef struct rs_range
{
	struct rs_range *next;
	struct rs_range *hnext; /* chain of its slot in the PUI hash */
	/* "distinct_pui\0wildcard\0impi\0realm\0", one allocation */
	char *names;
	size_t names_len;
	const char *wildcard; /* into names */
	const char *impi;	  /* into names */
	const char *realm;	  /* into names */
	unsigned triggers;
	unsigned expires;
	unsigned linger;
	wic_rs_state_t state;
	int refreshing; /* UP with a REGISTER in flight */
	int forced;		/* operator asked for it registered */
	int admin_down; /* operator asked for it de-registered */
	int removed;	/* no longer configured: de-register, drop */
	int dereg_wait; /* DEREGISTERING, waiting to retry (nothing in flight) */
	time_t dereg_until; /* removed: de-registration retried until then */
	time_t sent_at;
	time_t next_action;
	time_t expires_at;
	time_t linger_at; /* wanted until then although empty; 0: no */
	unsigned attempts;
	unsigned wic_count;
	int last_code;
	char last_error[sizeof(((wic_rs_view_t *)0)->last_error)];
	char call_id[WIC_RS_CALLID_MAX]; /* "" between registrations */
	char from_tag[WIC_RS_TAG_MAX];
	unsigned cseq; /* of the last REGISTER sent under call_id */
	/* whole header values of the last 2xx, in rs->mem; NULL none */
	char *service_route;
	char *pau;
} rs_range_t;

struct wic_rstate
{
	wic_mem_ops_t mem;
	wic_lock_ops_t locks;
	int has_locks;
	wic_rs_timing_t timing;
	unsigned (*random_fn)(void);
	uint32_t seed;	  /* fallback generator when random_fn is NULL */
	unsigned dialogs; /* registrations started: part of every Call-ID */
	rs_range_t *ranges;
	/* every range of the list by distinct PUI, so that the per-request
	 * lookups (admission, bind events) cost the same with 10,000 ranges;
	 * grown by sync; NULL (no memory): lookups walk the list */
	rs_range_t **slots;
	size_t mask;
	size_t count; /* ranges in the list */
};

static uint32_t tally_hash(const char *s);

/* ---- small helpers ---------------------------------------------------- */

const char *wic_rs_state_name(wic_rs_state_t s)
{
	switch(s) {
		case WIC_RS_DOWN:
			return "down";
		case WIC_RS_REGISTERING:
			return "registering";
		case WIC_RS_UP:
			return "up";
		case WIC_RS_DEREGISTERING:
			return "deregistering";
	}
	return "unknown";
}

static const char *range_pui(const rs_range_t *r)
{
	return r->names;
}

static void rs_lock(wic_rstate_t *rs)
{
	if(rs->has_locks)
		rs->locks.lock(rs->locks.ctx, 0);
}

static void rs_unlock(wic_rstate_t *rs)
{
	if(rs->has_locks)
		rs->locks.unlock(rs->locks.ctx, 0);
}

static rs_range_t *lookup(wic_rstate_t *rs, const char *pui)
{
	rs_range_t *r;

	if(pui == NULL)
		return NULL;
	if(rs->slots == NULL) {
		for(r = rs->ranges; r != NULL && strcmp(range_pui(r), pui) != 0;)
			r = r->next;
		return r;
	}
	r = rs->slots[tally_hash(pui) & rs->mask];
	while(r != NULL && strcmp(range_pui(r), pui) != 0)
		r = r->hnext;
	return r;
}

static void hash_insert(wic_rstate_t *rs, rs_range_t *r)
{
	rs_range_t **slot;

	if(rs->slots == NULL)
		return;
	slot = &rs->slots[tally_hash(range_pui(r)) & rs->mask];
	r->hnext = *slot;
	*slot = r;
}

static void hash_remove(wic_rstate_t *rs, rs_range_t *r)
{
	rs_range_t **pp;

	if(rs->slots == NULL)
		return;
	pp = &rs->slots[tally_hash(range_pui(r)) & rs->mask];
	while(*pp != NULL && *pp != r)
		pp = &(*pp)->hnext;
	if(*pp != NULL)
		*pp = r->hnext;
}

/* At least 2 slots per range. Without memory the old slots stay (longer
 * chains) or, when there were none, lookups walk the list. */
static void hash_grow(wic_rstate_t *rs, size_t ranges)
{
	size_t n = 64;
	rs_range_t **slots;

	while(n < 2 * ranges && n < ((size_t)1 << 30))
		n <<= 1;
	if(rs->slots != NULL && rs->mask + 1 >= n)
		return;
	slots = rs->mem.alloc(n * sizeof(*slots));
	if(slots == NULL)
		return;
	memset(slots, 0, n * sizeof(*slots));
	if(rs->slots != NULL)
		rs->mem.release(rs->slots);
	rs->slots = slots;
	rs->mask = n - 1;
	for(rs_range_t *r = rs->ranges; r != NULL; r = r->next)
		hash_insert(rs, r);
}

static unsigned next_random(wic_rstate_t *rs)
{
	if(rs->random_fn != NULL)
		return rs->random_fn();
	rs->seed ^= rs->seed << 13; /* xorshift32: jitter needs no quality */
	rs->seed ^= rs->seed >> 17;
	rs->seed ^= rs->seed << 5;
	return rs->seed;
}

static void set_error(rs_range_t *r, const char *what, int code)
{
	if(code != 0)
		snprintf(r->last_error, sizeof(r->last_error), "%s (%d)", what, code);
	else
		snprintf(r->last_error, sizeof(r->last_error), "%s", what);
}

/* ---- timing ----------------------------------------------------------- */

static wic_rs_timing_t timing_with_defaults(const wic_rs_timing_t *in)
{
	wic_rs_timing_t t = {RS_DEFAULT_BACKOFF_MIN, RS_DEFAULT_BACKOFF_MAX, 600,
			RS_DEFAULT_REPLY_TIMEOUT, RS_DEFAULT_DEREG_LIMIT};

	if(in == NULL)
		return t;
	t = *in; /* refresh_margin 0 is meaningful: refresh at half time */
	if(t.dereg_limit == 0)
		t.dereg_limit = RS_DEFAULT_DEREG_LIMIT;
	if(t.backoff_min == 0)
		t.backoff_min = RS_DEFAULT_BACKOFF_MIN;
	if(t.backoff_max == 0)
		t.backoff_max = RS_DEFAULT_BACKOFF_MAX;
	if(t.backoff_max < t.backoff_min)
		t.backoff_max = t.backoff_min;
	if(t.reply_timeout == 0)
		t.reply_timeout = RS_DEFAULT_REPLY_TIMEOUT;
	return t;
}

/* backoff_min * 2^(attempts-1), capped at backoff_max. */
static unsigned backoff_base(const wic_rs_timing_t *t, unsigned attempts)
{
	unsigned d = t->backoff_min;

	for(unsigned i = 1; i < attempts && d < t->backoff_max; i++)
		d = d > t->backoff_max / 2 ? t->backoff_max : d * 2;
	return d < t->backoff_max ? d : t->backoff_max;
}

/* "Equal jitter": uniform in [base - base/2, base], so that ranges failing
 * together do not retry together, yet the delay still grows. */
static unsigned backoff_delay(wic_rstate_t *rs, unsigned attempts)
{
	unsigned base = backoff_base(&rs->timing, attempts);
	unsigned half = base / 2;
	unsigned d = base - half + (half ? next_random(rs) % (half + 1) : 0);

	return d > 0 ? d : 1;
}

/* min(granted/2, granted - margin), never below RS_MIN_REFRESH. */
static unsigned refresh_delay(const wic_rs_timing_t *t, unsigned granted)
{
	unsigned d = granted / 2;

	if(granted > t->refresh_margin && granted - t->refresh_margin < d)
		d = granted - t->refresh_margin;
	return d < RS_MIN_REFRESH ? RS_MIN_REFRESH : d;
}

/* ---- state predicates and transitions --------------------------------- */

static int range_pending(const rs_range_t *r)
{
	return r->state == WIC_RS_REGISTERING
		   || (r->state == WIC_RS_DEREGISTERING && !r->dereg_wait)
		   || r->refreshing;
}

static int range_wanted(const rs_range_t *r, time_t now)
{
	if(r->removed || r->admin_down)
		return 0;
	return (r->triggers & WIC_TRIGGER_STARTUP) || r->wic_count > 0 || r->forced
		   || (r->linger_at != 0 && now < r->linger_at);
}

static void release_lists(wic_rstate_t *rs, rs_range_t *r)
{
	if(r->service_route != NULL)
		rs->mem.release(r->service_route);
	if(r->pau != NULL)
		rs->mem.release(r->pau);
	r->service_route = NULL;
	r->pau = NULL;
}

/* Not registered any more: the next registration is a new one, with a new
 * Call-ID (RFC 3261 10.2: the old one's bindings are gone). */
static void set_down(wic_rstate_t *rs, rs_range_t *r)
{
	r->state = WIC_RS_DOWN;
	r->refreshing = 0;
	r->dereg_wait = 0;
	r->expires_at = 0;
	r->call_id[0] = '\0';
	r->from_tag[0] = '\0';
	r->cseq = 0;
	release_lists(rs, r);
}

/* Worth another try: no answer, or the IMS Core says it could not now.
 * Any other answer is final, and repeating the request cannot change it. */
static int dereg_retryable(int code)
{
	return code == 0 || code == 408 || (code >= 500 && code < 600);
}

/* A removed range leaves the table now, without a de-registration. */
static void dereg_give_up(
		wic_rstate_t *rs, rs_range_t *r, const char *why, int code)
{
	unsigned attempts = r->attempts;

	set_down(rs, r);
	if(code != 0)
		snprintf(r->last_error, sizeof(r->last_error),
				"%s after %u attempt(s) (%d)", why, attempts, code);
	else
		snprintf(r->last_error, sizeof(r->last_error), "%s after %u attempt(s)",
				why, attempts);
}

/* The IMS Core would keep routing a removed range to us until its expiry,
 * so its de-registration is retried with back-off until dereg_until. */
static void removed_dereg_failed(
		wic_rstate_t *rs, rs_range_t *r, int code, time_t now)
{
	r->attempts++;
	if(!dereg_retryable(code)) {
		dereg_give_up(rs, r, "de-registration refused", code);
		return;
	}
	if(now >= r->dereg_until) {
		dereg_give_up(rs, r, "de-registration given up", code);
		return;
	}
	r->dereg_wait = 1;
	r->next_action = now + backoff_delay(rs, r->attempts);
	if(r->next_action > r->dereg_until)
		r->next_action = r->dereg_until; /* when range_tick gives up */
	set_error(r,
			code ? "de-registration failed, retrying"
				 : "de-registration timed out, retrying",
			code);
}

/* Failure or timeout (code 0) of the request in flight. */
static void range_failed(wic_rstate_t *rs, rs_range_t *r, int code, time_t now)
{
	r->last_code = code;
	if(r->state == WIC_RS_DEREGISTERING && r->removed) {
		removed_dereg_failed(rs, r, code, now);
		return;
	}
	if(r->state == WIC_RS_DEREGISTERING) {
		/* nothing to retry: the IMS Core lets the registration expire */
		set_down(rs, r);
		r->next_action = now;
		set_error(r,
				code ? "de-registration failed" : "de-registration timed out",
				code);
		return;
	}
	r->attempts++;
	r->next_action = now + backoff_delay(rs, r->attempts);
	set_error(r, code ? "registration failed" : "registration timed out", code);
	if(r->state == WIC_RS_UP && r->expires_at > now) {
		r->refreshing = 0; /* still registered until expires_at */
		return;
	}
	set_down(rs, r);
}

/* A copy of a header value in rs->mem; NULL for none. -1: no memory. */
static int dup_list(wic_rstate_t *rs, const char *src, char **out)
{
	size_t len = src != NULL ? strlen(src) : 0;

	*out = NULL;
	if(len == 0)
		return 0;
	*out = rs->mem.alloc(len + 1);
	if(*out == NULL)
		return -1;
	memcpy(*out, src, len + 1);
	return 0;
}

/* sr and pau are rs->mem copies, now owned by r. */
static void range_up(wic_rstate_t *rs, rs_range_t *r, int code,
		unsigned granted, char *sr, char *pau, time_t now)
{
	r->state = WIC_RS_UP;
	r->refreshing = 0;
	r->attempts = 0;
	r->last_code = code;
	r->expires_at = now + granted;
	r->next_action = now + refresh_delay(&rs->timing, granted);
	release_lists(rs, r);
	r->service_route = sr;
	r->pau = pau;
	r->last_error[0] = '\0';
}

/* ---- create / destroy / sync ------------------------------------------ */

wic_rstate_t *wic_rstate_create(const wic_mem_ops_t *mem,
		const wic_lock_ops_t *locks, const wic_rs_timing_t *timing,
		unsigned (*random_fn)(void))
{
	wic_rstate_t *rs;

	if(mem == NULL || mem->alloc == NULL || mem->release == NULL)
		return NULL;
	rs = mem->alloc(sizeof(*rs));
	if(rs == NULL)
		return NULL;
	memset(rs, 0, sizeof(*rs));
	rs->mem = *mem;
	if(locks != NULL && locks->lock != NULL && locks->unlock != NULL) {
		rs->locks = *locks;
		rs->has_locks = 1;
	}
	rs->timing = timing_with_defaults(timing);
	rs->random_fn = random_fn;
	rs->seed = (uint32_t)(uintptr_t)rs ^ 0x9e3779b9u;
	if(rs->seed == 0)
		rs->seed = 1;
	return rs;
}

static void range_free(wic_rstate_t *rs, rs_range_t *r)
{
	if(r == NULL)
		return;
	if(r->names != NULL)
		rs->mem.release(r->names);
	release_lists(rs, r);
	rs->mem.release(r);
}

static void range_list_free(wic_rstate_t *rs, rs_range_t *list)
{
	rs_range_t *next;

	for(; list != NULL; list = next) {
		next = list->next;
		range_free(rs, list);
	}
}

void wic_rstate_destroy(wic_rstate_t *rs)
{
	if(rs == NULL)
		return;
	range_list_free(rs, rs->ranges);
	if(rs->slots != NULL)
		rs->mem.release(rs->slots);
	rs->mem.release(rs);
}

/* The names after the distinct PUI, each past the previous one's NUL. */
static void point_names(rs_range_t *r)
{
	r->wildcard = r->names + strlen(r->names) + 1;
	r->impi = r->wildcard + strlen(r->wildcard) + 1;
	r->realm = r->impi + strlen(r->impi) + 1;
}

static rs_range_t *range_new(wic_rstate_t *rs, const wic_rs_config_t *c)
{
	const char *s[4] = {c->distinct_pui, c->wildcard, c->impi, c->realm};
	size_t len[4], pos = 0;
	rs_range_t *r = rs->mem.alloc(sizeof(*r));

	if(r == NULL)
		return NULL;
	memset(r, 0, sizeof(*r));
	for(int i = 0; i < 4; i++) {
		s[i] = s[i] != NULL ? s[i] : "";
		len[i] = strlen(s[i]);
		r->names_len += len[i] + 1;
	}
	r->names = rs->mem.alloc(r->names_len);
	if(r->names == NULL) {
		rs->mem.release(r);
		return NULL;
	}
	for(int i = 0; i < 4; i++) {
		memcpy(r->names + pos, s[i], len[i] + 1);
		pos += len[i] + 1;
	}
	point_names(r);
	r->triggers = c->triggers;
	r->expires = c->expires != 0 ? c->expires : RS_DEFAULT_EXPIRES;
	r->linger = c->linger;
	r->state = WIC_RS_DOWN; /* next_action 0: due at once when wanted */
	return r;
}

/* Kept range: take the new configuration, keep the state. fresh keeps the
 * old names so that the caller frees them after unlocking. */
static void range_reconfigure(rs_range_t *r, rs_range_t *fresh, time_t now)
{
	char *old_names = r->names;
	size_t old_len = r->names_len;
	int lost_startup = (r->triggers & WIC_TRIGGER_STARTUP)
					   && !(fresh->triggers & WIC_TRIGGER_STARTUP);

	r->names = fresh->names;
	r->names_len = fresh->names_len;
	point_names(r);
	fresh->names = old_names;
	fresh->names_len = old_len;
	r->triggers = fresh->triggers;
	r->expires = fresh->expires;
	r->linger = fresh->linger;
	r->removed = 0;
	r->dereg_until = 0;
	if(r->dereg_wait) {
		/* provisioned again before its de-registration went through: it
		 * is still registered, so refresh it rather than retry */
		r->state = WIC_RS_UP;
		r->dereg_wait = 0;
		r->attempts = 0;
		r->next_action = now;
		r->last_error[0] = '\0';
	}
	/* no longer kept up by startup: leave like a range whose WICs left */
	if(lost_startup && r->wic_count == 0)
		r->linger_at = now + r->linger;
}

static void free_array(wic_rstate_t *rs, rs_range_t **arr, size_t n)
{
	for(size_t i = 0; i < n; i++)
		range_free(rs, arr[i]);
	rs->mem.release(arr);
}

/* New nodes for every entry, built before locking so that a lack of memory
 * changes nothing. */
static rs_range_t **build_nodes(
		wic_rstate_t *rs, const wic_rs_config_t *cfg, size_t n)
{
	rs_range_t **nodes = rs->mem.alloc((n ? n : 1) * sizeof(*nodes));

	if(nodes == NULL)
		return NULL;
	memset(nodes, 0, (n ? n : 1) * sizeof(*nodes));
	for(size_t i = 0; i < n; i++) {
		nodes[i] = range_new(rs, &cfg[i]);
		if(nodes[i] == NULL) {
			free_array(rs, nodes, n);
			return NULL;
		}
	}
	return nodes;
}

/* Unlink removed ranges with nothing left to say to the IMS Core. */
static rs_range_t *unlink_finished(wic_rstate_t *rs)
{
	rs_range_t **pp = &rs->ranges, *dead = NULL;

	while(*pp != NULL) {
		rs_range_t *r = *pp;

		if(r->removed && r->state == WIC_RS_DOWN) {
			*pp = r->next;
			hash_remove(rs, r);
			rs->count--;
			r->next = dead;
			dead = r;
		} else {
			pp = &r->next;
		}
	}
	return dead;
}

/* Every range is removed unless cfg names it again; a range removed by an
 * earlier reload keeps its deadline. */
static void mark_all_removed(wic_rstate_t *rs, time_t now)
{
	for(rs_range_t *r = rs->ranges; r != NULL; r = r->next) {
		if(!r->removed)
			r->dereg_until = now + rs->timing.dereg_limit;
		r->removed = 1;
	}
}

int wic_rstate_sync(
		wic_rstate_t *rs, const wic_rs_config_t *cfg, size_t n, time_t now)
{
	rs_range_t **nodes, **tail;

	if(rs == NULL || (cfg == NULL && n > 0))
		return -1;
	for(size_t i = 0; i < n; i++)
		if(cfg[i].distinct_pui == NULL)
			return -1;
	nodes = build_nodes(rs, cfg, n);
	if(nodes == NULL)
		return -1;
	rs_lock(rs);
	mark_all_removed(rs, now);
	hash_grow(rs, rs->count + n);
	tail = &rs->ranges;
	while(*tail != NULL)
		tail = &(*tail)->next;
	for(size_t i = 0; i < n; i++) {
		rs_range_t *r = lookup(rs, cfg[i].distinct_pui);

		if(r != NULL) {
			range_reconfigure(r, nodes[i], now);
		} else {
			*tail = nodes[i]; /* appended: configuration order */
			tail = &nodes[i]->next;
			hash_insert(rs, nodes[i]);
			rs->count++;
			nodes[i] = NULL;
		}
	}
	/* removed ranges leave through run(), which reports them */
	rs_unlock(rs);
	free_array(rs, nodes, n);
	return 0;
}

/* ---- run -------------------------------------------------------------- */

typedef struct rs_action
{
	struct rs_action *next;
	wic_rs_action_t action;
	unsigned expires;
	unsigned cseq;
	char call_id[WIC_RS_CALLID_MAX];
	char from_tag[WIC_RS_TAG_MAX];
	size_t wildcard, impi, realm; /* offsets into names */
	char names[];
} rs_action_t;

/* Timeouts and lapsed registrations, before deciding. */
static void range_tick(wic_rstate_t *rs, rs_range_t *r, time_t now)
{
	if(range_pending(r) && now - r->sent_at >= (time_t)rs->timing.reply_timeout)
		range_failed(rs, r, 0, now);
	if(r->state == WIC_RS_UP && !r->refreshing && r->expires_at <= now) {
		set_down(rs, r);
		set_error(r, "registration expired", 0);
		if(r->next_action < now)
			r->next_action = now;
	}
	if(r->linger_at != 0 && now >= r->linger_at)
		r->linger_at = 0;
	if(r->state != WIC_RS_DEREGISTERING || !r->dereg_wait)
		return;
	if(r->expires_at != 0 && r->expires_at <= now)
		dereg_give_up(
				rs, r, "registration lapsed before its de-registration", 0);
	else if(now >= r->dereg_until)
		dereg_give_up(rs, r, "de-registration given up", r->last_code);
}

/* What r needs now; returns 0 when nothing. */
static int range_decide(
		const rs_range_t *r, time_t now, wic_rs_action_t *action)
{
	int wanted = range_wanted(r, now);

	if(r->state == WIC_RS_DEREGISTERING && r->dereg_wait) {
		*action = WIC_RS_SEND_DEREGISTER;
		return now >= r->next_action;
	}
	if(r->state == WIC_RS_DOWN && wanted && now >= r->next_action) {
		*action = WIC_RS_SEND_REGISTER;
		return 1;
	}
	if(r->state != WIC_RS_UP || r->refreshing)
		return 0;
	*action = wanted ? WIC_RS_SEND_REGISTER : WIC_RS_SEND_DEREGISTER;
	return !wanted || now >= r->next_action;
}

/* A new registration: a Call-ID unique in space and time (random bits, the
 * time and a counter: two draws of one process never collide even with a
 * poor random source) and a From tag. */
static void new_dialog(wic_rstate_t *rs, rs_range_t *r, time_t now)
{
	unsigned a = next_random(rs), b = next_random(rs), c = next_random(rs);
	unsigned d = next_random(rs);

	rs->dialogs++;
	snprintf(r->call_id, sizeof(r->call_id), "%08x%08x%08x-%llx-%x", a, b, c,
			(unsigned long long)now, rs->dialogs);
	snprintf(r->from_tag, sizeof(r->from_tag), "%08x%08x", d, next_random(rs));
	r->cseq = 0;
}

/* The REGISTER about to be sent: the Call-ID of the registration, one
 * CSeq higher. A range with no registration starts one. */
static void next_request(wic_rstate_t *rs, rs_range_t *r, time_t now)
{
	if(r->call_id[0] == '\0' || r->cseq >= RS_CSEQ_MAX)
		new_dialog(rs, r, now);
	r->cseq++;
}

static void range_sent(rs_range_t *r, wic_rs_action_t action, time_t now)
{
	r->sent_at = now;
	r->dereg_wait = 0;
	if(action == WIC_RS_SEND_DEREGISTER)
		r->state = WIC_RS_DEREGISTERING;
	else if(r->state == WIC_RS_UP)
		r->refreshing = 1;
	else
		r->state = WIC_RS_REGISTERING;
}

/* Allocated under the lock (shm has its own); when it fails the range is
 * left as it was and becomes due again at the next run. */
static rs_action_t *action_new(
		wic_rstate_t *rs, const rs_range_t *r, wic_rs_action_t action)
{
	rs_action_t *a = rs->mem.alloc(sizeof(*a) + r->names_len);

	if(a == NULL)
		return NULL;
	a->next = NULL;
	a->action = action;
	a->expires = action == WIC_RS_SEND_REGISTER ? r->expires : 0;
	a->cseq = r->cseq;
	memcpy(a->call_id, r->call_id, sizeof(a->call_id));
	memcpy(a->from_tag, r->from_tag, sizeof(a->from_tag));
	memcpy(a->names, r->names, r->names_len);
	a->wildcard = (size_t)(r->wildcard - r->names);
	a->impi = (size_t)(r->impi - r->names);
	a->realm = (size_t)(r->realm - r->names);
	return a;
}

static rs_action_t *collect_actions(wic_rstate_t *rs, time_t now)
{
	rs_action_t *head = NULL, **tail = &head;
	wic_rs_action_t action;

	for(rs_range_t *r = rs->ranges; r != NULL; r = r->next) {
		range_tick(rs, r, now);
		if(!range_decide(r, now, &action))
			continue;
		next_request(rs, r, now);
		*tail = action_new(rs, r, action);
		if(*tail == NULL) {
			r->cseq--; /* not sent: the same number next time */
			continue;
		}
		range_sent(r, action, now);
		tail = &(*tail)->next;
	}
	return head;
}

static void report_due(
		const rs_action_t *a, const wic_rs_hooks_t *hooks, void *ctx)
{
	wic_rs_due_t d = {a->names, a->names + a->wildcard, a->names + a->impi,
			a->names + a->realm, a->action, a->expires, a->call_id, a->from_tag,
			a->cseq};

	if(hooks != NULL && hooks->due != NULL)
		hooks->due(ctx, &d);
}

/* Unlinked, so no other process sees them: read without the lock. */
static void report_dropped(
		rs_range_t *dead, const wic_rs_hooks_t *hooks, void *ctx)
{
	wic_rs_dropped_t d;

	for(; hooks != NULL && hooks->dropped != NULL && dead; dead = dead->next) {
		d.distinct_pui = range_pui(dead);
		d.wildcard = dead->wildcard;
		d.last_code = dead->last_code;
		d.why = dead->last_error;
		hooks->dropped(ctx, &d);
	}
}

int wic_rstate_run(
		wic_rstate_t *rs, time_t now, const wic_rs_hooks_t *hooks, void *ctx)
{
	rs_action_t *actions, *next;
	rs_range_t *dead;
	int n = 0;

	if(rs == NULL)
		return -1;
	rs_lock(rs);
	actions = collect_actions(rs, now);
	dead = unlink_finished(rs);
	rs_unlock(rs);
	for(; actions != NULL; actions = next) {
		next = actions->next;
		report_due(actions, hooks, ctx);
		rs->mem.release(actions);
		n++;
	}
	report_dropped(dead, hooks, ctx);
	range_list_free(rs, dead);
	return n;
}

/* ---- events ----------------------------------------------------------- */

/* The reply answers the request in flight: same Call-ID, same CSeq. */
static int answers_request(const rs_range_t *r, const wic_rs_reply_t *rp)
{
	if(!range_pending(r))
		return 0; /* late reply to a request already timed out */
	if(rp->call_id == NULL)
		return 1;
	return rp->cseq == r->cseq && strcmp(rp->call_id, r->call_id) == 0;
}

static void store_failed(rs_range_t *r, int code, const char *why)
{
	snprintf(r->last_error, sizeof(r->last_error), "2xx not usable: %s (%d)",
			why, code);
}

static int on_reply_locked(
		wic_rstate_t *rs, rs_range_t *r, const wic_rs_reply_t *rp, time_t now)
{
	int code = rp->code;
	char *sr, *pau;

	if(!answers_request(r, rp))
		return -1;
	if(code >= 100 && code < 200)
		return 0;
	if(code < 200 || code >= 300) {
		range_failed(rs, r, code, now);
		if(code == 0 && rp->unusable != NULL)
			set_error(r, rp->unusable, 0);
		return 0;
	}
	if(r->state == WIC_RS_DEREGISTERING) {
		set_down(rs, r);
		r->attempts = 0;
		r->last_code = code;
		r->last_error[0] = '\0';
		r->next_action = now; /* wanted again meanwhile: register at once */
		return 0;
	}
	if(rp->unusable != NULL) {
		range_failed(rs, r, code, now);
		store_failed(r, code, rp->unusable);
		return 0;
	}
	if(rp->granted == 0) { /* the IMS Core kept nothing: not registered */
		range_failed(rs, r, code, now);
		set_error(r, "2xx without granted expiry", code);
		return 0;
	}
	if(dup_list(rs, rp->service_route, &sr) < 0) {
		range_failed(rs, r, code, now);
		store_failed(r, code, "no memory to store Service-Route");
		return 0;
	}
	if(dup_list(rs, rp->pau, &pau) < 0) {
		if(sr != NULL)
			rs->mem.release(sr);
		range_failed(rs, r, code, now);
		store_failed(r, code, "no memory to store P-Associated-URI");
		return 0;
	}
	range_up(rs, r, code, rp->granted, sr, pau, now);
	return 0;
}

int wic_rstate_on_reply_to(wic_rstate_t *rs, const char *distinct_pui,
		const wic_rs_reply_t *reply, time_t now)
{
	rs_range_t *r;
	int rc = -1;

	if(rs == NULL || reply == NULL)
		return -1;
	rs_lock(rs);
	r = lookup(rs, distinct_pui);
	if(r != NULL)
		rc = on_reply_locked(rs, r, reply, now);
	rs_unlock(rs);
	return rc;
}

int wic_rstate_on_reply(wic_rstate_t *rs, const char *distinct_pui, int code,
		unsigned granted, const char *service_route, const char *pau,
		time_t now)
{
	wic_rs_reply_t rp = {NULL, 0, code, granted, service_route, pau, NULL};

	return wic_rstate_on_reply_to(rs, distinct_pui, &rp, now);
}

int wic_rstate_wic_added(wic_rstate_t *rs, const char *distinct_pui, time_t now)
{
	rs_range_t *r;
	int rc = -1;

	(void)now;
	if(rs == NULL)
		return -1;
	rs_lock(rs);
	r = lookup(rs, distinct_pui);
	if(r != NULL) {
		r->wic_count++;
		r->linger_at = 0; /* a WIC came back: cancel the de-registration */
		rc = 0;
	}
	rs_unlock(rs);
	return rc;
}

int wic_rstate_wic_removed(
		wic_rstate_t *rs, const char *distinct_pui, time_t now)
{
	rs_range_t *r;
	int rc = -1;

	if(rs == NULL)
		return -1;
	rs_lock(rs);
	r = lookup(rs, distinct_pui);
	if(r != NULL && r->wic_count > 0) {
		if(--r->wic_count == 0) {
			r->forced = 0; /* the WICs it was held for are gone */
			if(!(r->triggers & WIC_TRIGGER_STARTUP))
				r->linger_at = now + r->linger;
		}
		rc = 0;
	}
	rs_unlock(rs);
	return rc;
}

int wic_rstate_demand(wic_rstate_t *rs, const char *distinct_pui, time_t now)
{
	rs_range_t *r;
	int rc = -1;
	time_t hold;

	if(rs == NULL)
		return -1;
	rs_lock(rs);
	r = lookup(rs, distinct_pui);
	if(r != NULL) {
		rc = 0;
		/* long enough to register and for the WIC to come back */
		hold = now + r->linger + rs->timing.reply_timeout;
		if((r->triggers & (WIC_TRIGGER_ON_DEMAND | WIC_TRIGGER_TOKEN))
				&& r->wic_count == 0 && hold > r->linger_at)
			r->linger_at = hold;
	}
	rs_unlock(rs);
	return rc;
}

int wic_rstate_force(wic_rstate_t *rs, const char *distinct_pui,
		wic_rs_action_t action, time_t now)
{
	rs_range_t *r;
	int rc = -1;

	if(rs == NULL)
		return -1;
	rs_lock(rs);
	r = lookup(rs, distinct_pui);
	if(r != NULL) {
		rc = 0;
		r->forced = action == WIC_RS_SEND_REGISTER;
		r->admin_down = action == WIC_RS_SEND_DEREGISTER;
		if(r->forced) {
			r->attempts = 0; /* the operator asks now: skip the back-off */
			r->next_action = now;
		} else {
			r->linger_at = 0;
		}
	}
	rs_unlock(rs);
	return rc;
}

/* ---- WIC counts re-derived from the binding table --------------------- */

typedef struct tally_entry
{
	struct tally_entry *next;
	unsigned count;
	unsigned seen; /* impu_seq of the last IMPU counted here */
	char range[];
} tally_entry_t;

struct wic_rs_tally
{
	wic_mem_ops_t mem;
	unsigned mask;
	int failed;
	unsigned impu_seq; /* bumped for every new IMPU of the walk */
	char *impu;		   /* the IMPU being walked */
	size_t impu_cap;
	tally_entry_t **slots;
};

static uint32_t tally_hash(const char *s)
{
	uint32_t h = 2166136261u; /* FNV-1a */

	for(; *s; s++) {
		h ^= (unsigned char)*s;
		h *= 16777619u;
	}
	return h;
}

wic_rs_tally_t *wic_rs_tally_create(const wic_mem_ops_t *mem, unsigned slots)
{
	unsigned n = 1;
	wic_rs_tally_t *t;

	if(mem == NULL || mem->alloc == NULL || mem->release == NULL)
		return NULL;
	while(n < slots && n < (1u << 20))
		n <<= 1;
	t = mem->alloc(sizeof(*t) + n * sizeof(tally_entry_t *));
	if(t == NULL)
		return NULL;
	memset(t, 0, sizeof(*t) + n * sizeof(tally_entry_t *));
	t->mem = *mem;
	t->mask = n - 1;
	t->slots = (tally_entry_t **)(t + 1);
	return t;
}

void wic_rs_tally_destroy(wic_rs_tally_t *t)
{
	tally_entry_t *e, *next;

	if(t == NULL)
		return;
	for(unsigned s = 0; s <= t->mask; s++) {
		for(e = t->slots[s]; e != NULL; e = next) {
			next = e->next;
			t->mem.release(e);
		}
	}
	if(t->impu != NULL)
		t->mem.release(t->impu);
	t->mem.release(t);
}

static tally_entry_t *tally_entry(wic_rs_tally_t *t, const char *range)
{
	tally_entry_t **pp = &t->slots[tally_hash(range) & t->mask];
	size_t len;

	while(*pp != NULL && strcmp((*pp)->range, range) != 0)
		pp = &(*pp)->next;
	if(*pp != NULL)
		return *pp;
	len = strlen(range);
	*pp = t->mem.alloc(sizeof(**pp) + len + 1);
	if(*pp == NULL)
		return NULL;
	(*pp)->next = NULL;
	(*pp)->count = 0;
	(*pp)->seen = 0;
	memcpy((*pp)->range, range, len + 1);
	return *pp;
}

/* A new IMPU starts a new sequence number, so that each range counts it
 * once however many of its contacts name that range. */
static int tally_impu(wic_rs_tally_t *t, const char *impu)
{
	size_t len = strlen(impu);

	if(t->impu != NULL && strcmp(t->impu, impu) == 0)
		return 0;
	if(len + 1 > t->impu_cap) {
		char *bigger = t->mem.alloc(len + 1);

		if(bigger == NULL)
			return -1;
		if(t->impu != NULL)
			t->mem.release(t->impu);
		t->impu = bigger;
		t->impu_cap = len + 1;
	}
	memcpy(t->impu, impu, len + 1);
	t->impu_seq++;
	return 0;
}

int wic_rs_tally_add(wic_rs_tally_t *t, const char *impu, const char *range)
{
	tally_entry_t *e;

	if(t == NULL || t->failed || impu == NULL)
		return -1;
	if(range == NULL || range[0] == '\0')
		return 0; /* a binding that counts toward no range */
	if(tally_impu(t, impu) < 0 || (e = tally_entry(t, range)) == NULL) {
		t->failed = 1;
		return -1;
	}
	if(e->seen != t->impu_seq) {
		e->seen = t->impu_seq;
		e->count++;
	}
	return 0;
}

static unsigned tally_count(const wic_rs_tally_t *t, const char *range)
{
	const tally_entry_t *e = t->slots[tally_hash(range) & t->mask];

	while(e != NULL && strcmp(e->range, range) != 0)
		e = e->next;
	return e != NULL ? e->count : 0;
}

/* The same effects as a run of added/removed events would have. */
static void set_wic_count(rs_range_t *r, unsigned count, time_t now)
{
	if(r->wic_count > 0 && count == 0) {
		r->forced = 0;
		if(!(r->triggers & WIC_TRIGGER_STARTUP))
			r->linger_at = now + r->linger;
	} else if(r->wic_count == 0 && count > 0) {
		r->linger_at = 0;
	}
	r->wic_count = count;
}

int wic_rstate_apply_tally(
		wic_rstate_t *rs, const wic_rs_tally_t *t, time_t now)
{
	int changed = 0;
	unsigned count;

	if(rs == NULL || t == NULL || t->failed)
		return -1;
	rs_lock(rs);
	for(rs_range_t *r = rs->ranges; r != NULL; r = r->next) {
		count = tally_count(t, range_pui(r));
		if(count == r->wic_count)
			continue;
		set_wic_count(r, count, now);
		changed++;
	}
	rs_unlock(rs);
	return changed;
}

/* ---- reading ---------------------------------------------------------- */

static void view_fill(const wic_rstate_t *rs, const rs_range_t *r, time_t now,
		wic_rs_view_t *v)
{
	v->state = r->state;
	v->expires_at = r->state == WIC_RS_UP ? r->expires_at : 0;
	v->next_action = r->next_action;
	if(r->state == WIC_RS_DOWN && !range_wanted(r, now))
		v->next_action = 0;
	else if(range_pending(r))
		v->next_action = r->sent_at + rs->timing.reply_timeout; /* deadline */
	v->attempts = r->attempts;
	v->wic_count = r->wic_count;
	v->removed = r->removed;
	v->dereg_until = r->removed ? r->dereg_until : 0;
	v->last_code = r->last_code;
	memcpy(v->last_error, r->last_error, sizeof(v->last_error));
	v->cseq = r->cseq;
	memcpy(v->call_id, r->call_id, sizeof(v->call_id));
	v->service_route = NULL;
	v->pau = NULL;
}

int wic_rstate_view(wic_rstate_t *rs, const char *distinct_pui, time_t now,
		wic_rs_view_t *out)
{
	rs_range_t *r;

	if(rs == NULL || out == NULL)
		return -1;
	rs_lock(rs);
	r = lookup(rs, distinct_pui);
	if(r != NULL)
		view_fill(rs, r, now, out);
	rs_unlock(rs);
	return r != NULL ? 0 : -1;
}

static int copy_out(const wic_mem_ops_t *mem, const char *src, char **out)
{
	size_t len;

	if(out == NULL)
		return 0;
	*out = NULL;
	if(src == NULL)
		return 0;
	len = strlen(src);
	*out = mem->alloc(len + 1);
	if(*out == NULL)
		return -1;
	memcpy(*out, src, len + 1);
	return 0;
}

int wic_rstate_lists(wic_rstate_t *rs, const char *distinct_pui,
		const wic_mem_ops_t *mem, char **service_route, char **pau)
{
	rs_range_t *r;
	int rc = -1;

	if(service_route != NULL)
		*service_route = NULL;
	if(pau != NULL)
		*pau = NULL;
	if(rs == NULL || mem == NULL || mem->alloc == NULL || mem->release == NULL)
		return -1;
	rs_lock(rs);
	r = lookup(rs, distinct_pui);
	if(r != NULL) {
		rc = 0;
		if(copy_out(mem, r->service_route, service_route) < 0
				|| copy_out(mem, r->pau, pau) < 0)
			rc = -2;
	}
	rs_unlock(rs);
	if(rc == -2) {
		if(service_route != NULL && *service_route != NULL)
			mem->release(*service_route);
		if(pau != NULL && *pau != NULL)
			mem->release(*pau);
		if(service_route != NULL)
			*service_route = NULL;
		if(pau != NULL)
			*pau = NULL;
	}
	return rc;
}

static unsigned retry_after_locked(
		const wic_rstate_t *rs, const rs_range_t *r, time_t now)
{
	unsigned cap = rs->timing.backoff_max;
	time_t wait = 1; /* registration in flight or about to start */

	if(r->state == WIC_RS_UP)
		return 0;
	if(r->admin_down || r->removed)
		return cap;
	if(r->state == WIC_RS_DOWN && r->next_action > now)
		wait = r->next_action - now;
	return wait > (time_t)cap ? cap : (unsigned)wait;
}

unsigned wic_rstate_retry_after(
		wic_rstate_t *rs, const char *distinct_pui, time_t now)
{
	rs_range_t *r;
	unsigned s = 0;

	if(rs == NULL)
		return 0;
	rs_lock(rs);
	r = lookup(rs, distinct_pui);
	if(r != NULL)
		s = retry_after_locked(rs, r, now);
	rs_unlock(rs);
	return s;
}

typedef struct rs_snap
{
	wic_rs_view_t view;
	const char *pui;
	const char *wildcard;
} rs_snap_t;

static const char *snap_str(char *text, size_t *pos, const char *src)
{
	size_t len = src != NULL ? strlen(src) : 0;
	char *dst = text + *pos;

	if(len)
		memcpy(dst, src, len);
	dst[len] = '\0';
	*pos += len + 1;
	return dst;
}

/* One allocation: the views, then the names and lists they point to. */
static rs_snap_t *snapshot(wic_rstate_t *rs, time_t now, size_t *count)
{
	size_t n = 0, names = 0, pos;
	rs_snap_t *snap;
	char *text;

	for(rs_range_t *r = rs->ranges; r != NULL; r = r->next) {
		n++;
		names += r->names_len;
		names += (r->service_route ? strlen(r->service_route) : 0) + 1;
		names += (r->pau ? strlen(r->pau) : 0) + 1;
	}
	*count = n;
	snap = rs->mem.alloc(n * sizeof(*snap) + names + 1);
	if(snap == NULL)
		return NULL;
	text = (char *)(snap + n);
	pos = 0;
	n = 0;
	for(rs_range_t *r = rs->ranges; r != NULL; r = r->next, n++) {
		view_fill(rs, r, now, &snap[n].view);
		memcpy(text + pos, r->names, r->names_len);
		snap[n].pui = text + pos;
		snap[n].wildcard = text + pos + (r->wildcard - r->names);
		pos += r->names_len;
		snap[n].view.service_route = snap_str(text, &pos, r->service_route);
		snap[n].view.pau = snap_str(text, &pos, r->pau);
	}
	return snap;
}

int wic_rstate_foreach(
		wic_rstate_t *rs, time_t now, wic_rs_visit_f visit, void *ctx)
{
	rs_snap_t *snap;
	size_t n;

	if(rs == NULL)
		return -1;
	rs_lock(rs);
	snap = snapshot(rs, now, &n);
	rs_unlock(rs);
	if(snap == NULL)
		return -1;
	for(size_t i = 0; i < n && visit != NULL; i++)
		visit(ctx, snap[i].pui, snap[i].wildcard, &snap[i].view);
	rs->mem.release(snap);
	return n > INT_MAX ? INT_MAX : (int)n;
}

/* ---- P-Associated-URI ------------------------------------------------- */

static int pau_is_ws(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static size_t skip_ws(const char *v, size_t len, size_t i)
{
	while(i < len && pau_is_ws(v[i]))
		i++;
	return i;
}

/* *pos at '"': moves past the closing quote; -1 when unterminated. */
static int skip_quoted(const char *v, size_t len, size_t *pos)
{
	for(size_t i = *pos + 1; i < len; i++) {
		if(v[i] == '\\')
			i++;
		else if(v[i] == '"') {
			*pos = i + 1;
			return 0;
		}
	}
	return -1;
}

/* Display name: a quoted string or tokens up to '<'. */
static int pau_display_name(const char *v, size_t len, size_t *pos)
{
	size_t i = *pos;

	if(i < len && v[i] == '"') {
		if(skip_quoted(v, len, &i) < 0)
			return -1;
		i = skip_ws(v, len, i);
	} else {
		while(i < len && v[i] != '<') {
			if(v[i] == ',' || v[i] == '"' || v[i] == '>' || v[i] == ';'
					|| v[i] == '\0')
				return -1;
			i++;
		}
	}
	*pos = i;
	return i < len && v[i] == '<' ? 0 : -1;
}

/* ";param" list up to the next entry (',' outside quotes) or the end. */
static int pau_params(const char *v, size_t len, size_t *pos)
{
	size_t i = skip_ws(v, len, *pos);

	if(i < len && v[i] != ',' && v[i] != ';')
		return -1;
	while(i < len && v[i] != ',') {
		if(v[i] == '"') {
			if(skip_quoted(v, len, &i) < 0)
				return -1;
			continue;
		}
		if(v[i] == '<' || v[i] == '>' || v[i] == '\0')
			return -1;
		i++;
	}
	*pos = i;
	return 0;
}

static int pau_entry(const char *v, size_t len, size_t *pos, wic_pau_entry_t *e)
{
	size_t i = *pos, start;

	if(pau_display_name(v, len, &i) < 0)
		return -1;
	start = ++i; /* past '<' */
	while(i < len && v[i] != '>') {
		if(v[i] == '<' || v[i] == '\0' || pau_is_ws(v[i]))
			return -1;
		i++;
	}
	if(i >= len || i == start)
		return -1; /* missing '>' or empty URI */
	e->uri = v + start;
	e->len = i - start;
	e->wildcarded = wic_pui_is_wildcarded(e->uri, e->len);
	i++;
	if(pau_params(v, len, &i) < 0)
		return -1;
	*pos = i;
	return 0;
}

int wic_pau_parse(
		const char *value, size_t len, wic_pau_entry_t *out, size_t max)
{
	size_t pos, n = 0;
	wic_pau_entry_t e;

	if(value == NULL)
		return len == 0 ? 0 : -1;
	pos = skip_ws(value, len, 0);
	while(pos < len) {
		if(pau_entry(value, len, &pos, &e) < 0)
			return -1;
		if(n < max && out != NULL)
			out[n] = e;
		n++;
		if(pos == len)
			break;
		pos = skip_ws(value, len, pos + 1); /* past ',' */
		if(pos == len)
			return -1; /* trailing comma: an empty entry */
	}
	if(n > max)
		n = max; /* the rest was checked but has no room */
	return n > INT_MAX ? INT_MAX : (int)n;
}
