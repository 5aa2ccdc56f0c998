// SPDX-License-Identifier: GPL-2.0-or-later
// Copyright (C) 2026 the ims_wic authors
'use strict';
// Self-test of tests/lib/wic.js (JsSIP over `ws`, raw SIP-over-WS UA,
// openRawWs) against a real stock Kamailio acting as a minimal WS/WSS
// registrar with an Origin allow-list.  It does not use the ims_wic module:
// it proves the client side of the test harness, so that a failing eP-CSCF
// test points at the eP-CSCF and not at the helpers.

const test = require('../lib/test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { execFileSync } = require('node:child_process');
const { startKamailio } = require('../lib/kamailio');
const { createWic, openRawWs, parseSip } = require('../lib/wic');
const { pollUntil } = require('../lib/common');

const BASE = Number(process.env.TEST_WIC_LIB_PORT || 18000);
const WS_PORT = BASE + 80;
const WSS_PORT = BASE + 443;
const ORIGIN = 'https://wwsf.lab';
const WS_URL = `ws://127.0.0.1:${WS_PORT}`;
const WSS_URL = `wss://127.0.0.1:${WSS_PORT}`;

const CFG = `#!KAMAILIO
debug=2
log_stderror=yes
children=2
tcp_children=2
auto_aliases=no
enable_tls=yes
tcp_accept_no_cl=yes
listen=tcp:127.0.0.1:WS_PORT
listen=tls:127.0.0.1:WSS_PORT
alias="mock.lab"

loadmodule "kex.so"
loadmodule "corex.so"
loadmodule "tm.so"
loadmodule "sl.so"
loadmodule "rr.so"
loadmodule "pv.so"
loadmodule "textops.so"
loadmodule "siputils.so"
loadmodule "xlog.so"
loadmodule "sanity.so"
loadmodule "ctl.so"
loadmodule "tls.so"
loadmodule "xhttp.so"
loadmodule "websocket.so"
loadmodule "nathelper.so"
loadmodule "usrloc.so"
loadmodule "registrar.so"

#!ifdef CTL_SOCK
modparam("ctl", "binrpc", CTL_SOCK)
#!endif
modparam("tls", "certificate", TLS_CERT)
modparam("tls", "private_key", TLS_KEY)
modparam("tls", "verify_certificate", 0)
modparam("tls", "require_certificate", 0)
modparam("tls", "tls_method", "TLSv1.2+")
modparam("nathelper", "received_avp", "$avp(RECEIVED)")
modparam("registrar", "received_avp", "$avp(RECEIVED)")
modparam("registrar", "max_expires", 300)

event_route[xhttp:request] {
	if ($hdr(Origin) != ALLOWED_ORIGIN) {
		xlog("L_NOTICE", "mock: refused Origin [$hdr(Origin)]\\n");
		xhttp_reply("403", "Forbidden", "text/plain", "origin not allowed");
		exit;
	}
	if ($hdr(Upgrade) =~ "websocket" && $hdr(Connection) =~ "Upgrade") {
		if (ws_handle_handshake()) {
			xlog("L_NOTICE", "mock: ws handshake ok from $si:$sp\\n");
			exit;
		}
	}
	xhttp_reply("404", "Not Found", "", "");
}

onreply_route {
	if (nat_uac_test("64")) add_contact_alias();
}

event_route[websocket:closed] {
	xlog("L_NOTICE", "mock: ws closed $conid\\n");
}

request_route {
	if (!sanity_check("17895", "7")) exit;
	if (nat_uac_test("64")) {
		force_rport();
		if (is_method("REGISTER")) fix_nated_register();
		else if (!has_totag()) add_contact_alias();
	}
	if (has_totag()) {
		if (loose_route()) {
			handle_ruri_alias();
			t_relay();
			exit;
		}
		if (is_method("ACK")) { if (t_check_trans()) t_relay(); exit; }
		sl_send_reply("404", "Not here");
		exit;
	}
	if (is_method("CANCEL")) { if (t_check_trans()) t_relay(); exit; }
	if (is_method("OPTIONS") && $rU == $null) { sl_send_reply("200", "Keepalive"); exit; }
	if (is_method("REGISTER")) {
		$var(src) = "";
		if ($hdr(Authorization) =~ "^Bearer [A-Za-z0-9_-]+\\\\.[A-Za-z0-9_-]+\\\\.[A-Za-z0-9_-]*$") {
			$var(src) = "header";
		} else if ($cT =~ "^application/jwt" || ($cT =~ "^multipart/mixed" && $rb =~ "Content-Type: application/jwt")) {
			$var(src) = "body";
		}
		if ($var(src) == "") {
			append_to_reply("WWW-Authenticate: Bearer realm=\\"mock.lab\\"\\r\\n");
			send_reply("401", "Unauthorized");
			exit;
		}
		append_to_reply("X-Token-Source: $var(src)\\r\\n");
		xlog("L_NOTICE", "mock: REGISTER $tu token in $var(src) ct=[$ct]\\n");
		if (!save("location")) sl_reply_error();
		exit;
	}
	record_route();
	if (!lookup("location")) {
		sl_send_reply("404", "Not Found");
		exit;
	}
	xlog("L_NOTICE", "mock: $rm to $ru via $du\\n");
	t_relay();
}
`.replace(/WS_PORT/g, String(WS_PORT)).replace(/WSS_PORT/g, String(WSS_PORT));

const FAKE_JWT = 'eyJhbGciOiJFUzI1NiJ9.eyJpbXB1Ijoic2lwOmRlbW8xQHd3c2YubGFiIn0.c2ln';

let kam;
let tmp;
const wics = [];

function wic(opts) {
  const w = createWic({ url: WSS_URL, origin: ORIGIN, token: FAKE_JWT, ...opts });
  wics.push(w);
  return w;
}

test.before(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'wic-lib-'));
  const key = path.join(tmp, 'key.pem');
  const cert = path.join(tmp, 'cert.pem');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes',
    '-keyout', key, '-out', cert, '-days', '2', '-subj', '/CN=127.0.0.1'], { stdio: 'ignore', timeout: 30000 });
  fs.writeFileSync(path.join(tmp, 'mock.cfg'), CFG);
  kam = await startKamailio({
    name: 'wic-lib-mock',
    cfg: path.join(tmp, 'mock.cfg'),
    strDefines: { TLS_CERT: cert, TLS_KEY: key, ALLOWED_ORIGIN: ORIGIN },
    wait: [{ proto: 'tcp', port: WS_PORT }, { proto: 'tcp', port: WSS_PORT }],
  });
});

test.after(async () => {
  for (const w of wics) await w.close().catch(() => {});
  if (kam) await kam.stop();
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

test('openRawWs: refused Origin reports HTTP 403 and no upgrade', async () => {
  const raw = await openRawWs({ url: WS_URL, origin: 'https://evil.example' });
  assert.equal(raw.opened, false);
  assert.equal(raw.upgradeStatus, 403);
  await kam.waitForLog(/refused Origin \[https:\/\/evil\.example\]/, 3000);
});

test('openRawWs: allowed Origin over WSS upgrades with subprotocol sip; raw OPTIONS gets 200', async () => {
  const raw = await openRawWs({ url: WSS_URL, origin: ORIGIN });
  assert.equal(raw.opened, true);
  assert.equal(raw.upgradeStatus, 101);
  assert.equal(raw.protocol, 'sip');
  raw.send([
    'OPTIONS sip:127.0.0.1 SIP/2.0',
    'Via: SIP/2.0/WSS raw.invalid;branch=z9hG4bKraw1',
    'Max-Forwards: 70',
    'From: <sip:raw@wwsf.lab>;tag=r1',
    'To: <sip:127.0.0.1>',
    'Call-ID: raw-options-1',
    'CSeq: 1 OPTIONS',
    'Content-Length: 0', '', ''].join('\r\n'));
  const m = parseSip(await raw.nextMessage(3000));
  assert.equal(m.status, 200);
  assert.equal(m.callId, 'raw-options-1');
  const c = await raw.close();
  assert.equal(c.code, 1000);
});

test('JsSIP WIC (bearer) registers over WSS: Authorization: Bearer sent, 200 result with headers', async () => {
  const w = wic({ impu: 'sip:demo1@wwsf.lab', contactUser: 'tab1', registerExpires: 120 });
  const r = await w.register();
  assert.equal(r.code, 200, r.reason);
  assert.equal(r.header('X-Token-Source'), 'header');
  assert.match(r.header('Contact'), /sip:tab1@[^;>]+\.invalid;transport=ws/i);
  assert.match(r.raw, /expires=120/);
  assert.equal(w.ua.isRegistered(), true, 'JsSIP itself saw the registration');
  const sent = (await pollUntil(() => kam.logContains(/REGISTER sip:demo1@wwsf\.lab token in header/), { timeoutMs: 2000 }));
  assert.ok(sent);
});

test('JsSIP WIC without token: failure result (401 + WWW-Authenticate Bearer)', async () => {
  const w = wic({ impu: 'sip:demo2@wwsf.lab', token: null, url: WS_URL });
  const r = await w.register();
  assert.equal(r.code, 401);
  assert.match(r.header('WWW-Authenticate'), /^Bearer realm="mock\.lab"/);
});

test('JsSIP WIC with a refused Origin: register() resolves with upgradeStatus 403', async () => {
  const w = wic({ impu: 'sip:demo3@wwsf.lab', origin: 'https://evil.example' });
  const r = await w.register();
  assert.equal(r.code, 0);
  assert.equal(r.upgradeStatus, 403);
});

for (const bodyFormat of ['jwt', 'multipart']) {
  test(`raw WIC, authMode body (${bodyFormat}): token in the body, no Authorization header`, async () => {
    const w = wic({ impu: `sip:demo-body-${bodyFormat}@wwsf.lab`, authMode: 'body', bodyFormat });
    const r = await w.register();
    assert.equal(r.code, 200, r.reason);
    assert.equal(r.header('X-Token-Source'), 'body');
    assert.doesNotMatch(r.sent || '', /^Authorization:/m);
    const u = await w.unregister();
    assert.equal(u.code, 200);
    assert.equal(u.header('Contact'), undefined, 'no binding left');
  });
}

test('calls between two WICs: INVITE/200/ACK/BYE through Kamailio, and a rejected call', async () => {
  const a = wic({ impu: 'sip:alice@wwsf.lab', contactUser: 'alice' });
  const b = wic({ impu: 'sip:bob@wwsf.lab', contactUser: 'bob', url: WS_URL });
  assert.equal((await a.register()).code, 200);
  assert.equal((await b.register()).code, 200);

  const incoming = b.waitForIncoming(5000);
  const call = await a.call('sip:bob@wwsf.lab', { extraHeaders: ['X-Test: 1'] });
  assert.equal(call.code, 200, call.reason);
  const inc = await incoming;
  assert.equal(inc.header('X-Test'), '1');
  assert.match(inc.ruri, /^sip:bob@[^;]+\.invalid;transport=ws/);
  assert.match(call.response.body, /^v=0/);
  await inc.waitForAck(3000);
  const bye = await call.bye();
  assert.equal(bye.code, 200);
  await inc.waitForBye(3000);

  // callee side ends the call this time
  const c2 = await a.call('sip:bob@wwsf.lab');
  const inc2 = await b.waitForIncoming(3000);
  await inc2.waitForAck(3000);
  const bye2 = await inc2.bye();
  assert.equal(bye2.code, 200);
  await c2.waitForBye(3000);

  b.onIncoming((i) => i.reject(486, 'Busy Here'));
  const busy = await a.call('sip:bob@wwsf.lab');
  assert.equal(busy.code, 486);

  const none = await a.call('sip:nobody@wwsf.lab');
  assert.equal(none.code, 404);
});

test('close() drops the WebSocket without un-REGISTER; later requests fail fast', async () => {
  const w = wic({ impu: 'sip:closer@wwsf.lab', url: WS_URL });
  assert.equal((await w.register()).code, 200);
  const mark = kam.logMark();
  const closed = await w.close();
  assert.equal(closed.code, 1000);
  await kam.waitForLog(/mock: ws closed/, 15000, { from: mark });
  assert.equal(kam.logContains(/REGISTER sip:closer@wwsf\.lab/, { from: mark }), null, 'no un-REGISTER sent');
  const r = await w.request('MESSAGE', 'sip:alice@wwsf.lab', { body: 'hi' });
  assert.equal(r.code, 0);
});
