// SPDX-License-Identifier: GPL-2.0-or-later
// Copyright (C) 2026 the ims_wic authors
'use strict';
// Issue 13 (connection end): however a WIC's connection ends, its bindings
// are gone within the bound docs/admin-guide.md states ("When a connection
// ends"), and a terminating call to its identity then gets 480. Real WSS on
// the WIC side, with the raw TCP socket under the TLS in the test's hands
// (RST, FIN, a peer that stops reading); sipp through the IMS Core
// stand-in, or INVITEs straight from the IMS Core address, on the IMS side.
// The WebSocket keepalive and the TCP send timeout are lowered by defines,
// and the sweep interval is raised above every bound, so that each bound
// is met by the close path of its own way, not by the sweep
// (connection-sweep.test.js shows the sweep).
const test = require('../lib/test');
const assert = require('node:assert');
const net = require('node:net');
const tls = require('node:tls');
const dgram = require('node:dgram');
const crypto = require('node:crypto');
const WebSocket = require('ws');
const { startEnv, demoOnlyProvisioning } = require('../lib/env');
const { SipWs } = require('../lib/sipws');
const { runSipp } = require('../lib/sipp');
const { pollUntil } = require('../lib/common');

const WSS = 'wss://127.0.0.1:8443';
const ORIGIN = 'http://127.0.0.1:8000';
const IMS_CORE = '127.0.0.1:5070';

// kamailio.cfg defines of this run, s
const WS_KEEPALIVE_TIMEOUT = 2;
const WS_KEEPALIVE_INTERVAL = 1;
const TCP_SEND_TIMEOUT = 2;
const CONN_SWEEP_INTERVAL = 60;

// The bounds of docs/admin-guide.md ("When a connection ends") with these
// defines, s.
const BOUND = {
  closeFrame: 1,
  fin: 1,
  rst: 1,
  // from the peer's last frame either way: a ping at the first keepalive
  // walk after WS_KEEPALIVE_TIMEOUT, the close at the first walk after it
  // was unanswered as long again, the close event within 3 s
  keepalive: 2 * WS_KEEPALIVE_TIMEOUT + 2 * WS_KEEPALIVE_INTERVAL + 3,
  epcscfClose: 1,
  // the close frame renews the idle time; the keepalive closes a closing
  // connection idle as long
  epcscfCloseIgnored: WS_KEEPALIVE_TIMEOUT + WS_KEEPALIVE_INTERVAL + 2,
};

let env;
test.before(async () => {
  env = await startEnv({
    name: 'conn-end', provisioning: demoOnlyProvisioning(),
    epcscfDefines: { WS_KEEPALIVE_TIMEOUT, WS_KEEPALIVE_INTERVAL, TCP_SEND_TIMEOUT, CONN_SWEEP_INTERVAL },
  });
});
test.after(async () => { if (env) await env.stop(); });

// A WIC over WSS whose TCP socket the test holds (ua.raw): the TLS runs on
// it, so that the test can reset it or shut down its sending side. Its
// connection is dropped after the test t, whatever the outcome (registered
// before anything is asserted).
function connectWic(t) {
  let raw;
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(WSS, 'sip', {
      origin: ORIGIN, rejectUnauthorized: false, handshakeTimeout: 5000,
      createConnection: (opts) => {
        raw = net.connect({ host: opts.host, port: opts.port });
        return tls.connect({ ...opts, path: undefined, servername: '', socket: raw });
      },
    });
    t.after(() => {
      ws.terminate();
      if (raw) raw.destroy();
    });
    ws.once('error', reject);
    ws.once('open', () => {
      const ua = new SipWs(ws);
      ua.raw = raw;
      resolve(ua);
    });
  });
}

async function registeredWic(t, impu) {
  const ua = await connectWic(t);
  const r = await ua.register({ impu, token: env.mint({ impu: [impu] }), expires: 3600 });
  assert.strictEqual(r.status, 200, r.raw);
  const [b] = await env.waitBindings(impu, 1);
  ua.connId = Number(b.conn_id);
  return ua;
}

// Polls the binding table until impu has no binding; fails after bound
// seconds (and a margin for the polling itself). Resolves with the time
// it took, ms.
async function goneWithin(impu, since, boundS, t) {
  await pollUntil(async () => (await env.bindings(impu)).length === 0,
    { timeoutMs: boundS * 1000 + 500, intervalMs: 100, what: `no binding of ${impu} within ${boundS} s` });
  const ms = Date.now() - since;
  t.diagnostic(`bindings of ${impu} gone after ${ms} ms (bound ${boundS} s)`);
  return ms;
}

// A terminating call from the IMS side to impu gets 480.
async function call480(impu, name) {
  const r = await runSipp({ scenario: 'uac-expect.xml', target: IMS_CORE, service: impu.slice(4),
    keys: { from: 'sip:carol@ims.lab', expect: '480', reason: '' }, name, timeoutS: 15 });
  assert.strictEqual(r.code, 0, r.trace);
}

const statSwept = async () => Number((await env.stats()).bindings_swept);

test('close frame: bindings gone within the bound, then 480', async (t) => {
  const impu = 'sip:democlose@wwsf.lab';
  const ua = await registeredWic(t, impu);
  const since = Date.now();
  ua.ws.close(1000);
  await goneWithin(impu, since, BOUND.closeFrame, t);
  await call480(impu, 'conn-end-close');
});

test('FIN without a close frame: bindings gone within the bound, then 480', async (t) => {
  const impu = 'sip:demofin@wwsf.lab';
  const ua = await registeredWic(t, impu);
  const since = Date.now();
  ua.raw.end();
  await goneWithin(impu, since, BOUND.fin, t);
  await call480(impu, 'conn-end-fin');
});

test('RST: bindings gone within the bound, then 480', async (t) => {
  const impu = 'sip:demorst@wwsf.lab';
  const ua = await registeredWic(t, impu);
  const since = Date.now();
  ua.raw.resetAndDestroy();
  await goneWithin(impu, since, BOUND.rst, t);
  await call480(impu, 'conn-end-rst');
});

test('a silent peer that stops answering pings: bindings gone within the keepalive bound, then 480', async (t) => {
  const impu = 'sip:demosilent@wwsf.lab';
  const ua = await registeredWic(t, impu);
  // stops reading: no ping is read, so none is answered; its TCP stays up
  ua.ws.pause();
  const since = Date.now();
  await goneWithin(impu, since, BOUND.keepalive, t);
  await call480(impu, 'conn-end-silent');
});

// INVITEs from the IMS Core address straight to the eP-CSCF, each with a
// large body, every 20 ms until stop() (at most max): enough to fill the
// socket buffers of a peer that reads nothing.
function inviteFlood(impu, { bodyBytes = 30000, max = 400 } = {}) {
  const s = dgram.createSocket('udp4');
  let sent = 0;
  let timer;
  const ready = new Promise((resolve) => s.bind(0, '127.0.0.1', resolve));
  s.on('message', () => {});
  const body = `v=0\r\no=ims 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n`
    + `m=audio 40000 RTP/AVP 0\r\na=x-pad:${'p'.repeat(bodyBytes)}\r\n`;
  const one = () => {
    if (sent >= max) return;
    sent++;
    const local = `127.0.0.1:${s.address().port}`;
    s.send([`INVITE ${impu} SIP/2.0`,
      `Via: SIP/2.0/UDP ${local};branch=z9hG4bK${crypto.randomBytes(6).toString('hex')};rport`,
      'Max-Forwards: 70', `To: <${impu}>`, `From: <sip:carol@ims.lab>;tag=${sent}`,
      `Call-ID: ${crypto.randomUUID()}`, 'CSeq: 1 INVITE', `Contact: <sip:carol@${local}>`,
      'Content-Type: application/sdp', `Content-Length: ${Buffer.byteLength(body)}`, '', body].join('\r\n'),
    5060, '127.0.0.1');
  };
  const started = ready.then(() => { one(); timer = setInterval(one, 20); });
  return {
    started,
    bytes: Buffer.byteLength(body),
    get sent() { return sent; },
    stop() { clearInterval(timer); try { s.close(); } catch { /* closed */ } },
  };
}

// While INVITEs are written to it, a peer that reads nothing is never idle
// for the keepalive (each frame sent renews its time), so only the write
// can find it: once the socket buffers are full, more than 32 KB waiting
// (tcp_conn_wq_max) fails the write at once, less fails after
// TCP_SEND_TIMEOUT. The bound is the keepalive's, from when it stopped
// reading; the log must show that the write found it.
test('a peer that stops reading while INVITEs are written to it: the write fails, bindings gone within the bound, then 480', async (t) => {
  const impu = 'sip:demostuck@wwsf.lab';
  const ua = await registeredWic(t, impu);
  const mark = env.epcscf.logMark();
  ua.ws.pause();
  const since = Date.now();
  const flood = inviteFlood(impu);
  t.after(() => flood.stop());
  await flood.started;
  await goneWithin(impu, since, BOUND.keepalive, t);
  flood.stop();
  t.diagnostic(`${flood.sent} INVITEs of ${flood.bytes} bytes sent`);
  assert.ok(env.epcscf.logContains(/write queue full or timeout|wr\. timeout/, { from: mark }),
    'the log shows no failed write');
  await call480(impu, 'conn-end-stuck');
});

test('the eP-CSCF closes the WebSocket (ws.close): bindings gone within the bound, then 480', async (t) => {
  const impu = 'sip:demokick@wwsf.lab';
  const ua = await registeredWic(t, impu);
  const since = Date.now();
  await env.epcscf.rpc('ws.close', ua.connId);
  await goneWithin(impu, since, BOUND.epcscfClose, t);
  await call480(impu, 'conn-end-kick');
});

test('the eP-CSCF closes the WebSocket of a peer that ignores the close frame: bindings gone within the bound, then 480', async (t) => {
  const impu = 'sip:demodeaf@wwsf.lab';
  const ua = await registeredWic(t, impu);
  ua.ws.pause();
  const since = Date.now();
  await env.epcscf.rpc('ws.close', ua.connId);
  await goneWithin(impu, since, BOUND.epcscfCloseIgnored, t);
  await call480(impu, 'conn-end-deaf');
});

test('no binding above was left to the sweep', async () => {
  assert.strictEqual(await statSwept(), 0);
});
