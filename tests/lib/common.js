// SPDX-License-Identifier: GPL-2.0-or-later
// Copyright (C) 2026 the ims_wic authors
'use strict';
// Shared bits of the test helpers: repo paths, polling, port probes.

const fs = require('node:fs');
const path = require('node:path');
const net = require('node:net');

const REPO = path.resolve(__dirname, '..', '..');
const OUT_DIR = path.join(REPO, 'tests', 'out');

function outDir() {
  fs.mkdirSync(OUT_DIR, { recursive: true });
  return OUT_DIR;
}

// Safe file-name fragment.
function slug(s) {
  return String(s).replace(/[^A-Za-z0-9._-]+/g, '_');
}

function delay(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

// Poll fn() (sync or async) every intervalMs until it returns a truthy value;
// resolve with that value, reject after timeoutMs with `what` (a string, or
// a function giving one) in the message.  A falsy value or an exception is
// "not yet": keep polling; only the deadline fails.
async function pollUntil(fn, { timeoutMs = 5000, intervalMs = 50, what = 'condition' } = {}) {
  const deadline = Date.now() + timeoutMs;
  let lastErr;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (e) {
      // an error marked fatal (a process that exited) ends the wait at once
      if (e && e.fatal) throw e;
      lastErr = e;
    }
    if (Date.now() >= deadline) {
      const err = new Error(`timeout after ${timeoutMs} ms waiting for ${typeof what === 'function' ? what() : what}` +
        (lastErr ? ` (last error: ${lastErr.message})` : ''));
      err.cause = lastErr;
      throw err;
    }
    await delay(intervalMs);
  }
}

// Resolves/rejects like promise, or rejects after ms with `what` in the
// message: a wait on an event that may never come, bounded.
function within(promise, ms, what) {
  let timer;
  const late = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timeout after ${ms} ms waiting for ${what}`)), ms);
  });
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}

// Is anything bound to ip:port?  Reads /proc/net/{udp,tcp}{,6}; for TCP only
// LISTEN sockets count.  No packets are sent.
function portBound(proto, port, ip = '127.0.0.1') {
  const files = proto === 'udp' ? ['/proc/net/udp', '/proc/net/udp6'] : ['/proc/net/tcp', '/proc/net/tcp6'];
  const hexPort = port.toString(16).toUpperCase().padStart(4, '0');
  const want4 = ip.split('.').map((o) => Number(o).toString(16).toUpperCase().padStart(2, '0')).reverse().join('');
  for (const f of files) {
    let text;
    try { text = fs.readFileSync(f, 'utf8'); } catch { continue; }
    for (const line of text.split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/);
      if (cols.length < 4) continue;
      const [addr, p] = cols[1].split(':');
      if (p !== hexPort) continue;
      if (proto === 'tcp' && cols[3] !== '0A') continue;
      const any = /^0+$/.test(addr);
      if (any || addr === want4 || f.endsWith('6')) return true;
    }
  }
  return false;
}

function tcpConnectOnce(host, port, timeoutMs = 500) {
  return new Promise((resolve) => {
    const s = net.connect({ host, port });
    const done = (ok) => { s.removeAllListeners(); s.destroy(); resolve(ok); };
    s.setTimeout(timeoutMs, () => done(false));
    s.once('connect', () => done(true));
    s.once('error', () => done(false));
  });
}

// Writes text on a new TCP connection and resolves what came back once it
// matches until (a RegExp); rejects with what came by then after timeoutMs.
function tcpExchange(host, port, text, until, timeoutMs = 5000) {
  return new Promise((resolve, reject) => {
    let got = '';
    const sock = net.connect({ host, port }, () => sock.write(text));
    const timer = setTimeout(() => { sock.destroy(); reject(new Error(`port ${port}: got only ${JSON.stringify(got)}`)); }, timeoutMs);
    sock.setEncoding('utf8');
    sock.on('data', (d) => {
      got += d;
      if (until.test(got)) { clearTimeout(timer); sock.destroy(); resolve(got); }
    });
    sock.on('error', (e) => { clearTimeout(timer); reject(e); });
  });
}

// A port that is free for both UDP and TCP on ip right now (the OS picks it).
function freePort(ip = '127.0.0.1') {
  const dgram = require('node:dgram');
  return new Promise((resolve, reject) => {
    const tryOnce = (left) => {
      const s = dgram.createSocket('udp4');
      s.once('error', reject);
      s.bind(0, ip, () => {
        const { port } = s.address();
        s.close();
        if (port !== 5060 && !portBound('tcp', port, ip)) resolve(port);
        else if (left > 0) tryOnce(left - 1);
        else reject(new Error('no free port'));
      });
    };
    tryOnce(20);
  });
}

// Kill pid (or its process group when group=true) with SIGTERM, then SIGKILL,
// once this Node process is gone (crash, SIGKILL, runner timeout): a detached
// shell polls once a second.  This is cleanup only, never synchronisation.
function watchdog(pid, { group = false } = {}) {
  const { spawn } = require('node:child_process');
  const target = group ? `-${pid}` : `${pid}`;
  const script = `while kill -0 ${process.pid} 2>/dev/null && kill -0 ${pid} 2>/dev/null; do sleep 1; done; ` +
    `if kill -0 ${pid} 2>/dev/null; then kill -TERM ${target} 2>/dev/null; sleep 3; kill -KILL ${target} 2>/dev/null; fi`;
  const w = spawn('/bin/sh', ['-c', script], { detached: true, stdio: 'ignore' });
  w.unref();
  return w;
}

// ---------------------------------------------------------------------------
// The registry of every process the helpers start (sipp, Kamailio, kamcmd,
// Chromium, lab scripts and their parts, node servers).  Whatever happens to
// a test file -- a failed assertion, a runner timeout (SIGTERM from the
// runner), Ctrl-C, an uncaught error, --test-force-exit -- what is still in
// the registry is SIGKILLed, process group and all, synchronously in the
// 'exit' handler, so that no port stays bound and no pipe keeps Node alive.
// Helpers stop their processes properly first; this is the safety net.

const tracked = new Map();   // key -> { pid, group, name, pidDir }
let trackSeq = 0;

function signalPid(pid, group, signal) {
  if (group) {
    try { process.kill(-pid, signal); return; } catch { /* not a group leader, or gone */ }
  }
  try { process.kill(pid, signal); } catch { /* gone */ }
}

function pidAlive(pid) {
  try { process.kill(pid, 0); return true; } catch (e) { return e.code === 'EPERM'; }
}

// Registers a ChildProcess.  group: it leads its own process group (spawned
// detached), kill the group.  watch: also start a watchdog() for it (for
// long-lived processes; short commands with their own timeout need none).
// On exit it leaves the registry (a group leader's stragglers are killed
// then), and its stdio pipes are destroyed a moment later should a
// grandchild still hold them open.
function track(child, { name, group = false, watch = true } = {}) {
  if (!child || !child.pid) return child;
  const key = `c${++trackSeq}`;
  const pid = child.pid;
  tracked.set(key, { pid, group, name: name || child.spawnfile });
  if (watch) watchdog(pid, { group });
  child.once('exit', () => {
    tracked.delete(key);
    if (group) signalPid(pid, true, 'SIGKILL');
    const t = setTimeout(() => {
      for (const s of [child.stdin, child.stdout, child.stderr]) {
        if (s && !s.destroyed) s.destroy();
      }
    }, 1000);
    t.unref();
  });
  return child;
}

// Registers a process this Node process did not spawn itself (e.g. a part
// the lab script started with setsid); returns a function that removes it.
function trackPid(pid, { name = `pid ${pid}`, group = false } = {}) {
  const key = `p${++trackSeq}`;
  tracked.set(key, { pid, group, name });
  return () => tracked.delete(key);
}

// Registers a directory of <name>.pid files (the lab's run directory): at
// kill time every pid named there that is still alive is killed with its
// process group.  Register it before starting what writes the files.
function trackPidDir(dir, { name = dir } = {}) {
  const key = `d${++trackSeq}`;
  tracked.set(key, { pidDir: dir, name });
  return () => tracked.delete(key);
}

function pidsOfDir(dir) {
  let files = [];
  try { files = fs.readdirSync(dir).filter((f) => f.endsWith('.pid')); } catch { return []; }
  const pids = [];
  for (const f of files) {
    try {
      const pid = Number(fs.readFileSync(path.join(dir, f), 'utf8').trim());
      if (Number.isInteger(pid) && pid > 1 && pidAlive(pid)) pids.push(pid);
    } catch { /* gone meanwhile */ }
  }
  return pids;
}

// What is registered now: [{ name, pid, group }] (pid-file entries expanded).
function trackedProcesses() {
  const out = [];
  for (const e of tracked.values()) {
    if (e.pidDir) for (const pid of pidsOfDir(e.pidDir)) out.push({ name: e.name, pid, group: true });
    else out.push({ name: e.name, pid: e.pid, group: e.group });
  }
  return out;
}

// Synchronous: safe in an 'exit' handler.
function killTracked(signal = 'SIGKILL') {
  for (const p of trackedProcesses()) signalPid(p.pid, p.group, signal);
}

process.on('exit', () => killTracked('SIGKILL'));
for (const [sig, num] of [['SIGTERM', 15], ['SIGINT', 2], ['SIGHUP', 1]]) {
  process.once(sig, () => {
    killTracked('SIGKILL');
    process.exit(128 + num);
  });
}
// An uncaught error that ends the process runs the 'exit' handler above; one
// that the test runner turns into a failed test leaves the process (and
// its shared set-up) running, and the failed test's t.after() cleanups run.

// Pids of live process-group leaders whose command line contains every one
// of `parts` (e.g. a browser found by its profile directory).
function groupLeadersByCmdline(...parts) {
  const out = [];
  let entries = [];
  try { entries = fs.readdirSync('/proc').filter((d) => /^\d+$/.test(d)); } catch { return out; }
  for (const d of entries) {
    let cmd;
    let stat;
    try {
      cmd = fs.readFileSync(`/proc/${d}/cmdline`, 'utf8');
      stat = fs.readFileSync(`/proc/${d}/stat`, 'utf8');
    } catch { continue; }
    // stat: pid (comm) state ppid pgrp ...; comm may hold spaces and parentheses
    const pgrp = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[2]);
    if (pgrp === Number(d) && parts.every((p) => cmd.includes(p))) out.push(Number(d));
  }
  return out;
}

module.exports = {
  watchdog, freePort, REPO, OUT_DIR, outDir, slug, delay, pollUntil, within, portBound, tcpConnectOnce,
  tcpExchange,
  track, trackPid, trackPidDir, trackedProcesses, killTracked, groupLeadersByCmdline, pidAlive,
};
