// SPDX-License-Identifier: GPL-2.0-or-later
// Copyright (C) 2026 the ims_wic authors
'use strict';
// Run sipp scenarios from tests/sipp/ (or any path).
//
//   const { runSipp, startUas } = require('../lib/sipp');
//   const r = await runSipp({
//     scenario: 'range-register.xml',     // tests/sipp/<file> or an absolute path
//     target: '127.0.0.1:5070',           // remote host:port
//     transport: 'udp' | 'tcp',           // default udp (-t u1 / t1)
//     keys: { pui: 'sip:demo@wwsf.lab' }, // -key name value  ([name] in the scenario)
//     sets: { x: '1' },                   // -set var value   ($x in the scenario)
//     service: 'bob',                     // -s (R-URI user, [service])
//     localPort: 0,                       // -p (0/unset = a free port, never 5060)
//     calls: 1,                           // -m
//     timeoutS: 15,                       // -timeout (global), with -timeout_error
//     name: 'reg1',                       // trace file names under tests/out/
//   });
//   r.code, r.stdout, r.stderr, r.trace (-trace_msg text), r.errors, r.logs, r.cmd
//
//   const uas = await startUas({ scenario: 'uas-answer.xml', port: 5090, name: 'ims-ua' });
//   ... ; const res = await uas.stop();    // same shape as runSipp's result
//
// Exit codes (sipp): 0 all calls OK, 1 some call failed, 97 stopped by
// command/signal, 99 no call processed, 255/254 fatal.

const fs = require('node:fs');
const path = require('node:path');
const { spawn } = require('node:child_process');
const { REPO, outDir, slug, pollUntil, portBound, freePort, track } = require('./common');

const SIPP = process.env.SIPP_BIN || 'sipp';
const SCEN_DIR = path.join(REPO, 'tests', 'sipp');
let seq = 0;

function buildArgs(o, files) {
  const scen = path.isAbsolute(o.scenario) ? o.scenario : path.join(SCEN_DIR, o.scenario);
  const a = ['-sf', scen, '-i', o.localIp || '127.0.0.1', '-nostdin', '-bind_local',
    '-t', (o.transport || 'udp').toLowerCase() === 'tcp' ? 't1' : 'u1',
    '-trace_msg', '-message_file', files.trace,
    '-trace_err', '-error_file', files.errors,
    '-trace_logs', '-log_file', files.logs];
  if (o.localPort !== undefined && o.localPort !== null) a.push('-p', String(o.localPort));
  if (o.calls !== undefined && o.calls !== null) a.push('-m', String(o.calls));
  if (o.timeoutS) a.push('-timeout', `${o.timeoutS}s`, '-timeout_error');
  if (o.service) a.push('-s', o.service);
  if (o.rate) a.push('-r', String(o.rate));
  for (const [k, v] of Object.entries(o.keys || {})) a.push('-key', k, String(v));
  for (const [k, v] of Object.entries(o.sets || {})) a.push('-set', k, String(v));
  a.push(...(o.args || []));
  if (o.target) a.push(o.target);
  return a;
}

function readOr(file) {
  try { return fs.readFileSync(file, 'utf8'); } catch { return ''; }
}

function spawnSipp(o) {
  const base = slug(o.name || path.basename(o.scenario, '.xml')) + `-${process.pid}-${++seq}`;
  const dir = outDir();
  const files = {
    trace: path.join(dir, `sipp-${base}.msg.log`),
    errors: path.join(dir, `sipp-${base}.err.log`),
    logs: path.join(dir, `sipp-${base}.actions.log`),
    out: path.join(dir, `sipp-${base}.out.log`),
  };
  const args = buildArgs(o, files);
  const cmd = `${SIPP} ${args.map((x) => (/[\s"'[\]]/.test(x) ? JSON.stringify(x) : x)).join(' ')}`;
  // own process group, in the registry of tests/lib/common.js: killed
  // whatever happens to the test file
  const proc = spawn(SIPP, args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  track(proc, { name: `sipp ${path.basename(o.scenario)}`, group: true });
  const kill = (signal) => {
    if (!proc.pid) return;
    try { process.kill(-proc.pid, signal); } catch { try { proc.kill(signal); } catch { /* gone */ } }
  };
  let stdout = '';
  let stderr = '';
  proc.stdout.on('data', (d) => { stdout += d; });
  proc.stderr.on('data', (d) => { stderr += d; });
  const done = new Promise((resolve) => {
    proc.once('close', (code, signal) => {
      fs.writeFileSync(files.out, `# ${cmd}\n# exit ${code} ${signal || ''}\n--- stdout\n${stdout}\n--- stderr\n${stderr}\n`);
      resolve({
        code: code === null ? -1 : code,
        signal,
        stdout,
        stderr,
        trace: readOr(files.trace),
        errors: readOr(files.errors),
        logs: readOr(files.logs),
        files,
        cmd,
      });
    });
    proc.once('error', (e) => {
      stderr += String(e);
      // spawn failed: no 'close' follows
      if (!proc.pid) resolve({ code: -1, signal: null, stdout, stderr, trace: '', errors: '', logs: '', files, cmd });
    });
  });
  return { proc, done, files, cmd, kill };
}

// Run one sipp scenario to completion.  Never rejects on a non-zero exit:
// the caller asserts r.code.  A hard timeout (default timeoutS+10 s or 60 s)
// kills a hung sipp.
async function runSipp(opts) {
  const o = { calls: 1, timeoutS: 20, ...opts };
  // sipp's own default is 5060 (the eP-CSCF's port): always pass a port.
  if (o.localPort === undefined || o.localPort === null || o.localPort === 0) o.localPort = await freePort(o.localIp);
  const { done, kill } = spawnSipp(o);
  const hardMs = opts.hardTimeoutMs || (o.timeoutS ? o.timeoutS * 1000 + 10000 : 60000);
  const timer = setTimeout(() => kill('SIGKILL'), hardMs);
  const r = await done;
  clearTimeout(timer);
  return r;
}

// Background sipp UAS (default 127.0.0.1:5090).  Resolves once its socket is
// bound.  stop() ends it (SIGUSR1 = quit once calls finish, then SIGKILL) and
// resolves with runSipp's result shape.  `done` resolves when it exits by
// itself (e.g. after -m calls).
async function startUas(opts = {}) {
  const o = {
    scenario: 'uas-answer.xml',
    port: 5090,
    transport: 'udp',
    name: 'uas',
    ...opts,
  };
  o.localPort = o.port;
  o.target = undefined;
  if (o.timeoutS === undefined) o.timeoutS = 0;
  const proto = o.transport.toLowerCase() === 'tcp' ? 'tcp' : 'udp';
  const ip = o.localIp || '127.0.0.1';
  if (portBound(proto, o.port, ip)) {
    throw new Error(`startUas: ${proto} port ${o.port} already in use`);
  }
  const h = spawnSipp(o);
  let exited = null;
  h.done.then((r) => { exited = r; });
  try {
    await pollUntil(() => {
      if (exited) throw new Error(`sipp UAS exited: ${exited.code}\n${exited.stderr}\n${exited.stdout.slice(-2000)}`);
      return portBound(proto, o.port, ip);
    }, { timeoutMs: o.startTimeoutMs || 5000, intervalMs: 25, what: `sipp UAS on ${proto}:${o.port}` });
  } catch (e) {
    h.kill('SIGKILL');
    throw e;
  }
  return {
    proc: h.proc,
    files: h.files,
    cmd: h.cmd,
    done: h.done,
    trace: () => readOr(h.files.trace),
    // Poll the -trace_msg file until re matches (e.g. a received INVITE).
    waitForTrace: (re, timeoutMs = 5000) => pollUntil(() => readOr(h.files.trace).match(re),
      { timeoutMs, intervalMs: 50, what: `${re} in ${h.files.trace}` }),
    // Idempotent and bounded: register it (t.after) right after the start.
    async stop({ graceMs = 3000 } = {}) {
      if (!exited) {
        try { h.proc.kill('SIGUSR1'); } catch { /* gone */ }
        let timer;
        const t = new Promise((resolve) => { timer = setTimeout(resolve, graceMs); });
        await Promise.race([h.done, t]);
        clearTimeout(timer);
        if (!exited) h.kill('SIGKILL');
      }
      return h.done;
    },
  };
}

module.exports = { runSipp, startUas, SCEN_DIR };
