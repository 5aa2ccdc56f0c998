'use strict';
// The lab end to end with a real browser: scripts/lab.sh start (IMS Core
// stand-in, eP-CSCF, demo WWSF), Debian's headless Chromium driven over the
// DevTools protocol by playwright-core, sipp on the IMS side.
//
//  1. the page gets a token from the WWSF and registers over WSS
//  2. an INVITE from an IMS-side sipp UAC reaches the page through the IMS
//     Core stand-in and the eP-CSCF; the page answers; sipp ends the call
//  3. the page calls an IMS-side sipp UAS, which answers; the page hangs up
//  4. the same page served from an origin that is not provisioned cannot
//     open the WebSocket (HTTP 403 on the upgrade)
//
// Ports: the lab's (5060/8443/8080/5070/5090/8000, unauthorized page on
// 8002); the LAB_* variables of scripts/lab.sh move them all.

const test = require('../lib/test');
const assert = require('node:assert');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const https = require('node:https');
const crypto = require('node:crypto');
const { spawn, execFile } = require('node:child_process');
const { REPO, outDir, pollUntil, tcpConnectOnce, track, trackPid, trackPidDir, groupLeadersByCmdline } = require('../lib/common');
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
P.badWwsf = Number(process.env.E2E_BAD_ORIGIN_PORT || P.wwsf + 2);
const LAB = path.resolve(process.env.LAB_DIR || path.join(REPO, 'build', 'lab'));
const EPCSCF_CTL = `unix:${path.join(LAB, 'run', 'epcscf.ctl')}`;
const OUT = path.join(outDir(), 'e2e');
const USER = `e2e${crypto.randomBytes(3).toString('hex')}`;
const IMPU = `sip:demo${USER}@wwsf.lab`;
const SIPP_UAC = path.join(REPO, 'lab', 'sipp', 'uac-call-webrtc.xml');
const SIPP_UAS = path.join(REPO, 'lab', 'sipp', 'uas-answer-webrtc.xml');

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
  const r = await kamcmd('ims_wic.bindings');
  assert.strictEqual(r.code, 0, `kamcmd ims_wic.bindings failed: ${r.stderr}`);
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
  }, { timeoutMs: 5000, what: `a binding of ${IMPU} in ims_wic.bindings` });
  assert.strictEqual(b.length, 1, JSON.stringify(b));
  assert.strictEqual(b[0].wwsf, 'demo');
  assert.match(b[0].socket, /tls|wss/i, `binding not on the WSS listener: ${JSON.stringify(b[0])}`);
  assert.ok(Number(b[0].expires) > 0, JSON.stringify(b[0]));

  await page.screenshot({ path: path.join(OUT, 'registered.png'), fullPage: true });
  assert.ok(fs.statSync(path.join(OUT, 'registered.png')).size > 1000);
});

test('an IMS-side INVITE reaches the page through the IMS Core and is answered', async () => {
  assert.strictEqual(await page.textContent('#reg-state'), 'registered', 'needs the registration of the first test');
  const sipp = runSipp({
    scenario: SIPP_UAC, target: `${IP}:${P.ims}`, service: `demo${USER}@wwsf.lab`,
    keys: { from: 'sip:bob@ims.lab' }, timeoutS: 40, name: 'e2e-ims-to-wic',
  });
  try {
    await waitText(page, '#call-state', (t) => t === 'incoming', 'the incoming call on the page', 20000);
  } catch (e) {
    // what did the IMS side get instead?
    const r = await withTimeout(sipp, 60000, 'sipp after the missed call').catch((x) => ({ trace: x.message }));
    const finals = (r.trace || '').match(/^SIP\/2\.0 [^\r\n]*/gm) || [];
    throw new Error(`${e.message}\n--- responses seen by the sipp UAC: ${finals.join(' | ')}`);
  }
  assert.match(await page.textContent('#call-peer'), /from sip:bob@ims\.lab/);
  await page.click('#answer');
  const r = await sipp;
  assert.strictEqual(r.code, 0, `sipp UAC exit ${r.code}\n${r.stderr}\n${r.trace.slice(-4000)}\n--- epcscf.log:\n${labLog('epcscf')}`);
  assert.match(r.logs, /FINAL=SIP\/2\.0 200/);
  // the stand-in delivered it as an S-CSCF does (Request-URI = the
  // registered Contact, P-Called-Party-ID), or kept the Request-URI
  const retargeted = new RegExp(`demo${USER}@wwsf\\.lab retargeted to sip:${IP.replace(/\./g, '\\.')}:${P.sip} with P-Called-Party-ID`);
  if (process.env.LAB_IMS_KEEP_RURI === '1') assert.doesNotMatch(labLog('ims-core', 100000), retargeted);
  else assert.match(labLog('ims-core', 100000), retargeted);
  // the answer came from the browser (JsSIP) with a WebRTC SDP
  assert.match(r.trace, /UDP\/TLS\/RTP\/SAVPF/);
  // sipp hung up: the page saw the BYE
  const end = await waitText(page, '#call-state', (t) => t.startsWith('ended'), 'the end of the call');
  assert.match(end, /^ended: /);
});

test('the page calls an IMS-side UA that answers', async (t) => {
  assert.strictEqual(await page.textContent('#reg-state'), 'registered', 'needs the registration of the first test');
  const uas = await startUas({ scenario: SIPP_UAS, port: P.imsUa, calls: 1, name: 'e2e-wic-to-ims' });
  t.after(() => uas.stop());
  try {
    await page.fill('#target', 'sip:bob@ims.lab');
    await page.click('#call');
    await waitText(page, '#call-state', (t) => t === 'established' || t.startsWith('failed') || t.startsWith('ended'),
      'the answer of the IMS-side UA', 20000);
    assert.strictEqual(await page.textContent('#call-state'), 'established');
    await uas.waitForTrace(/ACK sip:/, 5000);
    await page.click('#hangup');
    await waitText(page, '#call-state', (t) => t.startsWith('ended'), 'the end of the call');
    const r = await withTimeout(uas.done, 10000, 'the sipp UAS to finish its call');
    assert.strictEqual(r.code, 0, `sipp UAS exit ${r.code}\n${r.stderr}\n${r.trace.slice(-4000)}`);
    // originating: the eP-CSCF asserted the registered identity
    assert.ok(r.logs.includes(`PAI=<${IMPU}>`), `P-Asserted-Identity is not <${IMPU}>:\n${r.logs}`);
    assert.match(r.logs, /INVITE_RURI=sip:bob@ims\.lab /);
    assert.match(r.logs, /BYE_RURI=/);
  } finally {
    await uas.stop();
  }
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
