/*
 * SPDX-License-Identifier: GPL-2.0-or-later
 * Copyright (C) 2026 the ims_wic authors
 *
 * ims_wic - RPC commands (kamcmd ims_wic.*).
 */
#include <string.h>
#include <time.h>

#include "../../core/dprint.h"
#include "../../core/rpc.h"
#include "../../core/rpc_lookup.h"

#include "ims_wic_mod.h"
#include "wic_uri.h"

typedef struct rpc_walk
{
	rpc_t *rpc;
	void *ctx;
	time_t now;
	int failed;
} rpc_walk_t;

static void add_binding(void *ctx, const char *impu, const wic_contact_t *c)
{
	rpc_walk_t *w = ctx;
	void *th;

	if(w->failed || w->rpc->add(w->ctx, "{", &th) < 0) {
		w->failed = 1;
		return;
	}
	if(w->rpc->struct_add(th, "ssdsssdssdd", "impu", impu, "contact", c->uri,
			   "conn_id", c->conn_id, "socket", c->socket, "received",
			   c->received, "instance", c->instance, "reg_id", (int)c->reg_id,
			   "wwsf", c->wwsf, "call_id", c->call_id, "expires",
			   (int)(c->expires - w->now), "token_expires",
			   (int)(c->token_exp - w->now))
					< 0
			|| w->rpc->struct_add(th, "s", "range", c->range) < 0)
		w->failed = 1;
}

static const char *rpc_bindings_doc[] = {
		"List the WIC bindings: all, or those of one IMPU given as parameter.",
		0};

static void rpc_bindings(rpc_t *rpc, void *ctx)
{
	rpc_walk_t w = {rpc, ctx, time(NULL), 0};
	str impu = STR_NULL;
	char buf[512];

	if(rpc->scan(ctx, "*S", &impu) == 1) {
		if(impu.len <= 0 || (size_t)impu.len >= sizeof(buf)) {
			rpc->fault(ctx, 400, "bad IMPU");
			return;
		}
		/* any spelling of the identity finds it (wic_uri_normalize) */
		if(wic_uri_normalize(impu.s, (size_t)impu.len, buf, sizeof(buf)) < 0) {
			rpc->fault(ctx, 400, "bad IMPU");
			return;
		}
		wic_btable_lookup(wic_bindings, buf, w.now, add_binding, &w);
	} else {
		wic_btable_foreach(wic_bindings, add_binding, &w);
	}
	if(w.failed)
		rpc->fault(ctx, 500, "cannot build the listing");
}

static const char *rpc_stats_doc[] = {"Counters of the ims_wic module.", 0};

static void rpc_stats(rpc_t *rpc, void *ctx)
{
	void *th;
	int v;

	if(rpc->add(ctx, "{", &th) < 0)
		return;
	rpc->struct_add(th, "dddddddddddd", "active_bindings",
			(int)wic_btable_contacts(wic_bindings), "registered_impus",
			(int)wic_btable_impus(wic_bindings), "cached_tokens",
			(int)wic_tcache_count(wic_tokens), "registrations_accepted",
			(int)get_stat_val(wic_stat_accepted), "registrations_refreshed",
			(int)get_stat_val(wic_stat_refreshed), "registrations_removed",
			(int)get_stat_val(wic_stat_deregistered), "terminating_forwarded",
			(int)get_stat_val(wic_stat_term_forwarded),
			"terminating_rejected_unregistered",
			(int)get_stat_val(wic_stat_term_unregistered),
			"terminating_rejected_not_served",
			(int)get_stat_val(wic_stat_term_not_served), "originating_accepted",
			(int)get_stat_val(wic_stat_orig_accepted), "originating_refused",
			(int)get_stat_val(wic_stat_orig_refused), "origin_refused",
			(int)get_stat_val(wic_stat_origin_refused));
	rpc->struct_add(th, "dddd", "tokens_verified",
			(int)get_stat_val(wic_stat_tokens_verified), "token_cache_hits",
			(int)get_stat_val(wic_stat_token_cache_hits),
			"refusal_logs_suppressed",
			(int)get_stat_val(wic_stat_refusal_logs_suppressed),
			"bindings_swept", (int)get_stat_val(wic_stat_bindings_swept));
	for(v = 1; v < WIC_VERDICT_COUNT; v++) {
		char name[64];
		snprintf(name, sizeof(name), "rejected_%s",
				wic_answer_of((wic_verdict_t)v)->stat);
		rpc->struct_add(th, "d", name, (int)get_stat_val(wic_stat_rejected[v]));
	}
}

static const char *rpc_reload_doc[] = {
		"Reload the WWSF provisioning file; a bad file is refused and the "
		"provisioning in force stays.",
		0};

static void rpc_reload(rpc_t *rpc, void *ctx)
{
	char err[512];

	if(wic_prov_reload(err, sizeof(err)) < 0) {
		rpc->fault(ctx, 500, "reload refused: %s", err);
		return;
	}
	rpc->rpl_printf(ctx, "ok, generation %u", wic_prov_generation());
}

static void add_range(void *ctx, const char *pui, const char *wildcard,
		const wic_rs_view_t *v)
{
	rpc_walk_t *w = ctx;
	void *th;

	if(w->failed || w->rpc->add(w->ctx, "{", &th) < 0) {
		w->failed = 1;
		return;
	}
	w->rpc->struct_add(th, "sssdddddsss", "range", wildcard, "distinct_pui",
			pui, "state", wic_rs_state_name(v->state), "expires",
			v->expires_at ? (int)(v->expires_at - w->now) : 0, "next_action",
			v->next_action ? (int)(v->next_action - w->now) : 0, "attempts",
			(int)v->attempts, "wic_count", (int)v->wic_count, "last_code",
			v->last_code, "last_error", v->last_error, "service_route",
			v->service_route, "associated_uris", v->pau);
	w->rpc->struct_add(th, "sddd", "call_id", v->call_id, "cseq", (int)v->cseq,
			"removed", v->removed, "deregister_until",
			v->dereg_until ? (int)(v->dereg_until - w->now) : 0);
}

static const char *rpc_ranges_doc[] = {
		"List the PUI ranges with their registration state.", 0};

static void rpc_ranges(rpc_t *rpc, void *ctx)
{
	rpc_walk_t w = {rpc, ctx, time(NULL), 0};

	wic_rstate_foreach(wic_ranges, w.now, add_range, &w);
	if(w.failed)
		rpc->fault(ctx, 500, "cannot build the listing");
}

static void force_range(rpc_t *rpc, void *ctx, wic_rs_action_t action)
{
	char buf[256];
	str pui = STR_NULL;

	if(rpc->scan(ctx, "S", &pui) < 1 || pui.len <= 0
			|| (size_t)pui.len >= sizeof(buf)) {
		rpc->fault(ctx, 400, "distinct PUI of the range expected");
		return;
	}
	memcpy(buf, pui.s, pui.len);
	buf[pui.len] = '\0';
	if(wic_rstate_force(wic_ranges, buf, action, time(NULL)) < 0) {
		rpc->fault(ctx, 404, "no such range");
		return;
	}
	rpc->rpl_printf(ctx, "ok");
}

static const char *rpc_range_register_doc[] = {
		"Register the range (by its distinct PUI) with the IMS Core now.", 0};
static void rpc_range_register(rpc_t *rpc, void *ctx)
{
	force_range(rpc, ctx, WIC_RS_SEND_REGISTER);
}

static const char *rpc_range_deregister_doc[] = {
		"De-register the range (by its distinct PUI) from the IMS Core now.",
		0};
static void rpc_range_deregister(rpc_t *rpc, void *ctx)
{
	force_range(rpc, ctx, WIC_RS_SEND_DEREGISTER);
}

static rpc_export_t wic_rpc[] = {
		{"ims_wic.bindings", rpc_bindings, rpc_bindings_doc, RET_ARRAY},
		{"ims_wic.stats", rpc_stats, rpc_stats_doc, 0},
		{"ims_wic.reload", rpc_reload, rpc_reload_doc, 0},
		{"ims_wic.ranges", rpc_ranges, rpc_ranges_doc, RET_ARRAY},
		{"ims_wic.range_register", rpc_range_register, rpc_range_register_doc,
				0},
		{"ims_wic.range_deregister", rpc_range_deregister,
				rpc_range_deregister_doc, 0},
		{0, 0, 0, 0}};

int wic_rpc_register(void)
{
	if(rpc_register_array(wic_rpc) != 0) {
		LM_ERR("cannot register the RPC commands\n");
		return -1;
	}
	return 0;
}
