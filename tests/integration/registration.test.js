// SPDX-License-Identifier: GPL-2.0-or-later
// Copyright (C) 2026 the ims_wic authors
'use strict';
// Issue 3: WIC registration against the real eP-CSCF over real WSS: Origin
// check, token validation, range authorization, the local registrar and its
// RPCs, provisioning reload.
const test = require('../lib/test');
const assert = require('node:assert');
const fs = require('node:fs');
const { startEnv, defaultProvisioning, OTHER_ORIGIN } = require('../lib/env');
const { SipWs } = require('../lib/sipws');

const WSS = 'wss://127.0.0.1:8443';
const ORIGIN = 'http://127.0.0.1:8000';
const ALICE = 'sip:demoalice@wwsf.lab';

let env;
test.before(async () => { env = await startEnv({ name: 'registration' }); });
test.after(async () => { if (env) await env.stop(); });

// A WIC connection, closed after the test t whatever its outcome.
async function wic(t, opts = {}) {
  const ua = await SipWs.connect({ url: WSS, origin: ORIGIN, ...opts });
  t.after(() => ua.close());
  return ua;
}

// Closes ua and waits until the eP-CSCF has removed the bindings of impus:
// a removal still under way when the next test looks would be a transient
// state that test does not expect.
async function closeAndSettle(ua, ...impus) {
  await ua.close();
  for (const impu of impus) await env.waitBindings(impu, 0);
}

test('a WIC registers over WSS with a Bearer token and gets 200 with its binding', async (t) => {
  const ua = await wic(t);
  const r = await ua.register({ impu: ALICE, token: env.mint({ impu: [ALICE] }), expires: 300 });
  assert.strictEqual(r.status, 200, r.raw);
  assert.match(r.header('contact'), /;expires=(29\d|300)/);
  assert.strictEqual(r.header('p-associated-uri'), `<${ALICE}>`);
  const b = await env.waitBindings(ALICE, 1);
  assert.strictEqual(b[0].wwsf, 'demo');
  assert.match(b[0].socket, /^tls:127\.0\.0\.1:8443$/);
  await ua.close();
  await env.waitBindings(ALICE, 0);
});

test('the token also works as an application/jwt body and inside multipart/mixed', async (t) => {
  for (const authMode of ['jwt', 'multipart']) {
    const impu = `sip:demo${authMode}@wwsf.lab`;
    const ua = await wic(t);
    const r = await ua.register({ impu, token: env.mint({ impu: [impu] }), authMode });
    assert.strictEqual(r.status, 200, `${authMode}: ${r.raw}`);
    await env.waitBindings(impu, 1);
    await closeAndSettle(ua, impu);
  }
});

test('refresh with the same token extends the binding from the token cache', async (t) => {
  const impu = 'sip:demorefresh@wwsf.lab';
  const token = env.mint({ impu: [impu] });
  const ua = await wic(t);
  assert.strictEqual((await ua.register({ impu, token, expires: 100 })).status, 200);
  const before = await env.stats();
  const r = await ua.register({ impu, token, expires: 200 });
  assert.strictEqual(r.status, 200);
  assert.match(r.header('contact'), /;expires=(19\d|200)/);
  const after = await env.stats();
  assert.strictEqual(Number(after.registrations_refreshed), Number(before.registrations_refreshed) + 1);
  // the refresh cost a cache look-up, not a signature verification
  assert.strictEqual(after.tokens_verified, before.tokens_verified);
  assert.strictEqual(Number(after.token_cache_hits), Number(before.token_cache_hits) + 1);
  const b = await env.waitBindings(impu, 1);
  assert.ok(Number(b[0].expires) > 150, `expires ${b[0].expires}`);
  await closeAndSettle(ua, impu);
});

test('Expires: 0 removes one binding, Contact: * removes them all', async (t) => {
  const impu = 'sip:demobye@wwsf.lab';
  const token = env.mint({ impu: [impu] });
  const a = await wic(t);
  const b = await wic(t);
  assert.strictEqual((await a.register({ impu, token, contactUser: 'a' })).status, 200);
  assert.strictEqual((await b.register({ impu, token, contactUser: 'b' })).status, 200);
  await env.waitBindings(impu, 2);
  // what JsSIP sends to unregister: its Contact with +sip.instance and expires=0
  assert.strictEqual((await a.register({ impu, token, contactUser: 'a', expires: 0 })).status, 200);
  await env.waitBindings(impu, 1);
  const star = await b.register({ impu, token, contact: '*', expires: 0 });
  assert.strictEqual(star.status, 200, star.raw);
  await env.waitBindings(impu, 0);
  await a.close();
  await b.close();
});

test('dropping the connection removes every binding on it', async (t) => {
  const ua = await wic(t);
  const impus = ['sip:demodrop1@wwsf.lab', 'sip:demodrop2@wwsf.lab'];
  for (const impu of impus) {
    assert.strictEqual((await ua.register({ impu, token: env.mint({ impu }), callId: impu })).status, 200);
  }
  for (const impu of impus) await env.waitBindings(impu, 1);
  await ua.drop();
  for (const impu of impus) await env.waitBindings(impu, 0);
});

test('the granted expiry never outlives the token', async (t) => {
  const impu = 'sip:demoshort@wwsf.lab';
  const now = Math.floor(Date.now() / 1000);
  const ua = await wic(t);
  const r = await ua.register({ impu, token: env.mint({ impu: [impu], exp: now + 90 }), expires: 3600 });
  assert.strictEqual(r.status, 200);
  const granted = Number(/;expires=(\d+)/.exec(r.header('contact'))[1]);
  // the node grants exp - its own second; glibc's time() reads a coarse
  // clock, which can still be in the second before this process's
  // Date.now(): 91 then also ends the binding exactly at exp
  assert.ok(granted <= 91 && granted >= 80, `granted ${granted}`);
  await closeAndSettle(ua, impu);
});

test('a replayed REGISTER (same Call-ID, same CSeq) changes nothing', async (t) => {
  const impu = 'sip:demoreplay@wwsf.lab';
  const token = env.mint({ impu: [impu] });
  const ua = await wic(t);
  assert.strictEqual((await ua.register({ impu, token, callId: 'replay', cseq: 5, expires: 300 })).status, 200);
  const r = await ua.register({ impu, token, callId: 'replay', cseq: 5, expires: 0 });
  assert.strictEqual(r.status, 400);
  await env.waitBindings(impu, 1);
  await closeAndSettle(ua, impu);
});

// Every row of REQUIREMENTS.md section 2's failure table, with its exact code.
const failures = [
  { name: 'no token', code: 401, tok: () => undefined,
    check: (r) => assert.match(r.header('www-authenticate'), /^Bearer realm="/) },
  { name: 'two parts only', code: 400, tok: (e, i) => e.mint({ impu: [i] }).split('.').slice(0, 2).join('.') },
  { name: 'oversized', code: 400, tok: (e, i) => e.mint({ impu: [i], pad: 'x'.repeat(9000) }) },
  { name: 'alg none', code: 403, tok: (e, i) => e.mint({ impu: [i] }, { alg: 'none' }) },
  { name: 'HS256 signed with the RSA public key', code: 403,
    tok: (e, i) => e.mint({ impu: [i] }, { alg: 'HS256', kid: 'demo-rsa',
      key: fs.readFileSync(e.keys.rsa.pub) }) },
  { name: 'bad signature', code: 403, tok: (e, i) => { const t = e.mint({ impu: [i] }).split('.');
    return `${t[0]}.${e.mint({ impu: [i], x: 1 }).split('.')[1]}.${t[2]}`; } },
  { name: 'unknown kid', code: 403, tok: (e, i) => e.mint({ impu: [i] }, { kid: 'nope' }) },
  { name: 'expired', code: 401, tok: (e, i) => e.mint({ impu: [i], exp: Math.floor(Date.now() / 1000) - 120 }),
    check: (r) => assert.match(r.header('www-authenticate'), /error="invalid_token"/) },
  { name: 'not yet valid', code: 403, tok: (e, i) => e.mint({ impu: [i], nbf: Math.floor(Date.now() / 1000) + 600 }) },
  { name: 'unknown issuer', code: 403, tok: (e, i) => e.mint({ impu: [i], iss: 'http://evil.example' }) },
  { name: 'wrong audience', code: 403, tok: (e, i) => e.mint({ impu: [i], aud: 'someone-else' }) },
  { name: 'token of another WWSF on this WWSF\'s connection', code: 403, impu: 'sip:otherzed@wwsf.lab',
    tok: (e, i) => e.mintOther({ impu: [i] }) },
  { name: 'IMPU not in the token', code: 403, tok: (e) => e.mint({ impu: ['sip:demosomeoneelse@wwsf.lab'] }) },
  { name: 'IMPU outside the WWSF\'s ranges', code: 403, impu: 'sip:intruder@wwsf.lab',
    tok: (e, i) => e.mint({ impu: [i] }) },
  { name: 'IMPU of the other WWSF\'s range', code: 403, impu: 'sip:otherbob@wwsf.lab',
    tok: (e, i) => e.mint({ impu: [i] }) },
];

for (const f of failures) {
  test(`refused: ${f.name} -> ${f.code}, no binding`, async (t) => {
    const impu = f.impu || 'sip:demovictim@wwsf.lab';
    const before = await env.bindings();
    const ua = await wic(t);
    const r = await ua.register({ impu, token: f.tok(env, impu) });
    assert.strictEqual(r.status, f.code, r.raw);
    assert.match(r.header('warning') || '', /^399 ims_wic "/);
    if (f.check) f.check(r);
    assert.deepStrictEqual(await env.bindings(), before);
    await ua.close();
  });
}

test('an Origin that belongs to no WWSF gets 403 on the WebSocket handshake', async () => {
  const err = await SipWs.connect({ url: WSS, origin: 'https://evil.example' }).catch((e) => e);
  assert.strictEqual(err.status, 403);
  const none = await SipWs.connect({ url: WSS, origin: '' }).catch((e) => e);
  assert.strictEqual(none.status, 403);
  assert.ok(Number((await env.stats()).origin_refused) >= 2);
});

test('the other WWSF registers its own identities from its own origin', async (t) => {
  const impu = 'sip:othercarol@wwsf.lab';
  const ua = await wic(t, { origin: OTHER_ORIGIN });
  const r = await ua.register({ impu, token: env.mintOther({ impu: [impu] }) });
  assert.strictEqual(r.status, 200, r.raw);
  const b = await env.waitBindings(impu, 1);
  assert.strictEqual(b[0].wwsf, 'other');
  await closeAndSettle(ua, impu);
});

test('a reload with a broken file is refused and the old provisioning stays', async (t) => {
  const good = fs.readFileSync(env.provPath, 'utf8');
  // whatever happens here, the later tests get the good file back
  t.after(async () => {
    fs.writeFileSync(env.provPath, good);
    await env.epcscf.rpc('ims_wic.reload');
  });
  fs.writeFileSync(env.provPath, '{"audience": "epcscf.lab", "wwsfs": [ {"id": ');
  const refused = await env.epcscf.rpc('ims_wic.reload').catch((e) => e.stdout + e.stderr);
  assert.match(refused, /reload refused: .*wwsf-provisioning\.json: line \d+/);
  const ua = await wic(t);
  const impu = 'sip:demoafterbad@wwsf.lab';
  assert.strictEqual((await ua.register({ impu, token: env.mint({ impu }) })).status, 200);
  await closeAndSettle(ua, impu);

  // a good file takes effect in every worker: demo loses its 127.0.0.1 origin
  const changed = defaultProvisioning(env.keys);
  changed.wwsfs[0].origins = ['http://localhost:8000'];
  env.writeProvisioning(changed);
  assert.match(await env.epcscf.rpc('ims_wic.reload'), /ok/);
  for (let i = 0; i < 6; i++) {
    const err = await SipWs.connect({ url: WSS, origin: ORIGIN }).catch((e) => e);
    assert.strictEqual(err.status, 403);
  }
  fs.writeFileSync(env.provPath, good);
  assert.match(await env.epcscf.rpc('ims_wic.reload'), /ok/);
});

// The same with a SIP stack written by others: JsSIP, exactly as a browser
// WIC would use it (authorization_jwt puts "Bearer <jwt>" in Authorization).
const { createWic } = require('../lib/wic');

test('JsSIP registers over WSS with authorization_jwt, refreshes and unregisters', async (t) => {
  const impu = 'sip:demojssip@wwsf.lab';
  const w = createWic({ url: WSS, origin: ORIGIN, impu, impi: 'demojssip@wwsf.lab',
    token: env.mint({ impu: [impu] }), registerExpires: 300 });
  t.after(() => w.close());
  const r = await w.register();
  assert.strictEqual(r.code, 200, r.raw);
  const b = await env.waitBindings(impu, 1);
  assert.match(b[0].contact, /transport=ws/);
  const again = await w.register();
  assert.strictEqual(again.code, 200);
  await env.waitBindings(impu, 1);
  const u = await w.unregister();
  assert.strictEqual(u.code, 200, u.raw);
  await env.waitBindings(impu, 0);
  await w.close();
});

test('JsSIP with a token for another identity is refused with 403 and the reason', async (t) => {
  const impu = 'sip:demojssip2@wwsf.lab';
  const w = createWic({ url: WSS, origin: ORIGIN, impu, token: env.mint({ impu: ['sip:demosomeone@wwsf.lab'] }) });
  t.after(() => w.close());
  const r = await w.register();
  assert.strictEqual(r.code, 403);
  assert.match(r.reason, /IMPU Not In Token/);
  assert.deepStrictEqual(await env.bindings(impu), []);
  await w.close();
});

// The token-minting CLI that WWSF integrators use: its tokens register.
test('tokens minted by wic-token (ES256, RS256, PS256, EdDSA, HS256) register', async (t) => {
  const { execFileSync } = require('node:child_process');
  const path = require('node:path');
  const bin = path.join(__dirname, '../../build/wic-token');
  const pem = (name, key) => {
    const file = path.join(env.dir, `${name}.key.pem`);
    fs.writeFileSync(file, key.export({ type: 'pkcs8', format: 'pem' }));
    return file;
  };
  const cases = [
    ['ES256', 'demo-1', ['--key', pem('demo', env.keys.demo.privateKey)]],
    ['RS256', 'demo-rsa', ['--key', pem('rsa', env.keys.rsa.privateKey)]],
    ['PS256', 'demo-rsa', ['--key', pem('rsa', env.keys.rsa.privateKey)]],
    ['EdDSA', 'demo-ed', ['--key', pem('ed', env.keys.ed.privateKey)]],
    ['HS256', 'demo-hs', ['--hmac', env.keys.hmac.toString('base64url')]],
  ];
  for (const [alg, kid, keyArgs] of cases) {
    const impu = `sip:democli${alg.toLowerCase()}@wwsf.lab`;
    const token = execFileSync(bin, [...keyArgs, '--alg', alg, '--kid', kid, '--iss', 'http://127.0.0.1:8000',
      '--aud', 'epcscf.lab', '--impu', impu, '--lifetime', '300'], { encoding: 'utf8', timeout: 20000 }).trim();
    const ua = await wic(t);
    const r = await ua.register({ impu, token });
    assert.strictEqual(r.status, 200, `${alg}: ${r.raw}`);
    await closeAndSettle(ua, impu);
  }
});
