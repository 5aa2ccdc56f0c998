// SPDX-License-Identifier: GPL-2.0-or-later
// Copyright (C) 2026 the ims_wic authors
'use strict';
// A tiny CommonJS bundler (node built-ins only) that turns an npm package
// written for browserify/webpack (JsSIP's lib/) into one browser script
// exposing a global. JsSIP 3.13 no longer ships dist/jssip.min.js in its npm
// package, and the lab must not fetch it from a CDN.
//
// Supports what JsSIP and its dependencies need: static require('x') with a
// string literal, relative files (.js, .json, dir/index.js), bare package
// names resolved through node_modules (package.json "browser" string field,
// then "main"). Not a general bundler.

const fs = require('node:fs');
const path = require('node:path');

function tryFile(p) {
  for (const c of [p, `${p}.js`, `${p}.json`, path.join(p, 'index.js')]) {
    try {
      if (fs.statSync(c).isFile()) return c;
    } catch { /* next */ }
  }
  return null;
}

function resolvePackage(name, fromDir) {
  const parts = name.split('/');
  const pkgName = name.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
  const sub = parts.slice(name.startsWith('@') ? 2 : 1).join('/');
  for (let dir = fromDir; ; dir = path.dirname(dir)) {
    const pkgDir = path.join(dir, 'node_modules', pkgName);
    if (fs.existsSync(path.join(pkgDir, 'package.json'))) {
      if (sub) return tryFile(path.join(pkgDir, sub));
      const pkg = JSON.parse(fs.readFileSync(path.join(pkgDir, 'package.json'), 'utf8'));
      const entry = (typeof pkg.browser === 'string' && pkg.browser) || pkg.main || 'index.js';
      return tryFile(path.join(pkgDir, entry));
    }
    if (path.dirname(dir) === dir) return null;
  }
}

function resolve(id, fromFile) {
  const dir = path.dirname(fromFile);
  if (id.startsWith('./') || id.startsWith('../') || id.startsWith('/')) {
    return tryFile(path.resolve(dir, id));
  }
  return resolvePackage(id, dir);
}

// Bundle the module graph below entryFile; the result assigns the entry's
// exports to window[globalName].
function bundle(entryFile, globalName) {
  const ids = new Map(); // file -> numeric id
  const modules = [];
  const queue = [path.resolve(entryFile)];
  ids.set(queue[0], 0);
  while (queue.length) {
    const file = queue.shift();
    const src = fs.readFileSync(file, 'utf8');
    const map = {};
    if (file.endsWith('.js')) {
      const re = /\brequire\(\s*(['"])([^'"]+)\1\s*\)/g;
      let m;
      while ((m = re.exec(src)) !== null) {
        const target = resolve(m[2], file);
        if (!target) throw new Error(`bundle: cannot resolve '${m[2]}' from ${file}`);
        if (!ids.has(target)) {
          ids.set(target, ids.size);
          queue.push(target);
        }
        map[m[2]] = ids.get(target);
      }
    }
    const body = file.endsWith('.json') ? `module.exports = ${src.trim()};` : src;
    modules[ids.get(file)] = `[function (module, exports, require) {\n${body}\n}, ${JSON.stringify(map)}]`;
  }
  return `/* bundled from ${path.basename(path.dirname(path.dirname(entryFile)))} by lab/wwsf/bundle.js */
(function () {
var process = { env: {}, browser: true };
var defs = [\n${modules.join(',\n')}\n];
var cache = {};
function load(id) {
  if (cache[id]) return cache[id].exports;
  var module = cache[id] = { exports: {} };
  defs[id][0].call(module.exports, module, module.exports, function (name) {
    var dep = defs[id][1][name];
    if (dep === undefined) throw new Error('module not bundled: ' + name);
    return load(dep);
  });
  return module.exports;
}
window[${JSON.stringify(globalName)}] = load(0);
})();
`;
}

module.exports = { bundle };
