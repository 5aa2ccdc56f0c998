// SPDX-License-Identifier: GPL-2.0-or-later
// Copyright (C) 2026 the ims_wic authors
'use strict';
// Without a range-register route (kamailio.cfg) or callback (KEMI:
// modparam("ims_wic", "event_callback")) no range could ever register with
// the IMS Core: Kamailio must refuse to start and say what is missing.
const test = require('../lib/test');
const assert = require('node:assert');
const fs = require('node:fs');
const path = require('node:path');
const { REPO } = require('../lib/common');
const { Env, demoOnlyProvisioning, NATIVE_CFG, KEMI_CFG } = require('../lib/env');

// A copy of a cfg of kamailio-cfg/ in the env's folder, edited by edit();
// the shared settings still come from the repository.
function variant(env, cfg, file, edit) {
  const text = fs.readFileSync(path.join(REPO, cfg), 'utf8');
  const settings = path.join(REPO, 'kamailio-cfg', 'epcscf-settings.cfg');
  const inc = 'include_file "epcscf-settings.cfg"';
  assert.ok(text.includes(inc), `${cfg} includes the shared settings`);
  const edited = edit(text.replace(inc, `include_file "${settings}"`));
  assert.notStrictEqual(edited, text, `${cfg}: the edit changed nothing`);
  const out = path.join(env.dir, file);
  fs.writeFileSync(out, edited);
  return out;
}

// Starts the eP-CSCF with cfg and expects it to exit at start; resolves
// with its log.
async function refusedStart(name, makeCfg, opts = {}) {
  const env = new Env(name);
  try {
    env.writeProvisioning(demoOnlyProvisioning()(env.keys, env));
    const cfg = makeCfg(env);
    const err = await env.startEpcscf({}, {}, { cfg, ...opts }).then(() => null, (e) => e);
    assert.ok(err, 'the eP-CSCF started without a range-register route or callback');
    assert.match(err.message, /did not start:[\s\S]*exited early \{"code":(?!0\b)\d+/, err.message);
    const logFile = /--- (\S+) \(tail\) ---/.exec(err.message);
    assert.ok(logFile, err.message);
    return fs.readFileSync(logFile[1], 'utf8');
  } finally {
    await env.stop();
  }
}

test('kamailio.cfg without event_route[wic:range-register]: no start, the log names the route', async () => {
  const log = await refusedStart('no-range-route', (env) => variant(env, NATIVE_CFG, 'no-range-route.cfg',
    (t) => t.replace(/^event_route\[wic:range-register\] \{[\s\S]*?\n\}\n?/m, '')));
  assert.match(log, /ERROR: ims_wic .*event_route\[wic:range-register\] is missing/);
  assert.match(log, /Error while initializing module ims_wic/);
});

test('the KEMI config without modparam event_callback of ims_wic: no start, the log names the parameter', async () => {
  const log = await refusedStart('no-range-callback', (env) => variant(env, KEMI_CFG, 'no-range-callback.cfg',
    (t) => t.replace(/^modparam\("ims_wic", "event_callback", "[^"]*"\)\n/m, '')), { kemi: true });
  assert.match(log, /ERROR: ims_wic .*modparam\("ims_wic", "event_callback"\) is not set/);
  assert.match(log, /Error while initializing module ims_wic/);
});
