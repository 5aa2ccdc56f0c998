/*
 * SPDX-License-Identifier: GPL-2.0-or-later
 * Copyright (C) 2026 the ims_wic authors
 *
 * ims_wic fuzzing - wic_dialog_param_check(): the ";wic=" Record-Route
 * parameter a WIC sends back in its Route (attacker-controlled).
 *
 * Input: "<Call-ID>\n<value>". Invariants: a value that checks gives a
 * non-empty identity without NUL and a connection id >= 0, and making the
 * value again from them gives the same bytes (one canonical form, so no
 * second spelling of a signed value exists); a value that fails leaves the
 * identity empty. The input also drives a round trip: the value made from
 * (Call-ID, a connection id from the input, the value bytes as identity)
 * always checks, and with another Call-ID never does.
 */
#include "fuzz_common.h"
#include "wic_dialog.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const wic_dialog_key_t key = {{0x5a, 0x17, 0x42, 0x99, 0x01, 0x02,
		0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e,
		0x0f, 0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18, 0x19, 0x1a,
		0x1b, 0x1c}};

static void check_value(const char *callid, size_t clen, const char *value,
		size_t vlen)
{
	char identity[WIC_DIALOG_IDENTITY_MAX + 1];
	char again[WIC_DIALOG_PARAM_MAX];
	int conn = -1, n;

	if(wic_dialog_param_check(&key, callid, clen, value, vlen, &conn,
			   identity, sizeof(identity))
			!= 0) {
		FZ_CHECK(identity[0] == '\0');
		return;
	}
	FZ_CHECK(conn >= 0 && identity[0] != '\0');
	n = wic_dialog_param_make(&key, callid, clen, conn, identity, again,
			sizeof(again));
	FZ_CHECK(n == (int)vlen && memcmp(again, value, vlen) == 0);
}

static void round_trip(const char *callid, size_t clen, const char *value,
		size_t vlen, unsigned conn_seed)
{
	char identity[WIC_DIALOG_IDENTITY_MAX + 1];
	char made[WIC_DIALOG_PARAM_MAX];
	char back[WIC_DIALOG_IDENTITY_MAX + 1];
	size_t idlen = strnlen(value, vlen);
	int conn = (int)(conn_seed & 0x7fffffff), got = -1, n;

	if(idlen == 0 || idlen > WIC_DIALOG_IDENTITY_MAX || clen == 0)
		return;
	memcpy(identity, value, idlen);
	identity[idlen] = '\0';
	n = wic_dialog_param_make(&key, callid, clen, conn, identity, made,
			sizeof(made));
	FZ_CHECK(n > 0);
	FZ_CHECK(wic_dialog_param_check(&key, callid, clen, made, (size_t)n, &got,
					 back, sizeof(back))
			 == 0);
	FZ_CHECK(got == conn && strcmp(back, identity) == 0);
	FZ_CHECK(wic_dialog_param_check(&key, "x", 1, made, (size_t)n, &got, back,
					 sizeof(back))
			 == (clen == 1 && callid[0] == 'x' ? 0 : -1));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *in = fz_dup_exact(data, size);
	const char *nl;
	size_t clen;

	if(!in)
		return 0;
	nl = memchr(in, '\n', size);
	clen = nl ? (size_t)(nl - in) : 0;
	if(nl) {
		const char *value = nl + 1;
		size_t vlen = size - clen - 1;
		check_value(in, clen, value, vlen);
		round_trip(in, clen, value, vlen,
				size >= 4 ? (unsigned)data[0] << 24 | (unsigned)data[1] << 16
									| (unsigned)data[2] << 8 | data[3]
						  : (unsigned)size);
	}
	free(in);
	return 0;
}
