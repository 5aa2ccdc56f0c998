// SPDX-License-Identifier: GPL-2.0-or-later
// Copyright (C) 2026 the ims_wic authors
'use strict';
// docker/ describes the same lab as scripts/lab.sh: the same configs, ports,
// files and -A defines, every service on host networking bound to LAB_IP.
// No Docker engine is needed: the compose file and the Dockerfiles are read
// as text (docker-compose.yml is kept to plain block YAML so that the small
// reader below is enough); compose's ${NAME:-default} values are read with
// their defaults. tests/integration/docker-lab.test.js runs the lab.

const test = require('../lib/test');
const assert = require('node:assert');
const fs = require('node:fs');
const path = require('node:path');
const { REPO } = require('../lib/common');

const DOCKER = path.join(REPO, 'docker');
const read = (rel) => fs.readFileSync(path.join(REPO, rel), 'utf8');

// ---- a small YAML reader: block maps and lists, scalars (plain, '...',
// "..."), comments. Enough for docker-compose.yml; refuses anything else.
function parseScalar(raw, where) {
  const s = raw.trim();
  if (s === '' || s === '~' || s === 'null') return null;
  if (s.startsWith('"')) {
    if (!s.endsWith('"') || s.length < 2) throw new Error(`${where}: unterminated "string"`);
    return JSON.parse(s);
  }
  if (s.startsWith("'")) {
    if (!s.endsWith("'") || s.length < 2) throw new Error(`${where}: unterminated 'string'`);
    return s.slice(1, -1).replace(/''/g, "'");
  }
  if (/^[[{&*!|>]/.test(s)) throw new Error(`${where}: flow style, anchors, tags and block scalars are not supported: ${s}`);
  if (/^-?\d+$/.test(s)) return Number(s);
  if (s === 'true' || s === 'false') return s === 'true';
  return s;
}

function stripComment(line) {
  let q = null;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (q) {
      if (c === q) q = null;
      else if (c === '\\' && q === '"') i++;
    } else if (c === '"' || c === "'") {
      q = c;
    } else if (c === '#' && (i === 0 || /\s/.test(line[i - 1]))) {
      return line.slice(0, i);
    }
  }
  return line;
}

// "key: value" -> [key, value] (value may be ''); null when not a mapping line
function splitKey(text) {
  const m = /^([A-Za-z0-9_.\-/]+):(?:\s+(.*))?$/.exec(text);
  return m ? [m[1], m[2] === undefined ? '' : m[2]] : null;
}

function parseYaml(text) {
  const lines = [];
  text.split('\n').forEach((l, i) => {
    const s = stripComment(l).replace(/\s+$/, '');
    if (s.trim() === '') return;
    if (/\t/.test(s.match(/^\s*/)[0])) throw new Error(`line ${i + 1}: tab indentation`);
    lines.push({ n: i + 1, indent: s.match(/^ */)[0].length, text: s.trim() });
  });
  let pos = 0;

  function block(indent) {
    const first = lines[pos];
    if (first.text.startsWith('- ') || first.text === '-') return list(indent);
    return map(indent);
  }

  function valueAfterKey(rest, indent, where) {
    if (rest !== '') return parseScalar(rest, where);
    if (pos < lines.length && lines[pos].indent > indent) return block(lines[pos].indent);
    return null;
  }

  function map(indent, into = {}) {
    while (pos < lines.length && lines[pos].indent === indent && !lines[pos].text.startsWith('- ')) {
      const l = lines[pos];
      const kv = splitKey(l.text);
      if (!kv) throw new Error(`line ${l.n}: expected "key: value", got ${l.text}`);
      if (Object.prototype.hasOwnProperty.call(into, kv[0])) throw new Error(`line ${l.n}: duplicate key ${kv[0]}`);
      pos++;
      into[kv[0]] = valueAfterKey(kv[1], indent, `line ${l.n}`);
    }
    if (pos < lines.length && lines[pos].indent > indent) {
      throw new Error(`line ${lines[pos].n}: unexpected indentation`);
    }
    return into;
  }

  function list(indent) {
    const out = [];
    while (pos < lines.length && lines[pos].indent === indent && lines[pos].text.startsWith('-')) {
      const l = lines[pos];
      const rest = l.text.replace(/^-\s*/, '');
      const kv = splitKey(rest);
      pos++;
      if (kv && !/^["']/.test(rest)) {
        // "- key: value" starts a map whose other keys sit at indent + 2
        const m = {};
        m[kv[0]] = valueAfterKey(kv[1], indent + 2, `line ${l.n}`);
        if (pos < lines.length && lines[pos].indent === indent + 2) map(indent + 2, m);
        out.push(m);
      } else if (rest === '') {
        out.push(pos < lines.length && lines[pos].indent > indent ? block(lines[pos].indent) : null);
      } else {
        out.push(parseScalar(rest, `line ${l.n}`));
      }
    }
    return out;
  }

  const doc = map(0);
  if (pos !== lines.length) throw new Error(`line ${lines[pos].n}: cannot parse ${lines[pos].text}`);
  return doc;
}

// ---- Dockerfiles: instructions with continuation lines joined
function parseDockerfile(text) {
  const out = [];
  let cur = '';
  for (const raw of text.split('\n')) {
    const l = raw.replace(/\s+$/, '');
    if (!cur && (/^\s*#/.test(l) || l.trim() === '')) continue;
    if (l.endsWith('\\')) {
      cur += `${l.slice(0, -1)} `;
      continue;
    }
    cur += l;
    const m = /^\s*([A-Za-z]+)\s+(.*)$/.exec(cur);
    if (m) out.push({ op: m[1].toUpperCase(), args: m[2].trim() });
    cur = '';
  }
  return out;
}

function copies(instrs) { // -> [{from, src, dst, stage}]
  const out = [];
  let stage = 0;
  for (const i of instrs) {
    if (i.op === 'FROM') stage++;
    if (i.op !== 'COPY') continue;
    const words = i.args.split(/\s+/);
    const from = words[0].startsWith('--from=') ? words.shift().slice(7) : null;
    const dst = words.pop();
    for (const src of words) out.push({ from, src, dst, stage });
  }
  return out;
}

// Container path -> repository path through the COPY lines of the last
// stage (the last COPY that provides the path wins, as in the image).
function repoPathOf(containerPath, instrs, workdir = '/') {
  const abs = path.posix.resolve(workdir, containerPath);
  const lastStage = instrs.filter((i) => i.op === 'FROM').length;
  for (const c of copies(instrs).reverse()) {
    if (c.stage !== lastStage || c.from) continue;
    const dst = path.posix.resolve(workdir, c.dst);
    if (c.src.endsWith('/')) {
      const dir = `${dst}/`;
      const rel = path.join(c.src, abs.slice(dir.length));
      if (abs.startsWith(dir) && fs.existsSync(path.join(REPO, rel))) return rel;
    } else if (abs === dst || (c.dst.endsWith('/') && abs === path.posix.join(dst, path.posix.basename(c.src)))) {
      return c.src;
    }
  }
  return null;
}

function workdirOf(instrs) {
  let w = '/';
  for (const i of instrs) if (i.op === 'WORKDIR') w = path.posix.resolve(w, i.args);
  return w;
}

// -A NAME=VALUE / -A NAME of a kamailio command line -> {NAME: value|true}
function defines(cmd) {
  const out = {};
  for (let i = 0; i < cmd.length; i++) {
    if (cmd[i] !== '-A') continue;
    const d = String(cmd[i + 1]);
    const eq = d.indexOf('=');
    if (eq < 0) out[d] = true;
    else out[d.slice(0, eq)] = d.slice(eq + 1).replace(/^"(.*)"$/, '$1');
  }
  return out;
}

const argAfter = (cmd, flag) => {
  const i = cmd.indexOf(flag);
  return i >= 0 ? String(cmd[i + 1]) : undefined;
};

// Default of a define in a cfg: #!define NAME V (under #!ifndef) or #!trydef NAME V
function cfgDefault(cfgText, name) {
  const m = new RegExp(`^#!(?:define|trydef)\\s+${name}\\s+(.+)$`, 'm').exec(cfgText);
  return m ? m[1].trim().replace(/^"(.*)"$/, '$1') : undefined;
}

function cfgKnows(cfgText, name) {
  return new RegExp(`^#!(?:ifdef|ifndef|define|trydef|redefine)\\s+${name}\\b`, 'm').test(cfgText);
}

function labDefault(name) {
  const m = new RegExp(`^${name}=\\$\\{${name}:-([^}]+)\\}`, 'm').exec(read('scripts/lab.sh'));
  return m ? m[1] : undefined;
}

// compose interpolation: ${NAME:-default} -> default, ${NAME} -> ''
const interpolate = (v) => String(v).replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g, (_, n, d) => d || '');
function resolveVars(v) {
  if (Array.isArray(v)) return v.map(resolveVars);
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, resolveVars(x)]));
  if (typeof v !== 'string') return v;
  const r = interpolate(v);
  return /^-?\d+$/.test(r) ? Number(r) : r;
}
const COMPOSE_TEXT = fs.readFileSync(path.join(DOCKER, 'docker-compose.yml'), 'utf8');
const RAW = parseYaml(COMPOSE_TEXT);
const compose = resolveVars(RAW);
const S = compose.services || {};
const dockerfiles = {};
for (const [name, svc] of Object.entries(S)) {
  if (svc && svc.build && svc.build.dockerfile) {
    const file = path.join(REPO, svc.build.dockerfile);
    if (fs.existsSync(file)) dockerfiles[name] = parseDockerfile(fs.readFileSync(file, 'utf8'));
  }
}
// kamailio.cfg with the settings it includes (its defines live there)
const EP_CFG = read('kamailio-cfg/kamailio.cfg') + read('kamailio-cfg/epcscf-settings.cfg');
const IMS_CFG = read('kamailio-cfg/ims-core.cfg');
const LAB_PROV = JSON.parse(read('kamailio-cfg/wwsf-provisioning.lab.json'));
// the raw (not interpolated) command of a service, as strings
const rawCmd = (svc) => RAW.services[svc].command.map(String);

test('the YAML reader reads what it must and refuses what it cannot', () => {
  assert.deepStrictEqual(parseYaml('a:\n  b: "x: y" # c\n  l:\n    - 1\n    - \'it\'\'s\'\n    - k: v\n      w: 2\n'),
    { a: { b: 'x: y', l: [1, "it's", { k: 'v', w: 2 }] } });
  assert.throws(() => parseYaml('a: [1, 2]\n'), /flow style/);
  assert.throws(() => parseYaml('a: 1\n  b: 2\n'), /indentation/);
});

test('compose interpolation is read with its defaults', () => {
  assert.strictEqual(interpolate('a=${X:-5060} b=${Y} c'), 'a=5060 b= c');
  assert.deepStrictEqual(resolveVars({ l: ['${P:-8000}', 'x${Q:-1}'] }), { l: [8000, 'x1'] });
});

test('compose has the four services, each built from an existing Dockerfile of docker/, on host networking', () => {
  assert.deepStrictEqual(Object.keys(S).sort(), ['epcscf', 'ims-core', 'sipp', 'wwsf']);
  for (const [name, svc] of Object.entries(S)) {
    assert.strictEqual(svc.build.context, '..', `${name}: the build context must be the repository root`);
    assert.match(svc.build.dockerfile, /^docker\/Dockerfile\.[a-z-]+$/, name);
    assert.ok(dockerfiles[name], `${name}: ${svc.build.dockerfile} missing`);
    assert.strictEqual(svc.build.network, 'host', `${name}: image builds use host networking (no bridge)`);
    assert.strictEqual(svc.image, `ims-wic/${name}:latest`, `${name}: image name`);
    assert.ok(Array.isArray(svc.command) && svc.command.length > 0, `${name}: command`);
    assert.strictEqual(svc.network_mode, 'host', `${name}: host networking (docs/decisions.md)`);
    assert.ok(!svc.ports && !svc.networks, `${name}: no published port, no network of its own`);
    assert.strictEqual(svc.init, true, `${name}: an init reaps and forwards signals`);
    assert.ok(svc.healthcheck && Array.isArray(svc.healthcheck.test), `${name}: no healthcheck`);
    const hc = dockerfiles[name].find((i) => i.op === 'HEALTHCHECK');
    assert.ok(hc, `${name}: the image has no HEALTHCHECK (docker run without compose)`);
  }
  assert.ok(!compose.networks, 'no compose network: every service is on host networking');
});

test('every COPY source exists and the eP-CSCF image builds the module like the Makefile', () => {
  for (const [name, instrs] of Object.entries(dockerfiles)) {
    assert.match(instrs[0].args, /bookworm/, `${name}: not based on Debian bookworm`);
    for (const c of copies(instrs)) {
      if (c.from) continue;
      assert.ok(fs.existsSync(path.join(REPO, c.src)), `${name}: COPY ${c.src}: no such file in the repository`);
    }
  }
  const ep = dockerfiles.epcscf;
  const runs = ep.filter((i) => i.op === 'RUN').map((i) => i.args).join('\n');
  assert.match(runs, /scripts\/kamailio-headers\.sh/);
  assert.match(runs, /scripts\/build-module\.sh/);
  const deps = read('scripts/setup-deps.sh');
  for (const pkg of ['kamailio-websocket-modules', 'kamailio-tls-modules', 'kamailio-lua-modules', 'libjansson-dev', 'libpcre2-dev', 'dpkg-dev']) {
    assert.ok(deps.includes(pkg), `setup-deps.sh no longer installs ${pkg}: update the test`);
    assert.ok(runs.includes(pkg), `Dockerfile.epcscf does not install ${pkg} (setup-deps.sh does)`);
  }
  const mod = defines(S.epcscf.command).WIC_MODULE;
  const built = copies(ep).find((c) => c.from === 'build' && c.dst === mod);
  assert.ok(built, `WIC_MODULE ${mod} is not copied from the build stage`);
  assert.match(built.src, /\/build\/ims_wic\.so$/);
});

test('the kamailio services run the repository cfgs with defines those cfgs know', () => {
  for (const [svc, cfg, text] of [['epcscf', 'kamailio-cfg/kamailio.cfg', EP_CFG],
    ['ims-core', 'kamailio-cfg/ims-core.cfg', IMS_CFG]]) {
    const cmd = S[svc].command.map(String);
    assert.strictEqual(cmd[0], 'kamailio');
    assert.ok(cmd.includes('-DD') && cmd.includes('-E'), `${svc}: kamailio must stay in the foreground, logging to stderr`);
    const f = argAfter(cmd, '-f');
    assert.strictEqual(repoPathOf(f, dockerfiles[svc]), cfg, `${svc}: -f ${f} is not ${cfg} in the image`);
    for (const name of Object.keys(defines(cmd))) {
      assert.ok(cfgKnows(text, name), `${svc}: -A ${name} is not a define of ${cfg}`);
    }
  }
  const ep = defines(S.epcscf.command);
  assert.strictEqual(ep.WITH_LAB_WS, true);
  // the provisioning is made at start from the lab file beside it, unless mounted
  const labProv = path.posix.join(path.posix.dirname(ep.PROVISIONING), 'wwsf-provisioning.lab.json');
  assert.strictEqual(repoPathOf(labProv, dockerfiles.epcscf), 'kamailio-cfg/wwsf-provisioning.lab.json');
  const entry = read('docker/epcscf-entrypoint.sh');
  assert.ok(entry.includes(`$dir/${path.posix.basename(ep.PROVISIONING)}`) &&
    entry.includes('$dir/wwsf-provisioning.lab.json'), 'epcscf-entrypoint.sh makes the provisioning from the lab file');
  assert.ok(entry.includes(`dir=${path.posix.dirname(ep.PROVISIONING)}`), 'epcscf-entrypoint.sh: provisioning directory');
  // the CMD of each image is the compose command (docker run without compose behaves alike)
  for (const svc of ['epcscf', 'ims-core']) {
    const cmdLine = dockerfiles[svc].find((i) => i.op === 'CMD');
    const fromImage = JSON.parse(cmdLine.args);
    const d = defines(fromImage);
    for (const [k, v] of Object.entries(d)) {
      assert.strictEqual(defines(S[svc].command)[k], v, `${svc}: -A ${k} of the image CMD differs in compose`);
    }
  }
});

test('ports: compose = cfg defaults = scripts/lab.sh = WWSF = provisioning', () => {
  const want = {
    sip: Number(cfgDefault(EP_CFG, 'SIP_PORT')),
    wss: Number(cfgDefault(EP_CFG, 'WSS_PORT')),
    ws: Number(cfgDefault(EP_CFG, 'WS_PORT')),
    ims: Number(cfgDefault(IMS_CFG, 'IMS_PORT')),
    imsUa: Number(new URL(cfgDefault(IMS_CFG, 'IMS_UA').replace(/^sip:/, 'sip://')).port),
    wwsf: Number(new URL(LAB_PROV.wwsfs.find((w) => w.id === 'demo').origins[0]).port),
  };
  assert.deepStrictEqual(want, { sip: 5060, wss: 8443, ws: 8080, ims: 5070, imsUa: 5090, wwsf: 8000 });
  assert.deepStrictEqual({
    sip: Number(labDefault('LAB_SIP_PORT')), wss: Number(labDefault('LAB_WSS_PORT')),
    ws: Number(labDefault('LAB_WS_PORT')), ims: Number(labDefault('LAB_IMS_PORT')),
    imsUa: Number(labDefault('LAB_IMS_UA_PORT')), wwsf: Number(labDefault('LAB_WWSF_PORT')),
  }, want, 'scripts/lab.sh defaults');
  assert.match(read('lab/wwsf/server.js'), new RegExp(`WWSF_PORT \\|\\| '${want.wwsf}'`));

  const exposed = (svc) => dockerfiles[svc].filter((i) => i.op === 'EXPOSE').map((i) => i.args).join(' ').split(/\s+/);
  for (const [svc, ports] of [['epcscf', [`${want.sip}/udp`, `${want.sip}/tcp`, `${want.wss}/tcp`, `${want.ws}/tcp`]],
    ['ims-core', [`${want.ims}/udp`, `${want.ims}/tcp`]], ['wwsf', [`${want.wwsf}/tcp`]], ['sipp', [`${want.imsUa}/udp`]]]) {
    for (const p of ports) assert.ok(exposed(svc).includes(p), `${svc}: ${p} not EXPOSEd`);
  }
  // every port follows the LAB_* variable of scripts/lab.sh
  const raw = (svc) => rawCmd(svc).join(' ');
  for (const [svc, frag] of [['epcscf', 'SIP_PORT=${LAB_SIP_PORT:-'], ['epcscf', 'WSS_PORT=${LAB_WSS_PORT:-'],
    ['epcscf', 'WS_PORT=${LAB_WS_PORT:-'], ['ims-core', 'IMS_PORT=${LAB_IMS_PORT:-'],
    ['ims-core', '${LAB_IMS_UA_PORT:-'], ['wwsf', '${LAB_WWSF_PORT:-'], ['sipp', '${LAB_IMS_UA_PORT:-']]) {
    assert.ok(raw(svc).includes(frag), `${svc}: ${frag} not in the command`);
  }
  const ep = defines(S.epcscf.command);
  assert.strictEqual(Number(ep.SIP_PORT), want.sip);
  assert.strictEqual(Number(ep.WSS_PORT), want.wss);
  assert.strictEqual(Number(ep.WS_PORT), want.ws);
  const ims = defines(S['ims-core'].command);
  assert.strictEqual(Number(ims.IMS_PORT), want.ims);

  const w = S.wwsf.command.map(String);
  assert.strictEqual(Number(argAfter(w, '--port')), want.wwsf);
  assert.strictEqual(argAfter(w, '--iss'), LAB_PROV.wwsfs.find((x) => x.id === 'demo').issuers[0]);
  assert.ok(LAB_PROV.wwsfs.find((x) => x.id === 'demo').origins.includes(`http://127.0.0.1:${want.wwsf}`));
  assert.strictEqual(argAfter(w, '--ws-url'), `wss://127.0.0.1:${want.wss}`);
  assert.strictEqual(argAfter(w, '--ws-plain-url'), `ws://127.0.0.1:${want.ws}`);
  assert.strictEqual(argAfter(w, '--kid'), LAB_PROV.wwsfs.find((x) => x.id === 'demo').keys[0].kid);
  assert.strictEqual(repoPathOf(w[1], dockerfiles.wwsf, workdirOf(dockerfiles.wwsf)), 'lab/wwsf/server.js');

  const s = S.sipp.command.map(String);
  assert.strictEqual(Number(argAfter(s, '-p')), want.imsUa);
  assert.strictEqual(repoPathOf(argAfter(s, '-sf'), dockerfiles.sipp), 'lab/sipp/uas-answer-webrtc.xml');
  // the health checks look at the same ports
  assert.strictEqual(String(S.sipp.healthcheck.test.slice(-1)[0]), String(want.imsUa));
  assert.ok(S.wwsf.healthcheck.test.join(' ').includes(`:${want.wwsf}/healthz`));
});

test('addresses: every service binds LAB_IP (loopback by default) and the defines point at it', () => {
  const ep = defines(S.epcscf.command);
  const ims = defines(S['ims-core'].command);
  const ip = '127.0.0.1';
  assert.strictEqual(labDefault('LAB_IP'), ip);
  assert.strictEqual(ep.EPCSCF_IP, ip);
  assert.strictEqual(ep.IMS_CORE, ip);
  assert.strictEqual(ep.IMS_CORE_URI, `sip:${ip}:${ims.IMS_PORT}`);
  assert.strictEqual(ims.IMS_LISTEN_IP, ip);
  assert.strictEqual(ims.IMS_UA, `sip:${ip}:${argAfter(S.sipp.command.map(String), '-p')}`);
  assert.strictEqual(argAfter(S.sipp.command.map(String), '-i'), ip);
  assert.strictEqual(argAfter(S.wwsf.command.map(String), '--host'), ip);
  for (const [svc, frag] of [['epcscf', 'EPCSCF_IP="${LAB_IP:-'], ['epcscf', 'IMS_CORE="${LAB_IP:-'],
    ['ims-core', 'IMS_LISTEN_IP=${LAB_IP:-'], ['sipp', '${LAB_IP:-'], ['wwsf', '--host ${LAB_IP:-']]) {
    assert.ok(rawCmd(svc).join(' ').includes(frag), `${svc}: ${frag} not in the command`);
  }
  // the same ctl socket in the command and in the healthcheck
  const ctl = defines(S['ims-core'].command).CTL_SOCK;
  assert.strictEqual(argAfter(S['ims-core'].healthcheck.test.map(String), '-s'), ctl, 'ims-core: healthcheck socket');
  assert.ok(read('docker/epcscf-health.sh').includes(`CTL_SOCK:-${ep.CTL_SOCK}`), 'epcscf-health.sh: ctl socket');
});

test('the WWSF keys reach the eP-CSCF where the provisioning names them', () => {
  const provDir = path.posix.dirname(defines(S.epcscf.command).PROVISIONING);
  const mountOf = (svc) => (S[svc].volumes || []).map((v) => v.split(':'))
    .find(([vol]) => vol === 'wwsf-keys');
  const epMount = mountOf('epcscf');
  const wwsfMount = mountOf('wwsf');
  assert.ok(epMount && wwsfMount, 'both services mount the volume wwsf-keys');
  assert.ok(Object.prototype.hasOwnProperty.call(compose.volumes, 'wwsf-keys'));
  for (const w of LAB_PROV.wwsfs) {
    for (const k of w.keys) {
      assert.ok(!path.isAbsolute(k.pem), `${w.id}: key paths of the lab provisioning are relative`);
      const inEp = path.posix.join(provDir, k.pem);
      assert.ok(inEp.startsWith(`${epMount[1]}/`), `${w.id}: ${inEp} is not in the keys volume (${epMount[1]})`);
      // the WWSF container makes <id>.pem and <id>-es256.pub.pem in its mount
      assert.strictEqual(path.posix.basename(k.pem), `${w.id}-es256.pub.pem`);
    }
  }
  const key = argAfter(S.wwsf.command.map(String), '--key');
  assert.strictEqual(path.posix.dirname(key), wwsfMount[1]);
  assert.strictEqual(path.posix.basename(key), 'demo.pem');
  const keysSh = fs.readFileSync(path.join(DOCKER, 'wwsf-keys.sh'), 'utf8');
  assert.match(keysSh, /for w in demo other/);
  assert.match(keysSh, /\$w-es256\.pub\.pem/);
  // scripts/lab.sh makes the same names
  const lab = read('scripts/lab.sh');
  assert.match(lab, /for w in demo other/);
  assert.match(lab, /\$KEYS\/\$w-es256\.pub\.pem/);
});

test('docker/README.md says how to run it', () => {
  const readme = fs.readFileSync(path.join(DOCKER, 'README.md'), 'utf8');
  assert.match(readme, /docker compose -f docker\/docker-compose\.yml (up|build)/);
  assert.match(readme, /make docker-lab\b/);
  assert.match(readme, /debootstrap/);
  for (const p of ['8000', '8443', '5070']) assert.ok(readme.includes(p), `README does not mention port ${p}`);
});
