/*
 * SPDX-License-Identifier: GPL-2.0-or-later
 * Copyright (C) 2026 the ims_wic authors
 *
 * wic-load - load generator for the ims_wic eP-CSCF (and the stock
 * registrar configuration it is compared with), for bench/run.sh.
 *
 * One thread, one epoll loop. WebSocket (RFC 6455 client, masked frames,
 * Origin, Sec-WebSocket-Protocol: sip) over TCP or TLS (OpenSSL,
 * non-blocking, no certificate verification), SIP over WebSocket (RFC
 * 7118). Connections are spread over several loopback source addresses
 * (127.0.0.1 .. 127.0.0.K, bind() before connect()) so that the number of
 * connections is not bounded by the ephemeral ports of one address.
 *
 * Every identity gets its own token, minted in memory before the clock
 * starts (ES256/RS256/PS256 from the PEM private key given, claims
 * iss/aud/iat/exp/impu as tests/lib/env.js mint()).
 *
 * Modes (--mode):
 *   connect-register  new connection + (TLS) + WS handshake + REGISTER,
 *                     --concurrency in flight, each closed after its 200;
 *                     measures completed registrations per second.
 *   refresh           --conns connections registered first (untimed), then
 *                     each re-REGISTERs with the same token (token cache
 *                     path) back to back for --duration.
 *   hold              registers --conns x --impus-per-conn bindings,
 *                     prints {"event":"ready",...} and keeps them until
 *                     stdin closes, SIGTERM/SIGINT or --hold-secs.
 *   answer            like hold, and answers INVITEs (--answer-code,
 *                     200 by default; ACK absorbed, BYE/OPTIONS get 200).
 *   invite            UDP from 127.0.0.1 (as the IMS Core): INVITEs to
 *                     --target for --count identities starting at
 *                     --offset, --window transactions in flight, for
 *                     --duration; ACKs every final response; counts final
 *                     responses per code.
 * Results: one JSON object on stdout (hold/answer: a "ready" line first).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>

#include "wic_jws_sign.h"

#ifndef IP_BIND_ADDRESS_NO_PORT
#define IP_BIND_ADDRESS_NO_PORT 24
#endif

/* ------------------------------------------------------------------ */
/* options                                                             */
/* ------------------------------------------------------------------ */

enum mode { M_CONNREG, M_REFRESH, M_HOLD, M_ANSWER, M_INVITE };

static struct {
	enum mode mode;
	const char *host;
	int port;
	bool tls;
	unsigned conns, concurrency, src_ips, impus_per_conn, count, window;
	unsigned long tokens, offset;
	double duration, timeout, hold_secs;
	const char *key_file, *kid, *iss, *aud, *impu_fmt, *origin, *path;
	const char *label, *domain;
	unsigned alg;
	int expires, answer_code;
	unsigned milestones[8];
	unsigned n_milestones;
} opt = {
	.mode = M_CONNREG, .host = "127.0.0.1", .port = 8443, .conns = 1000,
	.concurrency = 64, .src_ips = 8, .impus_per_conn = 1, .count = 1000,
	.window = 64, .tokens = 10000, .duration = 10, .timeout = 10,
	.hold_secs = 600, .kid = "bench-es", .iss = "http://127.0.0.1:8000",
	.aud = "epcscf.lab", .impu_fmt = "sip:demo%lu@wwsf.lab",
	.origin = "http://127.0.0.1:8000", .path = "/", .label = "",
	.domain = "wwsf.lab", .alg = WIC_ALG_ES256, .expires = 3600,
	.answer_code = 200,
};

static void usage(void)
{
	fputs("usage: wic-load --mode connect-register|refresh|hold|answer|invite\n"
		"  [--target HOST:PORT] [--tls] [--conns N] [--concurrency N]\n"
		"  [--src-ips K] [--impus-per-conn K] [--tokens N] [--offset N]\n"
		"  [--duration S] [--timeout S] [--hold-secs S] [--key PRIV.pem]\n"
		"  [--alg ES256|RS256|PS256] [--kid K] [--iss I] [--aud A]\n"
		"  [--impu-fmt 'sip:demo%lu@wwsf.lab'] [--origin O] [--expires S]\n"
		"  [--answer-code C] [--count N] [--window N] [--milestones a,b,c]\n"
		"  [--label TEXT]\n", stderr);
	exit(2);
}

/* ------------------------------------------------------------------ */
/* time, stats                                                         */
/* ------------------------------------------------------------------ */

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

typedef struct {
	double *v;
	size_t n, cap;
} samples_t;

static void sample_add(samples_t *s, double x)
{
	if (s->n == s->cap) {
		s->cap = s->cap ? s->cap * 2 : 4096;
		s->v = realloc(s->v, s->cap * sizeof(double));
		if (!s->v) {
			perror("realloc");
			exit(1);
		}
	}
	s->v[s->n++] = x;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static double pct(samples_t *s, double p)
{
	size_t i;
	if (s->n == 0)
		return 0;
	i = (size_t)(p * (double)(s->n - 1) + 0.5);
	return s->v[i];
}

static struct {
	unsigned long connect, tls, ws, sip_fail, timeout, closed, proto, send;
	unsigned long codes[700];
	unsigned long invites_rx, acks_rx, byes_rx;
} err;

static unsigned run_nonce;
static volatile sig_atomic_t stop_flag;
static void on_signal(int s)
{
	(void)s;
	stop_flag = 1;
}

/* ------------------------------------------------------------------ */
/* tokens                                                              */
/* ------------------------------------------------------------------ */

static char **tokens;
static unsigned long n_tokens;

static void impu_of(unsigned long idx, char *buf, size_t len)
{
	snprintf(buf, len, opt.impu_fmt, idx);
}

static void mint_tokens(unsigned long n)
{
	FILE *f;
	EVP_PKEY *k;
	char hdr[256], claims[1024], impu[256];
	long now = (long)time(NULL);
	unsigned long i;

	if (!opt.key_file) {
		fprintf(stderr, "wic-load: --key is required\n");
		exit(2);
	}
	f = fopen(opt.key_file, "r");
	if (!f) {
		perror(opt.key_file);
		exit(2);
	}
	k = PEM_read_PrivateKey(f, NULL, NULL, NULL);
	fclose(f);
	if (!k) {
		fprintf(stderr, "wic-load: cannot read private key %s\n", opt.key_file);
		exit(2);
	}
	tokens = calloc(n, sizeof(char *));
	snprintf(hdr, sizeof(hdr), "{\"alg\":\"%s\",\"typ\":\"JWT\",\"kid\":\"%s\"}",
			opt.alg == WIC_ALG_RS256 ? "RS256"
			: opt.alg == WIC_ALG_PS256 ? "PS256" : "ES256", opt.kid);
	for (i = 0; i < n; i++) {
		impu_of(opt.offset + i, impu, sizeof(impu));
		snprintf(claims, sizeof(claims),
				"{\"iss\":\"%s\",\"aud\":\"%s\",\"iat\":%ld,\"exp\":%ld,"
				"\"impu\":[\"%s\"]}", opt.iss, opt.aud, now, now + 7200, impu);
		tokens[i] = wic_jws_sign(hdr, claims, opt.alg, k, NULL, 0);
		if (!tokens[i]) {
			fprintf(stderr, "wic-load: signing failed (key type vs --alg?)\n");
			exit(2);
		}
	}
	n_tokens = n;
	EVP_PKEY_free(k);
}

/* ------------------------------------------------------------------ */
/* connections                                                         */
/* ------------------------------------------------------------------ */

enum cstate { C_FREE, C_CONNECTING, C_TLS, C_WSHS, C_REG, C_IDLE };

typedef struct conn {
	int fd;
	enum cstate st;
	SSL *ssl;
	bool want_out;       /* EPOLLOUT currently registered */
	char *rbuf;
	size_t rlen, rcap;
	char *obuf;
	size_t olen, ooff, ocap;
	unsigned long tok;    /* token index of the identity being registered */
	unsigned impus_done;  /* identities registered on this connection */
	unsigned cseq;
	unsigned id;
	double t0;            /* start of the measured operation */
	double deadline;
	bool measure;
	double first_reg;     /* when the setup registration completed */
} conn_t;

static int ep;
static SSL_CTX *ssl_ctx;
static conn_t *conns;
static unsigned n_conns;
static samples_t lat;         /* seconds */
static unsigned long completed, next_token, live, registered_bindings;
static double t_start, t_end_phase;
static bool timed_phase;
static samples_t reg_times;   /* completion times of setup registrations */

static void die(const char *m)
{
	perror(m);
	exit(1);
}

static void ep_set(conn_t *c, bool out)
{
	struct epoll_event ev = {.events = EPOLLIN | (out ? EPOLLOUT : 0),
		.data.ptr = c};
	if (c->want_out == out)
		return;
	c->want_out = out;
	epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev);
}

static void out_reserve(conn_t *c, size_t more)
{
	if (c->olen + more <= c->ocap)
		return;
	if (c->ooff > 0) {
		memmove(c->obuf, c->obuf + c->ooff, c->olen - c->ooff);
		c->olen -= c->ooff;
		c->ooff = 0;
		if (c->olen + more <= c->ocap)
			return;
	}
	c->ocap = (c->olen + more) * 2;
	c->obuf = realloc(c->obuf, c->ocap);
	if (!c->obuf)
		die("realloc");
}

static unsigned long n_idle;

static void set_state(conn_t *c, enum cstate st)
{
	if (c->st == C_IDLE)
		n_idle--;
	if (st == C_IDLE)
		n_idle++;
	c->st = st;
}

static void conn_close(conn_t *c)
{
	if (c->st == C_FREE)
		return;
	if (c->ssl) {
		SSL_free(c->ssl);
		c->ssl = NULL;
	}
	close(c->fd);
	c->fd = -1;
	set_state(c, C_FREE);
	c->rlen = c->olen = c->ooff = 0;
	c->want_out = false;
	/* buffers are released: a held connection costs little client RAM */
	free(c->rbuf);
	free(c->obuf);
	c->rbuf = c->obuf = NULL;
	c->rcap = c->ocap = 0;
	live--;
}

static void conn_fail(conn_t *c, unsigned long *counter)
{
	(*counter)++;
	if (c->st == C_IDLE && registered_bindings >= c->impus_done)
		registered_bindings -= c->impus_done;
	conn_close(c);
}

/* Writes what is pending; false when the connection failed. */
static bool conn_flush(conn_t *c)
{
	while (c->ooff < c->olen) {
		ssize_t n;
		if (c->ssl) {
			int r = SSL_write(c->ssl, c->obuf + c->ooff, (int)(c->olen - c->ooff));
			if (r <= 0) {
				int e = SSL_get_error(c->ssl, r);
				if (e == SSL_ERROR_WANT_WRITE || e == SSL_ERROR_WANT_READ) {
					ep_set(c, true);
					return true;
				}
				conn_fail(c, &err.send);
				return false;
			}
			n = r;
		} else {
			n = send(c->fd, c->obuf + c->ooff, c->olen - c->ooff, MSG_NOSIGNAL);
			if (n < 0) {
				if (errno == EAGAIN) {
					ep_set(c, true);
					return true;
				}
				conn_fail(c, &err.send);
				return false;
			}
		}
		c->ooff += (size_t)n;
	}
	c->ooff = c->olen = 0;
	ep_set(c, false);
	return true;
}

/* Queues one masked WebSocket text frame. */
static void ws_queue(conn_t *c, const char *p, size_t len, int opcode)
{
	unsigned char h[14];
	size_t hl = 0, i;
	uint32_t mask = (uint32_t)random();
	unsigned char m[4];
	char *dst;

	h[hl++] = (unsigned char)(0x80 | opcode);
	if (len < 126) {
		h[hl++] = (unsigned char)(0x80 | len);
	} else if (len < 65536) {
		h[hl++] = 0x80 | 126;
		h[hl++] = (unsigned char)(len >> 8);
		h[hl++] = (unsigned char)len;
	} else {
		h[hl++] = 0x80 | 127;
		for (i = 0; i < 8; i++)
			h[hl++] = (unsigned char)((uint64_t)len >> (56 - 8 * i));
	}
	memcpy(m, &mask, 4);
	memcpy(h + hl, m, 4);
	hl += 4;
	out_reserve(c, hl + len);
	dst = c->obuf + c->olen;
	memcpy(dst, h, hl);
	for (i = 0; i < len; i++)
		dst[hl + i] = (char)(p[i] ^ m[i & 3]);
	c->olen += hl + len;
}

static void send_register(conn_t *c)
{
	char impu[256], msg[8192];
	unsigned long idx = opt.offset + c->tok;
	int n;

	impu_of(idx, impu, sizeof(impu));
	c->cseq++;
	n = snprintf(msg, sizeof(msg),
			"REGISTER sip:%s SIP/2.0\r\n"
			"Via: SIP/2.0/%s c%u.invalid;branch=z9hG4bK%lx%x%x\r\n"
			"Max-Forwards: 70\r\n"
			"To: <%s>\r\n"
			"From: <%s>;tag=t%lu\r\n"
			"Call-ID: reg%lu-%u-%x@wic-load\r\n"
			"CSeq: %u REGISTER\r\n"
			"Authorization: Bearer %s\r\n"
			"Contact: <sip:u%lu@c%u.invalid;transport=ws>;"
			"+sip.instance=\"<urn:uuid:00000000-0000-4000-8000-%012lx>\";"
			"reg-id=1;expires=%d\r\n"
			"Expires: %d\r\n"
			"Supported: path, outbound, gruu\r\n"
			"User-Agent: wic-load\r\n"
			"Content-Length: 0\r\n\r\n",
			opt.domain, opt.tls ? "WSS" : "WS", c->id, idx, c->cseq,
			(unsigned)random(), impu, impu, idx, idx, c->id, run_nonce, c->cseq,
			tokens[c->tok], idx, c->id, idx, opt.expires, opt.expires);
	if (n <= 0 || (size_t)n >= sizeof(msg)) {
		fprintf(stderr, "wic-load: REGISTER too long\n");
		exit(1);
	}
	ws_queue(c, msg, (size_t)n, 1);
	set_state(c, C_REG);
	c->deadline = now_s() + opt.timeout;
	conn_flush(c);
}

static void send_ws_handshake(conn_t *c)
{
	unsigned char key[16];
	char b64[32], req[1024];
	int n;

	RAND_bytes(key, sizeof(key));
	EVP_EncodeBlock((unsigned char *)b64, key, sizeof(key));
	n = snprintf(req, sizeof(req),
			"GET %s HTTP/1.1\r\n"
			"Host: %s:%d\r\n"
			"Upgrade: websocket\r\n"
			"Connection: Upgrade\r\n"
			"Sec-WebSocket-Key: %s\r\n"
			"Sec-WebSocket-Version: 13\r\n"
			"Sec-WebSocket-Protocol: sip\r\n"
			"Origin: %s\r\n\r\n",
			opt.path, opt.host, opt.port, b64, opt.origin);
	out_reserve(c, (size_t)n);
	memcpy(c->obuf + c->olen, req, (size_t)n);
	c->olen += (size_t)n;
	c->st = C_WSHS;
	conn_flush(c);
}

static void tls_step(conn_t *c)
{
	int r = SSL_connect(c->ssl);
	if (r == 1) {
		send_ws_handshake(c);
		return;
	}
	switch (SSL_get_error(c->ssl, r)) {
	case SSL_ERROR_WANT_READ:
		ep_set(c, false);
		break;
	case SSL_ERROR_WANT_WRITE:
		ep_set(c, true);
		break;
	default:
		conn_fail(c, &err.tls);
	}
}

static conn_t *conn_slot(void)
{
	unsigned i;
	static unsigned hint;
	for (i = 0; i < n_conns; i++) {
		unsigned j = (hint + i) % n_conns;
		if (conns[j].st == C_FREE) {
			hint = j + 1;
			return &conns[j];
		}
	}
	return NULL;
}

/* Opens a connection that will register token index tok. */
static bool conn_open(conn_t *c, unsigned long tok, bool measure)
{
	struct sockaddr_in src = {.sin_family = AF_INET}, dst = {.sin_family = AF_INET};
	struct epoll_event ev;
	int one = 1, fd;

	fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		err.connect++;
		return false;
	}
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	setsockopt(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof(one));
	src.sin_addr.s_addr = htonl(0x7f000001u + (c->id % opt.src_ips));
	if (bind(fd, (struct sockaddr *)&src, sizeof(src)) < 0) {
		close(fd);
		err.connect++;
		return false;
	}
	dst.sin_port = htons((uint16_t)opt.port);
	inet_pton(AF_INET, opt.host, &dst.sin_addr);
	c->fd = fd;
	c->st = C_CONNECTING;
	c->tok = tok;
	c->impus_done = 0;
	c->cseq = 0;
	c->measure = measure;
	c->t0 = now_s();
	c->deadline = c->t0 + opt.timeout;
	c->want_out = true;
	live++;
	ev.events = EPOLLIN | EPOLLOUT;
	ev.data.ptr = c;
	if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) < 0)
		die("epoll_ctl");
	if (connect(fd, (struct sockaddr *)&dst, sizeof(dst)) < 0
			&& errno != EINPROGRESS) {
		conn_fail(c, &err.connect);
		return false;
	}
	return true;
}

static void connected(conn_t *c)
{
	int e = 0;
	socklen_t l = sizeof(e);
	getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &e, &l);
	if (e) {
		conn_fail(c, &err.connect);
		return;
	}
	if (opt.tls) {
		c->ssl = SSL_new(ssl_ctx);
		SSL_set_fd(c->ssl, c->fd);
		SSL_set_tlsext_host_name(c->ssl, "epcscf.lab");
		c->st = C_TLS;
		tls_step(c);
	} else {
		send_ws_handshake(c);
	}
}

/* ---- SIP over WS (client side) ---- */

/* Value of the first header name (case-insensitive, compact form alt)
 * in msg; NULL when absent. *vlen gets the length. */
static const char *sip_hdr(const char *msg, size_t len, const char *name,
		const char *alt, size_t *vlen)
{
	const char *p = msg, *end = msg + len;
	size_t nl = strlen(name), al = alt ? strlen(alt) : 0;

	while (p < end) {
		const char *eol = memmem(p, (size_t)(end - p), "\r\n", 2);
		if (!eol || eol == p)
			return NULL;
		if (((size_t)(eol - p) > nl && strncasecmp(p, name, nl) == 0
					&& (p[nl] == ':' || p[nl] == ' '))
				|| (alt && (size_t)(eol - p) > al && strncasecmp(p, alt, al) == 0
					&& (p[al] == ':' || p[al] == ' '))) {
			const char *v = memchr(p, ':', (size_t)(eol - p));
			if (v) {
				v++;
				while (v < eol && *v == ' ')
					v++;
				*vlen = (size_t)(eol - v);
				return v;
			}
		}
		p = eol + 2;
	}
	return NULL;
}

static void registered_one(conn_t *c);

/* A request to the WIC (answer/hold modes): INVITE, ACK, BYE, OPTIONS. */
static void wic_request(conn_t *c, const char *m, size_t len)
{
	char out[8192];
	size_t o = 0, vl;
	const char *p = m, *end = m + len;
	int code = 200;
	bool is_invite = len > 7 && memcmp(m, "INVITE ", 7) == 0;

	if (len > 4 && memcmp(m, "ACK ", 4) == 0) {
		err.acks_rx++;
		return;
	}
	if (is_invite) {
		err.invites_rx++;
		code = opt.mode == M_ANSWER ? opt.answer_code : 486;
	} else if (len > 4 && memcmp(m, "BYE ", 4) == 0) {
		err.byes_rx++;
	}
	o += (size_t)snprintf(out, sizeof(out), "SIP/2.0 %d %s\r\n", code,
			code == 200 ? "OK" : code == 486 ? "Busy Here" : "Answer");
	/* copy Via, Record-Route (2xx), From, To (+tag), Call-ID, CSeq */
	p = memmem(m, len, "\r\n", 2);
	if (!p)
		return;
	p += 2;
	while (p < end) {
		const char *eol = memmem(p, (size_t)(end - p), "\r\n", 2);
		size_t l;
		if (!eol || eol == p)
			break;
		l = (size_t)(eol - p);
		if (o + l + 64 >= sizeof(out))
			return;
		if (strncasecmp(p, "Via:", 4) == 0 || strncasecmp(p, "v:", 2) == 0
				|| strncasecmp(p, "From:", 5) == 0 || strncasecmp(p, "f:", 2) == 0
				|| strncasecmp(p, "Call-ID:", 8) == 0 || strncasecmp(p, "i:", 2) == 0
				|| strncasecmp(p, "CSeq:", 5) == 0
				|| (code / 100 == 2 && strncasecmp(p, "Record-Route:", 13) == 0)) {
			memcpy(out + o, p, l + 2);
			o += l + 2;
		} else if (strncasecmp(p, "To:", 3) == 0 || strncasecmp(p, "t:", 2) == 0) {
			memcpy(out + o, p, l);
			o += l;
			if (!memmem(p, l, "tag=", 4))
				o += (size_t)snprintf(out + o, sizeof(out) - o, ";tag=a%u", c->id);
			memcpy(out + o, "\r\n", 2);
			o += 2;
		}
		p = eol + 2;
	}
	(void)vl;
	o += (size_t)snprintf(out + o, sizeof(out) - o,
			"Contact: <sip:u%lu@c%u.invalid;transport=ws>\r\n"
			"Content-Length: 0\r\n\r\n", opt.offset + c->tok, c->id);
	ws_queue(c, out, o, 1);
	conn_flush(c);
}

static void sip_in(conn_t *c, const char *m, size_t len)
{
	int code;

	if (len < 12)
		return;
	if (memcmp(m, "SIP/2.0 ", 8) != 0) {
		wic_request(c, m, len);
		return;
	}
	code = atoi(m + 8);
	if (code < 200)
		return;
	if (code >= 100 && code < 700)
		err.codes[code]++;
	if (c->st != C_REG)
		return;
	if (code / 100 != 2) {
		conn_fail(c, &err.sip_fail);
		return;
	}
	registered_one(c);
}

/* Parses whatever frames are complete in rbuf. */
static void ws_frames(conn_t *c)
{
	size_t off = 0;

	while (c->st != C_FREE && c->rlen - off >= 2) {
		unsigned char *h = (unsigned char *)c->rbuf + off;
		int opcode = h[0] & 0x0f;
		uint64_t plen = h[1] & 0x7f;
		size_t hl = 2;
		if (plen == 126) {
			if (c->rlen - off < 4)
				break;
			plen = (uint64_t)h[2] << 8 | h[3];
			hl = 4;
		} else if (plen == 127) {
			int i;
			if (c->rlen - off < 10)
				break;
			plen = 0;
			for (i = 0; i < 8; i++)
				plen = plen << 8 | h[2 + i];
			hl = 10;
		}
		if (h[1] & 0x80)
			hl += 4; /* servers do not mask, but be lenient */
		if (c->rlen - off < hl + plen)
			break;
		if (opcode == 1 || opcode == 2) {
			sip_in(c, (char *)h + hl, (size_t)plen);
		} else if (opcode == 9) {
			ws_queue(c, (char *)h + hl, (size_t)plen, 10); /* pong */
			conn_flush(c);
		} else if (opcode == 8) {
			conn_fail(c, &err.closed);
			return;
		}
		off += hl + (size_t)plen;
	}
	if (c->st == C_FREE)
		return;
	if (off > 0) {
		memmove(c->rbuf, c->rbuf + off, c->rlen - off);
		c->rlen -= off;
	}
}

static void conn_input(conn_t *c)
{
	for (;;) {
		ssize_t n;
		if (c->rcap - c->rlen < 4096) {
			c->rcap = c->rcap ? c->rcap * 2 : 8192;
			c->rbuf = realloc(c->rbuf, c->rcap);
			if (!c->rbuf)
				die("realloc");
		}
		if (c->ssl) {
			int r = SSL_read(c->ssl, c->rbuf + c->rlen, (int)(c->rcap - c->rlen));
			if (r <= 0) {
				int e = SSL_get_error(c->ssl, r);
				if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE)
					break;
				conn_fail(c, c->st == C_IDLE ? &err.closed : &err.proto);
				return;
			}
			n = r;
		} else {
			n = recv(c->fd, c->rbuf + c->rlen, c->rcap - c->rlen, 0);
			if (n == 0 || (n < 0 && errno != EAGAIN)) {
				conn_fail(c, c->st == C_IDLE ? &err.closed : &err.proto);
				return;
			}
			if (n < 0)
				break;
		}
		c->rlen += (size_t)n;
	}
	if (c->st == C_WSHS) {
		char *e = memmem(c->rbuf, c->rlen, "\r\n\r\n", 4);
		size_t hl;
		if (!e)
			return;
		if (c->rlen < 12 || memcmp(c->rbuf, "HTTP/1.1 101", 12) != 0) {
			conn_fail(c, &err.ws);
			return;
		}
		hl = (size_t)(e + 4 - c->rbuf);
		memmove(c->rbuf, c->rbuf + hl, c->rlen - hl);
		c->rlen -= hl;
		send_register(c);
		if (c->st == C_FREE)
			return;
	}
	ws_frames(c);
}

static void conn_event(conn_t *c, uint32_t evs)
{
	switch (c->st) {
	case C_FREE:
		return;
	case C_CONNECTING:
		connected(c);
		return;
	case C_TLS:
		tls_step(c);
		return;
	default:
		break;
	}
	if ((evs & EPOLLOUT) && c->olen > c->ooff && !conn_flush(c))
		return;
	if (evs & (EPOLLIN | EPOLLERR | EPOLLHUP))
		conn_input(c);
}

/* ---- what happens when a REGISTER got its 2xx, per mode ---- */

static unsigned long want_bindings;
static unsigned mile_next;
static struct {
	unsigned bindings;
	double rate;
	double at;
} miles[8];

static void registered_one(conn_t *c)
{
	double t = now_s();

	if (c->measure) {
		sample_add(&lat, t - c->t0);
		completed++;
	}
	switch (opt.mode) {
	case M_CONNREG:
		conn_close(c);
		return;
	case M_REFRESH:
		if (!c->impus_done)
			registered_bindings++;
		c->impus_done = 1;
		set_state(c, C_IDLE);
		if (timed_phase && t < t_end_phase) {
			c->measure = true;
			c->t0 = t;
			send_register(c);
		}
		return;
	default: /* hold, answer */
		c->impus_done++;
		registered_bindings++;
		sample_add(&reg_times, t);
		while (mile_next < opt.n_milestones
				&& registered_bindings >= opt.milestones[mile_next]) {
			unsigned m = opt.milestones[mile_next];
			unsigned w = m / 10 < 500 ? (m < 500 ? m : 500) : m / 10;
			double t1 = reg_times.v[reg_times.n - 1];
			double t0 = reg_times.n > w ? reg_times.v[reg_times.n - 1 - w] : t_start;
			miles[mile_next].bindings = m;
			miles[mile_next].rate = t1 > t0 ? w / (t1 - t0) : 0;
			miles[mile_next].at = t1 - t_start;
			mile_next++;
		}
		set_state(c, C_IDLE);
		if (c->impus_done < opt.impus_per_conn && next_token < want_bindings) {
			c->tok = next_token++;
			c->t0 = t;
			send_register(c);
		}
		return;
	}
}

static void check_timeouts(double t)
{
	unsigned i;
	for (i = 0; i < n_conns; i++) {
		conn_t *c = &conns[i];
		if (c->st != C_FREE && c->st != C_IDLE && t > c->deadline)
			conn_fail(c, &err.timeout);
	}
}

static void loop_once(int ms)
{
	struct epoll_event evs[512];
	int n = epoll_wait(ep, evs, 512, ms), i;
	for (i = 0; i < n; i++)
		conn_event(evs[i].data.ptr, evs[i].events);
}

static void ssl_init(void)
{
	ssl_ctx = SSL_CTX_new(TLS_client_method());
	if (!ssl_ctx)
		die("SSL_CTX_new");
	SSL_CTX_set_verify(ssl_ctx, SSL_VERIFY_NONE, NULL);
	SSL_CTX_set_min_proto_version(ssl_ctx, TLS1_2_VERSION);
	/* every connection does a full handshake: no resumption */
	SSL_CTX_set_session_cache_mode(ssl_ctx, SSL_SESS_CACHE_OFF);
	SSL_CTX_set_options(ssl_ctx, SSL_OP_NO_TICKET);
	SSL_CTX_set_mode(ssl_ctx, SSL_MODE_ENABLE_PARTIAL_WRITE
			| SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER | SSL_MODE_RELEASE_BUFFERS);
}

/* ------------------------------------------------------------------ */
/* report                                                              */
/* ------------------------------------------------------------------ */

static void print_common(double elapsed, unsigned long done)
{
	int i;
	bool first = true;

	qsort(lat.v, lat.n, sizeof(double), cmp_double);
	printf("\"label\":\"%s\",\"target\":\"%s:%d\",\"tls\":%s,"
			"\"completed\":%lu,\"elapsed_s\":%.3f,\"rate_per_s\":%.1f,"
			"\"lat_ms\":{\"p50\":%.3f,\"p99\":%.3f,\"max\":%.3f},",
			opt.label, opt.host, opt.port, opt.tls ? "true" : "false", done,
			elapsed, elapsed > 0 ? (double)done / elapsed : 0,
			pct(&lat, 0.5) * 1e3, pct(&lat, 0.99) * 1e3,
			lat.n ? lat.v[lat.n - 1] * 1e3 : 0);
	printf("\"errors\":{\"connect\":%lu,\"tls\":%lu,\"ws\":%lu,\"sip\":%lu,"
			"\"timeout\":%lu,\"closed\":%lu,\"proto\":%lu,\"send\":%lu},",
			err.connect, err.tls, err.ws, err.sip_fail, err.timeout, err.closed,
			err.proto, err.send);
	printf("\"codes\":{");
	for (i = 100; i < 700; i++) {
		if (!err.codes[i])
			continue;
		printf("%s\"%d\":%lu", first ? "" : ",", i, err.codes[i]);
		first = false;
	}
	printf("}");
}

/* ------------------------------------------------------------------ */
/* TCP/TLS modes                                                       */
/* ------------------------------------------------------------------ */

static void run_connect_register(void)
{
	double t_end, last_check = 0, elapsed;
	unsigned long started = 0;

	n_conns = opt.concurrency;
	conns = calloc(n_conns, sizeof(conn_t));
	for (unsigned i = 0; i < n_conns; i++)
		conns[i].id = i, conns[i].fd = -1;
	t_start = now_s();
	t_end = t_start + opt.duration;
	while (!stop_flag) {
		double t = now_s();
		if (t < t_end) {
			while (live < opt.concurrency && started < n_tokens) {
				conn_t *c = conn_slot();
				if (!c)
					break;
				c->id = (unsigned)(started % 1000000);
				conn_open(c, started++, true);
			}
		}
		if ((t >= t_end || started >= n_tokens) && live == 0)
			break;
		if (t > t_end + opt.timeout)
			break;
		loop_once(100);
		if (t - last_check > 0.2) {
			check_timeouts(t);
			last_check = t;
		}
	}
	elapsed = now_s() - t_start;
	/* rate over the measured window: in-flight tail included in elapsed */
	printf("{\"mode\":\"connect-register\",\"alg\":\"%s\",\"concurrency\":%u,",
			opt.alg == WIC_ALG_RS256 ? "RS256" : "ES256", opt.concurrency);
	print_common(elapsed, completed);
	printf(",\"tokens_used\":%lu}\n", started);
}

/* Opens n connections and registers `bindings` identities on them
 * (--impus-per-conn each), --concurrency connections busy at a time. */
static void setup_registered(unsigned n, unsigned long bindings)
{
	double last_check = 0, t_limit;
	unsigned opened = 0;

	want_bindings = bindings;
	n_conns = n;
	conns = calloc(n_conns, sizeof(conn_t));
	if (!conns)
		die("calloc");
	for (unsigned i = 0; i < n_conns; i++)
		conns[i].id = i, conns[i].fd = -1;
	t_start = now_s();
	t_limit = t_start + 600;
	while (!stop_flag) {
		double t = now_s();
		while (opened < n && next_token < want_bindings
				&& live - n_idle < opt.concurrency) {
			conn_t *c = &conns[opened++];
			conn_open(c, next_token++, false);
		}
		if (live - n_idle == 0 && (opened >= n || next_token >= want_bindings))
			break;
		if (t > t_limit)
			break;
		loop_once(100);
		if (t - last_check > 0.5) {
			check_timeouts(t);
			last_check = t;
		}
	}
}

static void run_refresh(void)
{
	double t, t0, last_check = 0;
	unsigned long setup_ok;
	unsigned i;

	setup_registered(opt.conns, opt.conns);
	setup_ok = registered_bindings;
	memset(err.codes, 0, sizeof(err.codes));
	timed_phase = true;
	t0 = now_s();
	t_end_phase = t0 + opt.duration;
	for (i = 0; i < n_conns; i++) {
		conn_t *c = &conns[i];
		if (c->st != C_IDLE)
			continue;
		c->measure = true;
		c->t0 = now_s();
		send_register(c);
	}
	while (!stop_flag) {
		t = now_s();
		if (t >= t_end_phase && live - n_idle == 0)
			break;
		if (t > t_end_phase + opt.timeout)
			break;
		loop_once(100);
		if (t - last_check > 0.5) {
			check_timeouts(t);
			last_check = t;
		}
	}
	printf("{\"mode\":\"refresh\",\"conns\":%u,\"setup_registered\":%lu,",
			opt.conns, setup_ok);
	print_common(now_s() - t0, completed);
	printf("}\n");
}

static void run_hold(void)
{
	double setup_s, t_stop, last_check = 0;
	unsigned i;
	struct epoll_event ev = {.events = EPOLLIN, .data.ptr = NULL};
	bool watch_stdin;
	off_t pos;

	setup_registered(opt.conns, (unsigned long)opt.conns * opt.impus_per_conn);
	setup_s = now_s() - t_start;
	printf("{\"event\":\"ready\",\"mode\":\"%s\",\"conns_open\":%lu,"
			"\"bindings\":%lu,\"setup_s\":%.3f,\"setup_rate_per_s\":%.1f,"
			"\"milestones\":[",
			opt.mode == M_HOLD ? "hold" : "answer", live, registered_bindings,
			setup_s, setup_s > 0 ? registered_bindings / setup_s : 0);
	for (i = 0; i < mile_next; i++)
		printf("%s{\"bindings\":%u,\"rate_per_s\":%.1f,\"at_s\":%.3f}",
				i ? "," : "", miles[i].bindings, miles[i].rate, miles[i].at);
	printf("],");
	print_common(setup_s, registered_bindings);
	printf("}\n");
	fflush(stdout);
	/* watch stdin only when it is a pipe or a terminal that can close */
	pos = lseek(0, 0, SEEK_CUR);
	watch_stdin = pos < 0 && errno == ESPIPE;
	if (watch_stdin)
		epoll_ctl(ep, EPOLL_CTL_ADD, 0, &ev);
	t_stop = now_s() + opt.hold_secs;
	while (!stop_flag && now_s() < t_stop) {
		struct epoll_event evs[512];
		int n = epoll_wait(ep, evs, 512, 200), k;
		for (k = 0; k < n; k++) {
			if (evs[k].data.ptr == NULL) {
				char b[256];
				ssize_t r = read(0, b, sizeof(b));
				if (r <= 0)
					stop_flag = 1;
				continue;
			}
			conn_event(evs[k].data.ptr, evs[k].events);
		}
		if (now_s() - last_check > 1) {
			check_timeouts(now_s());
			last_check = now_s();
		}
	}
	printf("{\"event\":\"done\",\"mode\":\"%s\",\"conns_open\":%lu,"
			"\"bindings\":%lu,\"invites_rx\":%lu,\"acks_rx\":%lu,\"byes_rx\":%lu,"
			"\"errors\":{\"closed\":%lu,\"timeout\":%lu,\"send\":%lu,\"proto\":%lu}}\n",
			opt.mode == M_HOLD ? "hold" : "answer", live, registered_bindings,
			err.invites_rx, err.acks_rx, err.byes_rx, err.closed, err.timeout,
			err.send, err.proto);
}

/* ------------------------------------------------------------------ */
/* invite: the IMS Core side, UDP                                      */
/* ------------------------------------------------------------------ */

typedef struct {
	bool busy;
	unsigned long seq;
	unsigned long idx;
	double t0;
} itx_t;

/* Copies header values of name (all occurrences, comma lists split)
 * into list; returns the count. */
static int rr_list(const char *m, size_t len, char list[][256], int max)
{
	const char *p = memmem(m, len, "\r\n", 2), *end = m + len;
	int n = 0;

	while (p && p + 2 < end) {
		const char *eol;
		p += 2;
		eol = memmem(p, (size_t)(end - p), "\r\n", 2);
		if (!eol || eol == p)
			break;
		if (strncasecmp(p, "Record-Route:", 13) == 0) {
			const char *v = p + 13;
			while (v < eol && n < max) {
				const char *lt = memchr(v, '<', (size_t)(eol - v)), *gt;
				if (!lt)
					break;
				gt = memchr(lt, '>', (size_t)(eol - lt));
				if (!gt || (size_t)(gt - lt + 2) > 255)
					break;
				memcpy(list[n], lt, (size_t)(gt - lt + 1));
				list[n][gt - lt + 1] = '\0';
				n++;
				v = gt + 1;
			}
		}
		p = eol;
	}
	return n;
}

static void run_invite(void)
{
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
	struct sockaddr_in src = {.sin_family = AF_INET}, dst = {.sin_family = AF_INET};
	socklen_t sl = sizeof(src);
	int rcv = 8 << 20, lport;
	itx_t *tx = calloc(opt.window, sizeof(itx_t));
	unsigned long seq = 0, sent = 0, finals = 0, next_idx = 0;
	double t0, t_end, last_check = 0;
	char msg[4096], impu[256];
	unsigned i;

	src.sin_addr.s_addr = htonl(0x7f000001u);
	if (fd < 0 || bind(fd, (struct sockaddr *)&src, sizeof(src)) < 0)
		die("udp bind");
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcv, sizeof(rcv));
	setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &rcv, sizeof(rcv));
	getsockname(fd, (struct sockaddr *)&src, &sl);
	lport = ntohs(src.sin_port);
	dst.sin_port = htons((uint16_t)opt.port);
	inet_pton(AF_INET, opt.host, &dst.sin_addr);

#define SEND_INVITE(slot) do { \
	itx_t *x_ = &tx[slot]; \
	int n_; \
	x_->busy = true; x_->seq = ++seq; \
	x_->idx = opt.offset + (next_idx++ % opt.count); \
	x_->t0 = now_s(); \
	impu_of(x_->idx, impu, sizeof(impu)); \
	n_ = snprintf(msg, sizeof(msg), \
		"INVITE %s SIP/2.0\r\n" \
		"Via: SIP/2.0/UDP 127.0.0.1:%d;branch=z9hG4bKi%u.%lu;rport\r\n" \
		"Max-Forwards: 70\r\n" \
		"Route: <sip:term@%s:%d;lr>\r\n" \
		"From: <sip:ims-core@127.0.0.1>;tag=f%lu\r\n" \
		"To: <%s>\r\n" \
		"Call-ID: inv%lu-%d@wic-load\r\n" \
		"CSeq: 1 INVITE\r\n" \
		"Contact: <sip:ims-core@127.0.0.1:%d>\r\n" \
		"Content-Length: 0\r\n\r\n", \
		impu, lport, (unsigned)(slot), x_->seq, opt.host, opt.port, x_->seq, \
		impu, x_->seq, lport, lport); \
	if (sendto(fd, msg, (size_t)n_, 0, (struct sockaddr *)&dst, sizeof(dst)) < 0) \
		err.send++; \
	else \
		sent++; \
} while (0)

	t0 = now_s();
	t_end = t0 + opt.duration;
	for (i = 0; i < opt.window; i++)
		SEND_INVITE(i);
	while (!stop_flag) {
		struct pollfd pf = {.fd = fd, .events = POLLIN};
		double t = now_s();
		unsigned busy = 0;
		for (i = 0; i < opt.window; i++)
			busy += tx[i].busy;
		if ((t >= t_end && busy == 0) || t > t_end + opt.timeout)
			break;
		poll(&pf, 1, 100);
		for (;;) {
			char in[8192], to[512], ack[4096], rr[8][256], ruri[512];
			ssize_t r = recv(fd, in, sizeof(in) - 1, 0);
			const char *b, *v;
			size_t vl;
			unsigned slot;
			unsigned long s;
			int code, n, nrr, k;
			itx_t *x;
			if (r <= 0)
				break;
			in[r] = '\0';
			if (r < 12 || memcmp(in, "SIP/2.0 ", 8) != 0)
				continue; /* requests (BYE...) are not expected */
			code = atoi(in + 8);
			if (code < 200)
				continue;
			b = strstr(in, "branch=z9hG4bKi");
			if (!b || sscanf(b + 15, "%u.%lu", &slot, &s) != 2
					|| slot >= opt.window)
				continue;
			x = &tx[slot];
			if (!x->busy || x->seq != s)
				continue; /* retransmission or late */
			/* ACK: hop-by-hop for non-2xx, end-to-end (Route set) for 2xx */
			v = sip_hdr(in, (size_t)r, "To", "t", &vl);
			if (!v || vl >= sizeof(to))
				continue;
			memcpy(to, v, vl);
			to[vl] = '\0';
			impu_of(x->idx, impu, sizeof(impu));
			if (code / 100 == 2) {
				const char *cv = sip_hdr(in, (size_t)r, "Contact", "m", &vl);
				const char *lt = cv ? memchr(cv, '<', vl) : NULL;
				const char *gt = lt ? memchr(lt, '>', vl - (size_t)(lt - cv)) : NULL;
				char routes[2048] = "";
				size_t ro = 0;
				if (!gt || (size_t)(gt - lt) >= sizeof(ruri)) {
					err.proto++;
				} else {
					memcpy(ruri, lt + 1, (size_t)(gt - lt - 1));
					ruri[gt - lt - 1] = '\0';
					nrr = rr_list(in, (size_t)r, rr, 8);
					for (k = nrr - 1; k >= 0; k--)
						ro += (size_t)snprintf(routes + ro, sizeof(routes) - ro,
								"%sRoute: %s\r\n", "", rr[k]);
					n = snprintf(ack, sizeof(ack),
							"ACK %s SIP/2.0\r\n"
							"Via: SIP/2.0/UDP 127.0.0.1:%d;branch=z9hG4bKa%lu;rport\r\n"
							"Max-Forwards: 70\r\n%s"
							"From: <sip:ims-core@127.0.0.1>;tag=f%lu\r\n"
							"To: %s\r\nCall-ID: inv%lu-%d@wic-load\r\n"
							"CSeq: 1 ACK\r\nContent-Length: 0\r\n\r\n",
							ruri, lport, x->seq, routes, x->seq, to, x->seq, lport);
					sendto(fd, ack, (size_t)n, 0, (struct sockaddr *)&dst, sizeof(dst));
				}
			} else {
				n = snprintf(ack, sizeof(ack),
						"ACK %s SIP/2.0\r\n"
						"Via: SIP/2.0/UDP 127.0.0.1:%d;branch=z9hG4bKi%u.%lu;rport\r\n"
						"Max-Forwards: 70\r\n"
						"Route: <sip:term@%s:%d;lr>\r\n"
						"From: <sip:ims-core@127.0.0.1>;tag=f%lu\r\n"
						"To: %s\r\nCall-ID: inv%lu-%d@wic-load\r\n"
						"CSeq: 1 ACK\r\nContent-Length: 0\r\n\r\n",
						impu, lport, slot, x->seq, opt.host, opt.port, x->seq, to,
						x->seq, lport);
				sendto(fd, ack, (size_t)n, 0, (struct sockaddr *)&dst, sizeof(dst));
			}
			if (code < 700)
				err.codes[code]++;
			sample_add(&lat, now_s() - x->t0);
			finals++;
			x->busy = false;
			if (now_s() < t_end)
				SEND_INVITE(slot);
		}
		t = now_s();
		if (t - last_check > 0.25) {
			last_check = t;
			for (i = 0; i < opt.window; i++) {
				if (tx[i].busy && t - tx[i].t0 > opt.timeout) {
					err.timeout++;
					tx[i].busy = false;
					if (t < t_end)
						SEND_INVITE(i);
				}
			}
		}
	}
	printf("{\"mode\":\"invite\",\"window\":%u,\"identities\":%u,\"sent\":%lu,",
			opt.window, opt.count, sent);
	print_common(now_s() - t0, finals);
	printf("}\n");
	close(fd);
}

/* ------------------------------------------------------------------ */

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{"mode", 1, 0, 'm'}, {"target", 1, 0, 't'}, {"tls", 0, 0, 'T'},
		{"conns", 1, 0, 'n'}, {"concurrency", 1, 0, 'c'},
		{"src-ips", 1, 0, 's'}, {"impus-per-conn", 1, 0, 'k'},
		{"tokens", 1, 0, 'N'}, {"offset", 1, 0, 'o'}, {"duration", 1, 0, 'd'},
		{"timeout", 1, 0, 'W'}, {"hold-secs", 1, 0, 'H'}, {"key", 1, 0, 'K'},
		{"alg", 1, 0, 'a'}, {"kid", 1, 0, 'i'}, {"iss", 1, 0, 'I'},
		{"aud", 1, 0, 'A'}, {"impu-fmt", 1, 0, 'f'}, {"origin", 1, 0, 'O'},
		{"expires", 1, 0, 'e'}, {"answer-code", 1, 0, 'C'},
		{"count", 1, 0, 'x'}, {"window", 1, 0, 'w'},
		{"milestones", 1, 0, 'M'}, {"label", 1, 0, 'L'}, {0, 0, 0, 0}};
	int ch;
	struct rlimit rl;
	unsigned long need = 0;

	while ((ch = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (ch) {
		case 'm':
			if (!strcmp(optarg, "connect-register")) opt.mode = M_CONNREG;
			else if (!strcmp(optarg, "refresh")) opt.mode = M_REFRESH;
			else if (!strcmp(optarg, "hold")) opt.mode = M_HOLD;
			else if (!strcmp(optarg, "answer")) opt.mode = M_ANSWER;
			else if (!strcmp(optarg, "invite")) opt.mode = M_INVITE;
			else usage();
			break;
		case 't': {
			char *c = strrchr(optarg, ':');
			if (!c)
				usage();
			*c = '\0';
			opt.host = optarg;
			opt.port = atoi(c + 1);
			break;
		}
		case 'T': opt.tls = true; break;
		case 'n': opt.conns = (unsigned)strtoul(optarg, 0, 10); break;
		case 'c': opt.concurrency = (unsigned)strtoul(optarg, 0, 10); break;
		case 's': opt.src_ips = (unsigned)strtoul(optarg, 0, 10); break;
		case 'k': opt.impus_per_conn = (unsigned)strtoul(optarg, 0, 10); break;
		case 'N': opt.tokens = strtoul(optarg, 0, 10); break;
		case 'o': opt.offset = strtoul(optarg, 0, 10); break;
		case 'd': opt.duration = atof(optarg); break;
		case 'W': opt.timeout = atof(optarg); break;
		case 'H': opt.hold_secs = atof(optarg); break;
		case 'K': opt.key_file = optarg; break;
		case 'a':
			opt.alg = !strcmp(optarg, "RS256") ? WIC_ALG_RS256
				: !strcmp(optarg, "PS256") ? WIC_ALG_PS256 : WIC_ALG_ES256;
			break;
		case 'i': opt.kid = optarg; break;
		case 'I': opt.iss = optarg; break;
		case 'A': opt.aud = optarg; break;
		case 'f': opt.impu_fmt = optarg; break;
		case 'O': opt.origin = optarg; break;
		case 'e': opt.expires = atoi(optarg); break;
		case 'C': opt.answer_code = atoi(optarg); break;
		case 'x': opt.count = (unsigned)strtoul(optarg, 0, 10); break;
		case 'w': opt.window = (unsigned)strtoul(optarg, 0, 10); break;
		case 'M': {
			char *tok = strtok(optarg, ",");
			while (tok && opt.n_milestones < 8) {
				opt.milestones[opt.n_milestones++] = (unsigned)strtoul(tok, 0, 10);
				tok = strtok(NULL, ",");
			}
			break;
		}
		case 'L': opt.label = optarg; break;
		default: usage();
		}
	}
	if (!opt.src_ips || opt.src_ips > 254 || !opt.concurrency || !opt.window
			|| !opt.count || !opt.impus_per_conn)
		usage();
	signal(SIGPIPE, SIG_IGN);
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	srandom((unsigned)getpid());
	run_nonce = (unsigned)getpid() ^ (unsigned)time(NULL);
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	if (opt.mode == M_INVITE) {
		run_invite();
		return 0;
	}
	switch (opt.mode) {
	case M_CONNREG: need = opt.tokens; break;
	case M_REFRESH: need = opt.conns; break;
	default: need = (unsigned long)opt.conns * opt.impus_per_conn; break;
	}
	if (opt.mode != M_CONNREG && opt.conns + 16 > rl.rlim_cur) {
		fprintf(stderr, "wic-load: --conns %u exceeds the open files limit %lu\n",
				opt.conns, (unsigned long)rl.rlim_cur);
		return 2;
	}
	mint_tokens(need);
	if (opt.tls)
		ssl_init();
	ep = epoll_create1(EPOLL_CLOEXEC);
	if (ep < 0)
		die("epoll_create1");
	switch (opt.mode) {
	case M_CONNREG: run_connect_register(); break;
	case M_REFRESH: run_refresh(); break;
	default: run_hold(); break;
	}
	fflush(stdout);
	return 0;
}
