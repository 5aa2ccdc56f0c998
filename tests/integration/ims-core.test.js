// SPDX-License-Identifier: GPL-2.0-or-later
// Copyright (C) 2026 the ims_wic authors
'use strict';
// The IMS Core stand-in (kamailio-cfg/ims-core.cfg) on its own, driven by
// sipp: range registration with TNA, Path storage, terminating relay through
// the stored Path, IMS-side forwarding, 404s, de-registration and expiry.
//
// Runs on non-default ports (15070, UAs on 1509x) so it can run beside a lab;
// this also exercises the -A overrides of the cfg.

const test = require('../lib/test');
const assert = require('node:assert/strict');
const { startKamailio, checkConfig } = require('../lib/kamailio');
const { runSipp, startUas } = require('../lib/sipp');
const { pollUntil } = require('../lib/common');

const CORE_PORT = Number(process.env.TEST_IMS_CORE_PORT || 15070);
const IMS_UA_PORT = CORE_PORT + 20;     // IMS-side UA (sipp UAS)
const EPCSCF_PORT = CORE_PORT + 21;     // stands in for the eP-CSCF's Path
const CORE = `127.0.0.1:${CORE_PORT}`;
const CFG = 'kamailio-cfg/ims-core.cfg';
const DEMO = { pui: 'sip:demo@wwsf.lab', range: 'sip:demo!.*!@wwsf.lab' };
const OTHER = { pui: 'sip:other@wwsf.lab', range: 'sip:other!.*!@wwsf.lab' };

function logValue(r, key) {
  const m = r.logs.match(new RegExp(`^${key}=(.*)$`, 'm'));
  return m ? m[1].trim() : null;
}

function okSipp(r) {
  assert.equal(r.code, 0, `sipp failed (${r.code}): ${r.cmd}\n${r.stderr}\n${r.errors}\n${r.logs}\n${r.stdout.slice(-1500)}`);
}

// htable.dump output -> Map(name -> value)
function parseDump(text) {
  const map = new Map();
  const re = /name:\s*(.*)\n\s*value:\s*(.*)\n/g;
  let m;
  while ((m = re.exec(text))) map.set(m[1].trim(), m[2].trim());
  return map;
}

function register(pui, { expires = 3600, path = `sip:term@127.0.0.1:${EPCSCF_PORT};lr`, transport = 'udp', scenario = 'range-register.xml', name } = {}) {
  return runSipp({
    scenario,
    target: CORE,
    transport,
    name: name || `core-${scenario.replace('.xml', '')}`,
    keys: { pui, impi: pui.replace(/^sip:/, ''), expires, path },
    timeoutS: 10,
  });
}

let core;

test.before(async () => {
  core = await startKamailio({
    name: 'ims-core-standin',
    cfg: CFG,
    defines: { IMS_PORT: CORE_PORT, IMS_MAX_EXPIRES: 3600 },
    strDefines: { IMS_UA: `sip:127.0.0.1:${IMS_UA_PORT}` },
    wait: [{ proto: 'udp', port: CORE_PORT }, { proto: 'tcp', port: CORE_PORT }],
  });
});

test.after(async () => {
  if (core) {
    const r = await core.stop();
    assert.ok(r, 'kamailio exited');
  }
});

test('ims-core.cfg passes kamailio -c', async () => {
  const r = await checkConfig(CFG);
  assert.equal(r.code, 0, r.output);
  assert.match(r.output, /config file ok/i);
});

test('TNA range REGISTER: 200 with P-Associated-URI, Service-Route, granted expiry = min(requested, max)', async () => {
  const r = await register(DEMO.pui, { expires: 7200, name: 'core-reg-demo' });
  okSipp(r);
  assert.equal(logValue(r, 'PAU'), `<${DEMO.pui}>, <${DEMO.range}>`);
  assert.equal(logValue(r, 'SR'), `<sip:orig@${CORE};lr>`);
  assert.match(logValue(r, 'CEXP'), /^3600 /);
  assert.equal(logValue(r, 'PATH'), `<sip:term@127.0.0.1:${EPCSCF_PORT};lr>`);

  const reg = parseDump(await core.rpc('htable.dump', 'reg'));
  assert.equal(reg.get(DEMO.range), `<sip:term@127.0.0.1:${EPCSCF_PORT};lr>`);
  await core.waitForLog(/range sip:demo!\.\*!@wwsf\.lab registered for 3600s/, 2000);
});

test('TNA range REGISTER over TCP with a short expiry is granted as requested', async () => {
  const r = await register(OTHER.pui, { expires: 120, transport: 'tcp', name: 'core-reg-other-tcp' });
  okSipp(r);
  assert.equal(logValue(r, 'PAU'), `<${OTHER.pui}>, <${OTHER.range}>`);
  assert.match(logValue(r, 'CEXP'), /^120 /);
  assert.ok(parseDump(await core.rpc('htable.dump', 'reg')).has(OTHER.range));
});

test('REGISTER without integrity-protected="auth-done" -> 403 TNA required, no state', async () => {
  // a PUI provisioned at run time, registered by nobody else
  await core.rpc('htable.sets', 'pui', 'sip:third@wwsf.lab', 'sip:third!.*!@wwsf.lab');
  const r = await register('sip:third@wwsf.lab', { scenario: 'range-register-no-tna.xml' });
  okSipp(r);
  assert.equal(logValue(r, 'REASON'), 'TNA required');
  assert.equal(parseDump(await core.rpc('htable.dump', 'reg')).has('sip:third!.*!@wwsf.lab'), false);
  // and the same PUI with TNA is accepted: the 403 was about TNA only
  const ok = await register('sip:third@wwsf.lab', { expires: 60 });
  okSipp(ok);
  assert.equal(logValue(ok, 'PAU'), '<sip:third@wwsf.lab>, <sip:third!.*!@wwsf.lab>');
});

test('REGISTER for a PUI the IMS Core does not know -> 403', async () => {
  const r = await register('sip:nobody@wwsf.lab', { scenario: 'range-register-reject.xml' });
  okSipp(r);
  assert.equal(logValue(r, 'REASON'), 'Unknown Public User Identity');
  const reg = parseDump(await core.rpc('htable.dump', 'reg'));
  for (const k of reg.keys()) assert.doesNotMatch(k, /nobody/);
});

test('terminating INVITE for an identity of a registered range: retargeted to the registered Contact with P-Called-Party-ID, through the stored Path', async () => {
  const uas = await startUas({ scenario: 'uas-answer.xml', port: EPCSCF_PORT, name: 'core-path-target', calls: 1 });
  let call;
  let u;
  try {
    call = await runSipp({
      scenario: 'uac-call.xml', target: CORE, service: 'demo42@WWSF.lab', name: 'core-term-call',
      keys: { from: 'sip:alice@ims.lab' }, timeoutS: 10,
    });
  } finally {
    u = await uas.stop({ graceMs: 3000 });
  }
  okSipp(call);
  assert.equal(u.code, 0, `UAS: ${u.stdout.slice(-1500)}\n${u.errors}`);
  // TS 24.229 5.4.3.3: the Request-URI becomes the Contact registered for
  // the range, the called identity goes to P-Called-Party-ID
  assert.match(logValue(u, 'INVITE_RURI').split(' ')[0], /^sip:epcscf@127\.0\.0\.1:\d+$/);
  assert.equal(logValue(u, 'CPID'), '<sip:demo42@WWSF.lab>');
  assert.match(logValue(u, 'ROUTE'), new RegExp(`^<sip:term@127\\.0\\.0\\.1:${EPCSCF_PORT};lr>`));
  assert.match(logValue(u, 'RR'), new RegExp(`127\\.0\\.0\\.1:${CORE_PORT}`));
  assert.match(logValue(u, 'BYE_RURI'), new RegExp(`^sip:ua@127\\.0\\.0\\.1:${EPCSCF_PORT}`));
  // the caller's BYE follows the Record-Route of the IMS Core
  assert.match(call.trace, new RegExp(`BYE sip:ua@127\\.0\\.0\\.1:${EPCSCF_PORT}[^\\n]*\\nRoute: <sip:127\\.0\\.0\\.1:${CORE_PORT};lr`));
  await core.waitForLog(/sip:demo42@WWSF\.lab in range sip:demo!\.\*!@wwsf\.lab -> Path/, 2000);
});

test('user part is matched with the range regex exactly (case-sensitive user, no prefix match)', async () => {
  for (const service of ['DEMO42@wwsf.lab', 'xdemo1@wwsf.lab', 'demo1@wwsf.lab.evil']) {
    const r = await runSipp({
      scenario: 'uac-expect.xml', target: CORE, service, name: 'core-nomatch',
      keys: { from: 'sip:alice@ims.lab', expect: 404, reason: '' }, timeoutS: 10,
    });
    okSipp(r);
    assert.equal(logValue(r, 'CODE'), '404', service);
  }
});

test('originating INVITE (Route: orig) to an @ims.lab identity goes to the IMS UA, record-routed', async () => {
  const uas = await startUas({ scenario: 'uas-answer.xml', port: IMS_UA_PORT, name: 'core-ims-ua', calls: 1 });
  let call;
  let u;
  const mark = core.logMark();
  try {
    call = await runSipp({
      scenario: 'uac-orig-call.xml', target: CORE, service: 'bob@ims.lab', name: 'core-orig-call',
      keys: { from: 'sip:demo7@wwsf.lab', route: `sip:orig@${CORE};lr` }, timeoutS: 10,
    });
  } finally {
    u = await uas.stop({ graceMs: 3000 });
  }
  okSipp(call);
  assert.equal(u.code, 0, `UAS: ${u.stdout.slice(-1500)}`);
  assert.equal(logValue(u, 'INVITE_RURI').split(' ')[0], 'sip:bob@ims.lab');
  assert.match(logValue(u, 'ROUTE'), /^\(/, 'our orig Route was consumed, none left');
  assert.match(logValue(u, 'RR'), new RegExp(`127\\.0\\.0\\.1:${CORE_PORT}`));
  assert.match(logValue(u, 'PAI'), /sip:demo7@wwsf\.lab/);
  await core.waitForLog(/INVITE leg=orig ruri=sip:bob@ims\.lab/, 2000, { from: mark });
  // BYE goes through the stand-in (record-routed), not direct
  assert.match(call.trace, new RegExp(`BYE sip:ua@127\\.0\\.0\\.1:${IMS_UA_PORT}[^\\n]*\\nRoute: <sip:127\\.0\\.0\\.1:${CORE_PORT};lr`));
});

test('identity of a provisioned but unregistered range, and foreign identities -> 404', async () => {
  // de-register "other" first so that its range is provisioned but not registered
  const d = await register(OTHER.pui, { scenario: 'range-deregister.xml', name: 'core-dereg-other' });
  okSipp(d);
  assert.equal(parseDump(await core.rpc('htable.dump', 'reg')).has(OTHER.range), false);
  for (const service of ['other5@wwsf.lab', 'someone@elsewhere.example']) {
    const r = await runSipp({
      scenario: 'uac-expect.xml', target: CORE, service, name: 'core-404',
      keys: { from: 'sip:alice@ims.lab', expect: 404, reason: '' }, timeoutS: 10,
    });
    okSipp(r);
    assert.equal(logValue(r, 'RESULT'), 'ok');
  }
});

test('uac-expect fails when the final code differs (the check itself can fail)', async () => {
  const r = await runSipp({
    scenario: 'uac-expect.xml', target: CORE, service: 'other5@wwsf.lab', name: 'core-expect-wrong',
    keys: { from: 'sip:alice@ims.lab', expect: 480, reason: '' }, timeoutS: 10,
  });
  assert.notEqual(r.code, 0);
  assert.match(logValue(r, 'RESULT'), /^bad-code want=480 got=404/);
});

test('Expires: 0 removes the range; its identities then get 404', async () => {
  const d = await register(DEMO.pui, { scenario: 'range-deregister.xml', name: 'core-dereg-demo' });
  okSipp(d);
  assert.equal(parseDump(await core.rpc('htable.dump', 'reg')).has(DEMO.range), false);
  const r = await runSipp({
    scenario: 'uac-expect.xml', target: CORE, service: 'demo42@wwsf.lab', name: 'core-404-after-dereg',
    keys: { from: 'sip:alice@ims.lab', expect: 404, reason: '' }, timeoutS: 10,
  });
  okSipp(r);
});

test('a range registration expires after the granted time', async () => {
  const r = await register(OTHER.pui, { expires: 2, name: 'core-reg-short' });
  okSipp(r);
  assert.match(logValue(r, 'CEXP'), /^2 /);
  assert.ok(parseDump(await core.rpc('htable.dump', 'reg')).has(OTHER.range));
  await pollUntil(async () => !parseDump(await core.rpc('htable.dump', 'reg')).has(OTHER.range),
    { timeoutMs: 8000, intervalMs: 200, what: 'range "other" to expire' });
});
