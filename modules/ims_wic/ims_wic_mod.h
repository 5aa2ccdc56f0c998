/*
 * SPDX-License-Identifier: GPL-2.0-or-later
 * Copyright (C) 2026 the ims_wic authors
 *
 * ims_wic - state shared by the Kamailio glue files of the module.
 */
#ifndef IMS_WIC_MOD_H
#define IMS_WIC_MOD_H

#include "../../core/str.h"
#include "../../core/counters.h"
#include "../../core/pvar.h"
/* sl.h casts cmd_function to its binder type, as every Kamailio module
 * that binds sl does: harmless, but -Wextra reports it. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wcast-function-type"
#include "../../modules/sl/sl.h"
#pragma GCC diagnostic pop
#include "wic_authz.h"
#include "wic_bind.h"
#include "wic_prov.h"
#include "wic_rstate.h"
#include "wic_tcache.h"

/* modparams */
extern str wic_provisioning_path;
extern str wic_bearer_realm;
extern str wic_default_service_route;
extern int wic_max_expires;
extern int wic_default_expires;
extern int wic_min_expires;
extern int wic_max_contacts;
extern int wic_hash_size;
extern int wic_tcache_size;
extern int wic_timer_interval;
extern int wic_range_recount_interval;
extern int wic_conn_sweep_interval;
/* the KEMI function run for the range-register event */
extern str wic_event_callback;

/* shared memory tables, created in mod_init */
extern wic_btable_t *wic_bindings;
extern wic_tcache_t *wic_tokens;
extern wic_rstate_t *wic_ranges;
extern sl_api_t wic_slb;

/* ims_wic_prov.c: the provisioning of this process, parsed from the
 * snapshot every process shares (see there). NULL when this process cannot
 * use the current snapshot: refuse, with wic_prov_refused(). The pointer
 * and what it holds stay valid until the end of the current message. */
const wic_prov_t *wic_prov_current(void);
/* Counts (ims_wic:provisioning_unusable) and logs a refusal for that. */
void wic_prov_refused(struct sip_msg *msg, const char *what);
/* Generation of the published snapshot (1 at start, +1 a reload). */
unsigned wic_prov_generation(void);
/* 64 bits of the SHA-256 of this process's provisioning bytes: what a
 * cached token verification is valid for. */
uint64_t wic_prov_id(void);
/* Validate the configured file and make it current in every process.
 * 0, or -1 with the reason in err (the previous provisioning stays). */
int wic_prov_reload(char *err, size_t errlen);
/* Frees replaced copies; only where no request holds a wic_prov_t. */
void wic_prov_quiesce(void);
int wic_prov_init(void);
void wic_prov_destroy(void);

/* statistics */
extern stat_var *wic_stat_accepted;
extern stat_var *wic_stat_refreshed;
extern stat_var *wic_stat_deregistered;
extern stat_var *wic_stat_rejected[WIC_VERDICT_COUNT];
extern stat_var *wic_stat_term_forwarded;
extern stat_var *wic_stat_term_unregistered;
extern stat_var *wic_stat_term_not_served;
extern stat_var *wic_stat_orig_accepted;
extern stat_var *wic_stat_orig_refused;
extern stat_var *wic_stat_origin_refused;
extern stat_var *wic_stat_tokens_verified;
extern stat_var *wic_stat_token_cache_hits;
extern stat_var *wic_stat_refusal_logs_suppressed;
extern stat_var *wic_stat_prov_unusable;
extern stat_var *wic_stat_bindings_swept;

/* A refused request is logged at INFO, at most refusal_log_rate lines a
 * second per process, so that a flood of bad requests cannot flood the
 * log. True when this line may be written; *suppressed then gets the
 * number of lines dropped since the last one written (each also counted
 * in the statistic refusal_logs_suppressed). */
int wic_refusal_log_allowed(unsigned *suppressed);
#define WIC_LOG_REFUSAL(fmt, ...)                          \
	do {                                                   \
		unsigned wic_suppressed_;                          \
		if(wic_refusal_log_allowed(&wic_suppressed_)) {    \
			if(wic_suppressed_ > 0)                        \
				LM_INFO("%u refusal log lines suppressed " \
						"(refusal_log_rate)\n",            \
						wic_suppressed_);                  \
			LM_INFO(fmt, ##__VA_ARGS__);                   \
		}                                                  \
	} while(0)

/* cfg functions, one file per concern */
int wic_origin_check(struct sip_msg *msg);
int wic_register(struct sip_msg *msg);
int wic_originating(struct sip_msg *msg);
int wic_terminating(struct sip_msg *msg);
int wic_conn_closed(struct sip_msg *msg);
/* The safety net of the close events: bindings of connections the TCP
 * core no longer knows are removed (ims_wic timer, every
 * conn_sweep_interval seconds). */
void wic_conn_sweep(void);
int wic_from_ims_core(struct sip_msg *msg);
int wic_add_ims_core(const char *cidr);
/* the REGISTER of the range due in event_route[wic:range-register] */
int wic_range_send(struct sip_msg *msg, str *ruri, str *next_hop, str *hdrs);

/* ims_wic_police.c: requests from WICs (TS 24.229 5.2.6.3) */
int wic_police(struct sip_msg *msg);
int wic_assert_identity(struct sip_msg *msg, str *identity);
int wic_insert_charging_vector(struct sip_msg *msg);
int wic_dialog_init(void);
int wic_sign_dialog(struct sip_msg *msg);
int wic_dialog_owner(struct sip_msg *msg);
int wic_conn_unregistered(int conn_id);
int wic_conn_holds(int conn_id, str *identity);
void wic_set_identity(struct sip_msg *msg, const char *uri);
int wic_pv_get_wic(struct sip_msg *msg, pv_param_t *param, pv_value_t *res);
int wic_pv_parse_wic_name(pv_spec_p sp, str *in);
int wic_next_hop_is_ims_core(struct sip_msg *msg);
int wic_route_set_is_ims_core(struct sip_msg *msg);
int wic_reply_record_route_ok(struct sip_msg *msg, str *identity);
/* "<uri>[, <uri>...]" towards the IMS Core for impu: the Service-Route of
 * the range its binding on connection conn (else any binding; conn -1:
 * any) was admitted into, whole, else "<default_service_route>"; in pkg memory
 * (the caller frees it). NULL when there is none, or no memory. */
char *wic_route_set_of(const char *impu, int conn);
/* the identity wic_originating/wic_terminating/wic_dialog_owner set for
 * this message, or NULL */
const char *wic_identity_of(struct sip_msg *msg);

/* range registration timer (ims_wic_range.c) */
int wic_range_init(void);

/* ims_wic_shutdown.c: at stop, the main process holds the shared-memory
 * lock while the children exit (at most 5 s), so that none exits inside
 * the allocator (core app_shutdown callback; the previous one runs
 * first). 0 or -1. wic_shutdown_destroy() (mod_destroy, in cleanup())
 * ends the hold's timer. */
int wic_shutdown_init(void);
void wic_shutdown_destroy(void);
void wic_range_timer(unsigned int ticks, void *param);
int wic_range_sync(const wic_prov_t *prov);
void wic_range_on_bind_event(
		void *ctx, wic_bind_event_t ev, const char *impu, const char *range);
int wic_pv_get_range(struct sip_msg *msg, pv_param_t *param, pv_value_t *res);
int wic_pv_parse_range_name(pv_spec_p sp, str *in);

/* RPC (ims_wic_rpc.c) */
int wic_rpc_register(void);


#endif
