/*
 * SPDX-License-Identifier: GPL-2.0-or-later
 * Copyright (C) 2026 the ims_wic authors
 *
 * Unit tests of wic_uri.c: the one normal form of an identity, and that
 * the binding table and the range match use it.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "fake_shm.h"
#include "wic_bind.h"
#include "wic_pui.h"
#include "wic_uri.h"

/* in normalises to want (NULL: refused). */
static void norm_is(const char *in, const char *want)
{
	char out[WIC_URI_NORM_MAX];
	int n = wic_uri_normalize(in, strlen(in), out, sizeof(out));

	if(want == NULL) {
		if(n >= 0)
			print_error("'%s' normalised to '%s', refusal expected\n", in,
					out);
		assert_int_equal(n, -1);
		assert_string_equal(out, "");
		return;
	}
	if(n < 0 || strcmp(out, want) != 0)
		print_error("'%s' -> '%s' (%d), want '%s'\n", in, n < 0 ? "" : out, n,
				want);
	assert_int_equal(n, (int)strlen(want));
	assert_string_equal(out, want);
	/* idempotent: the normal form is its own normal form */
	char again[WIC_URI_NORM_MAX];
	assert_int_equal(wic_uri_normalize(out, (size_t)n, again, sizeof(again)),
			n);
	assert_string_equal(again, out);
}

static void test_sip_scheme_and_host(void **state)
{
	(void)state;
	norm_is("sip:demogina@WWSF.LAB", "sip:demogina@wwsf.lab");
	norm_is("SIP:demogina@wwsf.lab", "sip:demogina@wwsf.lab");
	norm_is("SiPs:Alice@Example.COM", "sips:Alice@example.com");
	norm_is("sip:alice@h:5060", "sip:alice@h:5060");
	norm_is("sip:alice@h:05060", "sip:alice@h:5060");
	norm_is("sip:alice@[2001:DB8::1]:5061", "sip:alice@[2001:db8::1]:5061");
	norm_is("sip:192.0.2.1", "sip:192.0.2.1");
	norm_is("sip:EXAMPLE.com", "sip:example.com");
}

static void test_sip_user_part(void **state)
{
	(void)state;
	/* RFC 3261 19.1.4: user parts are case-sensitive */
	norm_is("sip:Alice@h", "sip:Alice@h");
	/* escapes of unreserved characters are the characters */
	norm_is("sip:%61lice@h", "sip:alice@h");
	norm_is("sip:%41lice@h", "sip:Alice@h");
	norm_is("sip:a%2Db%7e%2a@h", "sip:a-b~*@h");
	/* reserved and other escapes stay escaped, hex upper-case */
	norm_is("sip:a%3bb@h", "sip:a%3Bb@h");
	norm_is("sip:a%40b@h", "sip:a%40b@h");
	norm_is("sip:a%20b@h", "sip:a%20b@h");
	norm_is("sip:%c3%a9@h", "sip:%C3%A9@h");
	norm_is("sip:%00@h", "sip:%00@h");
	/* user-unreserved and a password stay as written */
	norm_is("sip:+1-555;phone-context=x&y=z?/$,@h",
			"sip:+1-555;phone-context=x&y=z?/$,@h");
	norm_is("sip:alice:secret@h", "sip:alice:secret@h");
}

static void test_sip_refused(void **state)
{
	(void)state;
	norm_is("sip:@h", NULL);		 /* empty user */
	norm_is("sip:alice@", NULL);	 /* no host */
	norm_is("sip:", NULL);
	norm_is("sip:a@b@h", NULL);		 /* '@' in the host */
	norm_is("sip:a b@h", NULL);		 /* raw space */
	norm_is("sip:\xc3\xa9@h", NULL); /* raw non-ASCII */
	norm_is("sip:a<b@h", NULL);
	norm_is("sip:a%4@h", NULL); /* broken escapes */
	norm_is("sip:a%@h", NULL);
	norm_is("sip:a%zz@h", NULL);
	norm_is("sip:a@h%41", NULL);
	norm_is("sip:a@h;transport=ws", NULL); /* bare identities only */
	norm_is("sip:a@h?x=y", NULL);
	norm_is("sip:a@h:", NULL);
	norm_is("sip:a@h:65536", NULL);
	norm_is("sip:a@h:5x", NULL);
	norm_is("sip:a@[::1", NULL);
	norm_is("sip:a@[]", NULL);
	norm_is("sip:a@[::g]", NULL);
	norm_is("http://h", NULL);
	norm_is("tels:+1", NULL);
	norm_is("urn:uuid:1", NULL);
	norm_is("", NULL);
	char out[WIC_URI_NORM_MAX];
	assert_int_equal(wic_uri_normalize("sip:a\0b@h", 9, out, sizeof(out)), -1);
	assert_int_equal(wic_uri_normalize(NULL, 3, out, sizeof(out)), -1);
	assert_int_equal(wic_uri_normalize("sip:a@h", 7, NULL, 8), -1);
	assert_int_equal(wic_uri_normalize("sip:a@h", 7, out, 0), -1);
}

static void test_tel(void **state)
{
	(void)state;
	/* RFC 3966: visual separators are not part of the number */
	norm_is("tel:+1-555-123-4567", "tel:+15551234567");
	norm_is("tel:+1.555.(123).4567", "tel:+15551234567");
	norm_is("TEL:+15551234567", "tel:+15551234567");
	/* parameters: case-insensitive, in any order */
	norm_is("tel:+1555;EXT=12;Foo=Bar", "tel:+1555;ext=12;foo=bar");
	norm_is("tel:+1555;foo=bar;ext=12", "tel:+1555;ext=12;foo=bar");
	norm_is("tel:+1555;isub=%41b", "tel:+1555;isub=ab");
	norm_is("tel:+1555;x=%2f", "tel:+1555;x=%2F");
	/* local numbers: hex digits, '*', escaped '#', need a context */
	norm_is("tel:7AB*%23;phone-context=Example.COM",
			"tel:7ab*%23;phone-context=example.com");
	norm_is("tel:7-0-42;phone-context=+1-555", "tel:7042;phone-context=+1-555");
	norm_is("tel:7042", NULL);
	norm_is("tel:+", NULL);
	norm_is("tel:+--", NULL);
	norm_is("tel:", NULL);
	norm_is("tel:+1a", NULL);
	norm_is("tel:+1555;", NULL);
	norm_is("tel:+1555;ext=1;EXT=2", NULL); /* a name twice */
	norm_is("tel:+1555;=x", NULL);
	norm_is("tel:+1555;x=", NULL);
	norm_is("tel:+1555;x y=1", NULL);
	norm_is("tel:+1555;a;b;c;d;e;f;g;h;i;j;k;l;m;n;o;p", "tel:+1555;a;b;c;d;e;f;g;h;i;j;k;l;m;n;o;p");
	norm_is("tel:+1555;a;b;c;d;e;f;g;h;i;j;k;l;m;n;o;p;q", NULL);
}

static void test_buffer_bounds(void **state)
{
	char out[16];
	char buf[32] = "sip:A@WWSF.LAB";
	(void)state;
	/* fits exactly: 14 bytes and the NUL */
	assert_int_equal(wic_uri_normalize("sip:A@WWSF.LAB", 14, out, 15), 14);
	assert_string_equal(out, "sip:A@wwsf.lab");
	assert_int_equal(wic_uri_normalize("sip:A@WWSF.LAB", 14, out, 14), -1);
	assert_int_equal(wic_uri_normalize_inplace(buf, sizeof(buf)), 0);
	assert_string_equal(buf, "sip:A@wwsf.lab");
	memcpy(buf, "sip:a b@h", 10);
	assert_int_equal(wic_uri_normalize_inplace(buf, sizeof(buf)), -1);
	assert_string_equal(buf, "sip:a b@h");
	memset(buf, 'a', sizeof(buf)); /* no NUL inside the buffer */
	assert_int_equal(wic_uri_normalize_inplace(buf, sizeof(buf)), -1);
	/* an identity of 600 bytes never fits the normal-form buffers */
	char *big = malloc(600);
	assert_non_null(big);
	memcpy(big, "sip:", 4);
	memset(big + 4, 'a', 600 - 4 - 2);
	memcpy(big + 598, "@h", 2);
	char norm[WIC_URI_NORM_MAX];
	assert_int_equal(wic_uri_normalize(big, 600, norm, sizeof(norm)), -1);
	free(big);
}

static void test_fragments(void **state)
{
	char out[64];
	(void)state;
	assert_int_equal(wic_uri_normalize_user("dem%6F", 6, 0, out, sizeof(out)),
			4);
	assert_string_equal(out, "demo");
	assert_int_equal(wic_uri_normalize_user("", 0, 0, out, sizeof(out)), 0);
	assert_int_equal(
			wic_uri_normalize_user("+1-555-(123)", 12, 1, out, sizeof(out)), 8);
	assert_string_equal(out, "+1555123");
	assert_int_equal(wic_uri_normalize_user("a%4", 3, 0, out, sizeof(out)), -1);
	assert_int_equal(wic_uri_normalize_user("a b", 3, 1, out, sizeof(out)), -1);
}

/* ---- the users of the normal form ----------------------------------- */

static wic_contact_t contact(const char *uri, int conn)
{
	wic_contact_t c = {.uri = uri,
			.instance = "",
			.conn_id = conn,
			.socket = "tls:127.0.0.1:8443",
			.received = "sip:192.0.2.7:50123;transport=ws",
			.user_agent = "",
			.call_id = "c1",
			.cseq = 1,
			.expires = 2000000000,
			.token_exp = 2000000000,
			.wwsf = "demo"};
	return c;
}

static void test_binding_keys(void **state)
{
	fake_shm_reset();
	wic_btable_t *t = wic_btable_create(
			16, 5, &mem_ops, &lock_ops, NULL, NULL);
	wic_contact_t c = contact("sip:w1@x.invalid;transport=ws", 3);
	(void)state;
	assert_non_null(t);
	/* registered with an upper-case host, found by the lower-case form */
	assert_int_equal(wic_btable_save(t, "sip:demogina@WWSF.LAB", &c),
			WIC_SAVE_CREATED);
	assert_int_equal(wic_btable_lookup(t, "sip:demogina@wwsf.lab", 1, NULL,
							 NULL),
			1);
	assert_int_equal(
			wic_btable_lookup(t, "sip:%64emogina@Wwsf.Lab", 1, NULL, NULL), 1);
	/* the user part stays case-sensitive */
	assert_int_equal(
			wic_btable_lookup(t, "sip:DemoGina@wwsf.lab", 1, NULL, NULL), 0);
	assert_true(wic_btable_conn_has_impu(t, 3, "SIP:demogina@wwsf.LAB"));
	/* a refresh under another spelling is the same contact */
	c.cseq = 2;
	assert_int_equal(wic_btable_save(t, "sip:demogina@wwsf.lab", &c),
			WIC_SAVE_REFRESHED);
	assert_int_equal(wic_btable_impus(t), 1);
	char def[WIC_URI_NORM_MAX];
	assert_int_equal(wic_btable_conn_default_impu(t, 3, def, sizeof(def)), 0);
	assert_string_equal(def, "sip:demogina@wwsf.lab");
	/* tel: separators */
	assert_int_equal(wic_btable_save(t, "tel:+1-555-123-4567", &c),
			WIC_SAVE_CREATED);
	assert_int_equal(
			wic_btable_lookup(t, "tel:+15551234567", 1, NULL, NULL), 1);
	/* no identity: never stored, never found */
	assert_int_equal(
			wic_btable_save(t, "sip:a b@h", &c), WIC_SAVE_NOMEM);
	assert_int_equal(wic_btable_lookup(t, "sip:a b@h", 1, NULL, NULL), 0);
	assert_int_equal(wic_btable_remove_all(t, "nonsense"), 0);
	assert_int_equal(wic_btable_remove_all(t, "sip:demogina@Wwsf.lab"), 1);
	c.cseq = 3;
	assert_int_equal(wic_btable_remove(t, "TEL:+1(555)1234567", &c), 1);
	assert_int_equal(wic_btable_contacts(t), 0);
	wic_btable_destroy(t);
}

static void test_range_match(void **state)
{
	wic_pui_range_t *r = NULL;
	char err[128];
	(void)state;
	assert_int_equal(wic_pui_range_compile("sip:Demo!.*!@WWSF.lab", 21, &r, err,
							 sizeof(err)),
			0);
	assert_true(wic_pui_range_match(r, "sip:Demogina@wwsf.lab", 21));
	assert_true(wic_pui_range_match(r, "SIP:Demogina@WWSF.LAB", 21));
	assert_true(wic_pui_range_match(r, "sip:%44emogina@wwsf.lab", 23));
	assert_false(wic_pui_range_match(r, "sip:demogina@wwsf.lab", 21));
	/* the expression sees the normal form: an escaped '@' stays "%40" */
	assert_true(wic_pui_range_match(r, "sip:Demo%40x@wwsf.lab", 21));
	wic_pui_range_free(r);

	assert_int_equal(wic_pui_range_compile("tel:+1-555-123!\\d{4}!", 21, &r,
							 err, sizeof(err)),
			0);
	assert_true(wic_pui_range_match(r, "tel:+15551234567", 16));
	assert_true(wic_pui_range_match(r, "tel:+1-555-123-4567", 19));
	assert_true(wic_pui_range_match(r, "tel:+1 (555)", 0) == false);
	assert_false(wic_pui_range_match(r, "tel:+1555123456", 15));
	wic_pui_range_free(r);

	/* a static part that is no URI is refused at compile time */
	assert_int_equal(wic_pui_range_compile("sip:a%4!.*!@h", 13, &r, err,
							 sizeof(err)),
			-1);
	assert_non_null(strstr(err, "static parts"));
	assert_int_equal(wic_pui_range_compile("sip:a!.*!@h h", 13, &r, err,
							 sizeof(err)),
			-1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
			cmocka_unit_test(test_sip_scheme_and_host),
			cmocka_unit_test(test_sip_user_part),
			cmocka_unit_test(test_sip_refused),
			cmocka_unit_test(test_tel),
			cmocka_unit_test(test_buffer_bounds),
			cmocka_unit_test(test_fragments),
			cmocka_unit_test(test_binding_keys),
			cmocka_unit_test(test_range_match),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
