/*
 * SPDX-License-Identifier: GPL-2.0-or-later
 * Copyright (C) 2026 the ims_wic authors
 *
 * ims_wic - the signed Record-Route parameter of a WIC's dialogs (see
 * wic_dialog.h).
 */
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include "wic_dialog.h"

static const char hex_digits[] = "0123456789abcdef";

static void to_hex(const unsigned char *in, size_t len, char *out)
{
	size_t i;

	for(i = 0; i < len; i++) {
		out[2 * i] = hex_digits[in[i] >> 4];
		out[2 * i + 1] = hex_digits[in[i] & 0x0f];
	}
	out[2 * len] = '\0';
}

static int hex_value(char c)
{
	if(c >= '0' && c <= '9')
		return c - '0';
	if(c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* hex MAC of (callid, conn, identity) into out (2 * MAC bytes + 1) */
static int dialog_mac(const wic_dialog_key_t *key, const char *callid,
		size_t callid_len, int conn, const char *identity, char *out)
{
	unsigned char mac[EVP_MAX_MD_SIZE];
	char sep[16];
	EVP_MAC *hmac = EVP_MAC_fetch(NULL, "HMAC", NULL);
	EVP_MAC_CTX *ctx = hmac ? EVP_MAC_CTX_new(hmac) : NULL;
	OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(
								   OSSL_MAC_PARAM_DIGEST, (char *)"SHA256", 0),
			OSSL_PARAM_construct_end()};
	size_t maclen = 0;
	int n = snprintf(sep, sizeof(sep), "\n%d\n", conn);
	int ok = ctx != NULL && n > 0 && (size_t)n < sizeof(sep)
			 && EVP_MAC_init(ctx, key->bytes, sizeof(key->bytes), params) == 1
			 && EVP_MAC_update(ctx, (const unsigned char *)callid, callid_len)
						== 1
			 && EVP_MAC_update(ctx, (const unsigned char *)sep, (size_t)n) == 1
			 && EVP_MAC_update(
						ctx, (const unsigned char *)identity, strlen(identity))
						== 1
			 && EVP_MAC_final(ctx, mac, &maclen, sizeof(mac)) == 1
			 && maclen >= WIC_DIALOG_MAC_BYTES;

	EVP_MAC_CTX_free(ctx);
	EVP_MAC_free(hmac);
	if(!ok)
		return -1;
	to_hex(mac, WIC_DIALOG_MAC_BYTES, out);
	return 0;
}

int wic_dialog_param_make(const wic_dialog_key_t *key, const char *callid,
		size_t callid_len, int conn, const char *identity, char *out,
		size_t outlen)
{
	char mac[2 * WIC_DIALOG_MAC_BYTES + 1];
	char hexid[2 * WIC_DIALOG_IDENTITY_MAX + 1];
	size_t idlen = identity ? strlen(identity) : 0;
	int n;

	if(conn < 0 || idlen == 0 || idlen > WIC_DIALOG_IDENTITY_MAX
			|| callid == NULL || callid_len == 0
			|| dialog_mac(key, callid, callid_len, conn, identity, mac) < 0)
		return -1;
	to_hex((const unsigned char *)identity, idlen, hexid);
	n = snprintf(out, outlen, "%d.%s.%s", conn, hexid, mac);
	return (n < 0 || (size_t)n >= outlen) ? -1 : n;
}

/* "123" (no sign, no leading zero unless "0", fits an int) into *conn */
static int parse_conn(const char *s, size_t len, int *conn)
{
	long v = 0;
	size_t i;

	if(len == 0 || len > 10 || (len > 1 && s[0] == '0'))
		return -1;
	for(i = 0; i < len; i++) {
		if(s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	if(v > INT_MAX)
		return -1;
	*conn = (int)v;
	return 0;
}

/* lower-case hex of a non-empty identity without NUL bytes */
static int parse_identity(const char *s, size_t len, char *out, size_t outlen)
{
	size_t i;

	if(len == 0 || len % 2 || len / 2 > WIC_DIALOG_IDENTITY_MAX
			|| len / 2 >= outlen)
		return -1;
	for(i = 0; i < len / 2; i++) {
		int hi = hex_value(s[2 * i]), lo = hex_value(s[2 * i + 1]);
		if(hi < 0 || lo < 0 || (hi == 0 && lo == 0))
			return -1;
		out[i] = (char)(hi << 4 | lo);
	}
	out[len / 2] = '\0';
	return 0;
}

int wic_dialog_param_check(const wic_dialog_key_t *key, const char *callid,
		size_t callid_len, const char *value, size_t len, int *conn,
		char *identity, size_t idlen)
{
	char want[2 * WIC_DIALOG_MAC_BYTES + 1];
	const char *end = value + len;
	const char *dot1, *dot2;

	if(idlen == 0)
		return -1;
	identity[0] = '\0';
	dot1 = memchr(value, '.', len);
	dot2 = dot1 ? memchr(dot1 + 1, '.', (size_t)(end - dot1 - 1)) : NULL;
	if(dot2 == NULL || (size_t)(end - dot2 - 1) != 2 * WIC_DIALOG_MAC_BYTES
			|| parse_conn(value, (size_t)(dot1 - value), conn) < 0
			|| parse_identity(
					   dot1 + 1, (size_t)(dot2 - dot1 - 1), identity, idlen)
					   < 0
			|| callid == NULL || callid_len == 0
			|| dialog_mac(key, callid, callid_len, *conn, identity, want) < 0
			|| CRYPTO_memcmp(want, dot2 + 1, 2 * WIC_DIALOG_MAC_BYTES) != 0) {
		identity[0] = '\0';
		return -1;
	}
	return 0;
}
