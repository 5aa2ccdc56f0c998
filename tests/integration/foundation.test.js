// SPDX-License-Identifier: GPL-2.0-or-later
// Copyright (C) 2026 the ims_wic authors
'use strict';
// Issue 2: the module built against Debian's kamailio source loads into the
// stock /usr/sbin/kamailio, the configs check clean, a module function runs on
// real SIP messages sent by sipp, and `make install` honours DESTDIR.
const test = require('../lib/test');
const assert = require('node:assert');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { execFileSync, spawnSync } = require('node:child_process');
const { REPO } = require('../lib/common');
const { Env, MODULE } = require('../lib/env');
const { runSipp } = require('../lib/sipp');

// every synchronous child gets a limit: a hung one would block the event
// loop, and with it the runner's timeout handling
const LIMIT_MS = 60000;

test('kamailio -c accepts the eP-CSCF config with the built module', () => {
  const env = new Env('cfgcheck');
  env.writeProvisioning(require('../lib/env').defaultProvisioning(env.keys));
  const r = spawnSync('/usr/sbin/kamailio', ['-c', '-f', path.join(REPO, 'kamailio-cfg/kamailio.cfg'),
    '-A', `WIC_MODULE="${MODULE}"`, '-A', `PROVISIONING="${env.provPath}"`,
    '-A', `TLS_CERT="${env.dir}/epcscf-cert.pem"`, '-A', `TLS_KEY="${env.dir}/epcscf-key.pem"`,
    '-A', 'WITH_LAB_WS'], { encoding: 'utf8', timeout: LIMIT_MS, killSignal: 'SIGKILL' });
  fs.rmSync(env.dir, { recursive: true, force: true });
  assert.strictEqual(r.status, 0, r.stderr);
  assert.doesNotMatch(r.stderr, /ERROR|CRITICAL/);
});

test('`kamailio -c -f kamailio-cfg/kamailio.cfg` from the checkout is clean, with no define', () => {
  const r = spawnSync('/usr/sbin/kamailio', ['-c', '-f', 'kamailio-cfg/kamailio.cfg'], { encoding: 'utf8', timeout: LIMIT_MS, killSignal: 'SIGKILL', cwd: REPO });
  assert.strictEqual(r.status, 0, r.stderr);
  assert.match(r.stderr, /config file ok/);
  assert.doesNotMatch(r.stderr, /ERROR|CRITICAL/);
});

// The peak resident memory of a `kamailio -c` run, MiB (python3 reads the
// child's rusage; Node has none for a child).
function checkPeakMiB(defines) {
  const script = 'import resource, subprocess, sys\n'
    + 'r = subprocess.run(sys.argv[1:], capture_output=True)\n'
    + 'print(r.returncode, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss // 1024)';
  const r = spawnSync('python3', ['-c', script, '/usr/sbin/kamailio', '-c', '-m', '256',
    '-f', 'kamailio-cfg/kamailio.cfg', ...defines],
  { encoding: 'utf8', timeout: LIMIT_MS, killSignal: 'SIGKILL', cwd: REPO });
  assert.strictEqual(r.status, 0, r.stderr);
  const [status, peak] = r.stdout.trim().split(' ').map(Number);
  assert.strictEqual(status, 0, 'kamailio -c failed');
  return peak;
}

test('SHM_PREFAULT touches every page of shared memory at start, and only with it', () => {
  assert.ok(checkPeakMiB(['-A', 'SHM_PREFAULT']) >= 256, 'all of -m 256 resident');
  assert.ok(checkPeakMiB([]) < 128, 'untouched without the define');
});

test('`kamailio -c` of the KEMI config (routing in Lua) from the checkout is clean', () => {
  const r = spawnSync('/usr/sbin/kamailio', ['-c', '-f', 'kamailio-cfg/kamailio-kemi.cfg',
    '-A', 'KEMI_SCRIPT="kamailio-cfg/kamailio-kemi.lua"'], { encoding: 'utf8', timeout: LIMIT_MS, killSignal: 'SIGKILL', cwd: REPO });
  assert.strictEqual(r.status, 0, r.stderr);
  assert.match(r.stderr, /config file ok/);
  assert.doesNotMatch(r.stderr, /ERROR|CRITICAL/);
});

// kamailio-kemi.lua names, in a comment above each function, the route of
// kamailio.cfg it stands for: a route added to one file only is caught here.
test('every route of kamailio.cfg has its counterpart in kamailio-kemi.lua', () => {
  const cfg = fs.readFileSync(path.join(REPO, 'kamailio-cfg/kamailio.cfg'), 'utf8');
  const lua = fs.readFileSync(path.join(REPO, 'kamailio-cfg/kamailio-kemi.lua'), 'utf8');
  const routes = [...cfg.matchAll(/^((?:failure_|onreply_|event_)?route\[[^\]]+\]|request_route|reply_route) \{/gm)].map((m) => m[1]);
  assert.ok(routes.length > 30 && routes.includes('event_route[wic:range-register]'), routes.join(' '));
  const missing = routes.filter((r) => !new RegExp(`^-- ${r.replace(/[[\]]/g, '\\$&')}(:|$)`, 'm').test(lua));
  assert.deepStrictEqual(missing, [], 'routes of kamailio.cfg without a function in kamailio-kemi.lua');
});

test('a malformed IMS Core address in modparam ims_core stops the configuration check', () => {
  for (const bad of ['10.0.0.0/abc', '10.0.0.0/33', 'not-an-ip', '10.0.0.0/']) {
    const r = spawnSync('/usr/sbin/kamailio', ['-c', '-f', 'kamailio-cfg/kamailio.cfg', '-A', `IMS_CORE="${bad}"`],
      { encoding: 'utf8', timeout: LIMIT_MS, killSignal: 'SIGKILL', cwd: REPO });
    assert.notStrictEqual(r.status, 0, bad);
    assert.match(r.stderr, /ims_core: /, bad);
  }
});

test('kamailio -c accepts the IMS Core stand-in config', () => {
  const r = spawnSync('/usr/sbin/kamailio', ['-c', '-f', path.join(REPO, 'kamailio-cfg/ims-core.cfg')],
    { encoding: 'utf8', timeout: LIMIT_MS, killSignal: 'SIGKILL' });
  assert.strictEqual(r.status, 0, r.stderr);
  assert.doesNotMatch(r.stderr, /ERROR|CRITICAL/);
});

test('the module carries the compile flags of the stock binary', () => {
  const v = execFileSync('/usr/sbin/kamailio', ['-v'], { encoding: 'utf8', timeout: LIMIT_MS, killSignal: 'SIGKILL' });
  const coreFlags = v.match(/^flags: (.*)$/m)[1].trim();
  const so = fs.readFileSync(MODULE).toString('latin1');
  assert.ok(so.includes(coreFlags), 'module_flags string of ims_wic.so differs from kamailio -v');
});

test('stock kamailio loads ims_wic and its functions answer SIP from sipp', async (t) => {
  const env = new Env('foundation');
  env.writeProvisioning(require('../lib/env').defaultProvisioning(env.keys));
  t.after(() => env.stop());
  await env.startEpcscf();
  assert.match(env.epcscf.log(), /ims_wic/);

  // From the IMS Core's address: wic_terminating() decides. No IMS Core runs,
  // so the range is not up; an identity outside every range is 404.
  const outside = await runSipp({ scenario: 'uac-expect.xml', target: '127.0.0.1:5060',
    service: 'nobody@elsewhere.lab', keys: { from: 'sip:carol@ims.lab', expect: '404', reason: '' },
    name: 'foundation-404' });
  assert.strictEqual(outside.code, 0, outside.trace);

  const unregistered = await runSipp({ scenario: 'uac-expect.xml', target: '127.0.0.1:5060',
    service: 'demobob@wwsf.lab', keys: { from: 'sip:carol@ims.lab', expect: '480',
      reason: 'SIP;cause=480;text="Public User Identity not registered"' },
    name: 'foundation-480' });
  assert.strictEqual(unregistered.code, 0, unregistered.trace);

  // From an address that is not the IMS Core: wic_from_ims_core() refuses.
  const stranger = await runSipp({ scenario: 'uac-expect.xml', target: '127.0.0.1:5060',
    localIp: '127.0.0.2', service: 'demobob@wwsf.lab',
    keys: { from: 'sip:carol@ims.lab', expect: '403', reason: '' }, name: 'foundation-403' });
  assert.strictEqual(stranger.code, 0, stranger.trace);

  const stats = await env.stats();
  assert.strictEqual(stats.terminating_rejected_not_served, '1');
  assert.strictEqual(stats.terminating_rejected_unregistered, '1');
});

test('make install honours DESTDIR', () => {
  const dest = fs.mkdtempSync(path.join(os.tmpdir(), 'wic-install-'));
  execFileSync('make', ['--no-print-directory', '-C', REPO, 'install', `DESTDIR=${dest}`],
    { encoding: 'utf8', timeout: LIMIT_MS, killSignal: 'SIGKILL', stdio: 'pipe' });
  const installed = path.join(dest, 'usr/lib/x86_64-linux-gnu/kamailio/modules/ims_wic.so');
  assert.ok(fs.existsSync(installed), 'ims_wic.so not installed under DESTDIR');
  assert.deepStrictEqual(fs.readFileSync(installed), fs.readFileSync(MODULE));
  fs.rmSync(dest, { recursive: true, force: true });
});

test('a second set-up run installs nothing', () => {
  const r = spawnSync(path.join(REPO, 'scripts/setup-deps.sh'), { encoding: 'utf8', timeout: 5 * LIMIT_MS, killSignal: 'SIGKILL' });
  assert.strictEqual(r.status, 0, r.stderr);
  assert.doesNotMatch(r.stderr, /installing|fetching/);
});

test('the module README is rendered from the current DocBook sources', () => {
  const r = spawnSync(path.join(REPO, 'scripts/render-doc.sh'), ['--check'], { encoding: 'utf8', timeout: LIMIT_MS, killSignal: 'SIGKILL' });
  assert.strictEqual(r.status, 0, r.stdout + r.stderr);
});
