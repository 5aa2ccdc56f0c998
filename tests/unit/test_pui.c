/*
 * SPDX-License-Identifier: GPL-2.0-or-later
 * Copyright (C) 2026 the ims_wic authors
 *
 * Unit tests of wic_pui.c: wildcarded PUI compilation and matching.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "wic_pui.h"
#include "wic_uri.h"

static wic_pui_range_t *compile_ok(const char *wildcard)
{
	wic_pui_range_t *r = NULL;
	char err[256] = "";
	int rc = wic_pui_range_compile(wildcard, strlen(wildcard), &r, err,
			sizeof(err));
	if (rc != 0)
		print_error("compile '%s' failed: %s\n", wildcard, err);
	assert_int_equal(rc, 0);
	assert_non_null(r);
	assert_string_equal(wic_pui_range_text(r), wildcard);
	return r;
}

/* Compile must fail and err must contain want. */
static void compile_fails(const char *wildcard, size_t len, const char *want)
{
	wic_pui_range_t *r = (wic_pui_range_t *)1;
	char err[256] = "";
	assert_int_equal(wic_pui_range_compile(wildcard, len, &r, err,
			sizeof(err)), -1);
	assert_null(r);
	if (strstr(err, want) == NULL)
		print_error("'%s': error '%s' lacks '%s'\n",
				wildcard ? wildcard : "(null)", err, want);
	assert_non_null(strstr(err, want));
}

static bool matches(const wic_pui_range_t *r, const char *impu)
{
	return wic_pui_range_match(r, impu, strlen(impu));
}

static void test_is_wildcarded(void **state)
{
	(void)state;
	assert_true(wic_pui_is_wildcarded("sip:a!.*!@h", 11));
	assert_true(wic_pui_is_wildcarded("!!", 2));
	assert_false(wic_pui_is_wildcarded("sip:a!@h", 8));
	assert_false(wic_pui_is_wildcarded("sip:a@h", 7));
	assert_false(wic_pui_is_wildcarded(NULL, 10));
	assert_false(wic_pui_is_wildcarded("!!", 0));
	/* len bounds the search: the second '!' lies beyond it */
	assert_false(wic_pui_is_wildcarded("sip:a!b!", 7));
}

static void test_compile_rejects(void **state)
{
	(void)state;
	compile_fails(NULL, 5, "empty");
	compile_fails("sip:a!x!@h", 0, "empty");
	compile_fails("sip:demo@wwsf.lab", 17, "no '!'-delimited");
	compile_fails("sip:demo!x@wwsf.lab", 19, "no '!'-delimited");
	compile_fails("sip:demo!!@wwsf.lab", 19, "empty regular expression");
	compile_fails("http:demo!.*!@wwsf.lab", 22, "unknown scheme");
	compile_fails("demo!.*!@wwsf.lab", 17, "unknown scheme");
	compile_fails("!sip:!demo@wwsf.lab", 19, "unknown scheme");
	compile_fails("sip:demo!(!@wwsf.lab", 20, "bad regular expression");
	compile_fails("sip:demo!a{2,1}!@wwsf.lab", 25, "bad regular expression");
	compile_fails("sip:demo@h!.*!", 14, "user part");
	compile_fails("sip:demo!.*!", 12, "no '@host'");
	compile_fails("sip:demo!.*!x@", 14, "no '@host'");
	compile_fails("tel:+1555!\\d{4}!@h", 18, "'@' in a tel: URI");
	compile_fails("sip:de\0mo!.*!@h", 15, "NUL byte");
	/* \C could split a code unit: never allowed */
	compile_fails("sip:demo!\\C!@h", 14, "bad regular expression");
}

static void test_compile_error_without_buffer(void **state)
{
	(void)state;
	wic_pui_range_t *r = NULL;
	assert_int_equal(wic_pui_range_compile("sip:x!(!@h", 10, &r, NULL, 0),
			-1);
	assert_null(r);
	assert_int_equal(wic_pui_range_compile("sip:x!.!@h", 10, NULL, NULL, 0),
			-1);
	/* a short buffer gets a truncated, terminated message */
	char err[8];
	assert_int_equal(wic_pui_range_compile("sip:x!(!@h", 10, &r, err,
			sizeof(err)), -1);
	assert_int_equal(strlen(err), sizeof(err) - 1);
}

static void test_sip_match(void **state)
{
	(void)state;
	wic_pui_range_t *r = compile_ok("sip:demo!.*!@wwsf.lab");
	assert_true(matches(r, "sip:demo@wwsf.lab"));
	assert_true(matches(r, "sip:demo123@wwsf.lab"));
	assert_true(matches(r, "sip:demo.alice@wwsf.lab"));
	/* scheme and host case-insensitive */
	assert_true(matches(r, "SIP:demoX@WWSF.Lab"));
	/* user part case-sensitive, prefix literal */
	assert_false(matches(r, "sip:Demo1@wwsf.lab"));
	assert_false(matches(r, "sip:dem@wwsf.lab"));
	/* anchoring on the host */
	assert_false(matches(r, "sip:demoX@wwsf.lab.evil"));
	assert_false(matches(r, "sip:demoX@evil.wwsf.lab"));
	assert_false(matches(r, "sip:demoX@wwsf.la"));
	/* host injection through the user part */
	assert_false(matches(r, "sip:demo@evil.com@wwsf.lab"));
	/* prefix injection */
	assert_false(matches(r, "sip:xdemo@wwsf.lab"));
	assert_false(matches(r, "sips:demo@wwsf.lab"));
	assert_false(matches(r, "xsip:demo@wwsf.lab"));
	assert_false(matches(r, " sip:demo@wwsf.lab"));
	assert_false(matches(r, "sip:demo@wwsf.lab "));
	wic_pui_range_free(r);
}

static void test_regex_anchoring(void **state)
{
	(void)state;
	wic_pui_range_t *r = compile_ok("sip:wic!\\d{3}!@wwsf.lab");
	assert_true(matches(r, "sip:wic123@wwsf.lab"));
	assert_false(matches(r, "sip:wic1234@wwsf.lab"));
	assert_false(matches(r, "sip:wic12@wwsf.lab"));
	assert_false(matches(r, "sip:wicx123@wwsf.lab"));
	assert_false(matches(r, "sip:wic123x@wwsf.lab"));
	wic_pui_range_free(r);

	/* alternation is anchored as a whole, not only its first branch */
	r = compile_ok("sip:u!a|b!@h");
	assert_true(matches(r, "sip:ua@h"));
	assert_true(matches(r, "sip:ub@h"));
	assert_false(matches(r, "sip:uab@h"));
	assert_false(matches(r, "sip:ubx@h"));
	assert_false(matches(r, "sip:uxa@h"));
	wic_pui_range_free(r);

	/* "a)|(b" cannot escape anchoring as it would inside "^(...)$" */
	compile_fails("sip:u!a)|(b!@h", 14, "bad regular expression");
}

static void test_static_suffix_in_user_part(void **state)
{
	(void)state;
	wic_pui_range_t *r = compile_ok("sip:wic!\\d+!.web@WWSF.example.com");
	assert_true(matches(r, "sip:wic42.web@wwsf.example.com"));
	assert_true(matches(r, "sip:wic42.web@Wwsf.Example.Com"));
	assert_false(matches(r, "sip:wic42.WEB@wwsf.example.com"));
	assert_false(matches(r, "sip:wic42xweb@wwsf.example.com"));
	assert_false(matches(r, "sip:wic42@wwsf.example.com"));
	wic_pui_range_free(r);
}

static void test_tel_match(void **state)
{
	(void)state;
	wic_pui_range_t *r = compile_ok("tel:+1555123!\\d{4}!");
	assert_true(matches(r, "tel:+15551230000"));
	assert_true(matches(r, "TEL:+15551239999"));
	assert_false(matches(r, "tel:+1555123000"));
	assert_false(matches(r, "tel:+155512300000"));
	assert_false(matches(r, "tel:+1555123abcd"));
	assert_false(matches(r, "tel:+25551230000"));
	assert_false(matches(r, "sip:+15551230000"));
	assert_false(matches(r, "tel:+15551230000;x=1"));
	wic_pui_range_free(r);
}

static void test_sips_match(void **state)
{
	(void)state;
	wic_pui_range_t *r = compile_ok("sips:!alice|bob!@secure.lab");
	assert_true(matches(r, "sips:alice@secure.lab"));
	assert_true(matches(r, "SIPS:bob@SECURE.LAB"));
	assert_false(matches(r, "sip:alice@secure.lab"));
	assert_false(matches(r, "sips:Alice@secure.lab"));
	assert_false(matches(r, "sips:carol@secure.lab"));
	wic_pui_range_free(r);
}

static void test_outer_pair_rule(void **state)
{
	(void)state;
	/* the expression runs from the first to the last '!': inner '!' are
	 * part of it, never of the static parts */
	wic_pui_range_t *r = compile_ok("sip:a!x!y!@h");
	assert_true(matches(r, "sip:ax!y@h"));
	assert_false(matches(r, "sip:ax@h"));
	wic_pui_range_free(r);
}

static void test_robust_input(void **state)
{
	(void)state;
	wic_pui_range_t *r = compile_ok("sip:demo!.*!@wwsf.lab");
	assert_false(wic_pui_range_match(r, NULL, 17));
	assert_false(wic_pui_range_match(r, "sip:demo@wwsf.lab", 0));
	assert_false(wic_pui_range_match(NULL, "sip:demo@wwsf.lab", 17));
	/* embedded NUL */
	assert_false(wic_pui_range_match(r, "sip:demo\0@wwsf.lab", 18));
	assert_false(wic_pui_range_match(r, "sip:demo@wwsf.lab\0", 18));
	/* len shorter than the string: only len bytes count */
	assert_false(wic_pui_range_match(r, "sip:demo@wwsf.lab", 16));
	assert_false(wic_pui_range_match(r, "sip:demo@wwsf.lab", 3));

	/* an exact-size heap buffer: ASan catches any read past len */
	const char *s = "sip:demo42@wwsf.lab";
	size_t n = strlen(s);
	char *exact = malloc(n);
	assert_non_null(exact);
	memcpy(exact, s, n);
	assert_true(wic_pui_range_match(r, exact, n));
	for (size_t i = 0; i < n; i++)
		assert_false(wic_pui_range_match(r, exact, i));
	free(exact);

	/* the longest identity (WIC_URI_NORM_MAX - 1 bytes) matches; a
	 * longer one is no identity, and a huge one is refused without harm */
	size_t big = 1u << 20;
	char *huge = malloc(big);
	assert_non_null(huge);
	memcpy(huge, "sip:demo", 8);
	memset(huge + 8, 'a', big - 8 - 9);
	memcpy(huge + big - 9, "@wwsf.lab", 9);
	assert_false(wic_pui_range_match(r, huge, big));
	size_t longest = WIC_URI_NORM_MAX - 1;
	memcpy(huge + longest - 9, "@wwsf.lab", 9);
	assert_true(wic_pui_range_match(r, huge, longest));
	assert_false(wic_pui_range_match(r, huge, longest + 1));
	huge[longest / 2] = '@';
	assert_false(wic_pui_range_match(r, huge, longest));
	free(huge);
	wic_pui_range_free(r);

	assert_null(wic_pui_range_text(NULL));
	wic_pui_range_free(NULL);
}

static void test_catastrophic_backtracking_is_bounded(void **state)
{
	(void)state;
	wic_pui_range_t *r = compile_ok("sip:u!(a+)+b!@h");
	char impu[200];
	size_t n = 0;
	memcpy(impu, "sip:u", 5);
	n = 5;
	memset(impu + n, 'a', 60);
	n += 60;
	memcpy(impu + n, "c@h", 3);
	n += 3;
	/* must return (no match) instead of running for ages */
	assert_false(wic_pui_range_match(r, impu, n));
	wic_pui_range_free(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_is_wildcarded),
		cmocka_unit_test(test_compile_rejects),
		cmocka_unit_test(test_compile_error_without_buffer),
		cmocka_unit_test(test_sip_match),
		cmocka_unit_test(test_regex_anchoring),
		cmocka_unit_test(test_static_suffix_in_user_part),
		cmocka_unit_test(test_tel_match),
		cmocka_unit_test(test_sips_match),
		cmocka_unit_test(test_outer_pair_rule),
		cmocka_unit_test(test_robust_input),
		cmocka_unit_test(test_catastrophic_backtracking_is_bounded),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
