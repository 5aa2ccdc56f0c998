'use strict';
const test = require('../lib/test');
const net = require('node:net');
const { startEnv } = require('../lib/env');
function raw(text) {
  return new Promise((resolve) => {
    const s = net.connect(9494, '127.0.0.1', () => s.write(text));
    let out = ''; s.on('data', (d) => { out += d; }); s.on('close', () => resolve(out)); s.on('error', (e) => resolve(String(e)));
    setTimeout(() => { s.destroy(); resolve(out); }, 3000);
  });
}
test('exp', async (t) => {
  const env = await startEnv({ name: 'exp', waitRanges: false });
  t.after(() => env.stop());
  const mark = env.epcscf.logMark();
  for (const req of ['GET  HTTP/1.1\r\nHost: evil\r\n\r\n', 'GET ? HTTP/1.1\r\nHost: evil\r\n\r\n', 'GET * HTTP/1.1\r\nHost: evil\r\n\r\n']) {
    console.log('RESULT', JSON.stringify((await raw(req)).split('\r\n')[0]));
  }
  console.log(env.epcscf.log().slice(mark).split('\n').filter((l) => /(INFO|NOTICE|WARNING|ERROR|CRITICAL|BUG):/.test(l)).join('\n'));
});
