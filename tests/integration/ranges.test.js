// SPDX-License-Identifier: GPL-2.0-or-later
// Copyright (C) 2026 the ims_wic authors
'use strict';
// Issue 5: range registration with the IMS Core (Trusted Node Authentication
// through the uac module): headers, refresh, back-off and recovery, the
// on-demand and token triggers, linger de-registration, forced actions.
const test = require('../lib/test');
const assert = require('node:assert');
const { startEnv, demoOnlyProvisioning: demoOnly } = require('../lib/env');
const { SipWs } = require('../lib/sipws');
const { startUas } = require('../lib/sipp');
const { pollUntil } = require('../lib/common');

const WSS = 'wss://127.0.0.1:8443';
const ORIGIN = 'http://127.0.0.1:8000';
const DEMO = 'sip:demo@wwsf.lab';

async function register(env, impu, opts = {}) {
  const ua = await SipWs.connect({ url: WSS, origin: ORIGIN });
  const r = await ua.register({ impu, token: env.mint({ impu: [impu], ...(opts.claims || {}) }) });
  return { ua, r };
}

test('at start-up the range REGISTER carries every TNA header (checked by a sipp registrar)', async (t) => {
  const uas = await startUas({ scenario: 'ims-registrar-uas.xml', port: 5071, name: 'ranges-tna',
    keys: { pui: DEMO, wildcard: 'sip:demo!.*!@wwsf.lab' } });
  t.after(() => uas.stop());
  const env = await startEnv({ name: 'ranges-tna', provisioning: demoOnly(), imsCore: false, waitRanges: false,
    epcscfStrDefines: { IMS_CORE_URI: 'sip:127.0.0.1:5071' } });
  t.after(() => env.stop());
  const r = await env.waitRangeState(DEMO, 'up');
  const done = await uas.stop();
  assert.strictEqual(done.code, 0, done.errors);
  const log = (k) => new RegExp(`^${k}=(.*)$`, 'm').exec(done.logs)[1].trim();
  assert.strictEqual(log('RURI'), 'sip:wwsf.lab');
  assert.match(log('TO'), /^<sip:demo@wwsf\.lab>/);
  assert.match(log('FROM'), /^<sip:demo@wwsf\.lab>;tag=/);
  assert.strictEqual(log('PATH'), '<sip:term@127.0.0.1:5060;lr>');
  assert.strictEqual(log('REQUIRE'), 'path');
  assert.strictEqual(log('SUPPORTED'), 'path');
  assert.strictEqual(log('PVNI'), '"wwsf.lab"');
  assert.strictEqual(log('EXPIRES'), '3600');
  assert.strictEqual(log('CONTACT'), '<sip:127.0.0.1:5060>;expires=3600');
  assert.strictEqual(log('AUTH'), 'Digest username="demo@wwsf.lab", realm="wwsf.lab", uri="sip:wwsf.lab", '
    + 'nonce="", response="", integrity-protected="auth-done"');
  // what the 200 said is kept: granted expiry from the Contact, Service-Route, P-Associated-URI
  assert.ok(Number(r.expires) > 1700 && Number(r.expires) <= 1800, `expires ${r.expires}`);
  assert.strictEqual(r.service_route, '<sip:orig@127.0.0.1:5071;lr>');
  assert.strictEqual(r.associated_uris, '<sip:demo@wwsf.lab>, <sip:demo!.*!@wwsf.lab>');
});

test('the stand-in IMS Core registers both ranges with their Path, and refreshes before expiry', async (t) => {
  const env = await startEnv({ name: 'ranges-refresh', imsCoreDefines: { IMS_MAX_EXPIRES: 8 } });
  t.after(() => env.stop());
  await env.waitRangeState('sip:other@wwsf.lab', 'up');
  const reg = await env.imsCore.rpc('htable.dump', 'reg');
  assert.match(reg, /sip:demo!\.\*!@wwsf\.lab/);
  assert.match(reg, /sip:other!\.\*!@wwsf\.lab/);
  assert.match(reg, /sip:term@127\.0\.0\.1:5060;lr/);
  const first = env.imsCore.logMark();
  // granted 8 s: a refresh must come well before the 8 s run out
  await env.imsCore.waitForLog(/range sip:demo!\.\*!@wwsf\.lab registered for 8s/, 7000, { from: first });
  const r = (await env.ranges()).find((x) => x.distinct_pui === DEMO);
  assert.strictEqual(r.state, 'up');
  assert.strictEqual(r.attempts, '0');
});

test('IMS Core down at start: back-off, 503 to WICs, then service without a restart', async (t) => {
  const env = await startEnv({ name: 'ranges-down', provisioning: demoOnly(), imsCore: false, waitRanges: false,
    epcscfDefines: { FR_TIMER: 1000, RANGE_BACKOFF_MIN: 1, RANGE_BACKOFF_MAX: 2 } });
  t.after(() => env.stop());
  const failed = await pollUntil(async () => {
    const r = (await env.ranges()).find((x) => x.distinct_pui === DEMO);
    return r && Number(r.attempts) >= 2 ? r : null;
  }, { timeoutMs: 15000, intervalMs: 200, what: 'two failed range registrations' });
  assert.notStrictEqual(failed.state, 'up');
  const { ua, r } = await register(env, 'sip:demowait@wwsf.lab');
  assert.strictEqual(r.status, 503, r.raw);
  const retry = Number(r.header('retry-after'));
  assert.ok(retry >= 1 && retry <= 2, `Retry-After ${retry}`);
  assert.deepStrictEqual(await env.bindings(), []);

  await env.startImsCore();
  await env.waitRangeState(DEMO, 'up', 20000);
  const again = await ua.register({ impu: 'sip:demowait@wwsf.lab', token: env.mint({ impu: ['sip:demowait@wwsf.lab'] }) });
  assert.strictEqual(again.status, 200, again.raw);
  await ua.close();
});

test('on-demand: the first WIC registers the range, the last one leaving de-registers it after the linger', async (t) => {
  const env = await startEnv({ name: 'ranges-ondemand', waitRanges: false,
    provisioning: demoOnly((p) => Object.assign(p.wwsfs[0].ranges[0], { trigger: 'on-demand', linger: 1 })) });
  t.after(() => env.stop());
  const idle = (await env.ranges()).find((x) => x.distinct_pui === DEMO);
  assert.strictEqual(idle.state, 'down');
  assert.doesNotMatch(await env.imsCore.rpc('htable.dump', 'reg'), /demo!/);

  const { ua, r } = await register(env, 'sip:demofirst@wwsf.lab');
  assert.strictEqual(r.status, 503, r.raw);
  assert.ok(Number(r.header('retry-after')) >= 1);
  await env.waitRangeState(DEMO, 'up');
  const again = await ua.register({ impu: 'sip:demofirst@wwsf.lab', token: env.mint({ impu: ['sip:demofirst@wwsf.lab'] }) });
  assert.strictEqual(again.status, 200, again.raw);
  const up = await pollUntil(async () => {
    const x = (await env.ranges()).find((y) => y.distinct_pui === DEMO);
    return x.wic_count === '1' ? x : null;
  }, { what: 'wic_count 1' });
  assert.strictEqual(up.state, 'up');

  await ua.close();
  await env.waitRangeState(DEMO, 'down', 15000);
  await env.imsCore.waitForLog(/range sip:demo!\.\*!@wwsf\.lab de-registered/, 5000);
});

test('token trigger: a range named in the token registers; one not allocated to the WWSF is refused', async (t) => {
  const env = await startEnv({ name: 'ranges-token', waitRanges: false,
    provisioning: demoOnly((p) => Object.assign(p.wwsfs[0].ranges[0], { trigger: 'token', linger: 60 })) });
  t.after(() => env.stop());
  const impu = 'sip:demotok@wwsf.lab';

  const foreign = await register(env, impu, { claims: { range: 'sip:other!.*!@wwsf.lab' } });
  assert.strictEqual(foreign.r.status, 403, foreign.r.raw);
  assert.match(foreign.r.reason, /Range Not Allocated/);
  await foreign.ua.close();
  assert.strictEqual((await env.ranges())[0].state, 'down');

  const own = await register(env, impu, { claims: { range: 'sip:demo!.*!@wwsf.lab' } });
  assert.strictEqual(own.r.status, 503, own.r.raw);
  await env.waitRangeState(DEMO, 'up');
  const again = await own.ua.register({ impu, token: env.mint({ impu: [impu], range: 'sip:demo!.*!@wwsf.lab' }) });
  assert.strictEqual(again.status, 200, again.raw);
  await own.ua.close();
});

test('RPC forces a de-registration and a registration', async (t) => {
  const env = await startEnv({ name: 'ranges-rpc', provisioning: demoOnly() });
  t.after(() => env.stop());
  assert.match(await env.epcscf.rpc('ims_wic.range_deregister', DEMO), /ok/);
  await env.waitRangeState(DEMO, 'down');
  await env.imsCore.waitForLog(/range sip:demo!\.\*!@wwsf\.lab de-registered/, 5000);
  assert.match(await env.epcscf.rpc('ims_wic.range_register', DEMO), /ok/);
  await env.waitRangeState(DEMO, 'up');
  const unknown = await env.epcscf.rpc('ims_wic.range_register', 'sip:nope@wwsf.lab').catch((e) => e.stdout + e.stderr);
  assert.match(unknown, /404|no such range/);
});
