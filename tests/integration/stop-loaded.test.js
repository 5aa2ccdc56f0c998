// SPDX-License-Identifier: GPL-2.0-or-later
// Copyright (C) 2026 the ims_wic authors
'use strict';
// Stopping a loaded eP-CSCF (issue 18): thousands of WICs registered over
// WebSocket (build/wic-load, one binding per connection, the eIMS-AGW
// control on as deployed), then SIGTERM, (1) while every connection is
// still open, (2) as soon as they all closed at once, while the TCP workers
// are freeing their connections' shared memory, three times. Kamailio must
// exit by itself with status 0, its log must show no crash, no memory bug
// and no shutdown timeout, and it must show that the main process held the
// shared-memory lock while the children exited (ims_wic_shutdown.c). The
// crash it prevents is a race: before that change 3 of 54 such stops
// crashed (docs/performance.md), so three stops are a smoke test of the
// stop path, and the log line is what shows the protection ran.
const test = require('../lib/test');
const assert = require('node:assert');
const fs = require('node:fs');
const path = require('node:path');
const { spawn } = require('node:child_process');
const { startEnv, demoOnlyProvisioning, DEMO_ISS, DEMO_ORIGIN, AUDIENCE, PORTS } = require('../lib/env');
const { REPO, track, pollUntil, delay } = require('../lib/common');

const LOAD = path.join(REPO, 'build', 'wic-load');
const CONNS = Number(process.env.STOP_LOADED_CONNS || 3000);
const CLOSED_CONNS = Number(process.env.STOP_LOADED_CLOSED_CONNS || 8000);
const CLOSED_STOPS = 3;
const CRASH = /Segmentation|segfault|core dumped|exited by a signal|shutdown timeout|(?<!DE)BUG: |CRITICAL: <core> \[core\/mem/i;

// Holds `conns` registered WebSocket connections; resolves once all are
// registered (wic-load's "ready" line), with the process and that line.
async function holdBindings(env, conns) {
  const key = path.join(env.dir, 'demo.key.pem');
  fs.writeFileSync(key, env.keys.demo.privateKey.export({ type: 'pkcs8', format: 'pem' }));
  const p = track(spawn(LOAD, ['--mode', 'hold', '--target', `127.0.0.1:${PORTS.ws}`, '--key', key,
    '--alg', 'ES256', '--kid', 'demo-1', '--iss', DEMO_ISS, '--aud', AUDIENCE, '--origin', DEMO_ORIGIN,
    '--conns', String(conns), '--concurrency', '64', '--src-ips', '8', '--hold-secs', '120',
    '--timeout', '30', '--label', 'stop-loaded'], { stdio: ['pipe', 'pipe', 'pipe'] }), { name: 'wic-load' });
  let out = '';
  p.stdout.on('data', (d) => { out += d; });
  p.stderr.on('data', (d) => { out += d; });
  const ready = await pollUntil(() => {
    const line = out.split('\n').find((l) => l.includes('"event":"ready"'));
    if (line) return JSON.parse(line);
    if (p.exitCode !== null) throw new Error(`wic-load ended: ${out}`);
    return null;
  }, { timeoutMs: 90000, intervalMs: 100, what: `${conns} registrations by wic-load` });
  return { p, ready };
}

function ended(p) {
  return p.exitCode !== null || p.signalCode !== null ? Promise.resolve() : new Promise((r) => p.once('exit', r));
}

// workers: SIP and TCP children; more of them, more children inside an
// allocation when the signal comes
async function loadedEnv(name, workers) {
  assert.ok(fs.existsSync(LOAD), `${LOAD} is built by make tools`);
  return startEnv({
    name, provisioning: demoOnlyProvisioning(),
    epcscfDefines: { WITHOUT_MEDIA: false, WORKERS: workers }, epcscfMemoryMb: 1024,
  });
}

async function stopAndCheck(env) {
  const info = await env.epcscf.stop({ timeoutMs: 60000 });
  const log = env.epcscf.log();
  const crash = CRASH.exec(log);
  assert.deepStrictEqual(info, { code: 0, signal: null }, `eP-CSCF exit (log ${env.epcscf.logFile})`);
  assert.strictEqual(crash, null, `eP-CSCF log shows "${crash && crash[0]}" (${env.epcscf.logFile})`);
  assert.match(log, /Thank you for flying/, 'the stop went through the main process');
  assert.match(log, /shared-memory lock held while the children exit/,
    'the main process held the shared-memory lock before it signalled the children');
  assert.doesNotMatch(log, /stopping without it/, 'no WARNING of a lock not taken');
}

// One loaded node stopped; closeFirst: the WICs' connections all end
// (wic-load killed) and SIGTERM follows the first close events at once.
async function loadedStop(t, name, { conns, workers, closeFirst }) {
  const env = await loadedEnv(name, workers);
  t.after(() => env.stop());
  const { p, ready } = await holdBindings(env, conns);
  t.after(() => { if (p.exitCode === null) p.kill('SIGKILL'); });
  assert.strictEqual(ready.bindings, conns, JSON.stringify(ready));
  assert.strictEqual(Number((await env.stats()).active_bindings), conns, 'the node holds every binding');
  if (closeFirst) {
    p.kill('SIGKILL');
    await ended(p);
    // the close events are under way: some bindings are gone, not all
    await pollUntil(async () => Number((await env.stats()).active_bindings) < conns,
      { timeoutMs: 20000, intervalMs: 10, what: 'the first close events' });
  }
  await stopAndCheck(env);
  await env.stop();
}

test(`SIGTERM with ${CONNS} bindings, connections open: exit 0, no crash in the log`, { timeout: 180000 },
  (t) => loadedStop(t, 'stop-loaded-open', { conns: CONNS, workers: 4, closeFirst: false }));

test(`SIGTERM ${CLOSED_STOPS} times as ${CLOSED_CONNS} connections close at once: exit 0, no crash in the log`,
  { timeout: 360000 }, async (t) => {
    for (let i = 1; i <= CLOSED_STOPS; i++) {
      await t.test(`stop ${i}`, (st) => loadedStop(st, `stop-loaded-closed-${i}`,
        { conns: CLOSED_CONNS, workers: 8, closeFirst: true }));
    }
  });
