// SPDX-License-Identifier: GPL-2.0-or-later
// Copyright (C) 2026 the ims_wic authors
'use strict';
// The lab end to end with a real browser: scripts/lab.sh start (IMS Core
// stand-in, eP-CSCF, demo WWSF), Debian's headless Chromium driven over the
// DevTools protocol by playwright-core, sipp on the IMS side.
//
//  1. the page gets a token from the WWSF and registers over WSS
//  2. an INVITE from an IMS-side sipp UAC with a plain RTP/AVP offer reaches
//     the page through the IMS Core stand-in and the eP-CSCF, which has the
//     eIMS-AGW (rtpengine) turn it into a WebRTC offer; the page answers;
//     sipp echoes the RTP it gets, so audio flows both ways (Chromium's fake
//     microphone); the page hangs up
//  3. the page calls an IMS-side sipp UAS that answers RTP/AVP PCMA and
//     echoes: the same, the other way round; the page holds (re-INVITE) and
//     resumes (UPDATE), audio flows again
//  4. a call the page cancels while it rings, and a call whose page goes
//     away (its WebSocket closes, no BYE), leave no session in rtpengine
//  5. the same page served from an origin that is not provisioned cannot
//     open the WebSocket (HTTP 403 on the upgrade)
//
// SDP is checked at each side: the IMS side never sees ICE, DTLS or SAVPF;
// the browser never sees plain RTP/AVP. The audio figures go to the TAP
// output (diagnostics) and tests/out/e2e/media-figures.json.
//
// Ports: the lab's (5060/8443/8080/5070/5090/8000, unauthorized page on
// 8002, rtpengine ng 2323); the LAB_* variables of scripts/lab.sh move them all.

const test = require('../lib/test');
const assert = require('node:assert');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const https = require('node:https');
const crypto = require('node:crypto');
const { spawn, execFile } = require('node:child_process');
const { REPO, outDir, pollUntil, tcpConnectOnce, track, trackPid, trackPidDir, groupLeadersByCmdline, freePort, portBound } = require('../lib/common');
const ng = require('../lib/rtpengine');
const { runSipp, startUas } = require('../lib/sipp');
const { parseRpcStructs } = require('../lib/env');

const CHROMIUM = process.env.CHROMIUM_BIN || '/usr/bin/chromium';
const IP = process.env.LAB_IP || '127.0.0.1';
const P = {
  sip: Number(process.env.LAB_SIP_PORT || 5060),
  wss: Number(process.env.LAB_WSS_PORT || 8443),
  ws: Number(process.env.LAB_WS_PORT || 8080),
  ims: Number(process.env.LAB_IMS_PORT || 5070),
  imsUa: Number(process.env.LAB_IMS_UA_PORT || 5090),
  wwsf: Number(process.env.LAB_WWSF_PORT || 8000),
};
const NG_PORT = Number(process.env.LAB_RTPENGINE_NG_PORT || 2323);
P.badWwsf = Number(process.env.E2E_BAD_ORIGIN_PORT || P.wwsf + 2);
const LAB = path.resolve(process.env.LAB_DIR || path.join(REPO, 'build', 'lab'));
const EPCSCF_CTL = `unix:${path.join(LAB, 'run', 'epcscf.ctl')}`;
const OUT = path.join(outDir(), 'e2e');
const USER = `e2e${crypto.randomBytes(3).toString('hex')}`;
const IMPU = `sip:demo${USER}@wwsf.lab`;
const SIPP_UAC = path.join(REPO, 'lab', 'sipp', 'uac-call-rtp.xml');
const SIPP_UAS = path.join(REPO, 'lab', 'sipp', 'uas-answer-rtp.xml');

const CHROMIUM_FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic',
  '--no-first-run', '--disable-background-networking', '--disable-component-update',
  '--disable-sync', '--use-fake-ui-for-media-stream', '--use-fake-device-for-media-stream',
  '--ignore-certificate-errors'];

// A command run to completion (bounded: SIGKILL after timeoutMs), in the
// process registry of tests/lib/common.js while it runs.
function sh(cmd, args, timeoutMs) {
  return new Promise((resolve) => {
    const child = execFile(cmd, args, { cwd: REPO, timeout: timeoutMs, killSignal: 'SIGKILL', env: process.env },
      (err, stdout, stderr) => resolve({ code: err ? (err.code ?? -1) : 0, stdout, stderr }));
    track(child, { name: path.basename(cmd), watch: false });
  });
}

const kamcmd = (...args) => sh('/usr/sbin/kamcmd', ['-s', EPCSCF_CTL, ...args], 5000);

async function bindingsOf(impu) {
  const r = await kamcmd('ims_wic.lookup', impu);
  assert.strictEqual(r.code, 0, `kamcmd ims_wic.lookup failed: ${r.stderr}`);
  return parseRpcStructs(r.stdout).filter((b) => b.impu === impu);
}

// The last lines of a lab log above INFO level (what went wrong, not the start-up chatter).
function labLog(part, lines = 25) {
  try {
    return fs.readFileSync(path.join(LAB, 'log', `${part}.log`), 'utf8').split('\n')
      .filter((l) => l.trim() && !/ INFO: /.test(l)).slice(-lines).join('\n');
  } catch { return '(no log)'; }
}

// Text of a DOM element, polled until pred(text) holds.
async function waitText(page, sel, pred, what, timeoutMs = 15000) {
  let last = '';
  try {
    return await pollUntil(async () => {
      last = (await page.textContent(sel)) || '';
      return pred(last) ? last : null;
    }, { timeoutMs, intervalMs: 100, what });
  } catch (e) {
    const log = await page.textContent('#log').catch(() => '');
    throw new Error(`${e.message}; ${sel} is "${last}"\npage log:\n${log}\n--- epcscf.log tail:\n${labLog('epcscf')}`);
  }
}

function withTimeout(promise, ms, what) {
  let timer;
  return Promise.race([promise, new Promise((resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`timeout after ${ms} ms waiting for ${what}`)), ms);
  })]).finally(() => clearTimeout(timer));
}

// The upgrade as the browser would send it, from node (TLS, self-signed).
function wsUpgrade(origin) {
  return new Promise((resolve, reject) => {
    const req = https.request({
      host: IP, port: P.wss, path: '/', rejectUnauthorized: false,
      headers: {
        Connection: 'Upgrade', Upgrade: 'websocket', Origin: origin,
        'Sec-WebSocket-Version': '13', 'Sec-WebSocket-Key': crypto.randomBytes(16).toString('base64'),
        'Sec-WebSocket-Protocol': 'sip',
      },
      timeout: 5000,
    });
    req.on('upgrade', (res, socket) => { socket.destroy(); resolve(res.statusCode); });
    req.on('response', (res) => { res.resume(); resolve(res.statusCode); });
    req.on('timeout', () => req.destroy(new Error('upgrade timed out')));
    req.on('error', reject);
    req.end();
  });
}

let chromium;
let context;
let page;
let profileDir;
let labStarted = false;
let untrackChromium = [];
const consoleLines = [];

test.before(async () => {
  fs.mkdirSync(OUT, { recursive: true });
  if (!fs.existsSync(CHROMIUM)) {
    throw new Error(`${CHROMIUM} is missing: run make deps (scripts/setup-deps.sh installs ` +
      'Debian\'s chromium) or apt-get install -y chromium');
  }
  ({ chromium } = require('playwright-core'));
  // the lab's parts run in their own sessions (setsid) with pid files in
  // <lab>/run: registered before the start, so that whatever a failed or
  // hung start left behind is killed when this file ends
  trackPidDir(path.join(LAB, 'run'), { name: 'lab parts' });
  const r = await sh(path.join(REPO, 'scripts', 'lab.sh'), ['start'], 90000);
  // a failed start stops what it started, but a partial start must not survive us
  labStarted = true;
  assert.strictEqual(r.code, 0, `scripts/lab.sh start failed (${r.code}):\n${r.stderr}\n${r.stdout}`);
  fs.writeFileSync(path.join(OUT, 'lab-start.txt'), `${r.stdout}\n${r.stderr}`);

  profileDir = fs.mkdtempSync(path.join(os.tmpdir(), 'wic-chromium-'));
  context = await chromium.launchPersistentContext(profileDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_FLAGS,
    ignoreHTTPSErrors: true,
    viewport: { width: 1000, height: 900 },
    timeout: 30000,
  });
  // playwright-core starts Chromium in its own process group; the registry
  // gets that group too (its leader found by the profile directory)
  const leaders = groupLeadersByCmdline(`--user-data-dir=${profileDir}`);
  assert.ok(leaders.length > 0, 'the Chromium process was not found');
  untrackChromium = leaders.map((pid) => trackPid(pid, { name: 'chromium', group: true }));
  page = context.pages()[0] || await context.newPage();
  page.on('console', (m) => consoleLines.push(`[${m.type()}] ${m.text()}`));
  page.on('pageerror', (e) => consoleLines.push(`[pageerror] ${e.message}`));
  page.on('crash', () => consoleLines.push('[crash] the page crashed'));
});

test.after(async () => {
  fs.mkdirSync(OUT, { recursive: true });
  fs.writeFileSync(path.join(OUT, 'console.log'), consoleLines.join('\n'));
  if (context) await context.close().catch(() => {});
  untrackChromium.forEach((untrack) => untrack());   // closed: its pid may be reused
  if (profileDir) fs.rmSync(profileDir, { recursive: true, force: true });
  if (labStarted) {
    const r = await sh(path.join(REPO, 'scripts', 'lab.sh'), ['stop'], 60000);
    if (r.code !== 0) console.error(`scripts/lab.sh stop: ${r.code}\n${r.stderr}`);
  }
});

test('the WIC page gets a token and registers over WSS', async () => {
  await page.goto(`http://${IP}:${P.wwsf}/`);
  assert.strictEqual(await page.textContent('#reg-state'), 'unregistered');
  await page.fill('#user', USER);
  await page.click('#login');
  await waitText(page, '#token-state', (t) => t !== 'fetching', 'the token');
  assert.strictEqual(await page.textContent('#token-state'), 'ok');
  assert.strictEqual(await page.textContent('#impu'), IMPU);
  assert.strictEqual(await page.textContent('#ws-url'), `wss://${IP}:${P.wss}`);

  await page.click('#register');
  const state = await waitText(page, '#reg-state', (t) => t !== 'registering', 'the REGISTER outcome');
  assert.strictEqual(state, 'registered');
  assert.strictEqual(await page.textContent('#ws-state'), 'connected');

  const b = await pollUntil(async () => {
    const l = await bindingsOf(IMPU);
    return l.length ? l : null;
  }, { timeoutMs: 5000, what: `a binding of ${IMPU} in ims_wic.lookup` });
  assert.strictEqual(b.length, 1, JSON.stringify(b));
  assert.strictEqual(b[0].wwsf, 'demo');
  assert.match(b[0].socket, /tls|wss/i, `binding not on the WSS listener: ${JSON.stringify(b[0])}`);
  assert.ok(Number(b[0].expires) > 0, JSON.stringify(b[0]));

  await page.screenshot({ path: path.join(OUT, 'registered.png'), fullPage: true });
  assert.ok(fs.statSync(path.join(OUT, 'registered.png')).size > 1000);
});

// ---- media through the eIMS-AGW ----------------------------------------------

// A UDP port for sipp's RTP echo: it binds the port and the port + 2.
async function echoPort() {
  for (let i = 0; i < 20; i++) {
    const p = await freePort(IP);
    if (p < 65000 && !portBound('udp', p + 2, IP)) return p;
  }
  throw new Error('no free port pair for the RTP echo');
}

// The SDP bodies of the messages sipp received (-trace_msg), by first line.
function receivedSdp(trace, firstLine) {
  return trace.split(/^-{10,}.*$/m)
    .filter((b) => /message received/.test(b))
    .map((b) => b.replace(/^[^]*?message received[^\n]*\n\s*/, ''))
    .filter((m) => firstLine.test(m) && /\r?\n\r?\nv=0/.test(m))
    .map((m) => m.slice(m.search(/\r?\n\r?\nv=0/)).trim());
}

// What an IMS UE, MGCF or MRF can answer: plain RTP/AVP, nothing of WebRTC.
function assertImsSdp(sdp, where) {
  assert.match(sdp, /^m=audio \d+ RTP\/AVP [\d ]+$/m, `${where}: no RTP/AVP audio line:\n${sdp}`);
  for (const bad of [/SAVP/, /UDP\/TLS/, /^a=ice-/m, /^a=candidate/m, /^a=fingerprint/m, /^a=setup/m,
    /^a=crypto/m, /^a=rtcp-mux/m, /^a=group:BUNDLE/m, /^a=extmap:/m]) {
    assert.doesNotMatch(sdp, bad, `${where}: the IMS side sees ${bad}:\n${sdp}`);
  }
}

// What a browser accepts: UDP/TLS/RTP/SAVPF with ICE, DTLS and rtcp-mux.
function assertWicSdp(sdp, where) {
  assert.match(sdp, /^m=audio \d+ UDP\/TLS\/RTP\/SAVPF [\d ]+$/m, `${where}: no UDP/TLS/RTP/SAVPF audio line:\n${sdp}`);
  assert.doesNotMatch(sdp, /\bRTP\/AVP\b/, `${where}: the browser sees plain RTP/AVP:\n${sdp}`);
  for (const need of [/^a=ice-ufrag:/m, /^a=ice-pwd:/m, /^a=candidate:/m, /^a=fingerprint:sha-256 /m,
    /^a=setup:/m, /^a=rtcp-mux/m]) {
    assert.match(sdp, need, `${where}: ${need} missing:\n${sdp}`);
  }
}

// The page's RTCPeerConnection: descriptions and audio statistics.
function pcState(p) {
  return p.evaluate(async () => {
    const s = window.wic && window.wic.session;
    const pc = s && s.connection;
    if (!pc) return null;
    const out = {
      local: pc.localDescription && pc.localDescription.sdp,
      remote: pc.remoteDescription && pc.remoteDescription.sdp,
      ice: pc.iceConnectionState,
      inbound: null,
      outbound: null,
      codec: null,
    };
    const stats = await pc.getStats();
    stats.forEach((r) => {
      if (r.type === 'inbound-rtp' && r.kind === 'audio') {
        out.inbound = { bytes: r.bytesReceived, packets: r.packetsReceived, level: r.audioLevel || 0,
          energy: r.totalAudioEnergy || 0, codecId: r.codecId };
      }
      if (r.type === 'outbound-rtp' && r.kind === 'audio') out.outbound = { bytes: r.bytesSent, packets: r.packetsSent };
    });
    if (out.inbound && out.inbound.codecId) {
      const c = stats.get(out.inbound.codecId);
      out.codec = c ? c.mimeType : null;
    }
    return out;
  });
}

// Audio reaches the page: bytesReceived grows and the level rises above
// silence (Chromium's fake microphone beeps; the IMS side echoes it).
async function assertPageHearsAudio(p, t, label) {
  const first = await pollUntil(async () => {
    const s = await pcState(p);
    return s && s.inbound && s.inbound.bytes > 0 ? s : null;
  }, { timeoutMs: 15000, intervalMs: 200, what: `${label}: inbound audio on the page` });
  let maxLevel = 0;
  const loud = await pollUntil(async () => {
    const s = await pcState(p);
    maxLevel = Math.max(maxLevel, s.inbound.level);
    return s.inbound.bytes > first.inbound.bytes + 1000 && maxLevel > 0.01 ? s : null;
  }, { timeoutMs: 15000, intervalMs: 100, what: () => `${label}: growing inbound audio above silence (max audioLevel ${maxLevel})` });
  const figures = {
    codec: loud.codec, ice: loud.ice, inboundBytes: loud.inbound.bytes, inboundPackets: loud.inbound.packets,
    maxAudioLevel: Number(maxLevel.toFixed(3)), totalAudioEnergy: Number(loud.inbound.energy.toFixed(4)),
    outboundPackets: loud.outbound && loud.outbound.packets,
  };
  t.diagnostic(`${label}: page ${JSON.stringify(figures)}`);
  return { state: loud, figures };
}

// rtpengine has no session of the call any more (polled, bounded).
async function assertNoMediaSession(callId, what) {
  await pollUntil(async () => (await ng.query(NG_PORT, callId)) === null,
    { timeoutMs: 10000, intervalMs: 100, what: `no rtpengine session for ${callId} after ${what}` });
  assert.ok(!(await ng.list(NG_PORT)).includes(callId), `rtpengine still lists ${callId} after ${what}`);
}

// rtpengine's counts of a call's RTP, per side: what it received from the
// IMS side (sipp sends only the echo of what it received: the IMS side's
// reception, packet for packet) and from the browser.
async function rtpPerSide(callId) {
  const call = await ng.query(NG_PORT, callId);
  const per = ng.receivedPerTag(call);
  const ims = Object.keys(per).find((tag) => /SIPp/.test(tag));
  const wic = Object.keys(per).find((tag) => !/SIPp/.test(tag));
  if (!ims || !wic) return null;
  return { fromIms: per[ims].packets, fromWic: per[wic].packets };
}

// Cleanup of a test that failed mid-call: the page's call ends, so that the
// next test starts idle (bounded: the button is disabled once it ended).
async function hangUpIfInCall(p) {
  const st = await p.textContent('#call-state').catch(() => 'ended');
  if (/^(ended|failed|idle|$)/.test(st)) return;
  await p.click('#hangup', { timeout: 2000 }).catch(() => {});
  await waitText(p, '#call-state', (x) => /^(ended|failed)/.test(x), 'the end of the call', 5000).catch(() => {});
}

function callIdOf(msgText) {
  const m = /^Call-ID:\s*(\S+)/mi.exec(msgText);
  assert.ok(m, 'no Call-ID in the IMS-side trace');
  return m[1];
}

const figures = {};

test('an IMS-side RTP/AVP call reaches the page, both directions carry audio through the eIMS-AGW', async (t) => {
  assert.strictEqual(await page.textContent('#reg-state'), 'registered', 'needs the registration of the first test');
  const mp = await echoPort();
  const sipp = runSipp({
    scenario: SIPP_UAC, target: `${IP}:${P.ims}`, service: `demo${USER}@wwsf.lab`,
    keys: { from: 'sip:bob@ims.lab' }, timeoutS: 60, name: 'e2e-ims-to-wic', args: ['-rtp_echo', '-mp', String(mp)],
  });
  let answered = false;
  t.after(async () => {
    // the page hangs up in the test; a failure before leaves the call to sipp's -timeout
    if (answered) await hangUpIfInCall(page);
    await withTimeout(sipp, 80000, 'sipp UAC').catch(() => {});
  });
  try {
    await waitText(page, '#call-state', (x) => x === 'incoming', 'the incoming call on the page', 20000);
  } catch (e) {
    const r = await withTimeout(sipp, 80000, 'sipp after the missed call').catch((x) => ({ trace: x.message }));
    const finals = (r.trace || '').match(/^SIP\/2\.0 [^\r\n]*/gm) || [];
    throw new Error(`${e.message}\n--- responses seen by the sipp UAC: ${finals.join(' | ')}`);
  }
  assert.match(await page.textContent('#call-peer'), /from sip:bob@ims\.lab/);
  await page.click('#answer');
  answered = true;
  await waitText(page, '#call-state', (x) => x === 'established', 'the established call');
  // the browser got a WebRTC offer made of the IMS side's RTP/AVP one
  const st = await pcState(page);
  assertWicSdp(st.remote, 'offer the page received');
  const { figures: f } = await assertPageHearsAudio(page, t, 'IMS->WIC call');
  // the IMS side receives RTP from the eIMS-AGW (the only call it holds now)
  // and echoes it: at least a second of audio each way
  const calls = await ng.list(NG_PORT);
  assert.strictEqual(calls.length, 1, `rtpengine holds ${calls.length} calls`);
  const rtp = await pollUntil(async () => {
    const x = await rtpPerSide(calls[0]);
    return x && x.fromWic >= 50 && x.fromIms >= 50 ? x : null;
  }, { timeoutMs: 15000, intervalMs: 200, what: 'a second of RTP each way in rtpengine' });
  await page.click('#hangup');
  await waitText(page, '#call-state', (x) => x.startsWith('ended'), 'the end of the call');
  const r = await withTimeout(sipp, 20000, 'the sipp UAC to finish');
  assert.strictEqual(r.code, 0, `sipp UAC exit ${r.code}\n${r.stderr}\n${r.trace.slice(-4000)}\n--- epcscf.log:\n${labLog('epcscf')}`);
  assert.match(r.logs, /FINAL=SIP\/2\.0 200/);
  assert.match(r.logs, /BYE_FROM_WIC=yes/);
  const retargeted = new RegExp(`demo${USER}@wwsf\\.lab retargeted to sip:${IP.replace(/\./g, '\\.')}:${P.sip} with P-Called-Party-ID`);
  if (process.env.LAB_IMS_KEEP_RURI === '1') assert.doesNotMatch(labLog('ims-core', 100000), retargeted);
  else assert.match(labLog('ims-core', 100000), retargeted);
  // the IMS side got an RTP/AVP answer and RTP from the eIMS-AGW
  const answers = receivedSdp(r.trace, /^SIP\/2\.0 200 /);
  assert.ok(answers.length > 0, `no SDP answer reached the IMS side:\n${r.trace.slice(-3000)}`);
  answers.forEach((sdp) => assertImsSdp(sdp, 'answer the IMS side received'));
  assert.strictEqual(callIdOf(r.trace), calls[0]);
  f.rtpFromWicAtAgw = rtp.fromWic;
  f.rtpEchoedByImsSide = rtp.fromIms;
  figures['IMS->WIC'] = f;
  t.diagnostic(`IMS->WIC call: the AGW received ${rtp.fromWic} RTP packets from the browser; the IMS side received and echoed ${rtp.fromIms}`);
  fs.writeFileSync(path.join(OUT, 'sdp-ims-to-wic.txt'),
    `--- offer the browser received\n${st.remote}\n--- answer the IMS side received\n${answers[answers.length - 1]}\n`);
  await assertNoMediaSession(callIdOf(r.trace), 'the WIC hung up');
});

test('the page calls an IMS-side UA that answers RTP/AVP PCMA and echoes: audio both ways, hold and resume', async (t) => {
  assert.strictEqual(await page.textContent('#reg-state'), 'registered', 'needs the registration of the first test');
  const mp = await echoPort();
  const uas = await startUas({ scenario: SIPP_UAS, port: P.imsUa, calls: 1, name: 'e2e-wic-to-ims',
    args: ['-rtp_echo', '-mp', String(mp)] });
  // the page's call ends before its UAS does (a BYE to a stopped UAS would
  // be retransmitted into the next test's)
  t.after(async () => { await hangUpIfInCall(page); await uas.stop(); });
  await page.fill('#target', 'sip:bob@ims.lab');
  await page.click('#call');
  await waitText(page, '#call-state', (x) => x === 'established' || x.startsWith('failed') || x.startsWith('ended'),
    'the answer of the IMS-side UA', 20000);
  assert.strictEqual(await page.textContent('#call-state'), 'established');
  await uas.waitForTrace(/ACK sip:/, 5000);
  const st = await pcState(page);
  assertWicSdp(st.remote, 'answer the page received');
  const offers = receivedSdp(uas.trace(), /^INVITE /);
  assert.strictEqual(offers.length, 1, 'one INVITE with SDP at the IMS side');
  assertImsSdp(offers[0], 'offer the IMS side received');
  const callId = callIdOf(uas.trace());
  // the IMS side receives RTP from the eIMS-AGW and echoes it: at least a
  // second of audio each way
  const rtp = await pollUntil(async () => {
    const x = await rtpPerSide(callId);
    return x && x.fromWic >= 50 && x.fromIms >= 50 ? x : null;
  }, { timeoutMs: 15000, intervalMs: 200, what: `a second of RTP each way in rtpengine's view of ${callId}` });
  const { figures: f } = await assertPageHearsAudio(page, t, 'WIC->IMS call');
  // hold with a re-INVITE, resume with an UPDATE: each offer reaches the
  // IMS side as RTP/AVP, the session stays, audio flows again after it
  // (JsSIP calls back when the answer to its re-offer is applied)
  const reoffered = (method) => page.evaluate((m) => new Promise((resolve, reject) => {
    const s = window.wic.session;
    const done = { succeeded: () => resolve(true), failed: () => reject(new Error(`${m} refused`)) };
    if (m === 'INVITE') s.hold({}, done.succeeded);
    else s.unhold({ useUpdate: true }, done.succeeded);
    setTimeout(() => reject(new Error(`no answer to the ${m} within 5 s`)), 5000);
  }), method);
  await reoffered('INVITE');
  await pollUntil(() => receivedSdp(uas.trace(), /^INVITE /).length === 2,
    { timeoutMs: 5000, what: 'the re-INVITE at the IMS side' });
  await reoffered('UPDATE');
  await pollUntil(() => receivedSdp(uas.trace(), /^UPDATE /).length === 1,
    { timeoutMs: 5000, what: 'the UPDATE at the IMS side' });
  const reoffers = [...receivedSdp(uas.trace(), /^INVITE /).slice(1), ...receivedSdp(uas.trace(), /^UPDATE /)];
  assert.strictEqual(reoffers.length, 2, `a re-INVITE and an UPDATE with SDP at the IMS side:\n${uas.trace().slice(-3000)}`);
  reoffers.forEach((sdp) => assertImsSdp(sdp, 're-offer the IMS side received'));
  assert.match(reoffers[0], /^a=sendonly/m);
  assert.match(reoffers[1], /^a=sendrecv/m);
  assert.ok(await ng.query(NG_PORT, callId), 'the session went with the re-offers');
  const resumed = (await pcState(page)).inbound.bytes;
  await pollUntil(async () => (await pcState(page)).inbound.bytes > resumed + 1000,
    { timeoutMs: 10000, intervalMs: 200, what: 'audio on the page after the resume' });
  await page.click('#hangup');
  await waitText(page, '#call-state', (x) => x.startsWith('ended'), 'the end of the call');
  const r = await withTimeout(uas.done, 10000, 'the sipp UAS to finish its call');
  assert.strictEqual(r.code, 0, `sipp UAS exit ${r.code}\n${r.stderr}\n${r.trace.slice(-4000)}`);
  assert.ok(r.logs.includes(`PAI=<${IMPU}>`), `P-Asserted-Identity is not <${IMPU}>:\n${r.logs}`);
  assert.match(r.logs, /INVITE_RURI=sip:bob@ims\.lab /);
  assert.match(r.logs, /BYE_RURI=/);
  f.rtpFromWicAtAgw = rtp.fromWic;
  f.rtpEchoedByImsSide = rtp.fromIms;
  figures['WIC->IMS'] = f;
  t.diagnostic(`WIC->IMS call: the AGW received ${rtp.fromWic} RTP packets from the browser; the IMS side received and echoed ${rtp.fromIms}`);
  fs.writeFileSync(path.join(OUT, 'sdp-wic-to-ims.txt'),
    `--- offer the IMS side received\n${offers[0]}\n--- answer the browser received\n${st.remote}\n`);
  fs.writeFileSync(path.join(OUT, 'media-figures.json'), JSON.stringify(figures, null, 2));
  await assertNoMediaSession(callId, 'the WIC hung up');
});

test('a call the page cancels leaves no media session', async (t) => {
  assert.strictEqual(await page.textContent('#reg-state'), 'registered', 'needs the registration of the first test');
  const uas = await startUas({ scenario: 'uas-ring.xml', port: P.imsUa, calls: 1, name: 'e2e-cancel' });
  t.after(async () => { await hangUpIfInCall(page); await uas.stop(); });
  await page.fill('#target', 'sip:bob@ims.lab');
  await page.click('#call');
  await waitText(page, '#call-state', (x) => x === 'ringing', 'the 180 on the page', 20000);
  const callId = callIdOf(uas.trace());
  const offers = receivedSdp(uas.trace(), /^INVITE /);
  assert.strictEqual(offers.length, 1);
  assertImsSdp(offers[0], 'offer the IMS side received');
  assert.ok(await ng.query(NG_PORT, callId), `rtpengine holds no session of the ringing call ${callId}`);
  await page.click('#hangup');
  await waitText(page, '#call-state', (x) => x.startsWith('failed') || x.startsWith('ended'), 'the end of the attempt');
  const r = await withTimeout(uas.done, 10000, 'the sipp UAS to see the CANCEL');
  assert.strictEqual(r.code, 0, `sipp UAS exit ${r.code}\n${r.stderr}\n${r.trace.slice(-4000)}`);
  assert.match(r.trace, /^CANCEL sip:/m);
  await assertNoMediaSession(callId, 'the CANCEL');
});

test('a call whose WebSocket drops leaves no media session', async (t) => {
  const user2 = `${USER}d`;
  const p2 = await context.newPage();
  t.after(() => p2.close().catch(() => {}));
  const mp = await echoPort();
  const uas = await startUas({ scenario: SIPP_UAS, port: P.imsUa, calls: 1, name: 'e2e-ws-drop',
    args: ['-rtp_echo', '-mp', String(mp)] });
  t.after(() => uas.stop());
  await p2.goto(`http://${IP}:${P.wwsf}/`);
  await p2.fill('#user', user2);
  await p2.click('#login');
  await waitText(p2, '#token-state', (x) => x === 'ok', 'the token');
  await p2.click('#register');
  await waitText(p2, '#reg-state', (x) => x === 'registered', 'the registration of the second page');
  await p2.fill('#target', 'sip:bob@ims.lab');
  await p2.click('#call');
  await waitText(p2, '#call-state', (x) => x === 'established', 'the answer of the IMS-side UA', 20000);
  await uas.waitForTrace(/ACK sip:/, 5000);
  const callId = callIdOf(uas.trace());
  await pollUntil(async () => {
    const x = await rtpPerSide(callId);
    return x && x.fromWic > 0 && x.fromIms > 0;
  }, { timeoutMs: 15000, intervalMs: 200, what: `media of ${callId} in rtpengine` });
  // the browser tab goes away: its WebSocket closes, no BYE is sent
  await p2.close();
  await pollUntil(async () => (await bindingsOf(`sip:demo${user2}@wwsf.lab`)).length === 0,
    { timeoutMs: 10000, what: 'the binding of the closed page gone' });
  await assertNoMediaSession(callId, 'the WebSocket closed');
  const byes = uas.trace().split(/^-{10,}.*$/m).filter((b) => /^BYE sip:/m.test(b) && b.includes(callId));
  assert.deepStrictEqual(byes, [], 'the closed page sent a BYE: no drop was tested');
});

test('a page from an origin that is not provisioned cannot open the WebSocket', async (t) => {
  // the same WWSF server on another port: origin http://IP:8002 is not in the provisioning
  const badLog = fs.openSync(path.join(OUT, 'wwsf-unauthorized.log'), 'w');
  const bad = track(spawn(process.execPath, [path.join(REPO, 'lab', 'wwsf', 'server.js'),
    '--host', IP, '--port', String(P.badWwsf), '--key', path.join(LAB, 'keys', 'demo.pem'),
    '--iss', `http://${IP}:${P.wwsf}`, '--ws-url', `wss://${IP}:${P.wss}`],
  { stdio: ['ignore', badLog, badLog], detached: true }), { name: 'wwsf (unauthorized origin)', group: true });
  fs.closeSync(badLog);
  const badExited = new Promise((resolve) => bad.once('exit', resolve));
  t.after(async () => {
    if (bad.exitCode === null && bad.signalCode === null) {
      bad.kill('SIGTERM');
      const late = setTimeout(() => bad.kill('SIGKILL'), 5000);
      await badExited;
      clearTimeout(late);
    }
  });
  const badPage = await context.newPage();
  const badConsole = [];
  badPage.on('console', (m) => badConsole.push(m.text()));
  try {
    await pollUntil(() => tcpConnectOnce(IP, P.badWwsf), { timeoutMs: 10000, what: `the WWSF on ${P.badWwsf}` });
    await badPage.goto(`http://${IP}:${P.badWwsf}/`);
    await badPage.fill('#user', `${USER}x`);
    await badPage.click('#login');
    await waitText(badPage, '#token-state', (t) => t === 'ok', 'the token');
    await badPage.click('#register');
    const st = await waitText(badPage, '#reg-state', (t) => t !== 'registering', 'the refusal', 15000);
    assert.match(st, /^failed: /);
    assert.match(await badPage.textContent('#ws-state'), /^disconnected/);
    // Chromium reports the status of the refused upgrade on the console
    await pollUntil(() => badConsole.some((l) => /WebSocket[^]*Unexpected response code: 403/.test(l)),
      { timeoutMs: 5000, what: 'the 403 of the upgrade on the console' })
      .catch((e) => { throw new Error(`${e.message}\nconsole:\n${badConsole.join('\n')}`); });
    assert.deepStrictEqual(await bindingsOf(`sip:demo${USER}x@wwsf.lab`), []);
    // and the same upgrade outside the browser: 403 for that origin, 101 for the WWSF's
    assert.strictEqual(await wsUpgrade(`http://${IP}:${P.badWwsf}`), 403);
    assert.strictEqual(await wsUpgrade(`http://${IP}:${P.wwsf}`), 101);
  } finally {
    await badPage.close().catch(() => {});
  }
});
