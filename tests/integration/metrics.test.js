// SPDX-License-Identifier: GPL-2.0-or-later
// Copyright (C) 2026 the ims_wic authors
'use strict';
// Metrics for Prometheus (xhttp_prom): a scrape of the metrics listener of
// kamailio.cfg finds the ims_wic statistics under their Prometheus names
// (kamailio_ims_wic_<name>) with the values Kamailio's own statistics RPC
// gives; the listener serves nothing but GET /metrics to METRICS_ALLOW, and
// refuses browsers (Origin, cross-site Sec-Fetch-Site, a Host that is not
// this listener: DNS rebinding) with 403, a statistic and a log line, while
// the WebSocket listeners never serve it.
const test = require('../lib/test');
const assert = require('node:assert');
const http = require('node:http');
const { startEnv, PORTS, DEMO_ORIGIN } = require('../lib/env');
const { SipWs } = require('../lib/sipws');
const { pollUntil, tcpExchange } = require('../lib/common');

const HOST = '127.0.0.1';
const ALICE = 'sip:demometrics@wwsf.lab';

let env;
// only 127.0.0.1 may scrape: 127.0.0.2 (also this host) stands for any
// other source
test.before(async () => {
  env = await startEnv({ name: 'metrics', epcscfStrDefines: { METRICS_ALLOW: '127.0.0.1/32' } });
});
test.after(async () => { if (env) await env.stop(); });

// One HTTP request; resolves { status, headers, body }. Bounded.
function get({ port = PORTS.metrics, path = '/metrics', method = 'GET', headers = {}, localAddress } = {}) {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: HOST, port, path, method, headers, localAddress, agent: false, timeout: 5000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d) => { body += d; });
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body }));
    });
    req.on('timeout', () => req.destroy(new Error(`${method} ${path} on ${port}: no answer in 5 s`)));
    req.on('error', reject);
    req.end();
  });
}

// The samples of a scrape: name -> value (text format: "name value [ts]").
function samples(body) {
  const out = {};
  for (const line of body.split('\n')) {
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{[^}]*\})? (\S+)(?: \d+)?$/.exec(line);
    if (m) out[m[1]] = Number(m[2]);
  }
  return out;
}

async function scrape() {
  const r = await get();
  assert.strictEqual(r.status, 200, r.body);
  return samples(r.body);
}

test('a scrape finds every ims_wic statistic as kamailio_ims_wic_<name>, with the values of stats.get_statistics', async (t) => {
  const before = await scrape();
  assert.strictEqual(before.kamailio_ims_wic_registrations_accepted, 0, 'nothing registered yet');
  const ua = await SipWs.connect({ url: `wss://${HOST}:${PORTS.wss}`, origin: DEMO_ORIGIN });
  t.after(() => ua.close());
  const r = await ua.register({ impu: ALICE, token: env.mint({ impu: [ALICE] }) });
  assert.strictEqual(r.status, 200, r.raw);
  await env.waitBindings(ALICE, 1);

  const s = await scrape();
  assert.strictEqual(s.kamailio_ims_wic_registrations_accepted, 1);
  assert.strictEqual(s.kamailio_ims_wic_active_bindings, 1);
  assert.strictEqual(s.kamailio_ims_wic_registered_impus, 1);
  assert.strictEqual(s.kamailio_ims_wic_tokens_verified, 1);
  assert.strictEqual(s.kamailio_ims_wic_cached_tokens, 1);
  // every statistic of the module, same name, same value (nothing runs
  // between the two reads that could change one)
  const stats = await env.stats();
  assert.ok(Object.keys(stats).length >= 20, JSON.stringify(stats));
  for (const [name, value] of Object.entries(stats)) {
    assert.strictEqual(s[`kamailio_ims_wic_${name}`], Number(value), `kamailio_ims_wic_${name}`);
  }
  // the configuration's refusal counters come along (group script)
  assert.strictEqual(typeof s.kamailio_script_wic_refused_metrics, 'number');

  await ua.close();
  await env.waitBindings(ALICE, 0);
  const after = await scrape();
  assert.strictEqual(after.kamailio_ims_wic_active_bindings, 0);
  assert.strictEqual(after.kamailio_ims_wic_registrations_accepted, 1);
});

test('browsers and other sources are refused 403 with a statistic and a log line, and nothing changes', async () => {
  const refused = await env.scriptStat('wic_refused_metrics');
  const from = env.epcscf.log().length;
  const cases = [
    ['a page of a WIC origin (fetch with CORS)', { headers: { Origin: DEMO_ORIGIN } }, 'browser request (Origin)'],
    ['a no-cors fetch from another site', { headers: { 'Sec-Fetch-Site': 'cross-site', 'Sec-Fetch-Mode': 'no-cors' } },
      'browser request (Sec-Fetch-Site)'],
    ['a name rebound to this address (DNS rebinding)', { headers: { Host: `wwsf.example:${PORTS.metrics}` } },
      'Host is not this listener'],
    ['a source outside METRICS_ALLOW', { localAddress: '127.0.0.2' }, 'source not allowed'],
  ];
  await env.unchanged(async () => {
    for (const [what, opts, reason] of cases) {
      const r = await get(opts);
      assert.strictEqual(r.status, 403, `${what}: ${r.status} ${r.body}`);
      assert.ok(!r.body.includes('kamailio_'), `${what}: metrics in the body`);
      assert.ok(!r.headers['access-control-allow-origin'], `${what}: CORS header`);
      await env.epcscf.waitForLog(new RegExp(`wic_refused_metrics: GET /metrics from 127\\.0\\.0\\.[12]:\\d+ refused: ${reason.replace(/[()]/g, '\\$&')}`),
        5000, { from });
    }
  });
  assert.strictEqual(await env.scriptStat('wic_refused_metrics'), refused + cases.length);
  // the operator's browser typing the address itself (Sec-Fetch-Site: none) is served
  const typed = await get({ headers: { 'Sec-Fetch-Site': 'none', 'Sec-Fetch-Mode': 'navigate' } });
  assert.strictEqual(typed.status, 200);
});

test('the metrics listener serves nothing else: other paths, methods, WebSocket upgrades and SIP', async () => {
  for (const [path, method] of [['/', 'GET'], ['/metrics/', 'GET'], ['/metrics?x=1', 'GET'], ['/metrics', 'POST']]) {
    const r = await get({ path, method });
    assert.strictEqual(r.status, 404, `${method} ${path}: ${r.status}`);
    assert.ok(!r.body.includes('kamailio_'), `${method} ${path}: metrics in the body`);
  }
  // a WIC cannot open its WebSocket there
  const up = await get({ path: '/', headers: { Upgrade: 'websocket', Connection: 'Upgrade', 'Sec-WebSocket-Version': '13',
    'Sec-WebSocket-Key': 'dGhlIHNhbXBsZSBub25jZQ==', 'Sec-WebSocket-Protocol': 'sip', Origin: DEMO_ORIGIN } });
  assert.strictEqual(up.status, 403);
  // SIP over TCP is dropped there: on one connection, an OPTIONS and then a
  // scrape; the only answer is the scrape's. The SIP port answers OPTIONS.
  const exchange = (port, text, until) => tcpExchange(HOST, port, text, until);
  const options = (port) => `OPTIONS sip:${HOST}:${port} SIP/2.0\r\nVia: SIP/2.0/TCP ${HOST}:1;branch=z9hG4bK-m${port}\r\n`
    + `Max-Forwards: 70\r\nFrom: <sip:probe@${HOST}>;tag=1\r\nTo: <sip:${HOST}>\r\nCall-ID: metrics-${port}\r\n`
    + 'CSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n';
  const onSip = await exchange(PORTS.sip, options(PORTS.sip), /\r\n\r\n/);
  assert.match(onSip, /^SIP\/2\.0 200/, 'the SIP port answers OPTIONS');
  const onMetrics = await exchange(PORTS.metrics,
    `${options(PORTS.metrics)}GET /metrics HTTP/1.1\r\nHost: ${HOST}:${PORTS.metrics}\r\nContent-Length: 0\r\n\r\n`,
    /kamailio_ims_wic_registrations_accepted \d+/);
  assert.match(onMetrics, /^HTTP\/1\.1 200/, 'the first answer on the metrics listener is the scrape\'s');
  assert.doesNotMatch(onMetrics, /^SIP\/2\.0 \d{3}/m, 'the metrics listener answered SIP');
});

test('the WebSocket listeners never serve /metrics', async () => {
  const ws = await get({ port: PORTS.ws });
  assert.strictEqual(ws.status, 404, ws.body);
  assert.ok(!ws.body.includes('kamailio_'));
  const https = require('node:https');
  const wss = await new Promise((resolve, reject) => {
    const req = https.request({ host: HOST, port: PORTS.wss, path: '/metrics', rejectUnauthorized: false, agent: false, timeout: 5000 },
      (res) => {
        let body = '';
        res.on('data', (d) => { body += d; });
        res.on('end', () => resolve({ status: res.statusCode, body }));
      });
    req.on('timeout', () => req.destroy(new Error('no answer in 5 s')));
    req.on('error', reject);
    req.end();
  });
  assert.strictEqual(wss.status, 404, wss.body);
  assert.ok(!wss.body.includes('kamailio_'));
});

test('a request line without a path (GET  HTTP/1.1) is refused 403 like any other, logged at INFO only', async () => {
  const before = await env.scriptStat('wic_refused_metrics');
  // the refusal line is written (once per reason and 10 s: forget the
  // earlier ones)
  await env.epcscf.rpc('htable.flush', 'wic_log');
  const mark = env.epcscf.logMark();
  const status = (await tcpExchange(HOST, PORTS.metrics, 'GET  HTTP/1.1\r\nHost: rebound.example\r\n\r\n', /\r\n\r\n/))
    .split('\r\n')[0];
  assert.strictEqual(status, 'HTTP/1.1 403 Forbidden');
  assert.strictEqual(await env.scriptStat('wic_refused_metrics'), before + 1);
  const log = await pollUntil(() => {
    const l = env.epcscf.log().slice(mark);
    return /INFO: .*wic_refused_metrics: GET  from 127\.0\.0\.1:\d+ refused: Host is not this listener/.test(l) && l;
  }, { what: 'the refusal line' });
  const loud = log.split('\n').filter((l) => /^\s*\d+\(\d+\) (NOTICE|WARNING|ERROR|CRITICAL|ALERT|BUG):/.test(l));
  assert.deepStrictEqual(loud, []);
});
