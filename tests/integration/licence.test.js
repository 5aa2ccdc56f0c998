// SPDX-License-Identifier: GPL-2.0-or-later
// Copyright (C) 2026 the ims_wic authors
'use strict';
// The licence: LICENSE at the root is the GNU GPL version 2, and every source
// file of the project (C, JS, shell, Kamailio configs, Makefiles, Dockerfiles, .ci/run, as listed
// by git, Lua scripts included) carries the SPDX header GPL-2.0-or-later within its first lines.
// Not source: docs, JSON, XML, pcaps, the fuzz corpora and regression
// inputs, fuzz dictionaries, node_modules and vendored third-party files.

const test = require('../lib/test');
const assert = require('node:assert');
const fs = require('node:fs');
const path = require('node:path');
const { execFileSync } = require('node:child_process');
const { REPO } = require('../lib/common');

const SPDX = 'SPDX-License-Identifier: GPL-2.0-or-later';
const HEADER_LINES = 5;

// Third-party files kept in the tree as they came (none at present); they
// keep their own licence headers.
const VENDORED = new Set([]);

const EXCLUDED_DIRS = ['node_modules/', 'docs/', 'tests/fuzz/corpus/', 'tests/fuzz/regressions/'];

function isSource(f) {
  if (VENDORED.has(f)) return false;
  if (EXCLUDED_DIRS.some((d) => f.startsWith(d) || f.includes(`/${d}`))) return false;
  return /\.(c|h|js|sh|cfg|lua)$/.test(f) || path.basename(f) === 'Makefile'
    || /^Dockerfile\./.test(path.basename(f)) || f === '.ci/run';
}

function sourceFiles() {
  const out = execFileSync('git', ['ls-files', '-z'], { cwd: REPO, encoding: 'utf8' });
  return out.split('\0').filter((f) => f !== '' && isSource(f));
}

test('LICENSE is the GNU General Public License version 2', () => {
  const text = fs.readFileSync(path.join(REPO, 'LICENSE'), 'utf8');
  const lines = text.split('\n').map((l) => l.trim()).filter((l) => l !== '');
  assert.strictEqual(lines[0], 'GNU GENERAL PUBLIC LICENSE');
  assert.strictEqual(lines[1], 'Version 2, June 1991');
});

test('every source file carries the GPL-2.0-or-later SPDX header', () => {
  const files = sourceFiles();
  // The listing itself works: the module, the tests and the configs are in it.
  for (const f of ['modules/ims_wic/ims_wic_mod.c', 'tests/lib/test.js',
    'kamailio-cfg/kamailio.cfg', 'scripts/lib.sh', 'Makefile']) {
    assert.ok(files.includes(f), `${f} not among the source files git lists`);
  }
  const missing = files.filter((f) => {
    const head = fs.readFileSync(path.join(REPO, f), 'utf8').split('\n', HEADER_LINES);
    return !head.some((l) => l.includes(SPDX));
  });
  assert.deepStrictEqual(missing, [],
    `without "${SPDX}" in their first ${HEADER_LINES} lines:\n  ${missing.join('\n  ')}`);
});
