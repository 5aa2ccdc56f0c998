/*
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

const char *wic_pui_range_text(const wic_pui_range_t *r);
void wic_pui_range_free(wic_pui_range_t *r);

#endif
