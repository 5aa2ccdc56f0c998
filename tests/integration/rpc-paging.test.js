// SPDX-License-Identifier: GPL-2.0-or-later
// Copyright (C) 2026 the ims_wic authors
'use strict';
// The operator RPCs page: ims_wic.bindings, ims_wic.bindings_brief and
// ims_wic.ranges take [offset [limit]], say the total and where the next
// page starts, and keep every page within what kamcmd reads (128 KiB), so
// that `kamcmd ims_wic.bindings` pages through 100,000 bindings (held by
// build/wic-load over WS) and `kamcmd ims_wic.ranges` through 10,000 ranges
// without "reply too big". ims_wic.lookup gives one IMPU's bindings; a paged
// listing refuses an IMPU where a number belongs.
const test = require('../lib/test');
const assert = require('node:assert');
const fs = require('node:fs');
const path = require('node:path');
const { spawn } = require('node:child_process');
const { startEnv, defaultProvisioning, demoOnlyProvisioning, parseRpcPage, PORTS, DEMO_ISS, DEMO_ORIGIN, AUDIENCE } = require('../lib/env');
const { SipWs } = require('../lib/sipws');
const { REPO, pollUntil, track } = require('../lib/common');

const KAMCMD_MAX_REPLY = 128 * 1024; // MAX_REPLY_SIZE of kamcmd
const EXTRA_RANGES = 44;
const BIG = Number(process.env.RPC_PAGING_BINDINGS || 100000);
const LOAD = path.join(REPO, 'build', 'wic-load');

let env;
test.before(async () => {
  env = await startEnv({
    name: 'rpc-paging',
    // 44 more ranges (on demand: nothing registers them) beside demo and
    // other: three default pages of ims_wic.ranges
    provisioning: (keys) => {
      const p = defaultProvisioning(keys);
      for (let i = 0; i < EXTRA_RANGES; i++) {
        p.wwsfs[0].ranges.push({ wildcard: `sip:r${i}x!.*!@wwsf.lab`, distinct_pui: `sip:r${i}x@wwsf.lab`,
          impi: `r${i}x@wwsf.lab`, trigger: 'on-demand', linger: 60, expires: 3600 });
      }
      return p;
    },
    epcscfMemoryMb: 512,
  });
});
test.after(async () => { if (env) await env.stop(); });

// kamcmd's text of one call, checked against kamcmd's reply limit.
async function page(cmd, ...args) {
  const out = await env.epcscf.rpc(cmd, ...args.map(String));
  assert.ok(Buffer.byteLength(out) < KAMCMD_MAX_REPLY, `${cmd} ${args.join(' ')}: ${out.length} bytes`);
  return { ...parseRpcPage(out), bytes: Buffer.byteLength(out) };
}

// Every page of cmd with the given limit (undefined: the default).
async function allPages(cmd, limit) {
  const pages = [];
  let offset = 0;
  for (;;) {
    const p = limit === undefined ? await page(cmd, offset) : await page(cmd, offset, limit);
    assert.strictEqual(p.offset, offset);
    assert.strictEqual(p.items.length, p.count);
    assert.strictEqual(p.next_offset, offset + p.count);
    pages.push(p);
    if (p.next_offset >= p.total) return pages;
    assert.ok(p.count > 0, `${cmd}: empty page at ${offset} of ${p.total}`);
    offset = p.next_offset;
  }
}

test('bindings page by offset and limit: the pages are the whole table, each binding once; lookup and brief agree', async (t) => {
  const uas = [];
  t.after(() => Promise.all(uas.map((u) => u.close())));
  // 5 IMPUs, the last three with 2 contacts (a page boundary falls inside one)
  const impus = [];
  for (let i = 0; i < 5; i++) {
    const impu = `sip:demopage${i}@wwsf.lab`;
    impus.push(impu);
    for (let k = 0; k < (i < 2 ? 1 : 2); k++) {
      const ua = await SipWs.connect({ url: `wss://127.0.0.1:${PORTS.wss}`, origin: DEMO_ORIGIN });
      uas.push(ua);
      const r = await ua.register({ impu, token: env.mint({ impu: [impu] }) });
      assert.strictEqual(r.status, 200, r.raw);
    }
  }
  const want = new Set();
  for (const impu of impus) for (const b of await env.bindings(impu)) want.add(`${b.impu} ${b.contact}`);
  assert.strictEqual(want.size, 8);
  for (const limit of [1, 3, 5, 100]) {
    const pages = await allPages('ims_wic.bindings', limit);
    const seen = pages.flatMap((p) => p.items.map((b) => `${b.impu} ${b.contact}`));
    assert.deepStrictEqual(new Set(seen), want, `limit ${limit}`);
    assert.strictEqual(seen.length, want.size, `limit ${limit}: a binding listed twice`);
    assert.ok(pages.every((p) => p.total === want.size && p.count <= limit));
  }
  // the default page holds them all; a page past the end is empty
  const first = await page('ims_wic.bindings');
  assert.strictEqual(first.count, 8);
  assert.strictEqual((await page('ims_wic.bindings', 8)).count, 0);
  // brief: one line per binding, the same bindings
  const brief = (await allPages('ims_wic.bindings_brief', 3)).flatMap((p) => p.items);
  assert.strictEqual(brief.length, 8);
  for (const line of brief) {
    const m = /^(\S+) (\S+) conn=(\d+) expires=(\d+)$/.exec(line);
    assert.ok(m, line);
    assert.ok(want.has(`${m[1]} ${m[2]}`), line);
  }
  // one IMPU, in any spelling
  const two = await env.bindings('sip:demopage4@WWSF.LAB');
  assert.strictEqual(two.length, 2);
  assert.ok(two.every((b) => b.impu === 'sip:demopage4@wwsf.lab'));
  // an IMPU or a word where a number belongs is refused, never read as 0
  // (kamcmd prints a fault as "error: <code> - <reason>")
  for (const args of [['sip:demopage4@wwsf.lab'], ['0', 'ten']]) {
    assert.match(await env.epcscf.rpc('ims_wic.bindings', ...args), /^error: 400 - offset and limit are numbers/);
  }
  // the module's counters are Kamailio statistics (stats.get_statistics ims_wic:)
  assert.match(await env.epcscf.rpc('ims_wic.stats'), /^error: 500 - command ims_wic.stats not found/);
});

test('ranges page the same way: 46 ranges in pages of 20 by default', async () => {
  const pages = await allPages('ims_wic.ranges');
  assert.deepStrictEqual(pages.map((p) => p.count), [20, 20, 6]);
  const puis = pages.flatMap((p) => p.items.map((r) => r.distinct_pui));
  assert.strictEqual(new Set(puis).size, EXTRA_RANGES + 2);
  for (let i = 0; i < EXTRA_RANGES; i++) assert.ok(puis.includes(`sip:r${i}x@wwsf.lab`), `r${i}x`);
  assert.strictEqual((await page('ims_wic.ranges', 0, 7)).count, 7);
  assert.strictEqual((await env.ranges()).length, EXTRA_RANGES + 2);
});

test(`kamcmd ims_wic.bindings pages through ${BIG} bindings, no reply too big`, { timeout: 600000 }, async (t) => {
  assert.ok(fs.existsSync(LOAD), `${LOAD} missing: make tools`);
  const key = path.join(env.dir, 'demo-key.pem');
  fs.writeFileSync(key, env.keys.demo.privateKey.export({ type: 'pkcs8', format: 'pem' }));
  const conns = 100;
  const load = track(spawn(LOAD, ['--mode', 'hold', '--target', `127.0.0.1:${PORTS.ws}`, '--key', key,
    '--kid', 'demo-1', '--iss', DEMO_ISS, '--aud', AUDIENCE, '--origin', DEMO_ORIGIN,
    '--impu-fmt', 'sip:demobig%lu@wwsf.lab', '--conns', String(conns), '--impus-per-conn', String(BIG / conns),
    '--concurrency', String(conns), '--src-ips', '4', '--timeout', '60', '--hold-secs', '600'],
  { stdio: ['pipe', 'pipe', 'pipe'] }), { name: 'wic-load' });
  let out = '';
  let err = '';
  load.stdout.on('data', (d) => { out += d; });
  load.stderr.on('data', (d) => { err += d; });
  t.after(() => { load.stdin.end(); load.kill('SIGTERM'); });
  const ready = await pollUntil(() => {
    if (load.exitCode !== null) throw new Error(`wic-load exited ${load.exitCode}: ${err}${out}`);
    const line = out.split('\n').find((l) => l.includes('"event":"ready"'));
    return line ? JSON.parse(line) : null;
  }, { timeoutMs: 400000, intervalMs: 250, what: () => `wic-load ready (${err.slice(-300)})` });
  assert.strictEqual(ready.bindings, BIG, JSON.stringify(ready));

  // full structures, at the largest page
  const started = Date.now();
  const full = await allPages('ims_wic.bindings', 100);
  const fullMs = Date.now() - started;
  const impus = new Set(full.flatMap((p) => p.items.map((b) => b.impu)).filter((i) => i.startsWith('sip:demobig')));
  assert.strictEqual(impus.size, BIG);
  assert.ok(full.every((p) => p.total === full[0].total));
  assert.ok(full[0].total >= BIG);
  // brief lines, at the default page
  const brief = await allPages('ims_wic.bindings_brief');
  const briefImpus = new Set(brief.flatMap((p) => p.items.map((l) => l.split(' ')[0])).filter((i) => i.startsWith('sip:demobig')));
  assert.strictEqual(briefImpus.size, BIG);
  // a page asked far too large is cut to fit, and says where to go on
  const huge = await page('ims_wic.bindings_brief', 0, 100000);
  assert.ok(huge.count > 0 && huge.count < BIG && huge.next_offset === huge.count, JSON.stringify({ ...huge, items: [] }));
  const maxBytes = Math.max(...full.map((p) => p.bytes), ...brief.map((p) => p.bytes), huge.bytes);
  t.diagnostic(`${BIG} bindings held in ${ready.setup_s} s; ims_wic.bindings: ${full.length} pages in ${fullMs} ms; `
    + `ims_wic.bindings_brief: ${brief.length} pages; largest kamcmd reply ${maxBytes} bytes`);
});

test('kamcmd ims_wic.ranges pages through 10,000 ranges', { timeout: 600000 }, async (t) => {
  // a node of its own: the demo range and 9,999 on-demand ones (nothing
  // registers them)
  await env.stop();
  env = null;
  env = await startEnv({
    name: 'rpc-paging-ranges',
    provisioning: demoOnlyProvisioning((p) => {
      for (let i = 0; i < 9999; i++) {
        p.wwsfs[0].ranges.push({ wildcard: `sip:q${i}x!.*!@wwsf.lab`, distinct_pui: `sip:q${i}x@wwsf.lab`,
          impi: `q${i}x@wwsf.lab`, trigger: 'on-demand', linger: 60, expires: 3600 });
      }
    }),
    waitRanges: false,
    epcscfMemoryMb: 256,
    // each process parses the provisioning into pkg memory
    epcscfPkgMb: 64,
  });
  const started = Date.now();
  const pages = await allPages('ims_wic.ranges');
  const ms = Date.now() - started;
  assert.ok(pages.every((p) => p.total === 10000 && p.count === 20), 'pages of 20 of 10,000');
  assert.strictEqual(pages.length, 500);
  const puis = new Set(pages.flatMap((p) => p.items.map((r) => r.distinct_pui)));
  assert.strictEqual(puis.size, 10000);
  assert.ok(puis.has('sip:demo@wwsf.lab') && puis.has('sip:q9998x@wwsf.lab'));
  const big = await page('ims_wic.ranges', 9950, 100);
  assert.strictEqual(big.count, 50);
  assert.strictEqual(big.next_offset, 10000);
  t.diagnostic(`ims_wic.ranges: 10,000 ranges in ${pages.length} pages in ${ms} ms; largest reply ${Math.max(...pages.map((p) => p.bytes))} bytes`);
});
