// SPDX-License-Identifier: GPL-2.0-or-later
// Copyright (C) 2026 the ims_wic authors
'use strict';
// Logs under a burst of hostile requests from unauthenticated WICs
// (docs/operations.md, "Reading the logs"): the eP-CSCF refuses every one,
// writes nothing at NOTICE or above for them (from any module or the
// configuration), and at most refusal_log_rate INFO refusal lines of the
// module per process and second; the configuration's own refusal lines at
// most one per kind and 10 s. The rest is only counted.
const test = require('../lib/test');
const assert = require('node:assert');
const { startEnv } = require('../lib/env');
const { SipWs } = require('../lib/sipws');

const WS = 'ws://127.0.0.1:8080';
const WSS = 'wss://127.0.0.1:8443';
const ORIGIN = 'http://127.0.0.1:8000';
const RATE = 3;

test('a burst of hostile requests: refused, nothing at NOTICE or above, INFO refusals within the rate limit', async (t) => {
  const env = await startEnv({ name: 'log-levels', epcscfDefines: { REFUSAL_LOG_RATE: RATE, WORKERS: 2 } });
  t.after(() => env.stop());
  const stat = async () => Number((await env.stats()).refusal_logs_suppressed);
  const suppressedBefore = await stat();
  const mark = env.epcscf.logMark();
  const t0 = Date.now();

  // WebSocket upgrades from an origin of no WWSF
  const upgrades = Array.from({ length: 30 }, (_, i) => SipWs.connect({ url: i % 2 ? WS : WSS, origin: 'https://evil.example' })
    .then(() => 'opened', (e) => e.status));
  // requests of connections that hold no registration
  const uas = await Promise.all(Array.from({ length: 4 }, (_, i) => SipWs.connect({ url: i % 2 ? WS : WSS, origin: ORIGIN })));
  t.after(() => Promise.all(uas.map((u) => u.close())));
  const requests = [];
  for (const [i, ua] of uas.entries()) {
    const impu = `sip:demohostile${i}@wwsf.lab`;
    for (let n = 0; n < 10; n++) {
      requests.push(['REGISTER without token', 401, ua.register({ impu, cseq: 100 + n })]);
      requests.push(['REGISTER with a token that is no JWS', 400, ua.register({ impu, cseq: 200 + n, token: 'not.a.token' })]);
      requests.push(['REGISTER with a token of another WWSF', 403, ua.register({ impu, cseq: 300 + n, token: env.mintOther({ impu: [impu] }) })]);
      requests.push(['INVITE from an unregistered connection', 403, ua.invite('sip:+15550100@ims.lab', { from: impu }).then((r) => r.res)]);
      requests.push(['MESSAGE from an unregistered connection', 403, ua.request('MESSAGE', {
        ruri: 'sip:demoalice@wwsf.lab', to: '<sip:demoalice@wwsf.lab>', from: `<${impu}>`, body: 'hi', contentType: 'text/plain',
      })]);
    }
    // replies that match no transaction: dropped, counted
    for (let n = 0; n < 5; n++) {
      ua.send(['SIP/2.0 200 OK', `Via: SIP/2.0/WSS 127.0.0.1:5060;branch=z9hG4bKstray${i}${n}`,
        `From: <${impu}>;tag=a`, `To: <${impu}>;tag=b`, `Call-ID: stray-${i}-${n}`, 'CSeq: 1 INVITE',
        'Content-Length: 0', '', ''].join('\r\n'));
    }
  }
  const answers = await Promise.all(requests.map(([, , p]) => p));
  const refusedUpgrades = await Promise.all(upgrades);
  const t1 = Date.now();

  for (const [i, [what, code]] of requests.entries()) assert.strictEqual(answers[i].status, code, what);
  assert.ok(refusedUpgrades.every((s) => s === 403), refusedUpgrades.join(' '));
  assert.strictEqual(await env.scriptStat('wic_refused_stray_reply') >= 20, true, 'stray replies counted');

  const suppressed = (await stat()) - suppressedBefore;
  const log = env.epcscf.log().slice(mark);
  const lines = log.split('\n');
  // nothing at NOTICE or above, whoever wrote it
  const loud = lines.filter((l) => /^\s*\d+\(\d+\) (NOTICE|WARNING|ERROR|CRITICAL|ALERT|BUG):/.test(l));
  assert.deepStrictEqual(loud, [], 'lines at NOTICE or above');
  // the module: at most RATE refusal lines per process and second
  const seconds = Math.floor(t1 / 1000) - Math.floor(t0 / 1000) + 1;
  const perPid = new Map();
  for (const l of lines) {
    // Kamailio's log_prefix "{<type> <CSeq> <Call-ID>} " precedes the module
    const m = /^\s*\d+\((\d+)\) INFO: (\{[^}]*\} )?ims_wic \[/.exec(l);
    if (m && !/refusal log lines suppressed/.test(l)) perPid.set(m[1], (perPid.get(m[1]) || 0) + 1);
  }
  const written = [...perPid.values()].reduce((a, b) => a + b, 0);
  assert.ok(written >= 1, 'refusals are logged');
  for (const [pid, n] of perPid) assert.ok(n <= RATE * seconds, `process ${pid}: ${n} lines in ${seconds} s`);
  // every refusal of the module went through the limiter once: 30
  // upgrades, 120 REGISTERs, 80 initial requests of unregistered
  // connections; far more than RATE a second, so it dropped and counted some
  const refusals = upgrades.length + requests.length;
  assert.strictEqual(written + suppressed, refusals, `${written} written, ${suppressed} suppressed`);
  assert.ok(suppressed >= 1, `${written} written, ${suppressed} suppressed`);
  // the configuration: one line per kind and 10 s
  const kinds = new Map();
  for (const l of lines) {
    const m = /INFO: (\{[^}]*\} )?<script>: (wic_\w+): /.exec(l);
    if (m) kinds.set(m[2], (kinds.get(m[2]) || 0) + 1);
  }
  assert.ok(kinds.has('wic_refused_stray_reply'), [...kinds.keys()].join(' '));
  for (const [kind, n] of kinds) assert.ok(n <= Math.ceil(seconds / 10) + 1, `${kind}: ${n} lines in ${seconds} s`);
});
