// SPDX-License-Identifier: GPL-2.0-or-later
// Copyright (C) 2026 the ims_wic authors
'use strict';
// Test keys (openssl CLI) and tokens (build/wic-token CLI, plus a pure-Node
// signer for hand-made/broken tokens).
//
//   const { makeKeys, mintToken, signJwt, b64url } = require('../lib/tokens');
//   const keys = await makeKeys();          // or makeKeys('/some/dir')
//   keys.dir, keys.ec.priv / keys.ec.pub (P-256 PEM paths), keys.rsa.*, keys.ed25519.*,
//   keys.hmacSecret (string); keys.pem(path) -> file text
//   const jwt = await mintToken({ key: keys.ec.priv, alg: 'ES256', kid: 'k1',
//       iss: 'https://wwsf.lab', aud: 'epcscf.lab', impu: 'sip:demo1@wwsf.lab',
//       impi: 'demo1@wwsf.lab', lifetime: 300 });
//   mintToken options -> wic-token flags:
//     key -> --key PEM | hmac -> --hmac SECRET, alg -> --alg, kid -> --kid,
//     iss -> --iss, aud -> --aud, impu (string|array) -> --impu (repeated),
//     impi -> --impi, range -> --range, anon:true -> --anon, lifetime -> --lifetime,
//     nbfOffset -> --nbf-offset, iatOffset -> --iat-offset,
//     claims {name: value} -> --claim name=<JSON of value>, args: [extra flags]
//   Resolves with the token (stdout trimmed); rejects with stderr on a non-zero exit.
//   The binary: $WIC_TOKEN_BIN, else <repo>/build/wic-token.
//
//   signJwt({header, payload, key, alg}) -> token, signed in Node (ES256/384/512,
//     RS256/384/512, PS256, EdDSA, HS256/384/512; alg 'none' -> empty signature);
//     key: PEM path, PEM text or KeyObject (HS*: the secret string/Buffer).

const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const crypto = require('node:crypto');
const { execFile } = require('node:child_process');
const { REPO } = require('./common');

const WIC_TOKEN = process.env.WIC_TOKEN_BIN || path.join(REPO, 'build', 'wic-token');

function run(cmd, args, { timeout = 20000 } = {}) {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { timeout }, (err, stdout, stderr) => {
      if (err) {
        err.message += `\n${cmd} ${args.join(' ')}\n${stderr}`;
        err.stderr = stderr;
        err.stdout = stdout;
        reject(err);
      } else {
        resolve({ stdout, stderr });
      }
    });
  });
}

async function genKey(dir, name, genArgs) {
  const priv = path.join(dir, `${name}.key.pem`);
  const pub = path.join(dir, `${name}.pub.pem`);
  await run('openssl', ['genpkey', ...genArgs, '-out', priv]);
  await run('openssl', ['pkey', '-in', priv, '-pubout', '-out', pub]);
  fs.chmodSync(priv, 0o600);
  return { priv, pub };
}

// EC P-256, RSA 2048 and Ed25519 key pairs (PEM files) + an HMAC secret.
async function makeKeys(dir) {
  const d = dir || fs.mkdtempSync(path.join(os.tmpdir(), 'wic-keys-'));
  fs.mkdirSync(d, { recursive: true });
  const [ec, rsa, ed25519] = await Promise.all([
    genKey(d, 'ec-p256', ['-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-pkeyopt', 'ec_param_enc:named_curve']),
    genKey(d, 'rsa-2048', ['-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048']),
    genKey(d, 'ed25519', ['-algorithm', 'ED25519']),
  ]);
  const hmacSecret = crypto.randomBytes(32).toString('hex');
  fs.writeFileSync(path.join(d, 'hmac.secret'), hmacSecret, { mode: 0o600 });
  return {
    dir: d,
    ec,
    rsa,
    ed25519,
    hmacSecret,
    hmacFile: path.join(d, 'hmac.secret'),
    pem: (p) => fs.readFileSync(p, 'utf8'),
    cleanup: () => fs.rmSync(d, { recursive: true, force: true }),
  };
}

function tokenArgs(o) {
  const a = [];
  if (o.key) a.push('--key', o.key);
  if (o.hmac) a.push('--hmac', o.hmac);
  a.push('--alg', o.alg || (o.hmac ? 'HS256' : 'ES256'));
  if (o.kid) a.push('--kid', o.kid);
  if (o.iss !== undefined) a.push('--iss', o.iss);
  if (o.aud !== undefined) a.push('--aud', o.aud);
  for (const i of [].concat(o.impu || [])) a.push('--impu', i);
  if (o.impi) a.push('--impi', o.impi);
  if (o.range) a.push('--range', o.range);
  if (o.anon) a.push('--anon');
  if (o.lifetime !== undefined) a.push('--lifetime', String(o.lifetime));
  if (o.nbfOffset !== undefined) a.push('--nbf-offset', String(o.nbfOffset));
  if (o.iatOffset !== undefined) a.push('--iat-offset', String(o.iatOffset));
  for (const [k, v] of Object.entries(o.claims || {})) a.push('--claim', `${k}=${JSON.stringify(v)}`);
  return a.concat(o.args || []);
}

async function mintToken(o) {
  if (!o || (!o.key && !o.hmac)) throw new Error('mintToken: key or hmac is required');
  if (!fs.existsSync(WIC_TOKEN)) throw new Error(`mintToken: ${WIC_TOKEN} not built (make tools)`);
  const { stdout } = await run(WIC_TOKEN, tokenArgs(o));
  const tok = stdout.trim();
  if (tok.split('.').length !== 3) throw new Error(`wic-token printed no JWT: ${JSON.stringify(stdout.slice(0, 200))}`);
  return tok;
}

function b64url(data) {
  const buf = Buffer.isBuffer(data) ? data : Buffer.from(typeof data === 'string' ? data : JSON.stringify(data));
  return buf.toString('base64url');
}

function decodeJwt(token) {
  const [h, p, s] = token.split('.');
  return {
    header: JSON.parse(Buffer.from(h, 'base64url').toString('utf8')),
    payload: JSON.parse(Buffer.from(p, 'base64url').toString('utf8')),
    signature: s,
  };
}

function loadKey(key, isPrivate) {
  if (key instanceof crypto.KeyObject) return key;
  const pem = /-----BEGIN/.test(String(key)) ? String(key) : fs.readFileSync(key, 'utf8');
  return isPrivate ? crypto.createPrivateKey(pem) : crypto.createPublicKey(pem);
}

const HASH = { 256: 'sha256', 384: 'sha384', 512: 'sha512' };

function signJwt({ header = {}, payload = {}, key, alg = header.alg || 'ES256' }) {
  const h = { typ: 'JWT', ...header, alg };
  const input = `${b64url(h)}.${b64url(payload)}`;
  let sig;
  const bits = alg.slice(2);
  if (alg === 'none') {
    sig = Buffer.alloc(0);
  } else if (alg.startsWith('HS')) {
    sig = crypto.createHmac(HASH[bits], key).update(input).digest();
  } else if (alg.startsWith('ES')) {
    sig = crypto.sign(HASH[bits], Buffer.from(input), { key: loadKey(key, true), dsaEncoding: 'ieee-p1363' });
  } else if (alg.startsWith('RS')) {
    sig = crypto.sign(HASH[bits], Buffer.from(input), loadKey(key, true));
  } else if (alg.startsWith('PS')) {
    sig = crypto.sign(HASH[bits], Buffer.from(input), {
      key: loadKey(key, true), padding: crypto.constants.RSA_PKCS1_PSS_PADDING, saltLength: Number(bits) / 8,
    });
  } else if (alg === 'EdDSA') {
    sig = crypto.sign(null, Buffer.from(input), loadKey(key, true));
  } else {
    throw new Error(`signJwt: unsupported alg ${alg}`);
  }
  return `${input}.${sig.toString('base64url')}`;
}

// Standard claims for a WIC token signed in Node (seconds since epoch).
function claims({ iss, aud, impu, impi, range, anon, lifetime = 300, nbfOffset = 0, iatOffset = 0, extra = {} }) {
  const now = Math.floor(Date.now() / 1000);
  const c = { iss, aud, iat: now + iatOffset, nbf: now + nbfOffset, exp: now + lifetime };
  if (impu !== undefined) c.impu = impu;
  if (impi !== undefined) c.impi = impi;
  if (range !== undefined) c.range = range;
  if (anon) c.anon = true;
  return { ...c, ...extra };
}

module.exports = { makeKeys, mintToken, tokenArgs, signJwt, decodeJwt, claims, b64url, WIC_TOKEN };
