// SPDX-License-Identifier: GPL-2.0-or-later
// Copyright (C) 2026 the ims_wic authors
'use strict';
// Issue 13 (connection end): the periodic sweep of the connection index is
// the safety net of the close events. Here the eP-CSCF runs a variant of
// kamailio.cfg whose route[CONNECTION_GONE] does not call
// wic_conn_closed(), as if every close event were missed: the bindings of
// a connection that ended are still removed within CONN_SWEEP_INTERVAL
// plus one run of the ims_wic timer, counted in bindings_swept, while
// those of a live connection stay.
const test = require('../lib/test');
const assert = require('node:assert');
const fs = require('node:fs');
const path = require('node:path');
const { startEnv, demoOnlyProvisioning } = require('../lib/env');
const { SipWs } = require('../lib/sipws');
const { runSipp } = require('../lib/sipp');
const { REPO, pollUntil } = require('../lib/common');

const WSS = 'wss://127.0.0.1:8443';
const ORIGIN = 'http://127.0.0.1:8000';
const IMS_CORE = '127.0.0.1:5070';
const CONN_SWEEP_INTERVAL = 3; // s
const BOUND = CONN_SWEEP_INTERVAL + 1; // s (timer_interval 1)

// kamailio.cfg without the removal on close events, in the env's folder
function withoutCloseRemoval(env) {
  const cfg = fs.readFileSync(path.join(REPO, 'kamailio-cfg', 'kamailio.cfg'), 'utf8');
  const call = /^route\[CONNECTION_GONE\] \{\n\twic_conn_closed\(\);\n/m;
  assert.match(cfg, call, 'route[CONNECTION_GONE] calls wic_conn_closed() first');
  // the copy includes the shared settings of the repository
  const inc = 'include_file "epcscf-settings.cfg"';
  assert.ok(cfg.includes(inc), 'kamailio.cfg includes the shared settings');
  const file = path.join(env.dir, 'kamailio-no-close-removal.cfg');
  fs.writeFileSync(file, cfg.replace(call, 'route[CONNECTION_GONE] {\n')
    .replace(inc, `include_file "${path.join(REPO, 'kamailio-cfg', 'epcscf-settings.cfg')}"`));
  return file;
}

let env;
test.before(async () => {
  env = await startEnv({
    name: 'conn-sweep', provisioning: demoOnlyProvisioning(), epcscfCfg: withoutCloseRemoval,
    epcscfDefines: { CONN_SWEEP_INTERVAL },
  });
});
test.after(async () => { if (env) await env.stop(); });

async function registeredWic(t, impu) {
  const ua = await SipWs.connect({ url: WSS, origin: ORIGIN });
  t.after(() => ua.drop());
  const r = await ua.register({ impu, token: env.mint({ impu: [impu] }), expires: 3600 });
  assert.strictEqual(r.status, 200, r.raw);
  await env.waitBindings(impu, 1);
  return ua;
}

test('bindings of a connection that ended unseen are swept within the bound, then 480', async (t) => {
  const live = 'sip:demolive@wwsf.lab';
  const gone = 'sip:demounseen@wwsf.lab';
  await registeredWic(t, live);
  const ua = await registeredWic(t, gone);
  const swept = Number((await env.stats()).bindings_swept);
  const mark = env.epcscf.logMark();
  const since = Date.now();
  await ua.drop();
  await pollUntil(async () => (await env.bindings(gone)).length === 0,
    { timeoutMs: BOUND * 1000 + 500, intervalMs: 100, what: `no binding of ${gone} within ${BOUND} s` });
  t.diagnostic(`bindings of ${gone} swept after ${Date.now() - since} ms (bound ${BOUND} s)`);
  assert.strictEqual(Number((await env.stats()).bindings_swept), swept + 1);
  assert.ok(env.epcscf.logContains(/sweep: 1 connection\(s\) gone without a close event: 1 binding\(s\) removed/,
    { from: mark }), 'no INFO line of the sweep');
  assert.strictEqual((await env.bindings(live)).length, 1, 'the live connection lost its binding');
  const r = await runSipp({ scenario: 'uac-expect.xml', target: IMS_CORE, service: gone.slice(4),
    keys: { from: 'sip:carol@ims.lab', expect: '480', reason: '' }, name: 'conn-sweep-480', timeoutS: 15 });
  assert.strictEqual(r.code, 0, r.trace);
});
