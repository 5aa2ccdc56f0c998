// SPDX-License-Identifier: GPL-2.0-or-later
// Copyright (C) 2026 the ims_wic authors
'use strict';
// A complete scenario-3 set-up for integration tests: fresh keys, a
// provisioning file, the eP-CSCF certificate, the IMS Core stand-in and the
// eP-CSCF (real Kamailio processes, real TLS).
//
//   const env = await startEnv({ name: 'reg', provisioning: (keys) => ({...}) });
//   const tok = env.mint({ impu: ['sip:demoalice@wwsf.lab'] });   // ES256, demo key
//   await env.epcscf.rpc('ims_wic.bindings');
//   await env.stop();

const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const crypto = require('node:crypto');
const assert = require('node:assert');
const { execFileSync } = require('node:child_process');
const { REPO, pollUntil } = require('./common');
const { startKamailio } = require('./kamailio');

const MODULE = path.join(REPO, 'build', 'ims_wic.so');
const PORTS = { sip: 5060, wss: 8443, ws: 8080, imsCore: 5070 };
const AUDIENCE = 'epcscf.lab';
// One address sends every test's traffic: the per-source limits of the WIC
// side (kamailio.cfg UPGRADE_LIMIT, REQUEST_LIMIT) are lifted unless a test
// sets its own.
const SOURCE_LIMITS_LIFTED = { UPGRADE_LIMIT: 60000, REQUEST_LIMIT: 60000 };
const DEMO_ISS = 'http://127.0.0.1:8000';
const OTHER_ISS = 'http://wwsf-other.lab';
const DEMO_ORIGIN = 'http://127.0.0.1:8000';
const OTHER_ORIGIN = 'http://127.0.0.1:8001';

function genKeys(dir) {
  const keys = {};
  const make = (name, type, opts) => {
    const { privateKey, publicKey } = crypto.generateKeyPairSync(type, opts);
    const pub = path.join(dir, `${name}.pub.pem`);
    fs.writeFileSync(pub, publicKey.export({ type: 'spki', format: 'pem' }));
    keys[name] = { privateKey, publicKey, pub };
  };
  make('demo', 'ec', { namedCurve: 'P-256' });
  make('other', 'ec', { namedCurve: 'P-256' });
  make('rsa', 'rsa', { modulusLength: 2048 });
  make('ed', 'ed25519', {});
  keys.hmac = crypto.randomBytes(32);
  return keys;
}

function defaultProvisioning(keys) {
  return {
    audience: AUDIENCE,
    wwsfs: [
      {
        id: 'demo',
        origins: [DEMO_ORIGIN, 'http://localhost:8000'],
        issuers: [DEMO_ISS],
        allow_hmac: true,
        keys: [
          { pem: keys.demo.pub, kid: 'demo-1', algs: ['ES256'] },
          { pem: keys.rsa.pub, kid: 'demo-rsa', algs: ['RS256', 'PS256'] },
          { pem: keys.ed.pub, kid: 'demo-ed', algs: ['EdDSA'] },
          { hmac: keys.hmac.toString('base64url'), kid: 'demo-hs', algs: ['HS256'] },
        ],
        ranges: [{
          wildcard: 'sip:demo!.*!@wwsf.lab', distinct_pui: 'sip:demo@wwsf.lab',
          impi: 'demo@wwsf.lab', trigger: 'startup', linger: 60, expires: 3600,
        }],
        limits: { max_contacts_per_impu: 3, max_expires: 3600 },
      },
      {
        id: 'other',
        origins: [OTHER_ORIGIN],
        issuers: [OTHER_ISS],
        keys: [{ pem: keys.other.pub, kid: 'other-1', algs: ['ES256'] }],
        ranges: [{
          wildcard: 'sip:other!.*!@wwsf.lab', distinct_pui: 'sip:other@wwsf.lab',
          impi: 'other@wwsf.lab', trigger: 'startup', linger: 60, expires: 3600,
        }],
      },
    ],
  };
}

// The default provisioning with WWSF demo alone (one range, one REGISTER);
// mutate(p) edits it further.
function demoOnlyProvisioning(mutate = () => {}) {
  return (keys) => {
    const p = defaultProvisioning(keys);
    p.wwsfs = p.wwsfs.slice(0, 1);
    mutate(p);
    return p;
  };
}

const b64u = (v) => Buffer.from(typeof v === 'string' ? v : JSON.stringify(v)).toString('base64url');

// Signs a compact JWS. opts.key: a KeyObject or HMAC Buffer; opts.alg decides the primitive.
function signJws(header, payload, key, alg) {
  const input = `${b64u(header)}.${b64u(payload)}`;
  let sig;
  if (alg === 'none') sig = Buffer.alloc(0);
  else if (alg.startsWith('HS')) sig = crypto.createHmac(`sha${alg.slice(2)}`, key).update(input).digest();
  else if (alg.startsWith('ES')) sig = crypto.sign(`sha${alg.slice(2)}`, Buffer.from(input), { key, dsaEncoding: 'ieee-p1363' });
  else if (alg.startsWith('PS')) sig = crypto.sign(`sha${alg.slice(2)}`, Buffer.from(input), { key, padding: crypto.constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 });
  else if (alg === 'EdDSA') sig = crypto.sign(null, Buffer.from(input), key);
  else sig = crypto.sign(`sha${alg.slice(2)}`, Buffer.from(input), key);
  return `${input}.${sig.toString('base64url')}`;
}

class Env {
  constructor(name) {
    this.name = name;
    this.dir = fs.mkdtempSync(path.join(os.tmpdir(), `wic-${name}-`));
    this.keys = genKeys(this.dir);
    execFileSync(path.join(REPO, 'scripts', 'make-cert.sh'), [this.dir], { timeout: 30000, killSignal: 'SIGKILL' });
    this.provPath = path.join(this.dir, 'wwsf-provisioning.json');
  }

  writeProvisioning(obj) {
    fs.writeFileSync(this.provPath, JSON.stringify(obj, null, 2));
  }

  // A token of WWSF demo (ES256) unless told otherwise.
  mint(claims = {}, { alg = 'ES256', kid = 'demo-1', key, header = {}, omit = [] } = {}) {
    const now = Math.floor(Date.now() / 1000);
    const payload = { iss: DEMO_ISS, aud: AUDIENCE, iat: now, exp: now + 3600, ...claims };
    for (const k of omit) delete payload[k];
    const hdr = { alg, typ: 'JWT', ...(kid ? { kid } : {}), ...header };
    return signJws(hdr, payload, key || this.keys.demo.privateKey, alg);
  }

  mintOther(claims = {}) {
    return this.mint({ iss: OTHER_ISS, ...claims }, { kid: 'other-1', key: this.keys.other.privateKey });
  }

  async startImsCore(defines = {}) {
    this.imsCore = await startKamailio({
      name: `${this.name}-ims-core`, cfg: 'kamailio-cfg/ims-core.cfg', defines,
      wait: [{ proto: 'udp', port: PORTS.imsCore }],
    });
    return this.imsCore;
  }

  // cfg: another configuration file (a test's variant of kamailio.cfg)
  // The signalling suites run without the eIMS-AGW (WITHOUT_MEDIA: SDP
  // passes untouched); a suite that starts rtpengine passes
  // { WITHOUT_MEDIA: false } and RTPENGINE_SOCK.
  // memoryMb: shared memory (-m) for a suite that holds thousands of
  // connections (the websocket module keeps 64 KiB for each)
  async startEpcscf(defines = {}, strDefines = {}, { cfg = 'kamailio-cfg/kamailio.cfg', memoryMb } = {}) {
    const defs = { WITH_LAB_WS: true, WORKERS: 2, WITHOUT_MEDIA: true, ...SOURCE_LIMITS_LIFTED, ...defines };
    for (const [k, v] of Object.entries(defs)) if (v === false) delete defs[k];
    this.epcscf = await startKamailio({
      name: `${this.name}-epcscf`, cfg,
      defines: defs,
      strDefines: {
        WIC_MODULE: MODULE, PROVISIONING: this.provPath,
        TLS_CERT: path.join(this.dir, 'epcscf-cert.pem'),
        TLS_KEY: path.join(this.dir, 'epcscf-key.pem'), ...strDefines,
      },
      wait: [{ proto: 'udp', port: PORTS.sip }, { proto: 'tcp', port: PORTS.wss },
        { proto: 'tcp', port: PORTS.ws }],
      ...(memoryMb ? { memoryMb } : {}),
    });
    return this.epcscf;
  }

  // Parses `kamcmd ims_wic.ranges` into objects.
  async ranges() {
    return parseRpcStructs(await this.epcscf.rpc('ims_wic.ranges'));
  }

  async bindings(impu) {
    const out = impu ? await this.epcscf.rpc('ims_wic.bindings', impu)
      : await this.epcscf.rpc('ims_wic.bindings');
    return parseRpcStructs(out);
  }

  async stats() {
    return parseRpcStructs(await this.epcscf.rpc('ims_wic.stats'))[0];
  }

  // Polls until the range is in `state`: every other state (down,
  // registering, up, deregistering, back-off between retries) is a step on
  // the way, not a failure.  The timeout names the states seen.
  // Bindings and ranges without the fields that tick (expires,
  // token_expires, next_action, a range's cseq): the state a refused
  // request must not change.
  async snapshot() {
    const bindings = (await this.bindings()).map(({ expires, token_expires, ...b }) => b)
      .sort((a, b) => `${a.impu} ${a.contact}`.localeCompare(`${b.impu} ${b.contact}`));
    const ranges = (await this.ranges()).map(({ expires, next_action, cseq, ...r }) => r);
    return { bindings, ranges };
  }

  // Runs fn and asserts that bindings and ranges are as before; resident, an
  // IMPU that must be bound all along, proves the snapshot is not empty.
  async unchanged(fn, { resident } = {}) {
    const before = await this.snapshot();
    if (resident) assert.ok(before.bindings.some((b) => b.impu === resident), 'the resident binding is there');
    const out = await fn();
    assert.deepStrictEqual(await this.snapshot(), before, 'bindings or ranges changed');
    return out;
  }

  // A statistic of the configuration (statistics module, group script).
  async scriptStat(name) {
    const out = await this.epcscf.rpc('stats.get_statistics', name);
    const m = new RegExp(`script:${name} = (\\d+)`).exec(out);
    assert.ok(m, out);
    return Number(m[1]);
  }

  async waitRangeState(pui, state, timeoutMs = 15000) {
    const seen = new Set();
    return pollUntil(async () => {
      const r = (await this.ranges()).find((x) => x.distinct_pui === pui);
      if (r) seen.add(r.state);
      return r && r.state === state ? r : null;
    }, { timeoutMs, intervalMs: 100, what: () => `range ${pui} ${state} (seen: ${[...seen].join(', ') || 'none'})` });
  }

  async waitBindings(impu, count, timeoutMs = 5000) {
    return pollUntil(async () => {
      const b = await this.bindings(impu);
      return b.length === count ? b : null;
    }, { timeoutMs, intervalMs: 50, what: `${count} binding(s) of ${impu}` });
  }

  // Stops both; throws when the eP-CSCF lost a process or reported a
  // memory bug during the run, so that no test passes over a crash.
  // Idempotent; stops both even when one of them fails to stop.
  async stop() {
    try {
      if (this.epcscf) await this.epcscf.stop();
    } finally {
      try {
        if (this.imsCore) await this.imsCore.stop();
      } finally {
        fs.rmSync(this.dir, { recursive: true, force: true });
      }
    }
    const log = this.epcscf ? this.epcscf.log() : '';
    const crash = /exited by a signal|(?<!DE)BUG: |Assertion .* failed|AddressSanitizer/.exec(log);
    if (crash) throw new Error(`${this.name}: eP-CSCF log shows "${crash[0]}" (${this.epcscf.logFile})`);
  }
}

// kamcmd prints structs as "{\n\tname: value\n}"; values stay strings.
function parseRpcStructs(text) {
  const out = [];
  let cur = null;
  for (const line of text.split('\n')) {
    const t = line.trim();
    if (t === '{') cur = {};
    else if (t === '}') { if (cur) out.push(cur); cur = null; }
    else if (cur) {
      const i = t.indexOf(':');
      if (i > 0) cur[t.slice(0, i)] = t.slice(i + 1).trim();
    }
  }
  return out;
}

async function startEnv({ name, provisioning, imsCore = true, imsCoreDefines = {}, epcscfDefines = {},
  epcscfStrDefines = {}, epcscfCfg, epcscfMemoryMb, waitRanges = true } = {}) {
  const env = new Env(name);
  env.writeProvisioning((provisioning || defaultProvisioning)(env.keys, env));
  try {
    if (imsCore) await env.startImsCore(imsCoreDefines);
    await env.startEpcscf(epcscfDefines, epcscfStrDefines,
      { ...(epcscfCfg ? { cfg: epcscfCfg(env) } : {}), memoryMb: epcscfMemoryMb });
    if (imsCore && waitRanges) await env.waitRangeState('sip:demo@wwsf.lab', 'up');
  } catch (e) {
    await env.stop();
    throw e;
  }
  return env;
}

module.exports = {
  startEnv, Env, defaultProvisioning, demoOnlyProvisioning, signJws, parseRpcStructs, PORTS, AUDIENCE,
  DEMO_ISS, OTHER_ISS, DEMO_ORIGIN, OTHER_ORIGIN, MODULE, SOURCE_LIMITS_LIFTED,
};
