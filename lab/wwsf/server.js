#!/usr/bin/env node
// SPDX-License-Identifier: GPL-2.0-or-later
// Copyright (C) 2026 the ims_wic authors
'use strict';
// Demo WWSF of the ims_wic lab: serves the WIC page and issues ES256 tokens
// (JWS, RFC 7515/7519) carrying an IMPU/IMPI of the WWSF's range. Node
// built-in modules only.
//
//   node lab/wwsf/server.js [--port 8000] [--host 127.0.0.1]
//        [--key build/lab/keys/demo.pem] [--kid demo-1]
//        [--iss http://127.0.0.1:8000] [--aud epcscf.lab] [--prefix demo]
//        [--domain wwsf.lab] [--ws-url wss://127.0.0.1:8443]
//        [--ws-plain-url ws://127.0.0.1:8080] [--ttl 3600]
//
// Every option has an environment variable: WWSF_PORT, WWSF_HOST, WWSF_KEY,
// WWSF_KID, WWSF_ISS, WWSF_AUD, WWSF_PREFIX, WWSF_DOMAIN, WS_URL,
// WS_PLAIN_URL, WWSF_TTL (the command line wins).
//
// The `other` WWSF of the tests is the same server:
//   node lab/wwsf/server.js --port 8001 --key build/lab/keys/other.pem \
//        --kid other-1 --iss http://wwsf-other.lab --prefix other
//
// HTTP:
//   GET /                 the WIC page (public/index.html)
//   GET /app.js, /style.css
//   GET /jssip.min.js     JsSIP from node_modules/jssip (dist/ when the
//                         package has it, else bundled from lib/ at start)
//   GET /token?user=NAME  NAME = [a-z0-9]{1,32}; &anon=1 for an anonymous
//                         user (name generated); &ws=1 -> ws_url is the
//                         plain WS listener (lab only)
//       -> {"token","impu","impi","ws_url"}   or 400 {"error"}
//   GET /healthz          {"ok":true,"iss":...}

const fs = require('node:fs');
const path = require('node:path');
const http = require('node:http');
const crypto = require('node:crypto');

const REPO = path.resolve(__dirname, '..', '..');
const PUBLIC = path.join(__dirname, 'public');

function parseArgs(argv, env) {
  const o = {
    port: env.WWSF_PORT || '8000',
    host: env.WWSF_HOST || '127.0.0.1',
    key: env.WWSF_KEY || path.join(REPO, 'build', 'lab', 'keys', 'demo.pem'),
    kid: env.WWSF_KID || 'demo-1',
    iss: env.WWSF_ISS || '',
    aud: env.WWSF_AUD || 'epcscf.lab',
    prefix: env.WWSF_PREFIX || 'demo',
    domain: env.WWSF_DOMAIN || 'wwsf.lab',
    'ws-url': env.WS_URL || 'wss://127.0.0.1:8443',
    'ws-plain-url': env.WS_PLAIN_URL || 'ws://127.0.0.1:8080',
    ttl: env.WWSF_TTL || '3600',
  };
  for (let i = 0; i < argv.length; i++) {
    const m = /^--([a-z-]+)(?:=(.*))?$/.exec(argv[i]);
    if (!m || !(m[1] in o)) {
      throw new Error(`unknown argument ${argv[i]} (options: ${Object.keys(o).map((k) => `--${k}`).join(' ')})`);
    }
    const v = m[2] !== undefined ? m[2] : argv[++i];
    if (v === undefined) throw new Error(`--${m[1]} needs a value`);
    o[m[1]] = v;
  }
  o.port = Number(o.port);
  o.ttl = Number(o.ttl);
  if (!Number.isInteger(o.port) || o.port < 0 || o.port > 65535) throw new Error(`bad port ${o.port}`);
  if (!Number.isInteger(o.ttl) || o.ttl <= 0) throw new Error(`bad ttl ${o.ttl}`);
  if (!/^[a-z0-9]+$/.test(o.prefix)) throw new Error(`bad prefix ${o.prefix}`);
  if (!o.iss) o.iss = `http://${o.host}:${o.port}`;
  return o;
}

const b64u = (buf) => Buffer.from(buf).toString('base64url');

// ES256 JWS (compact). The signature is r||s (IEEE P1363), as JWS wants.
function signToken(key, kid, claims) {
  const header = { alg: 'ES256', typ: 'JWT', kid };
  const input = `${b64u(JSON.stringify(header))}.${b64u(JSON.stringify(claims))}`;
  const sig = crypto.sign('sha256', Buffer.from(input), { key, dsaEncoding: 'ieee-p1363' });
  return `${input}.${b64u(sig)}`;
}

function loadKey(file) {
  const key = crypto.createPrivateKey(fs.readFileSync(file));
  if (key.asymmetricKeyType !== 'ec' || key.asymmetricKeyDetails.namedCurve !== 'prime256v1') {
    throw new Error(`${file}: not an EC P-256 private key (ES256)`);
  }
  return key;
}

let jssipCache = null;
function jssipScript() {
  if (jssipCache) return jssipCache;
  const dist = path.join(REPO, 'node_modules', 'jssip', 'dist', 'jssip.min.js');
  if (fs.existsSync(dist)) {
    jssipCache = fs.readFileSync(dist);
  } else {
    const entry = path.join(REPO, 'node_modules', 'jssip', 'lib', 'JsSIP.js');
    if (!fs.existsSync(entry)) throw new Error('node_modules/jssip is missing: run make deps (npm ci)');
    jssipCache = Buffer.from(require('./bundle').bundle(entry, 'JsSIP'));
  }
  return jssipCache;
}

const STATIC = {
  '/': ['index.html', 'text/html; charset=utf-8'],
  '/index.html': ['index.html', 'text/html; charset=utf-8'],
  '/app.js': ['app.js', 'text/javascript; charset=utf-8'],
  '/style.css': ['style.css', 'text/css; charset=utf-8'],
};

function send(res, code, type, body, extra = {}) {
  res.writeHead(code, {
    'Content-Type': type,
    'Content-Length': Buffer.byteLength(body),
    'Cache-Control': 'no-store',
    'X-Content-Type-Options': 'nosniff',
    ...extra,
  });
  res.end(body);
}

function sendJson(res, code, obj) {
  send(res, code, 'application/json', JSON.stringify(obj));
}

function makeServer(o) {
  const key = loadKey(o.key);
  return http.createServer((req, res) => {
    let url;
    try {
      url = new URL(req.url, `http://${o.host}`);
    } catch {
      return sendJson(res, 400, { error: 'bad request target' });
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      return send(res, 405, 'text/plain', 'GET only\n', { Allow: 'GET, HEAD' });
    }
    if (url.pathname === '/token') {
      const anon = url.searchParams.get('anon') === '1';
      let user = url.searchParams.get('user');
      if (anon) {
        user = `anon${crypto.randomBytes(6).toString('hex')}`;
      } else if (user === null || !/^[a-z0-9]{1,32}$/.test(user)) {
        return sendJson(res, 400, { error: 'user must match [a-z0-9]{1,32} (or use anon=1)' });
      }
      const impu = `sip:${o.prefix}${user}@${o.domain}`;
      const impi = `${o.prefix}${user}@${o.domain}`;
      const now = Math.floor(Date.now() / 1000);
      const token = signToken(key, o.kid, {
        iss: o.iss, aud: o.aud, iat: now, exp: now + o.ttl, impu: [impu], impi, anon,
      });
      const wsUrl = url.searchParams.get('ws') === '1' ? o['ws-plain-url'] : o['ws-url'];
      console.log(`${new Date().toISOString()} token for ${impu}${anon ? ' (anonymous)' : ''} ws ${wsUrl}`);
      return sendJson(res, 200, { token, impu, impi, ws_url: wsUrl });
    }
    if (url.pathname === '/favicon.ico') {
      res.writeHead(204, { 'Cache-Control': 'max-age=86400' });
      return res.end();
    }
    if (url.pathname === '/healthz') {
      return sendJson(res, 200, { ok: true, iss: o.iss, kid: o.kid, prefix: o.prefix });
    }
    if (url.pathname === '/jssip.min.js') {
      try {
        return send(res, 200, 'text/javascript; charset=utf-8', jssipScript());
      } catch (e) {
        return send(res, 500, 'text/plain', `${e.message}\n`);
      }
    }
    const st = STATIC[url.pathname];
    if (st) {
      return send(res, 200, st[1], fs.readFileSync(path.join(PUBLIC, st[0])));
    }
    return send(res, 404, 'text/plain', 'Not Found\n');
  });
}

function main() {
  let o;
  try {
    o = parseArgs(process.argv.slice(2), process.env);
  } catch (e) {
    console.error(`wwsf: ${e.message}`);
    process.exit(2);
  }
  let server;
  try {
    server = makeServer(o);
  } catch (e) {
    console.error(`wwsf: ${e.message}`);
    process.exit(1);
  }
  try {
    jssipScript(); // bundle once at start: a broken install fails now, not in the browser
  } catch (e) {
    console.error(`wwsf: ${e.message}`);
    process.exit(1);
  }
  server.on('error', (e) => {
    console.error(`wwsf: ${e.message}`);
    process.exit(1);
  });
  server.listen(o.port, o.host, () => {
    console.log(`wwsf: http://${o.host}:${server.address().port}/ iss=${o.iss} kid=${o.kid} ` +
      `impu=sip:${o.prefix}<user>@${o.domain} ws=${o['ws-url']} key=${o.key}`);
  });
  const stop = () => {
    server.close(() => process.exit(0));
    server.closeAllConnections(); // keep-alive connections must not hold the exit back
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

if (require.main === module) main();

module.exports = { parseArgs, signToken, makeServer };
