// SPDX-License-Identifier: GPL-2.0-or-later
// Copyright (C) 2026 the ims_wic authors
'use strict';
// Every function of the module's cmds[] is exported to KEMI as
// KSR.ims_wic.<name>, with as many parameters: read from a running
// Kamailio with the KEMI config (app_lua's api_list RPC), not from the
// source's KEMI table.
const test = require('../lib/test');
const assert = require('node:assert');
const fs = require('node:fs');
const path = require('node:path');
const { REPO } = require('../lib/common');
const { startEnv, demoOnlyProvisioning } = require('../lib/env');

// name -> parameter count, from cmds[] of ims_wic_mod.c
function nativeFunctions() {
  const src = fs.readFileSync(path.join(REPO, 'modules', 'ims_wic', 'ims_wic_mod.c'), 'utf8');
  const cmds = /static cmd_export_t cmds\[\] = \{([\s\S]*?)\{0, 0, 0, 0, 0, 0\}\};/.exec(src);
  assert.ok(cmds, 'cmds[] found in ims_wic_mod.c');
  const out = new Map();
  for (const m of cmds[1].matchAll(/\{"([a-z_]+)",[^,]*,\s*(\d+),/g)) {
    out.set(m[1], Number(m[2]));
  }
  return out;
}

let env;
test.before(async () => {
  env = await startEnv({ name: 'kemi-exports', provisioning: demoOnlyProvisioning(), kemi: true, imsCore: false,
    waitRanges: false });
});
test.after(async () => { if (env) await env.stop(); });

test('every native function of ims_wic is KSR.ims_wic.<name> with the same number of parameters', async () => {
  const native = nativeFunctions();
  assert.ok(native.size >= 16, `cmds[] lists ${native.size} functions`);
  const out = await env.epcscf.rpc('app_lua.api_list');
  const kemi = new Map();
  for (const m of out.matchAll(/module: ims_wic\s+name: (\w+)\s+params: ([^\n]*)/g)) {
    const params = m[2].trim();
    kemi.set(m[1], params === 'none' || params === '' ? 0 : params.split(',').length);
  }
  assert.deepStrictEqual(Object.fromEntries([...kemi].sort()), Object.fromEntries([...native].sort()));
});
