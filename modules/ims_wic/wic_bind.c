/*
 * SPDX-License-Identifier: GPL-2.0-or-later
 * Copyright (C) 2026 the ims_wic authors
 *
 * ims_wic - the local registrar's binding table (see wic_bind.h).
 *
 * Two hash tables share one lock set: the IMPU table (lock i for slot i)
 * and the connection index (lock slots + i for slot i). No operation holds
 * two locks at once, so an operation that touches both does it in steps:
 *
 *   save:   reserve (conn, impu) in the connection index first, then store
 *           the contact; undo the reservation when no contact was added on
 *           that connection. The only allocation that can fail after the
 *           contact is stored is therefore none, and the index never misses
 *           a contact.
 *   remove: take the contact out of the IMPU table, then drop its count in
 *           the connection index.
 *
 * A REGISTER racing with the close of its own connection can leave a
 * contact behind on the closed connection; the periodic sweep
 * (wic_btable_sweep) drops it, and at the latest its expiry.
 *
 * Events are collected under the lock and delivered after unlocking.
 */
#include "wic_bind.h"
#include "wic_uri.h"

#include <stdint.h>
#include <string.h>

#define WIC_BIND_MAX_SLOTS (1u << 24)

/* The strings of a contact, stored back to back in one allocation. */
enum
{
	BS_IMPU, /* the IMPU it belongs to: lets removal work from the block */
	BS_URI,
	BS_INSTANCE,
	BS_SOCKET,
	BS_RECEIVED,
	BS_UA,
	BS_CALLID,
	BS_WWSF,
	BS_RANGE,
	BS_COUNT
};

typedef struct bcontact
{
	struct bcontact *next;
	time_t expires;
	time_t token_exp;
	int conn_id;
	unsigned reg_id;
	unsigned cseq;
	uint32_t off[BS_COUNT];
	char str[];
} bcontact_t;

typedef struct bimpu
{
	struct bimpu *next;
	bcontact_t *contacts; /* in registration order: fork order */
	uint32_t hash;
	unsigned n_contacts;
	char name[];
} bimpu_t;

/* An IMPU with n_contacts contacts on one connection. */
typedef struct cimpu
{
	struct cimpu *next;
	unsigned n_contacts;
	char name[];
} cimpu_t;

typedef struct bconn
{
	struct bconn *next;
	int conn_id;
	cimpu_t *impus; /* in registration order: first is the default */
	char *wwsf;		/* NULL until the handshake named it */
} bconn_t;

struct wic_btable
{
	wic_mem_ops_t mem;
	wic_lock_ops_t locks;
	int has_locks;
	unsigned mask;
	unsigned max_contacts;
	wic_bind_event_f on_event;
	void *event_ctx;
	unsigned n_contacts; /* updated with atomic builtins */
	unsigned n_impus;
	unsigned n_conns;
	bimpu_t **impus;
	bconn_t **conns;
};

/* ---- helpers ---------------------------------------------------------- */

/* The table's keys are identities in their normal form (wic_uri.h):
 * whatever spelling a caller holds ("sip:a@WWSF.LAB", "sip:%61@wwsf.lab"),
 * one identity is one entry. NULL when impu is no identity. */
static const char *key_of(const char *impu, char *buf, size_t len)
{
	if(impu == NULL || wic_uri_normalize(impu, strlen(impu), buf, len) < 0)
		return NULL;
	return buf;
}

static uint32_t hash_str(const char *s)
{
	uint32_t h = 2166136261u; /* FNV-1a */

	for(; *s; s++) {
		h ^= (unsigned char)*s;
		h *= 16777619u;
	}
	return h;
}

static uint32_t hash_conn(int conn_id)
{
	uint32_t x = (uint32_t)conn_id; /* murmur3 finalizer: ids are sequential */

	x ^= x >> 16;
	x *= 0x85ebca6bu;
	x ^= x >> 13;
	x *= 0xc2b2ae35u;
	x ^= x >> 16;
	return x;
}

static unsigned round_up_pow2(unsigned n)
{
	unsigned p = 1;

	while(p < n && p < WIC_BIND_MAX_SLOTS)
		p <<= 1;
	return p;
}

unsigned wic_btable_locks_needed(unsigned slots)
{
	return 2 * round_up_pow2(slots);
}

static void counter_add(unsigned *c, int delta)
{
	if(delta >= 0)
		__atomic_add_fetch(c, (unsigned)delta, __ATOMIC_RELAXED);
	else
		__atomic_sub_fetch(c, (unsigned)-delta, __ATOMIC_RELAXED);
}

static void lock_idx(wic_btable_t *t, unsigned idx)
{
	if(t->has_locks)
		t->locks.lock(t->locks.ctx, idx);
}

static void unlock_idx(wic_btable_t *t, unsigned idx)
{
	if(t->has_locks)
		t->locks.unlock(t->locks.ctx, idx);
}

static unsigned impu_slot(const wic_btable_t *t, uint32_t h)
{
	return h & t->mask;
}

/* Lock index of a connection slot: after the IMPU table's locks. */
static unsigned conn_lock(const wic_btable_t *t, unsigned slot)
{
	return t->mask + 1 + slot;
}

static unsigned conn_slot(const wic_btable_t *t, int conn_id)
{
	return hash_conn(conn_id) & t->mask;
}

static char *dup_str(wic_btable_t *t, const char *s)
{
	size_t len = strlen(s);
	char *d = t->mem.alloc(len + 1);

	if(d != NULL)
		memcpy(d, s, len + 1);
	return d;
}

static int copy_out(char *buf, size_t len, const char *s)
{
	size_t n = strlen(s);

	/* a cut identity would name someone else: refuse rather than truncate */
	if(buf == NULL || n >= len)
		return -1;
	memcpy(buf, s, n + 1);
	return 0;
}

static void emit(wic_btable_t *t, wic_bind_event_t ev, const char *impu,
		const char *range)
{
	if(t->on_event != NULL)
		t->on_event(t->event_ctx, ev, impu, range != NULL ? range : "");
}

static const char *or_empty(const char *s)
{
	return s != NULL ? s : "";
}

/* ---- contacts --------------------------------------------------------- */

static const char *cstr(const bcontact_t *b, int which)
{
	return b->str + b->off[which];
}

static bcontact_t *contact_new(
		wic_btable_t *t, const char *impu, const wic_contact_t *c)
{
	const char *s[BS_COUNT] = {impu, c->uri, c->instance, c->socket,
			c->received, c->user_agent, c->call_id, c->wwsf, c->range};
	size_t len[BS_COUNT], total = 0, pos = 0;
	bcontact_t *b;

	for(int i = 0; i < BS_COUNT; i++) {
		s[i] = or_empty(s[i]);
		len[i] = strlen(s[i]);
		total += len[i] + 1;
	}
	if(total > UINT32_MAX)
		return NULL;
	b = t->mem.alloc(sizeof(*b) + total);
	if(b == NULL)
		return NULL;
	for(int i = 0; i < BS_COUNT; i++) {
		b->off[i] = (uint32_t)pos;
		memcpy(b->str + pos, s[i], len[i] + 1);
		pos += len[i] + 1;
	}
	b->next = NULL;
	b->expires = c->expires;
	b->token_exp = c->token_exp;
	b->conn_id = c->conn_id;
	b->reg_id = c->reg_id;
	b->cseq = c->cseq;
	return b;
}

static void contact_view(const bcontact_t *b, wic_contact_t *out)
{
	out->uri = cstr(b, BS_URI);
	out->instance = cstr(b, BS_INSTANCE);
	out->reg_id = b->reg_id;
	out->conn_id = b->conn_id;
	out->socket = cstr(b, BS_SOCKET);
	out->received = cstr(b, BS_RECEIVED);
	out->user_agent = cstr(b, BS_UA);
	out->call_id = cstr(b, BS_CALLID);
	out->cseq = b->cseq;
	out->expires = b->expires;
	out->token_exp = b->token_exp;
	out->wwsf = cstr(b, BS_WWSF);
	out->range = cstr(b, BS_RANGE);
}

/* RFC 5626: (instance, reg-id) identifies a flow; without it, the URI. */
static int contact_matches(const bcontact_t *b, const wic_contact_t *c)
{
	const char *inst = or_empty(c->instance);

	if(inst[0] != '\0')
		return b->reg_id == c->reg_id
			   && strcmp(cstr(b, BS_INSTANCE), inst) == 0;
	return cstr(b, BS_INSTANCE)[0] == '\0'
		   && strcmp(cstr(b, BS_URI), or_empty(c->uri)) == 0;
}

/* RFC 3261 10.3 step 7. */
static int out_of_order(const bcontact_t *b, const wic_contact_t *c)
{
	return strcmp(cstr(b, BS_CALLID), or_empty(c->call_id)) == 0
		   && c->cseq <= b->cseq;
}

/* token_exp 0: no token bound to the contact. */
static int contact_expired(const bcontact_t *b, time_t now)
{
	return b->expires <= now || (b->token_exp != 0 && b->token_exp <= now);
}

static bcontact_t **find_contact(bimpu_t *e, const wic_contact_t *c)
{
	bcontact_t **pp = &e->contacts;

	while(*pp != NULL && !contact_matches(*pp, c))
		pp = &(*pp)->next;
	return pp;
}

/* ---- IMPU table (caller holds the slot lock) -------------------------- */

static bimpu_t **find_impu(wic_btable_t *t, const char *impu, uint32_t h)
{
	bimpu_t **pp = &t->impus[impu_slot(t, h)];

	while(*pp != NULL && ((*pp)->hash != h || strcmp((*pp)->name, impu) != 0))
		pp = &(*pp)->next;
	return pp;
}

static bimpu_t *impu_new(wic_btable_t *t, const char *impu, uint32_t h)
{
	size_t len = strlen(impu);
	bimpu_t *e = t->mem.alloc(sizeof(*e) + len + 1);

	if(e == NULL)
		return NULL;
	e->next = NULL;
	e->contacts = NULL;
	e->hash = h;
	e->n_contacts = 0;
	memcpy(e->name, impu, len + 1);
	return e;
}

static void impu_unlink(wic_btable_t *t, bimpu_t **pp)
{
	*pp = (*pp)->next;
	counter_add(&t->n_impus, -1);
}

/* ---- connection index ------------------------------------------------- */

static bconn_t **find_conn(wic_btable_t *t, unsigned slot, int conn_id)
{
	bconn_t **pp = &t->conns[slot];

	while(*pp != NULL && (*pp)->conn_id != conn_id)
		pp = &(*pp)->next;
	return pp;
}

static cimpu_t **find_cimpu(bconn_t *bc, const char *impu)
{
	cimpu_t **pp = &bc->impus;

	while(*pp != NULL && strcmp((*pp)->name, impu) != 0)
		pp = &(*pp)->next;
	return pp;
}

/* Caller holds the slot lock; allocation there is fine (shm has its own). */
static bconn_t *conn_get_or_add(wic_btable_t *t, unsigned slot, int conn_id)
{
	bconn_t **pp = find_conn(t, slot, conn_id);

	if(*pp != NULL)
		return *pp;
	*pp = t->mem.alloc(sizeof(**pp));
	if(*pp == NULL)
		return NULL;
	(*pp)->next = NULL;
	(*pp)->conn_id = conn_id;
	(*pp)->impus = NULL;
	(*pp)->wwsf = NULL;
	counter_add(&t->n_conns, 1);
	return *pp;
}

/* An entry with no IMPU and no WWSF carries nothing: drop it. */
static bconn_t *conn_unlink_if_empty(wic_btable_t *t, bconn_t **pp)
{
	bconn_t *bc = *pp;

	if(bc->impus != NULL || bc->wwsf != NULL)
		return NULL;
	*pp = bc->next;
	counter_add(&t->n_conns, -1);
	return bc;
}

static void conn_free(wic_btable_t *t, bconn_t *bc)
{
	cimpu_t *ci, *next;

	if(bc == NULL)
		return;
	for(ci = bc->impus; ci != NULL; ci = next) {
		next = ci->next;
		t->mem.release(ci);
	}
	if(bc->wwsf != NULL)
		t->mem.release(bc->wwsf);
	t->mem.release(bc);
}

static int cimpu_add(wic_btable_t *t, bconn_t *bc, const char *impu)
{
	cimpu_t **pp = find_cimpu(bc, impu);
	size_t len;

	if(*pp != NULL) {
		(*pp)->n_contacts++;
		return 0;
	}
	len = strlen(impu);
	*pp = t->mem.alloc(sizeof(**pp) + len + 1);
	if(*pp == NULL)
		return -1;
	(*pp)->next = NULL;
	(*pp)->n_contacts = 1;
	memcpy((*pp)->name, impu, len + 1);
	return 0;
}

/* One more contact of impu on conn_id. 0, or -1 when out of memory. */
static int conn_ref(wic_btable_t *t, int conn_id, const char *impu)
{
	unsigned slot = conn_slot(t, conn_id);
	bconn_t *bc, *dead = NULL;
	int rc = -1;

	lock_idx(t, conn_lock(t, slot));
	bc = conn_get_or_add(t, slot, conn_id);
	if(bc != NULL) {
		rc = cimpu_add(t, bc, impu);
		if(rc < 0)
			dead = conn_unlink_if_empty(t, find_conn(t, slot, conn_id));
	}
	unlock_idx(t, conn_lock(t, slot));
	conn_free(t, dead);
	return rc;
}

/* One contact of impu fewer on conn_id (a no-op once the conn is closed). */
static void conn_unref(wic_btable_t *t, int conn_id, const char *impu)
{
	unsigned slot = conn_slot(t, conn_id);
	bconn_t **bpp, *dead = NULL;
	cimpu_t **cpp, *gone = NULL;

	lock_idx(t, conn_lock(t, slot));
	bpp = find_conn(t, slot, conn_id);
	if(*bpp != NULL) {
		cpp = find_cimpu(*bpp, impu);
		if(*cpp != NULL && --(*cpp)->n_contacts == 0) {
			gone = *cpp;
			*cpp = gone->next;
			dead = conn_unlink_if_empty(t, bpp);
		}
	}
	unlock_idx(t, conn_lock(t, slot));
	if(gone != NULL)
		t->mem.release(gone);
	conn_free(t, dead);
}

/* ---- create / destroy ------------------------------------------------- */

wic_btable_t *wic_btable_create(unsigned slots, unsigned max_contacts,
		const wic_mem_ops_t *mem, const wic_lock_ops_t *locks,
		wic_bind_event_f on_event, void *event_ctx)
{
	unsigned n = round_up_pow2(slots);
	size_t arrays = (size_t)n * (sizeof(bimpu_t *) + sizeof(bconn_t *));
	wic_btable_t *t;

	if(mem == NULL || mem->alloc == NULL || mem->release == NULL)
		return NULL;
	t = mem->alloc(sizeof(*t) + arrays);
	if(t == NULL)
		return NULL;
	memset(t, 0, sizeof(*t) + arrays);
	t->mem = *mem;
	if(locks != NULL && locks->lock != NULL && locks->unlock != NULL) {
		t->locks = *locks;
		t->has_locks = 1;
	}
	t->mask = n - 1;
	t->max_contacts = max_contacts;
	t->on_event = on_event;
	t->event_ctx = event_ctx;
	t->impus = (bimpu_t **)(t + 1);
	t->conns = (bconn_t **)(t->impus + n);
	return t;
}

static void impu_free(wic_btable_t *t, bimpu_t *e)
{
	bcontact_t *b, *next;

	for(b = e->contacts; b != NULL; b = next) {
		next = b->next;
		t->mem.release(b);
	}
	t->mem.release(e);
}

/* Only at shutdown, when no other process uses the table: no locks. */
void wic_btable_destroy(wic_btable_t *t)
{
	if(t == NULL)
		return;
	for(unsigned s = 0; s <= t->mask; s++) {
		bimpu_t *e, *en;
		bconn_t *c, *cn;

		for(e = t->impus[s]; e != NULL; e = en) {
			en = e->next;
			impu_free(t, e);
		}
		for(c = t->conns[s]; c != NULL; c = cn) {
			cn = c->next;
			conn_free(t, c);
		}
	}
	t->mem.release(t);
}

/* ---- save ------------------------------------------------------------- */

typedef struct store_result
{
	wic_save_result_t result;
	bcontact_t *old; /* replaced block, freed by the caller */
	int impu_added;
} store_result_t;

/* New contact or refresh of an existing one; caller holds the slot lock. */
static store_result_t store_locked(wic_btable_t *t, bimpu_t *e,
		bcontact_t *fresh, const wic_contact_t *c, unsigned limit)
{
	store_result_t r = {WIC_SAVE_CREATED, NULL, 0};
	bcontact_t **pp = find_contact(e, c);

	if(*pp != NULL) {
		if(out_of_order(*pp, c)) {
			r.result = WIC_SAVE_OUT_OF_ORDER;
			return r;
		}
		r.old = *pp;
		fresh->next = r.old->next;
		*pp = fresh;
		r.result = WIC_SAVE_REFRESHED;
		return r;
	}
	if(limit != 0 && e->n_contacts >= limit) {
		r.result = WIC_SAVE_LIMIT;
		return r;
	}
	*pp = fresh; /* pp is the tail: registration order */
	e->n_contacts++;
	counter_add(&t->n_contacts, 1);
	r.impu_added = e->n_contacts == 1;
	return r;
}

static store_result_t store(wic_btable_t *t, const char *impu,
		bcontact_t *fresh, const wic_contact_t *c, unsigned limit)
{
	store_result_t r = {WIC_SAVE_NOMEM, NULL, 0};
	uint32_t h = hash_str(impu);
	unsigned slot = impu_slot(t, h);
	bimpu_t **pp, *empty = NULL;

	lock_idx(t, slot);
	pp = find_impu(t, impu, h);
	if(*pp == NULL) {
		*pp = impu_new(t, impu, h);
		if(*pp != NULL)
			counter_add(&t->n_impus, 1);
	}
	if(*pp != NULL) {
		r = store_locked(t, *pp, fresh, c, limit);
		if((*pp)->n_contacts == 0) { /* created for nothing (limit) */
			empty = *pp;
			impu_unlink(t, pp);
		}
	}
	unlock_idx(t, slot);
	if(empty != NULL)
		t->mem.release(empty);
	return r;
}

wic_save_result_t wic_btable_save_limit(wic_btable_t *t, const char *impu,
		const wic_contact_t *c, unsigned max_contacts)
{
	char key[WIC_URI_NORM_MAX];
	unsigned limit;
	bcontact_t *fresh;
	store_result_t r;

	/* no "invalid" result exists: nothing is stored, as when out of memory */
	if(t == NULL || c == NULL || c->uri == NULL
			|| (impu = key_of(impu, key, sizeof(key))) == NULL)
		return WIC_SAVE_NOMEM;
	limit = max_contacts != 0 ? max_contacts : t->max_contacts;
	fresh = contact_new(t, impu, c);
	if(fresh == NULL)
		return WIC_SAVE_NOMEM;
	/* reserve first: after the contact is stored nothing may fail */
	if(conn_ref(t, c->conn_id, impu) < 0) {
		t->mem.release(fresh);
		return WIC_SAVE_NOMEM;
	}
	r = store(t, impu, fresh, c, limit);
	if(r.result == WIC_SAVE_REFRESHED && r.old->conn_id != c->conn_id)
		conn_unref(t, r.old->conn_id, impu); /* the flow moved connection */
	else if(r.result != WIC_SAVE_CREATED)
		conn_unref(t, c->conn_id, impu);
	if(r.result != WIC_SAVE_CREATED && r.result != WIC_SAVE_REFRESHED)
		t->mem.release(fresh);
	if(r.old != NULL)
		t->mem.release(r.old);
	if(r.impu_added)
		emit(t, WIC_EV_IMPU_ADDED, impu, c->range);
	return r.result;
}

wic_save_result_t wic_btable_save(
		wic_btable_t *t, const char *impu, const wic_contact_t *c)
{
	return wic_btable_save_limit(t, impu, c, 0);
}

/* ---- removal ---------------------------------------------------------- */

/* Contacts removed from the IMPU table: drop them from the connection
 * index (unless the connection is gone already) and free them. */
static void release_removed(wic_btable_t *t, bcontact_t *list, int unref,
		wic_contact_visit_f removed, void *ctx)
{
	bcontact_t *b, *next;
	wic_contact_t view;

	for(b = list; b != NULL; b = next) {
		next = b->next;
		if(unref)
			conn_unref(t, b->conn_id, cstr(b, BS_IMPU));
		if(removed != NULL) {
			contact_view(b, &view);
			removed(ctx, cstr(b, BS_IMPU), &view);
		}
		t->mem.release(b);
	}
}

/* Emit IMPU_REMOVED for entries that lost their last contact, then free.
 * Runs before release_removed(): e->contacts is that last contact. */
static void release_emptied(wic_btable_t *t, bimpu_t *list)
{
	bimpu_t *e, *next;

	for(e = list; e != NULL; e = next) {
		next = e->next;
		emit(t, WIC_EV_IMPU_REMOVED, e->name,
				e->contacts != NULL ? cstr(e->contacts, BS_RANGE) : "");
		t->mem.release(e);
	}
}

/* Moves the contacts of e for which pred() holds to *out; caller holds the
 * slot lock. When e ends empty it is unlinked (via pp) onto *emptied. */
typedef int (*contact_pred_f)(const bcontact_t *b, const void *arg);

static int detach_where(wic_btable_t *t, bimpu_t **pp, contact_pred_f pred,
		const void *arg, bcontact_t **out, bimpu_t **emptied)
{
	bimpu_t *e = *pp;
	bcontact_t **bp = &e->contacts, *b;
	int n = 0;

	while((b = *bp) != NULL) {
		if(!pred(b, arg)) {
			bp = &b->next;
			continue;
		}
		*bp = b->next;
		b->next = *out;
		*out = b;
		n++;
	}
	e->n_contacts -= (unsigned)n;
	counter_add(&t->n_contacts, -n);
	if(e->n_contacts == 0) {
		impu_unlink(t, pp);
		/* its last contact, kept (still on *out) for the event's range */
		e->contacts = *out;
		e->next = *emptied;
		*emptied = e;
	}
	return n;
}

typedef struct match_arg
{
	const wic_contact_t *c;
	int out_of_order;
} match_arg_t;

static int pred_matches(const bcontact_t *b, const void *arg)
{
	match_arg_t *m = (match_arg_t *)arg;

	if(!contact_matches(b, m->c))
		return 0;
	if(out_of_order(b, m->c)) {
		m->out_of_order = 1;
		return 0;
	}
	return 1;
}

static int pred_all(const bcontact_t *b, const void *arg)
{
	(void)b;
	(void)arg;
	return 1;
}

static int pred_conn(const bcontact_t *b, const void *arg)
{
	return b->conn_id == *(const int *)arg;
}

static int pred_expired(const bcontact_t *b, const void *arg)
{
	return contact_expired(b, *(const time_t *)arg);
}

/* Detach the contacts of impu selected by pred, then release them. */
static int remove_where(wic_btable_t *t, const char *impu, contact_pred_f pred,
		const void *arg, int unref, wic_contact_visit_f removed, void *ctx)
{
	uint32_t h = hash_str(impu);
	unsigned slot = impu_slot(t, h);
	bcontact_t *gone = NULL;
	bimpu_t **pp, *emptied = NULL;
	int n = 0;

	lock_idx(t, slot);
	pp = find_impu(t, impu, h);
	if(*pp != NULL)
		n = detach_where(t, pp, pred, arg, &gone, &emptied);
	unlock_idx(t, slot);
	release_emptied(t, emptied);
	release_removed(t, gone, unref, removed, ctx);
	return n;
}

int wic_btable_remove(wic_btable_t *t, const char *impu, const wic_contact_t *c)
{
	char key[WIC_URI_NORM_MAX];
	match_arg_t m = {c, 0};
	int n;

	if(t == NULL || c == NULL
			|| (impu = key_of(impu, key, sizeof(key))) == NULL)
		return 0;
	n = remove_where(t, impu, pred_matches, &m, 1, NULL, NULL);
	return m.out_of_order ? -1 : n;
}

/* What a credential-less de-registration proves: the connection, the
 * Call-ID and a later CSeq of the registration it removes. */
typedef struct own_arg
{
	int conn_id;
	const char *call_id;
	unsigned cseq;
	const wic_contact_t *c; /* the contacts named; NULL: all */
	size_t n;
} own_arg_t;

static int is_own(const bcontact_t *b, const own_arg_t *o)
{
	return b->conn_id == o->conn_id
		   && strcmp(cstr(b, BS_CALLID), o->call_id) == 0 && b->cseq < o->cseq;
}

static int pred_named(const bcontact_t *b, const void *arg)
{
	const own_arg_t *o = arg;

	if(o->c == NULL)
		return 1;
	for(size_t i = 0; i < o->n; i++) {
		if(contact_matches(b, &o->c[i]))
			return 1;
	}
	return 0;
}

/* Caller holds the slot lock: every contact named is there and is own. */
static int all_named_own(const bimpu_t *e, const own_arg_t *o)
{
	const bcontact_t *b;

	if(o->c == NULL) {
		for(b = e->contacts; b != NULL; b = b->next) {
			if(!is_own(b, o))
				return 0;
		}
		return 1;
	}
	for(size_t i = 0; i < o->n; i++) {
		for(b = e->contacts; b != NULL && !contact_matches(b, &o->c[i]);
				b = b->next)
			;
		if(b == NULL || !is_own(b, o))
			return 0;
	}
	return 1;
}

int wic_btable_remove_own(wic_btable_t *t, const char *impu, int conn_id,
		const char *call_id, unsigned cseq, const wic_contact_t *c, size_t n)
{
	char key[WIC_URI_NORM_MAX];
	own_arg_t o = {conn_id, call_id, cseq, n > 0 ? c : NULL, n};
	uint32_t h;
	unsigned slot;
	bcontact_t *gone = NULL;
	bimpu_t **pp, *emptied = NULL;
	int removed = -1;

	if(t == NULL || call_id == NULL || (n > 0 && c == NULL)
			|| (impu = key_of(impu, key, sizeof(key))) == NULL)
		return -1;
	h = hash_str(impu);
	slot = impu_slot(t, h);
	/* checked and removed under one lock: nothing can slip in between */
	lock_idx(t, slot);
	pp = find_impu(t, impu, h);
	if(*pp != NULL && all_named_own(*pp, &o))
		removed = detach_where(t, pp, pred_named, &o, &gone, &emptied);
	unlock_idx(t, slot);
	release_emptied(t, emptied);
	release_removed(t, gone, 1, NULL, NULL);
	return removed;
}

int wic_btable_remove_all(wic_btable_t *t, const char *impu)
{
	char key[WIC_URI_NORM_MAX];
	if(t == NULL || (impu = key_of(impu, key, sizeof(key))) == NULL)
		return 0;
	return remove_where(t, impu, pred_all, NULL, 1, NULL, NULL);
}

/* Takes conn_id out of the index and removes its contacts; *found tells
 * whether the index held it. */
static int remove_conn(wic_btable_t *t, int conn_id,
		wic_contact_visit_f removed, void *ctx, bool *found)
{
	unsigned slot;
	bconn_t **pp, *bc;
	int n = 0;

	*found = false;
	if(t == NULL)
		return 0;
	slot = conn_slot(t, conn_id);
	lock_idx(t, conn_lock(t, slot));
	pp = find_conn(t, slot, conn_id);
	bc = *pp;
	if(bc != NULL) {
		*pp = bc->next;
		counter_add(&t->n_conns, -1);
	}
	unlock_idx(t, conn_lock(t, slot));
	if(bc == NULL)
		return 0;
	*found = true;
	/* the index entry is gone, so the removal must not unref it again */
	for(cimpu_t *ci = bc->impus; ci != NULL; ci = ci->next)
		n += remove_where(t, ci->name, pred_conn, &conn_id, 0, removed, ctx);
	conn_free(t, bc);
	return n;
}

int wic_btable_remove_conn_cb(
		wic_btable_t *t, int conn_id, wic_contact_visit_f removed, void *ctx)
{
	bool found;

	return remove_conn(t, conn_id, removed, ctx, &found);
}

int wic_btable_remove_conn(wic_btable_t *t, int conn_id)
{
	return wic_btable_remove_conn_cb(t, conn_id, NULL, NULL);
}

/* Ids copied out of one slot of the index per lock hold. */
#define WIC_SWEEP_BATCH 64

int wic_btable_sweep(wic_btable_t *t, wic_conn_alive_f alive, void *ctx,
		unsigned *conns_dropped)
{
	int ids[WIC_SWEEP_BATCH];
	unsigned dropped = 0;
	int n = 0;

	if(t != NULL && alive != NULL) {
		for(unsigned s = 0; s <= t->mask; s++) {
			size_t skip = 0;

			for(;;) {
				size_t got = 0, pos = 0, kept;
				bool more = false;

				/* 1. copy the ids of the slot, under its lock */
				lock_idx(t, conn_lock(t, s));
				for(bconn_t *bc = t->conns[s]; bc != NULL;
						bc = bc->next, pos++) {
					if(pos < skip)
						continue;
					if(got == WIC_SWEEP_BATCH) {
						more = true;
						break;
					}
					ids[got++] = bc->conn_id;
				}
				unlock_idx(t, conn_lock(t, s));
				/* 2. ask about each with no lock held, 3. remove the gone */
				kept = got;
				for(size_t i = 0; i < got; i++) {
					bool found;

					if(alive(ctx, ids[i]))
						continue;
					n += remove_conn(t, ids[i], NULL, NULL, &found);
					dropped += found;
					kept--;
				}
				if(!more)
					break;
				/* entries added meanwhile shift the rest: the next sweep
				 * sees what this one stepped over */
				skip += kept;
			}
		}
	}
	if(conns_dropped != NULL)
		*conns_dropped = dropped;
	return n;
}

int wic_btable_expire(wic_btable_t *t, time_t now)
{
	int n = 0;

	if(t == NULL)
		return 0;
	for(unsigned s = 0; s <= t->mask; s++) {
		bcontact_t *gone = NULL;
		bimpu_t **pp, *emptied = NULL;

		lock_idx(t, s);
		for(pp = &t->impus[s]; *pp != NULL;) {
			bimpu_t *e = *pp;

			n += detach_where(t, pp, pred_expired, &now, &gone, &emptied);
			if(*pp == e) /* still linked: step over it */
				pp = &e->next;
		}
		unlock_idx(t, s);
		release_emptied(t, emptied);
		release_removed(t, gone, 1, NULL, NULL);
	}
	return n;
}

/* ---- reading ---------------------------------------------------------- */

int wic_btable_lookup(wic_btable_t *t, const char *impu, time_t now,
		wic_contact_visit_f visit, void *ctx)
{
	char key[WIC_URI_NORM_MAX];
	uint32_t h;
	unsigned slot;
	bimpu_t *e;
	wic_contact_t view;
	int n = 0;

	if(t == NULL || (impu = key_of(impu, key, sizeof(key))) == NULL)
		return 0;
	h = hash_str(impu);
	slot = impu_slot(t, h);
	lock_idx(t, slot);
	e = *find_impu(t, impu, h);
	for(bcontact_t *b = e != NULL ? e->contacts : NULL; b; b = b->next) {
		if(contact_expired(b, now))
			continue;
		n++;
		if(visit != NULL) {
			contact_view(b, &view);
			visit(ctx, e->name, &view);
		}
	}
	unlock_idx(t, slot);
	return n;
}

int wic_btable_foreach(wic_btable_t *t, wic_contact_visit_f visit, void *ctx)
{
	wic_contact_t view;
	int n = 0;

	if(t == NULL)
		return 0;
	for(unsigned s = 0; s <= t->mask; s++) {
		lock_idx(t, s);
		for(bimpu_t *e = t->impus[s]; e != NULL; e = e->next) {
			for(bcontact_t *b = e->contacts; b != NULL; b = b->next) {
				n++;
				if(visit != NULL) {
					contact_view(b, &view);
					visit(ctx, e->name, &view);
				}
			}
		}
		unlock_idx(t, s);
	}
	return n;
}

int wic_btable_foreach_from(
		wic_btable_t *t, unsigned offset, wic_contact_page_f visit, void *ctx)
{
	wic_contact_t view;
	unsigned skip = offset;
	int n = 0, stop = 0;

	if(t == NULL || visit == NULL)
		return 0;
	for(unsigned s = 0; s <= t->mask && !stop; s++) {
		lock_idx(t, s);
		for(bimpu_t *e = t->impus[s]; e != NULL && !stop; e = e->next) {
			if(skip >= e->n_contacts) { /* the whole IMPU is before offset */
				skip -= e->n_contacts;
				continue;
			}
			for(bcontact_t *b = e->contacts; b != NULL && !stop; b = b->next) {
				if(skip > 0) {
					skip--;
					continue;
				}
				contact_view(b, &view);
				stop = visit(ctx, e->name, &view);
				n++;
			}
		}
		unlock_idx(t, s);
	}
	return n;
}

/* ---- connection index API --------------------------------------------- */

int wic_btable_conn_set_wwsf(wic_btable_t *t, int conn_id, const char *wwsf)
{
	unsigned slot;
	bconn_t *bc;
	char *copy, *old = NULL;

	if(t == NULL || wwsf == NULL)
		return -1;
	copy = dup_str(t, wwsf);
	if(copy == NULL)
		return -1;
	slot = conn_slot(t, conn_id);
	lock_idx(t, conn_lock(t, slot));
	bc = conn_get_or_add(t, slot, conn_id);
	if(bc != NULL) {
		old = bc->wwsf;
		bc->wwsf = copy;
	}
	unlock_idx(t, conn_lock(t, slot));
	if(bc == NULL) {
		t->mem.release(copy);
		return -1;
	}
	if(old != NULL)
		t->mem.release(old);
	return 0;
}

int wic_btable_conn_wwsf(wic_btable_t *t, int conn_id, char *buf, size_t len)
{
	unsigned slot;
	bconn_t *bc;
	int rc = -1;

	if(t == NULL)
		return -1;
	slot = conn_slot(t, conn_id);
	lock_idx(t, conn_lock(t, slot));
	bc = *find_conn(t, slot, conn_id);
	if(bc != NULL && bc->wwsf != NULL)
		rc = copy_out(buf, len, bc->wwsf);
	unlock_idx(t, conn_lock(t, slot));
	return rc;
}

/* Answered from the IMPU table, which is authoritative: the index may hold
 * a reservation of a save still in progress. */
bool wic_btable_conn_has_impu(wic_btable_t *t, int conn_id, const char *impu)
{
	char key[WIC_URI_NORM_MAX];
	uint32_t h;
	unsigned slot;
	bimpu_t *e;
	bool found = false;

	if(t == NULL || (impu = key_of(impu, key, sizeof(key))) == NULL)
		return false;
	h = hash_str(impu);
	slot = impu_slot(t, h);
	lock_idx(t, slot);
	e = *find_impu(t, impu, h);
	for(bcontact_t *b = e != NULL ? e->contacts : NULL; b && !found;
			b = b->next)
		found = b->conn_id == conn_id;
	unlock_idx(t, slot);
	return found;
}

int wic_btable_conn_default_impu(
		wic_btable_t *t, int conn_id, char *buf, size_t len)
{
	unsigned slot;
	bconn_t *bc;
	int rc = -1;

	if(t == NULL)
		return -1;
	slot = conn_slot(t, conn_id);
	lock_idx(t, conn_lock(t, slot));
	bc = *find_conn(t, slot, conn_id);
	if(bc != NULL && bc->impus != NULL)
		rc = copy_out(buf, len, bc->impus->name);
	unlock_idx(t, conn_lock(t, slot));
	return rc;
}

/* ---- counters --------------------------------------------------------- */

unsigned wic_btable_contacts(wic_btable_t *t)
{
	return t ? __atomic_load_n(&t->n_contacts, __ATOMIC_RELAXED) : 0;
}

unsigned wic_btable_impus(wic_btable_t *t)
{
	return t ? __atomic_load_n(&t->n_impus, __ATOMIC_RELAXED) : 0;
}

unsigned wic_btable_conns(wic_btable_t *t)
{
	return t ? __atomic_load_n(&t->n_conns, __ATOMIC_RELAXED) : 0;
}
