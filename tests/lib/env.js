// SPDX-License-Identifier: GPL-2.0-or-later
// Copyright (C) 2026 the ims_wic authors
'use strict';
// A complete scenario-3 set-up for integration tests: fresh keys, a
// provisioning file, the eP-CSCF certificate, the IMS Core stand-in and the
// eP-CSCF (real Kamailio processes, real TLS).
//
//   const env = await startEnv({ name: 'reg', provisioning: (keys) => ({...}) });
//   const tok = env.mint({ impu: ['sip:demoalice@wwsf.lab'] });   // ES256, demo key
//   await env.bindings();                       // every binding (ims_wic.bindings, paged)
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
// The eP-CSCF's routing: kamailio.cfg (native language), or with WIC_KEMI=1
// in the environment (or startEnv({ kemi: true })) kamailio-kemi.cfg, the
// same routing in Lua through KEMI (kamailio-cfg/kamailio-kemi.lua).
const NATIVE_CFG = 'kamailio-cfg/kamailio.cfg';
const KEMI_CFG = 'kamailio-cfg/kamailio-kemi.cfg';
const KEMI_SCRIPT = path.join(REPO, 'kamailio-cfg', 'kamailio-kemi.lua');
const kemiByDefault = () => process.env.WIC_KEMI === '1';
const PORTS = { sip: 5060, wss: 8443, ws: 8080, imsCore: 5070, metrics: 9494 };
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

  // cfg: another configuration file (a test's variant of kamailio.cfg);
  // kemi: kamailio-kemi.cfg instead of kamailio.cfg (default: WIC_KEMI=1)
  // The signalling suites run without the eIMS-AGW (WITHOUT_MEDIA: SDP
  // passes untouched); a suite that starts rtpengine passes
  // { WITHOUT_MEDIA: false } and RTPENGINE_SOCK.
  // pkgMemoryMb: Kamailio's -M (the module's copy of the provisioning is
  // pkg memory; Kamailio's default 8 MB holds the tests' small files)
  // memoryMb: shared memory (-m) for a suite that holds many bindings.
  async startEpcscf(defines = {}, strDefines = {},
    { kemi = kemiByDefault(), cfg = kemi ? KEMI_CFG : NATIVE_CFG, pkgMemoryMb, memoryMb } = {}) {
    const defs = { WITH_LAB_WS: true, WORKERS: 2, WITHOUT_MEDIA: true, ...SOURCE_LIMITS_LIFTED, ...defines };
    for (const [k, v] of Object.entries(defs)) if (v === false) delete defs[k];
    this.epcscf = await startKamailio({
      name: `${this.name}-epcscf`, cfg, memoryMb,
      defines: defs,
      strDefines: {
        WIC_MODULE: MODULE, PROVISIONING: this.provPath,
        TLS_CERT: path.join(this.dir, 'epcscf-cert.pem'),
        TLS_KEY: path.join(this.dir, 'epcscf-key.pem'),
        ...(kemi ? { KEMI_SCRIPT } : {}), ...strDefines,
      },
      wait: [{ proto: 'udp', port: PORTS.sip }, { proto: 'tcp', port: PORTS.wss },
        { proto: 'tcp', port: PORTS.ws }, ...(defs.WITHOUT_METRICS ? [] : [{ proto: 'tcp', port: PORTS.metrics }])],
      pkgMemoryMb,
    });
    return this.epcscf;
  }

  // One page of a paged listing (ims_wic.bindings, ims_wic.bindings_brief,
  // ims_wic.ranges): { items, total, offset, count, next_offset }.
  async rpcPage(cmd, offset, limit) {
    const args = offset === undefined ? [] : limit === undefined ? [offset] : [offset, limit];
    return parseRpcPage(await this.epcscf.rpc(cmd, ...args));
  }

  // Every entry of a paged listing, page after page (bounded: a listing
  // that does not move on fails instead of looping).
  async rpcAll(cmd) {
    const items = [];
    let offset = 0;
    for (let pages = 0; ; pages++) {
      const p = await this.rpcPage(cmd, offset);
      items.push(...p.items);
      if (p.next_offset >= p.total) return items;
      assert.ok(p.next_offset > offset && pages < 100000, `${cmd} does not move on at ${offset}`);
      offset = p.next_offset;
    }
  }

  // Every range (`kamcmd ims_wic.ranges`, all pages) as objects.
  async ranges() {
    return this.rpcAll('ims_wic.ranges');
  }

  // The bindings of one IMPU (ims_wic.lookup), or every binding.
  async bindings(impu) {
    if (impu) return parseRpcStructs(await this.epcscf.rpc('ims_wic.lookup', impu));
    return this.rpcAll('ims_wic.bindings');
  }

  // The module's statistics (stats.get_statistics ims_wic:), values as text.
  async stats() {
    const out = await this.epcscf.rpc('stats.get_statistics', 'ims_wic:');
    const stats = {};
    for (const m of out.matchAll(/^ims_wic:(\w+) = (\d+)$/gm)) stats[m[1]] = m[2];
    assert.ok(stats.registrations_accepted !== undefined, out);
    return stats;
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

// kamcmd's print of any reply as a tree: { fields, items }, where a "{"
// line opens an item, "name: {" a field, "name: value" is a field and any
// other line a string item.
function parseRpcTree(text) {
  const root = { fields: {}, items: [] };
  const stack = [root];
  for (const line of text.split('\n')) {
    const t = line.trim();
    const top = stack[stack.length - 1];
    let m;
    if (t === '') continue;
    if (t === '{') {
      const n = { fields: {}, items: [] };
      top.items.push(n);
      stack.push(n);
    } else if (t === '}') {
      if (stack.length > 1) stack.pop();
    } else if ((m = /^(\w+): \{$/.exec(t))) {
      const n = { fields: {}, items: [] };
      top.fields[m[1]] = n;
      stack.push(n);
    } else if ((m = /^(\w+):(?: (.*))?$/.exec(t))) {
      top.fields[m[1]] = m[2] === undefined ? '' : m[2];
    } else {
      top.items.push(t);
    }
  }
  return root;
}

// A page of ims_wic.bindings / ranges (a structure with the list and the
// numbers) or ims_wic.bindings_brief (a structure with the numbers, then one
// line per binding): { items, total, offset, count, next_offset }.
function parseRpcPage(text) {
  const tree = parseRpcTree(text);
  const page = tree.items[0];
  assert.ok(page && typeof page === 'object', `no page in: ${text.slice(0, 500)}`);
  const listName = Object.keys(page.fields).find((k) => typeof page.fields[k] === 'object');
  const items = listName ? page.fields[listName].items.map((it) => (typeof it === 'string' ? it : it.fields))
    : tree.items.slice(1);
  const num = (k) => {
    assert.match(String(page.fields[k]), /^\d+$/, `${k} in: ${text.slice(0, 300)}`);
    return Number(page.fields[k]);
  };
  return { items, total: num('total'), offset: num('offset'), count: num('count'), next_offset: num('next_offset') };
}

async function startEnv({ name, provisioning, imsCore = true, imsCoreDefines = {}, epcscfDefines = {},
  epcscfStrDefines = {}, epcscfCfg, epcscfPkgMb, epcscfMemoryMb, waitRanges = true, kemi } = {}) {
  const env = new Env(name);
  env.writeProvisioning((provisioning || defaultProvisioning)(env.keys, env));
  try {
    if (imsCore) await env.startImsCore(imsCoreDefines);
    const opts = { pkgMemoryMb: epcscfPkgMb, memoryMb: epcscfMemoryMb };
    if (kemi !== undefined) opts.kemi = kemi;
    if (epcscfCfg) opts.cfg = epcscfCfg(env);
    await env.startEpcscf(epcscfDefines, epcscfStrDefines, opts);
    if (imsCore && waitRanges) await env.waitRangeState('sip:demo@wwsf.lab', 'up');
  } catch (e) {
    await env.stop();
    throw e;
  }
  return env;
}

module.exports = {
  startEnv, Env, defaultProvisioning, demoOnlyProvisioning, signJws, parseRpcStructs, parseRpcTree,
  parseRpcPage, PORTS, AUDIENCE,
  DEMO_ISS, OTHER_ISS, DEMO_ORIGIN, OTHER_ORIGIN, MODULE, SOURCE_LIMITS_LIFTED, NATIVE_CFG, KEMI_CFG,
  KEMI_SCRIPT,
};
