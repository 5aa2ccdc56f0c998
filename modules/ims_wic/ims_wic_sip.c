/*
 * SPDX-License-Identifier: GPL-2.0-or-later
 * Copyright (C) 2026 the ims_wic authors
 *
 * ims_wic - small SIP message helpers shared by the glue files.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "../../core/data_lump.h"
#include "../../core/data_lump_rpl.h"
#include "../../core/dprint.h"
#include "../../core/mem/pkg.h"
#include "../../core/parser/parse_uri.h"

#include "ims_wic_sip.h"
#include "wic_uri.h"

int wic_header_is(struct hdr_field *hf, const char *name)
{
	size_t len = strlen(name);

	return hf->name.len == (int)len && strncasecmp(hf->name.s, name, len) == 0;
}

struct hdr_field *wic_find_header(struct sip_msg *msg, const char *name)
{
	struct hdr_field *hf;

	if(parse_headers(msg, HDR_EOH_F, 0) < 0)
		return NULL;
	for(hf = msg->headers; hf; hf = hf->next) {
		if(wic_header_is(hf, name))
			return hf;
	}
	return NULL;
}

static const char *scheme_name(const struct sip_uri *u)
{
	switch(u->type) {
		case SIPS_URI_T:
			return "sips";
		case TEL_URI_T:
			return "tel";
		case TELS_URI_T:
			return "tels";
		default:
			return "sip";
	}
}

int wic_bare_uri(str *uri, char *buf, size_t len)
{
	struct sip_uri u;
	int n;

	if(uri == NULL || uri->len <= 0 || parse_uri(uri->s, uri->len, &u) < 0)
		return -1;
	/* RFC 3966: the parameters of a tel URI (ext, isub, phone-context)
	 * are part of the number; RFC 3261 19.1.4: so is a SIP URI's password */
	if(u.type == TEL_URI_T || u.type == TELS_URI_T)
		n = snprintf(buf, len, "%s:%.*s%s%.*s", scheme_name(&u), u.user.len,
				u.user.s, u.params.len ? ";" : "", u.params.len, u.params.s);
	else if(u.user.len > 0)
		n = snprintf(buf, len, "%s:%.*s%s%.*s@%.*s%s%.*s", scheme_name(&u),
				u.user.len, u.user.s, u.passwd.len ? ":" : "", u.passwd.len,
				u.passwd.s, u.host.len, u.host.s, u.port.len ? ":" : "",
				u.port.len, u.port.s);
	else
		n = snprintf(buf, len, "%s:%.*s%s%.*s", scheme_name(&u), u.host.len,
				u.host.s, u.port.len ? ":" : "", u.port.len, u.port.s);
	if(n < 0 || (size_t)n >= len)
		return -1;
	/* one spelling per identity for every key and comparison */
	return wic_uri_normalize_inplace(buf, len);
}

static int wic_buf_reserve(wic_buf_t *b, int more)
{
	char *grown;
	int size;

	if(b->failed)
		return -1;
	if(b->len + more + 1 <= b->size)
		return 0;
	size = b->size ? b->size : 256;
	while(size < b->len + more + 1)
		size *= 2;
	grown = pkg_realloc(b->s, size);
	if(grown == NULL) {
		PKG_MEM_ERROR;
		b->failed = 1;
		return -1;
	}
	b->s = grown;
	b->size = size;
	return 0;
}

void wic_buf_add(wic_buf_t *b, const char *s, int len)
{
	if(len <= 0 || wic_buf_reserve(b, len) < 0)
		return;
	memcpy(b->s + b->len, s, len);
	b->len += len;
	b->s[b->len] = '\0';
}

void wic_buf_addz(wic_buf_t *b, const char *s)
{
	wic_buf_add(b, s, (int)strlen(s));
}

void wic_buf_printf(wic_buf_t *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if(n < 0 || wic_buf_reserve(b, n) < 0)
		return;
	va_start(ap, fmt);
	vsnprintf(b->s + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += n;
}

void wic_buf_free(wic_buf_t *b)
{
	if(b->s)
		pkg_free(b->s);
	memset(b, 0, sizeof(*b));
}

int wic_add_reply_headers(struct sip_msg *msg, wic_buf_t *b)
{
	if(b->failed)
		return -1;
	if(b->len == 0)
		return 0;
	if(add_lump_rpl(msg, b->s, b->len, LUMP_RPL_HDR) == NULL) {
		LM_ERR("cannot add headers to the reply\n");
		return -1;
	}
	return 0;
}

int wic_remove_headers(struct sip_msg *msg, const char *name)
{
	struct hdr_field *hf;
	int removed = 0;

	if(parse_headers(msg, HDR_EOH_F, 0) < 0)
		return -1;
	for(hf = msg->headers; hf; hf = hf->next) {
		if(!wic_header_is(hf, name))
			continue;
		if(del_lump(msg, hf->name.s - msg->buf, hf->len, 0) == NULL)
			return -1;
		removed++;
	}
	return removed;
}

int wic_insert_header(struct sip_msg *msg, wic_buf_t *line)
{
	struct lump *anchor;
	char *copy;

	if(line->failed)
		return -1;
	anchor = anchor_lump(msg, msg->headers->name.s - msg->buf, 0, 0);
	copy = pkg_malloc(line->len);
	if(anchor == NULL || copy == NULL) {
		if(copy)
			pkg_free(copy);
		LM_ERR("cannot add a header to the request\n");
		return -1;
	}
	memcpy(copy, line->s, line->len);
	if(insert_new_lump_before(anchor, copy, line->len, 0) == NULL) {
		pkg_free(copy);
		return -1;
	}
	return 0;
}
