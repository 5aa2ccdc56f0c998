/*
 * SPDX-License-Identifier: GPL-2.0-or-later
 * Copyright (C) 2026 the ims_wic authors
 *
 * Unit tests of wic_cparam.c: the grammar of the Contact parameters and
 * of the Expires header the registrar reads. Each rule with its right
 * values and its wrong ones.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "wic_cparam.h"

static int delta(const char *s, uint32_t *v)
{
	return wic_delta_seconds(s, strlen(s), v);
}

static void test_delta_seconds(void **state)
{
	uint32_t v = 7;
	(void)state;
	assert_int_equal(delta("0", &v), 0);
	assert_int_equal(v, 0);
	assert_int_equal(delta("600", &v), 0);
	assert_int_equal(v, 600);
	assert_int_equal(delta("0007", &v), 0);
	assert_int_equal(v, 7);
	assert_int_equal(delta(" 60\t", &v), 0); /* header LWS */
	assert_int_equal(v, 60);
	/* RFC 3261: above 2^32-1 reads as 2^32-1 */
	assert_int_equal(delta("4294967295", &v), 0);
	assert_int_equal(v, 4294967295u);
	assert_int_equal(delta("4294967296", &v), 0);
	assert_int_equal(v, 4294967295u);
	assert_int_equal(delta("99999999999999999999999999999999", &v), 0);
	assert_int_equal(v, 4294967295u);
	v = 7;
	assert_int_equal(delta("abc", &v), -1);
	assert_int_equal(delta("", &v), -1);
	assert_int_equal(delta(" ", &v), -1);
	assert_int_equal(delta("-1", &v), -1);
	assert_int_equal(delta("+1", &v), -1);
	assert_int_equal(delta("1.5", &v), -1);
	assert_int_equal(delta("60 s", &v), -1);
	assert_int_equal(delta("0x10", &v), -1);
	assert_int_equal(delta("Thu, 01 Dec 1994 16:00:00 GMT", &v), -1);
	assert_int_equal(v, 7); /* untouched on failure */
	assert_int_equal(wic_delta_seconds("12", 1, &v), 0); /* len bounds */
	assert_int_equal(v, 1);
	assert_int_equal(wic_delta_seconds("1\0", 2, &v), -1);
	assert_int_equal(wic_delta_seconds(NULL, 1, &v), -1);
	assert_int_equal(wic_delta_seconds("1", 1, NULL), -1);
}

static bool q(const char *s)
{
	return wic_qvalue_valid(s, strlen(s));
}

static void test_qvalue(void **state)
{
	(void)state;
	assert_true(q("0"));
	assert_true(q("1"));
	assert_true(q("0."));
	assert_true(q("0.5"));
	assert_true(q("0.123"));
	assert_true(q("1."));
	assert_true(q("1.000"));
	assert_false(q(""));
	assert_false(q("0.1234"));
	assert_false(q("1.001"));
	assert_false(q("1.5"));
	assert_false(q("2"));
	assert_false(q(".5"));
	assert_false(q("0,5"));
	assert_false(q("01"));
	assert_false(q("0.5a"));
	assert_false(q("-0"));
	assert_false(q("\"0.5\""));
	assert_false(wic_qvalue_valid(NULL, 1));
}

static int reg_id(const char *s, uint32_t *v)
{
	return wic_reg_id_parse(s, strlen(s), v);
}

static void test_reg_id(void **state)
{
	uint32_t v = 0;
	(void)state;
	assert_int_equal(reg_id("1", &v), 0);
	assert_int_equal(v, 1);
	assert_int_equal(reg_id("2147483647", &v), 0);
	assert_int_equal(v, 2147483647u);
	assert_int_equal(reg_id("0000000042", &v), 0); /* 10 digits at most */
	assert_int_equal(v, 42);
	v = 9;
	assert_int_equal(reg_id("0", &v), -1);
	assert_int_equal(reg_id("2147483648", &v), -1);
	assert_int_equal(reg_id("4294967297", &v), -1);
	assert_int_equal(reg_id("00000000001", &v), -1);
	assert_int_equal(reg_id("", &v), -1);
	assert_int_equal(reg_id("-1", &v), -1);
	assert_int_equal(reg_id("1a", &v), -1);
	assert_int_equal(reg_id("\"1\"", &v), -1);
	assert_int_equal(v, 9);
}

static bool inst(const char *s)
{
	return wic_instance_valid(s, strlen(s));
}

static void test_instance(void **state)
{
	(void)state;
	assert_true(inst("\"<urn:uuid:f81d4fae-7dec-11d0-a765-00a0c91e6bf6>\""));
	assert_true(inst("\"<URN:UUID:F81D4FAE-7DEC-11D0-A765-00A0C91E6BF6>\""));
	assert_true(inst("\"<urn:gsma:imei:90420156-025763-0>\""));
	assert_true(inst("\"<urn:ab:x%2Fy/z?+r?=q>\""));
	assert_false(inst("<urn:uuid:1>"));			/* not quoted */
	assert_false(inst("\"urn:uuid:1\""));			/* no angle brackets */
	assert_false(inst("\"<urn:uuid:1>"));
	assert_false(inst("\"<>\""));
	assert_false(inst("\"<sip:a@b>\""));			/* not a URN */
	assert_false(inst("\"<urn:uuid:>\""));			/* empty NSS */
	assert_false(inst("\"<urn:uuid>\""));			/* no NSS */
	assert_false(inst("\"<urn:a:x>\""));			/* NID of one char */
	assert_false(inst("\"<urn:-ab:x>\""));			/* NID starts with '-' */
	assert_false(inst("\"<urn:ab-:x>\""));
	assert_false(inst("\"<urn:abcdefghijabcdefghijabcdefghijabc:x>\""));
	assert_false(inst("\"<urn:uuid:a b>\""));		/* space */
	assert_false(inst("\"<urn:uuid:a\"b>\""));		/* quote inside */
	assert_false(inst("\"<urn:uuid:a%zz>\""));		/* broken escape */
	assert_false(inst("\"<urn:uuid:a%4>\""));
	assert_false(inst("\"<urn:uuid:a#f>\""));
	assert_false(inst(""));
	assert_false(wic_instance_valid(NULL, 4));
}

typedef struct
{
	const char *name;
	const char *value; /* NULL: no '=' */
} kv_t;

/* Adds every parameter; the result of the last call. */
static int add_all(wic_cparams_t *p, const kv_t *kv, size_t n)
{
	char why[160] = "";
	int rc = 0;

	wic_cparams_init(p);
	for(size_t i = 0; i < n && rc == 0; i++)
		rc = wic_cparams_add(p, kv[i].name, strlen(kv[i].name), kv[i].value,
				kv[i].value ? strlen(kv[i].value) : 0, kv[i].value != NULL, why,
				sizeof(why));
	if(rc != 0)
		assert_true(why[0] != '\0');
	return rc;
}

#define ADD(p, ...)                                                  \
	add_all(p, (const kv_t[]){__VA_ARGS__},                          \
			sizeof((const kv_t[]){__VA_ARGS__}) / sizeof(kv_t))

static void test_contact_params(void **state)
{
	wic_cparams_t p;
	(void)state;
	/* what JsSIP and SIP.js send */
	assert_int_equal(ADD(&p, {"+sip.instance",
									 "\"<urn:uuid:f81d4fae-7dec-11d0-a765-"
									 "00a0c91e6bf6>\""},
							 {"reg-id", "1"}, {"expires", "600"}),
			0);
	assert_int_equal(p.expires, 600);
	assert_int_equal(p.reg_id, 1);
	assert_true(p.has_instance);
	assert_false(p.has_q);
	/* names are case-insensitive; parameters not read pass */
	assert_int_equal(ADD(&p, {"EXPIRES", "0"}, {"Q", "0.7"}, {"ob", NULL},
							 {"x-foo", "\"anything at all\""}),
			0);
	assert_int_equal(p.expires, 0);
	assert_true(p.has_q);
	assert_int_equal(ADD(&p, {"ob", NULL}), 0);
	assert_int_equal(p.expires, -1);
	assert_int_equal(p.reg_id, 0);
	/* huge expires: 2^32-1 */
	assert_int_equal(ADD(&p, {"expires", "12345678901234567890"}), 0);
	assert_int_equal(p.expires, 4294967295LL);

	/* the seen bug: expires=abc was read as 0 (a removal) */
	assert_int_equal(ADD(&p, {"expires", "abc"}), -1);
	assert_int_equal(ADD(&p, {"expires", NULL}), -1);
	assert_int_equal(ADD(&p, {"expires", ""}), -1);
	assert_int_equal(ADD(&p, {"expires", "\"60\""}), -1);
	assert_int_equal(ADD(&p, {"expires", "-1"}), -1);
	assert_int_equal(ADD(&p, {"q", "2"}), -1);
	assert_int_equal(ADD(&p, {"q", NULL}), -1);
	assert_int_equal(ADD(&p, {"reg-id", "0"}), -1);
	assert_int_equal(ADD(&p, {"reg-id", "x"}), -1);
	assert_int_equal(ADD(&p, {"reg-id", NULL}), -1);
	assert_int_equal(ADD(&p, {"+sip.instance", "\"<urn:uuid:>\""}), -1);
	assert_int_equal(ADD(&p, {"+sip.instance", NULL}), -1);
	assert_int_equal(ADD(&p, {"+sip.instance", "abc"}), -1);
	/* each parameter once (RFC 3261 gives each one value) */
	assert_int_equal(ADD(&p, {"expires", "60"}, {"Expires", "60"}), -1);
	assert_int_equal(ADD(&p, {"q", "1"}, {"q", "0"}), -1);
	assert_int_equal(ADD(&p, {"reg-id", "1"}, {"reg-id", "1"}), -1);
	assert_int_equal(ADD(&p,
							 {"+sip.instance", "\"<urn:uuid:1>\""},
							 {"+sip.instance", "\"<urn:uuid:1>\""}),
			-1);
	/* robust without a reason buffer */
	wic_cparams_init(&p);
	assert_int_equal(wic_cparams_add(&p, "q", 1, "9", 1, true, NULL, 0), -1);
	assert_int_equal(wic_cparams_add(NULL, "q", 1, "1", 1, true, NULL, 0), -1);
	assert_int_equal(wic_cparams_add(&p, NULL, 1, "1", 1, true, NULL, 0), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
			cmocka_unit_test(test_delta_seconds),
			cmocka_unit_test(test_qvalue),
			cmocka_unit_test(test_reg_id),
			cmocka_unit_test(test_instance),
			cmocka_unit_test(test_contact_params),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
