// SPDX-License-Identifier: GPL-2.0-or-later
// Copyright (C) 2026 the ims_wic authors
'use strict';
// Issue 13: one provisioning snapshot for every process. A reload reads the
// file once, validates it and publishes its bytes in shared memory; every
// process parses exactly those bytes. A token verified before a key
// revocation is refused after the reload by every worker (the token cache
// is keyed by the bytes' SHA-256); a worker that cannot parse the snapshot
// refuses (503) instead of serving its old keys, and recovers; 1,000
// reloads under registration load leave shared and per-process memory
// flat (replaced copies, OpenSSL objects included, are freed).
const test = require('../lib/test');
const assert = require('node:assert');
const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');
const { execFileSync } = require('node:child_process');
const { startEnv, defaultProvisioning, demoOnlyProvisioning, DEMO_ORIGIN } = require('../lib/env');
const { SipWs } = require('../lib/sipws');
const { pollUntil } = require('../lib/common');

const WSS = 'wss://127.0.0.1:8443';
const fresh = (tag) => `sip:demo${tag}${crypto.randomBytes(3).toString('hex')}@wwsf.lab`;

async function connect(t) {
  const ua = await SipWs.connect({ url: WSS, origin: DEMO_ORIGIN });
  t.after(() => ua.close().catch(() => {}));
  return ua;
}

// `kamcmd core.psx`: [{ pid, desc }] of every Kamailio process.
async function processes(env) {
  const out = await env.epcscf.rpc('core.psx');
  const list = [];
  for (const m of out.matchAll(/IDX: \d+\s+PID: (\d+)\s+DSC: ([^\n]*)/g)) list.push({ pid: Number(m[1]), desc: m[2] });
  assert.ok(list.length > 0, out);
  return list;
}

// The lines of the eP-CSCF log after mark, each with the pid that wrote it.
function refusalPids(env, mark, re) {
  const pids = new Set();
  for (const line of env.epcscf.log().slice(mark).split('\n')) {
    const m = /^\s*\d+\((\d+)\)/.exec(line);
    if (m && re.test(line)) pids.add(Number(m[1]));
  }
  return pids;
}

test('a token verified before a key revocation is refused after the reload, in every worker', async (t) => {
  const WORKERS = 4;
  const N = 16;
  const env = await startEnv({ name: 'prov-revoke', provisioning: demoOnlyProvisioning(),
    epcscfDefines: { WORKERS } });
  t.after(() => env.stop());

  // N connections, spread by the core over the TCP workers; each
  // identity registers twice with its token: verified, then from the cache
  const uas = [];
  for (let i = 0; i < N; i++) {
    const impu = fresh(`rev${i}-`);
    const token = env.mint({ impu: [impu] });
    uas.push({ ua: await connect(t), impu, token });
  }
  const before = await env.stats();
  for (const u of uas) {
    for (let k = 0; k < 2; k++) {
      const r = await u.ua.register({ impu: u.impu, token: u.token });
      assert.strictEqual(r.status, 200, r.raw);
    }
  }
  const cached = await env.stats();
  assert.ok(Number(cached.token_cache_hits) >= Number(before.token_cache_hits) + N, 'the second REGISTERs hit the cache');

  // revoke demo-1: the WWSF now signs with demo-2 only
  const p = demoOnlyProvisioning()(env.keys);
  const newKey = crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const pub = path.join(env.dir, 'demo-2.pub.pem');
  fs.writeFileSync(pub, newKey.publicKey.export({ type: 'spki', format: 'pem' }));
  p.wwsfs[0].keys = [{ pem: pub, kid: 'demo-2', algs: ['ES256'] }];
  env.writeProvisioning(p);
  assert.match(await env.epcscf.rpc('ims_wic.reload'), /^ok, generation 2\b/);

  const mark = env.epcscf.logMark();
  const bindings = await env.snapshot();
  for (const u of uas) {
    const r = await u.ua.register({ impu: u.impu, token: u.token });
    assert.strictEqual(r.status, 403, `${u.impu}: ${r.raw}`);
    assert.strictEqual(r.header('warning'), '399 ims_wic "bad_signature"', r.raw);
  }
  assert.deepStrictEqual(await env.snapshot(), bindings, 'a refused refresh changed nothing');
  const after = await env.stats();
  assert.strictEqual(Number(after.token_cache_hits), Number(cached.token_cache_hits), 'no refresh was served from the cache');
  // the refusals came from several TCP workers, each on the new keys
  const workers = new Set((await processes(env)).filter((x) => /tcp receiver/.test(x.desc)).map((x) => x.pid));
  assert.strictEqual(workers.size, WORKERS);
  assert.strictEqual(Number(after.rejected_bad_signature), Number(cached.rejected_bad_signature) + N);
  const refusing = refusalPids(env, mark, /REGISTER refused .*403 Forbidden - Token Signature Invalid/);
  assert.ok([...refusing].every((pid) => workers.has(pid)), `refusals from ${[...refusing]} (workers ${[...workers]})`);
  assert.ok(refusing.size >= 2, `refusals from ${refusing.size} worker(s) only`);

  // a token of the new key is admitted
  const u = uas[0];
  const r = await u.ua.register({ impu: u.impu,
    token: env.mint({ impu: [u.impu] }, { kid: 'demo-2', key: newKey.privateKey }) });
  assert.strictEqual(r.status, 200, r.raw);
});

// A provisioning whose parse needs far more memory than a process has to
// spare: one more WWSF with many long origins (several MB once parsed).
function bulky(keys) {
  const p = demoOnlyProvisioning()(keys);
  const origins = [];
  const labels = ['x', 'y', 'z'].map((c) => c.repeat(60)).join('.');
  for (let i = 0; i < 5000; i++) origins.push(`https://bulk-${i}.${labels}.example`);
  p.wwsfs.push({ id: 'bulk', origins, issuers: ['https://bulk.example'],
    keys: [{ pem: keys.other.pub, kid: 'bulk-1', algs: ['ES256'] }],
    ranges: [{ wildcard: 'sip:bulk!.*!@wwsf.lab', distinct_pui: 'sip:bulk@wwsf.lab',
      impi: 'bulk@wwsf.lab', trigger: 'startup' }] });
  return p;
}

function vmSizeBytes(pid) {
  const m = /VmSize:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(m[1]) * 1024;
}

test('a worker that cannot parse the snapshot refuses (503) instead of serving its old keys, then recovers', async (t) => {
  const env = await startEnv({ name: 'prov-unusable', provisioning: demoOnlyProvisioning(),
    epcscfDefines: { WORKERS: 1 } });
  t.after(() => env.stop());
  const impu = fresh('oom-');
  const token = env.mint({ impu: [impu] });
  const ua = await connect(t);
  let r = await ua.register({ impu, token });
  assert.strictEqual(r.status, 200, r.raw);

  // the only TCP worker gets no more address space than it has now
  const worker = (await processes(env)).find((x) => /tcp receiver/.test(x.desc));
  assert.ok(worker, 'a TCP worker');
  const lift = () => execFileSync('prlimit', ['--pid', String(worker.pid), '--as=unlimited:unlimited'],
    { stdio: 'ignore', timeout: 5000 });
  t.after(() => { try { lift(); } catch { /* gone */ } });
  const limit = vmSizeBytes(worker.pid) + 1024 * 1024;
  execFileSync('prlimit', ['--pid', String(worker.pid), `--as=${limit}:unlimited`], { timeout: 5000 });

  // validated by the process that reloads (no limit there)
  env.writeProvisioning(bulky(env.keys));
  assert.match(await env.epcscf.rpc('ims_wic.reload'), /^ok, generation 2\b/);

  const mark = env.epcscf.logMark();
  const before = await env.snapshot();
  const unusable = Number((await env.stats()).provisioning_unusable);
  r = await ua.register({ impu, token });
  assert.strictEqual(r.status, 503, r.raw);
  assert.strictEqual(r.header('retry-after'), '5', r.raw);
  assert.strictEqual(r.header('warning'), '399 ims_wic "provisioning_unusable"', r.raw);
  assert.deepStrictEqual(await env.snapshot(), before, 'a refused refresh changed nothing');
  assert.strictEqual(Number((await env.stats()).provisioning_unusable), unusable + 1);
  await env.epcscf.waitForLog(
    new RegExp(`\\(${worker.pid}\\) ERROR: .*provisioning generation 2 unusable in this process, refusing admissions`),
    5000, { from: mark });

  // memory back: the next try (at most once a second) parses it
  lift();
  r = await pollUntil(async () => {
    const x = await ua.register({ impu, token });
    return x.status === 503 ? null : x;
  }, { timeoutMs: 10000, intervalMs: 300, what: 'the worker to parse the snapshot again' });
  assert.strictEqual(r.status, 200, r.raw);
});

// Real (used) shared memory and each process's private memory (RssAnon:
// its malloc heap and pkg pool), in bytes.
async function memory(env) {
  const shm = await env.epcscf.rpc('core.shmmem');
  const used = Number(/real_used: (\d+)/.exec(shm)[1]);
  const procs = {};
  for (const p of await processes(env)) {
    const status = fs.readFileSync(`/proc/${p.pid}/status`, 'utf8');
    procs[`${p.pid} ${p.desc}`] = Number(/RssAnon:\s+(\d+) kB/.exec(status)[1]) * 1024;
  }
  return { shm: used, procs };
}

test('1,000 reloads under registration load: shared and per-process memory stay flat', async (t) => {
  const RELOADS = 1000;
  const WARMUP = 100;
  const env = await startEnv({ name: 'prov-reloads', provisioning: demoOnlyProvisioning(),
    epcscfDefines: { WORKERS: 2 } });
  t.after(() => env.stop());

  // two files that differ in one value: every reload changes the bytes, so
  // every process parses a new copy and frees the one it replaced
  const variants = [30, 31].map((leeway) => {
    const p = demoOnlyProvisioning()(env.keys);
    p.leeway = leeway;
    return JSON.stringify(p, null, 2);
  });

  // registration load: four WICs refresh with fresh tokens all along
  let loading = true;
  let registered = 0;
  const loaders = [];
  for (let i = 0; i < 4; i++) {
    const ua = await connect(t);
    const impu = fresh(`load${i}-`);
    loaders.push((async () => {
      while (loading) {
        const r = await ua.register({ impu, token: env.mint({ impu: [impu], jti: crypto.randomUUID() }) });
        assert.ok(r.status === 200, r.raw);
        registered++;
      }
    })());
  }
  t.after(() => { loading = false; });

  let warm;
  for (let i = 1; i <= RELOADS; i++) {
    fs.writeFileSync(env.provPath, variants[i % 2]);
    assert.match(await env.epcscf.rpc('ims_wic.reload'), /^ok, generation \d+/);
    if (i === WARMUP) warm = await memory(env);
  }
  loading = false;
  await Promise.all(loaders);
  const end = await memory(env);

  const shmGrowth = end.shm - warm.shm;
  const procGrowth = Object.entries(end.procs).map(([k, v]) => [k, v - (warm.procs[k] ?? v)]);
  t.diagnostic(`registrations: ${registered}; shm real_used after ${WARMUP} reloads ${warm.shm} B, `
    + `after ${RELOADS} ${end.shm} B; per process growth (B): ${JSON.stringify(procGrowth)}`);
  assert.ok(registered > RELOADS / 10, `registration load ran (${registered})`);
  // before: about 16 KB of shared memory leaked a reload, 14 MB here
  assert.ok(shmGrowth < 256 * 1024, `shm grew ${shmGrowth} B over ${RELOADS - WARMUP} reloads`);
  for (const [name, growth] of procGrowth) {
    assert.ok(growth < 1024 * 1024, `${name} grew ${growth} B over ${RELOADS - WARMUP} reloads`);
  }
});

test('a reload refused at any step changes nothing, the ranges at the IMS Core included; a FIFO as key file is refused at once', async (t) => {
  // pkg memory for the 40 MB file below: each process parses the
  // provisioning into its pkg memory, and the step tested is shared memory
  const env = await startEnv({ name: 'prov-refused', epcscfPkgMb: 256 });
  t.after(() => env.stop());
  await env.waitRangeState('sip:other@wwsf.lab', 'up');
  const before = await env.snapshot();
  const coreBefore = await env.imsCore.rpc('htable.dump', 'reg');
  assert.match(coreBefore, /sip:other!\.\*!@wwsf\.lab/);

  // a file that would remove range other and add another, refused only
  // when its bytes are to go to shared memory: too large for it
  const p = defaultProvisioning(env.keys);
  p.wwsfs = p.wwsfs.slice(0, 1);
  p.wwsfs[0].ranges.push({ wildcard: 'sip:new!.*!@wwsf.lab', distinct_pui: 'sip:new@wwsf.lab',
    impi: 'new@wwsf.lab', trigger: 'startup' });
  p.audience = 'a'.repeat(40 * 1024 * 1024);
  env.writeProvisioning(p);
  assert.match(await env.epcscf.rpc('ims_wic.reload'),
    /^error: 500 - reload refused: the provisioning and its key files \(\d+ bytes\) would take more than half of the free shared memory/);
  assert.deepStrictEqual(await env.snapshot(), before, 'a refused reload changed bindings or ranges');
  assert.strictEqual(await env.imsCore.rpc('htable.dump', 'reg'), coreBefore, 'the IMS Core saw a change');

  // a FIFO nobody writes to: refused without blocking the RPC process
  const fifo = path.join(env.dir, 'fifo.pem');
  execFileSync('mkfifo', [fifo]);
  const q = defaultProvisioning(env.keys);
  q.wwsfs[1].keys[0].pem = fifo;
  env.writeProvisioning(q);
  assert.match(await env.epcscf.rpc('ims_wic.reload'), /^error: 500 - reload refused: .*fifo\.pem: not a regular file/);
  env.writeProvisioning(defaultProvisioning(env.keys));
  assert.match(await env.epcscf.rpc('ims_wic.reload'), /^ok, generation 2\b/);
  assert.deepStrictEqual(await env.snapshot(), before);
});
