/*
 * SPDX-License-Identifier: GPL-2.0-or-later
 * Copyright (C) 2026 the ims_wic authors
 *
 * ims_wic - registration of the wildcarded PUI ranges with the IMS Core.
 * The state machine (wic_rstate.c) decides what is due and keeps each
 * registration's Call-ID, From tag and CSeq; this timer hands each due
 * range to event_route[wic:range-register] (or, with a KEMI script, to the
 * function named by modparam event_callback), where the configuration
 * composes the headers and calls wic_range_send(), which sends the
 * REGISTER through tm in that registration's dialog. The reply comes back
 * to a tm callback of that transaction only: no other request's reply
 * reaches the state.
 */
#include <string.h>
#include <strings.h>
#include <time.h>

#include "../../core/dprint.h"
#include "../../core/fmsg.h"
#include "../../core/kemi.h"
#include "../../core/receive.h"
#include "../../core/script_cb.h"
#include "../../core/mem/pkg.h"
#include "../../core/mem/shm_mem.h"
#include "../../core/pvar.h"
#include "../../core/route.h"
#include "../../core/strutils.h"
#include "../../core/parser/contact/contact.h"
#include "../../core/parser/contact/parse_contact.h"
#include "../../core/parser/parse_expires.h"
#include "../../core/trim.h"
#include "../../core/ut.h"
/* tm's headers predate the warnings this module is built with */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wold-style-declaration"
#pragma GCC diagnostic ignored "-Wcast-function-type"
#include "../../modules/tm/tm_load.h"
#pragma GCC diagnostic pop

#include "ims_wic_mod.h"
#include "ims_wic_sip.h"

static int range_route = -1;
/* a KEMI script is the routing script: the event goes to event_callback */
static int range_kemi = 0;
static str range_evname = str_init("wic:range-register");
static struct tm_binds tmb;

/* The range handed to the event route; read there through $wic_range(),
 * sent by wic_range_send(). */
static struct due_range
{
	char pui[256];
	char impi[256];
	char realm[256];
	char wildcard[256];
	char call_id[WIC_RS_CALLID_MAX];
	char from_tag[WIC_RS_TAG_MAX];
	unsigned cseq;
	unsigned expires;
	int deregister;
	int active; /* the event route is running for it */
	int sent;	/* wic_range_send() sent it */
} due;

enum
{
	RNG_PUI,
	RNG_IMPI,
	RNG_REALM,
	RNG_WILDCARD,
	RNG_EXPIRES,
	RNG_ACTION,
	RNG_CALLID,
	RNG_CSEQ
};

int wic_range_init(void)
{
	if(load_tm_api(&tmb) < 0) {
		LM_ERR("cannot bind the tm module: ims_wic sends the range "
			   "REGISTERs through it (load tm.so before ims_wic)\n");
		return -1;
	}
	if(sr_kemi_eng_get() != NULL) {
		if(wic_event_callback.s == NULL || wic_event_callback.len <= 0) {
			LM_ERR("the routing script is KEMI and modparam(\"ims_wic\", "
				   "\"event_callback\") is not set: no function for the "
				   "wic:range-register event, ranges could never be "
				   "registered with the IMS Core\n");
			return -1;
		}
		range_kemi = 1;
		return 0;
	}
	range_route = route_lookup(&event_rt, "wic:range-register");
	if(range_route < 0 || event_rt.rlist[range_route] == NULL) {
		LM_ERR("event_route[wic:range-register] is missing from the "
			   "configuration: ranges could never be registered with the "
			   "IMS Core\n");
		range_route = -1;
		return -1;
	}
	return 0;
}

/* The home domain of a range: the domain of its IMPI ("user@domain"),
 * else the host part of its distinct PUI (a tel: PUI has none). Worked
 * out at load time and kept in the range state, with everything else a
 * de-registration needs once the range is gone from the provisioning. */
static void realm_of(const wic_range_t *range, char *buf, size_t len)
{
	const char *at = strchr(range->impi, '@');
	const char *host;
	size_t n;

	if(at != NULL && at[1] != '\0') {
		snprintf(buf, len, "%s", at + 1);
		return;
	}
	at = strchr(range->distinct_pui, '@');
	host = at ? at + 1 : range->distinct_pui;
	n = strcspn(host, ":;>");
	snprintf(buf, len, "%.*s", (int)n, host);
}

/* As rtimer runs its routes: a fresh faked message, the pre- and
 * post-script callbacks of a request, and the message environment reset
 * afterwards (AVPs, XAVPs, flags of the faked message do not leak into the
 * next event). */
static void run_range_route(void)
{
	struct run_act_ctx ctx;
	struct sip_msg *fmsg;
	sr_kemi_eng_t *keng = NULL;
	int backup_rt;

	if(faked_msg_init() < 0) {
		LM_ERR("cannot initialize the faked message\n");
		return;
	}
	fmsg = faked_msg_next();
	if(exec_pre_script_cb(fmsg, REQUEST_CB_TYPE) == 0)
		return; /* a pre-script callback dropped it */
	backup_rt = get_route_type();
	set_route_type(EVENT_ROUTE);
	init_run_actions_ctx(&ctx);
	if(range_kemi) {
		keng = sr_kemi_eng_get();
		if(keng == NULL
				|| sr_kemi_ctx_route(keng, &ctx, fmsg, EVENT_ROUTE,
						   &wic_event_callback, &range_evname)
						   < 0)
			LM_ERR("error running the KEMI callback [%.*s] of the "
				   "wic:range-register event\n",
					wic_event_callback.len, wic_event_callback.s);
	} else {
		run_top_route(event_rt.rlist[range_route], fmsg, &ctx);
	}
	exec_post_script_cb(fmsg, REQUEST_CB_TYPE);
	ksr_msg_env_reset();
	set_route_type(backup_rt);
}

/* Bounded copy; a name that does not fit would address someone else. */
static int due_copy(char *dst, size_t len, const char *src)
{
	return snprintf(dst, len, "%s", src) < (int)len ? 0 : -1;
}

static void report_not_sent(const char *why);

/* From the range state alone: a range removed by a reload is no longer in
 * the provisioning, yet must be de-registered. */
static void emit_due(void *ctx, const wic_rs_due_t *d)
{
	if(range_route < 0 && !range_kemi) {
		LM_DBG("range %s is due but there is no event route\n",
				d->distinct_pui);
		return;
	}
	if(due_copy(due.pui, sizeof(due.pui), d->distinct_pui) < 0
			|| due_copy(due.impi, sizeof(due.impi), d->impi) < 0
			|| due_copy(due.wildcard, sizeof(due.wildcard), d->wildcard) < 0
			|| due_copy(due.realm, sizeof(due.realm), d->realm) < 0
			|| due_copy(due.call_id, sizeof(due.call_id), d->call_id) < 0
			|| due_copy(due.from_tag, sizeof(due.from_tag), d->from_tag) < 0) {
		LM_ERR("range %s: a name is too long to send\n", d->distinct_pui);
		return;
	}
	due.cseq = d->cseq;
	due.deregister = d->action == WIC_RS_SEND_DEREGISTER;
	due.expires = due.deregister ? 0 : d->expires;
	LM_INFO("%s range %s (%s), Call-ID %s, CSeq %u\n",
			due.deregister ? "de-registering" : "registering", due.wildcard,
			due.pui, due.call_id, due.cseq);
	due.active = 1;
	due.sent = 0;
	run_range_route();
	due.active = 0;
	if(!due.sent)
		report_not_sent(range_kemi ? "the event_callback of "
									 "wic:range-register sent no REGISTER"
								   : "event_route[wic:range-register] sent "
									 "no REGISTER");
}

static void range_dropped(void *ctx, const wic_rs_dropped_t *d)
{
	if(d->last_code >= 200 && d->last_code < 300)
		LM_INFO("range %s (%s) removed from the provisioning: de-registered "
				"(%d)\n",
				d->wildcard, d->distinct_pui, d->last_code);
	else if(d->why[0] != '\0')
		LM_WARN("range %s (%s) removed from the provisioning and dropped: "
				"%s\n",
				d->wildcard, d->distinct_pui, d->why);
	else
		LM_INFO("range %s (%s) removed from the provisioning: it was not "
				"registered\n",
				d->wildcard, d->distinct_pui);
}

static void tally_binding(void *ctx, const char *impu, const wic_contact_t *c)
{
	wic_rs_tally_add(ctx, impu, c->range);
}

static void *pkg_alloc_hook(size_t size)
{
	return pkg_malloc(size);
}
static void pkg_free_hook(void *ptr)
{
	pkg_free(ptr);
}

/* Counts follow events that can arrive out of order (delivered after the
 * binding locks are released); the table itself is the truth. */
static void recount(time_t now)
{
	static const wic_mem_ops_t pkg_ops = {pkg_alloc_hook, pkg_free_hook};
	wic_rs_tally_t *tally = wic_rs_tally_create(&pkg_ops, 256);
	int changed;

	if(tally == NULL) {
		PKG_MEM_ERROR;
		return;
	}
	wic_btable_foreach(wic_bindings, tally_binding, tally);
	changed = wic_rstate_apply_tally(wic_ranges, tally, now);
	wic_rs_tally_destroy(tally);
	if(changed < 0)
		LM_ERR("no memory to re-derive the range WIC counts\n");
	else if(changed > 0)
		LM_INFO("re-derived the WIC count of %d range(s) from the binding "
				"table\n",
				changed);
}

void wic_range_timer(unsigned int ticks, void *param)
{
	static const wic_rs_hooks_t hooks = {emit_due, range_dropped};
	static time_t next_recount, next_sweep;
	time_t now = time(NULL);

	wic_prov_quiesce();
	wic_btable_expire(wic_bindings, now);
	if(now >= next_sweep) {
		wic_conn_sweep();
		next_sweep = now + wic_conn_sweep_interval;
	}
	if(now >= next_recount) {
		recount(now);
		next_recount = now + wic_range_recount_interval;
	}
	wic_rstate_run(wic_ranges, now, &hooks, NULL);
}

typedef char realm_buf_t[256];

int wic_range_sync(const wic_prov_t *prov)
{
	wic_rs_config_t *cfg;
	realm_buf_t *realms;
	size_t w, r, n = 0;
	int rc;

	for(w = 0; w < prov->n_wwsfs; w++)
		n += prov->wwsfs[w].n_ranges;
	cfg = pkg_malloc((n ? n : 1) * (sizeof(*cfg) + sizeof(*realms)));
	if(cfg == NULL) {
		PKG_MEM_ERROR;
		return -1;
	}
	realms = (realm_buf_t *)(cfg + (n ? n : 1));
	n = 0;
	for(w = 0; w < prov->n_wwsfs; w++) {
		for(r = 0; r < prov->wwsfs[w].n_ranges; r++) {
			const wic_range_t *rg = &prov->wwsfs[w].ranges[r];
			cfg[n].distinct_pui = rg->distinct_pui;
			cfg[n].wildcard = rg->wildcard;
			cfg[n].triggers = rg->triggers;
			cfg[n].expires = rg->expires;
			cfg[n].linger = rg->linger;
			cfg[n].impi = rg->impi;
			realm_of(rg, realms[n], sizeof(realms[n]));
			cfg[n].realm = realms[n];
			n++;
		}
	}
	rc = wic_rstate_sync(wic_ranges, cfg, n, time(NULL));
	pkg_free(cfg);
	return rc;
}

/* range: the one admission chose, stored with the binding. No
 * provisioning is read here: the close path runs in the TCP main process. */
void wic_range_on_bind_event(
		void *ctx, wic_bind_event_t ev, const char *impu, const char *range)
{
	if(range == NULL || range[0] == '\0')
		return;
	if(ev == WIC_EV_IMPU_ADDED)
		wic_rstate_wic_added(wic_ranges, range, time(NULL));
	else
		wic_rstate_wic_removed(wic_ranges, range, time(NULL));
}

/* ---- sending ------------------------------------------------------- */

/* What the tm callback needs of the REGISTER it answers; one shm block. */
typedef struct range_txn
{
	unsigned cseq;
	int deregister;
	int n_contacts;
	char *pui;
	char *call_id;
	char *contacts; /* the Contact URIs we sent, each NUL-terminated */
	char data[];
} range_txn_t;

/* The due REGISTER was not sent: a failure now, with the reason, rather
 * than a wait for reply_timeout. */
static void report_not_sent(const char *why)
{
	wic_rs_reply_t rp = {due.call_id, due.cseq, 0, 0, NULL, NULL, why};

	LM_ERR("range %s: %s\n", due.pui, why);
	wic_rstate_on_reply_to(wic_ranges, due.pui, &rp, time(NULL));
}

/* Header names tm writes itself (RFC 3261 long and compact forms). */
static int tm_owned_header(const char *name, int len)
{
	static const char *const owned[] = {"Via", "v", "From", "f", "To", "t",
			"Call-ID", "i", "CSeq", "Max-Forwards", "Content-Length", "l"};
	size_t i;

	for(i = 0; i < sizeof(owned) / sizeof(owned[0]); i++)
		if(len == (int)strlen(owned[i])
				&& strncasecmp(name, owned[i], len) == 0)
			return 1;
	return 0;
}

/* Reads the header block the configuration composed: refuses the headers
 * tm writes itself, collects the URIs of its Contact headers into uris
 * (NUL-terminated each, *n of them). 0, or -1 with *why set. */
static int read_headers(str *hdrs, wic_buf_t *uris, int *n, const char **why)
{
	char *p = hdrs->s, *end = hdrs->s + hdrs->len, *eol, *colon;
	contact_t *list, *c;
	str name, body;

	*n = 0;
	while(p < end) {
		eol = p;
		while(eol < end && *eol != '\n')
			eol++;
		body.s = p;
		body.len = (int)(eol - p);
		if(body.len > 0 && body.s[body.len - 1] == '\r')
			body.len--;
		p = eol < end ? eol + 1 : end;
		if(body.len == 0)
			continue;
		if(body.s[0] == ' ' || body.s[0] == '\t') {
			*why = "folded header lines are not supported";
			return -1;
		}
		colon = memchr(body.s, ':', body.len);
		if(colon == NULL) {
			*why = "a header line without ':'";
			return -1;
		}
		name.s = body.s;
		name.len = (int)(colon - body.s);
		trim(&name);
		if(tm_owned_header(name.s, name.len)) {
			*why = "the headers name one that tm writes (Via, From, To, "
				   "Call-ID, CSeq, Max-Forwards, Content-Length)";
			return -1;
		}
		if(!((name.len == 7 && strncasecmp(name.s, "Contact", 7) == 0)
				   || (name.len == 1 && (name.s[0] | 0x20) == 'm')))
			continue;
		body.len -= (int)(colon + 1 - body.s);
		body.s = colon + 1;
		trim(&body);
		if(body.len == 1 && body.s[0] == '*')
			continue; /* de-registration of every binding */
		list = NULL;
		if(parse_contacts(&body, &list) < 0) {
			free_contacts(&list);
			*why = "a Contact header that does not parse";
			return -1;
		}
		for(c = list; c; c = c->next) {
			wic_buf_add(uris, c->uri.s, c->uri.len);
			wic_buf_add(uris, "", 1);
			(*n)++;
		}
		free_contacts(&list);
	}
	if(uris->failed) {
		*why = "no memory to read the headers";
		return -1;
	}
	return 0;
}

static range_txn_t *txn_new(const wic_buf_t *uris, int n)
{
	size_t pui = strlen(due.pui) + 1, cid = strlen(due.call_id) + 1;
	size_t ct = uris->len > 0 ? (size_t)uris->len : 0;
	range_txn_t *t = shm_malloc(sizeof(*t) + pui + cid + ct);

	if(t == NULL)
		return NULL;
	t->cseq = due.cseq;
	t->deregister = due.deregister;
	t->n_contacts = n;
	t->pui = t->data;
	t->call_id = t->pui + pui;
	t->contacts = t->call_id + cid;
	memcpy(t->pui, due.pui, pui);
	memcpy(t->call_id, due.call_id, cid);
	if(ct)
		memcpy(t->contacts, uris->s, ct);
	return t;
}

static void range_tm_cb(struct cell *t, int type, struct tmcb_params *ps);

/* wic_range_send(ruri, next_hop, headers): the REGISTER of the due range,
 * From and To its distinct PUI, in its registration's dialog (Call-ID,
 * From tag, CSeq of the range state), with the configuration's headers. */
int wic_range_send(struct sip_msg *msg, str *ruri, str *next_hop, str *hdrs)
{
	static str method = STR_STATIC_INIT("REGISTER");
	wic_buf_t uris = {0}, block = {0};
	str pui, call_id, tag, headers;
	const char *why = NULL;
	range_txn_t *txn;
	uac_req_t uac_r;
	dlg_t *dlg = NULL;
	int n = 0, rc;

	if(!due.active || due.sent) {
		LM_ERR("wic_range_send() sends the due range REGISTER, once, from "
			   "event_route[wic:range-register]\n");
		return -1;
	}
	due.sent = 1;
	if(ruri->len <= 0) {
		report_not_sent("wic_range_send(): empty Request-URI");
		return -1;
	}
	if(read_headers(hdrs, &uris, &n, &why) < 0) {
		wic_buf_free(&uris);
		report_not_sent(why);
		return -1;
	}
	wic_buf_add(&block, hdrs->s, hdrs->len);
	if(hdrs->len > 0 && hdrs->s[hdrs->len - 1] != '\n')
		wic_buf_addz(&block, "\r\n");
	txn = block.failed ? NULL : txn_new(&uris, n);
	wic_buf_free(&uris);
	if(txn == NULL) {
		wic_buf_free(&block);
		report_not_sent("no memory to send the REGISTER");
		return -1;
	}
	pui.s = due.pui;
	pui.len = (int)strlen(due.pui);
	call_id.s = due.call_id;
	call_id.len = (int)strlen(due.call_id);
	tag.s = due.from_tag;
	tag.len = (int)strlen(due.from_tag);
	headers.s = block.s;
	headers.len = block.len;
	if(tmb.new_dlg_uac(&call_id, &tag, due.cseq, &pui, &pui, &dlg) < 0
			|| tmb.set_dlg_target(
					   dlg, ruri, next_hop->len > 0 ? next_hop : NULL)
					   < 0) {
		if(dlg)
			tmb.free_dlg(dlg);
		shm_free(txn);
		wic_buf_free(&block);
		report_not_sent("cannot build the REGISTER dialog (Request-URI or "
						"next hop?)");
		return -1;
	}
	set_uac_req(&uac_r, &method, headers.len ? &headers : NULL, NULL, dlg,
			TMCB_LOCAL_COMPLETED | TMCB_DESTROY, range_tm_cb, txn);
	rc = tmb.t_uac(&uac_r);
	tmb.free_dlg(dlg);
	wic_buf_free(&block);
	if(rc <= 0) {
		shm_free(txn); /* tm registers the callbacks only on success */
		report_not_sent("tm could not send the REGISTER");
		return -1;
	}
	return 1;
}

/* ---- the reply ----------------------------------------------------- */

static int is_our_contact(const range_txn_t *txn, str *uri)
{
	const char *ours = txn->contacts;
	str s;

	for(int i = 0; i < txn->n_contacts; i++) {
		s.s = (char *)ours;
		s.len = (int)strlen(ours);
		if(cmp_uri_str(&s, uri) == 0)
			return 1;
		ours += s.len + 1;
	}
	return 0;
}

/* RFC 3261 10.2.4: the expires parameter of the Contact that is ours (the
 * 200 lists every binding of the AOR, ours anywhere among them), else the
 * Expires header. */
static unsigned granted_expiry(struct sip_msg *rpl, const range_txn_t *txn)
{
	struct hdr_field *hf;
	contact_t *c;
	unsigned v;

	if(parse_contact_headers(rpl) == 0) {
		for(hf = rpl->contact; hf; hf = hf->next) {
			if(hf->type != HDR_CONTACT_T || hf->parsed == NULL)
				continue;
			for(c = ((contact_body_t *)hf->parsed)->contacts; c; c = c->next) {
				if(!is_our_contact(txn, &c->uri))
					continue;
				if(c->expires && str2int(&c->expires->body, &v) == 0)
					return v;
				goto header;
			}
		}
	}
header:
	if(rpl->expires && parse_expires(rpl->expires) == 0)
		return ((exp_body_t *)rpl->expires->parsed)->val;
	return 0;
}

/* Every header named name, bodies joined with ", ", whole. */
static void join_headers(struct sip_msg *rpl, const char *name, wic_buf_t *out)
{
	struct hdr_field *hf;

	for(hf = rpl->headers; hf; hf = hf->next) {
		if(!wic_header_is(hf, name))
			continue;
		if(out->len)
			wic_buf_addz(out, ", ");
		wic_buf_add(out, hf->body.s, hf->body.len);
	}
}

static void check_associated_uris(const char *pui, const char *pau)
{
	const wic_range_t *range = wic_prov_range_by_pui(wic_prov_current(), pui);
	size_t len = strlen(pau), max = len / 4 + 1;
	wic_pau_entry_t *entries = pkg_malloc(max * sizeof(*entries));
	int n, i, wildcarded = 0, ours = 0;

	if(entries == NULL) {
		PKG_MEM_ERROR;
		return;
	}
	n = wic_pau_parse(pau, len, entries, max);
	if(n < 0) {
		LM_WARN("range %s: unparsable P-Associated-URI [%s]\n", pui, pau);
		pkg_free(entries);
		return;
	}
	for(i = 0; i < n; i++) {
		if(!entries[i].wildcarded)
			continue;
		wildcarded++;
		if(range && strlen(range->wildcard) == entries[i].len
				&& strncmp(range->wildcard, entries[i].uri, entries[i].len)
						   == 0)
			ours = 1;
	}
	pkg_free(entries);
	if(!ours)
		LM_WARN("range %s: the IMS Core did not list %s among the %d "
				"wildcarded P-Associated-URI entries\n",
				pui, range ? range->wildcard : "?", wildcarded);
}

/* The final answer to one of our range REGISTERs (or tm's own 408). */
static void range_reply(const range_txn_t *txn, struct sip_msg *rpl, int code)
{
	wic_rs_reply_t rp = {txn->call_id, txn->cseq, code, 0, NULL, NULL, NULL};
	wic_buf_t route = {0}, pau = {0};

	if(code >= 200 && code < 300 && rpl != NULL && rpl != FAKED_REPLY) {
		if(parse_headers(rpl, HDR_EOH_F, 0) < 0) {
			rp.unusable = "the 2xx does not parse";
		} else {
			rp.granted = granted_expiry(rpl, txn);
			join_headers(rpl, "Service-Route", &route);
			join_headers(rpl, "P-Associated-URI", &pau);
			if(route.failed || pau.failed)
				rp.unusable = "no memory to read Service-Route or "
							  "P-Associated-URI";
			rp.service_route = route.s;
			rp.pau = pau.s;
			if(pau.s && !pau.failed && !txn->deregister)
				check_associated_uris(txn->pui, pau.s);
		}
	}
	LM_INFO("range %s: IMS Core answered %d to CSeq %u (granted %u s)\n",
			txn->pui, code, txn->cseq, rp.granted);
	if(rp.unusable)
		LM_ERR("range %s: %s: registration treated as failed\n", txn->pui,
				rp.unusable);
	if(wic_rstate_on_reply_to(wic_ranges, txn->pui, &rp, time(NULL)) < 0)
		LM_INFO("range %s: the answer to CSeq %u is not for the REGISTER "
				"in flight: ignored\n",
				txn->pui, txn->cseq);
	wic_buf_free(&route);
	wic_buf_free(&pau);
}

static void range_tm_cb(struct cell *t, int type, struct tmcb_params *ps)
{
	range_txn_t *txn = ps->param ? *ps->param : NULL;

	if(txn == NULL)
		return;
	if(type & TMCB_DESTROY) {
		shm_free(txn);
		*ps->param = NULL;
		return;
	}
	if(type & TMCB_LOCAL_COMPLETED)
		range_reply(txn, ps->rpl, ps->code);
}

/* ---- $wic_range(name) ---------------------------------------------- */

int wic_pv_parse_range_name(pv_spec_p sp, str *in)
{
	static const struct
	{
		const char *name;
		int id;
	} names[] = {{"pui", RNG_PUI}, {"impi", RNG_IMPI}, {"realm", RNG_REALM},
			{"wildcard", RNG_WILDCARD}, {"expires", RNG_EXPIRES},
			{"action", RNG_ACTION}, {"callid", RNG_CALLID}, {"cseq", RNG_CSEQ}};
	size_t i;

	for(i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if(in->len == (int)strlen(names[i].name)
				&& strncmp(in->s, names[i].name, in->len) == 0) {
			sp->pvp.pvn.type = PV_NAME_INTSTR;
			sp->pvp.pvn.u.isname.type = 0;
			sp->pvp.pvn.u.isname.name.n = names[i].id;
			return 0;
		}
	}
	LM_ERR("unknown $wic_range(%.*s)\n", in->len, in->s);
	return -1;
}

static int str_value(
		struct sip_msg *msg, pv_param_t *param, pv_value_t *res, char *s)
{
	str v = {s, (int)strlen(s)};
	return pv_get_strval(msg, param, res, &v);
}

int wic_pv_get_range(struct sip_msg *msg, pv_param_t *param, pv_value_t *res)
{
	switch(param->pvn.u.isname.name.n) {
		case RNG_PUI:
			return str_value(msg, param, res, due.pui);
		case RNG_IMPI:
			return str_value(msg, param, res, due.impi);
		case RNG_REALM:
			return str_value(msg, param, res, due.realm);
		case RNG_WILDCARD:
			return str_value(msg, param, res, due.wildcard);
		case RNG_EXPIRES:
			return pv_get_uintval(msg, param, res, due.expires);
		case RNG_ACTION:
			return str_value(msg, param, res,
					due.deregister ? "deregister" : "register");
		case RNG_CALLID:
			return str_value(msg, param, res, due.call_id);
		case RNG_CSEQ:
			return pv_get_uintval(msg, param, res, due.cseq);
		default:
			return pv_get_null(msg, param, res);
	}
}
