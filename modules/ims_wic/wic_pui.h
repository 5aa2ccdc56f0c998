/*
 * SPDX-License-Identifier: GPL-2.0-or-later
 * Copyright (C) 2026 the ims_wic authors
 *
 * ims_wic - wildcarded Public User Identities (TS 23.003 clause 13.5/13.4:
 * the regular expression is the part between the outermost two '!').
 */
#ifndef WIC_PUI_H
#define WIC_PUI_H

#include <stdbool.h>
#include <stddef.h>

typedef struct wic_pui_range wic_pui_range_t;

/* True when s contains a '!'-delimited wildcard part. */
bool wic_pui_is_wildcarded(const char *s, size_t len);

/* Compile "sip:wic!.*!@wwsf.example.com" or "tel:+1555123!\d{4}!".
 * Returns 0, or -1 with a reason in err. */
int wic_pui_range_compile(const char *wildcard, size_t len,
		wic_pui_range_t **out, char *err, size_t errlen);

/* Whole-URI match: static prefix and suffix literally (host part
 * case-insensitive, scheme case-insensitive), the expression anchored on
 * the rest of the user part. impu is a bare URI without parameters. */
bool wic_pui_range_match(
		const wic_pui_range_t *r, const char *impu, size_t len);

/* The same on an identity already in normal form (wic_uri_normalize()),
 * for a caller that matches one identity against several ranges. */
bool wic_pui_range_match_normal(
		const wic_pui_range_t *r, const char *norm, size_t len);

/* The static parts in normal form: the prefix (scheme and the literal
 * start of the user part, "sip:demo") and the suffix (the literal end of
 * the user part and, for sip/sips, "@host"). Every identity the range
 * matches starts with the one and ends with the other in normal form. */
const char *wic_pui_range_prefix(const wic_pui_range_t *r, size_t *len);
const char *wic_pui_range_suffix(const wic_pui_range_t *r, size_t *len);

const char *wic_pui_range_text(const wic_pui_range_t *r);
void wic_pui_range_free(wic_pui_range_t *r);

#endif
