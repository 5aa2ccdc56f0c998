/*
 * SPDX-License-Identifier: GPL-2.0-or-later
 * Copyright (C) 2026 the ims_wic authors
 *
 * Unit tests of the range registration state machine and of the
 * P-Associated-URI parser (wic_rstate.c), with counting fakes for the
 * memory and lock hooks and an injected random source.
 */
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "wic_prov.h"
#include "wic_rstate.h"

#include "fake_shm.h"

/* Jitter source: a fixed value, or a counter when counting. */
static unsigned rnd_value;
static int rnd_counting;

static unsigned fake_random(void)
{
	return rnd_counting ? rnd_value++ : rnd_value;
}

/* ---- due recorder ----------------------------------------------------- */

typedef struct due_log {
	int n;
	char pui[8][64];
	wic_rs_action_t action[8];
	unsigned expires[8];
	char names[8][3][64]; /* wildcard, impi, realm */
	char call_id[8][WIC_RS_CALLID_MAX];
	char from_tag[8][WIC_RS_TAG_MAX];
	unsigned cseq[8];
	int dropped;
	char dropped_pui[64];
	int dropped_code;
	char dropped_why[128];
} due_log_t;

static void on_due(void *ctx, const wic_rs_due_t *d)
{
	due_log_t *l = ctx;

	assert_int_equal(fk.held, -1); /* called without the lock */
	assert_true(l->n < 8);
	snprintf(l->pui[l->n], sizeof(l->pui[0]), "%s", d->distinct_pui);
	snprintf(l->names[l->n][0], sizeof(l->names[0][0]), "%s", d->wildcard);
	snprintf(l->names[l->n][1], sizeof(l->names[0][0]), "%s", d->impi);
	snprintf(l->names[l->n][2], sizeof(l->names[0][0]), "%s", d->realm);
	l->action[l->n] = d->action;
	l->expires[l->n] = d->expires;
	assert_non_null(d->call_id);
	assert_true(strlen(d->call_id) > 0);
	assert_true(strlen(d->from_tag) > 0);
	assert_true(d->cseq > 0);
	snprintf(l->call_id[l->n], sizeof(l->call_id[0]), "%s", d->call_id);
	snprintf(l->from_tag[l->n], sizeof(l->from_tag[0]), "%s", d->from_tag);
	l->cseq[l->n] = d->cseq;
	l->n++;
}

static void on_dropped(void *ctx, const wic_rs_dropped_t *d)
{
	due_log_t *l = ctx;

	assert_int_equal(fk.held, -1);
	l->dropped++;
	snprintf(l->dropped_pui, sizeof(l->dropped_pui), "%s", d->distinct_pui);
	l->dropped_code = d->last_code;
	snprintf(l->dropped_why, sizeof(l->dropped_why), "%s", d->why);
}

static const wic_rs_hooks_t hooks = {on_due, on_dropped};

/* ---- fixture ---------------------------------------------------------- */

#define T0 1700000000
#define R1 "sip:range1@wwsf.lab"
#define R2 "sip:range2@wwsf.lab"
#define R3 "sip:range3@wwsf.lab"
#define W1 "sip:wic!.*!@wwsf.lab"

static const wic_rs_timing_t timing = {2, 300, 600, 32, 300};

static int setup(void **state)
{
	fake_shm_reset();
	rnd_value = 0;
	rnd_counting = 0;
	*state = wic_rstate_create(&mem_ops, &lock_ops, &timing, fake_random);
	assert_non_null(*state);
	return 0;
}

static int teardown(void **state)
{
	wic_rstate_destroy(*state);
	assert_int_equal(fk.held, -1);
	assert_int_equal(fk.locks, fk.unlocks);
	assert_int_equal(fk.max_idx, 0); /* the range table has one lock */
	assert_int_equal(fk.live_allocs, 0);
	return 0;
}

static wic_rs_config_t cfg(const char *pui, unsigned triggers, unsigned linger)
{
	wic_rs_config_t c = {
			pui, W1, triggers, 3600, linger, "range@wwsf.lab", "wwsf.lab"};
	return c;
}

static void sync1(wic_rstate_t *rs, const char *pui, unsigned triggers,
		unsigned linger, time_t now)
{
	wic_rs_config_t c = cfg(pui, triggers, linger);
	assert_int_equal(wic_rstate_sync(rs, &c, 1, now), 0);
}

static wic_rs_view_t view(wic_rstate_t *rs, const char *pui, time_t now)
{
	wic_rs_view_t v;

	memset(&v, 0xa5, sizeof(v));
	assert_int_equal(wic_rstate_view(rs, pui, now, &v), 0);
	return v;
}

/* The whole Service-Route and P-Associated-URI kept for pui ("" none). */
static void expect_lists(
		wic_rstate_t *rs, const char *pui, const char *sr, const char *pau)
{
	char *got_sr, *got_pau;

	assert_int_equal(wic_rstate_lists(rs, pui, &mem_ops, &got_sr, &got_pau), 0);
	assert_string_equal(got_sr ? got_sr : "", sr);
	assert_string_equal(got_pau ? got_pau : "", pau);
	mem_ops.release(got_sr);
	mem_ops.release(got_pau);
}

/* run() must send exactly one action for pui; its log in *out. */
static void expect_sent(wic_rstate_t *rs, time_t now, const char *pui,
		wic_rs_action_t action, due_log_t *out)
{
	memset(out, 0, sizeof(*out));
	assert_int_equal(wic_rstate_run(rs, now, &hooks, out), 1);
	assert_string_equal(out->pui[0], pui);
	assert_int_equal(out->action[0], action);
}

/* run() must send exactly one action for pui. */
static void expect_action(wic_rstate_t *rs, time_t now, const char *pui,
		wic_rs_action_t action)
{
	due_log_t log = {0};

	assert_int_equal(wic_rstate_run(rs, now, &hooks, &log), 1);
	assert_string_equal(log.pui[0], pui);
	assert_int_equal(log.action[0], action);
	assert_int_equal(log.expires[0],
			action == WIC_RS_SEND_REGISTER ? 3600u : 0u);
}

static void expect_nothing(wic_rstate_t *rs, time_t now)
{
	due_log_t log = {0};

	assert_int_equal(wic_rstate_run(rs, now, &hooks, &log), 0);
}

static void bring_up(wic_rstate_t *rs, const char *pui, time_t now)
{
	expect_action(rs, now, pui, WIC_RS_SEND_REGISTER);
	assert_int_equal(wic_rstate_on_reply(rs, pui, 200, 3600,
			"<sip:orig@scscf.ims;lr>", "<sip:range1@wwsf.lab>, <" W1 ">",
			now), 0);
	assert_int_equal(view(rs, pui, now).state, WIC_RS_UP);
}

/* ---- state machine ---------------------------------------------------- */

static void test_state_names(void **state)
{
	(void)state;
	assert_string_equal(wic_rs_state_name(WIC_RS_DOWN), "down");
	assert_string_equal(wic_rs_state_name(WIC_RS_REGISTERING), "registering");
	assert_string_equal(wic_rs_state_name(WIC_RS_UP), "up");
	assert_string_equal(wic_rs_state_name(WIC_RS_DEREGISTERING),
			"deregistering");
	assert_string_equal(wic_rs_state_name((wic_rs_state_t)42), "unknown");
}

static void test_startup_due_at_once(void **state)
{
	wic_rstate_t *rs = *state;
	wic_rs_config_t c[2] = {cfg(R1, WIC_TRIGGER_STARTUP, 0),
			cfg(R2, WIC_TRIGGER_ON_DEMAND, 60)};

	assert_int_equal(wic_rstate_sync(rs, c, 2, T0), 0);
	assert_int_equal(view(rs, R1, T0).state, WIC_RS_DOWN);
	expect_action(rs, T0, R1, WIC_RS_SEND_REGISTER); /* R2 waits for WICs */
	assert_int_equal(view(rs, R1, T0).state, WIC_RS_REGISTERING);
	expect_nothing(rs, T0 + 1); /* reply pending */
	assert_int_equal(view(rs, R2, T0).next_action, 0);
}

static void test_reply_up_and_refresh_time(void **state)
{
	wic_rstate_t *rs = *state;
	wic_rs_view_t v;

	sync1(rs, R1, WIC_TRIGGER_STARTUP, 0, T0);
	bring_up(rs, R1, T0);
	v = view(rs, R1, T0);
	assert_int_equal(v.expires_at, T0 + 3600);
	assert_int_equal(v.next_action, T0 + 1800); /* min(1800, 3000) */
	assert_int_equal(v.attempts, 0);
	assert_int_equal(v.last_code, 200);
	assert_string_equal(v.last_error, "");
	assert_null(v.service_route); /* not copied by view() */
	expect_lists(rs, R1, "<sip:orig@scscf.ims;lr>",
			"<sip:range1@wwsf.lab>, <" W1 ">");
	assert_int_equal(wic_rstate_retry_after(rs, R1, T0), 0);

	/* refresh: stays UP (WICs still admitted), new expiry on 200 */
	expect_nothing(rs, T0 + 1799);
	expect_action(rs, T0 + 1800, R1, WIC_RS_SEND_REGISTER);
	assert_int_equal(view(rs, R1, T0 + 1800).state, WIC_RS_UP);
	assert_int_equal(wic_rstate_retry_after(rs, R1, T0 + 1800), 0);
	expect_nothing(rs, T0 + 1801);
	assert_int_equal(wic_rstate_on_reply(rs, R1, 200, 1000, NULL, NULL,
			T0 + 1800), 0);
	v = view(rs, R1, T0 + 1800);
	assert_int_equal(v.expires_at, T0 + 2800);
	assert_int_equal(v.next_action, T0 + 1800 + 400); /* 1000 - 600 */
	expect_lists(rs, R1, "", "");

	/* a tiny grant is never refreshed more often than every 5 s */
	expect_action(rs, T0 + 2200, R1, WIC_RS_SEND_REGISTER);
	assert_int_equal(wic_rstate_on_reply(rs, R1, 200, 4, NULL, NULL,
			T0 + 2200), 0);
	assert_int_equal(view(rs, R1, T0 + 2200).next_action, T0 + 2205);
}

static void test_failure_backoff_growth_and_cap(void **state)
{
	wic_rstate_t *rs = *state;
	/* random 0: the lower jitter bound, ceil(base / 2) */
	const unsigned expected[] = {1, 2, 4, 8, 16, 32, 64, 128, 150, 150, 150};
	time_t now = T0;

	sync1(rs, R1, WIC_TRIGGER_STARTUP, 0, T0);
	for(unsigned k = 0; k < sizeof(expected) / sizeof(expected[0]); k++) {
		wic_rs_view_t v;

		expect_action(rs, now, R1, WIC_RS_SEND_REGISTER);
		assert_int_equal(wic_rstate_on_reply(rs, R1, 503, 0, NULL, NULL,
				now), 0);
		v = view(rs, R1, now);
		assert_int_equal(v.state, WIC_RS_DOWN);
		assert_int_equal(v.attempts, k + 1);
		assert_int_equal(v.last_code, 503);
		assert_string_equal(v.last_error, "registration failed (503)");
		assert_int_equal(v.next_action - now, expected[k]);
		assert_int_equal(wic_rstate_retry_after(rs, R1, now), expected[k]);
		now = v.next_action;
		expect_nothing(rs, now - 1);
	}
	/* success resets the back-off */
	expect_action(rs, now, R1, WIC_RS_SEND_REGISTER);
	assert_int_equal(wic_rstate_on_reply(rs, R1, 200, 3600, NULL, NULL, now),
			0);
	assert_int_equal(view(rs, R1, now).attempts, 0);
}

static void test_jitter_bounds(void **state)
{
	wic_rstate_t *rs = *state;
	const unsigned base[] = {2, 4, 8, 16, 32, 64, 128, 256, 300, 300, 300, 300};
	time_t now = T0;

	rnd_counting = 1;
	sync1(rs, R1, WIC_TRIGGER_STARTUP, 0, T0);
	for(unsigned k = 0; k < sizeof(base) / sizeof(base[0]); k++) {
		for(unsigned trial = 0; trial < 40; trial++) {
			time_t d;

			/* replay attempt k+1 with different random values */
			wic_rs_view_t v;

			expect_action(rs, now, R1, WIC_RS_SEND_REGISTER);
			assert_int_equal(wic_rstate_on_reply(rs, R1, 0, 0, NULL, NULL,
					now), 0);
			v = view(rs, R1, now);
			d = v.next_action - now;
			assert_true(d >= (time_t)(base[k] - base[k] / 2));
			assert_true(d <= (time_t)base[k]);
			now = v.next_action;
			if(trial + 1 < 40) { /* stay at this attempt count */
				assert_int_equal(wic_rstate_force(rs, R1,
						WIC_RS_SEND_REGISTER, now), 0);
				for(unsigned i = 0; i < k; i++) {
					expect_action(rs, now, R1, WIC_RS_SEND_REGISTER);
					assert_int_equal(wic_rstate_on_reply(rs, R1, 500, 0,
							NULL, NULL, now), 0);
					now = view(rs, R1, now).next_action;
				}
			}
		}
	}
}

static void test_reply_timeout(void **state)
{
	wic_rstate_t *rs = *state;
	wic_rs_view_t v;

	sync1(rs, R1, WIC_TRIGGER_STARTUP, 0, T0);
	expect_action(rs, T0, R1, WIC_RS_SEND_REGISTER);
	assert_int_equal(view(rs, R1, T0).next_action, T0 + 32); /* deadline */
	expect_nothing(rs, T0 + 31);
	expect_nothing(rs, T0 + 32); /* timed out: back-off before retrying */
	v = view(rs, R1, T0 + 32);
	assert_int_equal(v.state, WIC_RS_DOWN);
	assert_int_equal(v.last_code, 0);
	assert_int_equal(v.attempts, 1);
	assert_string_equal(v.last_error, "registration timed out");
	/* the late reply finds no request in flight */
	assert_int_equal(wic_rstate_on_reply(rs, R1, 200, 3600, NULL, NULL,
			T0 + 33), -1);
	assert_int_equal(view(rs, R1, T0 + 33).state, WIC_RS_DOWN);
	expect_action(rs, v.next_action, R1, WIC_RS_SEND_REGISTER);
	/* code 0 reported by the caller is a timeout as well */
	assert_int_equal(wic_rstate_on_reply(rs, R1, 0, 0, NULL, NULL,
			v.next_action), 0);
	assert_int_equal(view(rs, R1, v.next_action).attempts, 2);
}

static void test_reply_unknown_or_unexpected(void **state)
{
	wic_rstate_t *rs = *state;

	assert_int_equal(wic_rstate_on_reply(rs, "sip:nope@h", 200, 3600, NULL,
			NULL, T0), -1);
	assert_int_equal(wic_rstate_on_reply(rs, NULL, 200, 3600, NULL, NULL,
			T0), -1);
	sync1(rs, R1, WIC_TRIGGER_STARTUP, 0, T0);
	assert_int_equal(wic_rstate_on_reply(rs, R1, 200, 3600, NULL, NULL, T0),
			-1); /* nothing sent yet */
	expect_action(rs, T0, R1, WIC_RS_SEND_REGISTER);
	assert_int_equal(wic_rstate_on_reply(rs, R1, 100, 0, NULL, NULL, T0), 0);
	assert_int_equal(view(rs, R1, T0).state, WIC_RS_REGISTERING);
	/* a 2xx without a granted expiry registered nothing */
	assert_int_equal(wic_rstate_on_reply(rs, R1, 200, 0, NULL, NULL, T0), 0);
	assert_int_equal(view(rs, R1, T0).state, WIC_RS_DOWN);
	assert_string_equal(view(rs, R1, T0).last_error,
			"2xx without granted expiry (200)");
	assert_int_equal(wic_rstate_view(rs, "sip:nope@h", T0,
			&(wic_rs_view_t){0}), -1);
	assert_int_equal(wic_rstate_wic_added(rs, "sip:nope@h", T0), -1);
	assert_int_equal(wic_rstate_wic_removed(rs, "sip:nope@h", T0), -1);
	assert_int_equal(wic_rstate_wic_removed(rs, R1, T0), -1); /* count 0 */
	assert_int_equal(wic_rstate_force(rs, "sip:nope@h",
			WIC_RS_SEND_REGISTER, T0), -1);
	assert_int_equal(wic_rstate_retry_after(rs, "sip:nope@h", T0), 0);
}

static void on_demand_lifecycle(wic_rstate_t *rs, unsigned trigger)
{
	time_t t = T0 + 100;

	sync1(rs, R1, trigger, 60, T0);
	expect_nothing(rs, T0);
	assert_int_equal(wic_rstate_wic_added(rs, R1, T0), 0);
	bring_up(rs, R1, T0);
	assert_int_equal(wic_rstate_wic_added(rs, R1, T0), 0);
	assert_int_equal(view(rs, R1, T0).wic_count, 2);
	assert_int_equal(wic_rstate_wic_removed(rs, R1, t), 0);
	assert_int_equal(wic_rstate_wic_removed(rs, R1, t), 0);
	expect_nothing(rs, t + 59); /* lingering */
	assert_int_equal(wic_rstate_wic_added(rs, R1, t + 30), 0); /* cancel */
	expect_nothing(rs, t + 60);
	assert_int_equal(wic_rstate_wic_removed(rs, R1, t + 40), 0);
	expect_nothing(rs, t + 99);
	expect_action(rs, t + 100, R1, WIC_RS_SEND_DEREGISTER);
	assert_int_equal(view(rs, R1, t + 100).state, WIC_RS_DEREGISTERING);
	assert_int_equal(wic_rstate_retry_after(rs, R1, t + 100), 1);
	assert_int_equal(wic_rstate_on_reply(rs, R1, 200, 0, NULL, NULL,
			t + 100), 0);
	assert_int_equal(view(rs, R1, t + 100).state, WIC_RS_DOWN);
	expect_lists(rs, R1, "", "");
	expect_nothing(rs, t + 1000);
}

static void test_on_demand_linger_and_cancel(void **state)
{
	on_demand_lifecycle(*state, WIC_TRIGGER_ON_DEMAND);
}

static void test_token_trigger_like_on_demand(void **state)
{
	on_demand_lifecycle(*state, WIC_TRIGGER_TOKEN);
}

static void test_linger_zero_and_startup_stays(void **state)
{
	wic_rstate_t *rs = *state;
	wic_rs_config_t c[2] = {cfg(R1, WIC_TRIGGER_ON_DEMAND, 0),
			cfg(R2, WIC_TRIGGER_STARTUP | WIC_TRIGGER_ON_DEMAND, 0)};

	assert_int_equal(wic_rstate_sync(rs, c, 2, T0), 0);
	assert_int_equal(wic_rstate_wic_added(rs, R1, T0), 0);
	assert_int_equal(wic_rstate_wic_added(rs, R2, T0), 0);
	assert_int_equal(wic_rstate_run(rs, T0, NULL, NULL), 2);
	assert_int_equal(wic_rstate_on_reply(rs, R1, 200, 3600, NULL, NULL, T0),
			0);
	assert_int_equal(wic_rstate_on_reply(rs, R2, 200, 3600, NULL, NULL, T0),
			0);
	assert_int_equal(wic_rstate_wic_removed(rs, R1, T0 + 5), 0);
	assert_int_equal(wic_rstate_wic_removed(rs, R2, T0 + 5), 0);
	/* linger 0: at once; a startup range stays registered */
	expect_action(rs, T0 + 5, R1, WIC_RS_SEND_DEREGISTER);
}

static void test_wic_back_during_deregistration(void **state)
{
	wic_rstate_t *rs = *state;

	sync1(rs, R1, WIC_TRIGGER_ON_DEMAND, 0, T0);
	assert_int_equal(wic_rstate_wic_added(rs, R1, T0), 0);
	bring_up(rs, R1, T0);
	assert_int_equal(wic_rstate_wic_removed(rs, R1, T0 + 1), 0);
	expect_action(rs, T0 + 1, R1, WIC_RS_SEND_DEREGISTER);
	assert_int_equal(wic_rstate_wic_added(rs, R1, T0 + 2), 0);
	assert_int_equal(wic_rstate_on_reply(rs, R1, 200, 0, NULL, NULL, T0 + 2),
			0);
	expect_action(rs, T0 + 2, R1, WIC_RS_SEND_REGISTER);
}

static void test_deregistration_failure_goes_down(void **state)
{
	wic_rstate_t *rs = *state;

	sync1(rs, R1, WIC_TRIGGER_ON_DEMAND, 0, T0);
	assert_int_equal(wic_rstate_wic_added(rs, R1, T0), 0);
	bring_up(rs, R1, T0);
	assert_int_equal(wic_rstate_wic_removed(rs, R1, T0), 0);
	expect_action(rs, T0, R1, WIC_RS_SEND_DEREGISTER);
	assert_int_equal(wic_rstate_on_reply(rs, R1, 500, 0, NULL, NULL, T0), 0);
	assert_int_equal(view(rs, R1, T0).state, WIC_RS_DOWN);
	assert_string_equal(view(rs, R1, T0).last_error,
			"de-registration failed (500)");
	expect_nothing(rs, T0 + 1);
}

static void test_refresh_failure_keeps_up_until_expiry(void **state)
{
	wic_rstate_t *rs = *state;
	wic_rs_view_t v;
	time_t t;

	sync1(rs, R1, WIC_TRIGGER_STARTUP, 0, T0);
	expect_action(rs, T0, R1, WIC_RS_SEND_REGISTER);
	assert_int_equal(wic_rstate_on_reply(rs, R1, 200, 100, "<sip:sr@h;lr>",
			NULL, T0), 0);
	expect_action(rs, T0 + 50, R1, WIC_RS_SEND_REGISTER);
	assert_int_equal(wic_rstate_on_reply(rs, R1, 500, 0, NULL, NULL,
			T0 + 50), 0);
	v = view(rs, R1, T0 + 50);
	assert_int_equal(v.state, WIC_RS_UP); /* still registered */
	assert_int_equal(v.attempts, 1);
	assert_int_equal(v.expires_at, T0 + 100);
	expect_lists(rs, R1, "<sip:sr@h;lr>", "");
	/* refreshes keep failing until the registration lapses */
	for(t = v.next_action; t < T0 + 100; t = view(rs, R1, t).next_action) {
		expect_action(rs, t, R1, WIC_RS_SEND_REGISTER);
		assert_int_equal(wic_rstate_on_reply(rs, R1, 0, 0, NULL, NULL, t), 0);
	}
	expect_nothing(rs, T0 + 100);
	v = view(rs, R1, T0 + 100);
	assert_int_equal(v.state, WIC_RS_DOWN);
	assert_string_equal(v.last_error, "registration expired");
	expect_lists(rs, R1, "", "");
	assert_true(wic_rstate_retry_after(rs, R1, T0 + 100) >= 1);
}

static void test_sync_keeps_state_and_removes(void **state)
{
	wic_rstate_t *rs = *state;
	wic_rs_config_t c1[2] = {cfg(R1, WIC_TRIGGER_STARTUP, 0),
			cfg(R2, WIC_TRIGGER_STARTUP, 0)};
	wic_rs_config_t c2[2] = {cfg(R1, WIC_TRIGGER_STARTUP, 0),
			cfg(R3, WIC_TRIGGER_ON_DEMAND, 0)};
	wic_rs_view_t v;

	assert_int_equal(wic_rstate_sync(rs, c1, 2, T0), 0);
	assert_int_equal(wic_rstate_run(rs, T0, NULL, NULL), 2);
	assert_int_equal(wic_rstate_on_reply(rs, R1, 200, 3600, NULL, NULL, T0),
			0);
	assert_int_equal(wic_rstate_on_reply(rs, R2, 403, 0, NULL, NULL, T0), 0);
	/* reload: R1 kept (UP), R2 dropped at the next run (DOWN), R3 new */
	c2[0].wildcard = "sip:new!.*!@wwsf.lab";
	c2[0].expires = 600;
	assert_int_equal(wic_rstate_sync(rs, c2, 2, T0 + 1), 0);
	v = view(rs, R1, T0 + 1);
	assert_int_equal(v.state, WIC_RS_UP);
	assert_int_equal(v.expires_at, T0 + 3600);
	assert_int_equal(v.removed, 0);
	assert_int_equal(view(rs, R2, T0 + 1).removed, 1);
	expect_nothing(rs, T0 + 1);
	assert_int_equal(wic_rstate_view(rs, R2, T0, &v), -1);
	assert_int_equal(view(rs, R3, T0).state, WIC_RS_DOWN);
	/* R1 dropped while UP: de-registered, then forgotten */
	assert_int_equal(wic_rstate_sync(rs, &c2[1], 1, T0 + 2), 0);
	expect_action(rs, T0 + 2, R1, WIC_RS_SEND_DEREGISTER);
	assert_int_equal(wic_rstate_wic_added(rs, R1, T0 + 2), 0);
	assert_int_equal(wic_rstate_on_reply(rs, R1, 200, 0, NULL, NULL, T0 + 2),
			0);
	expect_nothing(rs, T0 + 3);
	assert_int_equal(wic_rstate_view(rs, R1, T0 + 3, &v), -1);
	/* empty configuration: R3 (never registered) leaves at the next run */
	assert_int_equal(wic_rstate_sync(rs, NULL, 0, T0 + 4), 0);
	assert_int_equal(wic_rstate_foreach(rs, T0 + 4, NULL, NULL), 1);
	expect_nothing(rs, T0 + 4);
	assert_int_equal(wic_rstate_foreach(rs, T0 + 4, NULL, NULL), 0);
}

/* ---- ranges removed by a reload --------------------------------------- */

/* R1 up, then gone from the provisioning at now: returns the log of the
 * de-registration run() sends. */
static due_log_t remove_up_range(wic_rstate_t *rs, time_t now)
{
	due_log_t log = {0};

	sync1(rs, R1, WIC_TRIGGER_STARTUP, 0, T0);
	bring_up(rs, R1, T0);
	assert_int_equal(wic_rstate_sync(rs, NULL, 0, now), 0);
	assert_int_equal(wic_rstate_run(rs, now, &hooks, &log), 1);
	assert_int_equal(log.action[0], WIC_RS_SEND_DEREGISTER);
	return log;
}

static void test_removed_range_deregistered_from_state(void **state)
{
	wic_rstate_t *rs = *state;
	due_log_t log = remove_up_range(rs, T0 + 10);
	wic_rs_view_t v = view(rs, R1, T0 + 10);

	/* everything the REGISTER needs comes from the state */
	assert_string_equal(log.pui[0], R1);
	assert_string_equal(log.names[0][0], W1);
	assert_string_equal(log.names[0][1], "range@wwsf.lab");
	assert_string_equal(log.names[0][2], "wwsf.lab");
	assert_int_equal(log.expires[0], 0);
	assert_int_equal(v.state, WIC_RS_DEREGISTERING);
	assert_int_equal(v.removed, 1);
	assert_int_equal(v.dereg_until, T0 + 10 + 300);
	/* still there until the IMS Core answered */
	memset(&log, 0, sizeof(log));
	assert_int_equal(wic_rstate_run(rs, T0 + 11, &hooks, &log), 0);
	assert_int_equal(log.dropped, 0);
	assert_int_equal(wic_rstate_on_reply(rs, R1, 200, 0, NULL, NULL, T0 + 11),
			0);
	assert_int_equal(wic_rstate_run(rs, T0 + 11, &hooks, &log), 0);
	assert_int_equal(log.dropped, 1);
	assert_string_equal(log.dropped_pui, R1);
	assert_int_equal(log.dropped_code, 200);
	assert_string_equal(log.dropped_why, "");
	assert_int_equal(wic_rstate_view(rs, R1, T0 + 11, &v), -1);
}

static void test_removed_range_retried_then_given_up(void **state)
{
	wic_rstate_t *rs = *state;
	due_log_t log;
	wic_rs_view_t v;
	time_t t = T0 + 10;
	int sent = 1;

	remove_up_range(rs, t);
	assert_int_equal(wic_rstate_on_reply(rs, R1, 503, 0, NULL, NULL, t), 0);
	v = view(rs, R1, t);
	assert_int_equal(v.state, WIC_RS_DEREGISTERING); /* waiting to retry */
	assert_int_equal(v.attempts, 1);
	assert_true(v.next_action >= t + 1 && v.next_action <= t + 2);
	assert_string_equal(v.last_error, "de-registration failed, retrying (503)");
	assert_int_equal(wic_rstate_on_reply(rs, R1, 200, 0, NULL, NULL, t), -1);
	expect_nothing(rs, v.next_action - 1);
	/* every retry times out (no IMS Core): back-off until the bound */
	for(;;) {
		memset(&log, 0, sizeof(log));
		t = view(rs, R1, t).next_action; /* never past the bound */
		assert_true(t <= T0 + 10 + 300);
		if(wic_rstate_run(rs, t, &hooks, &log) == 0)
			break;
		assert_int_equal(log.action[0], WIC_RS_SEND_DEREGISTER);
		sent++;
		t += 32; /* reply_timeout */
		memset(&log, 0, sizeof(log));
		assert_int_equal(wic_rstate_run(rs, t, &hooks, &log), 0);
		if(log.dropped)
			break;
	}
	assert_int_equal(log.dropped, 1);
	assert_true(t >= T0 + 10 + 300 && t <= T0 + 10 + 300 + 32);
	assert_true(sent >= 4 && sent < 12);
	assert_string_equal(log.dropped_pui, R1);
	assert_int_equal(log.dropped_code, 0);
	assert_non_null(strstr(log.dropped_why, "de-registration given up after"));
	assert_int_equal(wic_rstate_view(rs, R1, t, &v), -1);
}

static void test_removed_range_waiting_given_up_at_bound(void **state)
{
	wic_rstate_t *rs = *state;
	due_log_t log = {0};

	remove_up_range(rs, T0 + 10);
	/* a failure close to the bound: the retry would come after it */
	assert_int_equal(wic_rstate_on_reply(rs, R1, 500, 0, NULL, NULL,
			T0 + 309), 0);
	assert_int_equal(wic_rstate_run(rs, T0 + 310, &hooks, &log), 0);
	assert_int_equal(log.dropped, 1);
	assert_string_equal(log.dropped_why,
			"de-registration given up after 1 attempt(s) (500)");
}

static void test_removed_range_refused_or_lapsed(void **state)
{
	wic_rstate_t *rs = *state;
	due_log_t log = {0};

	/* a final answer: nothing to retry */
	remove_up_range(rs, T0 + 10);
	assert_int_equal(wic_rstate_on_reply(rs, R1, 403, 0, NULL, NULL, T0 + 10),
			0);
	assert_int_equal(wic_rstate_run(rs, T0 + 10, &hooks, &log), 0);
	assert_int_equal(log.dropped, 1);
	assert_int_equal(log.dropped_code, 403);
	assert_string_equal(log.dropped_why,
			"de-registration refused after 1 attempt(s) (403)");

	/* the registration runs out while waiting to retry */
	memset(&log, 0, sizeof(log));
	sync1(rs, R1, WIC_TRIGGER_STARTUP, 0, T0);
	expect_action(rs, T0, R1, WIC_RS_SEND_REGISTER);
	assert_int_equal(wic_rstate_on_reply(rs, R1, 200, 20, NULL, NULL, T0), 0);
	assert_int_equal(wic_rstate_sync(rs, NULL, 0, T0 + 19), 0);
	expect_action(rs, T0 + 19, R1, WIC_RS_SEND_DEREGISTER);
	assert_int_equal(wic_rstate_on_reply(rs, R1, 408, 0, NULL, NULL, T0 + 19),
			0);
	assert_int_equal(wic_rstate_run(rs, T0 + 20, &hooks, &log), 0);
	assert_int_equal(log.dropped, 1);
	assert_non_null(strstr(log.dropped_why, "lapsed"));
}

static void test_removed_range_provisioned_again(void **state)
{
	wic_rstate_t *rs = *state;
	wic_rs_view_t v;

	remove_up_range(rs, T0 + 10);
	assert_int_equal(wic_rstate_on_reply(rs, R1, 503, 0, NULL, NULL, T0 + 10),
			0);
	/* back before the retry: still registered, so refreshed */
	sync1(rs, R1, WIC_TRIGGER_STARTUP, 0, T0 + 11);
	v = view(rs, R1, T0 + 11);
	assert_int_equal(v.state, WIC_RS_UP);
	assert_int_equal(v.removed, 0);
	assert_int_equal(v.dereg_until, 0);
	expect_action(rs, T0 + 11, R1, WIC_RS_SEND_REGISTER);
	/* a later removal gets a fresh bound */
	assert_int_equal(wic_rstate_on_reply(rs, R1, 200, 3600, NULL, NULL,
			T0 + 11), 0);
	assert_int_equal(wic_rstate_sync(rs, NULL, 0, T0 + 20), 0);
	assert_int_equal(view(rs, R1, T0 + 20).dereg_until, T0 + 320);
	expect_action(rs, T0 + 20, R1, WIC_RS_SEND_DEREGISTER);
	/* a second reload keeps the bound of the first */
	assert_int_equal(wic_rstate_sync(rs, NULL, 0, T0 + 30), 0);
	assert_int_equal(view(rs, R1, T0 + 30).dereg_until, T0 + 320);
	assert_int_equal(wic_rstate_on_reply(rs, R1, 200, 0, NULL, NULL, T0 + 30),
			0);
}

static void test_removed_down_range_dropped_at_once(void **state)
{
	wic_rstate_t *rs = *state;
	due_log_t log = {0};

	sync1(rs, R2, WIC_TRIGGER_ON_DEMAND, 0, T0);
	assert_int_equal(wic_rstate_sync(rs, NULL, 0, T0 + 1), 0);
	assert_int_equal(wic_rstate_run(rs, T0 + 1, &hooks, &log), 0);
	assert_int_equal(log.dropped, 1);
	assert_int_equal(log.dropped_code, 0);
	assert_string_equal(log.dropped_why, "");
	/* no hooks at all is fine too */
	sync1(rs, R2, WIC_TRIGGER_ON_DEMAND, 0, T0);
	assert_int_equal(wic_rstate_sync(rs, NULL, 0, T0 + 1), 0);
	assert_int_equal(wic_rstate_run(rs, T0 + 1, NULL, NULL), 0);
	assert_int_equal(wic_rstate_foreach(rs, T0 + 1, NULL, NULL), 0);
}

/* ---- many ranges: the PUI hash ---------------------------------------- */

typedef struct order_check {
	int n;
	int bad;
	int step; /* expected PUI numbers: 0, step, 2 * step, ... */
} order_check_t;

static void on_range_order(void *ctx, const char *pui, const char *wildcard,
		const wic_rs_view_t *v)
{
	order_check_t *o = ctx;
	char want[64];

	(void)wildcard;
	(void)v;
	snprintf(want, sizeof(want), "sip:r%d@wwsf.lab", o->n * o->step);
	o->bad += strcmp(pui, want) != 0;
	o->n++;
}

static void test_many_ranges_hash(void **state)
{
	wic_rstate_t *rs = *state;
	enum { N = 3000 };
	static char puis[N][32];
	static wic_rs_config_t c[N];
	wic_rs_view_t v;
	order_check_t o = {0, 0, 1};
	size_t half = 0;

	for(int i = 0; i < N; i++) {
		snprintf(puis[i], sizeof(puis[i]), "sip:r%d@wwsf.lab", i);
		c[i] = cfg(puis[i], WIC_TRIGGER_ON_DEMAND, 0);
	}
	/* grown in two steps: 100, then all */
	assert_int_equal(wic_rstate_sync(rs, c, 100, T0), 0);
	assert_int_equal(wic_rstate_sync(rs, c, N, T0), 0);
	for(int i = 0; i < N; i++) {
		assert_int_equal(wic_rstate_wic_added(rs, puis[i], T0), 0);
		assert_int_equal(wic_rstate_view(rs, puis[i], T0, &v), 0);
		assert_int_equal(v.wic_count, 1);
		assert_int_equal(wic_rstate_wic_removed(rs, puis[i], T0), 0);
	}
	assert_int_equal(wic_rstate_view(rs, "sip:r3000@wwsf.lab", T0, &v), -1);
	assert_int_equal(wic_rstate_foreach(rs, T0, on_range_order, &o), N);
	assert_int_equal(o.bad, 0);
	/* keep the even ones: the odd ones are dropped (down, no WICs) */
	for(int i = 0; i < N; i += 2)
		c[half++] = cfg(puis[i], WIC_TRIGGER_ON_DEMAND, 0);
	assert_int_equal(wic_rstate_sync(rs, c, half, T0 + 1), 0);
	wic_rstate_run(rs, T0 + 1, NULL, NULL);
	for(int i = 0; i < N; i++)
		assert_int_equal(wic_rstate_view(rs, puis[i], T0 + 1, &v),
				i % 2 == 0 ? 0 : -1);
	o = (order_check_t){0, 0, 2};
	assert_int_equal(wic_rstate_foreach(rs, T0 + 1, on_range_order, &o),
			(int)half);
	assert_int_equal(o.bad, 0);
	/* and back: the odd ones again, appended after the even ones */
	for(int i = 0; i < N; i++)
		c[i] = cfg(puis[i], WIC_TRIGGER_ON_DEMAND, 0);
	assert_int_equal(wic_rstate_sync(rs, c, N, T0 + 2), 0);
	for(int i = 0; i < N; i++)
		assert_int_equal(wic_rstate_view(rs, puis[i], T0 + 2, &v), 0);
}

/* ---- WIC counts re-derived from the binding table --------------------- */

static void test_tally_heals_out_of_order_events(void **state)
{
	wic_rstate_t *rs = *state;
	wic_rs_config_t c[2] = {cfg(R1, WIC_TRIGGER_ON_DEMAND, 10),
			cfg(R2, WIC_TRIGGER_STARTUP, 0)};
	wic_rs_tally_t *t;

	assert_int_equal(wic_rstate_sync(rs, c, 2, T0), 0);
	/* a removal delivered before its add: the count is left at 1 */
	assert_int_equal(wic_rstate_wic_removed(rs, R1, T0), -1);
	assert_int_equal(wic_rstate_wic_added(rs, R1, T0), 0);
	assert_int_equal(view(rs, R1, T0).wic_count, 1);

	/* the table holds nothing: the count goes to 0 and the linger starts */
	t = wic_rs_tally_create(&mem_ops, 4);
	assert_non_null(t);
	assert_int_equal(wic_rstate_apply_tally(rs, t, T0 + 1), 1);
	wic_rs_tally_destroy(t);
	assert_int_equal(view(rs, R1, T0 + 1).wic_count, 0);
	assert_int_equal(wic_rstate_retry_after(rs, R1, T0 + 1), 1); /* linger */

	/* each IMPU counts once per range, whatever its contacts */
	t = wic_rs_tally_create(&mem_ops, 1); /* one slot: chains */
	assert_non_null(t);
	assert_int_equal(wic_rs_tally_add(t, "sip:a@wwsf.lab", R1), 0);
	assert_int_equal(wic_rs_tally_add(t, "sip:a@wwsf.lab", R1), 0);
	assert_int_equal(wic_rs_tally_add(t, "sip:a@wwsf.lab", R2), 0);
	assert_int_equal(wic_rs_tally_add(t, "sip:a@wwsf.lab", R1), 0);
	assert_int_equal(wic_rs_tally_add(t, "sip:bb@wwsf.lab", R1), 0);
	assert_int_equal(wic_rs_tally_add(t, "sip:bb@wwsf.lab", ""), 0);
	assert_int_equal(wic_rs_tally_add(t, "sip:cc@wwsf.lab", NULL), 0);
	assert_int_equal(wic_rs_tally_add(t, "sip:cc@wwsf.lab", "sip:gone@x"), 0);
	assert_int_equal(wic_rstate_apply_tally(rs, t, T0 + 2), 2);
	assert_int_equal(wic_rstate_apply_tally(rs, t, T0 + 2), 0);
	wic_rs_tally_destroy(t);
	assert_int_equal(view(rs, R1, T0 + 2).wic_count, 2);
	assert_int_equal(view(rs, R2, T0 + 2).wic_count, 1);
	/* past the linger, wanted through its WICs: both registered */
	{
		due_log_t log = {0};

		assert_int_equal(wic_rstate_run(rs, T0 + 20, &hooks, &log), 2);
		assert_string_equal(log.pui[0], R1);
	}
}

static void test_tally_nomem_and_null(void **state)
{
	wic_rstate_t *rs = *state;
	wic_rs_tally_t *t;

	sync1(rs, R1, WIC_TRIGGER_ON_DEMAND, 10, T0);
	assert_null(wic_rs_tally_create(NULL, 4));
	fk.fail_in = 1;
	assert_null(wic_rs_tally_create(&mem_ops, 4));
	fk.fail_in = 0;
	t = wic_rs_tally_create(&mem_ops, 4);
	assert_non_null(t);
	fk.fail_in = 1; /* the IMPU copy */
	assert_int_equal(wic_rs_tally_add(t, "sip:a@wwsf.lab", R1), -1);
	fk.fail_in = 0;
	/* a tally that lost an entry is refused: it would undercount */
	assert_int_equal(wic_rs_tally_add(t, "sip:a@wwsf.lab", R1), -1);
	assert_int_equal(wic_rstate_apply_tally(rs, t, T0), -1);
	wic_rs_tally_destroy(t);
	t = wic_rs_tally_create(&mem_ops, 4);
	assert_non_null(t);
	fk.fail_in = 2; /* the range entry */
	assert_int_equal(wic_rs_tally_add(t, "sip:a@wwsf.lab", R1), -1);
	fk.fail_in = 0;
	assert_int_equal(wic_rstate_apply_tally(rs, t, T0), -1);
	assert_int_equal(wic_rstate_apply_tally(NULL, t, T0), -1);
	assert_int_equal(wic_rstate_apply_tally(rs, NULL, T0), -1);
	assert_int_equal(wic_rs_tally_add(NULL, "sip:a@wwsf.lab", R1), -1);
	assert_int_equal(wic_rs_tally_add(t, NULL, R1), -1);
	wic_rs_tally_destroy(t);
	wic_rs_tally_destroy(NULL);
	assert_int_equal(view(rs, R1, T0).wic_count, 0);
}

static void test_sync_new_expires_used(void **state)
{
	wic_rstate_t *rs = *state;
	wic_rs_config_t c = cfg(R1, WIC_TRIGGER_STARTUP, 0);
	due_log_t log = {0};

	c.expires = 600;
	assert_int_equal(wic_rstate_sync(rs, &c, 1, T0), 0);
	assert_int_equal(wic_rstate_run(rs, T0, &hooks, &log), 1);
	assert_int_equal(log.expires[0], 600);
}

static void test_sync_lost_startup_lingers(void **state)
{
	wic_rstate_t *rs = *state;

	sync1(rs, R1, WIC_TRIGGER_STARTUP, 0, T0);
	bring_up(rs, R1, T0);
	sync1(rs, R1, WIC_TRIGGER_ON_DEMAND, 30, T0 + 10);
	expect_nothing(rs, T0 + 39);
	expect_action(rs, T0 + 40, R1, WIC_RS_SEND_DEREGISTER);
}

static void test_sync_nomem_changes_nothing(void **state)
{
	wic_rstate_t *rs = *state;
	wic_rs_config_t c[2] = {cfg(R2, WIC_TRIGGER_STARTUP, 0),
			cfg(R3, WIC_TRIGGER_STARTUP, 0)};
	wic_rs_view_t v;
	long base;

	sync1(rs, R1, WIC_TRIGGER_STARTUP, 0, T0);
	base = fk.live_allocs;
	for(long k = 1; k <= 5; k++) {
		fk.fail_in = k;
		assert_int_equal(wic_rstate_sync(rs, c, 2, T0), -1);
		fk.fail_in = 0;
		assert_int_equal(fk.live_allocs, base);
		assert_int_equal(wic_rstate_view(rs, R1, T0, &v), 0);
		assert_int_equal(wic_rstate_view(rs, R2, T0, &v), -1);
	}
	c[0].distinct_pui = NULL;
	assert_int_equal(wic_rstate_sync(rs, c, 2, T0), -1);
	assert_int_equal(wic_rstate_sync(rs, NULL, 2, T0), -1);
	/* out of memory in run: the range stays due for the next run */
	fk.fail_in = 1;
	expect_nothing(rs, T0);
	fk.fail_in = 0;
	expect_action(rs, T0, R1, WIC_RS_SEND_REGISTER);
	fk.fail_in = 1;
	assert_int_equal(wic_rstate_foreach(rs, T0, NULL, NULL), -1);
	fk.fail_in = 0;
}

static void test_force(void **state)
{
	wic_rstate_t *rs = *state;

	sync1(rs, R1, WIC_TRIGGER_STARTUP, 0, T0);
	expect_action(rs, T0, R1, WIC_RS_SEND_REGISTER);
	assert_int_equal(wic_rstate_on_reply(rs, R1, 500, 0, NULL, NULL, T0), 0);
	expect_nothing(rs, T0);
	/* the operator skips the back-off */
	assert_int_equal(wic_rstate_force(rs, R1, WIC_RS_SEND_REGISTER, T0), 0);
	expect_action(rs, T0, R1, WIC_RS_SEND_REGISTER);
	assert_int_equal(wic_rstate_on_reply(rs, R1, 200, 3600, NULL, NULL, T0),
			0);
	/* forced re-registration of an UP range: refresh now */
	assert_int_equal(wic_rstate_force(rs, R1, WIC_RS_SEND_REGISTER, T0 + 1),
			0);
	expect_action(rs, T0 + 1, R1, WIC_RS_SEND_REGISTER);
	assert_int_equal(wic_rstate_on_reply(rs, R1, 200, 3600, NULL, NULL,
			T0 + 1), 0);
	/* forced down stays down, WICs or not, until forced up */
	assert_int_equal(wic_rstate_force(rs, R1, WIC_RS_SEND_DEREGISTER, T0 + 2),
			0);
	expect_action(rs, T0 + 2, R1, WIC_RS_SEND_DEREGISTER);
	assert_int_equal(wic_rstate_on_reply(rs, R1, 200, 0, NULL, NULL, T0 + 2),
			0);
	assert_int_equal(wic_rstate_wic_added(rs, R1, T0 + 3), 0);
	expect_nothing(rs, T0 + 3);
	assert_int_equal(wic_rstate_retry_after(rs, R1, T0 + 3), 300);
	assert_int_equal(wic_rstate_force(rs, R1, WIC_RS_SEND_REGISTER, T0 + 4),
			0);
	expect_action(rs, T0 + 4, R1, WIC_RS_SEND_REGISTER);
}

static void test_force_on_demand_without_wics(void **state)
{
	wic_rstate_t *rs = *state;

	sync1(rs, R1, WIC_TRIGGER_ON_DEMAND, 10, T0);
	assert_int_equal(wic_rstate_force(rs, R1, WIC_RS_SEND_REGISTER, T0), 0);
	bring_up(rs, R1, T0);
	expect_nothing(rs, T0 + 100); /* held up by the operator */
	assert_int_equal(wic_rstate_wic_added(rs, R1, T0 + 100), 0);
	assert_int_equal(wic_rstate_wic_removed(rs, R1, T0 + 100), 0);
	expect_nothing(rs, T0 + 109);
	expect_action(rs, T0 + 110, R1, WIC_RS_SEND_DEREGISTER);
}

static void test_demand(void **state)
{
	wic_rstate_t *rs = *state;

	sync1(rs, R1, WIC_TRIGGER_ON_DEMAND, 10, T0);
	assert_int_equal(wic_rstate_demand(rs, R1, T0), 0);
	assert_int_equal(wic_rstate_demand(rs, "sip:nope@h", T0), -1);
	assert_int_equal(wic_rstate_retry_after(rs, R1, T0), 1);
	bring_up(rs, R1, T0);
	/* no WIC came back within linger + reply_timeout */
	expect_nothing(rs, T0 + 41);
	expect_action(rs, T0 + 42, R1, WIC_RS_SEND_DEREGISTER);
}

static void test_retry_after(void **state)
{
	wic_rstate_t *rs = *state;

	rnd_value = 1000; /* upper part of the jitter range */
	sync1(rs, R1, WIC_TRIGGER_STARTUP, 0, T0);
	assert_int_equal(wic_rstate_retry_after(rs, R1, T0), 1); /* due now */
	expect_action(rs, T0, R1, WIC_RS_SEND_REGISTER);
	assert_int_equal(wic_rstate_retry_after(rs, R1, T0), 1); /* in flight */
	assert_int_equal(wic_rstate_on_reply(rs, R1, 503, 0, NULL, NULL, T0), 0);
	/* base 2, half 1: 1 + 1000 % 2 = 1 */
	assert_int_equal(wic_rstate_retry_after(rs, R1, T0), 1);
	assert_int_equal(wic_rstate_retry_after(rs, R1, T0 + 5), 1); /* late */
	expect_action(rs, T0 + 5, R1, WIC_RS_SEND_REGISTER);
	assert_int_equal(wic_rstate_on_reply(rs, R1, 503, 0, NULL, NULL, T0 + 5),
			0);
	/* base 4, half 2: 2 + 1000 % 3 = 3 */
	assert_int_equal(wic_rstate_retry_after(rs, R1, T0 + 5), 3);
	assert_int_equal(wic_rstate_retry_after(rs, R1, T0 + 7), 1);
}

/* Long header values are kept whole, never cut. */
static void test_long_lists_stored_whole(void **state)
{
	wic_rstate_t *rs = *state;
	size_t cap = 40000, pos = 0;
	char *sr = malloc(cap), *pau = malloc(cap), *got_sr, *got_pau;
	wic_rs_view_t v;

	assert_non_null(sr);
	assert_non_null(pau);
	for(int i = 0; pos < 20000; i++)
		pos += (size_t)snprintf(sr + pos, cap - pos,
				"%s<sip:orig@scscf-%04d.ims.example.net;lr>", i ? ", " : "",
				i);
	memset(pau, 'a', 30001);
	memcpy(pau, "<sip:", 5);
	pau[30000] = '>';
	pau[30001] = '\0';

	sync1(rs, R1, WIC_TRIGGER_STARTUP, 0, T0);
	expect_action(rs, T0, R1, WIC_RS_SEND_REGISTER);
	assert_int_equal(wic_rstate_on_reply(rs, R1, 200, 3600, sr, pau, T0), 0);
	v = view(rs, R1, T0);
	assert_int_equal(v.state, WIC_RS_UP);
	assert_string_equal(v.last_error, "");
	assert_int_equal(wic_rstate_lists(rs, R1, &mem_ops, &got_sr, &got_pau), 0);
	assert_string_equal(got_sr, sr);
	assert_string_equal(got_pau, pau);
	mem_ops.release(got_sr);
	mem_ops.release(got_pau);
	/* one list only, or none wanted */
	assert_int_equal(wic_rstate_lists(rs, R1, &mem_ops, NULL, &got_pau), 0);
	assert_string_equal(got_pau, pau);
	mem_ops.release(got_pau);
	assert_int_equal(wic_rstate_lists(rs, R1, &mem_ops, NULL, NULL), 0);
	assert_int_equal(wic_rstate_lists(rs, R2, &mem_ops, &got_sr, NULL), -1);
	assert_null(got_sr);
	/* no memory for the copies: nothing returned, nothing leaked */
	fk.fail_in = 2;
	assert_int_equal(
			wic_rstate_lists(rs, R1, &mem_ops, &got_sr, &got_pau), -2);
	assert_null(got_sr);
	assert_null(got_pau);
	fk.fail_in = 0;
	free(sr);
	free(pau);
}

/* A 2xx whose lists cannot be stored is a failure with a reason and a
 * back-off, never a registration with half its route. */
static void test_lists_not_stored_is_failure(void **state)
{
	wic_rstate_t *rs = *state;
	wic_rs_view_t v;

	sync1(rs, R1, WIC_TRIGGER_STARTUP, 0, T0);
	expect_action(rs, T0, R1, WIC_RS_SEND_REGISTER);
	fk.fail_in = 2; /* Service-Route copied, P-Associated-URI fails */
	assert_int_equal(wic_rstate_on_reply(rs, R1, 200, 3600, "<sip:sr@h;lr>",
			"<sip:pau@h>", T0), 0);
	fk.fail_in = 0;
	v = view(rs, R1, T0);
	assert_int_equal(v.state, WIC_RS_DOWN);
	assert_int_equal(v.attempts, 1);
	assert_true(v.next_action > T0);
	assert_string_equal(v.last_error,
			"2xx not usable: no memory to store P-Associated-URI (200)");
	expect_lists(rs, R1, "", "");

	/* the retry stores both; a refresh that cannot keeps the old ones */
	expect_action(rs, v.next_action, R1, WIC_RS_SEND_REGISTER);
	assert_int_equal(wic_rstate_on_reply(rs, R1, 200, 100, "<sip:sr@h;lr>",
			"<sip:pau@h>", v.next_action), 0);
	v = view(rs, R1, v.next_action);
	assert_int_equal(v.state, WIC_RS_UP);
	expect_action(rs, v.next_action, R1, WIC_RS_SEND_REGISTER);
	fk.fail_in = 1;
	assert_int_equal(wic_rstate_on_reply(rs, R1, 200, 100, "<sip:new@h;lr>",
			NULL, v.next_action), 0);
	fk.fail_in = 0;
	v = view(rs, R1, v.next_action);
	assert_int_equal(v.state, WIC_RS_UP); /* until its expiry */
	assert_int_equal(v.attempts, 1);
	assert_string_equal(v.last_error,
			"2xx not usable: no memory to store Service-Route (200)");
	expect_lists(rs, R1, "<sip:sr@h;lr>", "<sip:pau@h>");
}

/* A 2xx the module could not read (unusable) fails the same way. */
static void test_unusable_reply_is_failure(void **state)
{
	wic_rstate_t *rs = *state;
	due_log_t log;
	wic_rs_reply_t rp = {NULL, 0, 200, 3600, NULL, NULL, "no memory"};
	wic_rs_view_t v;

	sync1(rs, R1, WIC_TRIGGER_STARTUP, 0, T0);
	expect_sent(rs, T0, R1, WIC_RS_SEND_REGISTER, &log);
	rp.call_id = log.call_id[0];
	rp.cseq = log.cseq[0];
	assert_int_equal(wic_rstate_on_reply_to(rs, R1, &rp, T0), 0);
	v = view(rs, R1, T0);
	assert_int_equal(v.state, WIC_RS_DOWN);
	assert_string_equal(v.last_error, "2xx not usable: no memory (200)");
	/* a request that could not be sent: code 0 with the reason */
	expect_sent(rs, v.next_action, R1, WIC_RS_SEND_REGISTER, &log);
	rp.call_id = log.call_id[0];
	rp.cseq = log.cseq[0];
	rp.code = 0;
	rp.unusable = "REGISTER not sent";
	assert_int_equal(wic_rstate_on_reply_to(rs, R1, &rp, v.next_action), 0);
	v = view(rs, R1, v.next_action);
	assert_int_equal(v.state, WIC_RS_DOWN);
	assert_int_equal(v.attempts, 2);
	assert_string_equal(v.last_error, "REGISTER not sent");
}

/* RFC 3261 10.2: one Call-ID and From tag for the registration, CSeq one
 * higher for every REGISTER (refresh, de-registration); a new Call-ID for
 * the next registration once de-registered. */
static void test_callid_kept_cseq_increasing(void **state)
{
	wic_rstate_t *rs = *state;
	due_log_t reg, refresh, dereg, again;
	wic_rs_reply_t rp = {NULL, 0, 200, 100, NULL, NULL, NULL};
	wic_rs_view_t v;

	rnd_counting = 1;
	sync1(rs, R1, WIC_TRIGGER_STARTUP, 0, T0);
	expect_sent(rs, T0, R1, WIC_RS_SEND_REGISTER, &reg);
	assert_int_equal(reg.cseq[0], 1);
	v = view(rs, R1, T0);
	assert_string_equal(v.call_id, reg.call_id[0]);
	assert_int_equal(v.cseq, 1);
	rp.call_id = reg.call_id[0];
	rp.cseq = 1;
	assert_int_equal(wic_rstate_on_reply_to(rs, R1, &rp, T0), 0);

	expect_sent(rs, T0 + 50, R1, WIC_RS_SEND_REGISTER, &refresh);
	assert_string_equal(refresh.call_id[0], reg.call_id[0]);
	assert_string_equal(refresh.from_tag[0], reg.from_tag[0]);
	assert_int_equal(refresh.cseq[0], 2);
	rp.cseq = 2;
	assert_int_equal(wic_rstate_on_reply_to(rs, R1, &rp, T0 + 50), 0);

	assert_int_equal(
			wic_rstate_force(rs, R1, WIC_RS_SEND_DEREGISTER, T0 + 60), 0);
	expect_sent(rs, T0 + 60, R1, WIC_RS_SEND_DEREGISTER, &dereg);
	assert_string_equal(dereg.call_id[0], reg.call_id[0]);
	assert_string_equal(dereg.from_tag[0], reg.from_tag[0]);
	assert_int_equal(dereg.cseq[0], 3);
	rp.cseq = 3;
	rp.granted = 0;
	assert_int_equal(wic_rstate_on_reply_to(rs, R1, &rp, T0 + 60), 0);
	v = view(rs, R1, T0 + 60);
	assert_int_equal(v.state, WIC_RS_DOWN);
	assert_string_equal(v.call_id, "");
	assert_int_equal(v.cseq, 0);

	assert_int_equal(wic_rstate_force(rs, R1, WIC_RS_SEND_REGISTER, T0 + 70), 0);
	expect_sent(rs, T0 + 70, R1, WIC_RS_SEND_REGISTER, &again);
	assert_string_not_equal(again.call_id[0], reg.call_id[0]);
	assert_string_not_equal(again.from_tag[0], reg.from_tag[0]);
	assert_int_equal(again.cseq[0], 1);
}

/* A new Call-ID also when the same random numbers come back. */
static void test_callid_unique_with_poor_random(void **state)
{
	wic_rstate_t *rs = *state;
	due_log_t a, b;

	rnd_value = 7; /* the same "random" number every time */
	sync1(rs, R1, WIC_TRIGGER_STARTUP, 0, T0);
	expect_sent(rs, T0, R1, WIC_RS_SEND_REGISTER, &a);
	assert_int_equal(wic_rstate_on_reply(rs, R1, 403, 0, NULL, NULL, T0), 0);
	expect_sent(rs, view(rs, R1, T0).next_action, R1, WIC_RS_SEND_REGISTER,
			&b);
	assert_string_not_equal(a.call_id[0], b.call_id[0]);
	assert_int_equal(b.cseq[0], 1);
}

/* A failed or timed-out first registration: the next one is a new
 * registration (new Call-ID, CSeq 1); a failed refresh of a range still
 * registered keeps the registration's Call-ID, one CSeq higher. */
static void test_callid_after_failures(void **state)
{
	wic_rstate_t *rs = *state;
	due_log_t a, b, c, d;
	wic_rs_view_t v;

	rnd_counting = 1;
	sync1(rs, R1, WIC_TRIGGER_STARTUP, 0, T0);
	expect_sent(rs, T0, R1, WIC_RS_SEND_REGISTER, &a);
	expect_nothing(rs, T0 + 32); /* timed out */
	v = view(rs, R1, T0 + 32);
	assert_int_equal(v.state, WIC_RS_DOWN);
	assert_string_equal(v.call_id, "");
	expect_sent(rs, v.next_action, R1, WIC_RS_SEND_REGISTER, &b);
	assert_string_not_equal(a.call_id[0], b.call_id[0]);
	assert_int_equal(b.cseq[0], 1);
	assert_int_equal(wic_rstate_on_reply(rs, R1, 200, 100, NULL, NULL, T0 + 40), 0);
	expect_sent(rs, T0 + 90, R1, WIC_RS_SEND_REGISTER, &c);
	assert_int_equal(wic_rstate_on_reply(rs, R1, 500, 0, NULL, NULL, T0 + 90), 0);
	v = view(rs, R1, T0 + 90);
	assert_int_equal(v.state, WIC_RS_UP);
	expect_sent(rs, v.next_action, R1, WIC_RS_SEND_REGISTER, &d);
	assert_string_equal(c.call_id[0], b.call_id[0]);
	assert_string_equal(d.call_id[0], b.call_id[0]);
	assert_int_equal(c.cseq[0], 2);
	assert_int_equal(d.cseq[0], 3);
}

/* Only the answer to the request in flight counts: not one to an earlier
 * CSeq (it timed out and was sent again), nor to another Call-ID. */
static void test_reply_must_match_request(void **state)
{
	wic_rstate_t *rs = *state;
	due_log_t a, b;
	wic_rs_reply_t rp = {NULL, 0, 200, 3600, "<sip:sr@h;lr>", NULL, NULL};

	rnd_counting = 1;
	sync1(rs, R1, WIC_TRIGGER_STARTUP, 0, T0);
	expect_sent(rs, T0, R1, WIC_RS_SEND_REGISTER, &a);
	assert_int_equal(wic_rstate_on_reply(rs, R1, 200, 100, NULL, NULL, T0), 0);
	expect_sent(rs, T0 + 50, R1, WIC_RS_SEND_REGISTER, &a); /* refresh, 2 */
	expect_nothing(rs, T0 + 82); /* timed out */
	expect_sent(rs, view(rs, R1, T0 + 82).next_action, R1,
			WIC_RS_SEND_REGISTER, &b);
	assert_int_equal(b.cseq[0], 3);
	rp.call_id = a.call_id[0];
	rp.cseq = a.cseq[0]; /* the late answer to 2 */
	assert_int_equal(wic_rstate_on_reply_to(rs, R1, &rp, T0 + 83), -1);
	rp.call_id = "someone-else";
	rp.cseq = 3;
	assert_int_equal(wic_rstate_on_reply_to(rs, R1, &rp, T0 + 83), -1);
	assert_int_equal(view(rs, R1, T0 + 83).attempts, 1); /* still waiting */
	assert_int_equal(view(rs, R1, T0 + 83).cseq, 3);
	expect_lists(rs, R1, "", "");
	rp.call_id = b.call_id[0];
	assert_int_equal(wic_rstate_on_reply_to(rs, R1, &rp, T0 + 83), 0);
	assert_int_equal(view(rs, R1, T0 + 83).attempts, 0);
	expect_lists(rs, R1, "<sip:sr@h;lr>", "");
	assert_int_equal(wic_rstate_on_reply_to(rs, R1, &rp, T0 + 83), -1);
	assert_int_equal(wic_rstate_on_reply_to(rs, R1, NULL, T0 + 83), -1);
}

/* The de-registration of a removed range is retried in the same
 * registration: same Call-ID, CSeq one higher each time. */
static void test_removed_range_retries_keep_callid(void **state)
{
	wic_rstate_t *rs = *state;
	due_log_t a, b;
	wic_rs_view_t v;

	sync1(rs, R1, WIC_TRIGGER_STARTUP, 0, T0);
	bring_up(rs, R1, T0);
	assert_int_equal(wic_rstate_sync(rs, NULL, 0, T0 + 1), 0);
	expect_sent(rs, T0 + 1, R1, WIC_RS_SEND_DEREGISTER, &a);
	assert_int_equal(a.cseq[0], 2);
	assert_int_equal(wic_rstate_on_reply(rs, R1, 503, 0, NULL, NULL, T0 + 1), 0);
	v = view(rs, R1, T0 + 1);
	expect_sent(rs, v.next_action, R1, WIC_RS_SEND_DEREGISTER, &b);
	assert_string_equal(b.call_id[0], a.call_id[0]);
	assert_int_equal(b.cseq[0], 3);
	assert_int_equal(wic_rstate_on_reply(rs, R1, 200, 0, NULL, NULL,
			v.next_action), 0);
	expect_nothing(rs, v.next_action + 1); /* dropped */
}

/* The lists of the visit are whole copies; "" when none. */
static void foreach_lists(void *ctx, const char *pui, const char *wildcard,
		const wic_rs_view_t *v)
{
	int *n = ctx;

	(void)wildcard;
	if(strcmp(pui, R1) == 0) {
		assert_string_equal(v->service_route, "<sip:orig@scscf.ims;lr>");
		assert_string_equal(v->pau, "<sip:range1@wwsf.lab>, <" W1 ">");
	} else {
		assert_string_equal(v->service_route, "");
		assert_string_equal(v->pau, "");
	}
	(*n)++;
}

static void test_foreach_lists(void **state)
{
	wic_rstate_t *rs = *state;
	wic_rs_config_t c[2] = {cfg(R1, WIC_TRIGGER_STARTUP, 0),
			cfg(R2, WIC_TRIGGER_TOKEN, 0)};
	int n = 0;

	assert_int_equal(wic_rstate_sync(rs, c, 2, T0), 0);
	bring_up(rs, R1, T0);
	assert_int_equal(wic_rstate_foreach(rs, T0, foreach_lists, &n), 2);
	assert_int_equal(n, 2);
}

typedef struct seen {
	int n, unlocked;
	char last_pui[64], last_wild[64];
} seen_t;

static void on_range(void *ctx, const char *pui, const char *wildcard,
		const wic_rs_view_t *v)
{
	seen_t *s = ctx;

	(void)v;
	s->n++;
	s->unlocked += fk.held == -1;
	snprintf(s->last_pui, sizeof(s->last_pui), "%s", pui);
	snprintf(s->last_wild, sizeof(s->last_wild), "%s", wildcard);
}

static void test_foreach(void **state)
{
	wic_rstate_t *rs = *state;
	wic_rs_config_t c[2] = {cfg(R1, WIC_TRIGGER_STARTUP, 0),
			cfg(R2, WIC_TRIGGER_TOKEN, 0)};
	seen_t s = {0};

	c[1].wildcard = "tel:+1555123!\\d{4}!";
	assert_int_equal(wic_rstate_sync(rs, c, 2, T0), 0);
	assert_int_equal(wic_rstate_foreach(rs, T0, on_range, &s), 2);
	assert_int_equal(s.n, 2);
	assert_int_equal(s.unlocked, 2);
	assert_string_equal(s.last_pui, R2);
	assert_string_equal(s.last_wild, "tel:+1555123!\\d{4}!");
}

static void test_create_defaults_and_null(void **state)
{
	wic_rstate_t *rs;
	wic_rs_view_t v;

	(void)state;
	fake_shm_reset();
	assert_null(wic_rstate_create(NULL, &lock_ops, NULL, NULL));
	rs = wic_rstate_create(&mem_ops, NULL, NULL, NULL); /* no locks: ok */
	assert_non_null(rs);
	sync1(rs, R1, WIC_TRIGGER_STARTUP, 0, T0);
	expect_action(rs, T0, R1, WIC_RS_SEND_REGISTER);
	assert_int_equal(wic_rstate_on_reply(rs, R1, 500, 0, NULL, NULL, T0), 0);
	assert_int_equal(wic_rstate_view(rs, R1, T0, &v), 0);
	assert_true(v.next_action - T0 >= 1 && v.next_action - T0 <= 2);
	wic_rstate_destroy(rs);
	assert_int_equal(fk.live_allocs, 0);
	assert_int_equal(wic_rstate_run(NULL, T0, NULL, NULL), -1);
	assert_int_equal(wic_rstate_sync(NULL, NULL, 0, T0), -1);
	wic_rstate_destroy(NULL);
}

/* ---- P-Associated-URI ------------------------------------------------- */

static int parse(const char *s, wic_pau_entry_t *e, size_t max)
{
	return wic_pau_parse(s, strlen(s), e, max);
}

static void assert_uri(const wic_pau_entry_t *e, const char *uri)
{
	assert_int_equal(e->len, strlen(uri));
	assert_memory_equal(e->uri, uri, e->len);
}

static void test_pau_basic_and_wildcard(void **state)
{
	wic_pau_entry_t e[4];

	(void)state;
	assert_int_equal(parse("<sip:range1@wwsf.lab>, <sip:wic!.*!@wwsf.lab>, "
						   "<tel:+1555123!\\d{4}!>;x=1",
							 e, 4),
			3);
	assert_uri(&e[0], "sip:range1@wwsf.lab");
	assert_false(e[0].wildcarded);
	assert_uri(&e[1], "sip:wic!.*!@wwsf.lab");
	assert_true(e[1].wildcarded);
	assert_uri(&e[2], "tel:+1555123!\\d{4}!");
	assert_true(e[2].wildcarded);
	assert_int_equal(parse("<sip:a!b@h>", e, 4), 1);
	assert_false(e[0].wildcarded); /* one '!' is no wildcard */
	assert_int_equal(parse(" \t<sip:a@h>\r\n ,\t<sip:b@h> ", e, 4), 2);
	assert_uri(&e[1], "sip:b@h");
}

static void test_pau_display_names(void **state)
{
	wic_pau_entry_t e[4];

	(void)state;
	assert_int_equal(parse("\"Doe, John\" <sip:j@h>;p=1, <tel:+1555>", e, 4),
			2);
	assert_uri(&e[0], "sip:j@h");
	assert_uri(&e[1], "tel:+1555");
	assert_int_equal(parse("\"a <b> c\" <sip:x@h>", e, 4), 1);
	assert_uri(&e[0], "sip:x@h");
	assert_int_equal(parse("\"say \\\" , <\"<sip:y@h>", e, 4), 1);
	assert_uri(&e[0], "sip:y@h");
	assert_int_equal(parse("Alice Smith <sip:a@h>", e, 4), 1);
	assert_uri(&e[0], "sip:a@h");
	assert_int_equal(parse("<sip:a@h>;x=\"1,2>\", <sip:b@h>", e, 4), 2);
	assert_uri(&e[1], "sip:b@h");
}

static void test_pau_syntax_errors(void **state)
{
	wic_pau_entry_t e[4];
	const char *bad[] = {
		"<sip:a@h",              /* missing '>' */
		"<sip:a@h, <sip:b@h>",   /* '<' inside the URI */
		"<sip:a@h,<sip:b@h>",
		"sip:a@h",               /* not a name-addr */
		"<sip:a@h>,",            /* trailing comma */
		"<sip:a@h>, ,<sip:b@h>", /* empty entry */
		",<sip:a@h>",
		"\"abc <sip:a@h>",       /* unterminated quote */
		"\"abc\" x <sip:a@h>",
		"<sip:a@h> x",           /* junk after '>' */
		"<>",                    /* empty URI */
		"<sip:a @h>",
		"Bob, <sip:a@h>",
		"<sip:a@h>;p=\"open",
		"<sip:a@h>;p=<x>",
		"\"\\",
	};

	(void)state;
	for(size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if(parse(bad[i], e, 4) != -1)
			fail_msg("accepted: %s", bad[i]);
	}
}

static void test_pau_empty_and_limits(void **state)
{
	wic_pau_entry_t e[4];
	const char *two = "<sip:a@h>, <sip:b@h>";

	(void)state;
	assert_int_equal(parse("", e, 4), 0);
	assert_int_equal(parse("  \t ", e, 4), 0);
	assert_int_equal(wic_pau_parse(NULL, 0, e, 4), 0);
	assert_int_equal(wic_pau_parse(NULL, 3, e, 4), -1);
	/* only len bytes count */
	assert_int_equal(wic_pau_parse(two, 9, e, 4), 1);
	assert_int_equal(wic_pau_parse(two, 8, e, 4), -1);
	/* more entries than room: the first max, the rest still checked */
	assert_int_equal(parse("<sip:a@h>, <sip:b@h>, <sip:c@h>", e, 2), 2);
	assert_uri(&e[1], "sip:b@h");
	assert_int_equal(parse("<sip:a@h>, <sip:b@h>, <sip:c", e, 2), -1);
	assert_int_equal(parse(two, e, 0), 0);
	assert_int_equal(parse(two, NULL, 0), 0);
}

/* Buffers without a terminating NUL: ASan catches any read past len. */
static void test_pau_never_reads_past_len(void **state)
{
	const char *cases[] = {"<sip:a@h", "\"abc", "\"a\\", "<sip:a@h>;p=\"x",
			"<sip:a@h>", "Alice", "<sip:a@h>, "};
	wic_pau_entry_t e[2];

	(void)state;
	for(size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		size_t len = strlen(cases[i]);
		char *buf = malloc(len);

		assert_non_null(buf);
		memcpy(buf, cases[i], len);
		assert_int_equal(wic_pau_parse(buf, len, e, 2),
				strcmp(cases[i], "<sip:a@h>") == 0 ? 1 : -1);
		free(buf);
	}
}

static void test_pau_very_long(void **state)
{
	const size_t n_entries = 10000, big = 100000;
	size_t cap = n_entries * 32 + 1, pos = 0;
	char *v = malloc(cap), *one = malloc(big);
	wic_pau_entry_t e[4];

	(void)state;
	assert_non_null(v);
	assert_non_null(one);
	for(size_t i = 0; i < n_entries; i++)
		pos += (size_t)snprintf(v + pos, cap - pos, "%s<sip:u%zu@h>",
				i ? ", " : "", i);
	assert_int_equal(wic_pau_parse(v, pos, e, 4), 4);
	assert_uri(&e[3], "sip:u3@h");
	memset(one, 'x', big);
	one[0] = '<';
	memcpy(one + 1, "sip:", 4);
	one[big - 1] = '>';
	assert_int_equal(wic_pau_parse(one, big, e, 4), 1);
	assert_int_equal(e[0].len, big - 2);
	assert_ptr_equal(e[0].uri, one + 1);
	free(v);
	free(one);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_state_names),
		T(test_startup_due_at_once),
		T(test_reply_up_and_refresh_time),
		T(test_failure_backoff_growth_and_cap),
		T(test_jitter_bounds),
		T(test_reply_timeout),
		T(test_reply_unknown_or_unexpected),
		T(test_on_demand_linger_and_cancel),
		T(test_token_trigger_like_on_demand),
		T(test_linger_zero_and_startup_stays),
		T(test_wic_back_during_deregistration),
		T(test_deregistration_failure_goes_down),
		T(test_refresh_failure_keeps_up_until_expiry),
		T(test_sync_keeps_state_and_removes),
		T(test_removed_range_deregistered_from_state),
		T(test_removed_range_retried_then_given_up),
		T(test_removed_range_waiting_given_up_at_bound),
		T(test_removed_range_refused_or_lapsed),
		T(test_removed_range_provisioned_again),
		T(test_removed_down_range_dropped_at_once),
		T(test_tally_heals_out_of_order_events),
		T(test_tally_nomem_and_null),
		T(test_sync_new_expires_used),
		T(test_sync_lost_startup_lingers),
		T(test_sync_nomem_changes_nothing),
		T(test_force),
		T(test_force_on_demand_without_wics),
		T(test_demand),
		T(test_retry_after),
		T(test_long_lists_stored_whole),
		T(test_lists_not_stored_is_failure),
		T(test_unusable_reply_is_failure),
		T(test_callid_kept_cseq_increasing),
		T(test_callid_unique_with_poor_random),
		T(test_callid_after_failures),
		T(test_reply_must_match_request),
		T(test_removed_range_retries_keep_callid),
		T(test_foreach_lists),
		T(test_foreach),
		T(test_many_ranges_hash),
		cmocka_unit_test(test_create_defaults_and_null),
		cmocka_unit_test(test_pau_basic_and_wildcard),
		cmocka_unit_test(test_pau_display_names),
		cmocka_unit_test(test_pau_syntax_errors),
		cmocka_unit_test(test_pau_empty_and_limits),
		cmocka_unit_test(test_pau_never_reads_past_len),
		cmocka_unit_test(test_pau_very_long),
	};
#undef T
	return cmocka_run_group_tests(tests, NULL, NULL);
}
