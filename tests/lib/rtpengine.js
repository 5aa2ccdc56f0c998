// SPDX-License-Identifier: GPL-2.0-or-later
// Copyright (C) 2026 the ims_wic authors
'use strict';
// A small client of rtpengine's ng control protocol (bencode over UDP):
// what the tests ask the eIMS-AGW directly, beside what Kamailio asks it.
//
//   const ng = require('../lib/rtpengine');
//   await ng.ping(2223);                     // true
//   await ng.list(2223);                     // [call-id, ...]
//   await ng.query(2223, callId);            // the call, or null when unknown
//   await ng.statistics(2223);               // { currentstatistics: {...}, ... }
//   await ng.request(2223, { command: 'offer', ... });
//
// Every request is bounded (timeoutMs, default 2000).

const dgram = require('node:dgram');
const crypto = require('node:crypto');

function encode(v) {
  if (Buffer.isBuffer(v)) return Buffer.concat([Buffer.from(`${v.length}:`), v]);
  if (typeof v === 'string') return encode(Buffer.from(v, 'utf8'));
  if (typeof v === 'number') return Buffer.from(`i${Math.trunc(v)}e`);
  if (Array.isArray(v)) return Buffer.concat([Buffer.from('l'), ...v.map(encode), Buffer.from('e')]);
  if (v && typeof v === 'object') {
    const keys = Object.keys(v).sort();
    return Buffer.concat([Buffer.from('d'), ...keys.flatMap((k) => [encode(k), encode(v[k])]), Buffer.from('e')]);
  }
  throw new Error(`bencode: cannot encode ${typeof v}`);
}

// -> [value, next offset]; strings come back as utf8 text
function decodeAt(buf, i) {
  const c = String.fromCharCode(buf[i]);
  if (c === 'i') {
    const end = buf.indexOf(0x65, i);
    return [Number(buf.toString('latin1', i + 1, end)), end + 1];
  }
  if (c === 'l') {
    const out = [];
    let j = i + 1;
    while (buf[j] !== 0x65) {
      const [v, n] = decodeAt(buf, j);
      out.push(v);
      j = n;
    }
    return [out, j + 1];
  }
  if (c === 'd') {
    const out = {};
    let j = i + 1;
    while (buf[j] !== 0x65) {
      const [k, n] = decodeAt(buf, j);
      const [v, m] = decodeAt(buf, n);
      out[k] = v;
      j = m;
    }
    return [out, j + 1];
  }
  if (c >= '0' && c <= '9') {
    const colon = buf.indexOf(0x3a, i);
    const len = Number(buf.toString('latin1', i, colon));
    return [buf.toString('utf8', colon + 1, colon + 1 + len), colon + 1 + len];
  }
  throw new Error(`bencode: bad byte ${buf[i]} at ${i}`);
}

function decode(buf) {
  return decodeAt(buf, 0)[0];
}

function request(port, dict, { host = '127.0.0.1', timeoutMs = 2000 } = {}) {
  return new Promise((resolve, reject) => {
    const cookie = crypto.randomBytes(6).toString('hex');
    const sock = dgram.createSocket('udp4');
    let timer;
    const finish = (err, v) => {
      clearTimeout(timer);
      try { sock.close(); } catch { /* closed */ }
      if (err) reject(err); else resolve(v);
    };
    sock.on('error', (e) => finish(e));
    sock.on('message', (msg) => {
      const sp = msg.indexOf(0x20);
      if (sp < 0 || msg.toString('latin1', 0, sp) !== cookie) return;
      try { finish(null, decode(msg.subarray(sp + 1))); } catch (e) { finish(e); }
    });
    timer = setTimeout(() => finish(new Error(`rtpengine ng ${dict.command}: no answer within ${timeoutMs} ms`)), timeoutMs);
    sock.send(Buffer.concat([Buffer.from(`${cookie} `), encode(dict)]), port, host);
  });
}

async function ping(port, opts) {
  const r = await request(port, { command: 'ping' }, opts);
  return r.result === 'pong';
}

async function list(port, opts) {
  const r = await request(port, { command: 'list', limit: 1000 }, opts);
  if (r.result !== 'ok') throw new Error(`rtpengine list: ${JSON.stringify(r)}`);
  return r.calls || [];
}

// The call as rtpengine holds it, or null when it knows no such Call-ID.
async function query(port, callId, opts) {
  const r = await request(port, { command: 'query', 'call-id': callId }, opts);
  if (r.result === 'ok') return r;
  if (/unknown call-id/i.test(r['error-reason'] || '')) return null;
  throw new Error(`rtpengine query: ${JSON.stringify(r)}`);
}

async function statistics(port, opts) {
  const r = await request(port, { command: 'statistics' }, opts);
  if (r.result !== 'ok') throw new Error(`rtpengine statistics: ${JSON.stringify(r)}`);
  return r.statistics;
}

// Packets and bytes rtpengine received per tag of a queried call:
// { <tag>: { packets, bytes } } summed over its media.
function receivedPerTag(call) {
  const out = {};
  for (const [tag, t] of Object.entries((call && call.tags) || {})) {
    let packets = 0;
    let bytes = 0;
    for (const m of t.medias || []) {
      for (const s of m.streams || []) {
        packets += Number((s.stats && s.stats.packets) || 0);
        bytes += Number((s.stats && s.stats.bytes) || 0);
      }
    }
    out[tag] = { packets, bytes };
  }
  return out;
}

module.exports = { encode, decode, request, ping, list, query, statistics, receivedPerTag };

// ---------------------------------------------------------------------------
// A real rtpengine for a test file (Debian's rtpengine-daemon, userspace
// forwarding, none of /etc/rtpengine), in the process registry of
// tests/lib/common.js. Resolves once it answers an ng ping.
//   const agw = await startRtpengine({ name: 'media-hostile', portMin: 31000, portMax: 31199 });
//   agw.ngPort ; await agw.stop();
async function startRtpengine({ name = 'rtpengine', ip = '127.0.0.1', ngPort, portMin = 31000, portMax = 31199,
  timeoutS = 60, extraArgs = [] } = {}) {
  const fs = require('node:fs');
  const path = require('node:path');
  const { spawn } = require('node:child_process');
  const { outDir, slug, freePort, pollUntil, track } = require('./common');
  const bin = process.env.RTPENGINE_BIN || '/usr/bin/rtpengine';
  if (!fs.existsSync(bin)) throw new Error(`${bin} is missing: run make deps (Debian's rtpengine-daemon)`);
  const port = ngPort || await freePort(ip);
  const logFile = path.join(outDir(), `${slug(name)}-rtpengine.log`);
  const log = fs.openSync(logFile, 'w');
  const args = ['--config-file=none', '--foreground', '--log-stderr', '--log-level=6', '--table=-1',
    `--interface=${ip}`, `--listen-ng=127.0.0.1:${port}`, `--port-min=${portMin}`, `--port-max=${portMax}`,
    `--timeout=${timeoutS}`, '--delete-delay=0', '--num-threads=2', ...extraArgs];
  const proc = track(spawn(bin, args, { stdio: ['ignore', log, log], detached: true }), { name: `rtpengine ${name}`, group: true });
  fs.closeSync(log);
  let exited = null;
  const done = new Promise((resolve) => proc.once('exit', (code, signal) => { exited = { code, signal }; resolve(exited); }));
  try {
    await pollUntil(async () => {
      if (exited) throw new Error(`rtpengine exited (${JSON.stringify(exited)}): ${fs.readFileSync(logFile, 'utf8').slice(-2000)}`);
      return ping(port, { timeoutMs: 300 });
    }, { timeoutMs: 10000, intervalMs: 100, what: `rtpengine ng on 127.0.0.1:${port}` });
  } catch (e) {
    try { process.kill(-proc.pid, 'SIGKILL'); } catch { /* gone */ }
    throw e;
  }
  return {
    ngPort: port, pid: proc.pid, logFile, done,
    async stop() {
      if (exited) return exited;
      try { process.kill(-proc.pid, 'SIGTERM'); } catch { /* gone */ }
      const late = setTimeout(() => { try { process.kill(-proc.pid, 'SIGKILL'); } catch { /* gone */ } }, 5000);
      await done;
      clearTimeout(late);
      return exited;
    },
  };
}

module.exports.startRtpengine = startRtpengine;
