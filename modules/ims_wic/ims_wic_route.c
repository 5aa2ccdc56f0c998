/*
 * SPDX-License-Identifier: GPL-2.0-or-later
 * Copyright (C) 2026 the ims_wic authors
 *
 * ims_wic - requests of registered WICs: originating ones get their
 * asserted identity and the range's route set; terminating ones are
 * delivered over the WIC's WebSocket or refused when the identity is not
 * registered here. A closed connection takes its bindings with it.
 */
#include <string.h>
#include <strings.h>
#include <time.h>

#include "../../core/data_lump.h"
#include "../../core/dprint.h"
#include "../../core/dset.h"
#include "../../core/globals.h"
#include "../../core/mem/pkg.h"
#include "../../core/parser/parse_to.h"
#include "../../core/parser/parse_uri.h"
#include "../../core/socket_info.h"
#include "../../core/tcp_conn.h"

#include "ims_wic_mod.h"
#include "ims_wic_sip.h"

#define WIC_URI_MAX 512

/* ---- originating --------------------------------------------------- */

/* The P-Preferred-Identity the WIC asked for, when it is one of the IMPUs
 * registered on its own connection. */
static int preferred_identity(
		struct sip_msg *msg, int conn, char *buf, size_t len)
{
	struct hdr_field *ppi = wic_find_header(msg, "P-Preferred-Identity");
	struct to_body body;
	int ok;

	if(ppi == NULL)
		return -1;
	memset(&body, 0, sizeof(body));
	parse_to(ppi->body.s, ppi->body.s + ppi->body.len + 1, &body);
	ok = body.error == PARSE_OK && wic_bare_uri(&body.uri, buf, len) == 0
		 && wic_btable_conn_has_impu(wic_bindings, conn, buf);
	free_to_params(&body);
	if(!ok)
		WIC_LOG_REFUSAL(
				"P-Preferred-Identity [%.*s] on connection %d is not one of "
				"its registered identities: ignored\n",
				ppi->body.len, ppi->body.s, conn);
	return ok ? 0 : -1;
}

/* The range a binding of impu was admitted into (its contact on
 * connection conn first, any other otherwise): copied under the slot lock. */
typedef struct range_pick
{
	int conn;
	int on_conn;
	char range[WIC_URI_MAX];
} range_pick_t;

static void pick_range(void *ctx, const char *impu, const wic_contact_t *c)
{
	range_pick_t *p = ctx;

	if(c->range == NULL || c->range[0] == '\0' || p->on_conn)
		return;
	if(p->range[0] != '\0' && c->conn_id != p->conn)
		return;
	snprintf(p->range, sizeof(p->range), "%s", c->range);
	p->on_conn = c->conn_id == p->conn;
}

static void *pkg_alloc_hook(size_t size)
{
	return pkg_malloc(size);
}
static void pkg_free_hook(void *ptr)
{
	pkg_free(ptr);
}

/* Route set towards the IMS Core: the Service-Route, whole, learned when
 * the range the identity's binding was admitted into registered
 * (overlapping ranges of two WWSFs have their own), else the configured
 * default. */
char *wic_route_set_of(const char *impu, int conn)
{
	static const wic_mem_ops_t pkg_ops = {pkg_alloc_hook, pkg_free_hook};
	range_pick_t pick = {.conn = conn};
	char *sr = NULL, *out;

	wic_btable_lookup(wic_bindings, impu, time(NULL), pick_range, &pick);
	if(pick.range[0] != '\0'
			&& wic_rstate_lists(wic_ranges, pick.range, &pkg_ops, &sr, NULL)
					   == -2)
		return NULL; /* no memory: never fall back to another route */
	if(sr != NULL)
		return sr;
	if(wic_default_service_route.len <= 0)
		return NULL;
	out = pkg_malloc(wic_default_service_route.len + 3);
	if(out == NULL)
		return NULL;
	snprintf(out, wic_default_service_route.len + 3, "<%.*s>",
			wic_default_service_route.len, wic_default_service_route.s);
	return out;
}

static int set_route(struct sip_msg *msg, const char *route_set)
{
	const char *open = strchr(route_set, '<');
	const char *close = open ? strchr(open, '>') : NULL;
	wic_buf_t line = {0};
	str first;
	int rc;

	if(open == NULL || close == NULL)
		return -1;
	first.s = (char *)open + 1;
	first.len = (int)(close - open - 1);
	if(set_dst_uri(msg, &first) < 0)
		return -1;
	wic_buf_printf(&line, "Route: %s\r\n", route_set);
	rc = wic_insert_header(msg, &line);
	wic_buf_free(&line);
	return rc;
}

int wic_originating(struct sip_msg *msg)
{
	int conn = wic_connection_id(msg);
	char asserted[WIC_URI_MAX];
	char preferred[WIC_URI_MAX];
	char *route_set;
	wic_buf_t pai = {0};
	int rc;

	if(!wic_over_websocket(msg)
			|| wic_btable_conn_default_impu(
					   wic_bindings, conn, asserted, sizeof(asserted))
					   < 0) {
		WIC_LOG_REFUSAL("%.*s refused (Call-ID %.*s): connection %d holds no "
						"registered identity\n",
				msg->first_line.u.request.method.len,
				msg->first_line.u.request.method.s,
				msg->callid ? msg->callid->body.len : 0,
				msg->callid ? msg->callid->body.s : "", conn);
		update_stat(wic_stat_orig_refused, 1);
		return -1;
	}
	if(preferred_identity(msg, conn, preferred, sizeof(preferred)) == 0)
		memcpy(asserted, preferred, sizeof(asserted));
	if(wic_remove_headers(msg, "P-Asserted-Identity") < 0
			|| wic_remove_headers(msg, "P-Preferred-Identity") < 0
			|| wic_remove_headers(msg, "Route") < 0)
		return -2;
	wic_buf_printf(&pai, "P-Asserted-Identity: <%s>\r\n", asserted);
	rc = wic_insert_header(msg, &pai);
	wic_buf_free(&pai);
	if(rc < 0)
		return -2;
	/* without a route set the client's Request-URI would pick the next hop */
	route_set = wic_route_set_of(asserted, conn);
	if(route_set == NULL) {
		LM_ERR("no Service-Route and no default_service_route for %s (or no "
			   "memory)\n",
				asserted);
		return -2;
	}
	rc = set_route(msg, route_set);
	if(rc < 0)
		LM_ERR("cannot set the route set [%s]\n", route_set);
	pkg_free(route_set);
	if(rc < 0)
		return -2;
	if(wic_insert_charging_vector(msg) < 0)
		return -2;
	wic_set_identity(msg, asserted);
	update_stat(wic_stat_orig_accepted, 1);
	return 1;
}

/* ---- terminating --------------------------------------------------- */

typedef struct target
{
	str uri;
	str dst;
	str socket;
	int conn_id;
	struct target *next;
} target_t;

typedef struct target_list
{
	target_t *head;
	int failed;
} target_list_t;

static int dup_str(str *dst, const char *src)
{
	dst->len = (int)strlen(src);
	dst->s = pkg_malloc(dst->len + 1);
	if(dst->s == NULL)
		return -1;
	memcpy(dst->s, src, dst->len + 1);
	return 0;
}

static void free_targets(target_list_t *tl)
{
	target_t *t, *next;
	for(t = tl->head; t; t = next) {
		next = t->next;
		pkg_free(t->uri.s);
		pkg_free(t->dst.s);
		pkg_free(t->socket.s);
		pkg_free(t);
	}
	tl->head = NULL;
}

/* Called under the binding table's lock: copy, never keep pointers. */
static void collect_target(void *ctx, const char *impu, const wic_contact_t *c)
{
	target_list_t *tl = ctx;
	target_t *t = pkg_malloc(sizeof(*t));

	if(t == NULL) {
		tl->failed = 1;
		return;
	}
	memset(t, 0, sizeof(*t));
	if(dup_str(&t->uri, c->uri) < 0 || dup_str(&t->dst, c->received) < 0
			|| dup_str(&t->socket, c->socket) < 0) {
		pkg_free(t->uri.s);
		pkg_free(t->dst.s);
		pkg_free(t);
		tl->failed = 1;
		return;
	}
	t->conn_id = c->conn_id;
	t->next = tl->head;
	tl->head = t;
}

static int connection_alive(int conn_id)
{
	struct tcp_connection *con = tcpconn_get(conn_id, 0, 0, 0, 0);
	if(con == NULL)
		return 0;
	tcpconn_put(con);
	return 1;
}

static int add_target(struct sip_msg *msg, target_t *t, int first)
{
	struct socket_info *si = lookup_local_socket(&t->socket);

	if(first) {
		if(rewrite_uri(msg, &t->uri) < 0 || set_dst_uri(msg, &t->dst) < 0)
			return -1;
		if(si)
			set_force_socket(msg, si);
		return 0;
	}
	return append_branch(msg, &t->uri, &t->dst, 0, Q_UNSPECIFIED, 0, si, 0, 0,
				   0, 0) == 1
				   ? 0
				   : -1;
}

static int deliver(struct sip_msg *msg, target_list_t *tl)
{
	target_t *t;
	int delivered = 0;

	for(t = tl->head; t; t = t->next) {
		if(!connection_alive(t->conn_id)) {
			LM_INFO("connection %d is gone: its bindings are removed\n",
					t->conn_id);
			wic_btable_remove_conn(wic_bindings, t->conn_id);
			continue;
		}
		if(add_target(msg, t, delivered == 0) < 0) {
			LM_ERR("cannot add the branch to [%.*s]\n", t->uri.len, t->uri.s);
			continue;
		}
		delivered++;
	}
	return delivered;
}

/* TS 24.229 5.4.3.3: an S-CSCF retargets a terminating request to the
 * registered contact (for a range, this node) and carries the called
 * identity in P-Called-Party-ID; a core that keeps the Request-URI sends
 * none. The called identity is the one P-Called-Party-ID (only one
 * allowed) names, else the current Request-URI. 0, or -1 when neither is
 * a usable URI. */
static int called_identity(struct sip_msg *msg, char *impu, size_t len)
{
	struct hdr_field *cpid = wic_find_header(msg, "P-Called-Party-ID");
	struct hdr_field *hf;
	struct to_body body;
	int rc;

	if(cpid == NULL) {
		if(parse_sip_msg_uri(msg) < 0)
			return -1;
		return wic_bare_uri(&msg->first_line.u.request.uri, impu, len);
	}
	for(hf = cpid->next; hf; hf = hf->next)
		if(hf->name.len == cpid->name.len
				&& strncasecmp(hf->name.s, cpid->name.s, cpid->name.len) == 0)
			return -1;
	memset(&body, 0, sizeof(body));
	parse_to(cpid->body.s, cpid->body.s + cpid->body.len + 1, &body);
	rc = body.error == PARSE_OK ? wic_bare_uri(&body.uri, impu, len) : -1;
	free_to_params(&body);
	return rc;
}

int wic_terminating(struct sip_msg *msg)
{
	const wic_prov_t *prov = wic_prov_current();
	char impu[WIC_URI_MAX];
	target_list_t tl = {0};
	int delivered;

	if(called_identity(msg, impu, sizeof(impu)) < 0) {
		WIC_LOG_REFUSAL("terminating request (Call-ID %.*s) with no usable "
						"called identity (P-Called-Party-ID or "
						"Request-URI)\n",
				msg->callid ? msg->callid->body.len : 0,
				msg->callid ? msg->callid->body.s : "");
		return -3;
	}
	if(prov == NULL) {
		wic_prov_refused(msg, "terminating request");
		return -4;
	}
	if(wic_prov_range_of(prov, NULL, impu, strlen(impu), NULL) == NULL) {
		WIC_LOG_REFUSAL(
				"terminating request for %s: no range served here\n", impu);
		update_stat(wic_stat_term_not_served, 1);
		return -2;
	}
	wic_btable_lookup(wic_bindings, impu, time(NULL), collect_target, &tl);
	delivered = tl.failed ? 0 : deliver(msg, &tl);
	free_targets(&tl);
	if(delivered == 0) {
		WIC_LOG_REFUSAL("terminating request for %s (Call-ID %.*s): identity "
						"not registered\n",
				impu, msg->callid ? msg->callid->body.len : 0,
				msg->callid ? msg->callid->body.s : "");
		update_stat(wic_stat_term_unregistered, 1);
		return -1;
	}
	wic_set_identity(msg, impu);
	update_stat(wic_stat_term_forwarded, 1);
	return 1;
}

/* ---- connection closed --------------------------------------------- */

int wic_conn_closed(struct sip_msg *msg)
{
	int conn = wic_connection_id(msg);
	int removed = wic_btable_remove_conn(wic_bindings, conn);

	if(removed > 0)
		LM_INFO("connection %d closed: %d binding(s) removed\n", conn, removed);
	return 1;
}

static bool conn_alive(void *ctx, int conn_id)
{
	(void)ctx;
	return connection_alive(conn_id) != 0;
}

/* Ids are collected a slot at a time, the core is asked with no table lock
 * held, then the gone are removed (wic_btable_sweep). Connection ids are
 * never reused while Kamailio runs, so an id the core does not know stays
 * gone. */
void wic_conn_sweep(void)
{
	unsigned conns = 0;
	int removed;

	if(tcp_disable || wic_bindings == NULL)
		return;
	removed = wic_btable_sweep(wic_bindings, conn_alive, NULL, &conns);
	if(conns == 0)
		return;
	if(removed > 0)
		update_stat(wic_stat_bindings_swept, removed);
	LM_INFO("sweep: %u connection(s) gone without a close event: %d "
			"binding(s) removed\n",
			conns, removed);
}
