/*
 * SPDX-License-Identifier: GPL-2.0-or-later
 * Copyright (C) 2026 the ims_wic authors
 *
 * ims_wic - who may talk to the eP-CSCF: the WebSocket Origin of a WIC
 * (checked in event_route[xhttp:request], before the upgrade) and the
 * addresses of the IMS Core (for terminating requests).
 */
#include <arpa/inet.h>
#include <string.h>

#include "../../core/dprint.h"
#include "../../core/ip_addr.h"
#include "../../core/mem/pkg.h"
#include "../../core/parser/msg_parser.h"
#include "../../core/parser/parse_rr.h"
#include "../../core/parser/parse_uri.h"
#include "../../core/forward.h"
#include "../../core/resolve.h"

#include "ims_wic_mod.h"
#include "ims_wic_sip.h"

int wic_origin_check(struct sip_msg *msg)
{
	const wic_prov_t *prov = wic_prov_current();
	struct hdr_field *origin = wic_find_header(msg, "Origin");
	const wic_wwsf_t *wwsf;

	if(prov == NULL) {
		wic_prov_refused(msg, "WebSocket upgrade");
		return -2;
	}
	if(origin == NULL) {
		WIC_LOG_REFUSAL("WebSocket upgrade refused from %s: no Origin header\n",
				ip_addr2a(&msg->rcv.src_ip));
		update_stat(wic_stat_origin_refused, 1);
		return -1;
	}
	wwsf = wic_prov_wwsf_by_origin(
			prov, origin->body.s, (size_t)origin->body.len);
	if(wwsf == NULL) {
		WIC_LOG_REFUSAL(
				"WebSocket upgrade refused from %s: Origin [%.*s] belongs "
				"to no authorized WWSF\n",
				ip_addr2a(&msg->rcv.src_ip), origin->body.len, origin->body.s);
		update_stat(wic_stat_origin_refused, 1);
		return -1;
	}
	if(wic_btable_conn_set_wwsf(wic_bindings, wic_connection_id(msg), wwsf->id)
			< 0) {
		/* shared memory is short: every upgrade would say so, so it is
		 * rate limited like a refusal, but an ERROR */
		unsigned suppressed;
		if(wic_refusal_log_allowed(&suppressed))
			LM_ERR("cannot remember the WWSF of connection %d (no shared "
				   "memory); %u such lines suppressed before\n",
					wic_connection_id(msg), suppressed);
		return -1;
	}
	LM_DBG("connection %d belongs to WWSF %s\n", wic_connection_id(msg),
			wwsf->id);
	return 1;
}

/* The IMS Core's addresses, from modparam ims_core ("ip" or "ip/bits"). */
typedef struct ims_core_net
{
	struct net net;
	struct ims_core_net *next;
} ims_core_net_t;
static ims_core_net_t *ims_core_nets;

/* "24" -> 24; -1 unless one to three digits and nothing else */
static int prefix_bits(const char *s)
{
	int bits = 0, n = 0;

	for(; *s; s++, n++) {
		if(*s < '0' || *s > '9' || n == 3)
			return -1;
		bits = bits * 10 + (*s - '0');
	}
	return n ? bits : -1;
}

int wic_add_ims_core(const char *cidr)
{
	char addr[64];
	unsigned char probe[sizeof(struct in6_addr)];
	const char *slash = strchr(cidr, '/');
	size_t alen = slash ? (size_t)(slash - cidr) : strlen(cidr);
	struct ip_addr *ip;
	ims_core_net_t *n;
	int bits;
	str s;

	if(alen == 0 || alen >= sizeof(addr)) {
		LM_ERR("modparam ims_core: bad address [%s]\n", cidr);
		return -1;
	}
	memcpy(addr, cidr, alen);
	addr[alen] = '\0';
	s.s = addr;
	s.len = (int)alen;
	/* str2ip() takes 300.1.2.3: inet_pton() decides what an address is */
	ip = inet_pton(AF_INET, addr, probe) == 1	 ? str2ip(&s)
		 : inet_pton(AF_INET6, addr, probe) == 1 ? str2ip6(&s)
												 : NULL;
	if(ip == NULL) {
		LM_ERR("modparam ims_core: [%s] is not an IP address\n", addr);
		return -1;
	}
	bits = slash ? prefix_bits(slash + 1) : (int)ip->len * 8;
	if(bits < 0 || bits > (int)ip->len * 8) {
		LM_ERR("modparam ims_core: bad prefix length in [%s]\n", cidr);
		return -1;
	}
	n = pkg_malloc(sizeof(*n));
	if(n == NULL) {
		PKG_MEM_ERROR;
		return -1;
	}
	if(mk_net_bitlen(&n->net, ip, (unsigned)bits) < 0) {
		pkg_free(n);
		LM_ERR("modparam ims_core: bad network [%s]\n", cidr);
		return -1;
	}
	n->next = ims_core_nets;
	ims_core_nets = n;
	return 0;
}

int wic_from_ims_core(struct sip_msg *msg)
{
	ims_core_net_t *n;

	if(wic_over_websocket(msg))
		return -1;
	for(n = ims_core_nets; n; n = n->next) {
		if(matchnet(&msg->rcv.src_ip, &n->net) == 1)
			return 1;
	}
	return -1;
}

/* True when host (a name) is the host of a URI of the route set towards the
 * IMS Core of identity: its range's Service-Route, else default_service_route.
 * A name is never resolved here: one the client chose could stall this
 * worker on DNS, or resolve differently for t_relay (SRV). */
static int host_in_route_set(const char *identity, str *host)
{
	/* any binding of the identity: the hop check has no connection */
	char *route_set = wic_route_set_of(identity ? identity : "", -1);
	const char *p, *close;
	struct sip_uri u;
	int found = 0;

	if(route_set == NULL)
		return 0;
	for(p = strchr(route_set, '<'); p && !found; p = strchr(close, '<')) {
		close = strchr(p, '>');
		if(close == NULL)
			break;
		found = parse_uri((char *)p + 1, (int)(close - p - 1), &u) == 0
				&& u.host.len == host->len
				&& strncasecmp(u.host.s, host->s, host->len) == 0;
	}
	pkg_free(route_set);
	return found;
}

static int in_ims_core(struct ip_addr *ip)
{
	ims_core_net_t *n;

	for(n = ims_core_nets; n; n = n->next) {
		if(matchnet(ip, &n->net) == 1)
			return 1;
	}
	return 0;
}

typedef enum hop_kind
{
	HOP_FOREIGN = 0, /* anything else, or a URI that does not parse */
	HOP_SELF,		 /* one of this node's own SIP listeners */
	HOP_IMS_CORE	 /* an IP in ims_core, or a name of the route set */
} hop_kind_t;

/* What the URI names as a hop. */
static hop_kind_t hop_kind(const char *identity, str *uri)
{
	struct ip_addr *ip;
	struct sip_uri u;
	str host;

	/* maddr (RFC 3261 19.1.1) makes the destination another address than
	 * the host: a hop of this node or the IMS Core never needs one, and a
	 * proxy that ignores it would go to the host instead */
	if(uri->len <= 0 || parse_uri(uri->s, uri->len, &u) < 0
			|| u.maddr_val.len > 0)
		return HOP_FOREIGN;
	host = u.host;
	if(host.len > 1 && host.s[0] == '[') {
		host.s++;
		host.len -= 2;
	}
	if(check_self(&host, u.port_no ? u.port_no : SIP_PORT, 0) == 1)
		return HOP_SELF;
	ip = str2ip(&host);
	if(ip == NULL)
		ip = str2ip6(&host);
	if(ip ? in_ims_core(ip) : host_in_route_set(identity, &host))
		return HOP_IMS_CORE;
	return HOP_FOREIGN;
}

int wic_next_hop_is_ims_core(struct sip_msg *msg)
{
	str *hop = GET_NEXT_HOP(msg);

	/* this node's own listeners never pass: a request looped through them
	 * would come back as one of the IMS Core's */
	if(hop && hop_kind(wic_identity_of(msg), hop) == HOP_IMS_CORE)
		return 1;
	LM_DBG("next hop [%.*s] is not in the IMS Core\n", hop ? hop->len : 0,
			hop ? hop->s : "");
	return -1;
}

/* Calls visit(ctx, uri) for every URI of every header of type t, in order;
 * stops at the first non-zero answer and returns it (-1: unparsable). */
static int each_route_uri(struct sip_msg *msg, enum _hdr_types_t t,
		int (*visit)(void *ctx, struct hdr_field *hf, str *uri), void *ctx)
{
	struct hdr_field *hf;
	rr_t *r;
	int rc;

	if(parse_headers(msg, HDR_EOH_F, 0) < 0)
		return -1;
	for(hf = msg->headers; hf; hf = hf->next) {
		if(hf->type != t)
			continue;
		if(parse_rr(hf) < 0)
			return -1;
		for(r = (rr_t *)hf->parsed; r; r = r->next) {
			rc = visit(ctx, hf, &r->nameaddr.uri);
			if(rc != 0)
				return rc;
		}
	}
	return 0;
}

typedef struct route_walk
{
	const char *identity;
	int past_self; /* left the leading entries of this node */
} route_walk_t;

/* The Route entries loose_route() consumed are this node's, at the top;
 * every one after them must be the IMS Core's (TS 24.229: a subsequent
 * request of the UE follows the dialog's route set, which leads into the
 * IMS Core only). */
static int visit_route(void *ctx, struct hdr_field *hf, str *uri)
{
	route_walk_t *w = ctx;
	hop_kind_t k = hop_kind(w->identity, uri);

	(void)hf;
	if(k == HOP_SELF && !w->past_self)
		return 0;
	w->past_self = 1;
	return k == HOP_IMS_CORE ? 0 : 1;
}

int wic_route_set_is_ims_core(struct sip_msg *msg)
{
	route_walk_t w = {wic_identity_of(msg), 0};

	return each_route_uri(msg, HDR_ROUTE_T, visit_route, &w) == 0 ? 1 : -1;
}

/* A WIC's reply echoes the Record-Route of the request (RFC 3261 12.1.1):
 * an entry that is neither this node's nor the IMS Core's was written by
 * the WIC, and would become the IMS side's first hop. */
static int visit_record_route(void *ctx, struct hdr_field *hf, str *uri)
{
	const char *identity = ctx;

	(void)hf;
	return hop_kind(identity, uri) == HOP_FOREIGN ? 1 : 0;
}

int wic_reply_record_route_ok(struct sip_msg *msg, str *identity)
{
	char id[512];

	if(identity == NULL || identity->len < 0
			|| identity->len >= (int)sizeof(id))
		return -1;
	memcpy(id, identity->s, identity->len);
	id[identity->len] = '\0';
	return each_route_uri(msg, HDR_RECORDROUTE_T, visit_record_route, id) == 0
				   ? 1
				   : -1;
}
