/*
 * ims_wic - the local registrar: a WIC's REGISTER over WebSocket is
 * admitted (token, WWSF, range), then saved, refreshed or removed, and
 * answered here. Nothing of it reaches the IMS Core.
 */
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
} reg_request_t;

static void send_plain(struct sip_msg *msg, int code, const char *reason)
{
	str r = {(char *)reason, (int)strlen(reason)};
	if(wic_slb.freply(msg, code, &r) < 0)
		LM_ERR("cannot send %d %s\n", code, reason);
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

static int read_contacts(struct sip_msg *msg, reg_request_t *rq)
{
	struct hdr_field *hf;

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
	}
	/* RFC 3261 10.3 step 6: '*' only alone and with Expires: 0 */
	if(rq->star && (rq->contacts != NULL || rq->expires_hdr != 0))
		return -1;
	return 0;
}

static int read_request(struct sip_msg *msg, reg_request_t *rq)
{
	struct to_body *to;

	memset(rq, 0, sizeof(*rq));
	rq->expires_hdr = -1;
	if(parse_headers(msg, HDR_EOH_F, 0) < 0 || msg->callid == NULL
			|| msg->cseq == NULL || parse_to_header(msg) < 0)
		return -1;
	to = get_to(msg);
	if(wic_bare_uri(&to->uri, rq->impu, sizeof(rq->impu)) < 0)
		return -1;
	if(msg->expires) {
		if(parse_expires(msg->expires) < 0)
			return -1;
		rq->expires_hdr = (int)((exp_body_t *)msg->expires->parsed)->val;
	}
	if(read_contacts(msg, rq) < 0)
		return -1;
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

static void reject(struct sip_msg *msg, wic_verdict_t v, const char *why)
{
	const wic_answer_t *a = wic_answer_of(v);
	wic_buf_t hdrs = {0};

	update_stat(wic_stat_rejected[v], 1);
	LM_NOTICE("REGISTER refused (Call-ID %.*s, from %s): %d %s: %s\n",
			msg->callid ? msg->callid->body.len : 0,
			msg->callid ? msg->callid->body.s : "", ip_addr2a(&msg->rcv.src_ip),
			a->code, a->reason, why);
	if(v == WIC_NO_TOKEN)
		wic_buf_printf(&hdrs, "WWW-Authenticate: Bearer realm=\"%.*s\"\r\n",
				wic_bearer_realm.len, wic_bearer_realm.s);
	else if(v == WIC_EXPIRED)
		wic_buf_printf(&hdrs,
				"WWW-Authenticate: Bearer realm=\"%.*s\", "
				"error=\"invalid_token\", error_description=\"token "
				"expired\"\r\n",
				wic_bearer_realm.len, wic_bearer_realm.s);
	wic_buf_printf(&hdrs, "Warning: 399 ims_wic \"%s\"\r\n", a->stat);
	send_with_headers(msg, a->code, a->reason, &hdrs);
	wic_buf_free(&hdrs);
}

static wic_verdict_t admit(struct sip_msg *msg, reg_request_t *rq,
		wic_admission_t *adm, time_t now)
{
	const wic_prov_t *prov = wic_prov_current();
	unsigned gen = wic_prov_generation();
	wic_sig_mode_t mode = WIC_VERIFY_SIGNATURE;
	wic_verdict_t v;
	char why[256] = "";

	if(prov == NULL) {
		send_plain(msg, 500, "Server Internal Error - No Provisioning");
		return WIC_WRONG_WWSF;
	}
	if(rq->token
			&& wic_tcache_hit(wic_tokens, rq->token, rq->token_len, gen, now))
		mode = WIC_SKIP_SIGNATURE;
	update_stat(mode == WIC_SKIP_SIGNATURE ? wic_stat_token_cache_hits
										   : wic_stat_tokens_verified,
			rq->token ? 1 : 0);
	v = wic_admit(prov, rq->has_conn_wwsf ? rq->conn_wwsf : NULL, rq->token,
			rq->token_len, rq->impu, strlen(rq->impu), now, mode, adm, why,
			sizeof(why));
	if(v != WIC_OK) {
		reject(msg, v, why[0] ? why : wic_answer_of(v)->reason);
		return v;
	}
	if(mode == WIC_VERIFY_SIGNATURE)
		wic_tcache_put(wic_tokens, rq->token, rq->token_len, gen,
				(time_t)adm->token.exp, now);
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
	LM_NOTICE("REGISTER of %.*s held back (Call-ID %.*s): range %s is not "
			  "registered with the IMS Core, Retry-After %u\n",
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

static unsigned granted_expires(
		int asked, const wic_admission_t *adm, time_t now)
{
	long left = adm->token.exp - (long)now;
	unsigned cap = (unsigned)wic_max_expires;

	if(adm->wwsf->limits.max_expires > 0 && adm->wwsf->limits.max_expires < cap)
		cap = adm->wwsf->limits.max_expires;
	if(asked < 0)
		asked = wic_default_expires;
	if((unsigned)asked > cap)
		asked = (int)cap;
	if(left < asked)
		asked = left > 0 ? (int)left : 0;
	return (unsigned)asked;
}

static int contact_expires(contact_t *c, const reg_request_t *rq)
{
	unsigned v;

	if(c->expires && c->expires->body.len > 0
			&& str2int(&c->expires->body, &v) == 0)
		return (int)v;
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

static int fill_contact(struct sip_msg *msg, contact_t *c,
		const reg_request_t *rq, const wic_admission_t *adm,
		contact_strings_t *cs, wic_contact_t *out)
{
	unsigned reg_id = 0;
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
	if(c->reg_id && str2int(&c->reg_id->body, &reg_id) < 0)
		return -1;
	memset(out, 0, sizeof(*out));
	out->uri = zstr(&c->uri, cs->uri, sizeof(cs->uri));
	out->instance = zstr_opt(c->instance ? &c->instance->body : NULL,
			cs->instance, sizeof(cs->instance));
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
	if(out->uri == NULL || out->instance == NULL || out->call_id == NULL
			|| out->socket == NULL)
		return -1;
	out->reg_id = reg_id;
	out->conn_id = wic_connection_id(msg);
	/* Kamailio has no transport=wss: a WSS connection is found by its
	 * address through transport=ws (core/forward.c) */
	snprintf(cs->received, sizeof(cs->received), "sip:%s:%u;transport=ws",
			ip_addr2a(&msg->rcv.src_ip), msg->rcv.src_port);
	out->received = cs->received;
	out->cseq = rq->cseq;
	out->token_exp = (time_t)adm->token.exp;
	out->wwsf = adm->wwsf->id;
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

static apply_result_t apply_contact(struct sip_msg *msg, contact_t *c,
		const reg_request_t *rq, const wic_admission_t *adm, time_t now)
{
	contact_strings_t cs;
	wic_contact_t wc;
	int asked = contact_expires(c, rq);
	unsigned granted;

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
	granted = granted_expires(asked, adm, now);
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
	/* every Contact is checked before any is applied: a bad one after a
	 * good one must not leave the good one bound (RFC 3261 10.3) */
	for(hf = msg->contact; hf; hf = hf->next) {
		if(hf->type != HDR_CONTACT_T)
			continue;
		for(c = ((contact_body_t *)hf->parsed)->contacts; c; c = c->next) {
			contact_strings_t cs;
			wic_contact_t wc;
			if(fill_contact(msg, c, rq, adm, &cs, &wc) < 0)
				return APPLY_BAD_CONTACT;
		}
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

int wic_register(struct sip_msg *msg)
{
	reg_request_t rq;
	wic_admission_t adm;
	time_t now = time(NULL);
	apply_result_t res;

	if(!wic_over_websocket(msg)) {
		send_plain(
				msg, 403, "Forbidden - WIC registration only over WebSocket");
		return -1;
	}
	if(read_request(msg, &rq) < 0) {
		LM_NOTICE("REGISTER from %s refused: malformed request\n",
				ip_addr2a(&msg->rcv.src_ip));
		send_plain(msg, 400, "Bad Request - Malformed REGISTER");
		return -1;
	}
	if(admit(msg, &rq, &adm, now) != WIC_OK)
		return -2;
	/* exp passed but inside the leeway: the token still verifies, but a
	 * binding never outlives it, so there is nothing left to grant (a 200
	 * would create a binding that is already expired) */
	if(!only_removals(msg, &rq) && adm.token.exp <= (long)now) {
		wic_admission_clear(&adm);
		reject(msg, WIC_EXPIRED,
				"token exp passed (inside the leeway): no time left to grant");
		return -2;
	}
	if(!only_removals(msg, &rq) && !range_ready(msg, adm.range, now)) {
		wic_admission_clear(&adm);
		return -3;
	}
	res = apply_contacts(msg, &rq, &adm, now);
	wic_admission_clear(&adm);
	if(res != APPLY_OK) {
		LM_NOTICE("REGISTER of %s (Call-ID %.*s) refused: %d %s\n", rq.impu,
				rq.call_id.len, rq.call_id.s, apply_answers[res].code,
				apply_answers[res].reason);
		send_plain(msg, apply_answers[res].code, apply_answers[res].reason);
		return -4;
	}
	reply_ok(msg, &rq, now);
	return 1;
}
