// SPDX-License-Identifier: GPL-2.0-or-later
// Copyright (C) 2026 the ims_wic authors
'use strict';
// Issue 12: flood and exhaustion control of the WIC side, with the limits
// of kamailio.cfg lowered so that a test reaches them: WebSocket upgrades
// per source and window (htable), SIP requests per source (pike), and
// upgraded connections that register nothing in time (closed). Refusals are
// counted (statistics module, group script) and logged at INFO at most once
// per kind and 10 s.
const test = require('../lib/test');
const assert = require('node:assert');
const { startEnv } = require('../lib/env');
const { SipWs } = require('../lib/sipws');
const net = require('node:net');
const { pollUntil } = require('../lib/common');

const WSS = 'wss://127.0.0.1:8443';
const ORIGIN = 'http://127.0.0.1:8000';
const UPGRADE_LIMIT = 5;
const REQUEST_LIMIT = 10;
const REGISTER_WITHIN = 2;
const TCP_IDLE_LIFETIME = 3;

let env;
test.before(async () => {
  env = await startEnv({ name: 'limits', epcscfDefines: {
    UPGRADE_LIMIT, UPGRADE_WINDOW: 3600, REQUEST_LIMIT, REGISTER_WITHIN, TCP_IDLE_LIFETIME } });
});
test.after(async () => { if (env) await env.stop(); });

const scriptStat = (name) => env.scriptStat(name);

const logLines = (re, from) => env.epcscf.log().slice(from).split('\n').filter((l) => re.test(l));

// Order matters: the idle test runs first, while this source may still
// upgrade; the upgrade flood test uses up the window for the rest.
test('an upgraded connection that registers nothing in time is closed; a registered one stays', async (t) => {
  const before = await scriptStat('wic_closed_unregistered');
  const idle = await SipWs.connect({ url: WSS, origin: ORIGIN });
  const busy = await SipWs.connect({ url: WSS, origin: ORIGIN });
  t.after(() => Promise.all([idle.close(), busy.close()]));
  const impu = 'sip:demobusy@wwsf.lab';
  const r = await busy.register({ impu, token: env.mint({ impu: [impu] }), expires: 600 });
  assert.strictEqual(r.status, 200, r.raw);
  let closedAt = null;
  const opened = Date.now();
  idle.closed.then(() => { closedAt = Date.now(); });
  await pollUntil(() => closedAt !== null, { timeoutMs: (REGISTER_WITHIN + 5) * 1000, what: 'the idle connection closed' });
  assert.ok(closedAt - opened >= (REGISTER_WITHIN - 1) * 1000, `closed after ${closedAt - opened} ms`);
  assert.strictEqual(await scriptStat('wic_closed_unregistered'), before + 1);
  // the registered connection outlived the idle one and still works
  assert.strictEqual(busy.ws.readyState, 1);
  assert.strictEqual((await env.bindings(impu)).length, 1);
  const again = await busy.register({ impu, token: env.mint({ impu: [impu] }), expires: 600 });
  assert.strictEqual(again.status, 200);
});

test('TCP and TLS connections that never become a WebSocket are closed after TCP_IDLE_LIFETIME; a WebSocket outlives them', async (t) => {
  const ws = await SipWs.connect({ url: WSS, origin: ORIGIN });
  t.after(() => ws.close());
  const impu = 'sip:demoraw@wwsf.lab';
  assert.strictEqual((await ws.register({ impu, token: env.mint({ impu: [impu] }), expires: 600 })).status, 200);
  // plain TCP to the lab WS port, and TLS (handshake done, then silent)
  // to the WSS port
  const tls = require('node:tls');
  const opened = Date.now();
  const raws = [net.connect({ host: '127.0.0.1', port: 8080 }),
    tls.connect({ host: '127.0.0.1', port: 8443, rejectUnauthorized: false })];
  const closedAt = [null, null];
  raws.forEach((c, i) => {
    t.after(() => c.destroy());
    c.on('error', () => {});
    c.on('close', () => { closedAt[i] = Date.now(); });
  });
  // the TCP main process checks lifetimes about once a second
  await pollUntil(() => closedAt.every((x) => x !== null),
    { timeoutMs: (TCP_IDLE_LIFETIME + 10) * 1000, what: 'the raw TCP and TLS connections closed' });
  for (const at of closedAt) assert.ok(at - opened >= (TCP_IDLE_LIFETIME - 1) * 1000, `closed after ${at - opened} ms`);
  assert.strictEqual(ws.ws.readyState, 1, 'the WebSocket was closed too');
  assert.strictEqual((await ws.register({ impu, token: env.mint({ impu: [impu] }), expires: 600 })).status, 200);
});

test('an upgraded peer that registers nothing and ignores the close frame loses its TCP connection', async (t) => {
  const crypto = require('node:crypto');
  // a WebSocket upgrade by hand: the peer then never reads nor answers
  const sock = net.connect({ host: '127.0.0.1', port: 8080 });
  t.after(() => sock.destroy());
  let closedAt = null;
  let upgraded = false;
  sock.on('error', () => {});
  sock.on('close', () => { closedAt = Date.now(); });
  // reads what comes (the close frame too) and answers nothing
  sock.on('data', (d) => { if (/^HTTP\/1\.1 101/.test(d.toString())) upgraded = true; });
  await new Promise((resolve) => sock.once('connect', resolve));
  sock.write(['GET / HTTP/1.1', 'Host: 127.0.0.1:8080', 'Upgrade: websocket', 'Connection: Upgrade',
    `Sec-WebSocket-Key: ${crypto.randomBytes(16).toString('base64')}`, 'Sec-WebSocket-Version: 13',
    'Sec-WebSocket-Protocol: sip', `Origin: ${ORIGIN}`, '', ''].join('\r\n'));
  const opened = Date.now();
  await pollUntil(() => upgraded, { timeoutMs: 5000, what: 'the 101 of the upgrade' });
  // REGISTER_WITHIN, the htable timer, then 5 s for the close frame's answer
  await pollUntil(() => closedAt !== null, { timeoutMs: (REGISTER_WITHIN + 15) * 1000,
    what: 'the TCP connection of a peer ignoring the close frame closed' });
  assert.ok(closedAt - opened >= (REGISTER_WITHIN + 4) * 1000, `closed after ${closedAt - opened} ms`);
});

test('requests beyond the per-source limit get 503 with Retry-After, counted and logged once', async (t) => {
  const ua = await SipWs.connect({ url: WSS, origin: ORIGIN });
  t.after(() => ua.close());
  const before = await scriptStat('wic_refused_request_flood');
  const mark = env.epcscf.logMark();
  let refused = null;
  let sent = 0;
  const refusals = [];
  // far more than REQUEST_LIMIT per 2 s; stops at the first refusals
  while (sent < 400 && refusals.length < 3) {
    const batch = [];
    for (let i = 0; i < 20; i++, sent++) {
      batch.push(ua.request('MESSAGE', { ruri: 'sip:bob@ims.lab', to: '<sip:bob@ims.lab>',
        from: '<sip:demoflood@wwsf.lab>', timeoutMs: 5000 }));
    }
    for (const r of await Promise.all(batch)) if (r.status === 503) refusals.push(r);
  }
  refused = refusals[0];
  assert.ok(refused, `no 503 after ${sent} requests`);
  assert.strictEqual(refused.header('retry-after'), '4');
  assert.strictEqual(refused.header('warning'), '399 ims_wic "wic_refused_request_flood"');
  const counted = await scriptStat('wic_refused_request_flood');
  assert.ok(counted >= before + refusals.length, `${counted} counted`);
  const lines = logLines(/wic_refused_request_flood/, mark).filter((l) => / INFO: /.test(l));
  assert.strictEqual(lines.length, 1, lines.join('\n'));
  assert.strictEqual(logLines(/NOTICE: .*refused/, mark).length, 0, 'a NOTICE per refusal');
});

test('WebSocket upgrades beyond the per-source limit get HTTP 429, counted', async () => {
  const before = await scriptStat('wic_refused_upgrade_flood');
  const open = [];
  let refusedStatus = null;
  try {
    // earlier tests of this file used some of the window already
    for (let i = 0; i <= UPGRADE_LIMIT && refusedStatus === null; i++) {
      try {
        open.push(await SipWs.connect({ url: WSS, origin: ORIGIN }));
      } catch (e) {
        refusedStatus = e.status;
      }
    }
  } finally {
    await Promise.all(open.map((ua) => ua.close()));
  }
  assert.strictEqual(refusedStatus, 429);
  assert.ok(open.length < UPGRADE_LIMIT + 1);
  assert.strictEqual(await scriptStat('wic_refused_upgrade_flood'), before + 1);
  // no state: no binding was made by any of it
  assert.strictEqual((await env.bindings()).filter((b) => /demoflood/.test(b.impu)).length, 0);
});
