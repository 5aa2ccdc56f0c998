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

/* Listings are paged (offset, limit) and each page is also bounded in
 * bytes, so that no page is refused by the client: kamcmd reads at most
 * 128 KiB of reply (MAX_REPLY_SIZE of utils/kamcmd) and prints "reply too
 * big" beyond. A page stops before the entry that would take the estimated
 * binrpc encoding (strings, names, and at most 12 bytes of record headers
 * per field) above the budget; it always holds at least one entry. The
 * reply names the total and where the next page starts. */
#define WIC_RPC_PAGE_BUDGET (96 * 1024)
/* The brief lines are values of the reply itself, which the ctl module
 * builds in one buffer of binrpc_max_body_size (32 KiB by default): a
 * brief page fits that default. */
#define WIC_RPC_BRIEF_BUDGET (30 * 1024)
#define WIC_RPC_FIELD_COST 12

#define WIC_BINDINGS_LIMIT 50
#define WIC_BINDINGS_LIMIT_MAX 100
#define WIC_BRIEF_LIMIT 1000
#define WIC_BRIEF_LIMIT_MAX 5000
#define WIC_RANGES_LIMIT 20
#define WIC_RANGES_LIMIT_MAX 100
/* A range's Service-Route and P-Associated-URI are listed up to this many
 * bytes each, then cut with "... (<n> bytes, cut)": the IMS Core chooses
 * their length (an implicit registration set may list hundreds of URIs),
 * and one structure of a ctl reply holds binrpc_struct_max_body_size
 * (8 KiB by default) at most; with both cut a range's structure fits it. */
#define WIC_RPC_LIST_MAX 3000
#define WIC_RPC_CUT_TAIL 40

typedef struct rpc_page
{
	rpc_t *rpc;
	void *ctx;
	void *list; /* the array the entries go to */
	time_t now;
	unsigned offset, limit;
	unsigned index; /* entries seen (ranges: the walk is not offset) */
	unsigned count; /* entries added */
	size_t bytes;	/* estimated size of what was added */
	size_t budget;	/* bytes a page may take */
	int failed;
} rpc_page_t;

static size_t cost(const char *name, const char *value)
{
	return strlen(name) + (value ? strlen(value) : 0) + WIC_RPC_FIELD_COST;
}

/* Whether one more entry of `bytes` fits the page; the first one always
 * does, so that paging always moves on. */
static int page_take(rpc_page_t *p, size_t bytes)
{
	if(p->count >= p->limit || (p->count > 0 && p->bytes + bytes > p->budget))
		return 0;
	p->bytes += bytes;
	p->count++;
	return 1;
}

/* A count parameter: digits only, below 2^31. Scanned as a string with
 * autoconversion, so that a number sent as text (JSON-RPC) is read and a
 * word where a number belongs (an IMPU given to a paged listing) is
 * refused, never taken as 0. */
static int page_number(const str *v, unsigned *out)
{
	unsigned long n = 0;

	if(v->len <= 0 || v->len > 10)
		return -1;
	for(int i = 0; i < v->len; i++) {
		if(v->s[i] < '0' || v->s[i] > '9')
			return -1;
		n = n * 10 + (unsigned long)(v->s[i] - '0');
	}
	if(n > 0x7fffffffUL)
		return -1;
	*out = (unsigned)n;
	return 0;
}

/* [offset [limit]]: 0 and the default when absent; limit 0 means the
 * default, above max is max. */
static int scan_page(
		rpc_t *rpc, void *ctx, rpc_page_t *p, unsigned def, unsigned max)
{
	str off = STR_NULL, lim = STR_NULL;
	unsigned limit = 0;
	int n;

	n = rpc->scan(ctx, "*.S.S", &off, &lim);
	if(n < 0)
		return -1; /* the fault is prepared by the transport */
	if((n >= 1 && page_number(&off, &p->offset) < 0)
			|| (n >= 2 && page_number(&lim, &limit) < 0)) {
		rpc->fault(ctx, 400,
				"offset and limit are numbers (one IMPU: ims_wic.lookup)");
		return -1;
	}
	p->limit = limit == 0 ? def : (limit > max ? max : limit);
	return 0;
}

/* { <what>: [ ... ] ... } opened; the counts follow the list (page_end). */
static int page_start(
		rpc_t *rpc, void *ctx, const char *what, rpc_page_t *p, void **top)
{
	if(rpc->add(ctx, "{", top) < 0
			|| rpc->struct_add(*top, "[", what, &p->list) < 0) {
		rpc->fault(ctx, 500, "cannot build the listing");
		return -1;
	}
	return 0;
}

static void page_end(
		rpc_t *rpc, void *ctx, void *top, rpc_page_t *p, unsigned long total)
{
	if(p->failed) {
		rpc->fault(ctx, 500, "cannot build the listing");
		return;
	}
	if(rpc->struct_add(top, "jjjj", "total", total, "offset",
			   (unsigned long)p->offset, "count", (unsigned long)p->count,
			   "next_offset", (unsigned long)p->offset + p->count)
			< 0)
		rpc->fault(ctx, 500, "cannot build the listing");
}

static size_t binding_cost(const char *impu, const wic_contact_t *c)
{
	return cost("impu", impu) + cost("contact", c->uri) + cost("conn_id", NULL)
		   + cost("socket", c->socket) + cost("received", c->received)
		   + cost("instance", c->instance) + cost("reg_id", NULL)
		   + cost("wwsf", c->wwsf) + cost("call_id", c->call_id)
		   + cost("expires", NULL) + cost("token_expires", NULL)
		   + cost("range", c->range) + WIC_RPC_FIELD_COST;
}

static int add_binding_struct(rpc_t *rpc, void *th, time_t now,
		const char *impu, const wic_contact_t *c)
{
	return rpc->struct_add(th, "ssdsssusssdd", "impu", impu, "contact", c->uri,
			"conn_id", c->conn_id, "socket", c->socket, "received", c->received,
			"instance", c->instance, "reg_id", c->reg_id, "wwsf", c->wwsf,
			"call_id", c->call_id, "range", c->range, "expires",
			(int)(c->expires - now), "token_expires",
			(int)(c->token_exp - now));
}

static int page_binding(void *ctx, const char *impu, const wic_contact_t *c)
{
	rpc_page_t *p = ctx;
	void *th;

	if(!page_take(p, binding_cost(impu, c)))
		return 1;
	if(p->rpc->array_add(p->list, "{", &th) < 0
			|| add_binding_struct(p->rpc, th, p->now, impu, c) < 0) {
		p->failed = 1;
		return 1;
	}
	return p->count >= p->limit;
}

/* One line per binding: "<impu> <contact> conn=<id> expires=<s>". */
static int page_binding_brief(
		void *ctx, const char *impu, const wic_contact_t *c)
{
	rpc_page_t *p = ctx;
	char line[1280];
	int n;

	n = snprintf(line, sizeof(line), "%s %s conn=%d expires=%d", impu, c->uri,
			c->conn_id, (int)(c->expires - p->now));
	if(n < 0 || (size_t)n >= sizeof(line))
		n = (int)strlen(line); /* cut: the binding stays listed */
	if(!page_take(p, (size_t)n + WIC_RPC_FIELD_COST))
		return 1;
	if(p->rpc->add(p->ctx, "s", line) < 0) {
		p->failed = 1;
		return 1;
	}
	return p->count >= p->limit;
}

static const char *rpc_bindings_doc[] = {
		"A page of the WIC bindings, one structure per contact: [offset "
		"[limit]] (limit: default 50, at most 100, and what fits 96 KiB); "
		"then total, offset, count, next_offset.",
		0};

static void rpc_bindings(rpc_t *rpc, void *ctx)
{
	rpc_page_t p = {rpc, ctx, NULL, time(NULL)};
	void *top;
	unsigned long total;

	p.budget = WIC_RPC_PAGE_BUDGET;
	if(scan_page(rpc, ctx, &p, WIC_BINDINGS_LIMIT, WIC_BINDINGS_LIMIT_MAX) < 0
			|| page_start(rpc, ctx, "bindings", &p, &top) < 0)
		return;
	total = wic_btable_contacts(wic_bindings);
	wic_btable_foreach_from(wic_bindings, p.offset, page_binding, &p);
	page_end(rpc, ctx, top, &p, total);
}

static const char *rpc_bindings_brief_doc[] = {
		"A page of the WIC bindings, brief: first a structure with total, "
		"offset, count and next_offset, then one line per contact (IMPU, "
		"contact, connection, seconds left): [offset [limit]] (limit: "
		"default 1000, at most 5000, and what fits 30 KiB).",
		0};

static void rpc_bindings_brief(rpc_t *rpc, void *ctx)
{
	rpc_page_t p = {rpc, ctx, NULL, time(NULL)};
	void *top;

	p.budget = WIC_RPC_BRIEF_BUDGET;
	if(scan_page(rpc, ctx, &p, WIC_BRIEF_LIMIT, WIC_BRIEF_LIMIT_MAX) < 0)
		return;
	/* the numbers first: a structure is filled in when the reply is sent */
	if(rpc->add(ctx, "{", &top) < 0) {
		rpc->fault(ctx, 500, "cannot build the listing");
		return;
	}
	wic_btable_foreach_from(wic_bindings, p.offset, page_binding_brief, &p);
	page_end(rpc, ctx, top, &p, wic_btable_contacts(wic_bindings));
}

typedef struct rpc_walk
{
	rpc_t *rpc;
	void *ctx;
	time_t now;
	int failed;
} rpc_walk_t;

static void lookup_binding(void *ctx, const char *impu, const wic_contact_t *c)
{
	rpc_walk_t *w = ctx;
	void *th;

	if(w->failed || w->rpc->add(w->ctx, "{", &th) < 0
			|| add_binding_struct(w->rpc, th, w->now, impu, c) < 0)
		w->failed = 1;
}

static const char *rpc_impu_lookup_doc[] = {
		"The bindings of one IMPU (any spelling), one structure per contact.",
		0};

static void rpc_impu_lookup(rpc_t *rpc, void *ctx)
{
	rpc_walk_t w = {rpc, ctx, time(NULL), 0};
	str impu = STR_NULL;
	char buf[512];

	if(rpc->scan(ctx, "S", &impu) < 1 || impu.len <= 0
			|| (size_t)impu.len >= sizeof(buf)
			/* any spelling of the identity finds it (wic_uri_normalize) */
			|| wic_uri_normalize(impu.s, (size_t)impu.len, buf, sizeof(buf))
					   < 0) {
		rpc->fault(ctx, 400, "bad IMPU");
		return;
	}
	wic_btable_lookup(wic_bindings, buf, w.now, lookup_binding, &w);
	if(w.failed)
		rpc->fault(ctx, 500, "cannot build the listing");
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

/* The header list as listed: whole when short, else its first
 * WIC_RPC_LIST_MAX bytes and how long it is. */
static const char *list_value(const char *v, char *buf, size_t len)
{
	size_t n;

	if(v == NULL)
		return "";
	n = strlen(v);
	if(n <= WIC_RPC_LIST_MAX)
		return v;
	snprintf(buf, len, "%.*s... (%zu bytes, cut)", WIC_RPC_LIST_MAX, v, n);
	return buf;
}

static size_t range_cost(const char *pui, const char *wildcard,
		const wic_rs_view_t *v, const char *sr, const char *pau)
{
	return cost("range", wildcard) + cost("distinct_pui", pui)
		   + cost("state", wic_rs_state_name(v->state)) + cost("expires", NULL)
		   + cost("next_action", NULL) + cost("attempts", NULL)
		   + cost("wic_count", NULL) + cost("last_code", NULL)
		   + cost("last_error", v->last_error) + cost("service_route", sr)
		   + cost("associated_uris", pau) + cost("call_id", v->call_id)
		   + cost("cseq", NULL) + cost("removed", NULL)
		   + cost("deregister_until", NULL) + WIC_RPC_FIELD_COST;
}

static void page_range(void *ctx, const char *pui, const char *wildcard,
		const wic_rs_view_t *v)
{
	rpc_page_t *p = ctx;
	void *th;
	char srbuf[WIC_RPC_LIST_MAX + WIC_RPC_CUT_TAIL];
	char paubuf[WIC_RPC_LIST_MAX + WIC_RPC_CUT_TAIL];
	const char *sr, *pau;

	if(p->failed || p->index++ < p->offset)
		return;
	sr = list_value(v->service_route, srbuf, sizeof(srbuf));
	pau = list_value(v->pau, paubuf, sizeof(paubuf));
	if(!page_take(p, range_cost(pui, wildcard, v, sr, pau)))
		return;
	if(p->rpc->array_add(p->list, "{", &th) < 0
			|| p->rpc->struct_add(th, "sssdduudsss", "range", wildcard,
					   "distinct_pui", pui, "state",
					   wic_rs_state_name(v->state), "expires",
					   v->expires_at ? (int)(v->expires_at - p->now) : 0,
					   "next_action",
					   v->next_action ? (int)(v->next_action - p->now) : 0,
					   "attempts", v->attempts, "wic_count", v->wic_count,
					   "last_code", v->last_code, "last_error", v->last_error,
					   "service_route", sr, "associated_uris", pau)
					   < 0
			|| p->rpc->struct_add(th, "sudd", "call_id", v->call_id, "cseq",
					   v->cseq, "removed", v->removed, "deregister_until",
					   v->dereg_until ? (int)(v->dereg_until - p->now) : 0)
					   < 0)
		p->failed = 1;
}

static const char *rpc_ranges_doc[] = {
		"A page of the PUI ranges with their registration state: [offset "
		"[limit]] (limit: default 20, at most 100, and what fits 96 KiB); "
		"then total, offset, count, next_offset.",
		0};

static void rpc_ranges(rpc_t *rpc, void *ctx)
{
	rpc_page_t p = {rpc, ctx, NULL, time(NULL)};
	void *top;
	int total;

	p.budget = WIC_RPC_PAGE_BUDGET;
	if(scan_page(rpc, ctx, &p, WIC_RANGES_LIMIT, WIC_RANGES_LIMIT_MAX) < 0
			|| page_start(rpc, ctx, "ranges", &p, &top) < 0)
		return;
	total = wic_rstate_foreach(wic_ranges, p.now, page_range, &p);
	if(total < 0)
		p.failed = 1;
	page_end(rpc, ctx, top, &p, total < 0 ? 0 : (unsigned long)total);
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
		{"ims_wic.bindings", rpc_bindings, rpc_bindings_doc, 0},
		{"ims_wic.bindings_brief", rpc_bindings_brief, rpc_bindings_brief_doc,
				RET_ARRAY},
		{"ims_wic.lookup", rpc_impu_lookup, rpc_impu_lookup_doc, RET_ARRAY},
		{"ims_wic.reload", rpc_reload, rpc_reload_doc, 0},
		{"ims_wic.ranges", rpc_ranges, rpc_ranges_doc, 0},
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
