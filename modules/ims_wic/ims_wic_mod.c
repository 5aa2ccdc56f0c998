/*
 * SPDX-License-Identifier: GPL-2.0-or-later
 * Copyright (C) 2026 the ims_wic authors
 *
 * ims_wic - eP-CSCF of WebRTC access to IMS, scenario 3 (3GPP TS 24.371):
 * module exports, parameters, shared state and the per-process
 * provisioning.
 */
#include <stdatomic.h>
#include <limits.h>
#include <stdlib.h>
#include <time.h>

#include <openssl/crypto.h>

#include "../../core/sr_module.h"
#include "../../core/dprint.h"
#include "../../core/mem/shm_mem.h"
#include "../../core/mem/pkg.h"
#include "../../core/parser/parse_uri.h"
#include "../../core/locking.h"
#include "../../core/mod_fix.h"
#include "../../core/timer_proc.h"
#include "../../core/rand/kam_rand.h"
#include "../../core/kemi.h"

#include "ims_wic_mod.h"

MODULE_VERSION

str wic_provisioning_path = STR_NULL;
str wic_bearer_realm = str_init("ims_wic");
str wic_default_service_route = STR_NULL;
int wic_max_expires = 3600;
int wic_default_expires = 600;
int wic_min_expires = 30;
static int refusal_log_rate = 10;
int wic_max_contacts = 5;
/* as usrloc's: the binding table has 2^hash_size slots */
int wic_hash_size = 12;
static int openssl_thread_stop = 0;
int wic_tcache_size = 65536;
int wic_timer_interval = 1;
static int range_backoff_min = 2;
static int range_backoff_max = 300;
static int range_refresh_margin = 600;
static int range_reply_timeout = 32;
static int range_deregister_limit = 300;
int wic_range_recount_interval = 30;
int wic_conn_sweep_interval = 10;
str wic_event_callback = STR_NULL;

wic_btable_t *wic_bindings;
wic_tcache_t *wic_tokens;
wic_rstate_t *wic_ranges;
sl_api_t wic_slb;

static gen_lock_set_t *bind_locks;
static gen_lock_set_t *tcache_locks;
static gen_lock_t *range_lock;
#define WIC_TCACHE_LOCKS 64


static int mod_init(void);
static int child_init(int rank);
static void mod_destroy(void);
static int ims_core_param(modparam_t type, void *val);

static int w_wic_origin_check(struct sip_msg *msg, char *p1, char *p2)
{
	return wic_origin_check(msg);
}
static int w_wic_register(struct sip_msg *msg, char *p1, char *p2)
{
	return wic_register(msg);
}
static int w_wic_originating(struct sip_msg *msg, char *p1, char *p2)
{
	return wic_originating(msg);
}
static int w_wic_terminating(struct sip_msg *msg, char *p1, char *p2)
{
	return wic_terminating(msg);
}
static int w_wic_conn_closed(struct sip_msg *msg, char *p1, char *p2)
{
	return wic_conn_closed(msg);
}
static int w_wic_from_ims_core(struct sip_msg *msg, char *p1, char *p2)
{
	return wic_from_ims_core(msg);
}
static int w_wic_range_send(
		struct sip_msg *msg, char *ruri, char *next_hop, char *hdrs)
{
	str r, n, h;
	if(fixup_get_svalue(msg, (gparam_t *)ruri, &r) < 0
			|| fixup_get_svalue(msg, (gparam_t *)next_hop, &n) < 0
			|| fixup_get_svalue(msg, (gparam_t *)hdrs, &h) < 0) {
		LM_ERR("cannot read the parameters of wic_range_send()\n");
		return -1;
	}
	return wic_range_send(msg, &r, &n, &h);
}

static int w_wic_police(struct sip_msg *msg, char *p1, char *p2)
{
	return wic_police(msg);
}
static int w_wic_next_hop_is_ims_core(struct sip_msg *msg, char *p1, char *p2)
{
	return wic_next_hop_is_ims_core(msg);
}
static int w_wic_assert_identity(struct sip_msg *msg, char *identity, char *p2)
{
	str s;
	if(fixup_get_svalue(msg, (gparam_t *)identity, &s) < 0) {
		LM_ERR("cannot read the identity parameter\n");
		return -1;
	}
	return wic_assert_identity(msg, &s);
}
static int w_wic_route_set_is_ims_core(struct sip_msg *msg, char *p1, char *p2)
{
	return wic_route_set_is_ims_core(msg);
}
static int w_wic_reply_record_route_ok(
		struct sip_msg *msg, char *identity, char *p2)
{
	str s;
	if(fixup_get_svalue(msg, (gparam_t *)identity, &s) < 0) {
		LM_ERR("cannot read the identity parameter\n");
		return -1;
	}
	return wic_reply_record_route_ok(msg, &s);
}
static int w_wic_sign_dialog(struct sip_msg *msg, char *p1, char *p2)
{
	return wic_sign_dialog(msg);
}
static int w_wic_dialog_owner(struct sip_msg *msg, char *p1, char *p2)
{
	return wic_dialog_owner(msg);
}
static int w_wic_conn_holds(struct sip_msg *msg, char *conn, char *identity)
{
	int id;
	str s;
	if(fixup_get_ivalue(msg, (gparam_t *)conn, &id) < 0
			|| fixup_get_svalue(msg, (gparam_t *)identity, &s) < 0) {
		LM_ERR("cannot read the parameters\n");
		return -1;
	}
	return wic_conn_holds(id, &s);
}
static int w_wic_conn_unregistered(struct sip_msg *msg, char *conn, char *p2)
{
	int id;
	if(fixup_get_ivalue(msg, (gparam_t *)conn, &id) < 0) {
		LM_ERR("cannot read the connection id parameter\n");
		return -1;
	}
	return wic_conn_unregistered(id);
}

#define WIC_ANY_ROUTE ANY_ROUTE
static cmd_export_t cmds[] = {{"wic_origin_check", w_wic_origin_check, 0, 0, 0,
									  EVENT_ROUTE | REQUEST_ROUTE},
		{"wic_register", w_wic_register, 0, 0, 0, REQUEST_ROUTE},
		{"wic_originating", w_wic_originating, 0, 0, 0, REQUEST_ROUTE},
		{"wic_terminating", w_wic_terminating, 0, 0, 0,
				REQUEST_ROUTE | FAILURE_ROUTE},
		{"wic_conn_closed", w_wic_conn_closed, 0, 0, 0, WIC_ANY_ROUTE},
		{"wic_from_ims_core", w_wic_from_ims_core, 0, 0, 0, WIC_ANY_ROUTE},
		{"wic_range_send", (cmd_function)(void (*)(void))w_wic_range_send, 3,
				fixup_spve_all, fixup_free_spve_all, EVENT_ROUTE},
		{"wic_police", w_wic_police, 0, 0, 0, REQUEST_ROUTE | ONREPLY_ROUTE},
		{"wic_next_hop_is_ims_core", w_wic_next_hop_is_ims_core, 0, 0, 0,
				REQUEST_ROUTE | FAILURE_ROUTE},
		{"wic_assert_identity", w_wic_assert_identity, 1, fixup_spve_null,
				fixup_free_spve_null, REQUEST_ROUTE | ONREPLY_ROUTE},
		{"wic_sign_dialog", w_wic_sign_dialog, 0, 0, 0, REQUEST_ROUTE},
		{"wic_route_set_is_ims_core", w_wic_route_set_is_ims_core, 0, 0, 0,
				REQUEST_ROUTE},
		{"wic_reply_record_route_ok", w_wic_reply_record_route_ok, 1,
				fixup_spve_null, fixup_free_spve_null, ONREPLY_ROUTE},
		{"wic_dialog_owner", w_wic_dialog_owner, 0, 0, 0, REQUEST_ROUTE},
		{"wic_conn_holds", w_wic_conn_holds, 2, fixup_igp_spve,
				fixup_free_igp_spve, WIC_ANY_ROUTE},
		{"wic_conn_unregistered", w_wic_conn_unregistered, 1, fixup_igp_null,
				fixup_free_igp_null, WIC_ANY_ROUTE},
		{0, 0, 0, 0, 0, 0}};

static param_export_t params[] = {
		{"provisioning", PARAM_STR, &wic_provisioning_path},
		{"bearer_realm", PARAM_STR, &wic_bearer_realm},
		{"default_service_route", PARAM_STR, &wic_default_service_route},
		{"max_expires", PARAM_INT, &wic_max_expires},
		{"default_expires", PARAM_INT, &wic_default_expires},
		{"min_expires", PARAM_INT, &wic_min_expires},
		{"refusal_log_rate", PARAM_INT, &refusal_log_rate},
		{"max_contacts", PARAM_INT, &wic_max_contacts},
		{"hash_size", PARAM_INT, &wic_hash_size},
		{"token_cache_size", PARAM_INT, &wic_tcache_size},
		{"timer_interval", PARAM_INT, &wic_timer_interval},
		{"range_backoff_min", PARAM_INT, &range_backoff_min},
		{"range_backoff_max", PARAM_INT, &range_backoff_max},
		{"range_refresh_margin", PARAM_INT, &range_refresh_margin},
		{"range_reply_timeout", PARAM_INT, &range_reply_timeout},
		{"range_deregister_limit", PARAM_INT, &range_deregister_limit},
		{"range_recount_interval", PARAM_INT, &wic_range_recount_interval},
		{"conn_sweep_interval", PARAM_INT, &wic_conn_sweep_interval},
		{"ims_core", PARAM_STRING | USE_FUNC_PARAM, (void *)ims_core_param},
		{"openssl_thread_stop", PARAM_INT, &openssl_thread_stop},
		{"event_callback", PARAM_STR, &wic_event_callback}, {0, 0, 0}};

static pv_export_t pvars[] = {
		{{"wic_range", sizeof("wic_range") - 1}, PVT_OTHER, wic_pv_get_range, 0,
				wic_pv_parse_range_name, 0, 0, 0},
		{{"wic", sizeof("wic") - 1}, PVT_OTHER, wic_pv_get_wic, 0,
				wic_pv_parse_wic_name, 0, 0, 0},
		{{0, 0}, 0, 0, 0, 0, 0, 0, 0}};

stat_var *wic_stat_accepted;
stat_var *wic_stat_refreshed;
stat_var *wic_stat_deregistered;
stat_var *wic_stat_rejected[WIC_VERDICT_COUNT];
stat_var *wic_stat_term_forwarded;
stat_var *wic_stat_term_unregistered;
stat_var *wic_stat_term_not_served;
stat_var *wic_stat_orig_accepted;
stat_var *wic_stat_orig_refused;
stat_var *wic_stat_origin_refused;
stat_var *wic_stat_tokens_verified;
stat_var *wic_stat_token_cache_hits;
stat_var *wic_stat_refusal_logs_suppressed;
stat_var *wic_stat_prov_unusable;
stat_var *wic_stat_bindings_swept;

static unsigned long stat_active_bindings(void)
{
	return wic_bindings ? wic_btable_contacts(wic_bindings) : 0;
}
static unsigned long stat_registered_impus(void)
{
	return wic_bindings ? wic_btable_impus(wic_bindings) : 0;
}
static unsigned long stat_cached_tokens(void)
{
	return wic_tokens ? wic_tcache_count(wic_tokens) : 0;
}

static stat_export_t mod_stats[] = {
		{"registrations_accepted", 0, &wic_stat_accepted},
		{"registrations_refreshed", 0, &wic_stat_refreshed},
		{"registrations_removed", 0, &wic_stat_deregistered},
		{"terminating_forwarded", 0, &wic_stat_term_forwarded},
		{"terminating_rejected_unregistered", 0, &wic_stat_term_unregistered},
		{"terminating_rejected_not_served", 0, &wic_stat_term_not_served},
		{"originating_accepted", 0, &wic_stat_orig_accepted},
		{"originating_refused", 0, &wic_stat_orig_refused},
		{"origin_refused", 0, &wic_stat_origin_refused},
		{"tokens_verified", 0, &wic_stat_tokens_verified},
		{"token_cache_hits", 0, &wic_stat_token_cache_hits},
		{"refusal_logs_suppressed", 0, &wic_stat_refusal_logs_suppressed},
		{"provisioning_unusable", 0, &wic_stat_prov_unusable},
		{"bindings_swept", 0, &wic_stat_bindings_swept},
		{"active_bindings", STAT_IS_FUNC, (stat_var **)stat_active_bindings},
		{"registered_impus", STAT_IS_FUNC, (stat_var **)stat_registered_impus},
		{"cached_tokens", STAT_IS_FUNC, (stat_var **)stat_cached_tokens},
		{0, 0, 0}};


/* KEMI: the functions of cmds[], same names, same return codes. The
 * parameters come evaluated from the KEMI script. */
static int ki_wic_conn_holds(sip_msg_t *msg, int conn, str *identity)
{
	return wic_conn_holds(conn, identity);
}
static int ki_wic_conn_unregistered(sip_msg_t *msg, int conn)
{
	return wic_conn_unregistered(conn);
}

/* clang-format off */
#define WIC_KEMI_NOPARAM                                                \
	{                                                                   \
		SR_KEMIP_NONE, SR_KEMIP_NONE, SR_KEMIP_NONE, SR_KEMIP_NONE, \
				SR_KEMIP_NONE, SR_KEMIP_NONE                        \
	}
static sr_kemi_t sr_kemi_ims_wic_exports[] = {
	{ str_init("ims_wic"), str_init("wic_origin_check"),
		SR_KEMIP_INT, wic_origin_check, WIC_KEMI_NOPARAM },
	{ str_init("ims_wic"), str_init("wic_register"),
		SR_KEMIP_INT, wic_register, WIC_KEMI_NOPARAM },
	{ str_init("ims_wic"), str_init("wic_originating"),
		SR_KEMIP_INT, wic_originating, WIC_KEMI_NOPARAM },
	{ str_init("ims_wic"), str_init("wic_terminating"),
		SR_KEMIP_INT, wic_terminating, WIC_KEMI_NOPARAM },
	{ str_init("ims_wic"), str_init("wic_conn_closed"),
		SR_KEMIP_INT, wic_conn_closed, WIC_KEMI_NOPARAM },
	{ str_init("ims_wic"), str_init("wic_from_ims_core"),
		SR_KEMIP_INT, wic_from_ims_core, WIC_KEMI_NOPARAM },
	{ str_init("ims_wic"), str_init("wic_range_send"),
		SR_KEMIP_INT, wic_range_send,
		{ SR_KEMIP_STR, SR_KEMIP_STR, SR_KEMIP_STR,
			SR_KEMIP_NONE, SR_KEMIP_NONE, SR_KEMIP_NONE }
	},
	{ str_init("ims_wic"), str_init("wic_police"),
		SR_KEMIP_INT, wic_police, WIC_KEMI_NOPARAM },
	{ str_init("ims_wic"), str_init("wic_next_hop_is_ims_core"),
		SR_KEMIP_INT, wic_next_hop_is_ims_core, WIC_KEMI_NOPARAM },
	{ str_init("ims_wic"), str_init("wic_assert_identity"),
		SR_KEMIP_INT, wic_assert_identity,
		{ SR_KEMIP_STR, SR_KEMIP_NONE, SR_KEMIP_NONE,
			SR_KEMIP_NONE, SR_KEMIP_NONE, SR_KEMIP_NONE }
	},
	{ str_init("ims_wic"), str_init("wic_sign_dialog"),
		SR_KEMIP_INT, wic_sign_dialog, WIC_KEMI_NOPARAM },
	{ str_init("ims_wic"), str_init("wic_route_set_is_ims_core"),
		SR_KEMIP_INT, wic_route_set_is_ims_core, WIC_KEMI_NOPARAM },
	{ str_init("ims_wic"), str_init("wic_reply_record_route_ok"),
		SR_KEMIP_INT, wic_reply_record_route_ok,
		{ SR_KEMIP_STR, SR_KEMIP_NONE, SR_KEMIP_NONE,
			SR_KEMIP_NONE, SR_KEMIP_NONE, SR_KEMIP_NONE }
	},
	{ str_init("ims_wic"), str_init("wic_dialog_owner"),
		SR_KEMIP_INT, wic_dialog_owner, WIC_KEMI_NOPARAM },
	{ str_init("ims_wic"), str_init("wic_conn_holds"),
		SR_KEMIP_INT, ki_wic_conn_holds,
		{ SR_KEMIP_INT, SR_KEMIP_STR, SR_KEMIP_NONE,
			SR_KEMIP_NONE, SR_KEMIP_NONE, SR_KEMIP_NONE }
	},
	{ str_init("ims_wic"), str_init("wic_conn_unregistered"),
		SR_KEMIP_INT, ki_wic_conn_unregistered,
		{ SR_KEMIP_INT, SR_KEMIP_NONE, SR_KEMIP_NONE,
			SR_KEMIP_NONE, SR_KEMIP_NONE, SR_KEMIP_NONE }
	},

	{ {0, 0}, {0, 0}, 0, NULL, { 0, 0, 0, 0, 0, 0 } }
};
/* clang-format on */

int mod_register(char *path, int *dlflags, void *p1, void *p2)
{
	sr_kemi_modules_add(sr_kemi_ims_wic_exports);
	return 0;
}

struct module_exports exports = {"ims_wic", DEFAULT_DLFLAGS, cmds, params,
		0, /* RPC methods: registered in mod_init */
		pvars, 0, mod_init, child_init, mod_destroy};

static int ims_core_param(modparam_t type, void *val)
{
	return wic_add_ims_core((const char *)val);
}

/* Per process: a window of one second and the lines dropped in it. */
int wic_refusal_log_allowed(unsigned *suppressed)
{
	static time_t window;
	static unsigned written, dropped;
	time_t now = time(NULL);

	if(now != window) {
		window = now;
		written = 0;
	}
	if(written >= (unsigned)refusal_log_rate) {
		dropped++;
		update_stat(wic_stat_refusal_logs_suppressed, 1);
		return 0;
	}
	written++;
	*suppressed = dropped;
	dropped = 0;
	return 1;
}

static void *wic_shm_alloc(size_t size)
{
	return shm_malloc(size);
}
static void wic_shm_free(void *ptr)
{
	shm_free(ptr);
}
static const wic_mem_ops_t shm_ops = {wic_shm_alloc, wic_shm_free};

static void set_lock(void *ctx, unsigned idx)
{
	gen_lock_set_t *set = ctx;
	lock_set_get(set, idx);
}
static void set_unlock(void *ctx, unsigned idx)
{
	gen_lock_set_t *set = ctx;
	lock_set_release(set, idx);
}
static void one_lock(void *ctx, unsigned idx)
{
	gen_lock_t *lock = ctx;
	(void)idx;
	lock_get(lock);
}
static void one_unlock(void *ctx, unsigned idx)
{
	gen_lock_t *lock = ctx;
	(void)idx;
	lock_release(lock);
}

static gen_lock_set_t *new_lock_set(unsigned n)
{
	gen_lock_set_t *set = lock_set_alloc(n);
	if(set == NULL || lock_set_init(set) == NULL) {
		LM_ERR("cannot create a set of %u locks\n", n);
		return NULL;
	}
	return set;
}

static unsigned wic_random(void)
{
	return (unsigned)kam_rand();
}

static int create_tables(void)
{
	static wic_lock_ops_t bind_lock_ops, tcache_lock_ops, range_lock_ops;
	wic_rs_timing_t timing = {(unsigned)range_backoff_min,
			(unsigned)range_backoff_max, (unsigned)range_refresh_margin,
			(unsigned)range_reply_timeout, (unsigned)range_deregister_limit};
	unsigned slots = 1u << wic_hash_size;

	bind_locks = new_lock_set(2 * slots);
	tcache_locks = new_lock_set(WIC_TCACHE_LOCKS);
	range_lock = lock_alloc();
	if(bind_locks == NULL || tcache_locks == NULL || range_lock == NULL
			|| lock_init(range_lock) == NULL)
		return -1;
	bind_lock_ops = (wic_lock_ops_t){bind_locks, set_lock, set_unlock};
	tcache_lock_ops = (wic_lock_ops_t){tcache_locks, set_lock, set_unlock};
	range_lock_ops = (wic_lock_ops_t){range_lock, one_lock, one_unlock};

	wic_bindings = wic_btable_create(slots, (unsigned)wic_max_contacts,
			&shm_ops, &bind_lock_ops, wic_range_on_bind_event, NULL);
	wic_tokens = wic_tcache_create((unsigned)wic_tcache_size, WIC_TCACHE_LOCKS,
			&shm_ops, &tcache_lock_ops);
	wic_ranges =
			wic_rstate_create(&shm_ops, &range_lock_ops, &timing, wic_random);
	if(wic_bindings == NULL || wic_tokens == NULL || wic_ranges == NULL) {
		LM_ERR("no shared memory for the ims_wic tables\n");
		return -1;
	}
	return 0;
}

static int register_reason_stats(void)
{
	int v;
	static char names[WIC_VERDICT_COUNT][64];

	for(v = 1; v < WIC_VERDICT_COUNT; v++) {
		const wic_answer_t *a = wic_answer_of((wic_verdict_t)v);
		snprintf(names[v], sizeof(names[v]), "rejected_%s", a->stat);
		if(register_stat("ims_wic", names[v], &wic_stat_rejected[v], 0) != 0) {
			LM_ERR("cannot register statistic %s\n", names[v]);
			return -1;
		}
	}
	return 0;
}

/* The per-process memory of the plain-C code (its copy of the
 * provisioning, key sets, token parsing) is Kamailio's pkg memory. */
static void *wic_pkg_alloc(size_t size)
{
	return pkg_malloc(size);
}
static void *wic_pkg_resize(void *ptr, size_t size)
{
	return pkg_realloc(ptr, size);
}
static void wic_pkg_free(void *ptr)
{
	pkg_free(ptr);
}
static const wic_heap_ops_t pkg_heap = {
		wic_pkg_alloc, wic_pkg_resize, wic_pkg_free};

/* An integer modparam and its allowed range. */
typedef struct int_param
{
	const char *name;
	const int *value;
	int min;
	int max;
} int_param_t;

#define WIC_HASH_SIZE_MAX 20	 /* 2^20 slots, 2^21 locks */
#define WIC_EXPIRES_MAX 31536000 /* one year */
#define WIC_INTERVAL_MAX 86400	 /* one day */

static int check_int_params(void)
{
	const int_param_t ranges[] = {
			{"max_expires", &wic_max_expires, 1, WIC_EXPIRES_MAX},
			{"default_expires", &wic_default_expires, 1, WIC_EXPIRES_MAX},
			{"min_expires", &wic_min_expires, 0, WIC_EXPIRES_MAX},
			{"refusal_log_rate", &refusal_log_rate, 1, 1000000},
			{"max_contacts", &wic_max_contacts, 1, 1000},
			{"hash_size", &wic_hash_size, 1, WIC_HASH_SIZE_MAX},
			{"token_cache_size", &wic_tcache_size, 1, 1 << 26},
			{"timer_interval", &wic_timer_interval, 1, 60},
			{"range_backoff_min", &range_backoff_min, 1, WIC_INTERVAL_MAX},
			{"range_backoff_max", &range_backoff_max, 1, WIC_INTERVAL_MAX},
			{"range_refresh_margin", &range_refresh_margin, 0,
					WIC_INTERVAL_MAX},
			{"range_reply_timeout", &range_reply_timeout, 1, 3600},
			{"range_deregister_limit", &range_deregister_limit, 1,
					WIC_INTERVAL_MAX},
			{"range_recount_interval", &wic_range_recount_interval, 1,
					WIC_INTERVAL_MAX},
			{"conn_sweep_interval", &wic_conn_sweep_interval, 1,
					WIC_INTERVAL_MAX},
			{"openssl_thread_stop", &openssl_thread_stop, 0, 1},
	};
	size_t i;

	for(i = 0; i < sizeof(ranges) / sizeof(ranges[0]); i++) {
		const int_param_t *p = &ranges[i];
		if(*p->value < p->min || *p->value > p->max) {
			LM_ERR("modparam %s is %d: it must be from %d to %d\n", p->name,
					*p->value, p->min, p->max);
			return -1;
		}
	}
	if(range_backoff_max < range_backoff_min) {
		LM_ERR("modparam range_backoff_max is %d: it must be at least "
			   "range_backoff_min (%d)\n",
				range_backoff_max, range_backoff_min);
		return -1;
	}
	if(wic_min_expires > wic_max_expires) {
		LM_ERR("modparam min_expires is %d: it must be at most max_expires "
			   "(%d)\n",
				wic_min_expires, wic_max_expires);
		return -1;
	}
	if(wic_default_expires < wic_min_expires
			|| wic_default_expires > wic_max_expires) {
		LM_ERR("modparam default_expires is %d: it must be from min_expires "
			   "(%d) to max_expires (%d)\n",
				wic_default_expires, wic_min_expires, wic_max_expires);
		return -1;
	}
	return 0;
}

/* bearer_realm goes into WWW-Authenticate as a quoted-string (RFC 6750
 * 3): printable, no quote or backslash. */
static int check_str_params(void)
{
	struct sip_uri uri;
	int i;

	if(wic_provisioning_path.s == NULL || wic_provisioning_path.len == 0) {
		LM_ERR("modparam provisioning is required: the path of the WWSF "
			   "provisioning file\n");
		return -1;
	}
	if(wic_bearer_realm.s == NULL || wic_bearer_realm.len == 0
			|| wic_bearer_realm.len > 128) {
		LM_ERR("modparam bearer_realm must be 1 to 128 characters\n");
		return -1;
	}
	for(i = 0; i < wic_bearer_realm.len; i++) {
		unsigned char c = (unsigned char)wic_bearer_realm.s[i];
		if(c < 0x20 || c > 0x7e || c == '"' || c == '\\') {
			LM_ERR("modparam bearer_realm [%.*s]: only printable ASCII "
				   "without '\"' or '\\'\n",
					wic_bearer_realm.len, wic_bearer_realm.s);
			return -1;
		}
	}
	if(wic_default_service_route.len > 0
			&& (parse_uri(wic_default_service_route.s,
						wic_default_service_route.len, &uri)
							< 0
					|| (uri.type != SIP_URI_T && uri.type != SIPS_URI_T))) {
		LM_ERR("modparam default_service_route [%.*s]: must be empty or a "
			   "sip: or sips: URI\n",
				wic_default_service_route.len, wic_default_service_route.s);
		return -1;
	}
	return 0;
}

/* openssl_thread_stop drops, in child_init(PROC_INIT), the OpenSSL
 * thread-local state that the tls module built in the main process
 * (in its own child_init(PROC_INIT)): so the tls module must be loaded,
 * and loaded before ims_wic, whose child_init runs after it then (child_init
 * runs in load order). The module list holds the last loaded first. */
static int check_openssl_thread_stop(void)
{
	sr_module_t *m;

	if(!openssl_thread_stop)
		return 0;
	if(!module_loaded("tls")) {
		LM_ERR("modparam openssl_thread_stop is 1 but the tls module is not "
			   "loaded: it drops the OpenSSL state of tls.so, set it to 0\n");
		return -1;
	}
	for(m = get_loaded_modules(); m != NULL; m = m->next) {
		if(strcmp(m->exports.name, "ims_wic") == 0)
			return 0;
		if(strcmp(m->exports.name, "tls") == 0) {
			LM_ERR("modparam openssl_thread_stop is 1 but tls.so is loaded "
				   "after ims_wic: load tls.so first (loadmodule order), so "
				   "that ims_wic drops OpenSSL's state after tls built it\n");
			return -1;
		}
	}
	return 0;
}

static int mod_init(void)
{
	/* first: nothing of the plain-C code is allocated before */
	wic_heap_set(&pkg_heap);
	if(check_str_params() < 0 || check_int_params() < 0
			|| check_openssl_thread_stop() < 0)
		return -1;
	if(sl_load_api(&wic_slb) != 0) {
		LM_ERR("cannot bind the sl module\n");
		return -1;
	}
	if(create_tables() < 0 || wic_prov_init() < 0)
		return -1;
	if(register_module_stats("ims_wic", mod_stats) != 0
			|| register_reason_stats() < 0) {
		LM_ERR("cannot register statistics\n");
		return -1;
	}
	if(wic_rpc_register() < 0 || wic_range_init() < 0 || wic_dialog_init() < 0
			|| wic_shutdown_init() < 0)
		return -1;
	register_basic_timers(1);
	return 0;
}

static int child_init(int rank)
{
	if(rank == PROC_INIT && openssl_thread_stop) {
		/* the main process, before any fork and after the tls module set
		 * OpenSSL up (checked in mod_init): drop OpenSSL's thread-local
		 * state of this thread, so that each child builds its own */
		OPENSSL_thread_stop();
		LM_INFO("OpenSSL thread state of the main process dropped "
				"(openssl_thread_stop)\n");
	}
	if(rank != PROC_INIT)
		wic_tcache_forked();
	if(rank != PROC_MAIN)
		return 0;
	if(fork_basic_timer(PROC_TIMER, "ims_wic timer", 1, wic_range_timer, NULL,
			   (unsigned)wic_timer_interval)
			< 0) {
		LM_ERR("cannot start the ims_wic timer process\n");
		return -1;
	}
	return 0;
}

static void mod_destroy(void)
{
	wic_shutdown_destroy();
	wic_btable_destroy(wic_bindings);
	wic_tcache_destroy(wic_tokens);
	wic_rstate_destroy(wic_ranges);
	wic_bindings = NULL;
	wic_tokens = NULL;
	wic_ranges = NULL;
	if(bind_locks) {
		lock_set_destroy(bind_locks);
		lock_set_dealloc(bind_locks);
	}
	if(tcache_locks) {
		lock_set_destroy(tcache_locks);
		lock_set_dealloc(tcache_locks);
	}
	if(range_lock) {
		lock_destroy(range_lock);
		lock_dealloc(range_lock);
	}
	wic_prov_destroy();
}
