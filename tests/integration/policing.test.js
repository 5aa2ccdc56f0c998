// SPDX-License-Identifier: GPL-2.0-or-later
// Copyright (C) 2026 the ims_wic authors
'use strict';
// Issue 12: the WIC side is hostile. Every request that arrives over WSS
// passes one policing point (route[FROM_WIC] of kamailio.cfg with
// wic_police(), wic_dialog_owner() and wic_next_hop_is_ims_core()). Each
// case asserts at the receiving side: the listeners a forged request aims at
// stay silent, the IMS-side UA sees only the identity this node asserted
// and no Bearer credential, and no binding or range changed.
const test = require('../lib/test');
const assert = require('node:assert');
const crypto = require('node:crypto');
const dgram = require('node:dgram');
const net = require('node:net');
const { startEnv } = require('../lib/env');
const { SipWs } = require('../lib/sipws');
const { startUas } = require('../lib/sipp');
const { pollUntil } = require('../lib/common');

const WSS = 'wss://127.0.0.1:8443';
const ORIGIN = 'http://127.0.0.1:8000';
const OWNER = 'sip:demoowner@wwsf.lab';
const INTRUDER = 'sip:demointruder@wwsf.lab';
const rand = (n = 6) => crypto.randomBytes(n).toString('hex');

// A UDP socket and a TCP server on ip:port that record whatever reaches
// them: the hosts a forged request tries to reach.
async function listener(ip, port) {
  const got = [];
  const udp = dgram.createSocket('udp4');
  udp.on('message', (m, r) => got.push(`udp from ${r.address}:${r.port}: ${m.toString().split('\r\n')[0]}`));
  await new Promise((resolve, reject) => { udp.once('error', reject); udp.bind(port, ip, resolve); });
  const tcp = net.createServer((s) => { got.push(`tcp connection from ${s.remoteAddress}`); s.destroy(); });
  await new Promise((resolve, reject) => { tcp.once('error', reject); tcp.listen(port, ip, resolve); });
  return {
    got,
    close: () => Promise.all([new Promise((r) => udp.close(r)), new Promise((r) => tcp.close(r))]),
  };
}

let env;
let listeners = [];
let owner;
let intruder;
test.before(async () => {
  env = await startEnv({ name: 'policing' });
  listeners = [await listener('127.0.0.1', 5098), await listener('127.0.0.2', 5098)];
  owner = await registered(OWNER);
  intruder = await registered(INTRUDER);
});
test.after(async () => {
  for (const ua of [owner, intruder]) if (ua) await ua.close();
  await Promise.all(listeners.map((l) => l.close()));
  if (env) await env.stop();
});

async function registered(impu) {
  const ua = await SipWs.connect({ url: WSS, origin: ORIGIN });
  const r = await ua.register({ impu, token: env.mint({ impu: [impu] }), expires: 3600 });
  assert.strictEqual(r.status, 200, r.raw);
  return ua;
}

function assertSilent() {
  for (const l of listeners) assert.deepStrictEqual(l.got, [], 'a forged request reached a listener');
}


async function unchanged(fn) {
  const out = await env.unchanged(fn);
  assertSilent();
  return out;
}

const scriptStat = (name) => env.scriptStat(name);

// A request written by hand: every header as given.
function requestText(ua, method, { ruri, to, from = `<${INTRUDER}>;tag=${rand(3)}`, callId = rand(), cseq = 1,
  headers = [], via = `SIP/2.0/WSS ${ua.host};branch=z9hG4bK${rand()}` }) {
  return [`${method} ${ruri} SIP/2.0`, `Via: ${via}`, 'Max-Forwards: 70', `To: ${to}`, `From: ${from}`,
    `Call-ID: ${callId}`, `CSeq: ${cseq} ${method}`, ...headers, 'Content-Length: 0', '', ''].join('\r\n');
}

// Sends text, then an OPTIONS to the eP-CSCF as a barrier (one connection
// is read message after message): resolves with the responses to text.
async function exchange(ua, text) {
  const from = ua.received.length;
  ua.send(text);
  const barrier = await ua.request('OPTIONS', { ruri: 'sip:127.0.0.1', to: '<sip:127.0.0.1>',
    from: '<sip:barrier@wwsf.lab>', timeoutMs: 5000 });
  assert.strictEqual(barrier.status, 200);
  return ua.received.slice(from).filter((m) => m.status && !/barrier@/.test(m.header('from') || ''));
}

const FORGED_IN_DIALOG = ['INVITE', 'BYE', 'MESSAGE', 'NOTIFY', 'REFER', 'INFO', 'UPDATE', 'PRACK'];

// The attack as found: an upgraded connection, nothing registered, sends an
// in-dialog request with a Route to the eP-CSCF and a forged asserted
// identity, aimed at a host of its choice.
for (const who of ['unregistered', 'registered']) {
  for (const method of [...FORGED_IN_DIALOG, 'ACK']) {
    test(`forged in-dialog ${method} from an ${who} connection, Route to the eP-CSCF, aimed at 127.0.0.1:5098 -> nothing leaves`, async (t) => {
      const ua = who === 'registered' ? intruder : await SipWs.connect({ url: WSS, origin: ORIGIN });
      if (who !== 'registered') t.after(() => ua.close());
      const responses = await unchanged(() => exchange(ua, requestText(ua, method, {
        ruri: 'sip:victim@127.0.0.1:5098', to: '<sip:victim@ims.lab>;tag=forged',
        headers: ['Route: <sip:127.0.0.1:8443;transport=ws;lr>', 'P-Asserted-Identity: <sip:ceo@ims.lab>'],
      })));
      if (method === 'ACK') assert.deepStrictEqual(responses, []);
      else {
        assert.strictEqual(responses.length, 1, responses.map((r) => r.raw).join('\n'));
        assert.strictEqual(responses[0].status, 481, responses[0].raw);
        assert.strictEqual(responses[0].header('warning'), '399 ims_wic "wic_refused_not_in_dialog"');
      }
    });
  }
}

test('a forged CANCEL (no INVITE of this connection) -> 481, nothing leaves', async () => {
  const responses = await unchanged(() => exchange(intruder, requestText(intruder, 'CANCEL', {
    ruri: 'sip:victim@127.0.0.2:5098', to: '<sip:victim@ims.lab>',
  })));
  assert.strictEqual(responses[0].status, 481, responses[0].raw);
});

// A real call of the owner through the IMS Core to a sipp UA; the intruder
// (registered, another connection) copies the dialog it learnt somehow.
async function ownerCall(t, { headers = [] } = {}) {
  const uas = await startUas({ scenario: 'uas-answer.xml', port: 5090, name: 'policing-uas' });
  t.after(() => uas.stop());
  const { res, dialog } = await owner.invite('sip:bob@ims.lab', { from: OWNER, headers });
  assert.strictEqual(res.status, 200, res.raw);
  return { uas, dialog };
}

test('in-dialog requests copied from a dialog of another connection -> 403, the IMS side gets none of them', async (t) => {
  const { uas, dialog } = await ownerCall(t);
  const stolen = { ...dialog };
  const unregistered = await SipWs.connect({ url: WSS, origin: ORIGIN });
  t.after(() => unregistered.close());
  await unchanged(async () => {
    for (const ua of [intruder, unregistered]) {
      for (const method of FORGED_IN_DIALOG) {
        const r = await ua.inDialog(method, stolen);
        assert.strictEqual(r.status, 403, `${method}: ${r.raw}`);
        assert.strictEqual(r.header('warning'), '399 ims_wic "wic_refused_foreign_dialog"');
      }
      ua.inDialog('ACK', stolen, { cseq: 1, expectResponse: false });
      await exchange(ua, requestText(ua, 'OPTIONS', { ruri: 'sip:127.0.0.1', to: '<sip:127.0.0.1>' }));
    }
  });
  // the owner's own BYE goes through, asserted as the owner
  assert.strictEqual((await owner.bye(dialog)).status, 200);
  const done = await uas.stop();
  const msgs = done.trace.split(/-{10,}/);
  const received = (m) => msgs.filter((x) => new RegExp(`^\\s*${m} sip:`, 'm').test(x));
  assert.strictEqual(received('BYE').length, 1, 'exactly the owner\'s BYE');
  assert.strictEqual(received('ACK').length, 1, 'exactly the owner\'s ACK');
  for (const m of FORGED_IN_DIALOG.filter((x) => x !== 'BYE' && x !== 'INVITE')) assert.strictEqual(received(m).length, 0, m);
  assert.strictEqual(received('INVITE').length, 1, 'no re-INVITE of the intruder');
  assert.match(received('BYE')[0], /^P-Asserted-Identity: <sip:demoowner@wwsf\.lab>\r?$/m);
});

test('a CANCEL of another connection\'s INVITE -> 481; the owner\'s CANCEL ends the call', async (t) => {
  const uas = await startUas({ scenario: 'uas-ring.xml', port: 5090, name: 'policing-ring' });
  t.after(() => uas.stop());
  const callId = rand();
  const fromTag = rand(3);
  const branch = `z9hG4bK${rand()}`;
  const invite = owner.request('INVITE', { ruri: 'sip:bob@ims.lab', to: '<sip:bob@ims.lab>', from: `<${OWNER}>`,
    fromTag, callId, branch, headers: [`Contact: <sip:wic@${owner.host};transport=ws>`], timeoutMs: 10000 });
  await uas.waitForTrace(/SIP\/2\.0 180 Ringing/, 5000);
  // a CANCEL matches its INVITE by these (RFC 3261 9.1): the intruder
  // copies them all
  const cancelText = () => ['CANCEL sip:bob@ims.lab SIP/2.0', `Via: SIP/2.0/WSS ${owner.host};branch=${branch}`,
    'Max-Forwards: 70', 'To: <sip:bob@ims.lab>', `From: <${OWNER}>;tag=${fromTag}`,
    `Call-ID: ${callId}`, 'CSeq: 1 CANCEL', 'Content-Length: 0', '', ''].join('\r\n');
  const refused = await unchanged(() => exchange(intruder, cancelText()));
  assert.strictEqual(refused.length, 1);
  assert.strictEqual(refused[0].status, 481, refused[0].raw);
  assert.doesNotMatch(uas.trace(), /^CANCEL /m, 'the intruder\'s CANCEL reached the IMS side');
  owner.send(cancelText());
  // the CANCEL shares the INVITE's branch: the first final answer on it is
  // either the 200 to the CANCEL or the 487, in any order (RFC 3261 9.2)
  await invite;
  const terminated = await pollUntil(() => owner.received.find((m) => m.status === 487
    && m.header('call-id') === callId), { timeoutMs: 5000, what: `the 487 of the owner's INVITE (got: ${owner.received.map((m) => m.status || m.method).join(' ')})` });
  assert.ok(terminated);
  await uas.waitForTrace(/^CANCEL /m, 5000);
});

const SPOOFED = [
  'P-Asserted-Identity: <sip:ceo@ims.lab>',
  'P-Preferred-Identity: <sip:demovictim@wwsf.lab>',
  'P-Charging-Vector: icid-value=forged-icid;orig-ioi=evil',
  'P-Charging-Function-Addresses: ccf=evil.example',
  'P-Served-User: <sip:ceo@ims.lab>;sescase=orig;regstate=reg',
  'P-Visited-Network-ID: "evil.example"',
  'P-Access-Network-Info: 3GPP-E-UTRAN-FDD; utran-cell-id-3gpp=forged',
  'P-Called-Party-ID: <sip:ceo@ims.lab>',
  'P-Profile-Key: <sip:forged!.*!@ims.lab>',
  'P-Asserted-Service: urn:urn-7:3gpp-service.ims.icsi.mmtel.forged',
  'Remote-Party-ID: <sip:ceo@ims.lab>;party=calling;screen=yes',
  'P-Private-Network-Indication: evil.example',
  'Resource-Priority: ets.0',
  'P-Early-Media: supported',
  'Path: <sip:127.0.0.2:5098;lr>',
  'Service-Route: <sip:127.0.0.2:5098;lr>',
  'Record-Route: <sip:127.0.0.2:5098;lr>',
  'P-Associated-URI: <sip:ceo@ims.lab>',
];

function assertPoliced(msg, { what }) {
  assert.match(msg, /^P-Asserted-Identity: <sip:demoowner@wwsf\.lab>\r?$/m, `${what}: asserted identity`);
  assert.strictEqual((msg.match(/^P-Asserted-Identity:/gmi) || []).length, 1, `${what}: one P-Asserted-Identity`);
  assert.doesNotMatch(msg, /ceo@ims\.lab|demovictim|evil\.example|forged|127\.0\.0\.2|P-Preferred-Identity|P-Served-User|P-Access-Network-Info|P-Called-Party-ID|P-Profile-Key|P-Asserted-Service|P-Charging-Function-Addresses|Remote-Party-ID|P-Private-Network-Indication|P-Associated-URI|Resource-Priority|P-Early-Media|^Path:|^Service-Route:/im, what);
  assert.doesNotMatch(msg, /^(Proxy-)?Authorization:/mi, `${what}: a credential left the eP-CSCF`);
  assert.doesNotMatch(msg, /Bearer|eyJ/, `${what}: the token left the eP-CSCF`);
}

test('identity and network headers and Bearer credentials of a WIC never reach the IMS side, initial or in-dialog', async (t) => {
  const token = env.mint({ impu: [OWNER] });
  // a folded Bearer (RFC 3261 7.3.1: LWS may continue a header on the next
  // line) and other schemes: no credential of a WIC leaves this node
  const forged = [...SPOOFED, `Authorization: Bearer ${token}`, `Proxy-Authorization: Bearer ${token}`,
    `Authorization: Bearer\r\n ${token}`, 'Authorization: Digest username="x", realm="ims.lab", nonce="", uri="sip:x", response=""'];
  const { uas, dialog } = await ownerCall(t, { headers: forged });
  // in-dialog: the BYE carries the same forgeries
  const bye = await owner.inDialog('BYE', dialog, { headers: forged });
  assert.strictEqual(bye.status, 200, bye.raw);
  const done = await uas.stop();
  const msgs = done.trace.split(/-{10,}/);
  const invite = msgs.find((m) => /^\s*INVITE sip:/m.test(m));
  const byeIn = msgs.find((m) => /^\s*BYE sip:/m.test(m));
  assert.ok(invite && byeIn, done.trace.slice(0, 3000));
  assertPoliced(invite, { what: 'INVITE' });
  assertPoliced(byeIn, { what: 'BYE' });
  // this node started the charging correlation (TS 24.229 5.2.7)
  assert.match(invite, /^P-Charging-Vector: icid-value=[0-9A-Fa-f]{32}\r?$/m);
  assertSilent();
});

test('a Route to a foreign host on an initial request is replaced by the IMS Core route set', async (t) => {
  const uas = await startUas({ scenario: 'uas-answer.xml', port: 5090, name: 'policing-route' });
  t.after(() => uas.stop());
  const { res, dialog } = await owner.invite('sip:bob@ims.lab', { from: OWNER,
    headers: ['Route: <sip:127.0.0.2:5098;lr>', 'Route: <sip:127.0.0.1:5098;lr>'] });
  assert.strictEqual(res.status, 200, res.raw);
  assert.strictEqual((await owner.bye(dialog)).status, 200);
  await uas.stop();
  assertSilent();
});

test('an extra Route to a foreign host inside an own dialog -> 403 next hop, nothing leaves', async (t) => {
  const { uas, dialog } = await ownerCall(t);
  // this node's entries (two: WebSocket and UDP side), then a foreign hop
  const ours = dialog.routeSet.filter((r) => /;wic=/.test(r));
  assert.strictEqual(ours.length, 2, dialog.routeSet.join(', '));
  const detour = { ...dialog, routeSet: [...ours, '<sip:127.0.0.2:5098;lr>'] };
  const r = await unchanged(() => owner.inDialog('BYE', detour));
  assert.strictEqual(r.status, 403, r.raw);
  assert.strictEqual(r.header('warning'), '399 ims_wic "wic_refused_next_hop"');
  assert.strictEqual((await owner.bye(dialog)).status, 200);
  const done = await uas.stop();
  assert.strictEqual(done.trace.split(/-{10,}/).filter((m) => /^\s*BYE sip:/m.test(m)).length, 1);
});

test('an own dialog\'s BYE with the remote target rewritten to a foreign host goes nowhere but the IMS Core', async (t) => {
  const { uas, dialog } = await ownerCall(t);
  // without a Route beyond ours the Request-URI is the next hop
  const detour = { ...dialog, routeSet: dialog.routeSet.filter((r) => /;wic=/.test(r)),
    remoteTarget: 'sip:victim@127.0.0.2:5098' };
  const r = await unchanged(() => owner.inDialog('BYE', detour));
  assert.strictEqual(r.status, 403, r.raw);
  assert.strictEqual((await owner.bye(dialog)).status, 200);
  await uas.stop();
});

for (const [where, headers, ruri] of [
  ['the Contact', ['Contact: <sip:wic@x.invalid;transport=ws;alias=127.0.0.2~5098~1>'], 'sip:bob@ims.lab'],
  ['the Request-URI', [], 'sip:bob@ims.lab;alias=127.0.0.2~5098~1'],
  ['the Contact, upper case', ['Contact: <sip:wic@x.invalid;ALIAS=127.0.0.2~5098~1>'], 'sip:bob@ims.lab'],
]) {
  test(`a client-supplied alias parameter in ${where} -> 400, nothing leaves`, async () => {
    const before = await scriptStat('wic_refused_client_alias');
    const responses = await unchanged(() => exchange(owner, requestText(owner, 'INVITE', {
      ruri, to: '<sip:bob@ims.lab>', from: `<${OWNER}>;tag=${rand(3)}`, headers })));
    assert.strictEqual(responses.length, 1);
    assert.strictEqual(responses[0].status, 400, responses[0].raw);
    assert.strictEqual(responses[0].header('warning'), '399 ims_wic "wic_refused_client_alias"');
    assert.strictEqual(await scriptStat('wic_refused_client_alias'), before + 1);
  });
}

test('a REGISTER with an alias parameter in its Contact -> 400 and no binding', async () => {
  const ua = intruder;
  const r = await unchanged(() => ua.register({ impu: INTRUDER, token: env.mint({ impu: [INTRUDER] }),
    contact: `<sip:wic@${ua.host};transport=ws;alias=127.0.0.2~5098~1>` }));
  assert.strictEqual(r.status, 400, r.raw);
});

test('a Via naming a foreign UDP host: the answer comes back over the WebSocket, nothing reaches the host', async () => {
  const responses = await unchanged(() => exchange(owner, requestText(owner, 'MESSAGE', {
    ruri: 'sip:victim@127.0.0.2:5098', to: '<sip:victim@ims.lab>;tag=x', from: `<${OWNER}>;tag=${rand(3)}`,
    via: `SIP/2.0/UDP 127.0.0.2:5098;branch=z9hG4bK${rand()};rport` })));
  assert.strictEqual(responses.length, 1);
  assert.strictEqual(responses[0].status, 481, responses[0].raw);
});

test('a WIC\'s reply with an alias parameter in its Contact reaches the IMS side without that Contact', async (t) => {
  const { runSipp } = require('../lib/sipp');
  const callee = await registered('sip:demoaliased@wwsf.lab');
  t.after(() => callee.close());
  callee.onRequest((req) => {
    if (req.method === 'INVITE') {
      callee.reply(req, 200, 'OK', [`Contact: <sip:wic@${callee.host};transport=ws;alias=127.0.0.2~5098~1>`], '');
    }
  });
  const before = await scriptStat('wic_refused_client_alias');
  const call = await runSipp({ scenario: 'uac-expect.xml', target: '127.0.0.1:5070', service: 'demoaliased@wwsf.lab',
    keys: { from: 'sip:carol@ims.lab', expect: '200', reason: '' }, name: 'policing-reply-alias', timeoutS: 10 });
  const ok = call.trace.split(/-{10,}/).find((m) => /SIP\/2\.0 200 OK/.test(m) && /INVITE/.test(m));
  assert.ok(ok, call.trace.slice(0, 3000));
  assert.doesNotMatch(ok, /alias=127\.0\.0\.2/);
  assert.strictEqual(await scriptStat('wic_refused_client_alias'), before + 1);
  assertSilent();
});

test('a reply of an unregistered connection that matches no transaction goes nowhere (no stateless relay by its Via)', async () => {
  const ua = await SipWs.connect({ url: WSS, origin: ORIGIN });
  try {
    const before = await scriptStat('wic_refused_stray_reply');
    await unchanged(async () => {
      for (const second of ['SIP/2.0/UDP 127.0.0.2:5098', 'SIP/2.0/TCP 127.0.0.2:5098', 'SIP/2.0/UDP 127.0.0.1:5098']) {
        ua.send(['SIP/2.0 200 OK', `Via: SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bK${rand()}`,
          `Via: ${second};branch=z9hG4bK${rand()}`, 'From: <sip:ceo@ims.lab>;tag=1', 'To: <sip:victim@ims.lab>;tag=2',
          `Call-ID: ${rand()}`, 'CSeq: 1 MESSAGE', 'P-Asserted-Identity: <sip:ceo@ims.lab>', 'Content-Length: 0', '', ''].join('\r\n'));
      }
      await exchange(ua, requestText(ua, 'OPTIONS', { ruri: 'sip:127.0.0.1', to: '<sip:127.0.0.1>' }));
    });
    assert.strictEqual(await scriptStat('wic_refused_stray_reply'), before + 3);
  } finally {
    await ua.close();
  }
});

for (const [what, extra] of [
  ['through this node\'s own SIP port', ['<sip:127.0.0.1:5060;lr>', '<sip:127.0.0.2:5098;lr>']],
  ['to a host name (never resolved)', ['<sip:evil.test;lr>']],
  ['to a foreign host with an maddr of the IMS Core', ['<sip:127.0.0.2:5098;maddr=127.0.0.1;lr>']],
]) {
  test(`a Route ${what} inside an own dialog -> 403 next hop, nothing leaves`, async (t) => {
    const { uas, dialog } = await ownerCall(t);
    const ours = dialog.routeSet.filter((r) => /;wic=/.test(r));
    const r = await unchanged(() => owner.inDialog('MESSAGE', { ...dialog, routeSet: [...ours, ...extra] }));
    assert.strictEqual(r.status, 403, r.raw);
    assert.strictEqual(r.header('warning'), '399 ims_wic "wic_refused_next_hop"');
    assert.strictEqual((await owner.bye(dialog)).status, 200);
    await uas.stop();
  });
}

for (const where of ['above', 'below']) {
  test(`a Record-Route a WIC slips into its answer (${where} the real ones) never reaches the IMS side`, async (t) => {
    const { runSipp } = require('../lib/sipp');
    const impu = `sip:demoslip${where}@wwsf.lab`;
    const callee = await registered(impu);
    t.after(() => callee.close());
    callee.onRequest((req) => {
      if (req.method === 'INVITE') {
        const own = req.headerLines.bind(req);
        const evil = '<sip:127.0.0.2:5098;lr>';
        req.headerLines = (h) => (h !== 'record-route' ? own(h)
          : where === 'above' ? [evil, ...own(h)] : [...own(h), evil]);
        callee.reply(req, 200, 'OK', [], '');
      }
      if (req.method === 'BYE') req.reply(200, 'OK');
    });
    const before = await scriptStat('wic_refused_record_route');
    const call = await runSipp({ scenario: 'uac-call.xml', target: '127.0.0.1:5070', service: impu.slice(4),
      keys: { from: 'sip:carol@ims.lab' }, name: `policing-rr-${where}`, timeoutS: 10 });
    const ok = call.trace.split(/-{10,}/).find((m) => /^\s*SIP\/2\.0 200 OK/m.test(m) && /CSeq: 1 INVITE/.test(m));
    assert.ok(ok, call.trace.slice(0, 3000));
    assert.doesNotMatch(ok, /127\.0\.0\.2/);
    assert.strictEqual(await scriptStat('wic_refused_record_route'), before + 1);
    assertSilent();
  });
}

test('an alias hidden in a user=phone Request-URI or Contact is refused (400)', async () => {
  for (const [ruri, contact] of [
    ['sip:+15551234@h.invalid;user=phone;alias=127.0.0.1~5098~6', `<sip:wic@${owner.host};transport=ws>`],
    ['sip:bob@ims.lab', `<sip:+1555@${owner.host};user=phone;alias=127.0.0.1~5098~6;transport=ws>`],
    ['sip:bob@ims.lab', `<sip:wic@${owner.host};transport=ws;ALIAS =127.0.0.2~5098~1>`],
  ]) {
    const responses = await unchanged(() => exchange(owner, requestText(owner, 'INVITE', {
      ruri, to: '<sip:bob@ims.lab>', from: `<${OWNER}>;tag=${rand(3)}`, headers: [`Contact: ${contact}`] })));
    assert.strictEqual(responses.length, 1);
    assert.strictEqual(responses[0].status, 400, `${ruri} ${contact}: ${responses[0].raw}`);
  }
});

test('Routes after the IMS Core\'s entry in an own dialog -> 403, the IMS Core is never asked to go there', async (t) => {
  const { uas, dialog } = await ownerCall(t);
  const r = await unchanged(() => owner.inDialog('MESSAGE', { ...dialog,
    routeSet: [...dialog.routeSet, '<sip:127.0.0.2:5098;lr>'] }));
  assert.strictEqual(r.status, 403, r.raw);
  assert.strictEqual(r.header('warning'), '399 ims_wic "wic_refused_next_hop"');
  assert.strictEqual((await owner.bye(dialog)).status, 200);
  await uas.stop();
});

test('an IMS-side in-dialog request to a WIC whose connection is gone gets 480, quietly', async (t) => {
  const { runSipp } = require('../lib/sipp');
  const impu = 'sip:demogoner@wwsf.lab';
  const callee = await registered(impu);
  let acked;
  const gotAck = new Promise((resolve) => { acked = resolve; });
  callee.onRequest((req) => {
    if (req.method === 'INVITE') callee.answer(req);
    if (req.method === 'ACK') acked();
  });
  const call = runSipp({ scenario: 'uac-call.xml', target: '127.0.0.1:5070', service: impu.slice(4),
    keys: { from: 'sip:carol@ims.lab' }, name: 'policing-gone', timeoutS: 10 });
  // the call is up: the tab goes before the IMS side's BYE (100 ms later)
  await gotAck;
  await callee.drop();
  const mark = env.epcscf.logMark();
  const r = await call;
  assert.match(r.trace, /SIP\/2\.0 480 Temporarily Unavailable - WIC gone/, r.trace.slice(-2000));
  const noisy = env.epcscf.log().slice(mark).split('\n').filter((l) => / (ERROR|WARNING|NOTICE): /.test(l));
  assert.deepStrictEqual(noisy, []);
});
