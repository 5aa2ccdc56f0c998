/*
 * SPDX-License-Identifier: GPL-2.0-or-later
 * Copyright (C) 2026 the ims_wic authors
 *
 * ims_wic - policing of requests that arrive from WICs (TS 24.229 5.2.6.3:
 * the P-CSCF removes or replaces what a UE must not assert), the identity
 * asserted in a dialog, and who may own a dialog or a WebSocket.
 *
 * The WIC side is untrusted: nothing a browser writes in a header may reach
 * the IMS Core as if this node had asserted it, name a next hop, or carry
 * the WIC's token further.
 */
#include <string.h>
#include <openssl/rand.h>

#include "../../core/data_lump.h"
#include "../../core/dprint.h"
#include "../../core/parser/contact/parse_contact.h"
#include "../../core/parser/parse_uri.h"
#include "../../core/tcp_conn.h"
#include "../../core/trim.h"
#include "../../core/ut.h"
/* rr's header casts its binder between function types in an inline
 * function: harmless, but -Wextra would flag it in this module */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wcast-function-type"
#include "../../modules/rr/api.h"
#pragma GCC diagnostic pop

#include "ims_wic_mod.h"
#include "ims_wic_sip.h"
#include "wic_dialog.h"

#define WIC_IDENTITY_MAX 512
#define WIC_ICID_BYTES 16

/* Header fields that only the P-CSCF or the IMS Core may set (TS 24.229
 * 5.2.6.3.3, 5.2.7; RFC 7315, RFC 3325, RFC 7316, RFC 4412, RFC 5009) or
 * that name hops of the operator network: a WIC's copies are removed from
 * every message it sends. P-Asserted-Identity and P-Preferred-Identity are
 * handled where the identity is asserted (wic_originating,
 * wic_assert_identity). */
static const char *const untrusted_headers[] = {"P-Charging-Vector",
		"P-Charging-Function-Addresses", "P-Served-User",
		"P-Visited-Network-ID", "P-Access-Network-Info", "P-Called-Party-ID",
		"P-Profile-Key", "P-Asserted-Service", "Remote-Party-ID",
		"P-Private-Network-Indication", "Resource-Priority", "P-Early-Media",
		"Path", "Service-Route", "P-Associated-URI", NULL};

/* Only in requests: a UA adds no Record-Route (a WIC's reply must echo the
 * request's, RFC 3261 12.1.1), and its credentials are for this node. */
static const char *const untrusted_request_headers[] = {
		"Record-Route", "Authorization", "Proxy-Authorization", NULL};

/* The WIC identity of the request being processed, set by wic_originating
 * (the asserted identity) and wic_terminating (the called identity), read
 * as $wic(identity). Per process; valid for one message. */
static struct
{
	unsigned int msg_id;
	int pid;
	char uri[WIC_IDENTITY_MAX];
} current_identity;

void wic_set_identity(struct sip_msg *msg, const char *uri)
{
	current_identity.msg_id = msg->id;
	current_identity.pid = msg->pid;
	snprintf(current_identity.uri, sizeof(current_identity.uri), "%s", uri);
}

const char *wic_identity_of(struct sip_msg *msg)
{
	if(current_identity.uri[0] == '\0' || current_identity.msg_id != msg->id
			|| current_identity.pid != msg->pid)
		return NULL;
	return current_identity.uri;
}

enum wic_pv_name
{
	WIC_PV_IDENTITY = 0,
	WIC_PV_CONN
};

int wic_pv_get_wic(struct sip_msg *msg, pv_param_t *param, pv_value_t *res)
{
	const char *id;
	str s;

	/* the connection id even when the connection is gone (tcp:closed),
	 * where $conid, which looks the connection up, is null */
	if(param->pvn.u.isname.name.n == WIC_PV_CONN)
		return pv_get_sintval(msg, param, res, wic_connection_id(msg));
	id = wic_identity_of(msg);
	if(id == NULL)
		return pv_get_null(msg, param, res);
	s.s = (char *)id;
	s.len = (int)strlen(id);
	return pv_get_strval(msg, param, res, &s);
}

int wic_pv_parse_wic_name(pv_spec_p sp, str *in)
{
	int name;

	if(in != NULL && in->len == 8 && strncmp(in->s, "identity", 8) == 0)
		name = WIC_PV_IDENTITY;
	else if(in != NULL && in->len == 4 && strncmp(in->s, "conn", 4) == 0)
		name = WIC_PV_CONN;
	else {
		LM_ERR("unknown $wic(%.*s): $wic(identity) or $wic(conn)\n",
				in ? in->len : 0, in ? in->s : "");
		return -1;
	}
	sp->pvp.pvn.type = PV_NAME_INTSTR;
	sp->pvp.pvn.u.isname.type = 0;
	sp->pvp.pvn.u.isname.name.n = name;
	return 0;
}

/* ---- client-supplied alias parameters ---------------------------------- */

/* 1 when the URI's text holds an "alias" parameter anywhere (";alias",
 * any case, then "=" after optional whitespace): nathelper takes such a
 * parameter as the address to reach the WIC, and finds it in the raw text,
 * user part included (a "user=phone" URI parses its parameters
 * differently), so a WIC may not write one itself. 0 when it does not, -1
 * when the URI does not parse. */
static int uri_has_alias(str *uri)
{
	struct sip_uri u;
	const char *p = uri->s, *end = uri->s + uri->len;

	if(parse_uri(uri->s, uri->len, &u) < 0)
		return -1;
	for(; p + 6 <= end; p++) {
		const char *q;
		if(*p != ';' || strncasecmp(p + 1, "alias", 5) != 0)
			continue;
		for(q = p + 6; q < end && (*q == ' ' || *q == '\t'); q++)
			;
		if(q < end && *q == '=')
			return 1;
	}
	return 0;
}

/* As uri_has_alias, over every URI of every Contact header: a Contact that
 * does not parse could hide one, so it counts as -1. */
static int contacts_have_alias(struct sip_msg *msg)
{
	struct hdr_field *hf;
	contact_t *c;
	int alias;

	for(hf = msg->contact; hf; hf = next_sibling_hdr(hf)) {
		if(parse_contact(hf) < 0 || hf->parsed == NULL)
			return -1;
		for(c = ((contact_body_t *)hf->parsed)->contacts; c; c = c->next) {
			alias = uri_has_alias(&c->uri);
			if(alias != 0)
				return alias;
		}
	}
	return 0;
}

/* 1 when the Request-URI or a Contact carries an alias parameter, 0 when
 * none does, -1 when one of them does not parse */
static int has_client_alias(struct sip_msg *msg)
{
	int alias;

	if(msg->first_line.type == SIP_REQUEST) {
		if(parse_sip_msg_uri(msg) < 0)
			return -1;
		alias = uri_has_alias(&msg->first_line.u.request.uri);
		if(alias != 0)
			return alias;
	}
	return contacts_have_alias(msg);
}

static int is_register(struct sip_msg *msg)
{
	return msg->first_line.type == SIP_REQUEST
		   && msg->first_line.u.request.method_value == METHOD_REGISTER;
}

int wic_police(struct sip_msg *msg)
{
	int alias, i;

	if(!wic_over_websocket(msg))
		return -1;
	if(parse_headers(msg, HDR_EOH_F, 0) < 0)
		return -2;
	alias = has_client_alias(msg);
	if(alias > 0) {
		LM_DBG("message carries a client-supplied alias parameter\n");
		return -3;
	}
	/* a REGISTER ends here: its Authorization is read, never relayed, and
	 * wic_register() answers a Contact it cannot use itself */
	if(is_register(msg))
		return 1;
	if(alias < 0)
		return -2;
	for(i = 0; untrusted_headers[i]; i++) {
		if(wic_remove_headers(msg, untrusted_headers[i]) < 0)
			return -4;
	}
	for(i = 0;
			msg->first_line.type == SIP_REQUEST && untrusted_request_headers[i];
			i++) {
		if(wic_remove_headers(msg, untrusted_request_headers[i]) < 0)
			return -4;
	}
	return 1;
}

/* ---- identity in a dialog ---------------------------------------------- */

int wic_assert_identity(struct sip_msg *msg, str *identity)
{
	wic_buf_t pai = {0};
	int rc;

	if(identity == NULL || identity->len <= 0
			|| identity->len >= WIC_IDENTITY_MAX)
		return -1;
	if(wic_remove_headers(msg, "P-Asserted-Identity") < 0
			|| wic_remove_headers(msg, "P-Preferred-Identity") < 0)
		return -1;
	wic_buf_printf(&pai, "P-Asserted-Identity: <%.*s>\r\n", identity->len,
			identity->s);
	rc = wic_insert_header(msg, &pai);
	wic_buf_free(&pai);
	return rc < 0 ? -1 : 1;
}

/* TS 24.229 5.2.7 / RFC 7315 4.6: the P-CSCF starts the charging
 * correlation of a request from its UE with a fresh icid-value. */
int wic_insert_charging_vector(struct sip_msg *msg)
{
	unsigned char icid[WIC_ICID_BYTES];
	char hex[2 * WIC_ICID_BYTES + 1];
	wic_buf_t line = {0};
	int rc;

	if(RAND_bytes(icid, sizeof(icid)) != 1) {
		LM_ERR("no random bytes for the icid-value\n");
		return -1;
	}
	string2hex(icid, sizeof(icid), hex);
	hex[2 * WIC_ICID_BYTES] = '\0';
	wic_buf_printf(&line, "P-Charging-Vector: icid-value=%s\r\n", hex);
	rc = wic_insert_header(msg, &line);
	wic_buf_free(&line);
	return rc;
}

/* ---- ownership --------------------------------------------------------- */

int wic_conn_holds(int conn_id, str *identity)
{
	char uri[WIC_IDENTITY_MAX];

	if(identity == NULL || identity->len <= 0
			|| identity->len >= (int)sizeof(uri))
		return -1;
	memcpy(uri, identity->s, identity->len);
	uri[identity->len] = '\0';
	return wic_btable_conn_has_impu(wic_bindings, conn_id, uri) ? 1 : -1;
}

int wic_conn_unregistered(int conn_id)
{
	struct tcp_connection *con = tcpconn_get(conn_id, 0, 0, 0, 0);
	char impu[WIC_IDENTITY_MAX];

	if(con == NULL)
		return -1;
	tcpconn_put(con);
	return wic_btable_conn_default_impu(
				   wic_bindings, conn_id, impu, sizeof(impu))
						   < 0
				   ? 1
				   : -1;
}

/* ---- dialogs: Record-Route parameters this node signs ------------------ */

/* In every dialog this node record-routes for a WIC, its Record-Route URI
 * carries ";wic=<value>" (wic_dialog.h): the WIC's connection id (0 when
 * the WIC answered a terminating request: any of its forks may win), the
 * identity asserted for it, and an HMAC over both and the Call-ID under a
 * key made at start. WebSocket connections do not outlive the process, so
 * neither need the key. An in-dialog request of a WIC is relayed only when
 * that parameter comes back intact in the Route this node consumed and
 * names its own connection (or an identity it holds). */
#define WIC_DIALOG_PARAM "wic"

static wic_dialog_key_t dialog_key;
static rr_api_t rrb;

int wic_dialog_init(void)
{
	if(RAND_bytes(dialog_key.bytes, sizeof(dialog_key.bytes)) != 1) {
		LM_ERR("no random bytes for the dialog key\n");
		return -1;
	}
	if(load_rr_api(&rrb) != 0) {
		LM_ERR("cannot bind the rr module (load rr before ims_wic)\n");
		return -1;
	}
	return 0;
}

static int call_id_of(struct sip_msg *msg, str *callid)
{
	if((msg->callid == NULL && parse_headers(msg, HDR_CALLID_F, 0) < 0)
			|| msg->callid == NULL)
		return -1;
	*callid = msg->callid->body;
	trim(callid);
	return callid->len > 0 ? 0 : -1;
}

int wic_sign_dialog(struct sip_msg *msg)
{
	const char *identity = wic_identity_of(msg);
	int conn = wic_over_websocket(msg) ? wic_connection_id(msg) : 0;
	char param[WIC_DIALOG_PARAM_MAX + sizeof(WIC_DIALOG_PARAM) + 2];
	const size_t prefix = sizeof(WIC_DIALOG_PARAM) + 1; /* ";wic=" */
	str callid, p;
	int n;

	if(identity == NULL || call_id_of(msg, &callid) < 0) {
		LM_ERR("no identity or Call-ID to sign the dialog with\n");
		return -1;
	}
	memcpy(param, ";" WIC_DIALOG_PARAM "=", prefix);
	n = wic_dialog_param_make(&dialog_key, callid.s, (size_t)callid.len, conn,
			identity, param + prefix, sizeof(param) - prefix);
	if(n < 0) {
		LM_ERR("cannot sign the dialog of %s\n", identity);
		return -1;
	}
	p.s = param;
	p.len = (int)prefix + n;
	return rrb.add_rr_param(msg, &p) == 0 ? 1 : -1;
}

int wic_dialog_owner(struct sip_msg *msg)
{
	str name = str_init(WIC_DIALOG_PARAM), value, callid;
	char identity[WIC_DIALOG_IDENTITY_MAX + 1];
	int conn;

	if(rrb.get_route_param(msg, &name, &value) != 0 || value.len <= 0
			|| call_id_of(msg, &callid) < 0
			|| wic_dialog_param_check(&dialog_key, callid.s, (size_t)callid.len,
					   value.s, (size_t)value.len, &conn, identity,
					   sizeof(identity))
					   < 0)
		return -1;
	wic_set_identity(msg, identity);
	if(!wic_over_websocket(msg))
		return 1;
	if(conn != 0)
		return conn == wic_connection_id(msg) ? 1 : -2;
	return wic_btable_conn_has_impu(
				   wic_bindings, wic_connection_id(msg), identity)
				   ? 1
				   : -2;
}
