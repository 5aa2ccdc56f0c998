// SPDX-License-Identifier: GPL-2.0-or-later
// Copyright (C) 2026 the ims_wic authors
'use strict';
// Stopping a loaded eP-CSCF (issue 18): thousands of WICs registered over
// WebSocket (build/wic-load, one binding per connection, the eIMS-AGW
// control on as deployed), then SIGTERM, (1) while every connection is
// still open, (2) a moment after they all closed at once, while the node is
// still running their close events. Kamailio must exit by itself with
// status 0, and its log must show no crash, no memory bug and no shutdown
// timeout.
const test = require('../lib/test');
const assert = require('node:assert');
const fs = require('node:fs');
const path = require('node:path');
const { spawn } = require('node:child_process');
const { startEnv, demoOnlyProvisioning, DEMO_ISS, DEMO_ORIGIN, AUDIENCE, PORTS } = require('../lib/env');
const { REPO, track, pollUntil, delay } = require('../lib/common');

const LOAD = path.join(REPO, 'build', 'wic-load');
const CONNS = Number(process.env.STOP_LOADED_CONNS || 3000);
const CRASH = /Segmentation|segfault|core dumped|exited by a signal|shutdown timeout|(?<!DE)BUG: |CRITICAL: <core> \[core\/mem/i;

// Holds CONNS registered WebSocket connections; resolves once all are
// registered (wic-load's "ready" line), with the process and that line.
async function holdBindings(env) {
  const key = path.join(env.dir, 'demo.key.pem');
  fs.writeFileSync(key, env.keys.demo.privateKey.export({ type: 'pkcs8', format: 'pem' }));
  const p = track(spawn(LOAD, ['--mode', 'hold', '--target', `127.0.0.1:${PORTS.ws}`, '--key', key,
    '--alg', 'ES256', '--kid', 'demo-1', '--iss', DEMO_ISS, '--aud', AUDIENCE, '--origin', DEMO_ORIGIN,
    '--conns', String(CONNS), '--concurrency', '64', '--src-ips', '8', '--hold-secs', '120',
    '--timeout', '30', '--label', 'stop-loaded'], { stdio: ['pipe', 'pipe', 'pipe'] }), { name: 'wic-load' });
  let out = '';
  p.stdout.on('data', (d) => { out += d; });
  p.stderr.on('data', (d) => { out += d; });
  const ready = await pollUntil(() => {
    const line = out.split('\n').find((l) => l.includes('"event":"ready"'));
    if (line) return JSON.parse(line);
    if (p.exitCode !== null) throw new Error(`wic-load ended: ${out}`);
    return null;
  }, { timeoutMs: 90000, intervalMs: 100, what: `${CONNS} registrations by wic-load` });
  return { p, ready };
}

function ended(p) {
  return p.exitCode !== null || p.signalCode !== null ? Promise.resolve() : new Promise((r) => p.once('exit', r));
}

async function loadedEnv(name) {
  assert.ok(fs.existsSync(LOAD), `${LOAD} is built by make tools`);
  return startEnv({
    name, provisioning: demoOnlyProvisioning(),
    epcscfDefines: { WITHOUT_MEDIA: false, WORKERS: 4 }, epcscfMemoryMb: 1024,
  });
}

async function stopAndCheck(env) {
  const info = await env.epcscf.stop({ timeoutMs: 60000 });
  const log = env.epcscf.log();
  const crash = CRASH.exec(log);
  assert.deepStrictEqual(info, { code: 0, signal: null }, `eP-CSCF exit (log ${env.epcscf.logFile})`);
  assert.strictEqual(crash, null, `eP-CSCF log shows "${crash && crash[0]}" (${env.epcscf.logFile})`);
  assert.match(log, /Thank you for flying/, 'the stop went through the main process');
}

for (const when of ['connections open', 'connections just closed']) {
  test(`SIGTERM with ${CONNS} bindings, ${when}: exit 0, no crash in the log`, { timeout: 180000 }, async (t) => {
    const env = await loadedEnv(`stop-loaded-${when.split(' ')[1]}`);
    t.after(() => env.stop());
    const { p, ready } = await holdBindings(env);
    t.after(() => { if (p.exitCode === null) p.kill('SIGKILL'); });
    assert.strictEqual(ready.bindings, CONNS, JSON.stringify(ready));
    assert.strictEqual(Number((await env.stats()).active_bindings), CONNS, 'the node holds every binding');
    if (when === 'connections just closed') {
      p.kill('SIGTERM');
      await ended(p);
      // the close events are under way: some bindings are gone, not all
      await pollUntil(async () => Number((await env.stats()).active_bindings) < CONNS,
        { timeoutMs: 20000, intervalMs: 20, what: 'the first close events' });
      await delay(200);
    }
    await stopAndCheck(env);
  });
}
