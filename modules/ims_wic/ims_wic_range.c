/*
 * ims_wic - registration of the wildcarded PUI ranges with the IMS Core.
 * The state machine (wic_rstate.c) decides what is due; this timer hands
 * each due range to event_route[wic:range-register], where
 * kamailio.cfg sends the REGISTER with uac_req_send(), and
 * wic_range_reply() gives the reply back from event_route[uac:reply].
 */
#include <string.h>
#include <time.h>

#include "../../core/dprint.h"
#include "../../core/fmsg.h"
#include "../../core/mem/pkg.h"
#include "../../core/pvar.h"
#include "../../core/route.h"
#include "../../core/parser/contact/parse_contact.h"
#include "../../core/parser/parse_expires.h"
#include "../../core/ut.h"

#include "ims_wic_mod.h"
#include "ims_wic_sip.h"

static int range_route = -1;

/* The range handed to the event route; read there through $wic_range(). */
static struct due_range
{
	char pui[256];
	char impi[256];
	char realm[256];
	char wildcard[256];
	unsigned expires;
	int deregister;
} due;

enum
{
	RNG_PUI,
	RNG_IMPI,
	RNG_REALM,
	RNG_WILDCARD,
	RNG_EXPIRES,
	RNG_ACTION
};

int wic_range_init(void)
{
	range_route = route_lookup(&event_rt, "wic:range-register");
	if(range_route < 0 || event_rt.rlist[range_route] == NULL) {
		LM_WARN("no event_route[wic:range-register]: ranges will not be "
				"registered with the IMS Core\n");
		range_route = -1;
	}
	return 0;
}

static const wic_range_t *range_by_pui(const wic_prov_t *prov, const char *pui)
{
	size_t w, r;

	for(w = 0; prov && w < prov->n_wwsfs; w++)
		for(r = 0; r < prov->wwsfs[w].n_ranges; r++)
			if(strcmp(prov->wwsfs[w].ranges[r].distinct_pui, pui) == 0)
				return &prov->wwsfs[w].ranges[r];
	return NULL;
}

/* The home domain of a range: the domain of its IMPI ("user@domain"),
 * else the host part of its distinct PUI (a tel: PUI has none). */
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

static void run_range_route(void)
{
	struct run_act_ctx ctx;
	struct sip_msg *fmsg;
	int backup_rt;

	if(faked_msg_init() < 0) {
		LM_ERR("cannot initialize the faked message\n");
		return;
	}
	fmsg = faked_msg_next();
	backup_rt = get_route_type();
	set_route_type(EVENT_ROUTE);
	init_run_actions_ctx(&ctx);
	run_top_route(event_rt.rlist[range_route], fmsg, &ctx);
	set_route_type(backup_rt);
}

static void emit_due(
		void *ctx, const char *pui, wic_rs_action_t action, unsigned expires)
{
	const wic_range_t *range = range_by_pui(wic_prov_current(), pui);

	if(range == NULL || range_route < 0) {
		LM_DBG("range %s is due but cannot be sent\n", pui);
		return;
	}
	snprintf(due.pui, sizeof(due.pui), "%s", range->distinct_pui);
	snprintf(due.impi, sizeof(due.impi), "%s", range->impi);
	snprintf(due.wildcard, sizeof(due.wildcard), "%s", range->wildcard);
	realm_of(range, due.realm, sizeof(due.realm));
	due.deregister = action == WIC_RS_SEND_DEREGISTER;
	due.expires = due.deregister ? 0 : expires;
	LM_INFO("%s range %s (%s)\n",
			due.deregister ? "de-registering" : "registering", due.wildcard,
			due.pui);
	run_range_route();
}

void wic_range_timer(unsigned int ticks, void *param)
{
	time_t now = time(NULL);

	wic_btable_expire(wic_bindings, now);
	wic_rstate_run(wic_ranges, now, emit_due, NULL);
}

int wic_range_sync(const wic_prov_t *prov)
{
	wic_rs_config_t *cfg;
	size_t w, r, n = 0;
	int rc;

	for(w = 0; w < prov->n_wwsfs; w++)
		n += prov->wwsfs[w].n_ranges;
	cfg = pkg_malloc((n ? n : 1) * sizeof(*cfg));
	if(cfg == NULL) {
		PKG_MEM_ERROR;
		return -1;
	}
	n = 0;
	for(w = 0; w < prov->n_wwsfs; w++) {
		for(r = 0; r < prov->wwsfs[w].n_ranges; r++) {
			const wic_range_t *rg = &prov->wwsfs[w].ranges[r];
			cfg[n].distinct_pui = rg->distinct_pui;
			cfg[n].wildcard = rg->wildcard;
			cfg[n].triggers = rg->triggers;
			cfg[n].expires = rg->expires;
			cfg[n].linger = rg->linger;
			n++;
		}
	}
	rc = wic_rstate_sync(wic_ranges, cfg, n, time(NULL));
	pkg_free(cfg);
	return rc;
}

void wic_range_on_bind_event(void *ctx, wic_bind_event_t ev, const char *impu)
{
	const wic_prov_t *prov = wic_prov_current();
	const wic_range_t *range =
			prov ? wic_prov_range_of(prov, NULL, impu, strlen(impu), NULL)
				 : NULL;

	if(range == NULL)
		return;
	if(ev == WIC_EV_IMPU_ADDED)
		wic_rstate_wic_added(wic_ranges, range->distinct_pui, time(NULL));
	else
		wic_rstate_wic_removed(wic_ranges, range->distinct_pui, time(NULL));
}

/* ---- the reply ----------------------------------------------------- */

static unsigned granted_expiry(struct sip_msg *rpl)
{
	struct hdr_field *hf;
	contact_t *c;
	unsigned v;

	if(parse_contact_headers(rpl) == 0) {
		for(hf = rpl->contact; hf; hf = hf->next) {
			if(hf->type != HDR_CONTACT_T || hf->parsed == NULL)
				continue;
			for(c = ((contact_body_t *)hf->parsed)->contacts; c; c = c->next)
				if(c->expires && str2int(&c->expires->body, &v) == 0)
					return v;
		}
	}
	if(rpl->expires && parse_expires(rpl->expires) == 0)
		return ((exp_body_t *)rpl->expires->parsed)->val;
	return 0;
}

/* Every header named name, bodies joined with ", ". */
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
	wic_pau_entry_t entries[32];
	const wic_range_t *range = range_by_pui(wic_prov_current(), pui);
	int n = wic_pau_parse(pau, strlen(pau), entries, 32);
	int i, wildcarded = 0, ours = 0;

	if(n < 0) {
		LM_WARN("range %s: unparsable P-Associated-URI [%s]\n", pui, pau);
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
	if(!ours)
		LM_WARN("range %s: the IMS Core did not list %s among the %d "
				"wildcarded P-Associated-URI entries\n",
				pui, range ? range->wildcard : "?", wildcarded);
}

/* The code of a reply tm made up itself (408 on timeout): uac runs
 * event_route[uac:reply] with a faked request then, and only
 * $uac_req(evcode) has the code. */
static int uac_event_code(struct sip_msg *msg)
{
	static str name = STR_STATIC_INIT("$uac_req(evcode)");
	static pv_spec_t *spec;
	pv_value_t val;

	if(spec == NULL && (spec = pv_cache_get(&name)) == NULL)
		return 0;
	memset(&val, 0, sizeof(val));
	if(pv_get_spec_value(msg, spec, &val) != 0 || !(val.flags & PV_VAL_INT))
		return 0;
	return (int)val.ri;
}

int wic_range_reply(struct sip_msg *msg, str *distinct_pui)
{
	char pui[256];
	wic_buf_t route = {0}, pau = {0};
	int code = 0;
	unsigned granted = 0;

	if(distinct_pui->len <= 0 || (size_t)distinct_pui->len >= sizeof(pui)) {
		LM_ERR("bad range parameter\n");
		return -1;
	}
	memcpy(pui, distinct_pui->s, distinct_pui->len);
	pui[distinct_pui->len] = '\0';
	if(msg->first_line.type == SIP_REPLY
			&& parse_headers(msg, HDR_EOH_F, 0) == 0) {
		code = (int)msg->first_line.u.reply.statuscode;
		if(code >= 200 && code < 300) {
			granted = granted_expiry(msg);
			join_headers(msg, "Service-Route", &route);
			join_headers(msg, "P-Associated-URI", &pau);
			if(pau.s)
				check_associated_uris(pui, pau.s);
		}
	} else if(msg->first_line.type != SIP_REPLY) {
		code = uac_event_code(msg); /* no reply came: tm's own (408) */
	}
	LM_INFO("range %s: IMS Core answered %d (granted %u s)\n", pui, code,
			granted);
	if(wic_rstate_on_reply(wic_ranges, pui, code, granted,
			   route.failed ? NULL : route.s, pau.failed ? NULL : pau.s,
			   time(NULL))
			< 0)
		LM_WARN("reply for unknown range %s\n", pui);
	wic_buf_free(&route);
	wic_buf_free(&pau);
	return 1;
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
			{"action", RNG_ACTION}};
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
		default:
			return pv_get_null(msg, param, res);
	}
}
