'use strict';
const test = require('../lib/test');
const assert = require('node:assert');
const { startEnv } = require('../lib/env');
const { SipWs } = require('../lib/sipws');
test('exp', async (t) => {
  const env = await startEnv({ name: 'exp' });
  t.after(() => env.stop());
  const impu = 'sip:demoexp@wwsf.lab';
  const ua = await SipWs.connect({ url: 'wss://127.0.0.1:8443', origin: 'http://127.0.0.1:8000' });
  t.after(() => ua.close());
  const r = await ua.register({ impu, token: env.mint({ impu: [impu] }), expires: 3600 });
  assert.strictEqual(r.status, 200, r.raw);
  const mark = env.epcscf.logMark();
  const out = [];
  for (const callId of [' ', '']) {
    const a = await ua.request('MESSAGE', { ruri: 'sip:+15550100@ims.lab', to: '<sip:+15550100@ims.lab>', from: `<${impu}>`, callId, body: 'hi', contentType: 'text/plain', timeoutMs: 4000 }).then((x) => x.status, (e) => e.message);
    out.push(a);
  }
  const inv = await ua.invite('sip:+15550100@ims.lab', { from: impu, headers: [] }).then((x) => x.res && x.res.status, (e) => e.message);
  out.push(inv);
  console.log('RESULTS', JSON.stringify(out));
  console.log(env.epcscf.log().slice(mark).split('\n').filter((l) => /(NOTICE|WARNING|ERROR|CRITICAL|BUG):/.test(l)).join('\n'));
});
