// SPDX-License-Identifier: GPL-2.0-or-later
// Copyright (C) 2026 the ims_wic authors
'use strict';
// Start/stop a real Kamailio in the foreground for integration tests.
//
//   const { startKamailio } = require('../lib/kamailio');
//   const k = await startKamailio({
//     name: 'ims-core',                       // log: tests/out/ims-core.log
//     cfg: 'kamailio-cfg/ims-core.cfg',       // absolute or relative to the repo root
//     defines: { IMS_PORT: 5070, WITH_FOO: true },     // -A NAME=VALUE (raw) / -A NAME
//     strDefines: { IMS_UA: 'sip:127.0.0.1:5090' },    // -A NAME="VALUE" (quoted string)
//     wait: [{ proto: 'udp', port: 5070 }, { proto: 'tcp', port: 5070 }],
//   });
//   await k.rpc('htable.dump', 'reg');        // kamcmd stdout (text)
//   await k.waitForLog(/registered/, 5000);
//   await k.stop();
//
// Every instance gets a fresh runtime dir (mkdtemp) passed with -Y; stock
// Kamailio puts the ctl socket there (<rundir>/kamailio_ctl) unless the cfg
// sets modparam("ctl","binrpc",...): for such cfgs the helper also passes the
// define CTL_SOCK="unix:<rundir>/kamailio_ctl" (use it under #!ifdef CTL_SOCK).

const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const dgram = require('node:dgram');
const crypto = require('node:crypto');
const { spawn, execFile } = require('node:child_process');
const { REPO, outDir, slug, pollUntil, portBound, tcpConnectOnce, track } = require('./common');

const KAMAILIO = process.env.KAMAILIO_BIN || '/usr/sbin/kamailio';
const KAMCMD = process.env.KAMCMD_BIN || '/usr/sbin/kamcmd';

// One SIP OPTIONS over UDP; resolves with the first response line or null.
function udpOptionsProbe(host, port, timeoutMs = 300) {
  return new Promise((resolve) => {
    const sock = dgram.createSocket(host.includes(':') ? 'udp6' : 'udp4');
    const branch = 'z9hG4bK' + crypto.randomBytes(6).toString('hex');
    let timer;
    const finish = (v) => { clearTimeout(timer); try { sock.close(); } catch { /* closed */ } resolve(v); };
    sock.on('error', () => finish(null));
    sock.on('message', (buf) => {
      const first = buf.toString('utf8').split('\r\n')[0];
      if (first.startsWith('SIP/2.0 ')) finish(first);
    });
    sock.bind(0, host === '::1' ? '::1' : '127.0.0.1', () => {
      const lp = sock.address().port;
      const hp = host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
      const msg = [
        `OPTIONS sip:${hp} SIP/2.0`,
        `Via: SIP/2.0/UDP 127.0.0.1:${lp};branch=${branch};rport`,
        'Max-Forwards: 70',
        `From: <sip:probe@127.0.0.1:${lp}>;tag=${branch.slice(7)}`,
        `To: <sip:${hp}>`,
        `Call-ID: probe-${branch}`,
        'CSeq: 1 OPTIONS',
        'Content-Length: 0', '', ''].join('\r\n');
      sock.send(msg, port, host);
      timer = setTimeout(() => finish(null), timeoutMs);
    });
  });
}

class KamailioInstance {
  constructor(opts) {
    this.opts = opts;
    this.name = opts.name;
    this.cfg = path.isAbsolute(opts.cfg) ? opts.cfg : path.join(REPO, opts.cfg);
    this.rundir = fs.mkdtempSync(path.join(os.tmpdir(), `kam-${slug(opts.name)}-`));
    this.ctlPath = path.join(this.rundir, 'kamailio_ctl');
    this.ctl = `unix:${this.ctlPath}`;
    this.logFile = path.join(outDir(), `${slug(opts.name)}.log`);
    this.proc = null;
    this.pid = null;
    this.exitInfo = null;
    this.args = null;
  }

  buildArgs() {
    const o = this.opts;
    const a = ['-DD', '-E', '-f', this.cfg, '-Y', this.rundir];
    const defs = { ...(o.defines || {}) };
    const strDefs = { CTL_SOCK: this.ctl, ...(o.strDefines || {}) };
    for (const [k, v] of Object.entries(defs)) {
      if (v === false || v === null || v === undefined) continue;
      a.push('-A', v === true ? k : `${k}=${v}`);
    }
    for (const [k, v] of Object.entries(strDefs)) {
      a.push('-A', `${k}="${String(v).replace(/(["\\])/g, '\\$1')}"`);
    }
    if (o.memoryMb) a.push('-m', String(o.memoryMb));
    if (o.pkgMemoryMb) a.push('-M', String(o.pkgMemoryMb));
    return a.concat(o.args || []);
  }

  async start() {
    this.args = this.buildArgs();
    const o = this.opts;
    for (const w of o.wait) {
      if (portBound(w.proto === 'udp' ? 'udp' : 'tcp', w.port, w.host || '127.0.0.1')) {
        throw new Error(`${this.name}: ${w.proto} port ${w.port} is already in use before start`);
      }
    }
    const fd = fs.openSync(this.logFile, 'w');
    fs.writeSync(fd, `# ${KAMAILIO} ${this.args.map((x) => JSON.stringify(x)).join(' ')}\n`);
    this.proc = spawn(KAMAILIO, this.args, {
      cwd: o.cwd || REPO,
      env: { ...process.env, ...(o.env || {}) },
      stdio: ['ignore', fd, fd],
      detached: true, // own process group: stop() can reap stray children
    });
    fs.closeSync(fd);
    this.pid = this.proc.pid;
    // in the registry of tests/lib/common.js: killed with its group whatever
    // happens to this test file
    track(this.proc, { name: `kamailio ${this.name}`, group: true });
    this.exited = new Promise((resolve) => {
      this.proc.once('exit', (code, signal) => {
        this.exitInfo = { code, signal };
        resolve(this.exitInfo);
      });
    });

    const timeoutMs = o.startTimeoutMs || 15000;
    try {
      await pollUntil(async () => {
        if (this.exitInfo) {
          throw Object.assign(new Error(`exited early ${JSON.stringify(this.exitInfo)}`), { fatal: true });
        }
        for (const w of o.wait) {
          const host = w.host || '127.0.0.1';
          if (w.proto === 'udp') {
            if (!(await udpOptionsProbe(host, w.port))) return false;
          } else if (!(await tcpConnectOnce(host, w.port))) {
            return false;
          }
        }
        if (o.waitRpc !== false) {
          await this.rpc('core.version');
        }
        return !this.exitInfo;
      }, { timeoutMs, intervalMs: 100, what: `${this.name} to answer on ${JSON.stringify(o.wait)}` });
    } catch (e) {
      await this.stop().catch(() => {});
      const tail = this.log().split('\n').slice(-40).join('\n');
      throw new Error(`${this.name} did not start: ${e.message}\n--- ${this.logFile} (tail) ---\n${tail}`);
    }
    return this;
  }

  // Run kamcmd against this instance; resolves with stdout (text).  kamcmd
  // turns numeric-looking args into integers: prefix "s:" to force a string.
  rpc(cmd, ...args) {
    return new Promise((resolve, reject) => {
      const child = execFile(KAMCMD, ['-s', this.ctl, cmd, ...args.map(String)], { timeout: 5000, killSignal: 'SIGKILL' },
        (err, stdout, stderr) => {
          if (err) {
            err.message += `\nkamcmd ${cmd} ${args.join(' ')}: ${stderr || stdout}`;
            err.stdout = stdout;
            err.stderr = stderr;
            reject(err);
          } else {
            resolve(stdout);
          }
        });
      track(child, { name: `kamcmd ${cmd}`, watch: false });
    });
  }

  log() {
    try { return fs.readFileSync(this.logFile, 'utf8'); } catch { return ''; }
  }

  // Current log length: pass as {from: mark} to only look at newer lines.
  logMark() {
    try { return fs.statSync(this.logFile).size; } catch { return 0; }
  }

  logContains(re, { from = 0 } = {}) {
    const text = this.log().slice(from);
    const m = text.match(re);
    return m || null;
  }

  // Poll the log until `re` matches; resolves with the match array.
  waitForLog(re, timeoutMs = 5000, { from = 0 } = {}) {
    return pollUntil(() => this.logContains(re, { from }),
      { timeoutMs, intervalMs: 50, what: `${re} in ${this.logFile}` });
  }

  async stop({ timeoutMs = 10000 } = {}) {
    if (this.proc && !this.exitInfo) {
      try { process.kill(this.pid, 'SIGTERM'); } catch { /* gone */ }
      let timer;
      const t = new Promise((resolve) => { timer = setTimeout(() => resolve('timeout'), timeoutMs); });
      const r = await Promise.race([this.exited, t]);
      clearTimeout(timer);
      if (r === 'timeout') {
        try { process.kill(-this.pid, 'SIGKILL'); } catch { /* gone */ }
        await this.exited;
      }
    }
    // stray children of the group (normally none after a clean exit)
    try { process.kill(-this.pid, 'SIGKILL'); } catch { /* none */ }
    fs.rmSync(this.rundir, { recursive: true, force: true });
    return this.exitInfo;
  }
}

async function startKamailio(opts) {
  if (!opts || !opts.name || !opts.cfg) throw new Error('startKamailio: name and cfg are required');
  if (!opts.wait || !opts.wait.length) throw new Error('startKamailio: wait [{proto, port, host?}] is required');
  const k = new KamailioInstance(opts);
  return k.start();
}

// Syntax check of a cfg (kamailio -c); resolves {code, output}.
function checkConfig(cfg, { defines = {}, strDefines = {} } = {}) {
  const file = path.isAbsolute(cfg) ? cfg : path.join(REPO, cfg);
  const a = ['-c', '-f', file];
  for (const [k, v] of Object.entries(defines)) a.push('-A', v === true ? k : `${k}=${v}`);
  for (const [k, v] of Object.entries(strDefines)) a.push('-A', `${k}="${v}"`);
  return new Promise((resolve) => {
    const child = execFile(KAMAILIO, a, { timeout: 20000, killSignal: 'SIGKILL' }, (err, stdout, stderr) => {
      resolve({ code: err ? (err.code ?? 1) : 0, output: `${stdout}${stderr}` });
    });
    track(child, { name: 'kamailio -c', watch: false });
  });
}

module.exports = { startKamailio, checkConfig, KamailioInstance, udpOptionsProbe };
