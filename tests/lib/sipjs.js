// SPDX-License-Identifier: GPL-2.0-or-later
// Copyright (C) 2026 the ims_wic authors
'use strict';
// SIP.js 0.21.2 (the second browser SIP stack WICs use, pinned in
// package.json) running in Node for tests. SIP.js speaks through the
// browser's global WebSocket; Node has none we can give an Origin header
// to, so the global is the `ws` package's WebSocket with the WIC's Origin
// and TLS options (rejectUnauthorized:false for the self-signed lab
// certificate; the TLS handshake itself is real).
//
//   const { createSipJsWic } = require('../lib/sipjs');
//   const w = await createSipJsWic({ url, origin, impu, token, expires });
//   const r = await w.register();     // r.statusCode, r.reasonPhrase, r.getHeader(name)
//   const r2 = await w.register({ token });   // this token from now on
//   const u = await w.unregister();   // SIP.js sends no token here (only the
//                                     // headers given to unregister(), none)
//   w.registerer.state                // 'Registered', 'Unregistered', ...
//   w.sent, w.received                // every SIP message SIP.js sent / got (text)
//   await w.stop();                   // bounded, idempotent
//
// Calls. There is no WebRTC in Node: the media layer is a test double
// (staticSdhFactory: a SessionDescriptionHandler that offers and answers
// one static audio SDP); the signalling is SIP.js's own.
//
//   const inv = await w.nextInvitation(10000);   // an incoming INVITE (SIP.js Invitation)
//   inv.request                                    // its IncomingRequestMessage
//   await inv.accept();                            // 200 with the static SDP
//   await w.sessionEnded(inv, 10000);              // state Terminated (e.g. BYE received)
//   const { inviter, response } = await w.call('sip:bob@ims.lab');   // final response
//   const bye = await w.hangUp(inviter);           // the final response to BYE
//
// Connections.
//
//   w.socket                          // the current `ws` WebSocket
//   await w.drop();                   // the TCP connection dropped, no close
//                                     // handshake; resolves once SIP.js saw it
//   const old = await w.lose();       // SIP.js sees its WebSocket close, the
//                                     // TCP connection stays open (a network
//                                     // change the eP-CSCF has not noticed
//                                     // yet); old.terminate() ends it later
//   await w.ua.reconnect();           // SIP.js opens a new WebSocket (same
//                                     // Origin): UserAgent.reconnect(), what
//                                     // SIP.js 0.21 asks an application to call
//                                     // from delegate.onDisconnect(error)

const WebSocket = require('ws');
const { within } = require('./common');

// Options of the UA whose transport is connecting: SIP.js calls
// `new WebSocket(server, "sip")` synchronously inside Transport.connect()
// (UserAgent.start() and UserAgent.reconnect()).
let connecting = null;

class OriginWebSocket extends WebSocket {
  constructor(url, protocols) {
    const o = connecting || {};
    super(url, protocols, { origin: o.origin, rejectUnauthorized: false, ...(o.tls || {}) });
    if (o.sent) {
      const send = this.send.bind(this);
      this.send = (data, ...rest) => {
        o.sent.push(String(data));
        return send(data, ...rest);
      };
    }
    if (o.received) this.on('message', (data) => o.received.push(String(data)));
    if (o.sockets) o.sockets.push(this);
  }
}

// The final answer to one REGISTER of the registerer (accept or reject).
function finalAnswer(start) {
  return new Promise((resolve, reject) => {
    const done = (response) => resolve(response.message);
    start({ requestDelegate: { onAccept: done, onReject: done, onRedirect: done } }).catch(reject);
  });
}

// One static audio SDP, as offer and as answer.
function staticSdp(name = 'sipjs') {
  return ['v=0', `o=${name} 1 1 IN IP4 192.0.2.1`, 's=-', 'c=IN IP4 192.0.2.1', 't=0 0',
    'm=audio 40000 RTP/AVP 0', 'a=rtpmap:0 PCMU/8000', ''].join('\r\n');
}

// SessionDescriptionHandler test double: getDescription() gives the static
// SDP, setDescription() keeps what the peer sent (sdh.remote).
class StaticSessionDescriptionHandler {
  constructor(sdp) {
    this.sdp = sdp;
    this.remote = undefined;
    this.closed = false;
  }

  close() { this.closed = true; }

  getDescription() { return Promise.resolve({ body: this.sdp, contentType: 'application/sdp' }); }

  hasDescription(contentType) { return contentType === 'application/sdp'; }

  setDescription(sdp) {
    this.remote = sdp;
    return Promise.resolve();
  }

  sendDtmf() { return false; }
}

function staticSdhFactory(sdp = staticSdp()) {
  return () => new StaticSessionDescriptionHandler(sdp);
}

async function createSipJsWic({ url, origin, impu, token, expires = 600, tls } = {}) {
  const SIP = await import('sip.js');
  const sent = [];
  const received = [];
  const sockets = [];
  const opts = { origin, tls, sent, received, sockets };
  globalThis.WebSocket = OriginWebSocket;

  // this UA's transport: every connect() (start, reconnect) builds its
  // WebSocket with this UA's Origin and TLS options
  class OriginTransport extends SIP.Web.Transport {
    connect() {
      connecting = opts;
      try {
        return super.connect();
      } finally {
        connecting = null;
      }
    }
  }

  // incoming INVITEs, in order, for nextInvitation()
  const invitations = [];
  const waiters = [];
  let taken = 0;
  // transport disconnections (error or not), for drop()
  const disconnects = [];
  let onDisconnect = null;

  const ua = new SIP.UserAgent({
    uri: SIP.UserAgent.makeURI(impu),
    transportConstructor: OriginTransport,
    transportOptions: { server: url },
    sessionDescriptionHandlerFactory: staticSdhFactory(),
    logLevel: 'error',
    logBuiltinEnabled: false,
    delegate: {
      onInvite: (invitation) => {
        invitations.push(invitation);
        while (waiters.length && taken < invitations.length) waiters.shift()(invitations[taken++]);
      },
      onDisconnect: (error) => {
        disconnects.push(error);
        if (onDisconnect) onDisconnect(error);
      },
    },
  });
  await ua.start();
  // the token goes with every register() (and its refreshes), as a WWSF
  // page passes it; unregister() sends only what it is given
  const registerer = new SIP.Registerer(ua, {
    expires,
    extraHeaders: token ? [`Authorization: Bearer ${token}`] : [],
  });

  let stopped = false;
  const w = {
    SIP,
    ua,
    registerer,
    sent,
    received,
    sockets,
    invitations,
    disconnects,
    get socket() { return ua.transport.ws; },
    register: ({ token: t } = {}) => finalAnswer((o) => registerer.register(
      t ? { ...o, requestOptions: { extraHeaders: [`Authorization: Bearer ${t}`] } } : o)),
    unregister: () => finalAnswer((o) => registerer.unregister(o)),

    // The next incoming INVITE not yet taken, within ms.
    nextInvitation(ms = 10000) {
      if (taken < invitations.length) return Promise.resolve(invitations[taken++]);
      return within(new Promise((resolve) => waiters.push(resolve)), ms, 'an INVITE at SIP.js');
    },

    // Resolves once the session is Terminated (at once if it is), within ms.
    sessionEnded(session, ms = 10000) {
      if (session.state === SIP.SessionState.Terminated) return Promise.resolve();
      return within(new Promise((resolve) => {
        session.stateChange.addListener((s) => { if (s === SIP.SessionState.Terminated) resolve(); });
      }), ms, 'the end of the SIP.js session');
    },

    // An outgoing call; resolves with the final response to the INVITE
    // (after SIP.js has ACKed a 2xx).
    async call(target, { extraHeaders = [], ms = 10000 } = {}) {
      const inviter = new SIP.Inviter(ua, SIP.UserAgent.makeURI(target), { extraHeaders });
      const response = await within(new Promise((resolve, reject) => {
        inviter.invite({
          requestDelegate: {
            onAccept: (r) => resolve(r.message),
            onReject: (r) => resolve(r.message),
            onRedirect: (r) => resolve(r.message),
          },
        }).catch(reject);
      }), ms, `the final response to the INVITE to ${target}`);
      return { inviter, response };
    },

    // BYE from SIP.js; resolves with its final response.
    hangUp(session, ms = 10000) {
      return within(new Promise((resolve, reject) => {
        session.bye({
          requestDelegate: { onAccept: (r) => resolve(r.message), onReject: (r) => resolve(r.message) },
        }).catch(reject);
      }), ms, 'the final response to the BYE of SIP.js');
    },

    // The TCP connection dropped without a close handshake (as a network
    // loss does); resolves once SIP.js's transport reported the disconnect.
    async drop(ms = 5000) {
      const seen = new Promise((resolve) => { onDisconnect = resolve; });
      const ws = ua.transport.ws;
      if (!ws) throw new Error('SIP.js has no WebSocket to drop');
      ws.terminate();
      try {
        return await within(seen, ms, 'SIP.js to see its WebSocket drop');
      } finally {
        onDisconnect = null;
      }
    },

    // SIP.js is told its WebSocket closed unexpectedly (the close event
    // of the `ws` object, code 1006) while the TCP connection stays open:
    // what a WIC sees when its network goes away before the eP-CSCF has
    // noticed. Resolves with that socket once SIP.js reported the
    // disconnect; stop() ends it if the test does not.
    async lose(ms = 5000) {
      const seen = new Promise((resolve) => { onDisconnect = resolve; });
      const ws = ua.transport.ws;
      if (!ws) throw new Error('SIP.js has no WebSocket to lose');
      ws.emit('close', 1006, Buffer.alloc(0));
      try {
        await within(seen, ms, 'SIP.js to see its WebSocket close');
      } finally {
        onDisconnect = null;
      }
      return ws;
    },

    // Bounded and idempotent: SIP.js's own graceful stop (un-REGISTER, BYE
    // of live sessions, WebSocket close) for up to ms, then every socket is
    // dropped whatever SIP.js still waits for.
    async stop(ms = 5000) {
      if (stopped) return;
      stopped = true;
      try {
        await within(ua.stop(), ms, 'SIP.js UserAgent.stop()');
      } catch { /* dropped below */ } finally {
        for (const s of sockets) {
          if (s.readyState !== WebSocket.CLOSED) s.terminate();
        }
      }
    },
  };
  return w;
}

module.exports = { createSipJsWic, staticSdhFactory, staticSdp, StaticSessionDescriptionHandler };
