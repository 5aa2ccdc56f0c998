// SPDX-License-Identifier: GPL-2.0-or-later
// Copyright (C) 2026 the ims_wic authors
'use strict';
// Renamed and dropped names stay out of the reference: `default_route` (now
// default_service_route) appears only where the docs say it was renamed,
// `ims_wic.stats` (dropped: stats.get_statistics ims_wic:) nowhere. The
// decisions keep the history, the tests check the old names are refused.
const test = require('../lib/test');
const assert = require('node:assert');
const fs = require('node:fs');
const path = require('node:path');
const { execFileSync } = require('node:child_process');
const { REPO } = require('../lib/common');

const HISTORY = new Set(['docs/decisions.md']);

function referenceFiles() {
  const out = execFileSync('git', ['ls-files', '-z'], { cwd: REPO, encoding: 'utf8' });
  return out.split('\0').filter((f) => f !== '' && !HISTORY.has(f) && !f.startsWith('tests/')
    && !f.startsWith('node_modules/') && /\.(md|xml|cfg|lua|c|h|sh|js)$|(^|\/)README$/.test(f));
}

test('default_route appears only as the old name of default_service_route', () => {
  const stale = [];
  for (const f of referenceFiles()) {
    const text = fs.readFileSync(path.join(REPO, f), 'utf8');
    for (const m of text.matchAll(/\bdefault_route\b/g)) {
      // "named `default_route` before", "named <varname>default_route</varname> before"
      const before = text.slice(Math.max(0, m.index - 40), m.index).replace(/\s+/g, ' ');
      if (!/\bnamed\s*(`|<varname>)?$/.test(before)) {
        const line = text.slice(0, m.index).split('\n').length;
        stale.push(`${f}:${line}`);
      }
    }
  }
  assert.deepStrictEqual(stale, []);
});

test('ims_wic.stats is named nowhere but in the decisions and tests', () => {
  const stale = referenceFiles().filter((f) => fs.readFileSync(path.join(REPO, f), 'utf8').includes('ims_wic.stats'));
  assert.deepStrictEqual(stale, []);
});
