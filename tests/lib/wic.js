// SPDX-License-Identifier: GPL-2.0-or-later
// Copyright (C) 2026 the ims_wic authors
'use strict';
// WebRTC IMS Client (WIC) for tests: SIP over WebSocket (RFC 7118) from Node.
//
// Two layers share ONE WebSocket per WIC (the eP-CSCF only accepts requests
// on the connection that holds the registration):
//  * JsSIP 3.x (the client real WWSF pages use) does the REGISTER in
//    authMode 'bearer' (authorization_jwt -> "Authorization: Bearer <jwt>").
//    It runs over WicSocket, our implementation of JsSIP's Socket interface
//    on top of the `ws` package, so that we can set the Origin header and
//    TLS options (rejectUnauthorized:false for the self-signed lab cert; the
//    TLS handshake itself is real).
//  * A small raw SIP UA (RawSip below) does everything JsSIP cannot do in
//    Node: calls (JsSIP's RTCSession needs RTCPeerConnection, which Node does
//    not have; a stub would have to fake ICE/DTLS state machines and would
//    break with every JsSIP release), REGISTER with the token in the body
//    (authMode 'body'), raw messages.  Every incoming request is taken by the
//    raw layer (JsSIP never sees INVITEs, so it never touches WebRTC); JsSIP
//    only receives the responses to its own REGISTERs.  Calls use a static
//    WebRTC-looking SDP: no media flows, the eP-CSCF does not relay media.
//
// API (all timeouts in ms):
//   const wic = createWic({url, origin, impu, impi, token, displayName,
//      contactUser, registerExpires=600, authMode='bearer'|'body',
//      engine='jssip'|'raw' (default: jssip for bearer, raw for body),
//      bodyFormat='jwt'|'multipart', instanceId, tls:{...}, name,
//      autoAnswer=true, timeoutMs=10000});
//   await wic.connect()            -> {opened, upgradeStatus, protocol}
//   await wic.register(opts?)      -> RegResult {code, reason, headers, header(n),
//                                     headerAll(n), raw, message, upgradeStatus?}
//        opts (raw engine only): {expires, extraHeaders:[], contact, body, contentType, token}
//   await wic.unregister({all})    -> RegResult
//   const call = await wic.call(target, {extraHeaders, sdp, body, contentType, timeoutMs})
//        call.code/.reason/.response/.provisional[]/.ok ; await call.bye() -> Response;
//        await call.waitForBye(t) ; wic.startCall(...) returns the Call before the
//        final response (call.final is a promise; call.cancel())
//   wic.onIncoming(handler)        handler(inc): inc.request, inc.ruri, inc.from,
//        inc.header(n), inc.ring(), inc.answer({code=200, sdp, extraHeaders}),
//        inc.reject(code, reason, extraHeaders), inc.acked (promise), inc.bye(),
//        inc.waitForBye(t), inc.cancelled (promise).  Without a handler an
//        incoming INVITE is answered 180 + 200 when autoAnswer is true.
//   await wic.waitForIncoming(t)   -> the next IncomingCall
//   await wic.request(method, target, {extraHeaders, body, contentType}) -> Response
//   wic.rawSend(sipText)           send bytes as they are on the WIC's connection
//   await wic.waitForMessage(pred, t) -> parsed incoming message (pred(msg) true)
//   wic.messages                    every parsed incoming message, in order
//   wic.setToken(jwt)               token for the next REGISTERs
//   await wic.close({abrupt})       drop the WebSocket (no un-REGISTER); abrupt = TCP reset-ish
//
//   const raw = await openRawWs({url, origin, protocols=['sip'], tls});
//     raw.upgradeStatus (101, or e.g. 403 when refused), raw.opened, raw.protocol,
//     raw.send(text), await raw.nextMessage(t) -> text, raw.messages, await raw.close(),
//     raw.closed (promise {code, reason})
//
//   parseSip(text) -> Message {isRequest, method, ruri, status, reason, body,
//     header(n), headerAll(n), callId, cseq:{num,method}, fromTag, toTag, branch, raw}

const crypto = require('node:crypto');
const WebSocket = require('ws');
const JsSIP = require('jssip');

const DEFAULT_TIMEOUT = 10000;

// ---------------------------------------------------------------- parsing

const COMPACT = {
  i: 'call-id', m: 'contact', f: 'from', t: 'to', v: 'via', l: 'content-length',
  c: 'content-type', k: 'supported', e: 'content-encoding', s: 'subject',
  o: 'event', u: 'allow-events', r: 'refer-to', x: 'session-expires', b: 'referred-by',
};

// split a header value on commas outside <>, quotes
function splitComma(v) {
  const out = [];
  let cur = '';
  let inQ = false;
  let inA = false;
  for (let i = 0; i < v.length; i++) {
    const ch = v[i];
    if (ch === '"' && v[i - 1] !== '\\') inQ = !inQ;
    else if (!inQ && ch === '<') inA = true;
    else if (!inQ && ch === '>') inA = false;
    if (ch === ',' && !inQ && !inA) { out.push(cur.trim()); cur = ''; continue; }
    cur += ch;
  }
  if (cur.trim()) out.push(cur.trim());
  return out;
}

const SINGLE = new Set(['date', 'expires', 'www-authenticate', 'authorization', 'proxy-authenticate',
  'proxy-authorization', 'retry-after', 'warning', 'user-agent', 'server', 'subject', 'reason',
  'content-type', 'content-length', 'call-id', 'cseq', 'from', 'to', 'min-expires', 'max-forwards']);

class Message {
  constructor(raw) {
    this.raw = raw;
    let sep = raw.indexOf('\r\n\r\n');
    let head;
    if (sep < 0) {
      head = raw;
      this.body = '';
    } else {
      head = raw.slice(0, sep);
      this.body = raw.slice(sep + 4);
    }
    const lines = [];
    for (const l of head.split(/\r?\n/)) {
      if (/^[ \t]/.test(l) && lines.length) lines[lines.length - 1] += ' ' + l.trim();
      else lines.push(l);
    }
    const first = lines.shift() || '';
    const m = first.match(/^SIP\/2\.0 (\d{3}) ?(.*)$/);
    if (m) {
      this.isRequest = false;
      this.status = Number(m[1]);
      this.reason = m[2];
    } else {
      const r = first.match(/^([A-Za-z]+) (\S+) SIP\/2\.0$/);
      this.isRequest = true;
      this.method = r ? r[1].toUpperCase() : null;
      this.ruri = r ? r[2] : null;
    }
    this.firstLine = first;
    this.headers = {}; // lower-case name -> [raw line values]
    for (const l of lines) {
      const i = l.indexOf(':');
      if (i < 0) continue;
      let name = l.slice(0, i).trim().toLowerCase();
      name = COMPACT[name] || name;
      (this.headers[name] = this.headers[name] || []).push(l.slice(i + 1).trim());
    }
    const cseq = (this.header('cseq') || '').split(/\s+/);
    this.cseq = { num: Number(cseq[0]), method: (cseq[1] || '').toUpperCase() };
    this.callId = this.header('call-id');
    this.fromTag = tagOf(this.header('from'));
    this.toTag = tagOf(this.header('to'));
    const via = this.headerAll('via')[0] || '';
    const b = via.match(/;\s*branch=([^;,\s]+)/i);
    this.branch = b ? b[1] : null;
  }

  // first value (for list headers: the first element)
  header(name) {
    const a = this.headerAll(name);
    return a.length ? a[0] : undefined;
  }

  // all values; list headers are split on commas
  headerAll(name) {
    const n = name.toLowerCase();
    const vals = this.headers[COMPACT[n] || n] || [];
    if (SINGLE.has(n)) return vals.slice();
    return vals.flatMap(splitComma);
  }

  // header lines as they came (no comma split)
  headerLines(name) {
    const n = name.toLowerCase();
    return (this.headers[COMPACT[n] || n] || []).slice();
  }
}

function tagOf(v) {
  if (!v) return null;
  const m = v.match(/;\s*tag=([^;\s]+)/i);
  return m ? m[1] : null;
}

function parseSip(text) {
  return new Message(String(text));
}

function uriOf(nameAddr) {
  if (!nameAddr) return null;
  const m = nameAddr.match(/<([^>]*)>/);
  return (m ? m[1] : nameAddr.split(';')[0]).trim();
}

function rnd(n = 8) {
  return crypto.randomBytes(n).toString('hex');
}

function responseResult(msg, extra = {}) {
  if (!msg) {
    return { code: 0, reason: extra.reason || 'no response', headers: {}, header: () => undefined, headerAll: () => [], raw: null, message: null, ...extra };
  }
  return {
    code: msg.status,
    reason: msg.reason,
    headers: msg.headers,
    header: (n) => msg.header(n),
    headerAll: (n) => msg.headerAll(n),
    raw: msg.raw,
    message: msg,
    ...extra,
  };
}

// ---------------------------------------------------------------- WebSocket

// Open a ws connection; never rejects for a refused upgrade (resolves with
// opened:false, upgradeStatus), rejects for network errors/timeouts.
function connectWs({ url, origin, protocols = ['sip'], tls = {}, headers = {}, timeoutMs = DEFAULT_TIMEOUT }) {
  return new Promise((resolve, reject) => {
    const opts = {
      handshakeTimeout: timeoutMs,
      headers,
      rejectUnauthorized: false,
      ...tls,
    };
    if (origin) opts.origin = origin;
    const ws = new WebSocket(url, protocols, opts);
    let settled = false;
    const info = { ws, opened: false, upgradeStatus: null, upgradeHeaders: null, upgradeBody: '', protocol: null };
    ws.on('upgrade', (res) => {
      info.upgradeStatus = res.statusCode;
      info.upgradeHeaders = res.headers;
    });
    ws.on('unexpected-response', (req, res) => {
      info.upgradeStatus = res.statusCode;
      info.upgradeHeaders = res.headers;
      res.setEncoding('utf8');
      res.on('data', (d) => { info.upgradeBody += d; });
      const finish = () => {
        if (!settled) { settled = true; resolve(info); }
        try { ws.terminate(); } catch { /* ignore */ }
      };
      res.on('end', finish);
      res.on('error', finish);
      setTimeout(finish, 1000).unref();
    });
    ws.once('open', () => {
      info.opened = true;
      info.protocol = ws.protocol;
      if (!settled) { settled = true; resolve(info); }
    });
    ws.on('error', (e) => {
      if (!settled) { settled = true; reject(e); }
    });
  });
}

async function openRawWs({ url, origin, protocols = ['sip'], tls = {}, timeoutMs = DEFAULT_TIMEOUT } = {}) {
  const info = await connectWs({ url, origin, protocols, tls, timeoutMs });
  const messages = [];
  const waiters = [];
  let readIdx = 0;
  let closeInfo = null;
  let resolveClosed;
  const closed = new Promise((r) => { resolveClosed = r; });
  const ws = info.ws;
  if (info.opened) {
    ws.on('message', (data) => {
      messages.push(data.toString('utf8'));
      while (waiters.length && readIdx < messages.length) waiters.shift()(messages[readIdx++]);
    });
    ws.on('close', (code, reason) => {
      closeInfo = { code, reason: reason.toString() };
      resolveClosed(closeInfo);
      while (waiters.length) waiters.shift()(null);
    });
  } else {
    closeInfo = { code: null, reason: `upgrade refused: ${info.upgradeStatus}` };
    resolveClosed(closeInfo);
  }
  return {
    ws,
    opened: info.opened,
    upgradeStatus: info.upgradeStatus,
    upgradeHeaders: info.upgradeHeaders,
    upgradeBody: info.upgradeBody,
    protocol: info.protocol,
    messages,
    closed,
    get closeInfo() { return closeInfo; },
    send(text) {
      if (!info.opened || ws.readyState !== WebSocket.OPEN) throw new Error('raw ws not open');
      ws.send(text);
    },
    // Next message not yet read (text); rejects on timeout, resolves null when the connection closed.
    nextMessage(t = DEFAULT_TIMEOUT) {
      if (readIdx < messages.length) return Promise.resolve(messages[readIdx++]);
      if (closeInfo) return Promise.resolve(null);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          const i = waiters.indexOf(w);
          if (i >= 0) waiters.splice(i, 1);
          reject(new Error(`no WebSocket message within ${t} ms`));
        }, t);
        const w = (m) => { clearTimeout(timer); resolve(m); };
        waiters.push(w);
      });
    },
    async close({ abrupt = false } = {}) {
      if (closeInfo) return closeInfo;
      if (abrupt) ws.terminate(); else ws.close(1000);
      return closed;
    },
  };
}

// JsSIP Socket interface over `ws` (see node_modules/jssip/lib/Socket.js).
class WicSocket {
  constructor({ url, origin, tls, protocols = ['sip'], timeoutMs }) {
    const u = new URL(url);
    if (u.protocol !== 'ws:' && u.protocol !== 'wss:') throw new TypeError(`not a WebSocket URL: ${url}`);
    this._url = url;
    this._origin = origin;
    this._tls = tls || {};
    this._protocols = protocols;
    this._timeoutMs = timeoutMs || DEFAULT_TIMEOUT;
    this._sip_uri = `sip:${u.hostname}${u.port ? `:${u.port}` : ''};transport=ws`;
    this._via_transport = u.protocol === 'wss:' ? 'WSS' : 'WS';
    this._ws = null;
    this._connecting = null;
    this._userClosed = false;
    this.info = null;            // last connectWs() info
    this.interceptIn = null;     // (text) => true when consumed (not passed to JsSIP)
    this.tapOut = null;          // (text) => void, sees everything sent
    this.onconnect = () => {};
    this.ondisconnect = () => {};
    this.ondata = () => {};
    this.closed = null;          // promise for the current connection's close
  }

  get via_transport() { return this._via_transport; }
  set via_transport(v) { this._via_transport = String(v).toUpperCase(); }
  get url() { return this._url; }
  get sip_uri() { return this._sip_uri; }

  isConnected() { return !!this._ws && this._ws.readyState === WebSocket.OPEN; }

  // JsSIP calls this without using the result; we return a promise.
  connect() {
    if (this._userClosed) {
      return Promise.resolve({ opened: false, upgradeStatus: null, closedByUser: true });
    }
    if (this.isConnected()) return Promise.resolve(this.info);
    if (this._connecting) return this._connecting;
    this._connecting = connectWs({
      url: this._url, origin: this._origin, protocols: this._protocols, tls: this._tls, timeoutMs: this._timeoutMs,
    }).then((info) => {
      this.info = info;
      this._connecting = null;
      if (!info.opened) {
        // refused upgrade: report as an (unclean) disconnect to JsSIP
        setImmediate(() => this.ondisconnect(true, 1006, `upgrade refused ${info.upgradeStatus}`));
        return info;
      }
      const ws = info.ws;
      this._ws = ws;
      this.closed = new Promise((resolve) => {
        ws.on('close', (code, reason) => {
          if (this._ws === ws) this._ws = null;
          if (this.onclosed) this.onclosed(code, reason.toString());
          resolve({ code, reason: reason.toString() });
          this.ondisconnect(code !== 1000, code, reason.toString());
        });
      });
      ws.on('error', () => { /* close follows */ });
      ws.on('message', (data) => {
        const text = data.toString('utf8');
        if (this.interceptIn && this.interceptIn(text)) return;
        this.ondata(text);
      });
      this.onconnect();
      return info;
    }, (err) => {
      this._connecting = null;
      this.info = { opened: false, upgradeStatus: null, error: err };
      setImmediate(() => this.ondisconnect(true, 1006, String(err.message)));
      return this.info;
    });
    return this._connecting;
  }

  disconnect() {
    if (this._ws) {
      try { this._ws.close(1000); } catch { /* ignore */ }
    }
  }

  send(message) {
    if (!this.isConnected()) return false;
    const text = String(message);
    if (this.tapOut) this.tapOut(text);
    this._ws.send(text);
    return true;
  }

  async drop({ abrupt = false } = {}) {
    this._userClosed = true;
    const ws = this._ws;
    if (!ws) return null;
    const closed = this.closed;
    if (abrupt) ws.terminate(); else ws.close(1000);
    // bounded: a close handshake that gets no answer ends in a dropped connection
    const timer = setTimeout(() => ws.terminate(), 3000);
    try { return await closed; } finally { clearTimeout(timer); }
  }
}

// ---------------------------------------------------------------- SDP

function fakeSdp(tag = 'wic') {
  const id = BigInt('0x' + rnd(7)).toString();
  return [
    'v=0',
    `o=- ${id} 2 IN IP4 127.0.0.1`,
    `s=${tag}`,
    't=0 0',
    'a=group:BUNDLE 0',
    'a=msid-semantic: WMS',
    'm=audio 9 UDP/TLS/RTP/SAVPF 111 0',
    'c=IN IP4 0.0.0.0',
    'a=rtcp:9 IN IP4 0.0.0.0',
    `a=ice-ufrag:${rnd(2)}`,
    `a=ice-pwd:${rnd(12)}`,
    'a=ice-options:trickle',
    'a=fingerprint:sha-256 ' + crypto.randomBytes(32).toString('hex').toUpperCase().match(/../g).join(':'),
    'a=setup:actpass',
    'a=mid:0',
    'a=sendrecv',
    'a=rtcp-mux',
    'a=rtpmap:111 opus/48000/2',
    'a=rtpmap:0 PCMU/8000',
    '',
  ].join('\r\n');
}

// ---------------------------------------------------------------- raw UA

class Call {
  constructor(ua, { target, invite, inviteMsg, branch, callId, fromTag, cseq, routes }) {
    this.ua = ua;
    this.target = target;
    this.invite = invite;          // text sent
    this.inviteMsg = inviteMsg;
    this.branch = branch;
    this.callId = callId;
    this.fromTag = fromTag;
    this.cseq = cseq;
    this.preRoutes = routes || [];
    this.provisional = [];
    this.response = null;
    this.code = null;
    this.reason = null;
    this.ok = false;
    this.dialog = null;            // {remoteTarget, routeSet, toHeader, localSeq}
    this._byeRx = deferred();
    this.final = null;             // promise of this (set by ua)
  }

  get byeReceived() { return this._byeRx.promise; }

  waitForBye(t = DEFAULT_TIMEOUT) {
    return withTimeout(this._byeRx.promise, t, `BYE for call ${this.callId}`);
  }

  async cancel() {
    const lines = [
      `CANCEL ${this.inviteMsg.ruri} SIP/2.0`,
      this.inviteMsg.headerLines('via').map((v) => `Via: ${v}`)[0],
      'Max-Forwards: 70',
      `From: ${this.inviteMsg.header('from')}`,
      `To: ${this.inviteMsg.header('to')}`,
      `Call-ID: ${this.callId}`,
      `CSeq: ${this.cseq} CANCEL`,
      ...this.preRoutes.map((r) => `Route: ${r}`),
    ];
    return this.ua._sendTx(lines, { branch: this.branch, cancel: true });
  }

  // In-dialog BYE; resolves with the Response result.
  async bye(extraHeaders = []) {
    if (!this.dialog) throw new Error('bye(): no confirmed dialog');
    return this.ua._sendInDialog(this, 'BYE', { extraHeaders });
  }

  // Other in-dialog requests (INFO, UPDATE, re-INVITE...).
  async request(method, opts = {}) {
    if (!this.dialog) throw new Error('request(): no confirmed dialog');
    return this.ua._sendInDialog(this, method, opts);
  }
}

class IncomingCall {
  constructor(ua, msg) {
    this.ua = ua;
    this.request = msg;
    this.ruri = msg.ruri;
    this.from = msg.header('from');
    this.to = msg.header('to');
    this.callId = msg.callId;
    this.localTag = rnd(5);
    this.answered = false;
    this.finalCode = null;
    this._ack = deferred();
    this._byeRx = deferred();
    this._cancel = deferred();
    this.dialog = null;
  }

  header(n) { return this.request.header(n); }
  headerAll(n) { return this.request.headerAll(n); }
  get acked() { return this._ack.promise; }
  get cancelled() { return this._cancel.promise; }
  get byeReceived() { return this._byeRx.promise; }

  waitForAck(t = DEFAULT_TIMEOUT) { return withTimeout(this._ack.promise, t, `ACK for ${this.callId}`); }
  waitForBye(t = DEFAULT_TIMEOUT) { return withTimeout(this._byeRx.promise, t, `BYE for ${this.callId}`); }

  ring(extraHeaders = []) {
    this.ua._reply(this.request, 180, 'Ringing', { toTag: this.localTag, contact: true, copyRR: true, extraHeaders });
  }

  answer({ code = 200, reason = 'OK', sdp, extraHeaders = [] } = {}) {
    if (this.finalCode) throw new Error('already answered');
    this.finalCode = code;
    this.answered = true;
    const body = sdp === undefined ? fakeSdp('wic-answer') : sdp;
    this.ua._reply(this.request, code, reason, {
      toTag: this.localTag, contact: true, copyRR: true, extraHeaders, body, contentType: body ? 'application/sdp' : null,
    });
    // UAS dialog: route set = Record-Route as received, remote target = Contact
    this.dialog = {
      remoteTarget: uriOf(this.request.header('contact')),
      routeSet: this.request.headerAll('record-route'),
      localUri: this.request.header('to').replace(/;\s*tag=[^;]*/i, '') + `;tag=${this.localTag}`,
      remoteUri: this.request.header('from'),
      localSeq: 1,
    };
  }

  reject(code = 486, reason = 'Busy Here', extraHeaders = []) {
    if (this.finalCode) throw new Error('already answered');
    this.finalCode = code;
    this.ua._reply(this.request, code, reason, { toTag: this.localTag, extraHeaders });
  }

  async bye(extraHeaders = []) {
    if (!this.dialog) throw new Error('bye(): not answered');
    return this.ua._sendInDialog(this, 'BYE', { extraHeaders });
  }
}

function deferred() {
  let resolve;
  let reject;
  const promise = new Promise((res, rej) => { resolve = res; reject = rej; });
  promise.catch(() => {});
  return { promise, resolve, reject };
}

function withTimeout(p, t, what) {
  let timer;
  return Promise.race([
    p.finally(() => clearTimeout(timer)),
    new Promise((_, rej) => { timer = setTimeout(() => rej(new Error(`timeout after ${t} ms waiting for ${what}`)), t); }),
  ]);
}

class Wic {
  constructor(o) {
    if (!o || !o.url || !o.impu) throw new Error('createWic: url and impu are required');
    this.opts = {
      registerExpires: 600,
      authMode: 'bearer',
      bodyFormat: 'jwt',
      autoAnswer: true,
      timeoutMs: DEFAULT_TIMEOUT,
      ...o,
    };
    this.engine = this.opts.engine || (this.opts.authMode === 'body' ? 'raw' : 'jssip');
    this.impu = o.impu;
    this.token = o.token || null;
    this.domain = (this.impu.match(/@([^;>]+)/) || this.impu.match(/^sips?:([^;>]+)/) || [])[1] || 'invalid';
    this.host = `${rnd(6)}.invalid`;
    this.contactUser = o.contactUser || rnd(4);
    this.contactUri = `sip:${this.contactUser}@${this.host};transport=ws`;
    this.instanceId = o.instanceId || crypto.randomUUID();
    this.regCallId = rnd(11);
    this.regCseq = 0;
    this.messages = [];
    this._msgWaiters = [];
    this._tx = new Map();         // branch -> {resolve, onResponse, timer}
    this._calls = new Map();      // call-id -> Call | IncomingCall
    this._incomingQ = [];
    this._incomingWaiters = [];
    this._incomingHandler = null;
    this._pendingReg = null;      // {callId, cseq, resolve}
    this._lastOutReg = null;
    this.socket = new WicSocket({ url: o.url, origin: o.origin, tls: o.tls, timeoutMs: this.opts.timeoutMs });
    this.socket.interceptIn = (text) => this._onIncoming(text);
    this.socket.tapOut = (text) => this._onOutgoing(text);
    this.socket.onclosed = () => this._failAll('WebSocket closed');
    this.closed = null;
    this.ua = null;
    if (this.engine === 'jssip') this._makeJsSip();
  }

  _makeJsSip() {
    const o = this.opts;
    const cfg = {
      sockets: [this.socket],
      uri: this.impu,
      contact_uri: this.contactUri,
      instance_id: this.instanceId,
      register: false,
      register_expires: o.registerExpires,
      session_timers: false,
      user_agent: o.userAgent || 'ims_wic-test JsSIP',
      // no automatic reconnection during a test: a new connection would be a
      // different connection for the eP-CSCF
      connection_recovery_min_interval: 3600,
      connection_recovery_max_interval: 3600,
    };
    if (o.displayName) cfg.display_name = o.displayName;
    if (o.impi) cfg.authorization_user = o.impi;
    if (this.token) cfg.authorization_jwt = `Bearer ${this.token}`;
    this.ua = new JsSIP.UA(cfg);
    this.ua.on('registrationFailed', (e) => {
      if (!e.response && this._pendingReg) {
        const p = this._pendingReg;
        this._pendingReg = null;
        p.resolve(responseResult(null, { reason: e.cause }));
      }
    });
    // The connection went away (server close, refused upgrade): stop JsSIP so
    // that it neither reconnects nor keeps a recovery timer alive.
    this.ua.on('disconnected', () => {
      setImmediate(() => {
        if (!this.socket.isConnected() && this.ua.status === 1) {
          try { this.ua.stop(); } catch { /* ignore */ }
        }
      });
    });
  }

  setToken(token) {
    this.token = token;
    if (this.ua) this.ua.set('authorization_jwt', token ? `Bearer ${token}` : null);
  }

  async connect() {
    if (this.socket.isConnected()) return this.socket.info;
    if (this.ua) {
      const st = this.ua.status;    // 0 INIT, 1 READY, 2 USER_CLOSED, 3 NOT_READY
      if (st === 0 || st === 2) this.ua.start();    // calls socket.connect()
    }
    const info = await this.socket.connect();
    return { opened: info.opened, upgradeStatus: info.upgradeStatus, protocol: info.protocol, error: info.error };
  }

  // ---- messages in/out

  _onOutgoing(text) {
    const m = parseSip(text);
    if (m.isRequest && m.method === 'REGISTER') this._lastOutReg = { callId: m.callId, cseq: m.cseq.num };
  }

  _onIncoming(text) {
    let msg;
    try { msg = parseSip(text); } catch { return false; }
    this.messages.push(msg);
    for (const w of this._msgWaiters.slice()) {
      if (w.pred(msg)) {
        this._msgWaiters.splice(this._msgWaiters.indexOf(w), 1);
        w.resolve(msg);
      }
    }
    if (!msg.isRequest) {
      // REGISTER responses: resolve register()/unregister() (also for JsSIP's)
      if (msg.cseq.method === 'REGISTER' && msg.status >= 200 && this._pendingReg &&
          this._pendingReg.callId === msg.callId && this._pendingReg.cseq <= msg.cseq.num) {
        const p = this._pendingReg;
        this._pendingReg = null;
        p.resolve(responseResult(msg));
      }
      const tx = msg.branch && this._tx.get(msg.branch + (msg.cseq.method === 'CANCEL' ? ':c' : ''));
      if (tx) {
        tx.onResponse(msg);
        return true;
      }
      return !this.ua;            // raw engine: nobody else wants it
    }
    this._onRequest(msg);
    return true;
  }

  waitForMessage(pred = () => true, t = DEFAULT_TIMEOUT) {
    const found = this.messages.find((m) => pred(m));
    if (found) return Promise.resolve(found);
    const d = deferred();
    const w = { pred, resolve: d.resolve };
    this._msgWaiters.push(w);
    return withTimeout(d.promise, t, 'a matching incoming SIP message').finally(() => {
      const i = this._msgWaiters.indexOf(w);
      if (i >= 0) this._msgWaiters.splice(i, 1);
    });
  }

  rawSend(text) {
    if (!this.socket.send(text)) throw new Error('rawSend: WebSocket not connected');
  }

  _via(branch) {
    return `Via: SIP/2.0/${this.socket.via_transport} ${this.host};branch=${branch}`;
  }

  _fromHeader(tag) {
    const dn = this.opts.displayName ? `"${this.opts.displayName}" ` : '';
    return `From: ${dn}<${this.impu}>;tag=${tag}`;
  }

  // Send a request (array of header lines without Content-*), track by branch.
  _sendTx(lines, { branch, body = '', contentType = null, timeoutMs, cancel = false, onProvisional } = {}) {
    const out = lines.filter(Boolean).slice();
    if (!out.some((l) => /^Via:/i.test(l))) out.splice(1, 0, this._via(branch));
    if (contentType) out.push(`Content-Type: ${contentType}`);
    out.push(`Content-Length: ${Buffer.byteLength(body)}`);
    const text = out.join('\r\n') + '\r\n\r\n' + body;
    const key = branch + (cancel ? ':c' : '');
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this._tx.delete(key);
        resolve(responseResult(null, { code: 408, reason: 'Request Timeout (no response)', timeout: true, sent: text }));
      }, timeoutMs || this.opts.timeoutMs);
      this._tx.set(key, {
        fail: (reason) => {
          clearTimeout(timer);
          this._tx.delete(key);
          resolve(responseResult(null, { reason, sent: text }));
        },
        onResponse: (msg) => {
          if (msg.status < 200) {
            if (onProvisional) onProvisional(msg);
            return;
          }
          clearTimeout(timer);
          this._tx.delete(key);
          resolve(responseResult(msg, { sent: text }));
        },
      });
      if (!this.socket.send(text)) {
        clearTimeout(timer);
        this._tx.delete(key);
        resolve(responseResult(null, { reason: 'WebSocket not connected', sent: text }));
      }
    });
  }

  _reply(req, code, reason, { toTag, contact = false, copyRR = false, extraHeaders = [], body = '', contentType = null } = {}) {
    const lines = [`SIP/2.0 ${code} ${reason}`];
    for (const v of req.headerLines('via')) lines.push(`Via: ${v}`);
    if (copyRR) for (const v of req.headerLines('record-route')) lines.push(`Record-Route: ${v}`);
    lines.push(`From: ${req.header('from')}`);
    let to = req.header('to');
    if (toTag && !tagOf(to)) to += `;tag=${toTag}`;
    lines.push(`To: ${to}`);
    lines.push(`Call-ID: ${req.callId}`);
    lines.push(`CSeq: ${req.header('cseq')}`);
    if (contact) lines.push(`Contact: <${this.contactUri}>`);
    lines.push('Allow: INVITE,ACK,CANCEL,BYE,UPDATE,MESSAGE,OPTIONS,INFO,NOTIFY');
    lines.push(...extraHeaders);
    if (contentType) lines.push(`Content-Type: ${contentType}`);
    lines.push(`Content-Length: ${Buffer.byteLength(body || '')}`);
    this.socket.send(lines.join('\r\n') + '\r\n\r\n' + (body || ''));
  }

  // ---- registration

  _contactValue(expires) {
    return `<${this.contactUri}>;+sip.ice;reg-id=1;+sip.instance="<urn:uuid:${this.instanceId}>";expires=${expires}`;
  }

  _jwtBody(token) {
    if (this.opts.bodyFormat === 'multipart') {
      const b = `wic${rnd(6)}`;
      const body = [
        `--${b}`,
        'Content-Type: application/json',
        '',
        '{"client":"ims_wic tests"}',
        `--${b}`,
        'Content-Type: application/jwt',
        '',
        token,
        `--${b}--`,
        '',
      ].join('\r\n');
      return { body, contentType: `multipart/mixed;boundary=${b}` };
    }
    return { body: token, contentType: 'application/jwt' };
  }

  _waitReg(callId, cseq, t) {
    const d = deferred();
    this._pendingReg = { callId, cseq, resolve: d.resolve };
    const timer = setTimeout(() => {
      if (this._pendingReg && this._pendingReg.resolve === d.resolve) {
        this._pendingReg = null;
        d.resolve(responseResult(null, { code: 408, reason: 'Request Timeout (no response)', timeout: true }));
      }
    }, t);
    return d.promise.finally(() => clearTimeout(timer));
  }

  async _rawRegister({ expires = this.opts.registerExpires, extraHeaders = [], contact, body, contentType, token, all = false } = {}) {
    const tok = token === undefined ? this.token : token;
    if (this.ua) this.regCallId = this.ua._registrator._call_id;
    this.regCseq = Math.max(this.regCseq, this._jssipCseq()) + 1;
    if (this.ua) this.ua._registrator._cseq = this.regCseq;   // keep JsSIP's CSeq ahead
    const branch = `z9hG4bK${rnd(8)}`;
    const lines = [
      `REGISTER sip:${this.domain} SIP/2.0`,
      this._via(branch),
      'Max-Forwards: 69',
      `To: <${this.impu}>`,
      this._fromHeader(rnd(5)),
      `Call-ID: ${this.regCallId}`,
      `CSeq: ${this.regCseq} REGISTER`,
      all ? 'Contact: *' : `Contact: ${contact || this._contactValue(expires)}`,
      `Expires: ${expires}`,
      'Allow: INVITE,ACK,CANCEL,BYE,UPDATE,MESSAGE,OPTIONS,INFO,NOTIFY',
      'Supported: path,gruu,outbound',
      `User-Agent: ${this.opts.userAgent || 'ims_wic-test raw'}`,
      ...extraHeaders,
    ];
    let b = body || '';
    let ct = contentType || null;
    if (body === undefined && tok && this.opts.authMode === 'body') {
      ({ body: b, contentType: ct } = this._jwtBody(tok));
    } else if (tok && this.opts.authMode !== 'body') {
      lines.push(`Authorization: Bearer ${tok}`);
    }
    const wait = this._waitReg(this.regCallId, this.regCseq, this.opts.timeoutMs);
    const r = await this._sendTx(lines, { branch, body: b, contentType: ct, timeoutMs: this.opts.timeoutMs + 1000 });
    if (r.code === 0) {
      this._pendingReg = null;
      return r;
    }
    return wait;
  }

  // resolve every pending transaction/registration (connection gone)
  _failAll(reason) {
    for (const tx of [...this._tx.values()]) tx.fail(reason);
    if (this._pendingReg) {
      const p = this._pendingReg;
      this._pendingReg = null;
      p.resolve(responseResult(null, { reason }));
    }
  }

  _jssipCseq() {
    return this.ua && this.ua._registrator ? this.ua._registrator._cseq : 0;
  }

  async register(opts = {}) {
    const c = await this.connect();
    if (!c.opened) {
      return responseResult(null, {
        reason: c.upgradeStatus ? `WebSocket upgrade refused: ${c.upgradeStatus}` : `WebSocket connect failed: ${c.error && c.error.message}`,
        upgradeStatus: c.upgradeStatus,
      });
    }
    if (this.engine === 'raw' || Object.keys(opts).length) return this._rawRegister(opts);
    const reg = this.ua._registrator;
    this.regCallId = reg._call_id;
    const wait = this._waitReg(reg._call_id, reg._cseq + 1, this.opts.timeoutMs);
    this.ua.register();
    return wait;
  }

  async unregister({ all = false } = {}) {
    if (!this.socket.isConnected()) return responseResult(null, { reason: 'WebSocket not connected' });
    if (this.engine === 'jssip' && this.ua.isRegistered()) {
      const reg = this.ua._registrator;
      const wait = this._waitReg(reg._call_id, reg._cseq + 1, this.opts.timeoutMs);
      this.ua.unregister({ all });
      return wait;
    }
    return this._rawRegister({ expires: 0, all, contact: all ? undefined : this._contactValue(0) });
  }

  // ---- calls

  startCall(target, { extraHeaders = [], sdp, body, contentType, timeoutMs = 30000, routes = [] } = {}) {
    const callId = rnd(10);
    const fromTag = rnd(5);
    const branch = `z9hG4bK${rnd(8)}`;
    const b = body !== undefined ? body : (sdp === undefined ? fakeSdp('wic-offer') : sdp);
    const ct = body !== undefined ? (contentType || null) : (b ? 'application/sdp' : null);
    const lines = [
      `INVITE ${target} SIP/2.0`,
      this._via(branch),
      'Max-Forwards: 69',
      `To: <${target}>`,
      this._fromHeader(fromTag),
      `Call-ID: ${callId}`,
      'CSeq: 1 INVITE',
      ...routes.map((r) => `Route: ${r}`),
      `Contact: <${this.contactUri};ob>`,
      'Allow: INVITE,ACK,CANCEL,BYE,UPDATE,MESSAGE,OPTIONS,INFO,NOTIFY',
      'Supported: ice,replaces,outbound',
      ...extraHeaders,
    ];
    const textPreview = lines.join('\r\n') + '\r\n\r\n';
    const call = new Call(this, { target, invite: null, inviteMsg: parseSip(textPreview), branch, callId, fromTag, cseq: 1, routes });
    this._calls.set(callId, call);
    call.final = this._sendTx(lines, {
      branch,
      body: b,
      contentType: ct,
      timeoutMs,
      onProvisional: (m) => call.provisional.push(m),
    }).then((r) => {
      call.invite = r.sent;
      call.response = r.message;
      call.result = r;
      call.code = r.code;
      call.reason = r.reason;
      if (r.message && r.code >= 200 && r.code < 300) {
        call.ok = true;
        call.dialog = {
          remoteTarget: uriOf(r.message.header('contact')),
          routeSet: r.message.headerAll('record-route').reverse(),
          localUri: `<${this.impu}>;tag=${fromTag}`,
          remoteUri: r.message.header('to'),
          localSeq: 1,
        };
        this._sendAck(call, r.message);
      } else if (r.message && r.code >= 300) {
        // non-2xx: ACK hop by hop, same branch
        const ack = [
          `ACK ${target} SIP/2.0`,
          call.inviteMsg.headerLines('via').map((v) => `Via: ${v}`)[0],
          'Max-Forwards: 70',
          `To: ${r.message.header('to')}`,
          this._fromHeader(fromTag),
          `Call-ID: ${callId}`,
          'CSeq: 1 ACK',
          ...routes.map((x) => `Route: ${x}`),
          'Content-Length: 0',
        ];
        this.socket.send(ack.join('\r\n') + '\r\n\r\n');
      }
      return call;
    });
    return call;
  }

  async call(target, opts = {}) {
    const call = this.startCall(target, opts);
    return call.final;
  }

  _sendAck(call, resp) {
    const d = call.dialog;
    const lines = [
      `ACK ${d.remoteTarget} SIP/2.0`,
      this._via(`z9hG4bK${rnd(8)}`),
      'Max-Forwards: 70',
      ...d.routeSet.map((r) => `Route: ${r}`),
      `To: ${resp.header('to')}`,
      `From: ${d.localUri}`,
      `Call-ID: ${call.callId}`,
      `CSeq: ${resp.cseq.num} ACK`,
      'Content-Length: 0',
    ];
    this.socket.send(lines.join('\r\n') + '\r\n\r\n');
  }

  _sendInDialog(dlgOwner, method, { extraHeaders = [], body = '', contentType = null } = {}) {
    const d = dlgOwner.dialog;
    d.localSeq += 1;
    const branch = `z9hG4bK${rnd(8)}`;
    const lines = [
      `${method} ${d.remoteTarget} SIP/2.0`,
      this._via(branch),
      'Max-Forwards: 70',
      ...d.routeSet.map((r) => `Route: ${r}`),
      `To: ${d.remoteUri}`,
      `From: ${d.localUri}`,
      `Call-ID: ${dlgOwner.callId}`,
      `CSeq: ${d.localSeq} ${method}`,
      ...extraHeaders,
    ];
    return this._sendTx(lines, { branch, body, contentType });
  }

  // Out-of-dialog non-INVITE request (MESSAGE, OPTIONS, ...).
  request(method, target, { extraHeaders = [], body = '', contentType = null, timeoutMs } = {}) {
    const branch = `z9hG4bK${rnd(8)}`;
    const lines = [
      `${method} ${target} SIP/2.0`,
      this._via(branch),
      'Max-Forwards: 69',
      `To: <${target}>`,
      this._fromHeader(rnd(5)),
      `Call-ID: ${rnd(10)}`,
      `CSeq: 1 ${method}`,
      ...extraHeaders,
    ];
    return this._sendTx(lines, { branch, body, contentType: body ? (contentType || 'text/plain') : null, timeoutMs });
  }

  // ---- incoming

  onIncoming(handler) {
    this._incomingHandler = handler;
  }

  waitForIncoming(t = DEFAULT_TIMEOUT) {
    if (this._incomingQ.length) return Promise.resolve(this._incomingQ.shift());
    const d = deferred();
    this._incomingWaiters.push(d.resolve);
    return withTimeout(d.promise, t, 'an incoming INVITE').finally(() => {
      const i = this._incomingWaiters.indexOf(d.resolve);
      if (i >= 0) this._incomingWaiters.splice(i, 1);
    });
  }

  _onRequest(msg) {
    const existing = this._calls.get(msg.callId);
    switch (msg.method) {
      case 'INVITE': {
        if (msg.toTag) {                // re-INVITE: accept with our SDP
          this._reply(msg, 200, 'OK', { contact: true, body: fakeSdp('wic-reinvite'), contentType: 'application/sdp' });
          return;
        }
        if (existing instanceof IncomingCall) return;   // retransmission
        const inc = new IncomingCall(this, msg);
        this._calls.set(msg.callId, inc);
        if (this._incomingWaiters.length) this._incomingWaiters.shift()(inc);
        else this._incomingQ.push(inc);
        if (this._incomingHandler) {
          Promise.resolve().then(() => this._incomingHandler(inc)).catch((e) => {
            if (!inc.finalCode) inc.reject(500, `Handler error ${e.message}`.slice(0, 60));
          });
        } else if (this.opts.autoAnswer) {
          inc.ring();
          inc.answer();
        }
        return;
      }
      case 'ACK':
        if (existing instanceof IncomingCall) existing._ack.resolve(msg);
        return;
      case 'BYE':
        if (existing) {
          this._reply(msg, 200, 'OK', {});
          existing._byeRx.resolve(msg);
        } else {
          this._reply(msg, 481, 'Call/Transaction Does Not Exist', {});
        }
        return;
      case 'CANCEL':
        if (existing instanceof IncomingCall) {
          this._reply(msg, 200, 'OK', {});
          if (!existing.finalCode) {
            existing.finalCode = 487;
            this._reply(existing.request, 487, 'Request Terminated', { toTag: existing.localTag });
          }
          existing._cancel.resolve(msg);
        } else {
          this._reply(msg, 481, 'Call/Transaction Does Not Exist', {});
        }
        return;
      case 'OPTIONS':
      case 'MESSAGE':
      case 'NOTIFY':
      case 'UPDATE':
      case 'INFO':
        this._reply(msg, 200, 'OK', { contact: msg.method !== 'MESSAGE' });
        return;
      default:
        this._reply(msg, 405, 'Method Not Allowed', {});
    }
  }

  // ---- teardown

  // Drop the WebSocket (no un-REGISTER), like a closed browser tab.
  async close({ abrupt = false } = {}) {
    const closed = await this.socket.drop({ abrupt });
    if (this.ua) {
      try { this.ua.stop(); } catch { /* ignore */ }
    }
    this._failAll('WebSocket closed by the test');
    return closed;
  }
}

function createWic(opts) {
  return new Wic(opts);
}

module.exports = { createWic, openRawWs, connectWs, parseSip, fakeSdp, WicSocket, Wic, uriOf };
