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
// resolve with that value, reject after timeoutMs with `what` in the message.
async function pollUntil(fn, { timeoutMs = 5000, intervalMs = 50, what = 'condition' } = {}) {
  const deadline = Date.now() + timeoutMs;
  let lastErr;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (e) {
      lastErr = e;
    }
    if (Date.now() >= deadline) {
      const err = new Error(`timeout after ${timeoutMs} ms waiting for ${what}` +
        (lastErr ? ` (last error: ${lastErr.message})` : ''));
      err.cause = lastErr;
      throw err;
    }
    await delay(intervalMs);
  }
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

module.exports = { watchdog, freePort, REPO, OUT_DIR, outDir, slug, delay, pollUntil, portBound, tcpConnectOnce };
