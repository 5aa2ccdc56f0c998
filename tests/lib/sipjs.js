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
//   const u = await w.unregister();   // SIP.js sends no token here (only the
//                                     // headers given to unregister(), none)
//   w.registerer.state                // 'Registered', 'Unregistered', ...
//   w.sent                            // every SIP message SIP.js sent (text)
//   await w.stop();

const WebSocket = require('ws');

// Options of the UA whose transport is being created: SIP.js calls
// `new WebSocket(server, "sip")` synchronously inside UserAgent.start().
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
  }
}

// The final answer to one REGISTER of the registerer (accept or reject).
function finalAnswer(start) {
  return new Promise((resolve, reject) => {
    const done = (response) => resolve(response.message);
    start({ requestDelegate: { onAccept: done, onReject: done, onRedirect: done } }).catch(reject);
  });
}

async function createSipJsWic({ url, origin, impu, token, expires = 600, tls } = {}) {
  const SIP = await import('sip.js');
  const sent = [];
  globalThis.WebSocket = OriginWebSocket;
  const ua = new SIP.UserAgent({
    uri: SIP.UserAgent.makeURI(impu),
    transportOptions: { server: url },
    logLevel: 'error',
    logBuiltinEnabled: false,
  });
  connecting = { origin, tls, sent };
  try {
    await ua.start();
  } finally {
    connecting = null;
  }
  // the token goes with every register() (and its refreshes), as a WWSF
  // page passes it; unregister() sends only what it is given
  const registerer = new SIP.Registerer(ua, {
    expires,
    extraHeaders: token ? [`Authorization: Bearer ${token}`] : [],
  });
  return {
    SIP,
    ua,
    registerer,
    sent,
    register: () => finalAnswer((o) => registerer.register(o)),
    unregister: () => finalAnswer((o) => registerer.unregister(o)),
    stop: () => ua.stop(),
  };
}

module.exports = { createSipJsWic };
