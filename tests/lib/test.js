// SPDX-License-Identifier: GPL-2.0-or-later
// Copyright (C) 2026 the ims_wic authors
'use strict';
// node:test with time limits.  Node 20's --test-timeout bounds a whole test
// file (the runner kills the file's process), not each test; hooks and
// tests have no limit unless given one.  Test files take `test` from here:
//
//   const test = require('../lib/test');
//   test('name', async (t) => { ... });                  // TEST_TIMEOUT_MS
//   test('long one', { timeout: 600000 }, async (t) => { ... });
//   test.before(async () => { ... });                      // HOOK_TIMEOUT_MS
//
// A test over its limit fails ("test timed out"), its t.after() cleanups
// run, and the file goes on with the next test.  Every process a helper
// started is in the registry of tests/lib/common.js and is killed when the
// file's process ends, however it ends.

const nodeTest = require('node:test');
require('./common');   // installs the exit/signal handlers of the process registry

const TEST_TIMEOUT_MS = Number(process.env.TEST_TIMEOUT_MS || 120000);
const HOOK_TIMEOUT_MS = Number(process.env.HOOK_TIMEOUT_MS || 180000);

function withTimeout(defaultMs, args) {
  // (name, fn) | (name, options, fn) | (fn) | (options, fn)
  const a = [...args];
  const fnIdx = a.findIndex((x) => typeof x === 'function');
  const optIdx = a.findIndex((x, i) => i !== fnIdx && x && typeof x === 'object');
  if (optIdx >= 0) {
    if (a[optIdx].timeout === undefined) a[optIdx] = { ...a[optIdx], timeout: defaultMs };
  } else {
    a.splice(fnIdx >= 0 ? fnIdx : a.length, 0, { timeout: defaultMs });
  }
  return a;
}

function test(...args) { return nodeTest.test(...withTimeout(TEST_TIMEOUT_MS, args)); }
for (const hook of ['before', 'after', 'beforeEach', 'afterEach']) {
  test[hook] = (fn, options = {}) => nodeTest[hook](fn, { timeout: HOOK_TIMEOUT_MS, ...options });
}
test.skip = (...args) => nodeTest.test.skip(...withTimeout(TEST_TIMEOUT_MS, args));
test.todo = (...args) => nodeTest.test.todo(...withTimeout(TEST_TIMEOUT_MS, args));
test.test = test;
test.TEST_TIMEOUT_MS = TEST_TIMEOUT_MS;
test.HOOK_TIMEOUT_MS = HOOK_TIMEOUT_MS;

module.exports = test;
