// SPDX-License-Identifier: GPL-2.0-or-later
// Copyright (C) 2026 the ims_wic authors
'use strict';
// Issue 4: originating and terminating requests through the real eP-CSCF and
// the IMS Core stand-in, with sipp on the IMS side and SIP over real WSS on
// the WIC side. The stand-in retargets terminating requests to the
// registered Contact with P-Called-Party-ID, as an S-CSCF does (TS 24.229
// 5.4.3.3); with WIC_IMS_KEEP_RURI=1 (calls-keep-ruri.test.js) it keeps the
// identity in the Request-URI, as some cores do. Both run in make test.
const test = require('../lib/test');
const assert = require('node:assert');
const { startEnv } = require('../lib/env');
const { SipWs } = require('../lib/sipws');
const { runSipp, startUas } = require('../lib/sipp');
const { pollUntil, within } = require('../lib/common');

const WSS = 'wss://127.0.0.1:8443';
const ORIGIN = 'http://127.0.0.1:8000';
const IMS_CORE = '127.0.0.1:5070';

const KEEP_RURI = process.env.WIC_IMS_KEEP_RURI === '1';

let env;
test.before(async () => {
  env = await startEnv({ name: KEEP_RURI ? 'calls-keep-ruri' : 'calls',
    imsCoreDefines: KEEP_RURI ? { IMS_KEEP_RURI: true } : {}, epcscfDefines: { FR_TIMER: 2000 } });
});
test.after(async () => { if (env) await env.stop(); });

// A WIC registered over WSS; its connection is closed after the test t
// whatever the test's outcome (registered before anything is asserted).
async function registeredWic(t, impu, extraImpus = []) {
  const ua = await SipWs.connect({ url: WSS, origin: ORIGIN });
  t.after(() => ua.close());
  for (const i of [impu, ...extraImpus]) {
    const r = await ua.register({ impu: i, token: env.mint({ impu: [i] }), callId: `reg-${i}` });
    assert.strictEqual(r.status, 200, r.raw);
  }
  return ua;
}

function imsCall(scenario, target, name) {
  return runSipp({ scenario, target: IMS_CORE, service: target, keys: { from: 'sip:carol@ims.lab' },
    name, timeoutS: 20 });
}

test('an IMS-side call reaches the registered WIC over WSS and the IMS side hangs up', async (t) => {
  const ua = await registeredWic(t, 'sip:demoanna@wwsf.lab');
  ua.onRequest((req) => {
    if (req.method === 'INVITE') ua.answer(req);
    if (req.method === 'BYE') req.reply(200, 'OK');
  });
  const call = await imsCall('uac-call.xml', 'demoanna@wwsf.lab', 'calls-term');
  assert.strictEqual(call.code, 0, call.trace);
  const invite = ua.received.find((m) => m.method === 'INVITE');
  assert.ok(invite, 'the WIC got no INVITE');
  // the WIC's own Contact, whatever the IMS Core put in the Request-URI
  assert.match(invite.ruri, /^sip:wic@.*\.invalid;transport=ws/);
  // P-Called-Party-ID as the S-CSCF set it, or none from a core that keeps
  // the Request-URI
  assert.strictEqual(invite.header('p-called-party-id'), KEEP_RURI ? undefined : '<sip:demoanna@wwsf.lab>', invite.raw);
  assert.ok(ua.received.some((m) => m.method === 'ACK'), 'no ACK reached the WIC');
  assert.ok(ua.received.some((m) => m.method === 'BYE'), 'no BYE reached the WIC');
  await ua.close();
});

test('the WIC hangs up a call it received', async (t) => {
  const ua = await registeredWic(t, 'sip:demobert@wwsf.lab');
  let dialog;
  const byeDone = new Promise((resolve, reject) => {
    ua.onRequest((req) => {
      if (req.method === 'INVITE') dialog = ua.answer(req);
      if (req.method === 'ACK') ua.bye(dialog).then(resolve, reject);
    });
  });
  const call = await imsCall('uac-call-remote-bye.xml', 'demobert@wwsf.lab', 'calls-wic-bye');
  assert.strictEqual(call.code, 0, call.trace);
  assert.strictEqual((await within(byeDone, 10000, 'the 200 to the WIC\'s BYE')).status, 200);
  await ua.close();
});

test('CANCEL from the IMS side ends a ringing call', async (t) => {
  const ua = await registeredWic(t, 'sip:democlea@wwsf.lab');
  ua.onRequest((req) => {
    if (req.method === 'INVITE') { ua.reply(req, 180, 'Ringing'); ua.ringing = req; }
    if (req.method === 'CANCEL') { req.reply(200, 'OK'); ua.reply(ua.ringing, 487, 'Request Terminated'); }
  });
  const call = await imsCall('uac-cancel.xml', 'democlea@wwsf.lab', 'calls-cancel');
  assert.strictEqual(call.code, 0, call.trace);
  // 200 (CANCEL) and 487 (INVITE) both came, in whichever order
  assert.match(call.logs, /^RESULT=cancelled /m, call.trace);
  assert.ok(ua.received.some((m) => m.method === 'CANCEL'));
  await ua.close();
});

test('a call to an identity registered twice forks to both instances', async (t) => {
  const a = await registeredWic(t, 'sip:demoduo@wwsf.lab');
  const b = await registeredWic(t, 'sip:demoduo@wwsf.lab');
  await env.waitBindings('sip:demoduo@wwsf.lab', 2);
  const gotInvite = (ua) => new Promise((resolve) => ua.onRequest((req) => {
    if (req.method === 'INVITE') { ua.reply(req, 180, 'Ringing'); ua.pendingInvite = req; resolve(req); }
    if (req.method === 'CANCEL') { req.reply(200, 'OK'); ua.reply(ua.pendingInvite, 487, 'Request Terminated'); }
    if (req.method === 'BYE') req.reply(200, 'OK');
  }));
  let rang = false;
  const bothRang = Promise.all([gotInvite(a), gotInvite(b)]).then(async () => {
    rang = true;
    // barrier: an answered OPTIONS on b's connection means the eP-CSCF has
    // read b's 180 (a connection is read message after message), so the
    // winner's 200 finds the losing branch ringing and tm cancels it at once
    // (else the order of the two connections' messages is a race)
    const barrier = await b.request('OPTIONS', { ruri: 'sip:127.0.0.1', to: '<sip:127.0.0.1>',
      from: '<sip:barrier@wwsf.lab>', timeoutMs: 5000 });
    assert.strictEqual(barrier.status, 200);
    a.answer(a.pendingInvite, { ring: false });
  });
  const call = imsCall('uac-call.xml', 'demoduo@wwsf.lab', 'calls-fork');
  // a call that ends before both instances rang fails the test at once
  await Promise.race([bothRang, call.then((r) => {
    if (!rang) throw new Error(`the call ended (sipp ${r.code}) before both instances rang\n${r.trace}`);
  })]);
  const r = await call;
  assert.strictEqual(r.code, 0, r.trace);
  await pollUntil(() => b.received.some((m) => m.method === 'CANCEL'), { what: 'CANCEL to the losing branch' });
  await a.close();
  await b.close();
});

test('a call to an unregistered identity of a served range gets 480 with the Reason', async () => {
  const r = await runSipp({ scenario: 'uac-expect.xml', target: IMS_CORE, service: 'demonobody@wwsf.lab',
    keys: { from: 'sip:carol@ims.lab', expect: '480',
      reason: 'SIP;cause=480;text="Public User Identity not registered"' }, name: 'calls-480' });
  assert.strictEqual(r.code, 0, r.trace);
});

test('every branch of a fork fails after the lookup (no WIC answers): the IMS side gets the configured 480 with the Reason', async (t) => {
  // two instances of one identity that take the INVITE and never answer
  const a = await registeredWic(t, 'sip:demomute@wwsf.lab');
  const b = await SipWs.connect({ url: WSS, origin: ORIGIN });
  t.after(() => b.close());
  const r2 = await b.register({ impu: 'sip:demomute@wwsf.lab', token: env.mint({ impu: ['sip:demomute@wwsf.lab'] }),
    callId: 'reg-mute-b' });
  assert.strictEqual(r2.status, 200, r2.raw);
  const r = await runSipp({ scenario: 'uac-expect.xml', target: IMS_CORE, service: 'demomute@wwsf.lab',
    keys: { from: 'sip:carol@ims.lab', expect: '480',
      reason: 'SIP;cause=480;text="Public User Identity not registered"' }, name: 'calls-mute', timeoutS: 20 });
  assert.strictEqual(r.code, 0, r.trace);
  // both branches were tried: each instance got the INVITE
  assert.ok(a.received.some((m) => m.method === 'INVITE'), 'instance a got no INVITE');
  assert.ok(b.received.some((m) => m.method === 'INVITE'), 'instance b got no INVITE');
});

test('a call to an identity in no range served here gets 404 from the eP-CSCF', async () => {
  const r = await runSipp({ scenario: 'uac-expect.xml', target: '127.0.0.1:5060', service: 'zed@elsewhere.lab',
    keys: { from: 'sip:carol@ims.lab', expect: '404', reason: '' }, name: 'calls-404' });
  assert.strictEqual(r.code, 0, r.trace);
});

test('a binding whose connection is gone is never used: 480, not a timeout', async (t) => {
  const ua = await registeredWic(t, 'sip:demogone@wwsf.lab');
  await ua.drop();
  const r = await runSipp({ scenario: 'uac-expect.xml', target: IMS_CORE, service: 'demogone@wwsf.lab',
    keys: { from: 'sip:carol@ims.lab', expect: '480', reason: '' }, name: 'calls-gone' });
  assert.strictEqual(r.code, 0, r.trace);
});

test('a WIC calls an IMS-side user: asserted identity, Service-Route, teardown from the WIC', async (t) => {
  const uas = await startUas({ scenario: 'uas-answer.xml', port: 5090, name: 'calls-uas' });
  t.after(() => uas.stop());
  const ua = await registeredWic(t, 'sip:demoerin@wwsf.lab');
  const mark = env.imsCore.logMark();
  const { res, dialog } = await ua.invite('sip:bob@ims.lab', { from: 'sip:demoerin@wwsf.lab' });
  assert.strictEqual(res.status, 200, res.raw);
  assert.strictEqual((await ua.bye(dialog)).status, 200);
  const done = await uas.stop();
  assert.match(done.logs, /^PAI=<sip:demoerin@wwsf\.lab>$/m);
  // the stand-in saw the request arrive through the Service-Route it gave
  await env.imsCore.waitForLog(/ims-core: INVITE leg=orig .*pai=<sip:demoerin@wwsf\.lab>/, 3000, { from: mark });
  await ua.close();
});

test('spoofed P-Asserted-Identity and foreign P-Preferred-Identity never reach the IMS side', async (t) => {
  const uas = await startUas({ scenario: 'uas-answer.xml', port: 5090, name: 'calls-spoof' });
  t.after(() => uas.stop());
  const ua = await registeredWic(t, 'sip:demofay@wwsf.lab', ['sip:demofay2@wwsf.lab']);
  const { res, dialog } = await ua.invite('sip:bob@ims.lab', { from: 'sip:demofay@wwsf.lab',
    headers: ['P-Asserted-Identity: <sip:boss@ims.lab>', 'P-Preferred-Identity: <sip:demovictim@wwsf.lab>'] });
  assert.strictEqual(res.status, 200);
  await ua.bye(dialog);
  const done = await uas.stop();
  assert.match(done.logs, /^PAI=<sip:demofay@wwsf\.lab>$/m);
  assert.doesNotMatch(done.trace, /boss@ims\.lab|demovictim/);
  assert.doesNotMatch(done.trace, /P-Preferred-Identity/i);
  await ua.close();
});

test('P-Preferred-Identity naming another IMPU of the same connection is honoured', async (t) => {
  const uas = await startUas({ scenario: 'uas-answer.xml', port: 5090, name: 'calls-ppi' });
  t.after(() => uas.stop());
  const ua = await registeredWic(t, 'sip:demogus@wwsf.lab', ['sip:demogus2@wwsf.lab']);
  const { res, dialog } = await ua.invite('sip:bob@ims.lab', { from: 'sip:demogus@wwsf.lab',
    headers: ['P-Preferred-Identity: <sip:demogus2@wwsf.lab>'] });
  assert.strictEqual(res.status, 200);
  await ua.bye(dialog);
  const done = await uas.stop();
  assert.match(done.logs, /^PAI=<sip:demogus2@wwsf\.lab>$/m);
  await ua.close();
});

test('a request from a connection without a registered identity gets 403', async (t) => {
  const ua = await SipWs.connect({ url: WSS, origin: ORIGIN });
  t.after(() => ua.close());
  const before = Number((await env.stats()).originating_refused);
  const { res } = await ua.invite('sip:bob@ims.lab', { from: 'sip:demohal@wwsf.lab' });
  assert.strictEqual(res.status, 403);
  assert.strictEqual(Number((await env.stats()).originating_refused), before + 1);
  await ua.close();
});

test('load: 300 calls to unregistered identities at 150 calls/s all get 480 with the Reason', async () => {
  const before = Number((await env.stats()).terminating_rejected_unregistered);
  const r = await runSipp({ scenario: require('node:path').join(__dirname, '../../lab/sipp/load-unregistered.xml'),
    target: IMS_CORE, service: 'demoload', keys: { from: 'sip:carol@ims.lab' }, calls: 300,
    args: ['-r', '150'], name: 'calls-load-480', timeoutS: 30 });
  assert.strictEqual(r.code, 0, r.errors);
  assert.strictEqual(Number((await env.stats()).terminating_rejected_unregistered), before + 300);
});
