/*
 * SPDX-License-Identifier: GPL-2.0-or-later
 * Copyright (C) 2026 the ims_wic authors
 *
 * ims_wic fuzzing - wic_cparams_add() and the grammar helpers under it:
 * the Contact parameters and the Expires value of a WIC's REGISTER
 * (attacker-controlled).
 *
 * Input: lines "name=value" or "name" (no '='), each added to one
 * Contact's parameters (from exact-size buffers); the whole input is also
 * read as a delta-seconds, a qvalue, a reg-id and a +sip.instance.
 *
 * Invariants: an accepted expires is 0..2^32-1 and an accepted reg-id
 * 1..2^31-1; a delta-seconds of only digits is accepted; a refusal leaves
 * the outputs untouched; a parameter is never accepted twice.
 */
#include "fuzz_common.h"
#include "wic_cparam.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void whole(const char *in, size_t len)
{
	uint32_t v = 12345;
	bool digits = len > 0;

	for(size_t i = 0; i < len; i++)
		digits = digits && in[i] >= '0' && in[i] <= '9';
	if(wic_delta_seconds(in, len, &v) < 0)
		FZ_CHECK(v == 12345 && !digits);
	else if(digits && len <= 9) {
		uint32_t want = 0;
		for(size_t i = 0; i < len; i++)
			want = want * 10 + (uint32_t)(in[i] - '0');
		FZ_CHECK(v == want);
	}
	if(digits)
		FZ_CHECK(wic_delta_seconds(in, len, &v) == 0);
	v = 0;
	if(wic_reg_id_parse(in, len, &v) == 0)
		FZ_CHECK(v >= 1 && v <= 2147483647u && digits && len <= 10);
	else
		FZ_CHECK(v == 0);
	if(wic_qvalue_valid(in, len))
		FZ_CHECK(len <= 5 && (in[0] == '0' || in[0] == '1'));
	if(wic_instance_valid(in, len))
		FZ_CHECK(len >= 4 && in[0] == '"' && in[len - 1] == '"');
}

static void params(const char *in, size_t len)
{
	wic_cparams_t p;
	char why[160];
	unsigned seen_before;

	wic_cparams_init(&p);
	while(len > 0) {
		const char *nl = memchr(in, '\n', len);
		size_t llen = nl ? (size_t)(nl - in) : len;
		const char *eq = memchr(in, '=', llen);
		size_t nlen = eq ? (size_t)(eq - in) : llen;
		char *name = fz_dup_exact((const uint8_t *)in, nlen);
		char *value = eq ? fz_dup_exact((const uint8_t *)eq + 1, llen - nlen - 1)
						 : NULL;

		seen_before = p.seen;
		if(name != NULL
				&& wic_cparams_add(&p, name, nlen, value,
						   eq ? llen - nlen - 1 : 0, eq != NULL, why,
						   sizeof(why))
						   == 0)
		{
			/* at most one parameter more, none seen before lost */
			unsigned fresh = p.seen & ~seen_before;
			FZ_CHECK((p.seen & seen_before) == seen_before
					 && (fresh & (fresh - 1)) == 0);
		}
		FZ_CHECK(p.expires >= -1 && p.expires <= 4294967295LL);
		FZ_CHECK(p.reg_id <= 2147483647u);
		free(name);
		free(value);
		in += llen + (nl ? 1 : 0);
		len -= llen + (nl ? 1 : 0);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *in = fz_dup_exact(data, size);

	if(!in)
		return 0;
	whole(in, size);
	params(in, size);
	free(in);
	return 0;
}
