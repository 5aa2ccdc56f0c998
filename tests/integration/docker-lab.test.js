// SPDX-License-Identifier: GPL-2.0-or-later
// Copyright (C) 2026 the ims_wic authors
'use strict';
// Issue 16: the docker-compose lab really runs. Images built (cached between
// runs: a warm run rebuilds nothing), the stack up with every service
// healthy, a WIC on this host registers over WSS through the eP-CSCF's port,
// sipp in its container calls it through the IMS Core stand-in and the call
// completes, the WIC calls the sipp service, a call to an unregistered
// identity gets 480, then the stack torn down with nothing left running: no
// container, no network, no Docker engine when this test started it, and the
// host's firewall rules and IP forwarding as they were.
//
// Everything goes through scripts/docker-lab.sh (what make docker-lab runs),
// with a compose project and a state directory of its own, so that a lab the
// user runs is never touched. Ports: the LAB_* variables of the script.
// run-all.sh runs this file as a suite of its own, with its own time limit
// (DOCKER_LAB_LIMIT): a cold run builds every image.

const test = require('../lib/test');
const assert = require('node:assert');
const fs = require('node:fs');
const path = require('node:path');
const http = require('node:http');
const { execFile, execFileSync } = require('node:child_process');
const { REPO, outDir } = require('../lib/common');
const { SipWs } = require('../lib/sipws');

const PROJECT = 'ims-wic-lab-test';
const STATE = path.join(REPO, 'build', 'docker-lab-test');
const IP = process.env.LAB_IP || '127.0.0.1';
const PORT = {
  sip: Number(process.env.LAB_SIP_PORT || 5060),
  wss: Number(process.env.LAB_WSS_PORT || 8443),
  ims: Number(process.env.LAB_IMS_PORT || 5070),
  imsUa: Number(process.env.LAB_IMS_UA_PORT || 5090),
  wwsf: Number(process.env.LAB_WWSF_PORT || 8000),
  metrics: Number(process.env.LAB_METRICS_PORT || 9494),
};
const ORIGIN = `http://${IP}:${PORT.wwsf}`;
const ENV = { ...process.env, DOCKER_LAB_PROJECT: PROJECT, DOCKER_LAB_STATE: STATE };
const BUILD_MS = Number(process.env.DOCKER_LAB_BUILD_MS || 1500000);
const LOG = path.join(outDir(), 'docker-lab.log');

// Runs a command, bounded; resolves with {code, stdout, stderr} (never rejects).
function run(cmd, args, { timeoutMs = 60000, env = ENV } = {}) {
  return new Promise((resolve) => {
    const started = Date.now();
    execFile(cmd, args, { cwd: REPO, env, timeout: timeoutMs, killSignal: 'SIGKILL', maxBuffer: 64 << 20 },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : -1) : 0;
        fs.appendFileSync(LOG, `# ${cmd} ${args.join(' ')}: exit ${code} after ${Date.now() - started} ms\n${stdout}${stderr}\n`);
        resolve({ code, stdout: String(stdout), stderr: String(stderr) });
      });
  });
}
const lab = (cmd, timeoutMs) => run(path.join(REPO, 'scripts', 'docker-lab.sh'), [cmd], { timeoutMs });
const docker = (args, timeoutMs = 60000) => run('docker', args, { timeoutMs });

// The firewall and forwarding state of this network namespace, without
// counters and timestamps.
async function hostNetState() {
  const out = {};
  for (const [name, cmd, args] of [['iptables', 'iptables-save', []], ['ip6tables', 'ip6tables-save', []],
    ['nft', 'nft', ['list', 'ruleset']]]) {
    const r = await run(cmd, args, { env: process.env, timeoutMs: 20000 });
    out[name] = r.code === 0 ? r.stdout.split('\n').filter((l) => !l.startsWith('#'))
      .map((l) => l.replace(/\[\d+:\d+\]/g, '[]')).join('\n') : `(unavailable: exit ${r.code})`;
  }
  for (const f of ['/proc/sys/net/ipv4/ip_forward', '/proc/sys/net/ipv6/conf/all/forwarding']) {
    try { out[f] = fs.readFileSync(f, 'utf8').trim(); } catch { out[f] = '(unreadable)'; }
  }
  return out;
}

function containerOf(service) {
  return docker(['ps', '-q', '--filter', `label=com.docker.compose.project=${PROJECT}`,
    '--filter', `label=com.docker.compose.service=${service}`]).then((r) => r.stdout.trim().split('\n')[0]);
}

function getJson(url) {
  return new Promise((resolve, reject) => {
    http.get(url, { headers: { Origin: ORIGIN } }, (res) => {
      let body = '';
      res.on('data', (d) => { body += d; });
      res.on('end', () => {
        try { resolve({ status: res.statusCode, json: JSON.parse(body) }); } catch (e) { reject(e); }
      });
    }).on('error', reject).setTimeout(5000, function onTimeout() { this.destroy(new Error(`${url}: timeout`)); });
  });
}

// GET of a plain HTTP URL with the given headers: { status, body }.
function getText(url, headers = {}) {
  return new Promise((resolve, reject) => {
    http.get(url, { headers, agent: false }, (res) => {
      let body = '';
      res.on('data', (d) => { body += d; });
      res.on('end', () => resolve({ status: res.statusCode, body }));
    }).on('error', reject).setTimeout(5000, function onTimeout() { this.destroy(new Error(`${url}: timeout`)); });
  });
}

// sipp inside the sipp container, towards the IMS Core stand-in
async function sippInContainer(scenario, service, keys, localPort) {
  const id = await containerOf('sipp');
  assert.ok(id, 'no sipp container');
  const args = ['exec', id, 'sipp', '-sf', `/sipp/${scenario}`, '-i', IP, '-p', String(localPort), '-m', '1',
    '-nostdin', '-timeout', '20s', '-timeout_error', '-trace_err', '-trace_msg', '-s', service];
  for (const [k, v] of Object.entries(keys)) args.push('-key', k, v);
  args.push(`${IP}:${PORT.ims}`);
  const r = await docker(args, 40000);
  // the message trace, for the record and for a failing assertion
  const trace = await docker(['exec', id, 'sh', '-c', `cat /sipp/${scenario.replace(/\.xml$/, '')}_*_messages.log 2>/dev/null; rm -f /sipp/*_messages.log /sipp/*_errors.log`]);
  return { ...r, trace: trace.stdout };
}

let before;
let engineBefore;
let started = false;

test.before(async () => {
  fs.writeFileSync(LOG, '');
  before = await hostNetState();
  engineBefore = (await docker(['info'], 20000)).code === 0;
  started = true;   // from here on the exit handler below stops what start made
  const r = await lab('start', BUILD_MS);
  assert.strictEqual(r.code, 0, `scripts/docker-lab.sh start failed:\n${r.stderr.slice(-4000)}`);
}, { timeout: BUILD_MS + 60000 });

test.after(async () => {
  if (started) await lab('stop', 120000);
  started = false;
});

// The file's process ended before the after hook (time limit, signal): the
// stack and an engine this test started go with it, within the 30 s that
// run-all.sh leaves between SIGTERM and SIGKILL.
process.on('exit', () => {
  if (!started) return;
  try {
    execFileSync(path.join(REPO, 'scripts', 'docker-lab.sh'), ['stop'],
      { cwd: REPO, env: ENV, timeout: 25000, killSignal: 'SIGKILL', stdio: 'ignore' });
  } catch { /* best effort */ }
});

test('the four images are built and tagged, on a debian:bookworm base', async () => {
  for (const img of ['ims-wic/epcscf', 'ims-wic/ims-core', 'ims-wic/wwsf', 'ims-wic/sipp', 'debian:bookworm']) {
    const r = await docker(['image', 'inspect', '-f', '{{.Id}}', img]);
    assert.strictEqual(r.code, 0, `${img} missing`);
  }
  // a second build is all cache: nothing is rebuilt
  const t0 = Date.now();
  const b = await lab('build', 300000);
  assert.strictEqual(b.code, 0, b.stderr);
  const log = fs.readFileSync(path.join(STATE, 'build.log'), 'utf8');
  assert.ok(!/Running in /.test(log), 'a warm build ran a step again');
  assert.ok(Date.now() - t0 < 120000, 'a warm build takes more than two minutes');
});

test('every service is healthy, with host networking and no published port', async () => {
  const st = await lab('status', 30000);
  assert.strictEqual(st.code, 0, st.stdout + st.stderr);
  for (const s of ['ims-core', 'wwsf', 'epcscf', 'sipp']) {
    const id = await containerOf(s);
    assert.ok(id, `${s}: no running container`);
    const r = await docker(['inspect', '-f', '{{.State.Health.Status}} {{.HostConfig.NetworkMode}}', id]);
    assert.strictEqual(r.stdout.trim(), 'healthy host', `${s}: ${r.stdout}`);
  }
  const nets = await docker(['network', 'ls', '-q', '--filter', `label=com.docker.compose.project=${PROJECT}`]);
  assert.strictEqual(nets.stdout.trim(), '', 'the lab made a network of its own');
});

let ua;
let impu;

test('a WIC on the host registers over WSS with a token of the WWSF service', async () => {
  const tok = await getJson(`${ORIGIN}/token?user=dockerwic`);
  assert.strictEqual(tok.status, 200);
  impu = tok.json.impu;
  assert.strictEqual(impu, 'sip:demodockerwic@wwsf.lab');
  assert.strictEqual(tok.json.ws_url, `wss://${IP}:${PORT.wss}`);
  ua = await SipWs.connect({ url: tok.json.ws_url, origin: ORIGIN });
  ua.onRequest((req) => {
    if (req.method === 'INVITE') ua.answer(req);
    if (req.method === 'BYE') req.reply(200, 'OK');
  });
  const r = await ua.register({ impu, token: tok.json.token });
  assert.strictEqual(r.status, 200, r.raw);
  const ep = await containerOf('epcscf');
  const b = await docker(['exec', ep, 'kamcmd', 'ims_wic.lookup', impu]);
  assert.strictEqual(b.code, 0, b.stderr);
  assert.ok(b.stdout.includes(impu), b.stdout);
});

test('the eP-CSCF serves its metrics to this host (Prometheus), not to a browser page', async () => {
  const url = `http://${IP}:${PORT.metrics}/metrics`;
  const r = await getText(url);
  assert.strictEqual(r.status, 200, r.body.slice(0, 300));
  const m = /^kamailio_ims_wic_registrations_accepted (\d+)/m.exec(r.body);
  assert.ok(m && Number(m[1]) >= 1, 'the WIC registration is counted');
  const page = await getText(url, { Origin: ORIGIN });
  assert.strictEqual(page.status, 403);
  assert.ok(!page.body.includes('kamailio_'));
});

test('sipp in its container calls the WIC through the IMS Core stand-in and the call completes', async () => {
  assert.ok(ua, 'no registered WIC');
  const seen = ua.received.length;
  const call = await sippInContainer('uac-call.xml', impu.replace(/^sip:/, ''),
    { from: 'sip:carol@ims.lab' }, PORT.imsUa + 11);
  assert.strictEqual(call.code, 0, `sipp exit ${call.code}\n${call.stdout}\n${call.trace}`);
  const got = ua.received.slice(seen).map((m) => m.method).filter(Boolean);
  for (const m of ['INVITE', 'ACK', 'BYE']) assert.ok(got.includes(m), `the WIC got no ${m} (got ${got.join(', ')})`);
  const invite = ua.received.slice(seen).find((m) => m.method === 'INVITE');
  assert.match(invite.ruri, /^sip:wic@.*\.invalid;transport=ws/);
  assert.strictEqual(invite.header('p-called-party-id'), `<${impu}>`);
});

test('the WIC calls the sipp service (sip:bob@ims.lab) and hangs up', async () => {
  assert.ok(ua, 'no registered WIC');
  const { res, dialog } = await ua.invite('sip:bob@ims.lab', { from: impu });
  assert.strictEqual(res.status, 200, res.raw);
  const bye = await ua.bye(dialog);
  assert.strictEqual(bye.status, 200, bye.raw);
});

test('a call to an unregistered identity of the range gets 480', async () => {
  const call = await sippInContainer('uac-expect.xml', 'demonobody@wwsf.lab',
    { from: 'sip:carol@ims.lab', expect: '480', reason: '' }, PORT.imsUa + 12);
  assert.strictEqual(call.code, 0, `sipp exit ${call.code}\n${call.stdout}\n${call.trace}`);
  assert.match(call.trace, /SIP\/2\.0 480 /);
});

test('torn down: no container, network or volume left, the engine stopped when this test started it, firewall and forwarding unchanged', async () => {
  if (ua) await ua.close();
  const pidFile = path.join(STATE, 'dockerd.started');
  const dockerdPid = fs.existsSync(pidFile) ? Number(fs.readFileSync(pidFile, 'utf8')) : 0;
  assert.strictEqual(Boolean(dockerdPid), !engineBefore,
    engineBefore ? 'an engine answered, yet the test started one' : 'no engine answered, yet the test started none');
  const r = await lab('stop', 120000);
  started = false;
  assert.strictEqual(r.code, 0, r.stderr);
  if (engineBefore) {
    for (const what of [['ps', '-aq'], ['network', 'ls', '-q'], ['volume', 'ls', '-q']]) {
      const l = await docker([...what, '--filter', `label=com.docker.compose.project=${PROJECT}`]);
      assert.strictEqual(l.stdout.trim(), '', `${what.join(' ')}: left ${l.stdout}`);
    }
  } else {
    let alive = true;
    try { process.kill(dockerdPid, 0); } catch { alive = false; }
    assert.ok(!alive, `dockerd ${dockerdPid} still runs`);
    assert.notStrictEqual((await docker(['info'], 20000)).code, 0, 'an engine still answers');
    // its containerd and the containers' shims went with it
    const ps = await run('ps', ['-eo', 'pid,args'], { env: process.env });
    assert.ok(!/containerd-shim|docker\/containerd|kamailio -DD -E -f \/etc\/kamailio|(^|\s)node lab\/wwsf\/server\.js/m.test(ps.stdout),
      ps.stdout.split('\n').filter((l) => /containerd|kamailio|wwsf|sipp/.test(l)).join('\n'));
  }
  assert.deepStrictEqual(await hostNetState(), before, 'firewall rules or IP forwarding changed');
});
