// SPDX-License-Identifier: GPL-2.0-or-later
// Copyright (C) 2026 the ims_wic authors
'use strict';
// A small SIP-over-WebSocket user agent (RFC 7118) on the `ws` package, for
// tests that need exact control of what a WIC sends: token placement,
// Contacts, CSeq, forged headers. TLS is real (self-signed lab certificate).
//
//   const ua = await SipWs.connect({ url: 'wss://127.0.0.1:8443', origin: 'http://127.0.0.1:8000' });
//   const r = await ua.register({ impu, token });        // r.status, r.reason, r.header('contact')
//   ua.onRequest((req) => req.reply(200, 'OK'));
//   await ua.close();
//   await SipWs.connect({...}).catch((e) => e.status)     // 403 when the upgrade is refused

const crypto = require('node:crypto');
const WebSocket = require('ws');
const { parseSip } = require('./wic');

const rand = (n = 8) => crypto.randomBytes(n).toString('hex');

class SipWs {
  static connect({ url = 'ws://127.0.0.1:8080', origin = 'http://127.0.0.1:8000', protocol = 'sip', timeoutMs = 5000 } = {}) {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url, protocol, { origin, rejectUnauthorized: false, handshakeTimeout: timeoutMs });
      ws.once('unexpected-response', (req, res) => {
        const err = new Error(`WebSocket upgrade refused: ${res.statusCode}`);
        err.status = res.statusCode;
        res.resume();
        reject(err);
      });
      ws.once('error', (e) => reject(e));
      ws.once('open', () => resolve(new SipWs(ws)));
    });
  }

  constructor(ws) {
    this.ws = ws;
    this.host = `${rand(6)}.invalid`;
    this.instance = `<urn:uuid:${crypto.randomUUID()}>`;
    this.pending = new Map();      // branch -> {resolve, provisional}
    this.requestHandlers = [];
    this.received = [];
    this.closed = new Promise((resolve) => ws.once('close', resolve));
    ws.on('message', (data) => this.onMessage(data.toString()));
  }

  onMessage(text) {
    const msg = parseSip(text);
    this.received.push(msg);
    if (msg.status) {
      const via = msg.header('via') || '';
      const b = /branch=([^;,\s]+)/.exec(via);
      const p = b && this.pending.get(b[1]);
      if (!p) return;
      if (msg.status < 200) { p.provisional.push(msg); return; }
      this.pending.delete(b[1]);
      p.resolve(msg);
      return;
    }
    msg.reply = (status, reason, extra = [], body = '') => this.reply(msg, status, reason, extra, body);
    for (const h of this.requestHandlers) h(msg);
  }

  onRequest(handler) { this.requestHandlers.push(handler); }

  nextRequest(method, timeoutMs = 5000) {
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`no ${method} within ${timeoutMs} ms`)), timeoutMs);
      this.onRequest((req) => { if (req.method === method) { clearTimeout(t); resolve(req); } });
    });
  }

  send(text) { this.ws.send(text); }

  // Sends a request; resolves with its final response (provisionals in r.provisional).
  request(method, { ruri, to, from, callId = rand(), cseq = 1, headers = [], body = '',
    contentType, branch = `z9hG4bK${rand()}`, fromTag = rand(4), timeoutMs = 8000 } = {}) {
    const lines = [
      `${method} ${ruri} SIP/2.0`,
      `Via: SIP/2.0/WSS ${this.host};branch=${branch}`,
      'Max-Forwards: 70',
      `To: ${to}`,
      `From: ${from};tag=${fromTag}`,
      `Call-ID: ${callId}`,
      `CSeq: ${cseq} ${method}`,
      ...headers,
    ];
    if (body) lines.push(`Content-Type: ${contentType}`);
    lines.push(`Content-Length: ${Buffer.byteLength(body)}`, '', body);
    return new Promise((resolve, reject) => {
      const provisional = [];
      const t = setTimeout(() => { this.pending.delete(branch); reject(new Error(`${method}: no final response within ${timeoutMs} ms`)); }, timeoutMs);
      this.pending.set(branch, { provisional, resolve: (r) => { clearTimeout(t); r.provisional = provisional; resolve(r); } });
      this.send(lines.join('\r\n'));
    });
  }

  // REGISTER of impu with the token placed as asked: bearer (RFC 8898,
  // what JsSIP's authorization_jwt sends), jwt (application/jwt body),
  // multipart (inside multipart/mixed) or none.
  register({ impu, token, expires = 600, contactUser = 'wic', instance = this.instance,
    regId = 1, authMode = 'bearer', callId = this.regCallId || (this.regCallId = rand()),
    cseq = (this.regCseq = (this.regCseq || 0) + 1), contact, headers = [], to = `<${impu}>` } = {}) {
    this.contactUri = `sip:${contactUser}@${this.host};transport=ws`;
    const contactHdr = contact || `<${this.contactUri}>;+sip.instance="${instance}";reg-id=${regId};expires=${expires}`;
    const hdrs = [`Contact: ${contactHdr}`, `Expires: ${expires}`, ...headers];
    let body = '';
    let contentType;
    if (authMode === 'bearer' && token !== undefined) hdrs.push(`Authorization: Bearer ${token}`);
    if (authMode === 'jwt') { body = token; contentType = 'application/jwt'; }
    if (authMode === 'multipart') {
      const b = `b${rand(4)}`;
      contentType = `multipart/mixed;boundary=${b}`;
      body = `--${b}\r\nContent-Type: text/plain\r\n\r\nhello\r\n--${b}\r\nContent-Type: application/jwt\r\n\r\n${token}\r\n--${b}--\r\n`;
    }
    return this.request('REGISTER', { ruri: `sip:${impu.split('@')[1] || 'wwsf.lab'}`, to, from: `<${impu}>`,
      callId, cseq, headers: hdrs, body, contentType });
  }

  reply(req, status, reason, extra = [], body = '') {
    const lines = [`SIP/2.0 ${status} ${reason}`];
    for (const [name, hdr] of [['Via', 'via'], ['From', 'from'], ['Call-ID', 'call-id'], ['CSeq', 'cseq'],
      ['Record-Route', 'record-route']]) {
      for (const v of req.headerLines(hdr)) lines.push(`${name}: ${v}`);
    }
    const to = req.header('to');
    lines.push(`To: ${to}${/;tag=/.test(to) ? '' : `;tag=${this.toTag || (this.toTag = rand(4))}`}`);
    if (status >= 200 && status < 300 && req.method === 'INVITE') lines.push(`Contact: <${this.contactUri}>`);
    lines.push(...extra);
    if (body) lines.push('Content-Type: application/sdp');
    lines.push(`Content-Length: ${Buffer.byteLength(body)}`, '', body);
    this.send(lines.join('\r\n'));
  }

  // UAS side: rings, answers with SDP, and remembers the dialog (RFC 3261
  // 12.1.1) so that the WIC can end the call itself.
  answer(invite, { ring = true, sdp = SDP() } = {}) {
    if (ring) this.reply(invite, 180, 'Ringing');
    this.reply(invite, 200, 'OK', [], sdp);
    const uri = (v) => /<([^>]+)>/.exec(v)[1];
    return {
      callId: invite.header('call-id'),
      local: `${invite.header('to').replace(/;tag=.*/, '')};tag=${this.toTag}`,
      remote: invite.header('from'),
      remoteTarget: uri(invite.header('contact')),
      routeSet: splitRoutes(invite.headerAll('record-route')),
      cseq: 1,
    };
  }

  // UAC side: INVITE to target; resolves with the final response and, on 2xx,
  // sends the ACK and returns the dialog.
  async invite(target, { from, headers = [], sdp = SDP(), timeoutMs = 8000 } = {}) {
    const fromTag = rand(4);
    const callId = rand();
    const res = await this.request('INVITE', { ruri: target, to: `<${target}>`, from: `<${from}>`, fromTag,
      callId, headers: [`Contact: <sip:wic@${this.host};transport=ws>`, ...headers], body: sdp,
      contentType: 'application/sdp', timeoutMs });
    if (res.status < 200 || res.status >= 300) return { res };
    const dialog = {
      callId, local: `<${from}>;tag=${fromTag}`, remote: res.header('to'),
      remoteTarget: /<([^>]+)>/.exec(res.header('contact'))[1],
      routeSet: splitRoutes(res.headerAll('record-route')).reverse(), cseq: 1,
    };
    this.inDialog('ACK', dialog, { cseq: 1, expectResponse: false });
    return { res, dialog };
  }

  inDialog(method, d, { cseq = ++d.cseq, expectResponse = true, headers = [] } = {}) {
    const branch = `z9hG4bK${rand()}`;
    const lines = [
      `${method} ${d.remoteTarget} SIP/2.0`,
      `Via: SIP/2.0/WSS ${this.host};branch=${branch}`,
      'Max-Forwards: 70',
      ...d.routeSet.map((r) => `Route: ${r}`),
      `From: ${d.local}`, `To: ${d.remote}`, `Call-ID: ${d.callId}`, `CSeq: ${cseq} ${method}`,
      ...headers, 'Content-Length: 0', '', ''];
    if (!expectResponse) { this.send(lines.join('\r\n')); return null; }
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => { this.pending.delete(branch); reject(new Error(`${method}: no final response`)); }, 8000);
      this.pending.set(branch, { provisional: [], resolve: (r) => { clearTimeout(t); resolve(r); } });
      this.send(lines.join('\r\n'));
    });
  }

  bye(dialog) { return this.inDialog('BYE', dialog); }

  // A WebSocket close handshake, bounded: after timeoutMs the TCP connection
  // is dropped.  Idempotent (safe in t.after() and at the end of a test).
  async close({ timeoutMs = 3000 } = {}) {
    if (this.ws.readyState === WebSocket.OPEN || this.ws.readyState === WebSocket.CONNECTING) this.ws.close();
    let timer;
    const late = new Promise((resolve) => { timer = setTimeout(() => { this.ws.terminate(); resolve(); }, timeoutMs); });
    await Promise.race([this.closed, late]);
    clearTimeout(timer);
    await this.closed;
  }

  // Drops the TCP connection without a WebSocket close handshake.
  async drop() {
    this.ws.terminate();
    await this.closed;
  }
}

// Record-Route / Route values, one URI each, in order.
function splitRoutes(values) {
  return values.flatMap((v) => v.match(/<[^>]+>[^,]*/g) || []).map((r) => r.trim());
}

const SDP = (ip = '127.0.0.1') => [
  'v=0', `o=wic 1 1 IN IP4 ${ip}`, 's=-', `c=IN IP4 ${ip}`, 't=0 0',
  'm=audio 40000 RTP/AVP 0', 'a=rtpmap:0 PCMU/8000', '',
].join('\r\n');

module.exports = { SipWs, parseSip, SDP };
