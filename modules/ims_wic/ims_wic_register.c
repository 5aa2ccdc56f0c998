/*
 * SPDX-License-Identifier: GPL-2.0-or-later
 * Copyright (C) 2026 the ims_wic authors
 *
 * ims_wic - the local registrar: a WIC's REGISTER over WebSocket is
 * admitted (token, WWSF, range), then saved, refreshed or removed, and
 * answered here. Nothing of it reaches the IMS Core.
 */
#include <limits.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#include "../../core/dprint.h"
#include "../../core/ip_addr.h"
#include "../../core/parser/contact/parse_contact.h"
#include "../../core/parser/parse_expires.h"
#include "../../core/parser/parse_to.h"
#include "../../core/parser/parse_uri.h"
#include "../../core/parser/parse_cseq.h"
#include "../../core/parser/parse_content.h"
#include "../../core/socket_info.h"
#include "../../core/ut.h"

#include "ims_wic_mod.h"
#include "ims_wic_sip.h"
#include "wic_cparam.h"
#include "wic_text.h"

#define WIC_URI_MAX 512

/* What one REGISTER asks for, read before any state is touched. */
typedef struct reg_request
{
	char impu[WIC_URI_MAX];
	const char *token;
	size_t token_len;
	char conn_wwsf[128];
	int has_conn_wwsf;
	contact_body_t *contacts; /* first Contact header; NULL: fetch only */
	int star;
	int expires_hdr; /* -1 when absent */
	str call_id;
	unsigned cseq;
	wic_verdict_t bad; /* read_request() -2: which grammar failed */
	char why[160];
} reg_request_t;

static void send_plain(struct sip_msg *msg, int code, const char *reason)
{
	str r = {(char *)reason, (int)strlen(reason)};
	/* a WIC that closes its connection first makes this fail at will:
	 * INFO, rate limited */
	if(wic_slb.freply(msg, code, &r) < 0)
		WIC_LOG_REFUSAL("cannot send %d %s to %s (connection gone?)\n", code,
				reason, ip_addr2a(&msg->rcv.src_ip));
}

static void send_with_headers(
		struct sip_msg *msg, int code, const char *reason, wic_buf_t *hdrs)
{
	if(wic_add_reply_headers(msg, hdrs) < 0) {
		send_plain(msg, 500, "Server Internal Error");
		return;
	}
	send_plain(msg, code, reason);
}

static int find_bearer(struct sip_msg *msg, reg_request_t *rq)
{
	struct hdr_field *hf;

	for(hf = msg->headers; hf; hf = hf->next) {
		if(hf->type != HDR_AUTHORIZATION_T)
			continue;
		if(wic_token_from_bearer(
				   hf->body.s, (size_t)hf->body.len, &rq->token, &rq->token_len)
				== 0)
			return 0;
	}
	return -1;
}

static int find_body_token(struct sip_msg *msg, reg_request_t *rq)
{
	char *body;
	int blen;

	if(msg->content_type == NULL)
		return -1;
	body = get_body(msg);
	if(body == NULL)
		return -1;
	blen = (int)(msg->buf + msg->len - body);
	if(msg->content_length)
		blen = get_content_length(msg) < blen ? get_content_length(msg) : blen;
	return wic_token_from_body(msg->content_type->body.s,
			(size_t)msg->content_type->body.len, body, (size_t)blen, &rq->token,
			&rq->token_len);
}

/* Registrar values are ints; anything above INT_MAX is above every cap
 * (max_expires) anyway. */
static int expires_value(uint32_t v)
{
	return v > (uint32_t)INT_MAX ? INT_MAX : (int)v;
}

/* The Expires header, once, as delta-seconds (RFC 3261 20.19). Kamailio's
 * parse_expires() reads "abc" or an 11-digit value as 0, a removal. */
static int read_expires(struct sip_msg *msg, reg_request_t *rq)
{
	struct hdr_field *hf;
	uint32_t v;

	for(hf = msg->headers; hf; hf = hf->next) {
		if(hf->type != HDR_EXPIRES_T)
			continue;
		if(rq->expires_hdr >= 0) {
			wic_why(rq->why, sizeof(rq->why), "Expires header given twice");
			return -1;
		}
		if(wic_delta_seconds(hf->body.s, (size_t)hf->body.len, &v) < 0) {
			wic_why(rq->why, sizeof(rq->why),
					"Expires [%.*s] is not delta-seconds (RFC 3261)",
					hf->body.len > 64 ? 64 : hf->body.len, hf->body.s);
			return -1;
		}
		rq->expires_hdr = expires_value(v);
	}
	return 0;
}

/* Every parameter of one Contact the registrar reads, against its
 * grammar; the value is handed over as it stands, quotes included. */
static int check_contact_params(contact_t *c, reg_request_t *rq)
{
	wic_cparams_t cp;
	param_t *p;
	const char *v;
	size_t vlen;

	wic_cparams_init(&cp);
	for(p = c->params; p; p = p->next) {
		v = p->body.s;
		vlen = p->body.len > 0 ? (size_t)p->body.len : 0;
		if(v != NULL && vlen > 0 && v[-1] == '"' && v[vlen] == '"') {
			v--;
			vlen += 2;
		}
		if(wic_cparams_add(&cp, p->name.s, (size_t)p->name.len, v, vlen,
				   vlen > 0, rq->why, sizeof(rq->why))
				< 0)
			return -1;
	}
	return 0;
}

/* 0; -1 malformed; -2 a Contact parameter outside its grammar (rq->bad) */
static int read_contacts(struct sip_msg *msg, reg_request_t *rq)
{
	struct hdr_field *hf;
	contact_t *c;

	if(parse_contact_headers(msg) < 0)
		return -1;
	for(hf = msg->contact; hf; hf = hf->next) {
		contact_body_t *cb;
		if(hf->type != HDR_CONTACT_T)
			continue;
		cb = (contact_body_t *)hf->parsed;
		if(cb->star)
			rq->star = 1;
		else if(rq->contacts == NULL)
			rq->contacts = cb;
		for(c = cb->contacts; c; c = c->next) {
			if(check_contact_params(c, rq) < 0) {
				rq->bad = WIC_BAD_CONTACT_PARAM;
				return -2;
			}
		}
	}
	/* RFC 3261 10.3 step 6: '*' only alone and with Expires: 0 */
	if(rq->star && (rq->contacts != NULL || rq->expires_hdr != 0))
		return -1;
	return 0;
}

/* 0; -1 malformed; -2 a value outside its grammar (rq->bad, rq->why) */
static int read_request(struct sip_msg *msg, reg_request_t *rq)
{
	struct to_body *to;
	int rc;

	memset(rq, 0, sizeof(*rq));
	rq->expires_hdr = -1;
	if(parse_headers(msg, HDR_EOH_F, 0) < 0 || msg->callid == NULL
			|| msg->cseq == NULL || parse_to_header(msg) < 0)
		return -1;
	to = get_to(msg);
	if(wic_bare_uri(&to->uri, rq->impu, sizeof(rq->impu)) < 0)
		return -1;
	if(read_expires(msg, rq) < 0) {
		rq->bad = WIC_BAD_EXPIRES;
		return -2;
	}
	if((rc = read_contacts(msg, rq)) < 0)
		return rc;
	rq->call_id = msg->callid->body;
	if(str2int(&get_cseq(msg)->number, &rq->cseq) < 0)
		return -1;
	if(find_bearer(msg, rq) < 0)
		find_body_token(msg, rq);
	rq->has_conn_wwsf =
			wic_btable_conn_wwsf(wic_bindings, wic_connection_id(msg),
					rq->conn_wwsf, sizeof(rq->conn_wwsf))
			== 0;
	return 0;
}

/* RFC 6750 3: error="invalid_token" tells the client to fetch a new
 * token rather than retry with this one. */
static void add_challenge(wic_buf_t *hdrs, wic_verdict_t v)
{
	if(v == WIC_NO_TOKEN)
		wic_buf_printf(hdrs, "WWW-Authenticate: Bearer realm=\"%.*s\"\r\n",
				wic_bearer_realm.len, wic_bearer_realm.s);
	else if(v == WIC_EXPIRED || v == WIC_TOKEN_TOO_SHORT)
		wic_buf_printf(hdrs,
				"WWW-Authenticate: Bearer realm=\"%.*s\", "
				"error=\"invalid_token\", error_description=\"%s\"\r\n",
				wic_bearer_realm.len, wic_bearer_realm.s,
				v == WIC_EXPIRED ? "token expired"
								 : "token expires too soon to register");
}

/* Every refusal of a check: its statistic, an INFO line with the reason
 * and the Call-ID (never the token), and the answer with its Warning. */
static void refuse(
		struct sip_msg *msg, wic_verdict_t v, const char *why, wic_buf_t *hdrs)
{
	const wic_answer_t *a = wic_answer_of(v);

	update_stat(wic_stat_rejected[v], 1);
	WIC_LOG_REFUSAL("REGISTER refused (Call-ID %.*s, from %s): %d %s: %s\n",
			msg->callid ? msg->callid->body.len : 0,
			msg->callid ? msg->callid->body.s : "", ip_addr2a(&msg->rcv.src_ip),
			a->code, a->reason, why);
	wic_buf_printf(hdrs, "Warning: 399 ims_wic \"%s\"\r\n", a->stat);
	send_with_headers(msg, a->code, a->reason, hdrs);
}

static void reject(struct sip_msg *msg, wic_verdict_t v, const char *why)
{
	wic_buf_t hdrs = {0};

	add_challenge(&hdrs, v);
	refuse(msg, v, why, &hdrs);
	wic_buf_free(&hdrs);
}

/* RFC 3261 10.3 step 7: 423 names the shortest expiry we grant. */
static void reject_too_brief(
		struct sip_msg *msg, const char *why, unsigned min_expires)
{
	wic_buf_t hdrs = {0};

	wic_buf_printf(&hdrs, "Min-Expires: %u\r\n", min_expires);
	refuse(msg, WIC_INTERVAL_TOO_BRIEF, why, &hdrs);
	wic_buf_free(&hdrs);
}

/* RFC 3261 21.5.4: the condition is temporary (this process could not
 * parse the provisioning), another try may land on a process that can. */
static void refuse_unusable(struct sip_msg *msg)
{
	wic_buf_t hdrs = {0};

	wic_buf_printf(&hdrs, "Retry-After: 5\r\n");
	wic_buf_printf(&hdrs, "Warning: 399 ims_wic \"provisioning_unusable\"\r\n");
	send_with_headers(msg, 503, "Service Unavailable", &hdrs);
	wic_buf_free(&hdrs);
}

static wic_verdict_t admit(struct sip_msg *msg, reg_request_t *rq,
		wic_admission_t *adm, time_t now)
{
	const wic_prov_t *prov = wic_prov_current();
	uint64_t prov_id = wic_prov_id();
	wic_sig_mode_t mode = WIC_VERIFY_SIGNATURE;
	wic_verdict_t v;
	char why[256] = "";
	wic_tcache_key_t key = {.ok = false};

	if(prov == NULL) {
		wic_prov_refused(msg, "REGISTER");
		refuse_unusable(msg);
		return WIC_WRONG_WWSF;
	}
	/* one SHA-256 of the token for the lookup and the store after a
	 * verification */
	if(rq->token && wic_tcache_key(&key, rq->token, rq->token_len)
			&& wic_tcache_hit_key(wic_tokens, &key, prov_id, now))
		mode = WIC_SKIP_SIGNATURE;
	update_stat(mode == WIC_SKIP_SIGNATURE ? wic_stat_token_cache_hits
										   : wic_stat_tokens_verified,
			1);
	v = wic_admit(prov, rq->has_conn_wwsf ? rq->conn_wwsf : NULL, rq->token,
			rq->token_len, rq->impu, strlen(rq->impu), now, mode, adm, why,
			sizeof(why));
	if(v != WIC_OK) {
		reject(msg, v, why[0] ? why : wic_answer_of(v)->reason);
		return v;
	}
	if(mode == WIC_VERIFY_SIGNATURE)
		wic_tcache_put_key(
				wic_tokens, &key, prov_id, (time_t)adm->token.exp, now);
	return WIC_OK;
}

/* The range must be registered with the IMS Core before its WICs are. */
static int range_ready(
		struct sip_msg *msg, const wic_range_t *range, time_t now)
{
	wic_rs_view_t view;
	wic_buf_t hdrs = {0};
	unsigned retry;

	if(wic_rstate_view(wic_ranges, range->distinct_pui, now, &view) == 0
			&& view.state == WIC_RS_UP)
		return 1;
	if(range->triggers & (WIC_TRIGGER_ON_DEMAND | WIC_TRIGGER_TOKEN))
		wic_rstate_demand(wic_ranges, range->distinct_pui, now);
	retry = wic_rstate_retry_after(wic_ranges, range->distinct_pui, now);
	update_stat(wic_stat_rejected[WIC_RANGE_DOWN], 1);
	WIC_LOG_REFUSAL("REGISTER of %.*s held back (Call-ID %.*s): range %s is "
					"not registered with the IMS Core, Retry-After %u\n",
			get_to(msg)->uri.len, get_to(msg)->uri.s, msg->callid->body.len,
			msg->callid->body.s, range->wildcard, retry);
	wic_buf_printf(&hdrs, "Retry-After: %u\r\n", retry);
	wic_buf_printf(&hdrs, "Warning: 399 ims_wic \"%s\"\r\n",
			wic_answer_of(WIC_RANGE_DOWN)->stat);
	send_with_headers(msg, wic_answer_of(WIC_RANGE_DOWN)->code,
			wic_answer_of(WIC_RANGE_DOWN)->reason, &hdrs);
	wic_buf_free(&hdrs);
	return 0;
}

/* Checked by read_contacts() against RFC 3261 delta-seconds already. */
static int contact_expires(contact_t *c, const reg_request_t *rq)
{
	uint32_t v;

	if(c->expires && c->expires->body.len > 0
			&& wic_delta_seconds(
					   c->expires->body.s, (size_t)c->expires->body.len, &v)
					   == 0)
		return expires_value(v);
	return rq->expires_hdr;
}

/* Copies a str into a NUL-terminated buffer of len bytes. Returns it, or
 * NULL when the value does not fit. */
static const char *zstr(const str *s, char *buf, size_t len)
{
	if(s->len < 0 || (size_t)s->len >= len)
		return NULL;
	memcpy(buf, s->s, s->len);
	buf[s->len] = '\0';
	return buf;
}

/* The same for optional fields: "" when absent. */
static const char *zstr_opt(const str *s, char *buf, size_t len)
{
	return s ? zstr(s, buf, len) : "";
}

typedef struct contact_strings
{
	char uri[WIC_URI_MAX];
	char instance[160];
	char socket[96];
	char received[128];
	char user_agent[160];
	char call_id[256];
} contact_strings_t;

/* What identifies a contact (RFC 5626: +sip.instance and reg-id, else
 * the URI), checked as the Request-URI it becomes. */
static int contact_identity(
		contact_t *c, contact_strings_t *cs, wic_contact_t *out)
{
	uint32_t reg_id = 0;
	struct sip_uri pu;

	if(c->uri.len <= 0)
		return -1;
	/* the contact becomes the Request-URI of terminating requests: a SIP
	 * URI, and without URI headers (RFC 3261 19.1.1: not allowed in a
	 * Request-URI; RFC 4475 regbadct) */
	if(parse_uri(c->uri.s, c->uri.len, &pu) < 0
			|| (pu.type != SIP_URI_T && pu.type != SIPS_URI_T)
			|| pu.headers.len > 0)
		return -1;
	if(c->reg_id
			&& wic_reg_id_parse(
					   c->reg_id->body.s, (size_t)c->reg_id->body.len, &reg_id)
					   < 0)
		return -1;
	memset(out, 0, sizeof(*out));
	out->uri = zstr(&c->uri, cs->uri, sizeof(cs->uri));
	out->instance = zstr_opt(c->instance ? &c->instance->body : NULL,
			cs->instance, sizeof(cs->instance));
	out->reg_id = reg_id;
	return out->uri != NULL && out->instance != NULL ? 0 : -1;
}

static int fill_contact(struct sip_msg *msg, contact_t *c,
		const reg_request_t *rq, const wic_admission_t *adm,
		contact_strings_t *cs, wic_contact_t *out)
{
	if(contact_identity(c, cs, out) < 0)
		return -1;
	out->call_id = zstr(&rq->call_id, cs->call_id, sizeof(cs->call_id));
	out->socket = msg->rcv.bind_address ? zstr(&msg->rcv.bind_address->sock_str,
						  cs->socket, sizeof(cs->socket))
										: NULL;
	out->user_agent = "";
	if(msg->user_agent) {
		/* informational only: a long one is cut */
		snprintf(cs->user_agent, sizeof(cs->user_agent), "%.*s",
				msg->user_agent->body.len, msg->user_agent->body.s);
		out->user_agent = cs->user_agent;
	}
	if(out->call_id == NULL || out->socket == NULL)
		return -1;
	out->conn_id = wic_connection_id(msg);
	/* Kamailio has no transport=wss: a WSS connection is found by its
	 * address through transport=ws (core/forward.c) */
	snprintf(cs->received, sizeof(cs->received), "sip:%s:%u;transport=ws",
			ip_addr2a(&msg->rcv.src_ip), msg->rcv.src_port);
	out->received = cs->received;
	out->cseq = rq->cseq;
	out->token_exp = (time_t)adm->token.exp;
	out->wwsf = adm->wwsf->id;
	/* the binding counts toward the range admission chose */
	out->range = adm->range != NULL ? adm->range->distinct_pui : "";
	return 0;
}

/* What applying the Contacts of a REGISTER came to. */
typedef enum apply_result
{
	APPLY_OK = 0,
	APPLY_BAD_CONTACT,
	APPLY_OUT_OF_ORDER,
	APPLY_TOO_MANY,
	APPLY_NO_MEMORY,
} apply_result_t;

static const struct
{
	int code;
	const char *reason;
} apply_answers[] = {
		[APPLY_OK] = {200, "OK"},
		[APPLY_BAD_CONTACT] = {400, "Bad Request - Contact"},
		[APPLY_OUT_OF_ORDER] = {400, "Bad Request - CSeq Out Of Order"},
		[APPLY_TOO_MANY] = {403, "Forbidden - Too Many Contacts"},
		[APPLY_NO_MEMORY] = {500, "Server Internal Error"},
};

/* The WWSF's limit, never above the module's max_contacts. */
static unsigned contact_limit(const wic_wwsf_t *wwsf)
{
	unsigned limit = wwsf->limits.max_contacts_per_impu;

	if(limit == 0 || limit > (unsigned)wic_max_contacts)
		limit = (unsigned)wic_max_contacts;
	return limit;
}

/* The modparams, checked in mod_init (0 <= min <= default, max). */
static wic_expiry_policy_t expiry_policy(void)
{
	return (wic_expiry_policy_t){(unsigned)wic_default_expires,
			(unsigned)wic_max_expires, (unsigned)wic_min_expires};
}

static apply_result_t apply_contact(struct sip_msg *msg, contact_t *c,
		const reg_request_t *rq, const wic_admission_t *adm, time_t now)
{
	contact_strings_t cs;
	wic_contact_t wc;
	int asked = contact_expires(c, rq);
	wic_expiry_policy_t pol = expiry_policy();
	unsigned granted = 0;

	if(fill_contact(msg, c, rq, adm, &cs, &wc) < 0)
		return APPLY_BAD_CONTACT;
	if(asked == 0) {
		int removed = wic_btable_remove(wic_bindings, rq->impu, &wc);
		if(removed < 0)
			return APPLY_OUT_OF_ORDER;
		if(removed > 0)
			update_stat(wic_stat_deregistered, 1);
		return APPLY_OK;
	}
	/* check_contacts granted it already with the same inputs */
	if(wic_grant_expires(adm, &pol, asked, now, &granted, NULL, 0) != WIC_OK)
		return APPLY_NO_MEMORY;
	wc.expires = now + granted;
	switch(wic_btable_save_limit(
			wic_bindings, rq->impu, &wc, contact_limit(adm->wwsf))) {
		case WIC_SAVE_CREATED:
			update_stat(wic_stat_accepted, 1);
			return APPLY_OK;
		case WIC_SAVE_REFRESHED:
			update_stat(wic_stat_refreshed, 1);
			return APPLY_OK;
		case WIC_SAVE_OUT_OF_ORDER:
			/* RFC 3261 10.3 step 7: the update is aborted, the request fails */
			return APPLY_OUT_OF_ORDER;
		case WIC_SAVE_LIMIT:
			return APPLY_TOO_MANY;
		default:
			return APPLY_NO_MEMORY;
	}
}

typedef struct reply_ctx
{
	wic_buf_t *hdrs;
	time_t now;
} reply_ctx_t;

static void add_contact_line(
		void *ctx, const char *impu, const wic_contact_t *c)
{
	reply_ctx_t *rc = ctx;
	long left = (long)(c->expires - rc->now);

	wic_buf_printf(
			rc->hdrs, "Contact: <%s>;expires=%ld", c->uri, left > 0 ? left : 0);
	if(c->instance[0])
		wic_buf_printf(rc->hdrs, ";+sip.instance=\"%s\"", c->instance);
	if(c->reg_id)
		wic_buf_printf(rc->hdrs, ";reg-id=%u", c->reg_id);
	wic_buf_addz(rc->hdrs, "\r\n");
}

static void reply_ok(struct sip_msg *msg, const reg_request_t *rq, time_t now)
{
	wic_buf_t hdrs = {0};
	reply_ctx_t rc = {&hdrs, now};

	wic_btable_lookup(wic_bindings, rq->impu, now, add_contact_line, &rc);
	wic_buf_printf(&hdrs, "P-Associated-URI: <%s>\r\n", rq->impu);
	send_with_headers(msg, 200, "OK", &hdrs);
	wic_buf_free(&hdrs);
}

/* A de-registration never waits for the range: it frees state. */
static int only_removals(struct sip_msg *msg, const reg_request_t *rq)
{
	struct hdr_field *hf;
	contact_t *c;

	if(rq->star)
		return 1;
	if(rq->contacts == NULL)
		return 0;
	for(hf = msg->contact; hf; hf = hf->next) {
		if(hf->type != HDR_CONTACT_T)
			continue;
		for(c = ((contact_body_t *)hf->parsed)->contacts; c; c = c->next)
			if(contact_expires(c, rq) != 0)
				return 0;
	}
	return 1;
}

static void refuse_apply(
		struct sip_msg *msg, const reg_request_t *rq, apply_result_t res)
{
	WIC_LOG_REFUSAL("REGISTER of %s (Call-ID %.*s) refused: %d %s\n", rq->impu,
			rq->call_id.len, rq->call_id.s, apply_answers[res].code,
			apply_answers[res].reason);
	send_plain(msg, apply_answers[res].code, apply_answers[res].reason);
}

/* One Contact against the token and the expiry bounds; answers the
 * REGISTER itself when it fails: 0, or the code wic_register returns. */
static int check_contact(struct sip_msg *msg, contact_t *c,
		const reg_request_t *rq, const wic_admission_t *adm, time_t now)
{
	contact_strings_t cs;
	wic_contact_t wc;
	int asked = contact_expires(c, rq);
	wic_expiry_policy_t pol = expiry_policy();
	unsigned granted;
	wic_verdict_t v;
	char why[128] = "";

	if(fill_contact(msg, c, rq, adm, &cs, &wc) < 0) {
		refuse_apply(msg, rq, APPLY_BAD_CONTACT);
		return -4;
	}
	if(asked == 0)
		return 0;
	v = wic_grant_expires(adm, &pol, asked, now, &granted, why, sizeof(why));
	if(v == WIC_INTERVAL_TOO_BRIEF)
		reject_too_brief(msg, why, wic_expiry_floor(adm, &pol));
	else if(v != WIC_OK)
		reject(msg, v, why);
	return v == WIC_OK ? 0 : -2;
}

/* Every Contact is checked before any is applied: a bad one after a good
 * one must not leave the good one bound (RFC 3261 10.3). */
static int check_contacts(struct sip_msg *msg, const reg_request_t *rq,
		const wic_admission_t *adm, time_t now)
{
	struct hdr_field *hf;
	contact_t *c;
	int rc;

	for(hf = msg->contact; hf && !rq->star; hf = hf->next) {
		if(hf->type != HDR_CONTACT_T)
			continue;
		for(c = ((contact_body_t *)hf->parsed)->contacts; c; c = c->next) {
			if((rc = check_contact(msg, c, rq, adm, now)) != 0)
				return rc;
		}
	}
	return 0;
}

static apply_result_t apply_contacts(struct sip_msg *msg,
		const reg_request_t *rq, const wic_admission_t *adm, time_t now)
{
	struct hdr_field *hf;
	contact_t *c;
	apply_result_t res;

	if(rq->star) {
		if(wic_btable_remove_all(wic_bindings, rq->impu) > 0)
			update_stat(wic_stat_deregistered, 1);
		return APPLY_OK;
	}
	for(hf = msg->contact; hf; hf = hf->next) {
		if(hf->type != HDR_CONTACT_T)
			continue;
		for(c = ((contact_body_t *)hf->parsed)->contacts; c; c = c->next) {
			res = apply_contact(msg, c, rq, adm, now);
			if(res != APPLY_OK)
				return res;
		}
	}
	return APPLY_OK;
}

/* Contacts a de-registration without token may name (WICs send one). */
#define WIC_OWN_CONTACTS_MAX 8

/* The identities of the Contacts of a removal; n gets their number (0 for
 * Contact: *). 0, or -1 when one is unusable or there are too many. */
static int removal_identities(struct sip_msg *msg, const reg_request_t *rq,
		contact_strings_t *cs, wic_contact_t *ids, size_t *n)
{
	struct hdr_field *hf;
	contact_t *c;

	*n = 0;
	for(hf = msg->contact; hf && !rq->star; hf = hf->next) {
		if(hf->type != HDR_CONTACT_T)
			continue;
		for(c = ((contact_body_t *)hf->parsed)->contacts; c; c = c->next) {
			if(*n == WIC_OWN_CONTACTS_MAX
					|| contact_identity(c, &cs[*n], &ids[*n]) < 0)
				return -1;
			(*n)++;
		}
	}
	return 0;
}

/* SIP.js's Registerer.unregister() sends only the headers given to that
 * call, so no token. A REGISTER without token is still served when all it
 * does is remove contacts its own connection registered, under the same
 * Call-ID with a lower CSeq: what only the sender of those REGISTERs can
 * know (RFC 3261 10.3 step 7 ordering). Anything else gets 401. */
static int deregister_without_token(
		struct sip_msg *msg, const reg_request_t *rq, time_t now)
{
	contact_strings_t cs[WIC_OWN_CONTACTS_MAX];
	wic_contact_t ids[WIC_OWN_CONTACTS_MAX];
	char call_id[256];
	size_t n = 0;
	int removed = -1;

	if(only_removals(msg, rq) && removal_identities(msg, rq, cs, ids, &n) == 0
			&& zstr(&rq->call_id, call_id, sizeof(call_id)) != NULL)
		removed = wic_btable_remove_own(wic_bindings, rq->impu,
				wic_connection_id(msg), call_id, rq->cseq, ids, n);
	if(removed < 0) {
		reject(msg, WIC_NO_TOKEN,
				only_removals(msg, rq)
						? "no token, and not a removal of the connection's "
						  "own contacts (connection, Call-ID, CSeq)"
						: "no token in REGISTER");
		return -2;
	}
	update_stat(wic_stat_deregistered, 1);
	LM_DBG("REGISTER without token (Call-ID %.*s) removed %d contact(s) of "
		   "%s on connection %d\n",
			rq->call_id.len, rq->call_id.s, removed, rq->impu,
			wic_connection_id(msg));
	reply_ok(msg, rq, now);
	return 1;
}

int wic_register(struct sip_msg *msg)
{
	reg_request_t rq;
	wic_admission_t adm;
	time_t now = time(NULL);
	apply_result_t res;
	int rc;

	if(!wic_over_websocket(msg)) {
		send_plain(
				msg, 403, "Forbidden - WIC registration only over WebSocket");
		return -1;
	}
	rc = read_request(msg, &rq);
	if(rc == -2) {
		/* nothing is read further, so nothing changes */
		reject(msg, rq.bad, rq.why);
		return -1;
	}
	if(rc < 0) {
		WIC_LOG_REFUSAL("REGISTER from %s refused: malformed request\n",
				ip_addr2a(&msg->rcv.src_ip));
		send_plain(msg, 400, "Bad Request - Malformed REGISTER");
		return -1;
	}
	if(rq.token == NULL)
		return deregister_without_token(msg, &rq, now);
	if(admit(msg, &rq, &adm, now) != WIC_OK)
		return -2;
	rc = check_contacts(msg, &rq, &adm, now);
	if(rc == 0 && !only_removals(msg, &rq) && !range_ready(msg, adm.range, now))
		rc = -3;
	if(rc != 0) {
		wic_admission_clear(&adm);
		return rc;
	}
	res = apply_contacts(msg, &rq, &adm, now);
	wic_admission_clear(&adm);
	if(res != APPLY_OK) {
		refuse_apply(msg, &rq, res);
		return -4;
	}
	reply_ok(msg, &rq, now);
	return 1;
}
