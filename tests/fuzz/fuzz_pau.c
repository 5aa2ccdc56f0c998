/*
 * SPDX-License-Identifier: GPL-2.0-or-later
 * Copyright (C) 2026 the ims_wic authors
 *
 * ims_wic fuzzing - wic_pau_parse(): the P-Associated-URI value of the
 * IMS Core's 200 OK to a range REGISTER (name-addr list, RFC 7315 4.1).
 *
 * Invariants: the count never exceeds the room given; every entry points
 * inside the value, is not empty and holds no '<', '>' or whitespace; the
 * wildcarded flag agrees with wic_pui_is_wildcarded(); the count with no
 * room (out NULL) agrees with the count with room.
 */
#include "fuzz_common.h"
#include "wic_rstate.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define ROOM 8

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *value = fz_dup_exact(data, size);
	wic_pau_entry_t e[ROOM];
	int n, n0, n1, i;
	size_t k;

	if (!value)
		return 0;
	n = wic_pau_parse(value, size, e, ROOM);
	n0 = wic_pau_parse(value, size, NULL, 0);
	n1 = wic_pau_parse(value, size, e, 1);
	FZ_CHECK(n <= ROOM && n1 <= 1);
	FZ_CHECK((n < 0) == (n0 < 0) && (n < 0) == (n1 < 0));
	FZ_CHECK(n0 <= 0);
	n = wic_pau_parse(value, size, e, ROOM);
	for (i = 0; i < n; i++) {
		FZ_CHECK(e[i].uri >= value && e[i].len > 0
				&& e[i].uri + e[i].len <= value + size);
		for (k = 0; k < e[i].len; k++)
			FZ_CHECK(e[i].uri[k] != '<' && e[i].uri[k] != '>'
					&& e[i].uri[k] != ' ' && e[i].uri[k] != '\t');
		FZ_CHECK(!e[i].wildcarded == !wic_pui_is_wildcarded(e[i].uri,
				e[i].len));
	}
	free(value);
	return 0;
}
