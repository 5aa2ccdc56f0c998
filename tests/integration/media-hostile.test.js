// SPDX-License-Identifier: GPL-2.0-or-later
// Copyright (C) 2026 the ims_wic authors
'use strict';
// The WIC side is hostile to the eIMS-AGW too: nothing a WIC writes in SDP
// may make rtpengine send media to an address of its choosing (beyond
// what media latching does). A real rtpengine (userspace), the real
// eP-CSCF with media on, the IMS Core stand-in, sipp with real RTP on the
// IMS side, a raw SIP-over-WSS WIC whose SDP lies.
//
//  1. an offer of plain RTP/AVP (no ICE, no DTLS) at a "victim" address:
//     488, and the AGW never hears of it
//  2. a WebRTC offer (UDP/TLS/RTP/SAVPF, ICE, DTLS) whose c= line and ICE
//     candidate name the victim: the IMS side plays 7 s of G.711 to the
//     AGW; the victim gets nothing (no media, no ICE check: the AGW is
//     ICE-lite toward WICs); another connection cannot start a call with
//     that Call-ID
//  3. a WIC that answers an IMS-side RTP/AVP offer with plain RTP/AVP at
//     the victim: the session is deleted, the victim gets nothing
//  4. a BYE of the IMS side ends the session
//  5. a call that fails (the IMS side busy; the WIC busy) leaves no session
//  6. codec policy: a WIC offering Opus alone; the IMS side gets G.711 too and
//     answers PCMA; the AGW transcodes
const test = require('../lib/test');
const assert = require('node:assert');
const dgram = require('node:dgram');
const crypto = require('node:crypto');
const { startEnv } = require('../lib/env');
const { SipWs } = require('../lib/sipws');
const { runSipp, startUas } = require('../lib/sipp');
const { pollUntil, REPO } = require('../lib/common');
const ng = require('../lib/rtpengine');
const path = require('node:path');

const WSS = 'wss://127.0.0.1:8443';
const ORIGIN = 'http://127.0.0.1:8000';
const IMS_CORE = '127.0.0.1:5070';
const PCAP = '/usr/share/sip-tester/g711a.pcap';

let agw;
let env;
let victim;
let victimPackets = 0;

test.before(async () => {
  agw = await ng.startRtpengine({ name: 'media-hostile', portMin: 31000, portMax: 31199 });
  env = await startEnv({ name: 'media-hostile', epcscfDefines: { WITHOUT_MEDIA: false },
    epcscfStrDefines: { RTPENGINE_SOCK: `udp:127.0.0.1:${agw.ngPort}` } });
  // the address a lying SDP names: it counts every datagram it gets
  victim = dgram.createSocket('udp4');
  victim.on('message', () => { victimPackets += 1; });
  await new Promise((resolve) => victim.bind(0, '127.0.0.1', resolve));
});
test.after(async () => {
  if (victim) victim.close();
  if (env) await env.stop();
  if (agw) await agw.stop();
});

const rand = () => crypto.randomBytes(6).toString('hex');

// A browser-looking offer or answer whose addresses are the victim's.
function webrtcSdp(port, setup = 'actpass') {
  return [
    'v=0', 'o=- 1 2 IN IP4 127.0.0.1', 's=-', 't=0 0', 'a=group:BUNDLE 0',
    `m=audio ${port} UDP/TLS/RTP/SAVPF 111 8`, 'c=IN IP4 127.0.0.1', `a=rtcp:${port} IN IP4 127.0.0.1`,
    `a=candidate:1 1 udp 2122260223 127.0.0.1 ${port} typ host generation 0`,
    'a=ice-ufrag:lIeS', 'a=ice-pwd:lieslieslieslieslieslies',
    'a=fingerprint:sha-256 0B:30:55:7A:9F:C4:E9:0E:33:58:7D:A2:C7:EC:11:36:5B:80:A5:CA:EF:14:39:5E:83:A8:CD:F2:17:3C:61:86',
    `a=setup:${setup}`, 'a=mid:0', 'a=sendrecv', 'a=rtcp-mux',
    'a=rtpmap:111 opus/48000/2', 'a=rtpmap:8 PCMA/8000', '',
  ].join('\r\n');
}

function plainSdp(port) {
  return ['v=0', 'o=- 1 2 IN IP4 127.0.0.1', 's=-', 'c=IN IP4 127.0.0.1', 't=0 0',
    `m=audio ${port} RTP/AVP 8`, 'a=rtpmap:8 PCMA/8000', 'a=sendrecv', ''].join('\r\n');
}

async function registeredWic(t, impu) {
  const ua = await SipWs.connect({ url: WSS, origin: ORIGIN });
  t.after(() => ua.close());
  const r = await ua.register({ impu, token: env.mint({ impu: [impu] }), callId: `reg-${rand()}` });
  assert.strictEqual(r.status, 200, r.raw);
  return ua;
}

// The RTP the AGW received from the IMS side of a call (sipp's tags carry "SIPp").
async function fromImsSide(callId) {
  const per = ng.receivedPerTag(await ng.query(agw.ngPort, callId));
  const tag = Object.keys(per).find((x) => /SIPp/.test(x));
  return tag ? per[tag].packets : 0;
}

test('a WIC offer of plain RTP/AVP at an address of its choosing is refused before the AGW', async (t) => {
  const ua = await registeredWic(t, 'sip:demohost1@wwsf.lab');
  const before = await env.scriptStat('wic_refused_media_offer');
  const callId = rand();
  const res = await ua.request('INVITE', { ruri: 'sip:bob@ims.lab', to: '<sip:bob@ims.lab>', from: '<sip:demohost1@wwsf.lab>',
    callId, headers: [`Contact: <sip:wic@${ua.host};transport=ws>`], body: plainSdp(victim.address().port),
    contentType: 'application/sdp' });
  assert.strictEqual(res.status, 488, res.raw);
  assert.match(res.raw, /Warning: 399 ims_wic "media offer not usable"/);
  assert.strictEqual(await env.scriptStat('wic_refused_media_offer'), before + 1);
  assert.strictEqual(await ng.query(agw.ngPort, callId), null, 'the AGW holds a session of the refused offer');
  assert.strictEqual(victimPackets, 0);
});

test('a WebRTC offer naming another host: the AGW relays the IMS side\'s RTP nowhere, sends no ICE check there', async (t) => {
  const ua = await registeredWic(t, 'sip:demohost2@wwsf.lab');
  const uas = await startUas({ scenario: 'uas-answer-pcap.xml', port: 5090, calls: 1, name: 'media-hostile-pcap',
    keys: { pcap: PCAP } });
  t.after(() => uas.stop());
  const start = victimPackets;
  const { res, dialog } = await ua.invite('sip:bob@ims.lab', { from: 'sip:demohost2@wwsf.lab',
    sdp: webrtcSdp(victim.address().port) });
  assert.strictEqual(res.status, 200, res.raw);
  // the WIC got a WebRTC answer from the AGW, the IMS side a plain offer
  assert.match(res.body, /^m=audio \d+ UDP\/TLS\/RTP\/SAVPF /m, res.body);
  assert.match(res.body, /^a=ice-lite/m, res.body);
  const offer = /\r?\n\r?\n(v=0[^]*)/.exec(uas.trace().split(/^-{10,}.*$/m).find((b) => /^INVITE /m.test(b)) || '');
  assert.ok(offer, 'no INVITE with SDP at the IMS side');
  assert.match(offer[1], /^m=audio \d+ RTP\/AVP /m);
  assert.doesNotMatch(offer[1], /127\.0\.0\.1 \d+ typ host|a=fingerprint|a=ice-/);
  await uas.waitForTrace(/^ACK sip:/m, 5000);
  // a second of the IMS side's audio reached the AGW ...
  const got = await pollUntil(async () => {
    const n = await fromImsSide(dialog.callId);
    return n >= 50 ? n : null;
  }, { timeoutMs: 10000, intervalMs: 100, what: `50 RTP packets of the IMS side at the AGW (call ${dialog.callId})` });
  t.diagnostic(`the AGW received ${got} RTP packets from the IMS side; the victim ${victimPackets - start} datagrams`);
  // ... and went nowhere: no RTP, SRTP or STUN at the address the SDP named
  assert.strictEqual(victimPackets - start, 0, 'the AGW sent datagrams to the address a WIC named');
  // the node lists the session with its WIC connection (docs: kamcmd htable.dump wic_mcall)
  assert.ok((await env.epcscf.rpc('htable.dump', 'wic_mcall')).includes(dialog.callId), 'wic_mcall lacks the call');
  // another connection cannot take over the call by its Call-ID
  const other = await registeredWic(t, 'sip:demohost3@wwsf.lab');
  const hijack = await other.request('INVITE', { ruri: 'sip:bob@ims.lab', to: '<sip:bob@ims.lab>',
    from: '<sip:demohost3@wwsf.lab>', callId: dialog.callId,
    headers: [`Contact: <sip:wic@${other.host};transport=ws>`], body: webrtcSdp(victim.address().port),
    contentType: 'application/sdp' });
  assert.strictEqual(hijack.status, 403, hijack.raw);
  const bye = await ua.bye(dialog);
  assert.strictEqual(bye.status, 200, bye.raw);
  await pollUntil(async () => (await ng.query(agw.ngPort, dialog.callId)) === null,
    { timeoutMs: 5000, what: 'the session deleted after the BYE' });
  assert.ok(!(await env.epcscf.rpc('htable.dump', 'wic_mcall')).includes(dialog.callId), 'wic_mcall keeps the ended call');
  assert.strictEqual(victimPackets - start, 0);
  const r = await uas.stop();
  assert.match(r.logs, /BYE=yes/);
});

test('a WIC answer of plain RTP/AVP at an address of its choosing gets the call no media', async (t) => {
  const ua = await registeredWic(t, 'sip:demohost4@wwsf.lab');
  const before = await env.scriptStat('wic_refused_media_answer');
  const start = victimPackets;
  let dialog;
  ua.onRequest((req) => {
    if (req.method === 'INVITE') {
      ua.reply(req, 200, 'OK', [], plainSdp(victim.address().port));
      dialog = req.header('call-id');
    }
    if (req.method === 'BYE') ua.reply(req, 200, 'OK');
  });
  const sipp = runSipp({ scenario: path.join(REPO, 'lab', 'sipp', 'uac-call-rtp.xml'), target: IMS_CORE,
    service: 'demohost4@wwsf.lab', keys: { from: 'sip:carol@ims.lab' }, timeoutS: 4, name: 'media-hostile-answer',
    args: ['-mp', '31500'] });
  t.after(() => sipp);
  await pollUntil(() => dialog, { timeoutMs: 8000, what: 'the INVITE at the WIC' });
  await pollUntil(async () => (await env.scriptStat('wic_refused_media_answer')) === before + 1,
    { timeoutMs: 5000, what: 'the answer refused' });
  assert.strictEqual(await ng.query(agw.ngPort, dialog), null, 'the AGW kept a session for a plain answer of a WIC');
  assert.strictEqual(victimPackets - start, 0);
  // the IMS side ends the attempt: the WIC has no in-dialog state here, so
  // the UAC runs into its -timeout; only its exit is awaited
  await sipp;
});

test('a BYE of the IMS side ends the media session', async (t) => {
  const ua = await registeredWic(t, 'sip:demohost7@wwsf.lab');
  let callId;
  ua.onRequest((req) => {
    if (req.method === 'INVITE') {
      callId = req.header('call-id');
      ua.reply(req, 200, 'OK', [], webrtcSdp(victim.address().port, 'active'));
    }
    if (req.method === 'BYE') ua.reply(req, 200, 'OK');
  });
  const r = await runSipp({ scenario: 'uac-call.xml', target: IMS_CORE, service: 'demohost7@wwsf.lab',
    keys: { from: 'sip:carol@ims.lab' }, timeoutS: 10, name: 'media-hostile-ims-bye' });
  assert.strictEqual(r.code, 0, `${r.stderr}\n${r.trace.slice(-3000)}`);
  // the IMS side's offer went through the AGW to the WIC, and its BYE ended it
  assert.ok(ua.received.some((m) => m.method === 'BYE'), 'the BYE did not reach the WIC');
  assert.match(ua.received.find((m) => m.method === 'INVITE').body, /^m=audio \d+ UDP\/TLS\/RTP\/SAVPF /m);
  await pollUntil(async () => (await ng.query(agw.ngPort, callId)) === null,
    { timeoutMs: 5000, what: `no session of ${callId} after the IMS side's BYE` });
});

test('a call that fails on every branch leaves no media session, either way', async (t) => {
  // originating: the IMS side answers 486
  const ua = await registeredWic(t, 'sip:demohost5@wwsf.lab');
  const uas = await startUas({ scenario: 'uas-busy.xml', port: 5090, calls: 1, name: 'media-hostile-busy' });
  t.after(() => uas.stop());
  const ended = await env.scriptStat('wic_media_sessions_ended');
  const { res } = await ua.invite('sip:bob@ims.lab', { from: 'sip:demohost5@wwsf.lab', sdp: webrtcSdp(victim.address().port) });
  assert.strictEqual(res.status, 486, res.raw);
  const callId = res.header('call-id');
  await pollUntil(async () => (await ng.query(agw.ngPort, callId)) === null,
    { timeoutMs: 5000, what: `no session of ${callId} after the 486` });
  assert.strictEqual(await env.scriptStat('wic_media_sessions_ended'), ended + 1);
  // terminating: the WIC answers 486 (failure_route[WIC_UNREACHABLE])
  let incoming;
  ua.onRequest((req) => {
    if (req.method === 'INVITE') { incoming = req.header('call-id'); ua.reply(req, 486, 'Busy Here'); }
  });
  const r = await runSipp({ scenario: path.join(REPO, 'lab', 'sipp', 'uac-call-rtp.xml'), target: IMS_CORE,
    service: 'demohost5@wwsf.lab', keys: { from: 'sip:carol@ims.lab' }, timeoutS: 4, name: 'media-hostile-wic-busy',
    args: ['-mp', '31510'] });
  assert.ok(incoming, 'the INVITE did not reach the WIC');
  assert.match(r.trace, /SIP\/2\.0 486 Busy Here/);
  assert.strictEqual(await ng.query(agw.ngPort, incoming), null, 'a session outlived the 486 of the WIC');
  assert.strictEqual(await env.scriptStat('wic_media_sessions_ended'), ended + 2);
});

test('codec policy: a WIC offering Opus alone gets G.711 offered to the IMS side, and the AGW transcodes', async (t) => {
  const ua = await registeredWic(t, 'sip:demohost6@wwsf.lab');
  const uas = await startUas({ scenario: 'uas-answer-pcap.xml', port: 5090, calls: 1, name: 'media-hostile-opus',
    keys: { pcap: PCAP } });
  t.after(() => uas.stop());
  const opusOnly = webrtcSdp(victim.address().port).replace(/ 111 8\r\n/, ' 111\r\n').replace(/a=rtpmap:8 PCMA\/8000\r\n/, '');
  assert.doesNotMatch(opusOnly, /PCMA/);
  const { res, dialog } = await ua.invite('sip:bob@ims.lab', { from: 'sip:demohost6@wwsf.lab', sdp: opusOnly });
  assert.strictEqual(res.status, 200, res.raw);
  const offer = /\r?\n\r?\n(v=0[^]*)/.exec(uas.trace().split(/^-{10,}.*$/m).find((b) => /^INVITE /m.test(b)) || '');
  assert.ok(offer, 'no INVITE with SDP at the IMS side');
  // Opus kept for an IMS side that takes it, G.711 added for one that does not
  assert.match(offer[1], /^a=rtpmap:\d+ opus\/48000/m, offer[1]);
  assert.match(offer[1], /^a=rtpmap:8 PCMA\/8000/m, offer[1]);
  assert.match(offer[1], /^a=rtpmap:0 PCMU\/8000/m, offer[1]);
  // the IMS side answered PCMA: the WIC keeps Opus, the AGW transcodes
  assert.match(res.body, /^m=audio \d+ UDP\/TLS\/RTP\/SAVPF 111\r?$/m, res.body);
  await uas.waitForTrace(/^ACK sip:/m, 5000);
  const st = await pollUntil(async () => {
    const s = await ng.statistics(agw.ngPort);
    return s.currentstatistics.transcodedmedia > 0 ? s : null;
  }, { timeoutMs: 5000, what: 'transcoded media in rtpengine' });
  t.diagnostic(`rtpengine: ${st.currentstatistics.sessionsown} session(s), ${st.currentstatistics.transcodedmedia} transcoded media`);
  const bye = await ua.bye(dialog);
  assert.strictEqual(bye.status, 200, bye.raw);
  await pollUntil(async () => (await ng.query(agw.ngPort, dialog.callId)) === null,
    { timeoutMs: 5000, what: 'the session deleted after the BYE' });
});
