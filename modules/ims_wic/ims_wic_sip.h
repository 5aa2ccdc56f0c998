/*
 * SPDX-License-Identifier: GPL-2.0-or-later
 * Copyright (C) 2026 the ims_wic authors
 *
 * ims_wic - small SIP message helpers shared by the glue files.
 */
#ifndef IMS_WIC_SIP_H
#define IMS_WIC_SIP_H

#include <stddef.h>
#include "../../core/parser/msg_parser.h"

/* True when hf is named name (case-insensitive). */
int wic_header_is(struct hdr_field *hf, const char *name);

/* First header named name (case-insensitive), NULL when absent. */
struct hdr_field *wic_find_header(struct sip_msg *msg, const char *name);

/* The WIC's connection id: requests over WS and xhttp both carry it here. */
static inline int wic_connection_id(struct sip_msg *msg)
{
	return msg->rcv.proto_reserved1;
}

static inline int wic_over_websocket(struct sip_msg *msg)
{
	return msg->rcv.proto == PROTO_WS || msg->rcv.proto == PROTO_WSS;
}

/* "scheme:user@host" (port kept, parameters and headers dropped) into buf,
 * NUL-terminated, in the normal form of wic_uri_normalize(). 0, or -1 when
 * the URI does not parse, is no identity or does not fit. */
int wic_bare_uri(str *uri, char *buf, size_t len);

/* A growing pkg buffer for header blocks we add to replies and requests. */
typedef struct wic_buf
{
	char *s;
	int len;
	int size;
	int failed;
} wic_buf_t;
void wic_buf_add(wic_buf_t *b, const char *s, int len);
void wic_buf_addz(wic_buf_t *b, const char *s);
void wic_buf_printf(wic_buf_t *b, const char *fmt, ...)
		__attribute__((format(printf, 2, 3)));
void wic_buf_free(wic_buf_t *b);

/* Remove every header named name (case-insensitive) from the request being
 * relayed: the count removed, or -1 when the message does not parse. */
int wic_remove_headers(struct sip_msg *msg, const char *name);

/* Insert the complete header line(s) of line ("Name: value\r\n") at the top
 * of the request's headers. 0, or -1 on a memory or lump error. */
int wic_insert_header(struct sip_msg *msg, wic_buf_t *line);

/* Add the buffer as header lines to the reply we are about to send. */
int wic_add_reply_headers(struct sip_msg *msg, wic_buf_t *b);

#endif
