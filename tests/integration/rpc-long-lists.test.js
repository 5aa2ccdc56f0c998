// SPDX-License-Identifier: GPL-2.0-or-later
// Copyright (C) 2026 the ims_wic authors
'use strict';
// ims_wic.ranges when the IMS Core answers a range REGISTER with long
// header lists: a P-Associated-URI of hundreds of URIs (an implicit
// registration set) is longer than one structure of a ctl reply may be
// (binrpc_struct_max_body_size; Kamailio's default 8 KiB). The listing
// still answers, the range shows up with its state, and the list is cut,
// saying how long it was (docs/admin-guide.md, "RPC").
const test = require('../lib/test');
const assert = require('node:assert');
const { startEnv } = require('../lib/env');
const { pollUntil } = require('../lib/common');

const EXTRA_PAU = 600; // about 24 KiB of P-Associated-URI

test('a range whose 2xx brought a 24 KiB P-Associated-URI: ims_wic.ranges still lists it, the list cut', async (t) => {
  const env = await startEnv({ name: 'rpc-long-lists', imsCoreDefines: { IMS_EXTRA_PAU: EXTRA_PAU }, waitRanges: false });
  t.after(() => env.stop());
  // the IMS Core registered the range (its own state, not the RPC under test)
  await pollUntil(async () => /sip:demo!\.\*!@wwsf\.lab/.test(await env.imsCore.rpc('htable.dump', 'reg')),
    { timeoutMs: 30000, what: 'the demo range registered at the IMS Core' });
  const demo = await pollUntil(async () => {
    const out = await env.epcscf.rpc('ims_wic.ranges');
    assert.doesNotMatch(out, /^error/, out.slice(0, 300));
    return (await env.ranges()).find((r) => r.distinct_pui === 'sip:demo@wwsf.lab' && r.state === 'up');
  }, { timeoutMs: 30000, what: 'the demo range up in ims_wic.ranges' });
  assert.match(demo.associated_uris, /^<sip:demo@wwsf\.lab>, <sip:demo!\.\*!@wwsf\.lab>, <sip:\+15550000000/);
  assert.match(demo.associated_uris, /\.\.\. \(\d+ bytes, cut\)$/);
  const whole = Number(/\((\d+) bytes, cut\)$/.exec(demo.associated_uris)[1]);
  assert.ok(whole > 20000, `the whole list is ${whole} bytes`);
  assert.ok(demo.associated_uris.length < 4096, `${demo.associated_uris.length} bytes listed`);
  assert.strictEqual(demo.service_route, `<sip:orig@127.0.0.1:5070;lr>`);
});
