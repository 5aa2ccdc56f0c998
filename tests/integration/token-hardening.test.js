// SPDX-License-Identifier: GPL-2.0-or-later
// Copyright (C) 2026 the ims_wic authors
'use strict';
// Token hardening (RFC 8725) and client realities, against the real
// eP-CSCF over real WSS: the WWSF's required typ, the token lifetime limit,
// keys refused at load (HMAC length per alg, duplicate kid, shared secrets
// without opt-in, JWKs with private members), the expiry floor, the
// de-registration without token that SIP.js sends, rate-limited refusal
// logs. Every refusal asserts the exact code, reason and Warning, and that
// no binding changed. See docs/security.md and docs/decisions.md.
const test = require('../lib/test');
const assert = require('node:assert');
const util = require('node:util');
const fs = require('node:fs');
const path = require('node:path');
const crypto = require('node:crypto');
const { defaultProvisioning, signJws, AUDIENCE, DEMO_ISS } = require('../lib/env');
const { SipWs } = require('../lib/sipws');
const { residentFixture } = require('../lib/resident');
const { createSipJsWic } = require('../lib/sipjs');
const { pollUntil } = require('../lib/common');

const WSS = 'wss://127.0.0.1:8443';
const ORIGIN = 'http://127.0.0.1:8000';
const RESIDENT = 'sip:demoresident@wwsf.lab';   // registered for the whole file
const now = () => Math.floor(Date.now() / 1000);

// The demo WWSF types its tokens (every token of fx.env.mint carries typ JWT).
function provisioning(keys) {
  const p = defaultProvisioning(keys);
  p.wwsfs[0].required_typ = 'JWT';
  return p;
}

const fx = residentFixture(test, { name: 'token-hardening', resident: RESIDENT, provisioning });
const { wic, unchanged } = fx;

function assertRefused(r, status, reason, stat) {
  assert.strictEqual(r.status, status, r.raw);
  assert.strictEqual(r.reason, reason, r.raw);
  assert.strictEqual(r.header('warning'), `399 ims_wic "${stat}"`, r.raw);
}

// One REGISTER of a fresh identity from a fresh connection; the state
// must not change and the statistic of the refusal must count it.
async function refusedRegister({ token, expires = 600, impu }, status, reason, stat) {
  const before = Number((await fx.env.stats())[`rejected_${stat}`]);
  const r = await unchanged(async () => {
    const ua = await wic();
    return ua.register({ impu, token, expires });
  });
  assertRefused(r, status, reason, stat);
  assert.strictEqual(Number((await fx.env.stats())[`rejected_${stat}`]), before + 1, `rejected_${stat}`);
  return r;
}

const fresh = (tag) => `sip:demo${tag}${crypto.randomBytes(3).toString('hex')}@wwsf.lab`;

// ---------------------------------------------------------------- typ

test('typ: a token without typ is refused where the WWSF requires one (403 bad_typ)', async () => {
  const impu = fresh('notyp');
  await refusedRegister({ impu, token: fx.env.mint({ impu: [impu] }, { header: { typ: undefined } }) },
    403, 'Forbidden - Token Type Not Accepted', 'bad_typ');
});

test('typ: another type (at+jwt, JOSE) is refused (403 bad_typ)', async () => {
  for (const typ of ['at+jwt', 'JOSE', 'application/at+jwt']) {
    const impu = fresh('wrongtyp');
    await refusedRegister({ impu, token: fx.env.mint({ impu: [impu] }, { header: { typ } }) },
      403, 'Forbidden - Token Type Not Accepted', 'bad_typ');
  }
});

test('typ: compared case-insensitively, "application/" optional (RFC 7515 4.1.9)', async () => {
  for (const typ of ['jwt', 'application/JWT', 'APPLICATION/jwt']) {
    const impu = fresh('typcase');
    const ua = await wic();
    const r = await ua.register({ impu, token: fx.env.mint({ impu: [impu] }, { header: { typ } }) });
    assert.strictEqual(r.status, 200, `${typ}: ${r.raw}`);
    await fx.env.waitBindings(impu, 1);
    await ua.close();
    await fx.env.waitBindings(impu, 0);
  }
});

test('typ: the other WWSF requires none, its tokens register without typ', async () => {
  const impu = `sip:other${crypto.randomBytes(3).toString('hex')}@wwsf.lab`;
  const ua = await wic({ origin: 'http://127.0.0.1:8001' });
  const tok = signJws({ alg: 'ES256', kid: 'other-1' },
    { iss: 'http://wwsf-other.lab', aud: AUDIENCE, iat: now(), exp: now() + 600, impu: [impu] },
    fx.env.keys.other.privateKey, 'ES256');
  const r = await ua.register({ impu, token: tok });
  assert.strictEqual(r.status, 200, r.raw);
});

// ----------------------------------------------------------- lifetime

test('lifetime: exp - iat above 24 h is refused (403 lifetime_too_long)', async () => {
  const impu = fresh('longiat');
  // issued a day and a half ago, 10 minutes left: exp - now is fine
  const iat = now() - 129600;
  await refusedRegister({ impu, token: fx.env.mint({ impu: [impu], iat, exp: iat + 130200 }) },
    403, 'Forbidden - Token Lifetime Too Long', 'lifetime_too_long');
});

test('lifetime: without iat, exp - now above 24 h is refused (403 lifetime_too_long)', async () => {
  const impu = fresh('longexp');
  await refusedRegister({ impu, token: fx.env.mint({ impu: [impu], exp: now() + 86400 + 600 }, { omit: ['iat'] }) },
    403, 'Forbidden - Token Lifetime Too Long', 'lifetime_too_long');
});

test('lifetime: a token of exactly 24 h registers', async () => {
  const impu = fresh('day');
  const iat = now();
  const ua = await wic();
  const r = await ua.register({ impu, token: fx.env.mint({ impu: [impu], iat, exp: iat + 86400 }) });
  assert.strictEqual(r.status, 200, r.raw);
});

// -------------------------------------------------------- expiry floor

test('floor: a token that cannot cover 30 s gets 401 error="invalid_token" (token_too_short)', async () => {
  const impu = fresh('ending');
  const r = await refusedRegister({ impu, token: fx.env.mint({ impu: [impu], exp: now() + 20 }) },
    401, 'Unauthorized - Token Expires Too Soon', 'token_too_short');
  assert.strictEqual(r.header('www-authenticate'), 'Bearer realm="ims_wic", error="invalid_token", '
    + 'error_description="token expires too soon to register"');
});

test('floor: Expires under 30 s gets 423 with Min-Expires: 30 (interval_too_brief)', async () => {
  const impu = fresh('brief');
  const r = await refusedRegister({ impu, token: fx.env.mint({ impu: [impu] }), expires: 10 },
    423, 'Interval Too Brief', 'interval_too_brief');
  assert.strictEqual(r.header('min-expires'), '30');
});

test('floor: exactly 30 s is granted', async () => {
  const impu = fresh('floor');
  const ua = await wic();
  const r = await ua.register({ impu, token: fx.env.mint({ impu: [impu] }), expires: 30 });
  assert.strictEqual(r.status, 200, r.raw);
  assert.match(r.header('contact'), /;expires=(29|30)\b/);
});

// ---------------------------------------------- keys refused at load

// A provisioning with edit(p) applied is refused by ims_wic.reload with
// want in the reason; the running provisioning and every binding stay.
async function reloadRefused(edit, want, files = {}) {
  const good = fs.readFileSync(fx.env.provPath, 'utf8');
  for (const [name, text] of Object.entries(files)) fs.writeFileSync(path.join(fx.env.dir, name), text);
  const p = provisioning(fx.env.keys);
  edit(p);
  try {
    const out = await unchanged(async () => {
      fx.env.writeProvisioning(p);
      return fx.env.epcscf.rpc('ims_wic.reload').catch((e) => e.stdout + e.stderr);
    });
    assert.match(out, /^error: 500 - reload refused: /, out);
    assert.ok(out.includes(want), `${out}\nlacks: ${want}`);
  } finally {
    fs.writeFileSync(fx.env.provPath, good);
  }
  // the old provisioning still admits the demo WWSF's tokens
  const impu = fresh('afterreload');
  const ua = await wic();
  assert.strictEqual((await ua.register({ impu, token: fx.env.mint({ impu: [impu] }) })).status, 200);
}

const demoHs = (p) => p.wwsfs[0].keys.find((k) => k.kid === 'demo-hs');

test('load: a 32-byte HMAC secret listed for HS512 is refused, naming key and alg', async () => {
  await reloadRefused((p) => { demoHs(p).algs = ['HS256', 'HS512']; },
    "wwsfs[0].keys[3]: HMAC key 'demo-hs': secret of 32 bytes too short for HS512 (at least 64 bytes, RFC 7518 3.2)");
});

test('load: a duplicate kid in a WWSF is refused', async () => {
  await reloadRefused((p) => { p.wwsfs[0].keys[1].kid = 'demo-1'; },
    "wwsfs[0].keys[1]: duplicate kid 'demo-1'");
});

test('load: an HMAC key in a WWSF without allow_hmac is refused', async () => {
  await reloadRefused((p) => { delete p.wwsfs[0].allow_hmac; },
    "wwsfs[0].keys[3]: HMAC key 'demo-hs' refused: the WWSF does not allow shared secrets (allow_hmac)");
});

test('load: JWKs with private members (RSA d, EC d) and an oct JWK without opt-in are refused', async () => {
  const jwk = (k) => k.export({ format: 'jwk' });
  const rsaPriv = { ...jwk(fx.env.keys.rsa.privateKey), kid: 'leak-rsa' };
  const ecPriv = { ...jwk(fx.env.keys.demo.privateKey), kid: 'leak-ec' };
  const oct = { kty: 'oct', kid: 'secret', k: fx.env.keys.hmac.toString('base64url') };
  const cases = [
    ['rsa-priv.jwks.json', rsaPriv, "keys[0] (kid 'leak-rsa'): private key member 'd' refused (publish public keys only)"],
    ['ec-priv.jwks.json', ecPriv, "keys[0] (kid 'leak-ec'): private key member 'd' refused (publish public keys only)"],
    ['oct.jwks.json', oct, 'keys[0]: oct JWK (a shared secret) refused: the WWSF does not allow shared secrets (allow_hmac)'],
  ];
  for (const [file, key, want] of cases) {
    await reloadRefused((p) => {
      p.wwsfs[1].keys.push({ jwks: path.join(fx.env.dir, file) });
    }, `wwsfs[1].keys[1]: ${want}`, { [file]: JSON.stringify({ keys: [key] }) });
  }
});

test('load: an HMAC key without algs gets what its length allows: a 32-byte secret never verifies HS512', async () => {
  const good = fs.readFileSync(fx.env.provPath, 'utf8');
  const p = provisioning(fx.env.keys);
  delete demoHs(p).algs;
  fx.env.writeProvisioning(p);
  try {
    assert.match(await fx.env.epcscf.rpc('ims_wic.reload'), /ok/);
    const impu = fresh('hs512');
    await refusedRegister({ impu, token: fx.env.mint({ impu: [impu] }, { alg: 'HS512', kid: 'demo-hs', key: fx.env.keys.hmac }) },
      403, 'Forbidden - Token Algorithm Not Allowed', 'bad_alg');
    const ok = fresh('hs256');
    const ua = await wic();
    const r = await ua.register({ impu: ok, token: fx.env.mint({ impu: [ok] }, { alg: 'HS256', kid: 'demo-hs', key: fx.env.keys.hmac }) });
    assert.strictEqual(r.status, 200, r.raw);
  } finally {
    fs.writeFileSync(fx.env.provPath, good);
    assert.match(await fx.env.epcscf.rpc('ims_wic.reload'), /ok/);
  }
});

// ------------------------------------------ de-registration without token

// A WIC registered with a token (instance, Call-ID, CSeq 1 on its connection).
async function registered(impu, count = 1) {
  const ua = await wic();
  const r = await ua.register({ impu, token: fx.env.mint({ impu: [impu] }), expires: 600 });
  assert.strictEqual(r.status, 200, r.raw);
  await fx.env.waitBindings(impu, count);
  return ua;
}

test('tokenless: Expires 0 of its own contact, same connection and Call-ID, higher CSeq -> 200, removed', async () => {
  const impu = fresh('own');
  const ua = await registered(impu);
  const before = Number((await fx.env.stats()).registrations_removed);
  const r = await ua.register({ impu, expires: 0 });
  assert.strictEqual(r.status, 200, r.raw);
  assert.strictEqual(r.header('contact'), undefined);
  assert.strictEqual((await fx.env.bindings(impu)).length, 0);
  assert.strictEqual(Number((await fx.env.stats()).registrations_removed), before + 1);
});

test('tokenless: Contact: * when every contact of the IMPU is its own -> 200, removed', async () => {
  const impu = fresh('ownstar');
  const ua = await registered(impu);
  const r = await ua.register({ impu, expires: 0, contact: '*' });
  assert.strictEqual(r.status, 200, r.raw);
  assert.strictEqual((await fx.env.bindings(impu)).length, 0);
});

test('tokenless: everything else keeps 401 Token Missing, nothing removed', async () => {
  const impu = fresh('notown');
  const ua = await registered(impu);
  const other = await registered(impu, 2);   // a second tab of the same IMPU
  const cases = [
    ['another connection, the same Call-ID, a higher CSeq', () => other.register({ impu, expires: 0,
      callId: ua.regCallId, cseq: ua.regCseq + 5, instance: ua.instance })],
    ['the same CSeq', () => ua.register({ impu, expires: 0, cseq: ua.regCseq })],
    ['a lower CSeq', () => ua.register({ impu, expires: 0, cseq: 0 })],
    ['another Call-ID', () => ua.register({ impu, expires: 0, callId: 'another-call-id', cseq: 9 })],
    ['another instance (the other tab)', () => ua.register({ impu, expires: 0, instance: other.instance, cseq: ua.regCseq + 1 })],
    ['a refresh', () => ua.register({ impu, expires: 600, cseq: ua.regCseq + 1 })],
    ['Contact: * while the other tab is registered', () => ua.register({ impu, expires: 0, contact: '*', cseq: ua.regCseq + 1 })],
    ['a fetch (no Contact)', () => ua.request('REGISTER', { ruri: 'sip:wwsf.lab', to: `<${impu}>`, from: `<${impu}>`,
      callId: ua.regCallId, cseq: ua.regCseq + 1, headers: [] })],
  ];
  for (const [name, send] of cases) {
    const r = await unchanged(send);
    assertRefused(r, 401, 'Unauthorized - Token Missing', 'no_token');
    assert.strictEqual(r.header('www-authenticate'), 'Bearer realm="ims_wic"', name);
  }
  assert.strictEqual((await fx.env.bindings(impu)).length, 2);
});

test('SIP.js 0.21.2: registers with a token, unregister() sends none and the binding is gone', async () => {
  const impu = fresh('sipjs');
  const w = await createSipJsWic({ url: WSS, origin: ORIGIN, impu, token: fx.env.mint({ impu: [impu] }), expires: 300 });
  try {
    const r = await w.register();
    assert.strictEqual(r.statusCode, 200, r.toString());
    assert.strictEqual(w.registerer.state, 'Registered');
    const b = await fx.env.waitBindings(impu, 1);
    assert.strictEqual(b[0].wwsf, 'demo');
    const u = await w.unregister();
    assert.strictEqual(u.statusCode, 200, u.toString());
    assert.strictEqual(w.registerer.state, 'Unregistered');
    assert.strictEqual((await fx.env.bindings(impu)).length, 0);
    const unreg = w.sent.filter((m) => m.startsWith('REGISTER ')).pop();
    assert.match(unreg, /;expires=0/);
    assert.doesNotMatch(unreg, /^Authorization:/mi, 'SIP.js sends no token on unregister()');
  } finally {
    await w.stop();
  }
});

test('SIP.js 0.21.2: a REGISTER near the token\'s end gets 401 error="invalid_token"; SIP.js reports it, retries nothing', async () => {
  const impu = fresh('sipjsend');
  const w = await createSipJsWic({ url: WSS, origin: ORIGIN, impu, token: fx.env.mint({ impu: [impu], exp: now() + 15 }) });
  try {
    const sentBefore = w.sent.length;
    const r = await unchanged(() => w.register());
    assert.strictEqual(r.statusCode, 401, r.toString());
    assert.strictEqual(r.getHeader('warning'), '399 ims_wic "token_too_short"');
    assert.match(r.getHeader('www-authenticate'), /^Bearer realm="ims_wic", error="invalid_token"/);
    assert.strictEqual(w.registerer.state, 'Unregistered');
    // the Bearer challenge is no Digest one: no second REGISTER is sent
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.strictEqual(w.sent.slice(sentBefore).filter((m) => m.startsWith('REGISTER ')).length, 1);
  } finally {
    await w.stop();
  }
});

// ------------------------------------------------------------- logging

test('refusals are logged at INFO, rate limited per process, the dropped lines counted', async () => {
  const ua = await wic();
  const impu = fresh('flood');
  const mark = fx.env.epcscf.logMark();
  const before = Number((await fx.env.stats()).refusal_logs_suppressed);
  // one burst on one connection (one process reads it, within a second
  // even on a loaded machine): sent one by one, a slow machine would spread
  // them over enough seconds to stay under the limit
  const answers = await Promise.all(Array.from({ length: 40 },
    (_, i) => ua.register({ impu, expires: 600, cseq: i + 1 })));
  for (const r of answers) assert.strictEqual(r.status, 401);
  const suppressed = Number((await fx.env.stats()).refusal_logs_suppressed) - before;
  // the log reaches its file a little after the answers: wait for every
  // refusal to be either written or counted (a process whose budget of
  // this second earlier tests used up writes none of them)
  let log = '';
  let lines = [];
  await pollUntil(async () => {
    log = fx.env.epcscf.log().slice(mark);
    lines = log.split('\n').filter((l) => /REGISTER refused/.test(l));
    return lines.length + suppressed >= 40;
  }, { timeoutMs: 5000, intervalMs: 100, what: 'every refusal written or counted' }).catch(() => {});
  assert.ok(lines.length + suppressed === 40, `${lines.length} written, ${suppressed} suppressed`);
  assert.ok(suppressed >= 1, 'a burst of 40 in a few ms exceeds 10 lines a second');
  assert.ok(lines.every((l) => /INFO: .*ims_wic \[/.test(l)), lines.join('\n'));
  assert.doesNotMatch(log, /NOTICE: .*ims_wic \[/);
  // a line that follows a dropped one says how many were dropped
  await pollUntil(async () => {
    await ua.register({ impu, expires: 600, cseq: 1000 + Math.floor(Math.random() * 1000) });
    return /\d+ refusal log lines suppressed/.test(fx.env.epcscf.log().slice(mark));
  }, { timeoutMs: 5000, intervalMs: 300, what: 'the suppressed-lines summary' });
  const summary = fx.env.epcscf.log().slice(mark).split('\n').find((l) => /\d+ refusal log lines suppressed/.test(l));
  assert.match(summary, /INFO: .*ims_wic \[/);
});
