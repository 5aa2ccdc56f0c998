// SPDX-License-Identifier: GPL-2.0-or-later
// Copyright (C) 2026 the ims_wic authors
'use strict';
// Every module parameter is checked in mod_init: a value out of its range
// stops Kamailio at start with an ERROR that names the parameter (and its
// range). Each case starts the eP-CSCF configuration with one bad
// modparam appended; Kamailio fails before it forks, so each case is quick.
// The first case starts a variant with valid edge values, so that a
// failure of the others cannot come from the variant itself.
const test = require('../lib/test');
const assert = require('node:assert');
const fs = require('node:fs');
const path = require('node:path');
const { Env, defaultProvisioning, MODULE, PORTS, SOURCE_LIMITS_LIFTED } = require('../lib/env');
const { spawn } = require('node:child_process');
const { KamailioInstance } = require('../lib/kamailio');
const { REPO, track } = require('../lib/common');

// kamailio.cfg with its settings (epcscf-settings.cfg) in place of the
// include, so that a variant is one file
const SETTINGS = fs.readFileSync(path.join(REPO, 'kamailio-cfg', 'epcscf-settings.cfg'), 'utf8');
const INCLUDE = 'include_file "epcscf-settings.cfg"\n';
const ROUTING = fs.readFileSync(path.join(REPO, 'kamailio-cfg', 'kamailio.cfg'), 'utf8');
assert.ok(ROUTING.includes(INCLUDE), 'kamailio.cfg includes epcscf-settings.cfg');
const CFG = ROUTING.replace(INCLUDE, SETTINGS);
const ANCHOR = 'modparam("ims_wic", "openssl_thread_stop", OPENSSL_THREAD_STOP)\n';

let env;
test.before(() => {
  env = new Env('params');
  env.writeProvisioning(defaultProvisioning(env.keys));
});
test.after(() => fs.rmSync(env.dir, { recursive: true, force: true }));

// kamailio.cfg with `lines` after its last ims_wic modparam; edit(text)
// changes it further.
function variant(name, lines, edit = (s) => s) {
  assert.ok(CFG.includes(ANCHOR), 'epcscf-settings.cfg sets openssl_thread_stop');
  const file = path.join(env.dir, `${name}.cfg`);
  fs.writeFileSync(file, edit(CFG.replace(ANCHOR, `${ANCHOR}${lines.join('\n')}\n`)));
  return file;
}

function epcscf(name, cfg) {
  return new KamailioInstance({
    name: `params-${name}`, cfg,
    defines: { WITH_LAB_WS: true, WORKERS: 1, WITHOUT_MEDIA: true, ...SOURCE_LIMITS_LIFTED },
    strDefines: {
      WIC_MODULE: MODULE, PROVISIONING: env.provPath,
      TLS_CERT: path.join(env.dir, 'epcscf-cert.pem'), TLS_KEY: path.join(env.dir, 'epcscf-key.pem'),
    },
    wait: [{ proto: 'udp', port: PORTS.sip }, { proto: 'tcp', port: PORTS.ws }],
  });
}

// Runs the variant, which must exit by itself (non-zero) before it
// forks; resolves with its output.
function refused(name, cfg) {
  const k = epcscf(name, cfg);
  const child = spawn(process.env.KAMAILIO_BIN || '/usr/sbin/kamailio', k.buildArgs(),
    { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  track(child, { name: `kamailio ${name}`, group: true });
  let out = '';
  child.stdout.on('data', (d) => { out += d; });
  child.stderr.on('data', (d) => { out += d; });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      try { process.kill(-child.pid, 'SIGKILL'); } catch { /* gone */ }
      reject(new Error(`${name}: Kamailio still runs after 20 s (it started)\n${out.slice(-2000)}`));
    }, 20000);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      fs.rmSync(k.rundir, { recursive: true, force: true });
      fs.writeFileSync(k.logFile, out);
      if (code === 0 || signal) reject(new Error(`${name}: exit ${code} ${signal}\n${out.slice(-2000)}`));
      else resolve(out);
    });
  });
}

const q = (s) => `"${s}"`;
// [parameter, bad value as written in the cfg, extra lines, what the error says]
const CASES = [
  ['provisioning', q(''), [], /modparam provisioning is required/],
  ['bearer_realm', q(''), [], /modparam bearer_realm must be 1 to 128 characters/],
  ['default_service_route', q('scscf.ims.example.net'), [], /modparam default_service_route \[scscf\.ims\.example\.net\]: must be empty or a sip: or sips: URI/],
  ['ims_core', q('300.1.2.3'), [], /modparam ims_core: \[300\.1\.2\.3\] is not an IP address/],
  ['max_expires', 0, [], /modparam max_expires is 0: it must be from 1 to 31536000/],
  ['default_expires', 0, [], /modparam default_expires is 0: it must be from 1 to 31536000/],
  ['min_expires', -1, [], /modparam min_expires is -1: it must be from 0 to 31536000/],
  ['refusal_log_rate', 0, [], /modparam refusal_log_rate is 0: it must be from 1 to 1000000/],
  ['max_contacts', 0, [], /modparam max_contacts is 0: it must be from 1 to 1000/],
  ['hash_size', 21, [], /modparam hash_size is 21: it must be from 1 to 20/],
  ['token_cache_size', 0, [], /modparam token_cache_size is 0: it must be from 1 to 67108864/],
  ['timer_interval', 0, [], /modparam timer_interval is 0: it must be from 1 to 60/],
  ['range_backoff_min', 0, [], /modparam range_backoff_min is 0: it must be from 1 to 86400/],
  ['range_backoff_max', 5, ['modparam("ims_wic", "range_backoff_min", 10)'], /modparam range_backoff_max is 5: it must be at least range_backoff_min \(10\)/],
  ['range_refresh_margin', -1, [], /modparam range_refresh_margin is -1: it must be from 0 to 86400/],
  ['range_reply_timeout', 0, [], /modparam range_reply_timeout is 0: it must be from 1 to 3600/],
  ['range_deregister_limit', 0, [], /modparam range_deregister_limit is 0: it must be from 1 to 86400/],
  ['range_recount_interval', 0, [], /modparam range_recount_interval is 0: it must be from 1 to 86400/],
  ['conn_sweep_interval', 0, [], /modparam conn_sweep_interval is 0: it must be from 1 to 86400/],
  ['openssl_thread_stop', 2, [], /modparam openssl_thread_stop is 2: it must be from 0 to 1/],
  // relations between parameters
  ['min_expires', 700, ['modparam("ims_wic", "max_expires", 600)'], /modparam min_expires is 700: it must be at most max_expires \(600\)/],
  ['default_expires', 700, ['modparam("ims_wic", "max_expires", 600)'], /modparam default_expires is 700: it must be from min_expires \(30\) to max_expires \(600\)/],
];

test('valid edge values start (the variant mechanism works), and openssl_thread_stop says what it did', async () => {
  const k = epcscf('valid', variant('valid', [
    'modparam("ims_wic", "hash_size", 1)',
    'modparam("ims_wic", "min_expires", 0)',
    'modparam("ims_wic", "default_expires", 1)',
    'modparam("ims_wic", "max_expires", 1)',
    'modparam("ims_wic", "range_refresh_margin", 0)',
    'modparam("ims_wic", "default_service_route", "sips:scscf.ims.example.net;lr")',
  ]));
  await k.start();
  try {
    assert.match(k.log(), /INFO: ims_wic .*OpenSSL thread state of the main process dropped \(openssl_thread_stop\)/);
    assert.doesNotMatch(k.log(), /ERROR: ims_wic/);
  } finally {
    await k.stop();
  }
});

test('a bad value of each parameter stops Kamailio at start with an ERROR naming the parameter and its range', async () => {
  const failures = [];
  for (const [i, [name, value, extra, says]] of CASES.entries()) {
    const log = await refused(`${i}-${name}`, variant(`${i}-${name}`, [...extra, `modparam("ims_wic", "${name}", ${value})`]));
    const line = log.split('\n').find((l) => says.test(l));
    if (!line || !/ERROR: ims_wic \[/.test(line)) failures.push(`${name} = ${value}: no ERROR ${says}\n${log.split('\n').slice(-8).join('\n')}`);
  }
  assert.deepStrictEqual(failures, []);
});

test('the old name default_route is gone: Kamailio names it at start', async () => {
  const log = await refused('old-name', variant('old-name', ['modparam("ims_wic", "default_route", "sip:127.0.0.1:5070;lr")']));
  assert.match(log, /default_route/);
});

test('openssl_thread_stop needs tls.so loaded before ims_wic: checked at start', async () => {
  const cfg = variant('order', [], (s) => {
    const wic = 'loadmodule WIC_MODULE\n';
    assert.ok(s.includes(wic) && s.includes('loadmodule "tls.so"\n'));
    return s.replace(wic, '').replace('loadmodule "tls.so"\n', `${wic}loadmodule "tls.so"\n`);
  });
  const log = await refused('order', cfg);
  assert.match(log, /ERROR: ims_wic \[.*modparam openssl_thread_stop is 1 but tls\.so is loaded after ims_wic/);
  // the same order starts with the workaround off
  const k = epcscf('order-off', variant('order-off', ['modparam("ims_wic", "openssl_thread_stop", 0)'], (s) => s
    .replace('loadmodule WIC_MODULE\n', '').replace('loadmodule "tls.so"\n', 'loadmodule WIC_MODULE\nloadmodule "tls.so"\n')));
  await k.start();
  try {
    assert.doesNotMatch(k.log(), /OpenSSL thread state of the main process dropped/);
  } finally {
    await k.stop();
  }
});
