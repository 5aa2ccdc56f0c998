/*
 * SPDX-License-Identifier: GPL-2.0-or-later
 * Copyright (C) 2026 the ims_wic authors
 *
 * ims_wic - the grammar of what the registrar reads from a REGISTER's
 * Contact parameters and Expires header. A value outside its grammar
 * refuses the REGISTER (400) instead of being read as something else.
 */
#ifndef WIC_CPARAM_H
#define WIC_CPARAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* RFC 3261 25.1 delta-seconds = 1*DIGIT, for the Contact "expires"
 * parameter and the Expires header. A value above 2^32-1 is read as
 * 2^32-1 (RFC 3261 20.19 bounds the value to that; the registrar caps it
 * far lower anyway). Surrounding blanks (SP, HTAB) are allowed. 0, or -1
 * when it is no delta-seconds. */
int wic_delta_seconds(const char *s, size_t len, uint32_t *out);

/* RFC 3261 25.1 qvalue = ("0" ["." 0*3DIGIT]) / ("1" ["." 0*3("0")]) */
bool wic_qvalue_valid(const char *s, size_t len);

/* RFC 5626 reg-id = 1*10DIGIT, 1 to 2^31-1. 0, or -1. */
int wic_reg_id_parse(const char *s, size_t len, uint32_t *out);

/* RFC 5626 +sip.instance = DQUOTE "<" instance-val ">" DQUOTE, and here
 * instance-val a URN (RFC 8141: "urn:" NID ":" NSS, RFC 5626 4.1). s is the
 * raw value, quotes included. */
bool wic_instance_valid(const char *s, size_t len);

/* What the registrar reads from one Contact, once every parameter passed. */
typedef struct wic_cparams
{
	int64_t expires; /* -1: absent; else 0 .. 2^32-1 */
	uint32_t reg_id; /* 0: absent */
	bool has_q;
	bool has_instance;
	unsigned seen; /* bit per parameter read, to refuse duplicates */
} wic_cparams_t;

void wic_cparams_init(wic_cparams_t *p);

/* One parameter of the Contact: name, and its value as it stands in the
 * message (quotes included; has_value false for a parameter without '=').
 * Parameters the registrar does not read pass unchecked. 0, or -1 with the
 * reason in why. */
int wic_cparams_add(wic_cparams_t *p, const char *name, size_t nlen,
		const char *value, size_t vlen, bool has_value, char *why,
		size_t whylen);

#endif
