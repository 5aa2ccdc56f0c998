// SPDX-License-Identifier: GPL-2.0-or-later
// Copyright (C) 2026 the ims_wic authors
'use strict';
// Issue 14: SIP.js 0.21.2 (pinned) as the WIC, beside JsSIP: it registers
// with a token over WSS, receives a call from the IMS side through the IMS
// Core stand-in, places a call to an IMS-side user and hangs up, and
// registers again after its WebSocket reconnects. The SIP signalling is
// SIP.js's own; its media layer is a test double (a SessionDescriptionHandler
// with a static SDP, tests/lib/sipjs.js), since Node has no WebRTC. The
// stand-in retargets terminating requests to the registered Contact with
// P-Called-Party-ID (TS 24.229 5.4.3.3); with WIC_IMS_KEEP_RURI=1
// (sipjs-calls-keep-ruri.test.js) it keeps the identity in the Request-URI.
const test = require('../lib/test');
const assert = require('node:assert');
const { startEnv, parseRpcStructs } = require('../lib/env');
const { createSipJsWic } = require('../lib/sipjs');
const { runSipp, startUas } = require('../lib/sipp');
const { pollUntil } = require('../lib/common');

const WSS = 'wss://127.0.0.1:8443';
const ORIGIN = 'http://127.0.0.1:8000';
const IMS_CORE = '127.0.0.1:5070';

const KEEP_RURI = process.env.WIC_IMS_KEEP_RURI === '1';

let env;
test.before(async () => {
  env = await startEnv({ name: KEEP_RURI ? 'sipjs-keep-ruri' : 'sipjs',
    imsCoreDefines: KEEP_RURI ? { IMS_KEEP_RURI: true } : {}, epcscfDefines: { FR_TIMER: 2000 } });
});
test.after(async () => { if (env) await env.stop(); });

// A SIP.js UA connected over WSS, stopped after the test t whatever its
// outcome (registered for cleanup before anything is asserted).
async function sipJs(t, impu) {
  const w = await createSipJsWic({ url: WSS, origin: ORIGIN, impu, token: env.mint({ impu: [impu] }) });
  t.after(() => w.stop());
  return w;
}

async function registeredSipJs(t, impu) {
  const w = await sipJs(t, impu);
  const r = await w.register();
  assert.strictEqual(r.statusCode, 200, r.toString());
  return w;
}

// An IMS-side UAC calling `target` (user@host) through the stand-in; the
// test waits for sipp's end after itself, whatever fails first.
function imsCall(t, target, name) {
  const call = runSipp({ scenario: 'uac-call.xml', target: IMS_CORE, service: target,
    keys: { from: 'sip:carol@ims.lab' }, name, timeoutS: 20 });
  t.after(() => call);
  return call;
}

// The messages SIP.js got and sent, by start line.
const startsWith = (list, re) => list.filter((m) => re.test(m.split('\r\n', 1)[0]));

// SIP.js answers the next INVITE; the session it accepted.
async function answerNext(w, ms = 15000) {
  const inv = await w.nextInvitation(ms);
  await inv.accept();
  return inv;
}

// An IMS-side call to impu reaches SIP.js at its Contact, SIP.js answers,
// the IMS side hangs up: the INVITE SIP.js got.
async function callReachesSipJs(t, w, impu, name) {
  const user = impu.replace(/^sip:/, '');
  const answered = answerNext(w);
  const call = imsCall(t, user, name);
  const inv = await Promise.race([answered, call.then((r) => {
    throw new Error(`the call ended (sipp ${r.code}) before SIP.js answered\n${r.trace}`);
  })]);
  const r = await call;
  assert.strictEqual(r.code, 0, r.trace);
  assert.match(r.logs, /^FINAL=SIP\/2\.0 200 /m, r.logs);
  // the IMS side's BYE ended the SIP.js session
  await w.sessionEnded(inv);
  assert.ok(startsWith(w.received, /^BYE /).length >= 1, 'no BYE reached SIP.js');
  assert.ok(startsWith(w.received, /^ACK /).length >= 1, 'no ACK reached SIP.js');
  assert.ok(w.sent.some((m) => /^SIP\/2\.0 200 /.test(m) && /^CSeq: *\d+ BYE\r?$/mi.test(m)),
    'SIP.js did not answer the BYE with 200');
  return inv;
}

test('SIP.js registers with its Bearer token over WSS: 200, one binding at its Contact', async (t) => {
  const impu = 'sip:demosjsreg@wwsf.lab';
  const w = await sipJs(t, impu);
  const r = await w.register();
  assert.strictEqual(r.statusCode, 200, r.toString());
  assert.strictEqual(w.registerer.state, 'Registered');
  const reg = startsWith(w.sent, /^REGISTER /);
  assert.strictEqual(reg.length, 1);
  assert.match(reg[0], /^Authorization: Bearer [\w-]+\.[\w-]+\.[\w-]+\r$/m, 'the token as a Bearer credential');
  const [b] = await env.waitBindings(impu, 1);
  assert.strictEqual(b.wwsf, 'demo');
  assert.strictEqual(b.contact, String(w.ua.contact.uri), 'the binding is SIP.js\'s Contact');
  // the registrar answered with the contact SIP.js registered
  assert.match(r.getHeader('contact'), new RegExp(`<${String(w.ua.contact.uri).replace(/[.;]/g, '\\$&')}>`));
});

test('an IMS-side call through the stand-in reaches SIP.js at its Contact; SIP.js answers, the IMS side hangs up', async (t) => {
  const impu = 'sip:demosjsin@wwsf.lab';
  const w = await registeredSipJs(t, impu);
  const inv = await callReachesSipJs(t, w, impu, 'sipjs-term');
  // the Request-URI is SIP.js's own Contact, whatever the IMS Core put there
  assert.strictEqual(String(inv.request.ruri), String(w.ua.contact.uri));
  assert.strictEqual(inv.request.getHeader('p-called-party-id'), KEEP_RURI ? undefined : `<${impu}>`,
    inv.request.toString());
  // the caller as the IMS side asserted it
  assert.strictEqual(inv.request.getHeader('p-asserted-identity'), '<sip:carol@ims.lab>');
  assert.match(inv.sessionDescriptionHandler.remote, /^o=ims-uac /m, 'SIP.js got the caller\'s SDP');
});

test('SIP.js calls an IMS-side user and hangs up: asserted identity, BYE 200', async (t) => {
  const uas = await startUas({ scenario: 'uas-answer.xml', port: 5090, name: 'sipjs-uas' });
  t.after(() => uas.stop());
  const impu = 'sip:demosjsout@wwsf.lab';
  const w = await registeredSipJs(t, impu);
  const mark = env.imsCore.logMark();
  const { inviter, response } = await w.call('sip:bob@ims.lab');
  assert.strictEqual(response.statusCode, 200, response.toString());
  assert.strictEqual(inviter.state, 'Established');
  assert.match(inviter.sessionDescriptionHandler.remote, /^o=ims-ua /m, 'SIP.js got the callee\'s SDP');
  const bye = await w.hangUp(inviter);
  assert.strictEqual(bye.statusCode, 200, bye.toString());
  await w.sessionEnded(inviter);
  const done = await uas.stop();
  assert.match(done.logs, new RegExp(`^PAI=<${impu.replace(/\./g, '\\.')}>$`, 'm'), done.logs);
  assert.match(done.logs, /^BYE_RURI=sip:ua@127\.0\.0\.1:5090/m, 'the BYE of SIP.js reached the IMS side');
  // the stand-in saw the INVITE arrive through the Service-Route it gave
  await env.imsCore.waitForLog(new RegExp(`ims-core: INVITE leg=orig .*pai=<${impu.replace(/\./g, '\\.')}>`),
    3000, { from: mark });
});

test('after its WebSocket drops SIP.js reconnects, registers again with a token, and calls reach the new connection', async (t) => {
  const impu = 'sip:demosjsre@wwsf.lab';
  const w = await registeredSipJs(t, impu);
  const [old] = await env.waitBindings(impu, 1);
  const oldSocket = w.socket;
  const error = await w.drop();
  assert.ok(error instanceof Error, 'SIP.js saw the drop as an error (an unexpected close)');
  // the eP-CSCF saw the connection end: its binding is gone (the other
  // order is the next test); SIP.js's Registerer does not follow its
  // transport and still says Registered, so the WIC must register again
  await env.waitBindings(impu, 0);
  assert.strictEqual(w.registerer.state, 'Registered');
  // SIP.js 0.21: the application reconnects (UserAgent.reconnect())
  await w.ua.reconnect();
  assert.ok(w.ua.isConnected());
  assert.notStrictEqual(w.socket, oldSocket, 'a new WebSocket');
  const r = await w.register({ token: env.mint({ impu: [impu] }) });
  assert.strictEqual(r.statusCode, 200, r.toString());
  const regs = startsWith(w.sent, /^REGISTER /);
  assert.strictEqual(regs.length, 2);
  assert.match(regs[1], /^Authorization: Bearer /m);
  // one binding, on the new connection
  const bound = await env.waitBindings(impu, 1);
  assert.strictEqual(bound[0].contact, old.contact);
  assert.notStrictEqual(bound[0].conn_id, old.conn_id, 'the binding still names the dropped connection');
  // and a call reaches SIP.js over it
  const before = startsWith(w.received, /^INVITE /).length;
  await callReachesSipJs(t, w, impu, 'sipjs-reconnected');
  assert.strictEqual(startsWith(w.received, /^INVITE /).length, before + 1);
});

test('SIP.js registers again over a new WebSocket before the eP-CSCF saw the old one end: the binding moves and outlives the old connection', async (t) => {
  const impu = 'sip:demosjsmove@wwsf.lab';
  const w = await registeredSipJs(t, impu);
  const [old] = await env.waitBindings(impu, 1);
  // SIP.js's network went away; the eP-CSCF still holds the TCP connection
  const lost = await w.lose();
  t.after(() => lost.terminate());
  await w.ua.reconnect();
  const r = await w.register({ token: env.mint({ impu: [impu] }) });
  assert.strictEqual(r.statusCode, 200, r.toString());
  // same Call-ID, higher CSeq, same Contact from another connection: the
  // binding moves to it (no second binding)
  const [moved, ...more] = await env.bindings(impu);
  assert.strictEqual(more.length, 0, 'one binding');
  assert.strictEqual(moved.contact, old.contact);
  assert.notStrictEqual(moved.conn_id, old.conn_id, 'the binding still names the old connection');
  // the old connection ends now: the binding is no longer its own
  lost.terminate();
  await pollUntil(async () => !parseRpcStructs(await env.epcscf.rpc('core.tcp_list')).some((c) => c.id === old.conn_id),
    { timeoutMs: 5000, what: `connection ${old.conn_id} gone from the eP-CSCF` });
  const after = await env.bindings(impu);
  assert.deepStrictEqual(after.map((b) => b.conn_id), [moved.conn_id]);
  await callReachesSipJs(t, w, impu, 'sipjs-moved');
});
