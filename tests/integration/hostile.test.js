// SPDX-License-Identifier: GPL-2.0-or-later
// Copyright (C) 2026 the ims_wic authors
'use strict';
// Issue "Hostile input, faults and fuzzing" (suites part): what an attacker
// on the open Internet (a browser, a WIC, anything that speaks WSS) or a
// foreign host on the operator side can send, against the real eP-CSCF over
// real WSS. Every case asserts the exact answer (code, reason, Warning) and
// that no binding and no range changed. See docs/security.md.
const test = require('../lib/test');
const assert = require('node:assert');
const util = require('node:util');
const fs = require('node:fs');
const path = require('node:path');
const tls = require('node:tls');
const dgram = require('node:dgram');
const crypto = require('node:crypto');
const { OTHER_ORIGIN, signJws, AUDIENCE, DEMO_ISS } = require('../lib/env');
const { SipWs } = require('../lib/sipws');
const { residentFixture } = require('../lib/resident');
const { runSipp, startUas } = require('../lib/sipp');
const { REPO, pollUntil, tcpExchange } = require('../lib/common');

const WSS = 'wss://127.0.0.1:8443';
const ORIGIN = 'http://127.0.0.1:8000';
const RESIDENT = 'sip:demoresident@wwsf.lab';   // registered for the whole file
const VICTIM = 'sip:demovictim@wwsf.lab';
const now = () => Math.floor(Date.now() / 1000);
const b64u = (v) => Buffer.from(typeof v === 'string' ? v : JSON.stringify(v)).toString('base64url');

const fx = residentFixture(test, { name: 'hostile', resident: RESIDENT });
const { wic, unchanged } = fx;

// Sends raw text on a connection, then an in-order barrier (OPTIONS to the
// eP-CSCF itself, answered 200 by the cfg): everything the raw text caused
// has been answered when the barrier's answer is back (a connection is read
// by one process at a time, message after message). Resolves with the
// responses to the raw text and whether the eP-CSCF closed the connection.
async function rawExchange(ua, text) {
  const from = ua.received.length;
  ua.send(text);
  const barrier = ua.request('OPTIONS', { ruri: 'sip:127.0.0.1', to: '<sip:127.0.0.1>',
    from: '<sip:barrier@wwsf.lab>', timeoutMs: 5000 }).catch((e) => e);
  const got = await Promise.race([barrier, ua.closed.then(() => 'closed')]);
  const closed = got === 'closed' || ua.ws.readyState !== 1;
  if (!closed) {
    assert.ok(!(got instanceof Error), `barrier: ${got && got.message}`);
    assert.strictEqual(got.status, 200, 'barrier OPTIONS');
  }
  const responses = ua.received.slice(from).filter((m) => m.status && !/barrier@/.test(m.header('from') || ''));
  return { responses, closed };
}

function registerText(ua, { impu = VICTIM, token, extra = [], contact, expires = 600, callId = crypto.randomUUID(),
  cseq = 1, to = `<${impu}>` } = {}) {
  return [
    'REGISTER sip:wwsf.lab SIP/2.0',
    `Via: SIP/2.0/WSS ${ua.host};branch=z9hG4bK${crypto.randomBytes(6).toString('hex')}`,
    'Max-Forwards: 70',
    `To: ${to}`,
    `From: <${impu}>;tag=${crypto.randomBytes(3).toString('hex')}`,
    `Call-ID: ${callId}`,
    `CSeq: ${cseq} REGISTER`,
    ...(contact === null ? [] : [`Contact: ${contact || `<sip:wic@${ua.host};transport=ws>;+sip.instance="${ua.instance}";reg-id=1`}`]),
    `Expires: ${expires}`,
    ...(token ? [`Authorization: Bearer ${token}`] : []),
    ...extra,
    'Content-Length: 0', '', ''].join('\r\n');
}

function assertWarning(r, stat) {
  assert.strictEqual(r.header('warning'), `399 ims_wic "${stat}"`, r.raw);
}

// ---------------------------------------------------------------------------
// Tokens: one REGISTER of VICTIM (or c.impu) from a fresh demo connection.

const hdr = (o = {}) => ({ alg: 'ES256', typ: 'JWT', kid: 'demo-1', ...o });
const claims = (impu, o = {}) => ({ iss: DEMO_ISS, aud: AUDIENCE, iat: now(), exp: now() + 3600, impu: [impu], ...o });
const sigOf = (t) => t.split('.')[2];
// A validly signed token of the demo key over any header/payload text.
function signText(e, headerText, payloadText) {
  const input = `${b64u(headerText)}.${b64u(payloadText)}`;
  const sig = crypto.sign('sha256', Buffer.from(input), { key: e.keys.demo.privateKey, dsaEncoding: 'ieee-p1363' });
  return `${input}.${sig.toString('base64url')}`;
}

const M = {
  malformed: [400, 'Bad Request - Token Malformed', 'bad_token'],
  claims: [400, 'Bad Request - Token Claims Invalid', 'bad_claims'],
  alg: [403, 'Forbidden - Token Algorithm Not Allowed', 'bad_alg'],
  sig: [403, 'Forbidden - Token Signature Invalid', 'bad_signature'],
  expired: [401, 'Unauthorized - Token Expired', 'expired'],
  nyv: [403, 'Forbidden - Token Not Yet Valid', 'not_yet_valid'],
  iss: [403, 'Forbidden - Token Issuer Unknown', 'bad_issuer'],
  aud: [403, 'Forbidden - Token Audience Mismatch', 'bad_audience'],
  wwsf: [403, 'Forbidden - Token WWSF Mismatch', 'wrong_wwsf'],
  notInToken: [403, 'Forbidden - IMPU Not In Token', 'impu_not_in_token'],
  notInRange: [403, 'Forbidden - IMPU Not In Range', 'impu_not_in_range'],
  rangeNotAllowed: [403, 'Forbidden - Range Not Allocated', 'range_not_allowed'],
  noToken: [401, 'Unauthorized - Token Missing', 'no_token'],
};

const tokenCases = [
  // alg
  ['alg none, empty signature part', M.alg, (e, i) => `${b64u(hdr({ alg: 'none', kid: undefined }))}.${b64u(claims(i))}.`],
  ['alg none with a signature part', M.alg, (e, i) => `${b64u(hdr({ alg: 'none' }))}.${b64u(claims(i))}.${sigOf(e.mint({ impu: [i] }))}`],
  ['alg none without the signature part (two parts)', M.malformed, (e, i) => `${b64u(hdr({ alg: 'none' }))}.${b64u(claims(i))}`],
  ['alg "None" (case variant)', M.alg, (e, i) => `${b64u(hdr({ alg: 'None' }))}.${b64u(claims(i))}.`],
  ['alg not a string', M.malformed, (e, i) => `${b64u(hdr({ alg: 256 }))}.${b64u(claims(i))}.AAAA`],
  ['HS256 keyed with the RSA public key PEM (kid of the RSA key)', M.alg,
    (e, i) => e.mint({ impu: [i] }, { alg: 'HS256', kid: 'demo-rsa', key: fs.readFileSync(e.keys.rsa.pub) })],
  ['HS256 keyed with the EC public key PEM (kid of the EC key)', M.alg,
    (e, i) => e.mint({ impu: [i] }, { alg: 'HS256', kid: 'demo-1', key: fs.readFileSync(e.keys.demo.pub) })],
  ['HS256 keyed with the EC public key PEM, no kid (meets the real HMAC key)', M.sig,
    (e, i) => e.mint({ impu: [i] }, { alg: 'HS256', kid: null, key: fs.readFileSync(e.keys.demo.pub) })],
  ['RS256 claimed on the EC key', M.alg, (e, i) => e.mint({ impu: [i] }, { alg: 'RS256', kid: 'demo-1', key: e.keys.rsa.privateKey })],
  // signature / kid
  ['wrong kid', M.sig, (e, i) => e.mint({ impu: [i] }, { kid: 'demo-2' })],
  ['kid of the other WWSF, signed with its key, iss demo', M.sig,
    (e, i) => e.mint({ impu: [i] }, { kid: 'other-1', key: e.keys.other.privateKey })],
  ['kid not a string', M.malformed, (e, i) => e.mint({ impu: [i] }, { header: { kid: 1 } })],
  ['signature of another token', M.sig, (e, i) => { const t = e.mint({ impu: [i] }).split('.');
    return `${t[0]}.${t[1]}.${sigOf(e.mint({ impu: [i], x: 1 }))}`; }],
  ['one signature bit flipped', M.sig, (e, i) => { const t = e.mint({ impu: [i] }).split('.');
    const s = Buffer.from(t[2], 'base64url'); s[10] ^= 1; return `${t[0]}.${t[1]}.${s.toString('base64url')}`; }],
  ['empty signature, ES256', M.sig, (e, i) => e.mint({ impu: [i] }).replace(/\.[^.]+$/, '.')],
  // time
  ['expired (exp 120 s ago)', M.expired, (e, i) => e.mint({ impu: [i], exp: now() - 120 }),
    (r) => assert.match(r.header('www-authenticate'), /^Bearer realm="[^"]+", error="invalid_token"/)],
  ['expired inside the leeway (exp 10 s ago): nothing left to grant', M.expired,
    (e, i) => e.mint({ impu: [i], exp: now() - 10 }), (r) => assert.match(r.header('www-authenticate'), /invalid_token/)],
  ['exp 0 (1970)', M.expired, (e, i) => e.mint({ impu: [i], exp: 0 })],
  ['nbf 60 s in the future (beyond the 30 s leeway)', M.nyv, (e, i) => e.mint({ impu: [i], nbf: now() + 60 })],
  ['iat 60 s in the future (beyond the 30 s leeway)', M.nyv, (e, i) => e.mint({ impu: [i], iat: now() + 60 })],
  ['missing exp', M.claims, (e, i) => e.mint({ impu: [i] }, { omit: ['exp'] })],
  ['exp a string', M.claims, (e, i) => e.mint({ impu: [i], exp: String(now() + 3600) })],
  ['exp 1e300', M.claims, (e, i) => signText(e, JSON.stringify(hdr()), `{"iss":"${DEMO_ISS}","aud":"${AUDIENCE}","exp":1e300,"impu":["${i}"]}`)],
  // issuer / audience / WWSF
  ['wrong iss', M.iss, (e, i) => e.mint({ impu: [i], iss: 'http://evil.example' })],
  ['iss missing', M.iss, (e, i) => e.mint({ impu: [i] }, { omit: ['iss'] })],
  ['iss an array holding ours', M.iss, (e, i) => e.mint({ impu: [i], iss: [DEMO_ISS] })],
  ['wrong aud', M.aud, (e, i) => e.mint({ impu: [i], aud: 'epcscf.evil' })],
  ['aud array without ours', M.aud, (e, i) => e.mint({ impu: [i], aud: ['a', 'epcscf.lab.evil', 'EPCSCF.LAB'] })],
  ['aud missing', M.aud, (e, i) => e.mint({ impu: [i] }, { omit: ['aud'] })],
  ['another WWSF\'s token on this WWSF\'s origin', M.wwsf, (e) => e.mintOther({ impu: ['sip:otherzed@wwsf.lab'] }),
    null, 'sip:otherzed@wwsf.lab'],
  // identities
  ['IMPU outside every range (in the token)', M.notInRange, (e, i) => e.mint({ impu: [i] }), null, 'sip:intruder@wwsf.lab'],
  ['IMPU in the other WWSF\'s range (in the token)', M.notInRange, (e, i) => e.mint({ impu: [i] }), null, 'sip:otherbob@wwsf.lab'],
  ['IMPU not in the token', M.notInToken, (e) => e.mint({ impu: ['sip:demosomeoneelse@wwsf.lab'] })],
  ['IMPU differing from the token in user-part case', M.notInToken, (e) => e.mint({ impu: ['sip:demoVictim@wwsf.lab'] })],
  ['IMPU as a prefix of the token\'s', M.notInToken, (e) => e.mint({ impu: ['sip:demovictim2@wwsf.lab'] })],
  ['impu claim a number', M.claims, (e) => e.mint({ impu: 5 })],
  ['impu claim an object', M.claims, (e, i) => e.mint({ impu: { uri: i } })],
  ['impu claim an empty array', M.claims, (e) => e.mint({ impu: [] })],
  ['impu claim an array holding a number', M.claims, (e, i) => e.mint({ impu: [i, 7] })],
  ['impu claim an empty string', M.claims, (e) => e.mint({ impu: '' })],
  // jansson refuses \u0000 in strings (no JSON_ALLOW_NUL): the token does not parse
  ['impu claim with an embedded NUL', M.malformed, (e, i) => e.mint({ impu: [`${i}\u0000x`] })],
  ['impu claim missing', M.claims, (e) => e.mint({}, { omit: ['impu'] })],
  ['anon claim not a boolean', M.claims, (e, i) => e.mint({ impu: [i], anon: 'yes' })],
  ['range claim not allocated to the WWSF', M.rangeNotAllowed, (e, i) => e.mint({ impu: [i], range: 'sip:other!.*!@wwsf.lab' })],
  // shape
  ['oversized token (> 8 KiB)', M.malformed, (e, i) => e.mint({ impu: [i], pad: 'x'.repeat(8200) })],
  ['one part', M.malformed, (e, i) => e.mint({ impu: [i] }).split('.')[0]],
  ['two parts', M.malformed, (e, i) => e.mint({ impu: [i] }).split('.').slice(0, 2).join('.')],
  ['trailing dot (four parts)', M.malformed, (e, i) => `${e.mint({ impu: [i] })}.`],
  ['empty header part', M.malformed, (e, i) => `.${e.mint({ impu: [i] }).split('.').slice(1).join('.')}`],
  ['base64 padding "="', M.malformed, (e, i) => { const t = e.mint({ impu: [i] }).split('.');
    return `${t[0]}${'='.repeat((4 - (t[0].length % 4)) % 4 || 2)}.${t[1]}.${t[2]}`; }],
  ['base64 "+" instead of "-"', M.malformed, (e, i) => { let t; do t = e.mint({ impu: [i], n: crypto.randomUUID() }); while (!/[-_]/.test(t));
    return t.replace(/-/g, '+').replace(/_/g, '/'); }],
  ['base64 "/" in the signature', M.malformed, (e, i) => `${e.mint({ impu: [i] }).slice(0, -2)}/A`],
  ['non-canonical base64url (unused bits set)', M.malformed, (e, i) => { const t = e.mint({ impu: [i] }).split('.');
    const last = t[2].slice(-1); const alt = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    return `${t[0]}.${t[1]}.${t[2].slice(0, -1)}${alt[(alt.indexOf(last) + 1) % 64]}`; }],
  ['header not JSON', M.malformed, (e, i) => signText(e, '{"alg":"ES256","kid":"demo-1"', JSON.stringify(claims(i)))],
  ['payload not JSON', M.malformed, (e, i) => signText(e, JSON.stringify(hdr()), `{"impu":["${i}"],"exp":`)],
  ['payload a JSON array', M.malformed, (e, i) => signText(e, JSON.stringify(hdr()), JSON.stringify([claims(i)]))],
  ['duplicate "impu" key in the payload (first names the victim)', M.malformed,
    (e, i) => signText(e, JSON.stringify(hdr()), `{"iss":"${DEMO_ISS}","aud":"${AUDIENCE}","exp":${now() + 600},"impu":["${i}"],"impu":["sip:demoattacker@wwsf.lab"]}`)],
  ['duplicate "alg" key in the header', M.malformed,
    (e, i) => signText(e, '{"alg":"none","alg":"ES256","kid":"demo-1"}', JSON.stringify(claims(i)))],
  ['crit header parameter', M.malformed, (e, i) => e.mint({ impu: [i] }, { header: { crit: ['exp'], exp: 1 } })],
];

for (const [name, [code, reason, stat], tok, check, impuOverride] of tokenCases) {
  test(`token: ${name} -> ${code} ${stat}, nothing changes`, async () => {
    const impu = impuOverride || VICTIM;
    await unchanged(async () => {
      const ua = await wic();
      const r = await ua.register({ impu, token: tok(fx.env, impu) });
      assert.strictEqual(r.status, code, r.raw);
      assert.strictEqual(r.reason, reason);
      assertWarning(r, stat);
      if (check) check(r);
    });
  });
}

test('token: demo\'s token on the other WWSF\'s origin -> 403 wrong_wwsf', async () => {
  await unchanged(async () => {
    const ua = await wic({ origin: OTHER_ORIGIN });
    const r = await ua.register({ impu: VICTIM, token: fx.env.mint({ impu: [VICTIM] }) });
    assert.strictEqual(r.status, 403);
    assertWarning(r, 'wrong_wwsf');
  });
});

test('token: leeway edge accepted (nbf and iat 20 s ahead, inside the 30 s leeway), then removed', async () => {
  const before = await fx.env.snapshot();
  const ua = await wic();
  const token = fx.env.mint({ impu: [VICTIM], nbf: now() + 20, iat: now() + 20 });
  const r = await ua.register({ impu: VICTIM, token });
  assert.strictEqual(r.status, 200, r.raw);
  await fx.env.waitBindings(VICTIM, 1);
  assert.strictEqual((await ua.register({ impu: VICTIM, token, expires: 0 })).status, 200);
  await fx.env.waitBindings(VICTIM, 0);
  assert.deepStrictEqual(await fx.env.snapshot(), before);
  await ua.close();
});

test('token: whitespace inside the Bearer token is no Bearer token -> 401, inside an application/jwt body -> 400', async () => {
  await unchanged(async () => {
    const ua = await wic();
    const t = fx.env.mint({ impu: [VICTIM] });
    const spaced = `${t.slice(0, 20)} ${t.slice(20)}`;
    const a = await ua.register({ impu: VICTIM, token: spaced });
    assert.strictEqual(a.status, 401, a.raw);
    assertWarning(a, 'no_token');
    const b = await ua.register({ impu: VICTIM, token: `${t.slice(0, 20)}\r\n ${t.slice(20)}`, authMode: 'jwt' });
    assert.strictEqual(b.status, 400, b.raw);
    assertWarning(b, 'bad_token');
  });
});

// ---------------------------------------------------------------------------
// Headers and the registrar

test('two Authorization headers, first a bad Bearer, second good: the first Bearer counts -> 400', async () => {
  await unchanged(async () => {
    const ua = await wic();
    const good = fx.env.mint({ impu: [VICTIM] });
    const r = await ua.register({ impu: VICTIM, headers: ['Authorization: Bearer abc.def.ghi', `Authorization: Bearer ${good}`] });
    assert.strictEqual(r.status, 400, r.raw);
    assertWarning(r, 'bad_token');
  });
});

test('two Authorization headers, first a good Bearer, second bad: 200 (first Bearer that parses)', async () => {
  const before = await fx.env.snapshot();
  const ua = await wic();
  const good = fx.env.mint({ impu: [VICTIM] });
  const r = await ua.register({ impu: VICTIM, headers: [`Authorization: Bearer ${good}`, 'Authorization: Bearer abc.def.ghi'] });
  assert.strictEqual(r.status, 200, r.raw);
  await fx.env.waitBindings(VICTIM, 1);
  await ua.close();
  await fx.env.waitBindings(VICTIM, 0);
  // the range's WIC count follows the binding's removal a moment later
  await pollUntil(async () => util.isDeepStrictEqual(await fx.env.snapshot(), before),
    { timeoutMs: 3000, what: 'bindings and ranges as before' });
});

test('Digest Authorization before a bad Bearer: the Digest one is skipped, the Bearer decides -> 403', async () => {
  await unchanged(async () => {
    const ua = await wic();
    const r = await ua.register({ impu: VICTIM, headers: ['Authorization: Digest username="demovictim@wwsf.lab", realm="wwsf.lab"',
      `Authorization: Bearer ${fx.env.mint({ impu: ['sip:demoelse@wwsf.lab'] })}`] });
    assert.strictEqual(r.status, 403, r.raw);
    assertWarning(r, 'impu_not_in_token');
  });
});

test('bad Bearer header and a good application/jwt body: the header counts -> 403', async () => {
  await unchanged(async () => {
    const ua = await wic();
    const r = await ua.register({ impu: VICTIM, token: fx.env.mint({ impu: [VICTIM] }), authMode: 'jwt',
      headers: [`Authorization: Bearer ${fx.env.mint({ impu: [VICTIM] }, { kid: 'nope' })}`] });
    assert.strictEqual(r.status, 403, r.raw);
    assertWarning(r, 'bad_signature');
  });
});

test('a huge Authorization header (60 KB) closes the connection without an answer', async () => {
  await unchanged(async () => {
    const ua = await wic();
    const { responses, closed } = await rawExchange(ua, registerText(ua, { token: `${fx.env.mint({ impu: [VICTIM] })}${'A'.repeat(60000)}` }));
    assert.deepStrictEqual(responses, []);
    assert.ok(closed, 'the eP-CSCF keeps a connection that sent a 60 KB frame');
  });
});

test('a huge header (20 KB X-Pad) closes the connection without an answer', async () => {
  await unchanged(async () => {
    const ua = await wic();
    const { responses, closed } = await rawExchange(ua, registerText(ua, { token: fx.env.mint({ impu: [VICTIM] }),
      extra: [`X-Pad: ${'p'.repeat(20000)}`] }));
    assert.deepStrictEqual(responses, []);
    assert.ok(closed);
  });
});

test('many headers (300 of them, under the frame limit) with a token for someone else -> 403, connection kept', async () => {
  await unchanged(async () => {
    const ua = await wic();
    const extra = Array.from({ length: 300 }, (_, k) => `X-H${k}: ${k}`);
    const { responses, closed } = await rawExchange(ua, registerText(ua, { token: fx.env.mint({ impu: ['sip:demoelse@wwsf.lab'] }), extra }));
    assert.strictEqual(closed, false);
    assert.strictEqual(responses.length, 1);
    assert.strictEqual(responses[0].status, 403);
    assertWarning(responses[0], 'impu_not_in_token');
  });
});

test('two To headers (first the victim, token for the second) get no answer: the core parser drops it', async () => {
  await unchanged(async () => {
    const ua = await wic();
    const me = 'sip:demoattacker@wwsf.lab';
    const text = registerText(ua, { impu: me, token: fx.env.mint({ impu: [me] }), to: `<${VICTIM}>`, extra: [`To: <${me}>`] });
    const { responses, closed } = await rawExchange(ua, text);
    assert.deepStrictEqual(responses.map((m) => m.status), []);
    assert.strictEqual(closed, false);
    assert.ok(fx.env.epcscf.logContains(/duplicate To header field/), 'the drop is logged');
  });
});

test('REGISTER without a Contact is a fetch: 200 listing nothing, no binding made', async () => {
  await unchanged(async () => {
    const ua = await wic();
    const { responses } = await rawExchange(ua, registerText(ua, { token: fx.env.mint({ impu: [VICTIM] }), contact: null }));
    assert.strictEqual(responses.length, 1);
    assert.strictEqual(responses[0].status, 200);
    assert.strictEqual(responses[0].header('contact'), undefined);
  });
});

test('Contact: * with a non-zero Expires -> 400, the fx.resident\'s binding stays', async () => {
  await unchanged(async () => {
    const ua = await wic();
    const r = await ua.register({ impu: RESIDENT, token: fx.env.mint({ impu: [RESIDENT] }), contact: '*', expires: 300 });
    assert.strictEqual(r.status, 400, r.raw);
    assert.strictEqual(r.reason, 'Bad Request - Malformed REGISTER');
  });
});

test('Contact: * together with a URI Contact -> 400', async () => {
  await unchanged(async () => {
    const ua = await wic();
    const { responses } = await rawExchange(ua, registerText(ua, { impu: RESIDENT, token: fx.env.mint({ impu: [RESIDENT] }),
      contact: '*', expires: 0, extra: [`Contact: <sip:x@${ua.host};transport=ws>`] }));
    assert.deepStrictEqual(responses.map((m) => `${m.status} ${m.reason}`), ['400 Bad Request - Malformed REGISTER']);
  });
});

const badContacts = [
  ['a Contact URI with URI headers (enclosed)', (ua) => `<sip:wic@${ua.host};transport=ws?Route=%3Csip:evil.example%3E>`],
  ['a Contact URI with URI headers, not enclosed (RFC 4475 regbadct)', () => 'sip:user@example.invalid?Route=%3Csip:sip.example.invalid%3E'],
  ['an http: Contact', () => '<http://evil.example/wic>'],
  ['a tel: Contact', () => '<tel:+15551234567>'],
  ['a Contact that is no URI', () => '<garbage>'],
];

for (const [name, contact] of badContacts) {
  test(`REGISTER with ${name} -> 400, no binding`, async () => {
    await unchanged(async () => {
      const ua = await wic();
      const r = await ua.register({ impu: VICTIM, token: fx.env.mint({ impu: [VICTIM] }), contact: contact(ua) });
      assert.strictEqual(r.status, 400, r.raw);
      assert.match(r.reason, /^Bad Request - (Contact|Malformed REGISTER)$/);
    });
  });
}

test('a good Contact followed by a bad one -> 400 and neither is bound (RFC 3261 10.3: all or nothing)', async () => {
  await unchanged(async () => {
    const ua = await wic();
    const { responses } = await rawExchange(ua, registerText(ua, { token: fx.env.mint({ impu: [VICTIM] }),
      extra: [`Contact: <sip:second@${ua.host};transport=ws?Route=%3Csip:evil.example%3E>`] }));
    assert.deepStrictEqual(responses.map((m) => `${m.status} ${m.reason}`), ['400 Bad Request - Contact']);
  });
});

test('Call-ID/CSeq replay: same Call-ID, lower CSeq -> 400 out of order, binding unchanged', async () => {
  const impu = 'sip:demoreplay@wwsf.lab';
  const token = fx.env.mint({ impu: [impu] });
  const ua = await wic();
  assert.strictEqual((await ua.register({ impu, token, callId: 'hostile-replay', cseq: 10, expires: 300 })).status, 200);
  await fx.env.waitBindings(impu, 1);
  await unchanged(async () => {
    const lower = await ua.register({ impu, token, callId: 'hostile-replay', cseq: 9, expires: 3000 });
    assert.strictEqual(lower.status, 400);
    assert.strictEqual(lower.reason, 'Bad Request - CSeq Out Of Order');
    const dereg = await ua.register({ impu, token, callId: 'hostile-replay', cseq: 3, expires: 0 });
    assert.strictEqual(dereg.status, 400);
  });
  const b = await fx.env.bindings(impu);
  assert.ok(Number(b[0].expires) <= 300, 'the replay did not extend the binding');
  await ua.close();
  await fx.env.waitBindings(impu, 0);
});

test('token of A used to register B from another connection -> 403, A\'s binding untouched', async () => {
  await unchanged(async () => {
    const ua = await wic();
    const r = await ua.register({ impu: VICTIM, token: fx.env.mint({ impu: [RESIDENT] }) });
    assert.strictEqual(r.status, 403);
    assertWarning(r, 'impu_not_in_token');
  });
});

test('A\'s token on a second connection: another instance\'s de-register removes nothing; Contact: * removes all of A (the token authorizes the IMPU)', async () => {
  const impu = 'sip:demoowner@wwsf.lab';
  const token = fx.env.mint({ impu: [impu] });
  const first = await wic();
  assert.strictEqual((await first.register({ impu, token, expires: 600 })).status, 200);
  await fx.env.waitBindings(impu, 1);
  const second = await wic();
  const other = await second.register({ impu, token, expires: 0 });  // its own instance: no match
  assert.strictEqual(other.status, 200);
  const kept = await fx.env.waitBindings(impu, 1);
  assert.strictEqual(kept[0].instance, first.instance);
  const star = await second.register({ impu, token, contact: '*', expires: 0 });
  assert.strictEqual(star.status, 200, star.raw);
  await fx.env.waitBindings(impu, 0);
  await first.close();
  await second.close();
});

// ---------------------------------------------------------------------------
// Requests that are not REGISTER

test('INVITE from a connection without a registered identity -> 403 Not Registered', async () => {
  await unchanged(async () => {
    const ua = await wic();
    const { res } = await ua.invite('sip:bob@ims.lab', { from: RESIDENT });
    assert.strictEqual(res.status, 403);
    assert.strictEqual(res.reason, 'Forbidden - Not Registered');
  });
});

test('spoofed P-Asserted-Identity on an INVITE never reaches the IMS side', async (t) => {
  const uas = await startUas({ scenario: 'uas-answer.xml', port: 5090, name: 'hostile-pai' });
  t.after(() => uas.stop());
  await unchanged(async () => {
    const { res, dialog } = await fx.resident.invite('sip:bob@ims.lab', { from: RESIDENT,
      headers: ['P-Asserted-Identity: <sip:boss@ims.lab>', 'P-Asserted-Identity: <tel:+15551234567>',
        `P-Preferred-Identity: <${VICTIM}>`] });
    assert.strictEqual(res.status, 200, res.raw);
    assert.strictEqual((await fx.resident.bye(dialog)).status, 200);
  });
  const done = await uas.stop();
  const invite = done.trace.split(/-{10,}/).find((m) => /^\s*INVITE /m.test(m));
  assert.ok(invite, done.trace.slice(0, 2000));
  assert.deepStrictEqual(invite.match(/^P-Asserted-Identity:.*$/gmi), [`P-Asserted-Identity: <${RESIDENT}>`]);
  assert.doesNotMatch(done.trace, /boss@ims\.lab|\+15551234567|demovictim|P-Preferred-Identity/i);
});

test('terminating INVITE from an address that is not the IMS Core (127.0.0.2) -> 403', async () => {
  await unchanged(async () => {
    const r = await runSipp({ scenario: 'uac-expect.xml', target: '127.0.0.1:5060', localIp: '127.0.0.2',
      service: 'demoresident@wwsf.lab', keys: { from: 'sip:mallory@evil.lab', expect: '403', reason: '' },
      name: 'hostile-not-ims', timeoutS: 10 });
    assert.strictEqual(r.code, 0, r.trace);
    assert.match(r.trace, /SIP\/2\.0 403 Forbidden - Not the IMS Core/);
  });
  assert.ok(!fx.resident.received.some((m) => m.method === 'INVITE' && /mallory/.test(m.header('from') || '')));
});

function udpRequest(localIp, text) {
  return new Promise((resolve, reject) => {
    const s = dgram.createSocket('udp4');
    const t = setTimeout(() => { s.close(); reject(new Error('no UDP answer')); }, 5000);
    s.on('message', (buf) => {
      const first = buf.toString().split('\r\n')[0];
      if (/^SIP\/2\.0 1\d\d/.test(first)) return;
      clearTimeout(t); s.close(); resolve(buf.toString());
    });
    s.bind(0, localIp, () => {
      const { port } = s.address();
      s.send(text.replace(/\$\{LOCAL\}/g, `${localIp}:${port}`), 5060, '127.0.0.1');
    });
  });
}

const udpRegister = (token) => [
  `REGISTER sip:wwsf.lab SIP/2.0`, 'Via: SIP/2.0/UDP ${LOCAL};branch=z9hG4bK' + crypto.randomBytes(5).toString('hex') + ';rport',
  'Max-Forwards: 70', `To: <${VICTIM}>`, `From: <${VICTIM}>;tag=1`, `Call-ID: ${crypto.randomUUID()}`, 'CSeq: 1 REGISTER',
  'Contact: <sip:victim@${LOCAL}>', 'Expires: 600', `Authorization: Bearer ${token}`, 'Content-Length: 0', '', ''].join('\r\n');

// A terminating INVITE as an S-CSCF sends it (TS 24.229 5.4.3.3): to this
// node's contact, the called identity in P-Called-Party-ID.
const termInvite = ({ route, cpids = [`<${RESIDENT}>`], callId }) => [
  'INVITE sip:127.0.0.1:5060 SIP/2.0', 'Via: SIP/2.0/UDP ${LOCAL};branch=z9hG4bK' + crypto.randomBytes(5).toString('hex') + ';rport',
  'Max-Forwards: 70', `To: <${RESIDENT}>`, 'From: <sip:carol@ims.lab>;tag=1', `Call-ID: ${callId}`, 'CSeq: 1 INVITE',
  'Contact: <sip:carol@${LOCAL}>', ...(route ? [`Route: ${route}`] : []), ...cpids.map((c) => `P-Called-Party-ID: ${c}`),
  'Content-Length: 0', '', ''].join('\r\n');

test('terminating INVITE whose top Route is not this node\'s Path -> 403; the Route\'s host and the WIC hear nothing', async (t) => {
  const listener = dgram.createSocket('udp4');
  const heard = [];
  listener.on('message', (m) => heard.push(m.toString()));
  await new Promise((resolve) => listener.bind(5999, '127.0.0.1', resolve));
  t.after(() => listener.close());
  const callId = crypto.randomUUID();
  const before = await fx.env.scriptStat('wic_refused_foreign_route');
  await unchanged(async () => {
    const r = await udpRequest('127.0.0.1', termInvite({ route: '<sip:evil@127.0.0.1:5999;lr>, <sip:term@127.0.0.1:5060;lr>', callId }));
    assert.match(r, /^SIP\/2\.0 403 Forbidden - Route is not this node's Path\r\n/);
  });
  assert.strictEqual(await fx.env.scriptStat('wic_refused_foreign_route'), before + 1);
  // a request the listener would have got arrives within milliseconds;
  // the OPTIONS barrier through the same node proves it had its chance
  await udpRequest('127.0.0.1', ['OPTIONS sip:127.0.0.1:5060 SIP/2.0',
    'Via: SIP/2.0/UDP ${LOCAL};branch=z9hG4bKbarrier' + crypto.randomBytes(4).toString('hex'), 'Max-Forwards: 70',
    'To: <sip:127.0.0.1>', 'From: <sip:carol@ims.lab>;tag=b', `Call-ID: ${crypto.randomUUID()}`, 'CSeq: 1 OPTIONS',
    'Content-Length: 0', '', ''].join('\r\n'));
  assert.deepStrictEqual(heard, []);
  assert.ok(!fx.resident.received.some((m) => m.header('call-id') === callId), 'the WIC got the INVITE');
});

test('terminating INVITE with two P-Called-Party-ID headers -> 400; the WIC hears nothing', async () => {
  const callId = crypto.randomUUID();
  await unchanged(async () => {
    const r = await udpRequest('127.0.0.1', termInvite({ route: '<sip:term@127.0.0.1:5060;lr>', callId,
      cpids: [`<${RESIDENT}>`, '<sip:demoother@wwsf.lab>'] }));
    assert.match(r, /^SIP\/2\.0 400 Bad Request - Called Identity\r\n/);
  });
  assert.ok(!fx.resident.received.some((m) => m.header('call-id') === callId), 'the WIC got the INVITE');
});

test('REGISTER from the IMS side (UDP from the IMS Core address), even with a valid token -> 403', async () => {
  await unchanged(async () => {
    const r = await udpRequest('127.0.0.1', udpRegister(fx.env.mint({ impu: [VICTIM] })));
    assert.match(r, /^SIP\/2\.0 403 Forbidden - Register ranges, not WICs\r\n/);
  });
});

test('REGISTER over UDP from a host that is neither a WIC nor the IMS Core -> 403', async () => {
  await unchanged(async () => {
    const r = await udpRequest('127.0.0.2', udpRegister(fx.env.mint({ impu: [VICTIM] })));
    assert.match(r, /^SIP\/2\.0 403 Forbidden - Not the IMS Core\r\n/);
  });
});

// ---------------------------------------------------------------------------
// WebSocket upgrade, written by hand so that every header is as given.

function upgrade({ origin, protocol = 'sip', port = 8443, extra = [] } = {}) {
  return new Promise((resolve, reject) => {
    const s = tls.connect({ host: '127.0.0.1', port, rejectUnauthorized: false }, () => {
      s.write(['GET / HTTP/1.1', `Host: 127.0.0.1:${port}`, 'Upgrade: websocket', 'Connection: Upgrade',
        `Sec-WebSocket-Key: ${crypto.randomBytes(16).toString('base64')}`, 'Sec-WebSocket-Version: 13',
        ...(protocol ? [`Sec-WebSocket-Protocol: ${protocol}`] : []),
        ...(origin !== undefined ? [`Origin: ${origin}`] : []), ...extra, '', ''].join('\r\n'));
    });
    let buf = '';
    const t = setTimeout(() => { s.destroy(); reject(new Error(`no HTTP answer: ${buf}`)); }, 5000);
    s.on('data', (d) => {
      buf += d;
      if (buf.includes('\r\n\r\n')) { clearTimeout(t); s.destroy(); resolve(Number(/^HTTP\/1\.1 (\d{3})/.exec(buf)[1])); }
    });
    s.on('error', (e) => { clearTimeout(t); reject(e); });
  });
}

const upgrades = [
  ['no Origin', { origin: undefined }, 403],
  ['an Origin of no WWSF', { origin: 'https://evil.example' }, 403],
  ['Origin "null" (sandboxed page, file:)', { origin: 'null' }, 403],
  ['empty Origin', { origin: '' }, 403],
  ['allowed origin with a trailing slash', { origin: `${ORIGIN}/` }, 403],
  ['allowed host on another port', { origin: 'http://127.0.0.1:8002' }, 403],
  ['allowed origin as a prefix (suffix attack)', { origin: `${ORIGIN}.evil.example` }, 403],
  ['allowed origin with https instead of http', { origin: 'https://127.0.0.1:8000' }, 403],
  ['allowed origin with the scheme and host in upper case (origins are case-insensitive)', { origin: 'HTTP://LOCALHOST:8000' }, 101],
  ['non-SIP subprotocol', { origin: ORIGIN, protocol: 'chat' }, 400],
  ['no subprotocol', { origin: ORIGIN, protocol: null }, 400],
];

for (const [name, opts, code] of upgrades) {
  test(`WebSocket upgrade with ${name} -> HTTP ${code}`, async () => {
    await unchanged(async () => {
      assert.strictEqual(await upgrade(opts), code);
    });
  });
}

// ---------------------------------------------------------------------------
// RFC 4475 torture messages over WebSocket

const TORTURE_DIR = path.join(REPO, 'tests', 'hostile', 'rfc4475');
const TORTURE_IMPU = 'sip:demotorture@wwsf.lab';

function tortureText(file, ua) {
  let text = fs.readFileSync(path.join(TORTURE_DIR, file), 'utf8').replace(/\n/g, '\r\n')
    .replace(/\$\{HOST\}/g, ua.host)
    .replace(/\$\{TOKEN\}/g, fx.env.mint({ impu: [TORTURE_IMPU, 'sip:null-%00-null@wwsf.lab'] }));
  const sep = text.indexOf('\r\n\r\n');
  const body = text.slice(sep + 4);
  text = text.replace(/\$\{CL\}/g, String(Buffer.byteLength(body)));
  return text;
}

test('RFC 4475 torture messages over WebSocket: 4xx or no answer, never a 2xx, no state, the eP-CSCF lives', async (t) => {
  const files = fs.readdirSync(TORTURE_DIR).filter((f) => f.endsWith('.sip')).sort();
  assert.ok(files.length >= 30, `${files.length} torture files`);
  const before = await fx.env.snapshot();
  const outcome = {};
  let ua = await wic();
  for (const f of files) {
    if (ua.ws.readyState !== 1) ua = await wic();
    const { responses, closed } = await rawExchange(ua, tortureText(f, ua));
    outcome[f] = responses.map((m) => m.status).join(',') || (closed ? 'closed' : 'none');
    for (const m of responses) {
      assert.ok(m.status >= 400 && m.status < 500, `${f}: answered ${m.firstLine}`);
    }
  }
  t.diagnostic(JSON.stringify(outcome));
  assert.deepStrictEqual(await fx.env.snapshot(), before, JSON.stringify(outcome));
  assert.match(await fx.env.epcscf.rpc('core.uptime'), /uptime/);
  assert.doesNotMatch(fx.env.epcscf.log(), /exited by a signal|BUG: |Assertion .* failed/);
  // the resident WIC is still served after all this
  const r = await fx.resident.register({ impu: RESIDENT, token: fx.env.mint({ impu: [RESIDENT] }), expires: 3600 });
  assert.strictEqual(r.status, 200);
});

test('an empty Call-ID (registered WIC and unregistered connection) -> 400, counted, nothing logged at NOTICE or above', async () => {
  const before = await fx.env.scriptStat('wic_refused_malformed');
  const mark = fx.env.epcscf.logMark();
  await unchanged(async () => {
    const stranger = await wic();
    for (const [ua, from] of [[fx.resident, RESIDENT], [stranger, 'sip:demostranger@wwsf.lab']]) {
      for (const callId of ['', ' ']) {
        const r = await ua.request('MESSAGE', { ruri: 'sip:+15550100@ims.lab', to: '<sip:+15550100@ims.lab>',
          from: `<${from}>`, callId, body: 'hi', contentType: 'text/plain' });
        assert.strictEqual(r.status, 400, r.raw);
        assert.strictEqual(r.reason, 'Bad Request - Empty Call-ID');
        assert.match(r.header('warning'), /wic_refused_malformed/);
      }
    }
  });
  assert.strictEqual(await fx.env.scriptStat('wic_refused_malformed'), before + 4);
  const loud = fx.env.epcscf.log().slice(mark).split('\n')
    .filter((l) => /^\s*\d+\(\d+\) (NOTICE|WARNING|ERROR|CRITICAL|ALERT|BUG):/.test(l));
  assert.deepStrictEqual(loud, []);
});

test('a request sent again after its answer (same branch) gets that answer again and goes nowhere twice', async () => {
  const mark = fx.env.epcscf.logMark();
  const imsMark = fx.env.imsCore.logMark();
  const same = { ruri: 'sip:nobody@elsewhere.example', to: '<sip:nobody@elsewhere.example>', from: `<${RESIDENT}>`,
    callId: crypto.randomUUID(), cseq: 7, branch: `z9hG4bK${crypto.randomBytes(6).toString('hex')}`, fromTag: 'again',
    body: 'hi', contentType: 'text/plain' };
  const first = await fx.resident.request('MESSAGE', same);
  assert.strictEqual(first.status, 404, first.raw);
  // within the transaction's wait time: tm absorbs it and sends the answer
  // again, and that is all (an in-order barrier collects every answer)
  const text = [`MESSAGE ${same.ruri} SIP/2.0`, `Via: SIP/2.0/WSS ${fx.resident.host};branch=${same.branch}`,
    'Max-Forwards: 70', `To: ${same.to}`, `From: ${same.from};tag=${same.fromTag}`, `Call-ID: ${same.callId}`,
    `CSeq: ${same.cseq} MESSAGE`, 'Content-Type: text/plain', 'Content-Length: 2', '', 'hi'].join('\r\n');
  const { responses } = await rawExchange(fx.resident, text);
  assert.deepStrictEqual(responses.map((m) => m.status), [404]);
  // the IMS Core logs each request it answers 404 (its log prefix names the Call-ID)
  const imsLines = fx.env.imsCore.log().slice(imsMark).split('\n')
    .filter((l) => l.includes(same.callId) && /not served here -> 404/.test(l));
  assert.strictEqual(imsLines.length, 1, 'the IMS Core got the MESSAGE once');
  const loud = fx.env.epcscf.log().slice(mark).split('\n')
    .filter((l) => /^\s*\d+\(\d+\) (NOTICE|WARNING|ERROR|CRITICAL|ALERT|BUG):/.test(l));
  assert.deepStrictEqual(loud, []);
});

// One raw HTTP upgrade request on the plain WebSocket port: its status line.
async function upgradeStatus(headers) {
  const got = await tcpExchange('127.0.0.1', 8080, ['GET / HTTP/1.1', 'Host: 127.0.0.1:8080', 'Upgrade: websocket',
    'Connection: Upgrade', ...headers, '', ''].join('\r\n'), /\r\n\r\n/);
  return got.split('\r\n')[0];
}

test('WebSocket upgrades the websocket module would refuse: the same answers, counted, nothing logged at NOTICE or above', async () => {
  const before = await fx.env.scriptStat('wic_refused_handshake');
  const mark = fx.env.epcscf.logMark();
  const key = 'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==';
  const cases = [
    ['version 12', 426, [`Origin: ${ORIGIN}`, key, 'Sec-WebSocket-Version: 12', 'Sec-WebSocket-Protocol: sip']],
    ['no version', 400, [`Origin: ${ORIGIN}`, key, 'Sec-WebSocket-Protocol: sip']],
    ['two versions', 400, [`Origin: ${ORIGIN}`, key, 'Sec-WebSocket-Version: 13', 'Sec-WebSocket-Version: 13', 'Sec-WebSocket-Protocol: sip']],
    ['no key', 400, [`Origin: ${ORIGIN}`, 'Sec-WebSocket-Version: 13', 'Sec-WebSocket-Protocol: sip']],
    ['two keys', 400, [`Origin: ${ORIGIN}`, key, key, 'Sec-WebSocket-Version: 13', 'Sec-WebSocket-Protocol: sip']],
    ['no sip subprotocol', 400, [`Origin: ${ORIGIN}`, key, 'Sec-WebSocket-Version: 13', 'Sec-WebSocket-Protocol: msrp']],
    ['two Origins', 400, [`Origin: ${ORIGIN}`, `Origin: ${ORIGIN}`, key, 'Sec-WebSocket-Version: 13', 'Sec-WebSocket-Protocol: sip']],
  ];
  for (const [what, code, headers] of cases) {
    assert.match(await upgradeStatus(headers), new RegExp(`^HTTP/1\\.1 ${code} `), what);
  }
  await pollUntil(async () => (await fx.env.scriptStat('wic_refused_handshake')) === before + cases.length,
    { what: 'wic_refused_handshake counted' });
  const loud = fx.env.epcscf.log().slice(mark).split('\n')
    .filter((l) => /^\s*\d+\(\d+\) (NOTICE|WARNING|ERROR|CRITICAL|ALERT|BUG):/.test(l));
  assert.deepStrictEqual(loud, []);
});
