/*
 * SPDX-License-Identifier: GPL-2.0-or-later
 * Copyright (C) 2026 the ims_wic authors
 *
 * Unit tests of wic_dialog.c: the signed Record-Route parameter that binds a
 * dialog to the WIC owning it.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "wic_dialog.h"

static const wic_dialog_key_t key = {{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12,
		13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30,
		31, 32}};
static const wic_dialog_key_t other_key = {{32, 31}};
#define CALLID "a84b4c76e66710@pc33.atlanta.example.com"
#define ALICE "sip:demoalice@wwsf.lab"

static int make(const char *callid, int conn, const char *identity, char *out)
{
	return wic_dialog_param_make(&key, callid, strlen(callid), conn, identity,
			out, WIC_DIALOG_PARAM_MAX);
}

static int check_with(const wic_dialog_key_t *k, const char *callid,
		const char *value, int *conn, char *identity)
{
	return wic_dialog_param_check(k, callid, strlen(callid), value,
			strlen(value), conn, identity, WIC_DIALOG_IDENTITY_MAX + 1);
}

static void test_round_trip(void **state)
{
	char value[WIC_DIALOG_PARAM_MAX], identity[WIC_DIALOG_IDENTITY_MAX + 1];
	int conn = -1, n;

	(void)state;
	n = make(CALLID, 42, ALICE, value);
	assert_int_equal(n, (int)strlen(value));
	/* "42." + hex identity + "." + 32 hex digits */
	assert_int_equal(n, 3 + 2 * (int)strlen(ALICE) + 1 + 32);
	assert_int_equal(strspn(value, "0123456789abcdef."), (size_t)n);
	assert_int_equal(check_with(&key, CALLID, value, &conn, identity), 0);
	assert_int_equal(conn, 42);
	assert_string_equal(identity, ALICE);
	/* the callee form: connection 0 */
	make(CALLID, 0, ALICE, value);
	assert_int_equal(check_with(&key, CALLID, value, &conn, identity), 0);
	assert_int_equal(conn, 0);
}

static void test_deterministic(void **state)
{
	char a[WIC_DIALOG_PARAM_MAX], b[WIC_DIALOG_PARAM_MAX];

	(void)state;
	make(CALLID, 7, ALICE, a);
	make(CALLID, 7, ALICE, b);
	assert_string_equal(a, b);
	make(CALLID, 8, ALICE, b);
	assert_string_not_equal(a, b);
}

/* Each part of the value, changed, fails; so do the other Call-ID and key. */
static void test_tampering_fails(void **state)
{
	char value[WIC_DIALOG_PARAM_MAX], forged[WIC_DIALOG_PARAM_MAX];
	char identity[WIC_DIALOG_IDENTITY_MAX + 1];
	char *dot;
	int conn;

	(void)state;
	make(CALLID, 42, ALICE, value);
	assert_int_equal(check_with(&key, "other-call-id", value, &conn, identity),
			-1);
	assert_string_equal(identity, "");
	assert_int_equal(check_with(&other_key, CALLID, value, &conn, identity), -1);
	/* another connection id, same MAC */
	strcpy(forged, value);
	forged[1] = '3';
	assert_int_equal(check_with(&key, CALLID, forged, &conn, identity), -1);
	/* another identity (last hex digit of the identity changed) */
	strcpy(forged, value);
	dot = strrchr(forged, '.');
	dot[-1] = dot[-1] == '1' ? '2' : '1';
	assert_int_equal(check_with(&key, CALLID, forged, &conn, identity), -1);
	/* one MAC digit flipped */
	strcpy(forged, value);
	forged[strlen(forged) - 1] ^= 1;
	assert_int_equal(check_with(&key, CALLID, forged, &conn, identity), -1);
}

static void test_malformed_fails(void **state)
{
	const char *bad[] = {"", ".", "..", "1..", "1.61.", "-1.61.0000",
			"01.6161.00000000000000000000000000000000",
			"99999999999.6161.00000000000000000000000000000000",
			"1.616.00000000000000000000000000000000",
			"1.6G61.00000000000000000000000000000000",
			"1.0061.00000000000000000000000000000000",
			"1.6161.0000000000000000000000000000000",
			"1.6161.000000000000000000000000000000000",
			"1.6161.00000000000000000000000000000000.1",
			"1.AB61.00000000000000000000000000000000", NULL};
	char identity[WIC_DIALOG_IDENTITY_MAX + 1];
	int conn, i;

	(void)state;
	for(i = 0; bad[i]; i++) {
		if(check_with(&key, CALLID, bad[i], &conn, identity) != -1)
			print_error("accepted [%s]\n", bad[i]);
		assert_int_equal(check_with(&key, CALLID, bad[i], &conn, identity), -1);
		assert_string_equal(identity, "");
	}
}

static void test_make_refuses(void **state)
{
	char value[WIC_DIALOG_PARAM_MAX], longid[WIC_DIALOG_IDENTITY_MAX + 2];

	(void)state;
	assert_int_equal(make(CALLID, -1, ALICE, value), -1);
	assert_int_equal(make(CALLID, 1, "", value), -1);
	assert_int_equal(make("", 1, ALICE, value), -1);
	memset(longid, 'a', sizeof(longid) - 1);
	longid[sizeof(longid) - 1] = '\0';
	assert_int_equal(make(CALLID, 1, longid, value), -1);
	longid[WIC_DIALOG_IDENTITY_MAX] = '\0';
	assert_true(make(CALLID, 2147483647, longid, value) > 0);
	assert_true(strlen(value) < WIC_DIALOG_PARAM_MAX);
	/* too small a buffer */
	assert_int_equal(wic_dialog_param_make(&key, CALLID, strlen(CALLID), 1,
							 ALICE, value, 10),
			-1);
}

/* An identity buffer too small for what the value carries fails cleanly. */
static void test_small_identity_buffer(void **state)
{
	char value[WIC_DIALOG_PARAM_MAX], identity[8];
	int conn;

	(void)state;
	make(CALLID, 1, ALICE, value);
	assert_int_equal(wic_dialog_param_check(&key, CALLID, strlen(CALLID), value,
							 strlen(value), &conn, identity, sizeof(identity)),
			-1);
	assert_string_equal(identity, "");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
			cmocka_unit_test(test_round_trip),
			cmocka_unit_test(test_deterministic),
			cmocka_unit_test(test_tampering_fails),
			cmocka_unit_test(test_malformed_fails),
			cmocka_unit_test(test_make_refuses),
			cmocka_unit_test(test_small_identity_buffer),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
