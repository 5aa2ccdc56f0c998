// SPDX-License-Identifier: GPL-2.0-or-later
// Copyright (C) 2026 the ims_wic authors
'use strict';
// Issue 13 (identities and Contact parameters): an identity has one normal
// form for storing, lookup and admission (scheme and host case-insensitive,
// escapes of unreserved characters decoded, tel visual separators removed),
// and a REGISTER whose Contact parameters or Expires fall outside their
// grammar is refused with 400 and changes nothing. Real WSS on the WIC
// side; sipp through the IMS Core stand-in, or straight from the IMS Core
// address, on the IMS side.
const test = require('node:test');
const assert = require('node:assert');
const dgram = require('node:dgram');
const crypto = require('node:crypto');
const { startEnv, defaultProvisioning } = require('../lib/env');
const { SipWs } = require('../lib/sipws');
const { runSipp } = require('../lib/sipp');
const { pollUntil, delay } = require('../lib/common');

const WSS = 'wss://127.0.0.1:8443';
const ORIGIN = 'http://127.0.0.1:8000';
const IMS_CORE = '127.0.0.1:5070';
const TEL_RANGE = 'tel:+1555123!\\d{4}!';
const TEL_PUI = 'tel:+15551230000';
const RESIDENT = 'sip:demoresident@wwsf.lab';
const RESIDENT_CONTACT = 'sip:w1@x.invalid;transport=ws';

// The default provisioning, and a tel range on WWSF demo.
function withTelRange(keys) {
  const p = defaultProvisioning(keys);
  p.wwsfs[0].ranges.push({ wildcard: TEL_RANGE, distinct_pui: TEL_PUI, impi: 'tel@wwsf.lab',
    trigger: 'startup', linger: 60, expires: 3600 });
  return p;
}

let env;
let resident;
test.before(async () => {
  env = await startEnv({ name: 'identity', provisioning: withTelRange });
  // the stand-in registers the tel range once it knows its distinct PUI
  // (it keys a PUI as "sip:" + To user + "@" + To host, so a tel PUI as
  // "sip:<number>@")
  await env.imsCore.rpc('htable.sets', 'pui', `sip:${TEL_PUI.slice(4)}@`, TEL_RANGE);
  await env.epcscf.rpc('ims_wic.range_register', TEL_PUI);
  await env.waitRangeState(TEL_PUI, 'up');
  resident = await SipWs.connect({ url: WSS, origin: ORIGIN });
  const r = await resident.register({ impu: RESIDENT, token: env.mint({ impu: [RESIDENT] }), expires: 3600,
    contact: `<${RESIDENT_CONTACT}>;expires=3600` });
  assert.strictEqual(r.status, 200, r.raw);
});
test.after(async () => {
  if (resident) await resident.close();
  if (env) await env.stop();
});

const opened = new Set();
async function wic() {
  const ua = await SipWs.connect({ url: WSS, origin: ORIGIN });
  opened.add(ua);
  return ua;
}
test.afterEach(async () => {
  const all = [...opened];
  opened.clear();
  await Promise.all(all.map((ua) => ua.close()));
});


const unchanged = (fn) => env.unchanged(fn, { resident: RESIDENT });

function imsCall(target, name) {
  return runSipp({ scenario: 'uac-call.xml', target: IMS_CORE, service: target,
    keys: { from: 'sip:carol@ims.lab' }, name, timeoutS: 20 });
}

function answering(ua) {
  ua.onRequest((req) => {
    if (req.method === 'INVITE') ua.answer(req);
    if (req.method === 'BYE') req.reply(200, 'OK');
  });
}

// A terminating INVITE sent from the IMS Core address straight to the
// eP-CSCF (for Request-URIs the stand-in does not route: tel, escapes).
// Resolves with the final answer's status line.
function directInvite(ruri) {
  return new Promise((resolve, reject) => {
    const s = dgram.createSocket('udp4');
    const t = setTimeout(() => { s.close(); reject(new Error('no UDP answer')); }, 8000);
    s.on('message', (buf) => {
      const first = buf.toString().split('\r\n')[0];
      if (/^SIP\/2\.0 1\d\d/.test(first)) return;
      clearTimeout(t); s.close(); resolve(first);
    });
    s.bind(0, '127.0.0.1', () => {
      const local = `127.0.0.1:${s.address().port}`;
      s.send([`INVITE ${ruri} SIP/2.0`,
        `Via: SIP/2.0/UDP ${local};branch=z9hG4bK${crypto.randomBytes(5).toString('hex')};rport`,
        'Max-Forwards: 70', `To: <${ruri}>`, 'From: <sip:carol@ims.lab>;tag=1',
        `Call-ID: ${crypto.randomUUID()}`, 'CSeq: 1 INVITE', `Contact: <sip:carol@${local}>`,
        'Content-Length: 0', '', ''].join('\r\n'), 5060, '127.0.0.1');
    });
  });
}

// The WIC answers every INVITE 486, so that a direct INVITE ends quickly.
function busy(ua) {
  ua.onRequest((req) => { if (req.method === 'INVITE') ua.reply(req, 486, 'Busy Here'); });
}

// ---- one identity, one key --------------------------------------------

test('registered as sip:demogina@WWSF.LAB, reached as sip:demogina@wwsf.lab', async () => {
  const ua = await wic();
  const impu = 'sip:demogina@WWSF.LAB';
  const r = await ua.register({ impu, token: env.mint({ impu: [impu] }) });
  assert.strictEqual(r.status, 200, r.raw);
  assert.strictEqual(r.header('p-associated-uri'), '<sip:demogina@wwsf.lab>');
  // the RPC finds it by any spelling and shows the normal form
  for (const spelling of ['sip:demogina@wwsf.lab', 'SIP:demogina@Wwsf.Lab', 'sip:%64emogina@WWSF.lab']) {
    const b = await env.bindings(spelling);
    assert.strictEqual(b.length, 1, spelling);
    assert.strictEqual(b[0].impu, 'sip:demogina@wwsf.lab');
  }
  // the user part stays case-sensitive
  assert.strictEqual((await env.bindings('sip:DemoGina@wwsf.lab')).length, 0);
  answering(ua);
  const call = await imsCall('demogina@wwsf.lab', 'identity-lower');
  assert.strictEqual(call.code, 0, call.trace);
  assert.ok(ua.received.some((m) => m.method === 'INVITE'), 'the WIC got no INVITE');
});

test('registered as sip:demohugo@wwsf.lab, reached as sip:demohugo@WWSF.LAB and as sip:%64emohugo@wwsf.lab', async () => {
  const ua = await wic();
  const impu = 'sip:demohugo@wwsf.lab';
  assert.strictEqual((await ua.register({ impu, token: env.mint({ impu: [impu] }) })).status, 200);
  answering(ua);
  const call = await imsCall('demohugo@WWSF.LAB', 'identity-upper');
  assert.strictEqual(call.code, 0, call.trace);
  const invite = ua.received.find((m) => m.method === 'INVITE');
  assert.ok(invite, 'the WIC got no INVITE');
  const ua2 = await wic();
  assert.strictEqual((await ua2.register({ impu, token: env.mint({ impu: [impu] }) })).status, 200);
  await env.waitBindings(impu, 2);
  await ua.close();
  busy(ua2);
  assert.match(await directInvite('sip:%64emohugo@wwsf.lab'), /^SIP\/2\.0 486 /);
  assert.ok(ua2.received.some((m) => m.method === 'INVITE'), 'the escaped spelling did not reach the WIC');
});

test('a token naming sip:demoivy@WWSF.LAB admits a To of sip:demoivy@wwsf.lab, and one refresh is one contact', async () => {
  const ua = await wic();
  const token = env.mint({ impu: ['sip:demoivy@WWSF.LAB'] });
  assert.strictEqual((await ua.register({ impu: 'sip:demoivy@wwsf.lab', token })).status, 200);
  const r = await ua.register({ impu: 'sip:demoivy@Wwsf.Lab', token });
  assert.strictEqual(r.status, 200, r.raw);
  const b = await env.bindings('sip:demoivy@wwsf.lab');
  assert.strictEqual(b.length, 1);
  // the user part of a claim is not folded
  const no = await ua.register({ impu: 'sip:DEMOIVY@wwsf.lab', token });
  assert.strictEqual(no.status, 403, no.raw);
  assert.strictEqual(no.header('warning'), '399 ims_wic "impu_not_in_token"');
});

test('tel URIs: visual separators are not part of the identity', async () => {
  const ua = await wic();
  const r = await ua.register({ impu: 'tel:+1-555-123-4567', token: env.mint({ impu: ['tel:+15551234567'] }) });
  assert.strictEqual(r.status, 200, r.raw);
  assert.strictEqual(r.header('p-associated-uri'), '<tel:+15551234567>');
  assert.strictEqual((await env.bindings('tel:+1.555.(123).4567')).length, 1);
  const range = (await env.ranges()).find((x) => x.distinct_pui === TEL_PUI);
  assert.strictEqual(range.wic_count, '1');
  busy(ua);
  assert.match(await directInvite('tel:+1(555)123-4567'), /^SIP\/2\.0 486 /);
  assert.ok(ua.received.some((m) => m.method === 'INVITE'), 'the WIC got no INVITE');
  // a token naming the number with separators admits it too
  const ua2 = await wic();
  const r2 = await ua2.register({ impu: 'tel:+15551239999', token: env.mint({ impu: ['tel:+1-555-123-9999'] }) });
  assert.strictEqual(r2.status, 200, r2.raw);
});

test('tel URI parameters are part of the identity (RFC 3966): never dropped, so outside a range of bare numbers', async () => {
  // the range tel:+1555123!\\d{4}! names numbers without parameters: the
  // number with an extension is another identity, refused, not stored as
  // the bare number
  const ua = await wic();
  const r = await unchanged(() => ua.register({ impu: 'tel:+15551234445;EXT=12',
    token: env.mint({ impu: ['tel:+15551234445;ext=12'] }) }));
  assert.strictEqual(r.status, 403, r.raw);
  assert.strictEqual(r.header('warning'), '399 ims_wic "impu_not_in_range"');
  assert.strictEqual((await env.bindings('tel:+15551234445')).length, 0, 'stored without its extension');
});

test('a SIP URI password is part of the identity (RFC 3261 19.1.4)', async () => {
  const ua = await wic();
  const no = await unchanged(() => ua.register({ impu: 'sip:demopw:secret@wwsf.lab',
    token: env.mint({ impu: ['sip:demopw@wwsf.lab'] }) }));
  assert.strictEqual(no.status, 403, no.raw);
  assert.strictEqual(no.header('warning'), '399 ims_wic "impu_not_in_token"');
});

// ---- Contact parameters and Expires ------------------------------------

const stat = async (name) => Number((await env.stats())[name]);

// A REGISTER refused for its grammar: 400, the reason phrase, the Warning,
// the statistic, and nothing changed (the resident's contact, named in the
// seen bug, is still there).
async function refused({ contact, expires = 600, headers = [], warn = 'bad_contact_param',
  reason = 'Bad Request - Contact Parameter Invalid', token = true }) {
  const ua = await wic();
  const before = await stat(`rejected_${warn}`);
  const r = await unchanged(() => ua.register({ impu: RESIDENT, contact, expires, headers,
    token: token ? env.mint({ impu: [RESIDENT] }) : undefined }));
  assert.strictEqual(r.status, 400, r.raw);
  assert.strictEqual(r.reason, reason, r.raw);
  assert.strictEqual(r.header('warning'), `399 ims_wic "${warn}"`, r.raw);
  assert.strictEqual(await stat(`rejected_${warn}`), before + 1);
}

async function accepted({ contact, expires = 600, headers = [] }) {
  const ua = await wic();
  const impu = `sip:demook${crypto.randomBytes(3).toString('hex')}@wwsf.lab`;
  const r = await ua.register({ impu, contact: contact && contact(ua), expires, headers,
    token: env.mint({ impu: [impu] }) });
  assert.strictEqual(r.status, 200, r.raw);
  return { r, impu };
}

test('the seen bug: expires=abc with Expires: 0 is refused, the contact stays', async () => {
  await refused({ contact: `<${RESIDENT_CONTACT}>;expires=abc`, expires: 0 });
  await refused({ contact: `<${RESIDENT_CONTACT}>;expires=abc`, expires: 0, token: false });
});

for (const [what, param] of [
  ['expires not delta-seconds (quoted)', 'expires="60"'],
  ['expires empty', 'expires='],
  ['expires without value', 'expires'],
  ['expires negative', 'expires=-1'],
  ['expires twice', 'expires=60;expires=0'],
  ['q above 1', 'q=2'],
  ['q with four decimals', 'q=0.1234'],
  ['q 1.5', 'q=1.5'],
  ['reg-id 0', '+sip.instance="<urn:uuid:1b7e1e6a-1f43-4a5e-9a1f-7c3d5c0f1a01>";reg-id=0'],
  ['reg-id above 2^31-1', '+sip.instance="<urn:uuid:1b7e1e6a-1f43-4a5e-9a1f-7c3d5c0f1a01>";reg-id=2147483648'],
  ['reg-id not a number', '+sip.instance="<urn:uuid:1b7e1e6a-1f43-4a5e-9a1f-7c3d5c0f1a01>";reg-id=one'],
  ['+sip.instance without angle brackets', '+sip.instance="urn:uuid:1b7e1e6a-1f43-4a5e-9a1f-7c3d5c0f1a01"'],
  ['+sip.instance not a URN', '+sip.instance="<sip:w1@x.invalid>"'],
  ['+sip.instance with an empty NSS', '+sip.instance="<urn:uuid:>"'],
  ['+sip.instance not quoted', '+sip.instance=abc'],
]) {
  test(`Contact parameter refused with 400, nothing changed: ${what}`, async () => {
    await refused({ contact: `<${RESIDENT_CONTACT}>;${param}` });
  });
}

test('Expires header refused with 400, nothing changed: trailing text, twice', async () => {
  const bad = { warn: 'bad_expires', reason: 'Bad Request - Expires Invalid' };
  await refused({ ...bad, contact: `<${RESIDENT_CONTACT}>`, expires: '60 s' });
  await refused({ ...bad, contact: `<${RESIDENT_CONTACT}>`, expires: '0', headers: ['Expires: 0'] });
  await refused({ ...bad, contact: `<${RESIDENT_CONTACT}>;expires=600`, expires: '0\t0' });
});

// sanity_check() of the configuration answers these before ims_wic sees
// them (statistic script:wic_refused_malformed); still nothing changes.
test('Expires header that is no number at all: 400 from sanity_check, nothing changed', async () => {
  for (const [contact, expires] of [[`<${RESIDENT_CONTACT}>`, 'abc'], ['*', 'zero'],
    [`<${RESIDENT_CONTACT}>`, '99999999999']]) {
    const ua = await wic();
    const r = await unchanged(() => ua.register({ impu: RESIDENT, contact, expires,
      token: env.mint({ impu: [RESIDENT] }) }));
    assert.strictEqual(r.status, 400, r.raw);
    assert.strictEqual(r.reason, 'Expires value is illegal', r.raw);
  }
});

test('the right values: expires, q, reg-id, +sip.instance as JsSIP and SIP.js send them', async () => {
  const inst = (ua) => `+sip.instance="${ua.instance}"`;
  const { r } = await accepted({ contact: (ua) => `<${ua.contactUri || `sip:wic@${ua.host};transport=ws`}>;${inst(ua)};reg-id=2147483647;q=0.5;expires=120` });
  assert.match(r.header('contact'), /;expires=120\b/);
  assert.match(r.header('contact'), /;reg-id=2147483647\b/);
  await accepted({ contact: (ua) => `<sip:wic@${ua.host};transport=ws>;q=1.000;EXPIRES=60;${inst(ua)};reg-id=1` });
  await accepted({ contact: (ua) => `<sip:wic@${ua.host};transport=ws>;q=0.;expires=00060` });
});

test('huge expiry values read as 2^32-1, then capped by max_expires', async () => {
  const { r } = await accepted({ contact: (ua) => `<sip:wic@${ua.host};transport=ws>;expires=99999999999999999999` });
  assert.match(r.header('contact'), /;expires=3600\b/);
  const { r: r2 } = await accepted({ contact: (ua) => `<sip:wic@${ua.host};transport=ws>`, expires: '4294967296' });
  assert.match(r2.header('contact'), /;expires=3600\b/);
});

test('a refused REGISTER is logged at INFO with the reason', async () => {
  await delay(1100); // past the refusal log rate of the tests before
  await refused({ contact: `<${RESIDENT_CONTACT}>;q=7` });
  await pollUntil(() => /REGISTER refused .*400 Bad Request - Contact Parameter Invalid: Contact parameter q=7 is not a qvalue/
    .test(env.epcscf.log()), { what: 'the refusal log line' });
});
