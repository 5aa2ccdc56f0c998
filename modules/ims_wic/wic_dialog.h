/*
 * SPDX-License-Identifier: GPL-2.0-or-later
 * Copyright (C) 2026 the ims_wic authors
 *
 * ims_wic - the Record-Route parameter that binds a dialog to the WIC that
 * owns it (plain C, no Kamailio).
 *
 * Value: "<conn>.<hex identity>.<mac>", where conn is the WIC's connection
 * id (decimal, 0 when the WIC is the callee), the identity asserted for the
 * dialog in lower-case hex, and mac the first WIC_DIALOG_MAC_BYTES of
 * HMAC-SHA-256(key, Call-ID "\n" conn "\n" identity) in lower-case hex. It
 * is a token (RFC 3261 25.1), so it can stand as a URI parameter value.
 */
#ifndef WIC_DIALOG_H
#define WIC_DIALOG_H

#include <stddef.h>

#define WIC_DIALOG_KEY_BYTES 32
#define WIC_DIALOG_MAC_BYTES 16
/* longest identity the parameter carries, NUL excluded */
#define WIC_DIALOG_IDENTITY_MAX 255
/* room for the whole value, NUL included */
#define WIC_DIALOG_PARAM_MAX \
	(11 + 1 + 2 * WIC_DIALOG_IDENTITY_MAX + 1 + 2 * WIC_DIALOG_MAC_BYTES + 1)

typedef struct wic_dialog_key
{
	unsigned char bytes[WIC_DIALOG_KEY_BYTES];
} wic_dialog_key_t;

/* Writes the value for (callid, conn, identity) into out (outlen bytes,
 * WIC_DIALOG_PARAM_MAX is always enough), NUL-terminated. The length, or
 * -1 when conn is negative, identity is empty or longer than
 * WIC_DIALOG_IDENTITY_MAX, callid is empty, out is too small, or HMAC
 * fails. */
int wic_dialog_param_make(const wic_dialog_key_t *key, const char *callid,
		size_t callid_len, int conn, const char *identity, char *out,
		size_t outlen);

/* Checks value (len bytes, not NUL-terminated) against callid: 0 when it is
 * well formed and its MAC matches (compared in constant time), with *conn
 * and identity (idlen bytes, NUL-terminated) set; -1 otherwise, with
 * identity set to "". */
int wic_dialog_param_check(const wic_dialog_key_t *key, const char *callid,
		size_t callid_len, const char *value, size_t len, int *conn,
		char *identity, size_t idlen);

#endif
