/*
 * SPDX-License-Identifier: GPL-2.0-or-later
 * Copyright (C) 2026 the ims_wic authors
 *
 * Unit tests of the binding table (wic_bind.c) with counting fakes for the
 * memory and lock hooks: every allocation must be freed, every lock
 * released, no two locks held at once, and no event delivered under a lock.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "wic_bind.h"

#include "fake_shm.h"

/* ---- event recorder --------------------------------------------------- */

typedef struct events {
	int added, removed;
	char last[128];
	char last_range[128];
} events_t;

static void on_event(
		void *ctx, wic_bind_event_t ev, const char *impu, const char *range)
{
	events_t *e = ctx;

	assert_int_equal(fk.held, -1); /* delivered after unlocking */
	if(ev == WIC_EV_IMPU_ADDED)
		e->added++;
	else
		e->removed++;
	snprintf(e->last, sizeof(e->last), "%s", impu);
	assert_non_null(range);
	snprintf(e->last_range, sizeof(e->last_range), "%s", range);
}

typedef struct fixture {
	wic_btable_t *t;
	events_t ev;
} fixture_t;

static int setup_n(void **state, unsigned max_contacts)
{
	fixture_t *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	fake_shm_reset();
	f->t = wic_btable_create(16, max_contacts, &mem_ops, &lock_ops, on_event,
			&f->ev);
	assert_non_null(f->t);
	*state = f;
	return 0;
}

static int setup(void **state)
{
	return setup_n(state, 0);
}

static int setup_limit2(void **state)
{
	return setup_n(state, 2);
}

static int teardown(void **state)
{
	fixture_t *f = *state;

	wic_btable_destroy(f->t);
	free(f);
	assert_int_equal(fk.held, -1);
	assert_int_equal(fk.locks, fk.unlocks);
	assert_int_equal(fk.live_allocs, 0);
	assert_int_equal(fk.live_bytes, 0);
	return 0;
}

/* ---- helpers ---------------------------------------------------------- */

#define NOW 1000000

static wic_contact_t contact(const char *uri, const char *instance,
		unsigned reg_id, int conn_id, const char *call_id, unsigned cseq)
{
	wic_contact_t c = {
		.uri = uri,
		.instance = instance,
		.reg_id = reg_id,
		.conn_id = conn_id,
		.socket = "tls:127.0.0.1:8443",
		.received = "sip:192.0.2.7:50123;transport=ws",
		.user_agent = "JsSIP 3.10.1",
		.call_id = call_id,
		.cseq = cseq,
		.expires = NOW + 600,
		.token_exp = NOW + 3600,
		.wwsf = "wwsf1",
	};
	return c;
}

typedef struct seen {
	int n;
	int held_ok;
	wic_contact_t last;
	char uri[128], instance[128], impu[128];
} seen_t;

static void visit_copy(void *ctx, const char *impu, const wic_contact_t *c)
{
	seen_t *s = ctx;

	s->n++;
	s->last = *c;
	snprintf(s->uri, sizeof(s->uri), "%s", c->uri);
	snprintf(s->instance, sizeof(s->instance), "%s", c->instance);
	snprintf(s->impu, sizeof(s->impu), "%s", impu);
	s->last.uri = s->uri;
	s->last.instance = s->instance;
	s->held_ok = fk.held != -1; /* lookup visits under the slot lock */
}

static const char *A = "sip:alice!x@wwsf.lab";
static const char *B = "sip:bob@wwsf.lab";

/* ---- tests ------------------------------------------------------------ */

static void test_create_destroy_and_lock_layout(void **state)
{
	fixture_t *f = *state;
	wic_contact_t c = contact("sip:a@h", "", 0, 5, "cid", 1);

	assert_int_equal(wic_btable_locks_needed(16), 32);
	assert_int_equal(wic_btable_locks_needed(1000), 2048);
	assert_int_equal(wic_btable_locks_needed(0), 2);
	for(int i = 0; i < 200; i++) {
		char impu[32];
		snprintf(impu, sizeof(impu), "sip:u%d@h", i);
		c.conn_id = i * 7919;
		assert_int_equal(wic_btable_save(f->t, impu, &c), WIC_SAVE_CREATED);
	}
	assert_true(fk.max_idx < wic_btable_locks_needed(16));
	assert_int_equal(wic_btable_contacts(f->t), 200);
	assert_int_equal(wic_btable_impus(f->t), 200);
	assert_int_equal(wic_btable_conns(f->t), 200);
	/* destroy with live bindings frees everything (checked in teardown) */
}

static void test_save_and_lookup_copy_fields(void **state)
{
	fixture_t *f = *state;
	wic_contact_t c = contact("sip:x@192.0.2.7;transport=ws",
			"<urn:uuid:1>", 1, 42, "call-1", 7);
	seen_t s = {0};

	assert_int_equal(wic_btable_save(f->t, A, &c), WIC_SAVE_CREATED);
	assert_int_equal(f->ev.added, 1);
	assert_string_equal(f->ev.last, A);
	assert_int_equal(wic_btable_lookup(f->t, A, NOW, visit_copy, &s), 1);
	assert_true(s.held_ok);
	assert_string_equal(s.impu, A);
	assert_string_equal(s.uri, "sip:x@192.0.2.7;transport=ws");
	assert_string_equal(s.instance, "<urn:uuid:1>");
	assert_int_equal(s.last.reg_id, 1);
	assert_int_equal(s.last.conn_id, 42);
	assert_int_equal(s.last.cseq, 7);
	assert_int_equal(s.last.expires, NOW + 600);
	assert_int_equal(s.last.token_exp, NOW + 3600);
	assert_int_equal(wic_btable_lookup(f->t, B, NOW, visit_copy, &s), 0);
	assert_int_equal(wic_btable_lookup(f->t, A, NOW, NULL, NULL), 1);
}

static void test_null_strings_are_empty(void **state)
{
	fixture_t *f = *state;
	wic_contact_t c = {.uri = "sip:a@h", .conn_id = 1, .expires = NOW + 5};
	seen_t s = {0};

	assert_int_equal(wic_btable_save(f->t, A, &c), WIC_SAVE_CREATED);
	assert_int_equal(wic_btable_lookup(f->t, A, NOW, visit_copy, &s), 1);
	assert_string_equal(s.instance, "");
	c.uri = NULL; /* no URI: nothing stored */
	assert_int_equal(wic_btable_save(f->t, B, &c), WIC_SAVE_NOMEM);
	assert_int_equal(wic_btable_save(f->t, NULL, &c), WIC_SAVE_NOMEM);
	assert_int_equal(wic_btable_contacts(f->t), 1);
}

static void test_refresh_by_instance_and_reg_id(void **state)
{
	fixture_t *f = *state;
	wic_contact_t c = contact("sip:one@h", "<urn:uuid:1>", 1, 1, "c1", 1);
	seen_t s = {0};

	assert_int_equal(wic_btable_save(f->t, A, &c), WIC_SAVE_CREATED);
	c.uri = "sip:two@h"; /* same flow, new contact URI */
	c.cseq = 2;
	assert_int_equal(wic_btable_save(f->t, A, &c), WIC_SAVE_REFRESHED);
	assert_int_equal(wic_btable_lookup(f->t, A, NOW, visit_copy, &s), 1);
	assert_string_equal(s.uri, "sip:two@h");
	c.reg_id = 2; /* second flow of the same instance */
	assert_int_equal(wic_btable_save(f->t, A, &c), WIC_SAVE_CREATED);
	c.instance = "<urn:uuid:2>";
	assert_int_equal(wic_btable_save(f->t, A, &c), WIC_SAVE_CREATED);
	assert_int_equal(wic_btable_contacts(f->t), 3);
	assert_int_equal(wic_btable_impus(f->t), 1);
	assert_int_equal(f->ev.added, 1);
}

static void test_refresh_by_uri_without_instance(void **state)
{
	fixture_t *f = *state;
	wic_contact_t c = contact("sip:one@h", "", 0, 1, "c1", 1);

	assert_int_equal(wic_btable_save(f->t, A, &c), WIC_SAVE_CREATED);
	c.cseq = 2;
	assert_int_equal(wic_btable_save(f->t, A, &c), WIC_SAVE_REFRESHED);
	c.uri = "sip:other@h";
	assert_int_equal(wic_btable_save(f->t, A, &c), WIC_SAVE_CREATED);
	/* an instance contact does not match a plain one with the same URI */
	c.instance = "<urn:uuid:9>";
	assert_int_equal(wic_btable_save(f->t, A, &c), WIC_SAVE_CREATED);
	assert_int_equal(wic_btable_contacts(f->t), 3);
}

static void test_rfc3261_ordering(void **state)
{
	fixture_t *f = *state;
	wic_contact_t c = contact("sip:one@h", "<urn:uuid:1>", 1, 1, "c1", 5);
	seen_t s = {0};

	assert_int_equal(wic_btable_save(f->t, A, &c), WIC_SAVE_CREATED);
	c.cseq = 5;
	c.expires = NOW + 9999;
	assert_int_equal(wic_btable_save(f->t, A, &c), WIC_SAVE_OUT_OF_ORDER);
	c.cseq = 4;
	assert_int_equal(wic_btable_save(f->t, A, &c), WIC_SAVE_OUT_OF_ORDER);
	assert_int_equal(wic_btable_lookup(f->t, A, NOW, visit_copy, &s), 1);
	assert_int_equal(s.last.expires, NOW + 600); /* nothing changed */
	c.call_id = "c2"; /* new Call-ID: any CSeq */
	c.cseq = 1;
	assert_int_equal(wic_btable_save(f->t, A, &c), WIC_SAVE_REFRESHED);
	c.cseq = 2;
	assert_int_equal(wic_btable_save(f->t, A, &c), WIC_SAVE_REFRESHED);
	/* removal obeys the same rule */
	c.cseq = 2;
	assert_int_equal(wic_btable_remove(f->t, A, &c), -1);
	assert_int_equal(wic_btable_contacts(f->t), 1);
	c.cseq = 3;
	assert_int_equal(wic_btable_remove(f->t, A, &c), 1);
	assert_int_equal(wic_btable_contacts(f->t), 0);
}

static void test_max_contacts_limit(void **state)
{
	fixture_t *f = *state;
	wic_contact_t c = contact("sip:1@h", "", 0, 1, "c", 1);

	assert_int_equal(wic_btable_save(f->t, A, &c), WIC_SAVE_CREATED);
	c.uri = "sip:2@h";
	assert_int_equal(wic_btable_save(f->t, A, &c), WIC_SAVE_CREATED);
	c.uri = "sip:3@h";
	assert_int_equal(wic_btable_save(f->t, A, &c), WIC_SAVE_LIMIT);
	/* a refresh is not limited */
	c.uri = "sip:2@h";
	c.cseq = 2;
	assert_int_equal(wic_btable_save(f->t, A, &c), WIC_SAVE_REFRESHED);
	/* per-call limit (e.g. per WWSF) overrides the table's */
	c.uri = "sip:3@h";
	assert_int_equal(wic_btable_save_limit(f->t, A, &c, 3), WIC_SAVE_CREATED);
	c.uri = "sip:4@h";
	assert_int_equal(wic_btable_save_limit(f->t, A, &c, 3), WIC_SAVE_LIMIT);
	assert_int_equal(wic_btable_contacts(f->t), 3);
	/* the rejected contact left nothing in the connection index */
	assert_int_equal(wic_btable_conns(f->t), 1);
	assert_int_equal(wic_btable_remove_conn(f->t, 1), 3);
	assert_int_equal(wic_btable_conns(f->t), 0);
}

static void test_limit_one_does_not_leave_empty_impu(void **state)
{
	fixture_t *f = *state;
	wic_contact_t c = contact("sip:1@h", "", 0, 1, "c", 1);

	assert_int_equal(wic_btable_save_limit(f->t, A, &c, 1), WIC_SAVE_CREATED);
	c.uri = "sip:2@h";
	assert_int_equal(wic_btable_save_limit(f->t, A, &c, 1), WIC_SAVE_LIMIT);
	assert_int_equal(wic_btable_impus(f->t), 1);
	assert_int_equal(wic_btable_contacts(f->t), 1);
}

static void test_remove_one_and_all(void **state)
{
	fixture_t *f = *state;
	wic_contact_t c1 = contact("sip:1@h", "", 0, 1, "c", 1);
	wic_contact_t c2 = contact("sip:2@h", "", 0, 2, "d", 1);

	assert_int_equal(wic_btable_save(f->t, A, &c1), WIC_SAVE_CREATED);
	assert_int_equal(wic_btable_save(f->t, A, &c2), WIC_SAVE_CREATED);
	assert_int_equal(wic_btable_save(f->t, B, &c2), WIC_SAVE_CREATED);
	c1.cseq = 2;
	assert_int_equal(wic_btable_remove(f->t, A, &c1), 1);
	assert_int_equal(f->ev.removed, 0); /* A still has c2 */
	assert_false(wic_btable_conn_has_impu(f->t, 1, A));
	assert_int_equal(wic_btable_remove(f->t, A, &c1), 0); /* already gone */
	assert_int_equal(wic_btable_remove(f->t, "sip:nobody@h", &c1), 0);
	assert_int_equal(wic_btable_remove_all(f->t, A), 1);
	assert_int_equal(f->ev.removed, 1);
	assert_string_equal(f->ev.last, A);
	assert_int_equal(wic_btable_remove_all(f->t, A), 0);
	assert_int_equal(wic_btable_impus(f->t), 1);
	/* connection 1 held only A's contact: the index entry is gone */
	assert_int_equal(wic_btable_conns(f->t), 1);
	assert_true(wic_btable_conn_has_impu(f->t, 2, B));
}

/* A de-registration without credential removes only the sender's own
 * contacts: same connection, same Call-ID, a higher CSeq; else nothing. */
static void test_remove_own(void **state)
{
	fixture_t *f = *state;
	wic_contact_t tab = contact("sip:t1@h", "<urn:uuid:1>", 1, 7, "c7", 3);
	wic_contact_t other = contact("sip:t2@h", "<urn:uuid:2>", 1, 8, "c8", 1);
	wic_contact_t name = contact("sip:t1@h", "<urn:uuid:1>", 1, 0, NULL, 0);

	assert_int_equal(wic_btable_save(f->t, A, &tab), WIC_SAVE_CREATED);
	assert_int_equal(wic_btable_save(f->t, A, &other), WIC_SAVE_CREATED);
	/* another connection, another Call-ID, a CSeq not higher: refused */
	assert_int_equal(wic_btable_remove_own(f->t, A, 8, "c7", 4, &name, 1), -1);
	assert_int_equal(wic_btable_remove_own(f->t, A, 7, "c8", 4, &name, 1), -1);
	assert_int_equal(wic_btable_remove_own(f->t, A, 7, "c7", 3, &name, 1), -1);
	assert_int_equal(wic_btable_remove_own(f->t, A, 7, "c7", 2, &name, 1), -1);
	/* a contact that is not there, the other tab's, another IMPU */
	name.instance = "<urn:uuid:9>";
	assert_int_equal(wic_btable_remove_own(f->t, A, 7, "c7", 4, &name, 1), -1);
	name.instance = "<urn:uuid:2>";
	assert_int_equal(wic_btable_remove_own(f->t, A, 8, "c7", 4, &name, 1), -1);
	name.instance = "<urn:uuid:1>";
	assert_int_equal(wic_btable_remove_own(f->t, B, 7, "c7", 4, &name, 1), -1);
	/* one own and one foreign named: all or nothing */
	wic_contact_t both[2] = {name, other};
	assert_int_equal(wic_btable_remove_own(f->t, A, 7, "c7", 4, both, 2), -1);
	/* Contact: * while another connection holds a contact */
	assert_int_equal(wic_btable_remove_own(f->t, A, 7, "c7", 4, NULL, 0), -1);
	assert_int_equal(wic_btable_contacts(f->t), 2);
	assert_int_equal(f->ev.removed, 0);
	/* its own: removed, the other tab stays */
	assert_int_equal(wic_btable_remove_own(f->t, A, 7, "c7", 4, &name, 1), 1);
	assert_int_equal(wic_btable_contacts(f->t), 1);
	assert_false(wic_btable_conn_has_impu(f->t, 7, A));
	assert_true(wic_btable_conn_has_impu(f->t, 8, A));
	assert_int_equal(f->ev.removed, 0);
	/* gone: a repeat is refused (nothing of its own left) */
	assert_int_equal(wic_btable_remove_own(f->t, A, 7, "c7", 5, &name, 1), -1);
	/* Contact: * when every contact is its own */
	assert_int_equal(wic_btable_remove_own(f->t, A, 8, "c8", 2, NULL, 0), 1);
	assert_int_equal(f->ev.removed, 1);
	assert_int_equal(wic_btable_impus(f->t), 0);
	assert_int_equal(wic_btable_conns(f->t), 0);
	assert_int_equal(wic_btable_remove_own(f->t, A, 8, "c8", 3, NULL, 0), -1);
	assert_int_equal(wic_btable_remove_own(NULL, A, 8, "c8", 3, NULL, 0), -1);
	assert_int_equal(wic_btable_remove_own(f->t, A, 8, NULL, 3, NULL, 0), -1);
	assert_int_equal(wic_btable_remove_own(f->t, A, 8, "c8", 3, NULL, 2), -1);
}

/* The same by URI, for contacts without +sip.instance. */
static void test_remove_own_by_uri(void **state)
{
	fixture_t *f = *state;
	wic_contact_t c = contact("sip:u1@h;transport=ws", "", 0, 3, "cu", 10);
	wic_contact_t name = contact("sip:u1@h;transport=ws", "", 0, 0, NULL, 0);

	assert_int_equal(wic_btable_save(f->t, B, &c), WIC_SAVE_CREATED);
	name.uri = "sip:u2@h;transport=ws";
	assert_int_equal(wic_btable_remove_own(f->t, B, 3, "cu", 11, &name, 1), -1);
	name.uri = "sip:u1@h;transport=ws";
	assert_int_equal(wic_btable_remove_own(f->t, B, 3, "cu", 11, &name, 1), 1);
	assert_int_equal(wic_btable_contacts(f->t), 0);
}

typedef struct removed_log {
	int n;
	int unlocked;
} removed_log_t;

static void on_removed(void *ctx, const char *impu, const wic_contact_t *c)
{
	removed_log_t *l = ctx;

	(void)impu;
	assert_int_equal(c->conn_id, 7);
	l->n++;
	l->unlocked += fk.held == -1;
}

static void test_remove_conn(void **state)
{
	fixture_t *f = *state;
	wic_contact_t c = contact("sip:1@h", "<urn:uuid:1>", 1, 7, "c", 1);
	removed_log_t log = {0};
	char buf[64];

	assert_int_equal(wic_btable_conn_set_wwsf(f->t, 7, "wwsf1"), 0);
	assert_int_equal(wic_btable_save(f->t, A, &c), WIC_SAVE_CREATED);
	c.reg_id = 2;
	assert_int_equal(wic_btable_save(f->t, A, &c), WIC_SAVE_CREATED);
	assert_int_equal(wic_btable_save(f->t, B, &c), WIC_SAVE_CREATED);
	c.conn_id = 8; /* another tab of B on another connection */
	c.instance = "<urn:uuid:2>";
	assert_int_equal(wic_btable_save(f->t, B, &c), WIC_SAVE_CREATED);
	assert_int_equal(wic_btable_conns(f->t), 2);

	assert_int_equal(wic_btable_remove_conn_cb(f->t, 7, on_removed, &log), 3);
	assert_int_equal(log.n, 3);
	assert_int_equal(log.unlocked, 3);
	assert_int_equal(f->ev.removed, 1); /* A went, B is still on conn 8 */
	assert_string_equal(f->ev.last, A);
	assert_int_equal(wic_btable_contacts(f->t), 1);
	assert_int_equal(wic_btable_conn_wwsf(f->t, 7, buf, sizeof(buf)), -1);
	assert_false(wic_btable_conn_has_impu(f->t, 7, B));
	assert_true(wic_btable_conn_has_impu(f->t, 8, B));
	assert_int_equal(wic_btable_remove_conn(f->t, 7), 0); /* twice: no-op */
	assert_int_equal(wic_btable_remove_conn(f->t, 8), 1);
	assert_int_equal(wic_btable_conns(f->t), 0);
	assert_int_equal(wic_btable_impus(f->t), 0);
}

/* alive() of the sweep: ids listed in ctx are gone; no lock may be held */
typedef struct gone_set {
	int ids[8];
	int n;
	int asked;
	int asked_under_lock;
} gone_set_t;

static bool sweep_alive(void *ctx, int conn_id)
{
	gone_set_t *g = ctx;

	g->asked++;
	g->asked_under_lock += fk.held != -1;
	for(int i = 0; i < g->n; i++)
		if(g->ids[i] == conn_id)
			return false;
	return true;
}

static void test_sweep_drops_gone_connections(void **state)
{
	fixture_t *f = *state;
	wic_contact_t c = contact("sip:1@h", "<urn:uuid:1>", 1, 7, "c", 1);
	gone_set_t g = {.ids = {7, 9, 42}, .n = 3};
	unsigned dropped = 99;
	char buf[64];

	/* conn 7: two IMPUs; conn 8: one, alive; conn 9: only a WWSF mark */
	assert_int_equal(wic_btable_save(f->t, A, &c), WIC_SAVE_CREATED);
	assert_int_equal(wic_btable_save(f->t, B, &c), WIC_SAVE_CREATED);
	c.conn_id = 8;
	c.instance = "<urn:uuid:2>";
	assert_int_equal(wic_btable_save(f->t, B, &c), WIC_SAVE_CREATED);
	assert_int_equal(wic_btable_conn_set_wwsf(f->t, 9, "wwsf1"), 0);
	assert_int_equal(wic_btable_conns(f->t), 3);

	assert_int_equal(wic_btable_sweep(f->t, sweep_alive, &g, &dropped), 2);
	assert_int_equal(dropped, 2); /* 7 and 9; 42 was never in the index */
	assert_int_equal(g.asked, 3);
	assert_int_equal(g.asked_under_lock, 0);
	assert_int_equal(f->ev.removed, 1); /* A; B is still on conn 8 */
	assert_false(wic_btable_conn_has_impu(f->t, 7, A));
	assert_true(wic_btable_conn_has_impu(f->t, 8, B));
	assert_int_equal(wic_btable_conn_wwsf(f->t, 9, buf, sizeof(buf)), -1);
	assert_int_equal(wic_btable_contacts(f->t), 1);
	assert_int_equal(wic_btable_conns(f->t), 1);
	/* nothing left to drop: a second sweep changes nothing */
	assert_int_equal(wic_btable_sweep(f->t, sweep_alive, &g, &dropped), 0);
	assert_int_equal(dropped, 0);
	assert_int_equal(wic_btable_sweep(NULL, sweep_alive, &g, NULL), 0);
	assert_int_equal(wic_btable_sweep(f->t, NULL, &g, NULL), 0);
}

static bool sweep_all_gone(void *ctx, int conn_id)
{
	(void)conn_id;
	*(int *)ctx += fk.held != -1;
	return false;
}

/* More connections in one slot than a batch holds: every one is reached. */
static void test_sweep_long_chain(void **state)
{
	fixture_t *f = *state;
	wic_contact_t c = contact("sip:1@h", "", 0, 0, "c", 1);
	char impu[64];
	int under_lock = 0, n = 0;
	unsigned dropped;

	/* 16 slots: 300 connections put about 19 in each, 200 of them hold a
	 * contact */
	for(int id = 1; id <= 300; id++) {
		assert_int_equal(wic_btable_conn_set_wwsf(f->t, id, "wwsf1"), 0);
		if(id > 200)
			continue;
		snprintf(impu, sizeof(impu), "sip:u%d@wwsf.lab", id);
		c.conn_id = id;
		assert_int_equal(wic_btable_save(f->t, impu, &c), WIC_SAVE_CREATED);
		n++;
	}
	assert_int_equal(wic_btable_sweep(f->t, sweep_all_gone, &under_lock,
							 &dropped),
			n);
	assert_int_equal(dropped, 300);
	assert_int_equal(under_lock, 0);
	assert_int_equal(wic_btable_conns(f->t), 0);
	assert_int_equal(wic_btable_contacts(f->t), 0);
	assert_int_equal(f->ev.removed, 200);
}

static void test_expire_and_lookup_skip(void **state)
{
	fixture_t *f = *state;
	wic_contact_t c = contact("sip:1@h", "", 0, 1, "c", 1);

	c.expires = NOW + 10;
	c.token_exp = NOW + 100;
	assert_int_equal(wic_btable_save(f->t, A, &c), WIC_SAVE_CREATED);
	c.uri = "sip:2@h"; /* token expires first */
	c.expires = NOW + 100;
	c.token_exp = NOW + 20;
	assert_int_equal(wic_btable_save(f->t, A, &c), WIC_SAVE_CREATED);
	c.uri = "sip:3@h"; /* no token bound */
	c.token_exp = 0;
	assert_int_equal(wic_btable_save(f->t, B, &c), WIC_SAVE_CREATED);

	assert_int_equal(wic_btable_lookup(f->t, A, NOW + 10, NULL, NULL), 1);
	assert_int_equal(wic_btable_lookup(f->t, A, NOW + 20, NULL, NULL), 0);
	assert_int_equal(wic_btable_foreach(f->t, NULL, NULL), 3);
	assert_int_equal(wic_btable_expire(f->t, NOW + 9), 0);
	assert_int_equal(wic_btable_expire(f->t, NOW + 10), 1);
	assert_int_equal(f->ev.removed, 0);
	assert_int_equal(wic_btable_expire(f->t, NOW + 50), 1);
	assert_int_equal(f->ev.removed, 1);
	assert_true(wic_btable_conn_has_impu(f->t, 1, B));
	assert_int_equal(wic_btable_expire(f->t, NOW + 100), 1);
	assert_int_equal(f->ev.removed, 2);
	assert_int_equal(wic_btable_contacts(f->t), 0);
	assert_int_equal(wic_btable_conns(f->t), 0);
}

static void test_conn_index(void **state)
{
	fixture_t *f = *state;
	wic_contact_t c = contact("sip:1@h", "<urn:uuid:1>", 1, 3, "c", 1);
	char buf[64], tiny[4];

	assert_int_equal(wic_btable_conn_wwsf(f->t, 3, buf, sizeof(buf)), -1);
	assert_int_equal(wic_btable_conn_set_wwsf(f->t, 3, "wwsf-one"), 0);
	assert_int_equal(wic_btable_conn_set_wwsf(f->t, 3, "wwsf-two"), 0);
	assert_int_equal(wic_btable_conn_wwsf(f->t, 3, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "wwsf-two");
	assert_int_equal(wic_btable_conn_wwsf(f->t, 3, tiny, sizeof(tiny)), -1);
	assert_int_equal(wic_btable_conn_default_impu(f->t, 3, buf, sizeof(buf)),
			-1);

	assert_int_equal(wic_btable_save(f->t, B, &c), WIC_SAVE_CREATED);
	assert_int_equal(wic_btable_save(f->t, A, &c), WIC_SAVE_CREATED);
	assert_int_equal(wic_btable_conn_default_impu(f->t, 3, buf, sizeof(buf)),
			0);
	assert_string_equal(buf, B); /* first registered */
	assert_int_equal(wic_btable_conn_default_impu(f->t, 3, tiny,
			sizeof(tiny)), -1);
	assert_true(wic_btable_conn_has_impu(f->t, 3, A));
	assert_false(wic_btable_conn_has_impu(f->t, 4, A));

	/* the flow of B re-registers over a new connection: it moves */
	c.conn_id = 4;
	c.cseq = 2;
	assert_int_equal(wic_btable_save(f->t, B, &c), WIC_SAVE_REFRESHED);
	assert_false(wic_btable_conn_has_impu(f->t, 3, B));
	assert_true(wic_btable_conn_has_impu(f->t, 4, B));
	assert_int_equal(wic_btable_conn_default_impu(f->t, 3, buf, sizeof(buf)),
			0);
	assert_string_equal(buf, A);
	assert_int_equal(wic_btable_remove_conn(f->t, 3), 1);
	assert_int_equal(wic_btable_contacts(f->t), 1);
	/* conn 4 never had a WWSF mark: it vanishes with its last contact */
	assert_int_equal(wic_btable_remove_all(f->t, B), 1);
	assert_int_equal(wic_btable_conns(f->t), 0);
}

static void test_foreach_visits_all(void **state)
{
	fixture_t *f = *state;
	wic_contact_t c = contact("sip:1@h", "", 0, 1, "c", 1);
	seen_t s = {0};

	for(int i = 0; i < 50; i++) {
		char impu[32];
		snprintf(impu, sizeof(impu), "sip:user%d@h", i);
		assert_int_equal(wic_btable_save(f->t, impu, &c), WIC_SAVE_CREATED);
	}
	assert_int_equal(wic_btable_foreach(f->t, visit_copy, &s), 50);
	assert_int_equal(s.n, 50);
	assert_int_equal(f->ev.added, 50);
}

/* The listing as keys "impu contact", in visiting order. */
typedef struct order {
	int n, stop_after;
	char keys[200][64];
} order_t;

static void order_all(void *ctx, const char *impu, const wic_contact_t *c)
{
	order_t *o = ctx;

	assert_true(o->n < 200);
	snprintf(o->keys[o->n++], sizeof(o->keys[0]), "%s %s", impu, c->uri);
}

static int order_page(void *ctx, const char *impu, const wic_contact_t *c)
{
	order_t *o = ctx;

	assert_true(fk.held != -1); /* visited under the slot lock */
	order_all(ctx, impu, c);
	return o->n >= o->stop_after;
}

/* Pages of any size, taken one after the other, are the whole listing in
 * the order of wic_btable_foreach, each contact once, with IMPUs of several
 * contacts cut anywhere by a page boundary. */
static void test_foreach_from_pages(void **state)
{
	fixture_t *f = *state;
	order_t all = {0}, *pg = calloc(1, sizeof(*pg));
	char impu[32], uri[32];

	assert_non_null(pg);
	for(int i = 0; i < 60; i++) {
		snprintf(impu, sizeof(impu), "sip:user%d@h", i);
		for(int k = 0; k <= i % 3; k++) { /* 1, 2 or 3 contacts */
			snprintf(uri, sizeof(uri), "sip:%d-%d@h", i, k);
			wic_contact_t c = contact(uri, "", 0, i, "c", 1);
			assert_int_equal(wic_btable_save(f->t, impu, &c), WIC_SAVE_CREATED);
		}
	}
	assert_int_equal(wic_btable_foreach(f->t, order_all, &all), 120);
	for(unsigned size = 1; size <= 121; size += 7) {
		unsigned offset = 0;
		int got;

		memset(pg, 0, sizeof(*pg));
		do {
			int before = pg->n;
			pg->stop_after = pg->n + (int)size;
			got = wic_btable_foreach_from(f->t, offset, order_page, pg);
			assert_int_equal(got, pg->n - before);
			assert_true(got <= (int)size);
			offset += (unsigned)got;
		} while(got == (int)size);
		assert_int_equal(pg->n, 120);
		for(int i = 0; i < 120; i++)
			assert_string_equal(pg->keys[i], all.keys[i]);
	}
	assert_int_equal(wic_btable_foreach_from(f->t, 120, order_page, pg), 0);
	assert_int_equal(wic_btable_foreach_from(f->t, 5000, order_page, pg), 0);
	assert_int_equal(wic_btable_foreach_from(f->t, 0, NULL, pg), 0);
	assert_int_equal(wic_btable_foreach_from(NULL, 0, order_page, pg), 0);
	free(pg);
}

/* Every allocation of a save may fail: nothing half-done may remain. */
static void test_nomem_leaves_no_trace(void **state)
{
	fixture_t *f = *state;
	wic_contact_t c = contact("sip:1@h", "", 0, 1, "c", 1);
	long base = fk.live_allocs;

	for(long k = 1; k <= 4; k++) {
		fk.fail_in = k;
		assert_int_equal(wic_btable_save(f->t, A, &c), WIC_SAVE_NOMEM);
		assert_int_equal(fk.live_allocs, base);
		assert_int_equal(wic_btable_contacts(f->t), 0);
		assert_int_equal(wic_btable_impus(f->t), 0);
		assert_int_equal(wic_btable_conns(f->t), 0);
	}
	fk.fail_in = 5; /* 4 allocations suffice */
	assert_int_equal(wic_btable_save(f->t, A, &c), WIC_SAVE_CREATED);
	fk.fail_in = 0;
	assert_int_equal(f->ev.added, 1);
	fk.fail_in = 1;
	assert_int_equal(wic_btable_conn_set_wwsf(f->t, 9, "w"), -1);
	fk.fail_in = 2;
	assert_int_equal(wic_btable_conn_set_wwsf(f->t, 9, "w"), -1);
	fk.fail_in = 0;
	assert_int_equal(wic_btable_conns(f->t), 1);
	assert_int_equal(wic_btable_remove_conn(f->t, 1), 1);
	assert_int_equal(fk.live_allocs, base);
}

static void test_null_table(void **state)
{
	wic_contact_t c = contact("sip:1@h", "", 0, 1, "c", 1);
	char buf[8];

	(void)state;
	assert_null(wic_btable_create(16, 0, NULL, &lock_ops, NULL, NULL));
	assert_int_equal(wic_btable_save(NULL, A, &c), WIC_SAVE_NOMEM);
	assert_int_equal(wic_btable_remove(NULL, A, &c), 0);
	assert_int_equal(wic_btable_remove_conn(NULL, 1), 0);
	assert_int_equal(wic_btable_expire(NULL, NOW), 0);
	assert_int_equal(wic_btable_lookup(NULL, A, NOW, NULL, NULL), 0);
	assert_int_equal(wic_btable_conn_wwsf(NULL, 1, buf, sizeof(buf)), -1);
	assert_false(wic_btable_conn_has_impu(NULL, 1, A));
	assert_int_equal(wic_btable_contacts(NULL), 0);
	wic_btable_destroy(NULL);
}

/* 100,000 WICs, one connection each, then every connection closes. */
#define BENCH_N 100000

/* The range admission chose is kept with the contact, shown by every
 * visitor, and named by the events of the IMPU's first and last contact,
 * however the last one goes. */
static void test_range_stored_with_binding(void **state)
{
	fixture_t *f = *state;
	wic_contact_t a = contact("sip:a@x.invalid", "", 0, 7, "cid-a", 1);
	wic_contact_t b = contact("sip:b@x.invalid", "", 0, 8, "cid-b", 1);
	seen_t s = {0};

	a.range = "sip:demo@wwsf.lab";
	b.range = "sip:other@wwsf.lab";
	assert_int_equal(wic_btable_save(f->t, "sip:u@wwsf.lab", &a),
			WIC_SAVE_CREATED);
	assert_string_equal(f->ev.last_range, "sip:demo@wwsf.lab");
	assert_int_equal(wic_btable_save(f->t, "sip:u@wwsf.lab", &b),
			WIC_SAVE_CREATED);
	assert_int_equal(f->ev.added, 1);
	assert_int_equal(wic_btable_lookup(f->t, "sip:u@wwsf.lab", NOW, NULL, NULL),
			2);
	assert_int_equal(wic_btable_remove_conn(f->t, 7), 1);
	assert_int_equal(f->ev.removed, 0);
	/* the event of the last contact names that contact's range */
	assert_int_equal(wic_btable_remove_conn(f->t, 8), 1);
	assert_int_equal(f->ev.removed, 1);
	assert_string_equal(f->ev.last_range, "sip:other@wwsf.lab");
	/* by expiry, and a NULL range saved as "" */
	a.range = NULL;
	assert_int_equal(wic_btable_save(f->t, "sip:v@wwsf.lab", &a),
			WIC_SAVE_CREATED);
	assert_string_equal(f->ev.last_range, "");
	assert_int_equal(wic_btable_foreach(f->t, visit_copy, &s), 1);
	assert_string_equal(s.last.range, "");
	b.range = "sip:demo@wwsf.lab";
	assert_int_equal(wic_btable_save(f->t, "sip:w@wwsf.lab", &b),
			WIC_SAVE_CREATED);
	assert_int_equal(wic_btable_expire(f->t, NOW + 601), 2);
	assert_int_equal(f->ev.removed, 3);
}

static void test_bench_100k_remove_by_conn(void **state)
{
	wic_btable_t *t;
	events_t ev = {0};
	long long base, full;
	char impu[64], uri[96], inst[64], cid[40];

	(void)state;
	fake_shm_reset();
	t = wic_btable_create(65536, 0, &mem_ops, &lock_ops, on_event, &ev);
	assert_non_null(t);
	base = fk.live_bytes;
	for(int i = 0; i < BENCH_N; i++) {
		wic_contact_t c;

		snprintf(impu, sizeof(impu), "sip:wic%06d@wwsf1.example.com", i);
		snprintf(uri, sizeof(uri),
				"sip:k3p9x%06d@df7jal23ls0d.invalid;transport=ws", i);
		snprintf(inst, sizeof(inst),
				"<urn:uuid:9c4f1a2e-3b5d-4e6f-8a7b-%012d>", i);
		snprintf(cid, sizeof(cid), "h4kd93nf8s7d6f5g%06d", i);
		c = contact(uri, inst, 1, 1000 + i, cid, 1);
		assert_int_equal(wic_btable_conn_set_wwsf(t, 1000 + i, "wwsf1"), 0);
		assert_int_equal(wic_btable_save(t, impu, &c), WIC_SAVE_CREATED);
	}
	full = fk.live_bytes;
	assert_int_equal(wic_btable_contacts(t), BENCH_N);
	assert_int_equal(wic_btable_conns(t), BENCH_N);
	printf("bench: %d bindings, %.1f bytes of shared memory per binding "
		   "(%.1f allocations each, table %lld bytes)\n",
			BENCH_N, (double)(full - base) / BENCH_N,
			(double)fk.live_allocs / BENCH_N, base);
	assert_true((full - base) / BENCH_N <= 1024);

	for(int i = 0; i < BENCH_N; i++)
		assert_int_equal(wic_btable_remove_conn(t, 1000 + i), 1);
	assert_int_equal(ev.added, BENCH_N);
	assert_int_equal(ev.removed, BENCH_N);
	assert_int_equal(wic_btable_contacts(t), 0);
	assert_int_equal(wic_btable_impus(t), 0);
	assert_int_equal(wic_btable_conns(t), 0);
	assert_int_equal(fk.live_bytes, base);
	wic_btable_destroy(t);
	assert_int_equal(fk.live_allocs, 0);
	assert_int_equal(fk.live_bytes, 0);
	assert_int_equal(fk.locks, fk.unlocks);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_create_destroy_and_lock_layout,
				setup, teardown),
		cmocka_unit_test_setup_teardown(test_save_and_lookup_copy_fields,
				setup, teardown),
		cmocka_unit_test_setup_teardown(test_null_strings_are_empty, setup,
				teardown),
		cmocka_unit_test_setup_teardown(test_refresh_by_instance_and_reg_id,
				setup, teardown),
		cmocka_unit_test_setup_teardown(test_refresh_by_uri_without_instance,
				setup, teardown),
		cmocka_unit_test_setup_teardown(test_rfc3261_ordering, setup,
				teardown),
		cmocka_unit_test_setup_teardown(test_max_contacts_limit,
				setup_limit2, teardown),
		cmocka_unit_test_setup_teardown(
				test_limit_one_does_not_leave_empty_impu, setup, teardown),
		cmocka_unit_test_setup_teardown(test_remove_one_and_all, setup,
				teardown),
		cmocka_unit_test_setup_teardown(test_remove_conn, setup, teardown),
		cmocka_unit_test_setup_teardown(test_remove_own, setup, teardown),
		cmocka_unit_test_setup_teardown(test_remove_own_by_uri, setup,
				teardown),
		cmocka_unit_test_setup_teardown(
				test_sweep_drops_gone_connections, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sweep_long_chain, setup,
				teardown),
		cmocka_unit_test_setup_teardown(test_expire_and_lookup_skip, setup,
				teardown),
		cmocka_unit_test_setup_teardown(test_conn_index, setup, teardown),
		cmocka_unit_test_setup_teardown(test_foreach_visits_all, setup,
				teardown),
		cmocka_unit_test_setup_teardown(test_foreach_from_pages, setup,
				teardown),
		cmocka_unit_test_setup_teardown(test_nomem_leaves_no_trace, setup,
				teardown),
		cmocka_unit_test_setup_teardown(test_range_stored_with_binding, setup,
				teardown),
		cmocka_unit_test(test_null_table),
		cmocka_unit_test(test_bench_100k_remove_by_conn),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
