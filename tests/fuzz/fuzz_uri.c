/*
 * SPDX-License-Identifier: GPL-2.0-or-later
 * Copyright (C) 2026 the ims_wic authors
 *
 * ims_wic fuzzing - wic_uri_normalize(): the one normal form of an
 * identity, fed from To headers, Request-URIs, P-Preferred-Identity,
 * token claims and the RPC (all attacker-controlled but the RPC).
 *
 * Input: any bytes, normalised whole (from an exact-size buffer), and as
 * a userinfo and a tel fragment.
 *
 * Invariants: a normal form is never longer than its input, starts with
 * "sip:", "sips:" or "tel:", holds only printable ASCII (no NUL, no
 * space), is its own normal form (idempotent), and keeps the user part
 * of a sip URI case-sensitive (the upper-cased host gives the same form);
 * a refusal leaves an empty string.
 */
#include "fuzz_common.h"
#include "wic_uri.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool printable(const char *s, size_t n)
{
	for(size_t i = 0; i < n; i++)
		if(s[i] <= ' ' || s[i] > '~')
			return false;
	return true;
}

/* The host of a sip normal form upper-cased normalises to the same. */
static void host_case(const char *norm, size_t n)
{
	char up[WIC_URI_NORM_MAX], again[WIC_URI_NORM_MAX];
	const char *at;

	if(strncmp(norm, "sip", 3) != 0)
		return;
	memcpy(up, norm, n + 1);
	at = strchr(up, '@');
	for(char *p = at ? (char *)at : strchr(up, ':'); p && *p; p++)
		if(*p >= 'a' && *p <= 'z')
			*p = (char)(*p - 'a' + 'A');
	FZ_CHECK(wic_uri_normalize(up, n, again, sizeof(again)) == (int)n);
	FZ_CHECK(strcmp(again, norm) == 0);
}

static void whole(const char *in, size_t len)
{
	char out[WIC_URI_NORM_MAX], again[WIC_URI_NORM_MAX];
	int n = wic_uri_normalize(in, len, out, sizeof(out));

	if(n < 0) {
		FZ_CHECK(out[0] == '\0');
		return;
	}
	FZ_CHECK((size_t)n <= len && strlen(out) == (size_t)n);
	FZ_CHECK(strncmp(out, "sip:", 4) == 0 || strncmp(out, "sips:", 5) == 0
			 || strncmp(out, "tel:", 4) == 0);
	FZ_CHECK(printable(out, (size_t)n));
	FZ_CHECK(wic_uri_normalize(out, (size_t)n, again, sizeof(again)) == n);
	FZ_CHECK(strcmp(again, out) == 0);
	host_case(out, (size_t)n);
}

static void fragment(const char *in, size_t len, int tel)
{
	char out[WIC_URI_NORM_MAX];
	int n = wic_uri_normalize_user(in, len, tel, out, sizeof(out));

	if(n >= 0)
		FZ_CHECK((size_t)n <= len && printable(out, (size_t)n));
	else
		FZ_CHECK(out[0] == '\0');
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *in = fz_dup_exact(data, size);

	if(!in)
		return 0;
	whole(in, size);
	fragment(in, size, 0);
	fragment(in, size, 1);
	free(in);
	return 0;
}
