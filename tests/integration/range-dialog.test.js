// SPDX-License-Identifier: GPL-2.0-or-later
// Copyright (C) 2026 the ims_wic authors
'use strict';
// Issue 14: range REGISTERs follow RFC 3261 10.2. One registration keeps
// its Call-ID and From tag, its CSeq rises with every REGISTER (refresh,
// de-registration), the next registration gets a new Call-ID; the granted
// expiry is read from our own Contact in the 200 wherever it is listed; a
// long Service-Route and P-Associated-URI are kept whole. A sipp UAS is the
// registrar (the eP-CSCF's IMS_CORE_URI points at it) and the test reads
// the REGISTERs it received from its -trace_msg file.
const test = require('../lib/test');
const assert = require('node:assert');
const { startEnv, demoOnlyProvisioning: demoOnly } = require('../lib/env');
const { startUas } = require('../lib/sipp');
const { freePort, pollUntil } = require('../lib/common');

const DEMO = 'sip:demo@wwsf.lab';
const OUR_CONTACT = '<sip:127.0.0.1:5060>';
const SR = '<sip:orig@127.0.0.1;lr>';
const PAU = '<sip:demo@wwsf.lab>, <sip:demo!.*!@wwsf.lab>';

// The SIP requests sipp received, in order, one per transaction (a UDP
// retransmission has the branch of the one before it).
function receivedRegisters(trace) {
  const out = [];
  const seen = new Set();
  for (const block of trace.split(/^-{20,}.*$/m)) {
    const m = /message received \[\d+\] bytes :\n\n([\s\S]*)/.exec(block);
    if (!m || !m[1].startsWith('REGISTER ')) continue;
    const lines = m[1].split(/\r?\n/);
    const hdr = (name) => {
      const l = lines.find((x) => x.toLowerCase().startsWith(`${name.toLowerCase()}:`));
      return l === undefined ? undefined : l.slice(name.length + 1).trim();
    };
    const branch = /branch=([^;\s]+)/.exec(hdr('Via') || '')[1];
    if (seen.has(branch)) continue;
    seen.add(branch);
    const cseq = /^(\d+) (\S+)$/.exec(hdr('CSeq'));
    out.push({
      callId: hdr('Call-ID'),
      fromTag: /;tag=([^;\s]+)/.exec(hdr('From'))[1],
      cseq: Number(cseq[1]),
      method: cseq[2],
      contact: hdr('Contact'),
      expires: hdr('Expires'),
    });
  }
  return out;
}

async function registrar(t, name, keys) {
  const port = await freePort();
  const uas = await startUas({ scenario: 'range-registrar.xml', port, name,
    keys: { grant: 3600, before: '', sr: SR, pau: PAU, ...keys } });
  t.after(() => uas.stop());
  const env = await startEnv({ name, provisioning: demoOnly(), imsCore: false, waitRanges: false,
    epcscfStrDefines: { IMS_CORE_URI: `sip:127.0.0.1:${port}` } });
  t.after(() => env.stop());
  return { uas, env };
}

async function waitRegisters(uas, n, timeoutMs) {
  return pollUntil(() => {
    const regs = receivedRegisters(uas.trace());
    return regs.length >= n ? regs : null;
  }, { timeoutMs, intervalMs: 100, what: () => `${n} REGISTERs at the sipp registrar` });
}

async function demoRange(env) {
  return (await env.ranges()).find((x) => x.distinct_pui === DEMO);
}

test('register, refresh and de-register: one Call-ID and From tag, CSeq strictly increasing; then a new Call-ID', async (t) => {
  // granted 10 s: the refresh comes 5 s after the 200
  const { uas, env } = await registrar(t, 'rdlg-cseq', { grant: 10 });
  await env.waitRangeState(DEMO, 'up');
  await waitRegisters(uas, 2, 15000);
  const up = await demoRange(env);
  assert.strictEqual(up.state, 'up');
  assert.ok(Number(up.expires) > 0 && Number(up.expires) <= 10, `expires ${up.expires}`);

  assert.match(await env.epcscf.rpc('ims_wic.range_deregister', DEMO), /ok/);
  await env.waitRangeState(DEMO, 'down', 10000);
  const regs = await waitRegisters(uas, 3, 10000);
  assert.strictEqual(regs.length, 3, JSON.stringify(regs, null, 1));
  const [reg, refresh, dereg] = regs;
  for (const r of regs) {
    assert.strictEqual(r.method, 'REGISTER');
    assert.strictEqual(r.callId, reg.callId, 'one Call-ID for the registration');
    assert.strictEqual(r.fromTag, reg.fromTag, 'one From tag for the registration');
  }
  assert.ok(reg.cseq < refresh.cseq && refresh.cseq < dereg.cseq,
    `CSeq ${reg.cseq}, ${refresh.cseq}, ${dereg.cseq}`);
  assert.strictEqual(reg.contact, `${OUR_CONTACT};expires=3600`);
  assert.strictEqual(reg.expires, '3600');
  assert.strictEqual(refresh.contact, `${OUR_CONTACT};expires=3600`);
  assert.strictEqual(refresh.expires, '3600');
  assert.strictEqual(dereg.contact, `${OUR_CONTACT};expires=0`);
  assert.strictEqual(dereg.expires, '0');
  const down = await demoRange(env);
  assert.strictEqual(down.last_code, '200');
  assert.strictEqual(down.service_route, '');

  // the next registration is a new one: new Call-ID and From tag
  assert.match(await env.epcscf.rpc('ims_wic.range_register', DEMO), /ok/);
  const again = (await waitRegisters(uas, 4, 10000))[3];
  assert.notStrictEqual(again.callId, reg.callId);
  assert.notStrictEqual(again.fromTag, reg.fromTag);
  assert.strictEqual(again.expires, '3600');
  await env.waitRangeState(DEMO, 'up');
});

test('the granted expiry is the one of our Contact, not of the first Contact the 200 lists', async (t) => {
  const { uas, env } = await registrar(t, 'rdlg-contact', {
    grant: 1200, before: '<sip:someone@192.0.2.7:5060>;expires=3000, ' });
  const r = await env.waitRangeState(DEMO, 'up');
  const regs = receivedRegisters(uas.trace());
  assert.strictEqual(regs.length, 1);
  // refresh at min(1200/2, 1200 - 600)
  assert.ok(Number(r.expires) > 1190 && Number(r.expires) <= 1200, `expires ${r.expires}`);
  assert.ok(Number(r.next_action) > 590 && Number(r.next_action) <= 600, `next_action ${r.next_action}`);
  assert.strictEqual(r.last_error, '');
});

test('a long Service-Route and P-Associated-URI are stored whole and listed whole', async (t) => {
  // far beyond any fixed header buffer (512 bytes), within what
  // ims_wic.ranges lists whole (3000 bytes; rpc-long-lists.test.js: longer)
  const sr = Array.from({ length: 70 }, (_, i) => `<sip:orig@scscf-${String(i).padStart(2, '0')}.ims.example.net;lr>`)
    .join(', ');
  const pau = [PAU, ...Array.from({ length: 80 }, (_, i) => `<sip:demo-alias-${i}@wwsf.lab>`)].join(', ');
  assert.ok(sr.length > 2500 && sr.length <= 3000 && pau.length > 2000 && pau.length <= 3000);
  const { env } = await registrar(t, 'rdlg-long', { sr, pau });
  const r = await env.waitRangeState(DEMO, 'up');
  assert.strictEqual(r.last_error, '');
  assert.strictEqual(r.service_route, sr);
  assert.strictEqual(r.associated_uris, pau);
});
