// SPDX-License-Identifier: GPL-2.0-or-later
// Copyright (C) 2026 the ims_wic authors
'use strict';
// Issue 13: ranges follow the provisioning file. A range removed by a
// reload is de-registered from the IMS Core (Expires 0, TNA headers) from
// the range state alone, retried with back-off while the IMS Core does not
// answer, and dropped at a bound; the WIC count of a range counts the
// bindings admission put in that range, and stays right under a burst of
// concurrent registrations and closes on overlapping ranges of two WWSFs.
const test = require('node:test');
const assert = require('node:assert');
const { Env, startEnv, defaultProvisioning, DEMO_ORIGIN, OTHER_ORIGIN } = require('../lib/env');
const { SipWs } = require('../lib/sipws');
const { pollUntil } = require('../lib/common');

const WSS = 'wss://127.0.0.1:8443';
const DEMO = 'sip:demo@wwsf.lab';
const OTHER = 'sip:other@wwsf.lab';
const OTHER_RANGE = /sip:other!\.\*!@wwsf\.lab/;

// The provisioning without WWSF other (and so without its range).
function withoutOther(env) {
  const p = defaultProvisioning(env.keys);
  p.wwsfs = p.wwsfs.filter((w) => w.id !== 'other');
  return p;
}

async function reloadWithoutOther(env) {
  env.writeProvisioning(withoutOther(env));
  assert.match(await env.epcscf.rpc('ims_wic.reload'), /^ok, generation \d+/);
}

test('a range removed by a reload is de-registered (Expires 0, TNA) and the IMS Core no longer lists it', async (t) => {
  const env = await startEnv({ name: 'rr-removed' });
  t.after(() => env.stop());
  await env.waitRangeState(OTHER, 'up');
  assert.match(await env.imsCore.rpc('htable.dump', 'reg'), OTHER_RANGE);
  const coreMark = env.imsCore.logMark();
  const epMark = env.epcscf.logMark();

  await reloadWithoutOther(env);

  // the stand-in logs the headers of every de-registration it receives
  const m = await env.imsCore.waitForLog(
    /range sip:other!\.\*!@wwsf\.lab de-registered \(PUI (\S+), Expires (\S+), Contact (.*?), Path (.*?), Authorization (.*)\)\n/,
    10000, { from: coreMark });
  const [, pui, expires, contact, pathHdr, auth] = m;
  assert.strictEqual(pui, OTHER);
  assert.strictEqual(expires, '0');
  assert.strictEqual(contact, '<sip:127.0.0.1:5060>;expires=0');
  assert.strictEqual(pathHdr, '<sip:term@127.0.0.1:5060;lr>');
  assert.strictEqual(auth, 'Digest username="other@wwsf.lab", realm="wwsf.lab", uri="sip:wwsf.lab", '
    + 'nonce="", response="", integrity-protected="auth-done"');

  const reg = await pollUntil(async () => {
    const dump = await env.imsCore.rpc('htable.dump', 'reg');
    return OTHER_RANGE.test(dump) ? null : dump;
  }, { timeoutMs: 5000, intervalMs: 100, what: 'the stand-in to forget the removed range' });
  assert.match(reg, /sip:demo!\.\*!@wwsf\.lab/);

  // dropped from the state only once answered, and logged
  await pollUntil(async () => ((await env.ranges()).some((r) => r.distinct_pui === OTHER) ? null : true),
    { timeoutMs: 5000, intervalMs: 100, what: 'range other gone from ims_wic.ranges' });
  await env.epcscf.waitForLog(
    /range sip:other!\.\*!@wwsf\.lab \(sip:other@wwsf\.lab\) removed from the provisioning: de-registered \(200\)/,
    5000, { from: epMark });
  const ranges = await env.ranges();
  assert.deepStrictEqual(ranges.map((r) => [r.distinct_pui, r.state, r.removed]), [[DEMO, 'up', '0']]);
});

test('IMS Core down while de-registering: retried with back-off, then given up at the bound', async (t) => {
  const LIMIT = 6;
  const env = await startEnv({ name: 'rr-down',
    epcscfDefines: { FR_TIMER: 1000, RANGE_BACKOFF_MIN: 1, RANGE_BACKOFF_MAX: 2, RANGE_DEREGISTER_LIMIT: LIMIT } });
  t.after(() => env.stop());
  await env.waitRangeState(OTHER, 'up');
  await env.imsCore.stop();
  const epMark = env.epcscf.logMark();

  const started = Date.now();
  await reloadWithoutOther(env);

  // still listed while retried: removed, de-registering, failures counted
  const retrying = await pollUntil(async () => {
    const r = (await env.ranges()).find((x) => x.distinct_pui === OTHER);
    return r && Number(r.attempts) >= 2 ? r : null;
  }, { timeoutMs: LIMIT * 1000, intervalMs: 100, what: 'two failed de-registrations of range other' });
  assert.strictEqual(retrying.state, 'deregistering');
  assert.strictEqual(retrying.removed, '1');
  assert.match(retrying.last_error, /de-registration (failed|timed out), retrying/);
  assert.ok(Number(retrying.deregister_until) <= LIMIT, `deregister_until ${retrying.deregister_until}`);

  await pollUntil(async () => ((await env.ranges()).some((r) => r.distinct_pui === OTHER) ? null : true),
    { timeoutMs: (LIMIT + 10) * 1000, intervalMs: 100, what: 'range other given up' });
  const elapsed = (Date.now() - started) / 1000;
  // given up at the bound: not before it, and at most one more attempt
  // (FR_TIMER) plus a timer tick after it
  assert.ok(elapsed >= LIMIT - 1 && elapsed <= LIMIT + 4, `given up after ${elapsed} s`);
  const log = env.epcscf.log().slice(epMark);
  const attempts = log.match(/de-registering range sip:other!\.\*!@wwsf\.lab/g) || [];
  // retried: the back-off has jitter, so how many fit in LIMIT s varies
  assert.ok(attempts.length >= 2, `${attempts.length} de-registration attempts`);
  assert.match(log, /range sip:other!\.\*!@wwsf\.lab \(sip:other@wwsf\.lab\) removed from the provisioning and dropped: de-registration given up after \d+ attempt\(s\)/);
  // the range still provisioned is untouched
  assert.ok((await env.ranges()).some((r) => r.distinct_pui === DEMO));
});

// WWSF other gets the range sip:d!.*!@wwsf.lab: every identity of demo's
// range sip:demo!.*!@wwsf.lab lies in it too.
function overlappingProvisioning(keys) {
  const p = defaultProvisioning(keys);
  p.wwsfs[1].ranges = [{
    wildcard: 'sip:d!.*!@wwsf.lab', distinct_pui: 'sip:d@wwsf.lab',
    impi: 'd@wwsf.lab', trigger: 'startup', linger: 60, expires: 3600,
  }];
  return p;
}

async function wic(env, wwsf, impu) {
  const ua = await SipWs.connect({ url: WSS, origin: wwsf === 'demo' ? DEMO_ORIGIN : OTHER_ORIGIN });
  const token = wwsf === 'demo' ? env.mint({ impu: [impu] }) : env.mintOther({ impu: [impu] });
  const r = await ua.register({ impu, token });
  assert.strictEqual(r.status, 200, r.raw);
  return ua;
}

test('range WIC counts right after a burst of concurrent register/close on overlapping ranges of two WWSFs', async (t) => {
  const D = 'sip:d@wwsf.lab';
  const env = new Env('rr-count');
  env.writeProvisioning(overlappingProvisioning(env.keys));
  t.after(() => env.stop());
  await env.startImsCore();
  await env.imsCore.rpc('htable.sets', 'pui', D, 'sip:d!.*!@wwsf.lab');
  await env.startEpcscf({ RANGE_RECOUNT_INTERVAL: 1 });
  await env.waitRangeState(DEMO, 'up');
  await env.waitRangeState(D, 'up');

  // Each WIC registers; odd ones close at once (alternately with a close
  // frame and a dropped TCP connection), racing the others' registrations.
  // demoshared<i> registers through both WWSFs: one IMPU in both ranges.
  const N = 16;
  const plan = [];
  for (let i = 0; i < N; i++) {
    plan.push({ wwsf: 'demo', impu: `sip:demo${i}@wwsf.lab`, stays: i % 2 === 0 });
    plan.push({ wwsf: 'other', impu: `sip:demo-o${i}@wwsf.lab`, stays: i % 2 === 0 });
    if (i % 4 === 0) {
      plan.push({ wwsf: 'demo', impu: `sip:demoshared${i}@wwsf.lab`, stays: true });
      plan.push({ wwsf: 'other', impu: `sip:demoshared${i}@wwsf.lab`, stays: i % 8 === 0 });
    }
  }
  const live = [];
  t.after(() => Promise.all(live.map((ua) => ua.close().catch(() => {}))));
  await Promise.all(plan.map(async (p, k) => {
    const ua = await wic(env, p.wwsf, p.impu);
    if (p.stays) live.push(ua);
    else if (k % 4 < 2) await ua.close();
    else await ua.drop();
  }));

  const expected = (wwsf) => new Set(plan.filter((p) => p.wwsf === wwsf && p.stays).map((p) => p.impu)).size;
  const want = { [DEMO]: expected('demo'), [D]: expected('other') };
  const counts = async () => Object.fromEntries((await env.ranges()).map((r) => [r.distinct_pui, Number(r.wic_count)]));
  await pollUntil(async () => {
    const c = await counts();
    return c[DEMO] === want[DEMO] && c[D] === want[D] ? c : null;
  }, { timeoutMs: 10000, intervalMs: 100, what: `WIC counts ${JSON.stringify(want)}` });

  // every binding counts toward the range of the WWSF that admitted it
  const bindings = await env.bindings();
  assert.strictEqual(bindings.length, plan.filter((p) => p.stays).length);
  for (const b of bindings) assert.strictEqual(b.range, b.wwsf === 'demo' ? DEMO : D, JSON.stringify(b));
  // and the counts stay right across re-derivations
  await new Promise((r) => { setTimeout(r, 2500); });
  assert.deepStrictEqual(await counts(), want);

  // everyone leaves: both counts back to 0
  await Promise.all(live.splice(0).map((ua) => ua.close()));
  await pollUntil(async () => {
    const c = await counts();
    return c[DEMO] === 0 && c[D] === 0 ? c : null;
  }, { timeoutMs: 10000, intervalMs: 100, what: 'WIC counts 0' });
});
