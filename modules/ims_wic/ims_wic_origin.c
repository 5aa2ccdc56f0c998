/*
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

	if(origin == NULL) {
		WIC_LOG_REFUSAL("WebSocket upgrade refused from %s: no Origin header\n",
				ip_addr2a(&msg->rcv.src_ip));
		update_stat(wic_stat_origin_refused, 1);
		return -1;
	}
	wwsf = prov ? wic_prov_wwsf_by_origin(
				   prov, origin->body.s, (size_t)origin->body.len)
				: NULL;
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
		LM_ERR("cannot remember the WWSF of connection %d\n",
				wic_connection_id(msg));
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
	const char *slash = strchr(cidr, '/');
	size_t alen = slash ? (size_t)(slash - cidr) : strlen(cidr);
	struct ip_addr *ip;
	ims_core_net_t *n;
	int bits;
	str s;

	if(alen == 0 || alen >= sizeof(addr)) {
		LM_ERR("ims_core: bad address [%s]\n", cidr);
		return -1;
	}
	memcpy(addr, cidr, alen);
	addr[alen] = '\0';
	s.s = addr;
	s.len = (int)alen;
	ip = str2ip(&s);
	if(ip == NULL)
		ip = str2ip6(&s);
	if(ip == NULL) {
		LM_ERR("ims_core: [%s] is not an IP address\n", addr);
		return -1;
	}
	bits = slash ? prefix_bits(slash + 1) : (int)ip->len * 8;
	if(bits < 0 || bits > (int)ip->len * 8) {
		LM_ERR("ims_core: bad prefix length in [%s]\n", cidr);
		return -1;
	}
	n = pkg_malloc(sizeof(*n));
	if(n == NULL) {
		PKG_MEM_ERROR;
		return -1;
	}
	if(mk_net_bitlen(&n->net, ip, (unsigned)bits) < 0) {
		pkg_free(n);
		LM_ERR("ims_core: bad network [%s]\n", cidr);
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
 * IMS Core of this message's identity: the range's Service-Route, else the
 * default route. A name is never resolved here: one the client chose could
 * stall this worker on DNS, or resolve differently for t_relay (SRV). */
static int host_in_route_set(struct sip_msg *msg, str *host)
{
	const char *identity = wic_identity_of(msg);
	char route_set[1024];
	const char *p, *close;
	struct sip_uri u;

	if(wic_route_set_of(identity ? identity : "", route_set, sizeof(route_set))
			< 0)
		return 0;
	for(p = strchr(route_set, '<'); p; p = strchr(close, '<')) {
		close = strchr(p, '>');
		if(close == NULL)
			return 0;
		if(parse_uri((char *)p + 1, (int)(close - p - 1), &u) == 0
				&& u.host.len == host->len
				&& strncasecmp(u.host.s, host->s, host->len) == 0)
			return 1;
	}
	return 0;
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

int wic_next_hop_is_ims_core(struct sip_msg *msg)
{
	str *hop = GET_NEXT_HOP(msg);
	struct ip_addr *ip;
	struct sip_uri u;
	str host;

	if(hop == NULL || hop->len <= 0 || parse_uri(hop->s, hop->len, &u) < 0)
		return -1;
	/* RFC 3261 19.1.1: maddr overrides the host as the destination */
	host = u.maddr_val.len > 0 ? u.maddr_val : u.host;
	if(host.len > 1 && host.s[0] == '[') {
		host.s++;
		host.len -= 2;
	}
	/* never back into this node's own SIP listeners: the request would come
	 * in again as one of the IMS Core's */
	if(check_self(&host, u.port_no ? u.port_no : SIP_PORT, 0) == 1) {
		LM_DBG("next hop [%.*s] is this node\n", hop->len, hop->s);
		return -1;
	}
	ip = str2ip(&host);
	if(ip == NULL)
		ip = str2ip6(&host);
	if(ip ? in_ims_core(ip) : host_in_route_set(msg, &host))
		return 1;
	LM_DBG("next hop [%.*s] is not in the IMS Core\n", hop->len, hop->s);
	return -1;
}
