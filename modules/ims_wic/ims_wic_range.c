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

/* Bounded copy; a name that does not fit would address someone else. */
static int due_copy(char *dst, size_t len, const char *src)
{
	return snprintf(dst, len, "%s", src) < (int)len ? 0 : -1;
}

/* From the range state alone: a range removed by a reload is no longer in
 * the provisioning, yet must be de-registered. */
static void emit_due(void *ctx, const wic_rs_due_t *d)
{
	if(range_route < 0) {
		LM_DBG("range %s is due but there is no event route\n",
				d->distinct_pui);
		return;
	}
	if(due_copy(due.pui, sizeof(due.pui), d->distinct_pui) < 0
			|| due_copy(due.impi, sizeof(due.impi), d->impi) < 0
			|| due_copy(due.wildcard, sizeof(due.wildcard), d->wildcard) < 0
			|| due_copy(due.realm, sizeof(due.realm), d->realm) < 0) {
		LM_ERR("range %s: a name is too long to send\n", d->distinct_pui);
		return;
	}
	due.deregister = d->action == WIC_RS_SEND_DEREGISTER;
	due.expires = due.deregister ? 0 : d->expires;
	LM_INFO("%s range %s (%s)\n",
			due.deregister ? "de-registering" : "registering", due.wildcard,
			due.pui);
	run_range_route();
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
	const wic_range_t *range = wic_prov_range_by_pui(wic_prov_current(), pui);
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
