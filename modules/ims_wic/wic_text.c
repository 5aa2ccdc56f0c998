/*
 * SPDX-License-Identifier: GPL-2.0-or-later
 * Copyright (C) 2026 the ims_wic authors
 *
 * ims_wic - text helpers shared by the Kamailio-independent code.
 */
#include "wic_text.h"
#include "wic_mem.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include <openssl/crypto.h>

/* base64url alphabet -> 6-bit value, 255 elsewhere */
static const unsigned char b64url_map[256] = {
		255,
		255,
		255,
		255,
		255,
		255,
		255,
		255,
		255,
		255,
		255,
		255,
		255,
		255,
		255,
		255,
		255,
		255,
		255,
		255,
		255,
		255,
		255,
		255,
		255,
		255,
		255,
		255,
		255,
		255,
		255,
		255,
		255,
		255,
		255,
		255,
		255,
		255,
		255,
		255,
		255,
		255,
		255,
		255,
		255,
		62,
		255,
		255,
		52,
		53,
		54,
		55,
		56,
		57,
		58,
		59,
		60,
		61,
		255,
		255,
		255,
		255,
		255,
		255,
		255,
		0,
		1,
		2,
		3,
		4,
		5,
		6,
		7,
		8,
		9,
		10,
		11,
		12,
		13,
		14,
		15,
		16,
		17,
		18,
		19,
		20,
		21,
		22,
		23,
		24,
		25,
		255,
		255,
		255,
		255,
		63,
		255,
		26,
		27,
		28,
		29,
		30,
		31,
		32,
		33,
		34,
		35,
		36,
		37,
		38,
		39,
		40,
		41,
		42,
		43,
		44,
		45,
		46,
		47,
		48,
		49,
		50,
		51,
		255,
		255,
		255,
		255,
		255,
		255,
		255,
		255,
		255,
		255,
		255,
		255,
		255,
		255,
		255,
		255,
		255,
		255,
		255,
		255,
		255,
		255,
		255,
		255,
		255,
		255,
		255,
		255,
		255,
		255,
		255,
		255,
		255,
		255,
		255,
		255,
		255,
		255,
		255,
		255,
		255,
		255,
		255,
		255,
		255,
		255,
		255,
		255,
		255,
		255,
		255,
		255,
		255,
		255,
		255,
		255,
		255,
		255,
		255,
		255,
		255,
		255,
		255,
		255,
		255,
		255,
		255,
		255,
		255,
		255,
		255,
		255,
		255,
		255,
		255,
		255,
		255,
		255,
		255,
		255,
		255,
		255,
		255,
		255,
		255,
		255,
		255,
		255,
		255,
		255,
		255,
		255,
		255,
		255,
		255,
		255,
		255,
		255,
		255,
		255,
		255,
		255,
		255,
		255,
		255,
		255,
		255,
		255,
		255,
		255,
		255,
		255,
		255,
		255,
		255,
		255,
		255,
		255,
		255,
		255,
		255,
		255,
		255,
		255,
		255,
		255,
		255,
		255,
		255,
		255,
		255,
		255,
		255,
};

long wic_b64url_decode(const char *in, size_t len, unsigned char *out)
{
	size_t i, o = 0;
	unsigned acc = 0;
	unsigned bits = 0;

	if(len % 4 == 1)
		return -1;
	for(i = 0; i < len; i++) {
		unsigned v = b64url_map[(unsigned char)in[i]];
		if(v == 255)
			return -1;
		acc = (acc << 6) | v;
		bits += 6;
		if(bits >= 8) {
			bits -= 8;
			out[o++] = (unsigned char)(acc >> bits);
			acc &= (1u << bits) - 1;
		}
	}
	if(acc != 0)
		return -1; /* non-canonical: leftover bits set */
	return (long)o;
}

unsigned char *wic_b64url_decode_alloc(
		const char *in, size_t len, size_t *outlen)
{
	unsigned char *out;
	long n;

	if(in == NULL || len == 0)
		return NULL;
	out = wic_malloc(len * 3 / 4 + 1);
	if(out == NULL)
		return NULL;
	n = wic_b64url_decode(in, len, out);
	if(n < 0) {
		/* a half-decoded secret must not linger in freed memory */
		OPENSSL_cleanse(out, len * 3 / 4 + 1);
		wic_free(out);
		return NULL;
	}
	*outlen = (size_t)n;
	return out;
}

bool wic_ascii_caseeq(const char *a, const char *b, size_t n)
{
	for(size_t i = 0; i < n; i++) {
		unsigned char ca = (unsigned char)a[i];
		unsigned char cb = (unsigned char)b[i];
		if(ca >= 'A' && ca <= 'Z')
			ca = (unsigned char)(ca - 'A' + 'a');
		if(cb >= 'A' && cb <= 'Z')
			cb = (unsigned char)(cb - 'A' + 'a');
		if(ca != cb)
			return false;
	}
	return true;
}

void wic_why(char *why, size_t whylen, const char *fmt, ...)
{
	va_list ap;

	if(!why || whylen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(why, whylen, fmt, ap);
	va_end(ap);
}
