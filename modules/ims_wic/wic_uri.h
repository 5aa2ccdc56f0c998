/*
 * SPDX-License-Identifier: GPL-2.0-or-later
 * Copyright (C) 2026 the ims_wic authors
 *
 * ims_wic - the one normal form of an identity (IMPU). Every place that
 * stores, looks up or compares an IMPU (binding table, token claims, range
 * match, terminating lookup, P-Preferred-Identity, RPC) goes through
 * wic_uri_normalize(), so that two spellings of one identity are one key.
 */
#ifndef WIC_URI_H
#define WIC_URI_H

#include <stddef.h>

/* Longest identity, normal form included (the registrar's URI buffers). */
#define WIC_URI_NORM_MAX 512

/* Writes the normal form of a bare identity (no URI parameters for sip:
 * and sips:, no headers) into out, NUL-terminated; returns its length, or
 * -1 when in is not such a URI or out (outlen bytes) is too small. The
 * normal form is never longer than in.
 *
 *   sip:, sips:  scheme and host lower-case; port as a decimal number;
 *                userinfo case-sensitive (RFC 3261 19.1.4), each escape of
 *                an unreserved character decoded ("%61" -> "a"), every
 *                other escape kept with upper-case hex ("%3b" -> "%3B");
 *                a raw byte the userinfo grammar does not allow refuses
 *                the URI.
 *   tel:         RFC 3966: visual separators ("-", ".", "(", ")") removed
 *                from the number; a local number needs phone-context;
 *                the whole URI case-insensitive, so lower-case, with the
 *                escapes as above; parameters sorted by name, each at
 *                most once.
 *   other schemes are refused. */
int wic_uri_normalize(const char *in, size_t len, char *out, size_t outlen);

/* The same in place of a NUL-terminated buffer of size bytes (the normal
 * form never grows). 0, or -1 (buf unchanged) when it is no identity. */
int wic_uri_normalize_inplace(char *buf, size_t size);

/* Normal form of a fragment of a wildcarded range's static part (the
 * regular expression sits between the fragments): tel = 0 normalises a
 * sip userinfo fragment (escapes only), tel = 1 a tel number fragment
 * (separators removed, lower-case). Returns the length or -1. */
int wic_uri_normalize_user(
		const char *in, size_t len, int tel, char *out, size_t outlen);

#endif
