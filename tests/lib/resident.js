// SPDX-License-Identifier: GPL-2.0-or-later
// Copyright (C) 2026 the ims_wic authors
'use strict';
// The fixture of the hostile suites: one eP-CSCF for the file, a resident
// WIC registered all along (so that a state snapshot is never empty), and
// every connection a test opens closed after it (afterEach), so that a
// binding made by mistake is still there when the test compares the state.
//
//   const fx = residentFixture(test, { name: 'hostile', resident: 'sip:demoresident@wwsf.lab' });
//   const ua = await fx.wic();                       // a fresh WSS connection
//   await fx.unchanged(async () => { ... });         // bindings and ranges as before
//   fx.env                                            // the Env of tests/lib/env.js

const assert = require('node:assert');
const { startEnv } = require('./env');
const { SipWs } = require('./sipws');

const WSS = 'wss://127.0.0.1:8443';
const ORIGIN = 'http://127.0.0.1:8000';

function residentFixture(test, { name, resident, ...envOptions }) {
  const fx = { env: null, resident: null };
  const opened = new Set();
  fx.wic = async (opts = {}) => {
    const ua = await SipWs.connect({ url: WSS, origin: ORIGIN, ...opts });
    opened.add(ua);
    return ua;
  };
  fx.unchanged = (fn) => fx.env.unchanged(fn, { resident });
  test.before(async () => {
    fx.env = await startEnv({ name, ...envOptions });
    fx.resident = await SipWs.connect({ url: WSS, origin: ORIGIN });
    const r = await fx.resident.register({ impu: resident, token: fx.env.mint({ impu: [resident] }), expires: 3600 });
    assert.strictEqual(r.status, 200, r.raw);
    await fx.env.waitBindings(resident, 1);
  });
  test.after(async () => {
    if (fx.resident) await fx.resident.close();
    if (fx.env) await fx.env.stop();
  });
  test.afterEach(async () => {
    const all = [...opened];
    opened.clear();
    await Promise.all(all.map((ua) => ua.close()));
  });
  return fx;
}

module.exports = { residentFixture };
