/*
 * SPDX-License-Identifier: GPL-2.0-or-later
 * Copyright (C) 2026 the ims_wic authors
 *
 * ims_wic - text helpers shared by the Kamailio-independent code:
 * base64url, ASCII case folding, reason messages.
 */
#ifndef WIC_TEXT_H
#define WIC_TEXT_H

#include <stdbool.h>
#include <stddef.h>

/* Strict unpadded base64url (RFC 7515 section 2): only the URL-safe
 * alphabet, no '=', no length of 4n+1, unused trailing bits zero, so that
 * every value has one text. Returns the decoded length or -1; out must
 * hold len * 3 / 4 bytes. */
long wic_b64url_decode(const char *in, size_t len, unsigned char *out);

/* The same into a fresh malloc'ed buffer (freed by the caller, who should
 * cleanse it when it holds a secret). NULL when in is not base64url or
 * empty. */
unsigned char *wic_b64url_decode_alloc(
		const char *in, size_t len, size_t *outlen);

/* Equal over n bytes, ASCII letters compared case-insensitively. */
bool wic_ascii_caseeq(const char *a, const char *b, size_t n);

/* printf into a caller's reason buffer; nothing when it is NULL or empty. */
void wic_why(char *why, size_t whylen, const char *fmt, ...)
		__attribute__((format(printf, 3, 4)));

#endif
