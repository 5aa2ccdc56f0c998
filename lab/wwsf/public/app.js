// SPDX-License-Identifier: GPL-2.0-or-later
// Copyright (C) 2026 the ims_wic authors
/* The WIC of the ims_wic lab: gets a token from the WWSF that served this
 * page, registers with the eP-CSCF over WSS with JsSIP (the token goes in
 * "Authorization: Bearer"), places and answers audio calls.
 *
 * Query flags: ?ws=1   use the plain WS listener of the lab (ws://...:8080)
 *              ?debug=1  JsSIP debug output in the console
 *
 * State shown in the DOM (tests poll it):
 *   #token-state  none | fetching | ok | failed: ...
 *   #ws-state     disconnected | connecting | connected | disconnected (error)
 *   #reg-state    unregistered | registering | registered | failed: <code> <reason>
 *   #call-state   idle | calling | ringing | incoming | answering | established |
 *                 ended: <cause> | failed: <cause> [<code> <reason>]
 */
'use strict';

(function () {
  const $ = (id) => document.getElementById(id);
  const params = new URLSearchParams(location.search);
  const wic = { token: null, impu: null, impi: null, wsUrl: null, ua: null, session: null };
  window.wic = wic; // for the console

  if (params.get('debug') === '1') JsSIP.debug.enable('JsSIP:*');
  else JsSIP.debug.disable();

  function log(msg) {
    const li = document.createElement('li');
    li.textContent = `${new Date().toISOString().slice(11, 23)} ${msg}`;
    $('log').appendChild(li);
    $('log').scrollTop = $('log').scrollHeight;
    console.log(`[wic] ${msg}`);
  }

  function setState(id, text, cls) {
    const el = $(id);
    el.textContent = text;
    el.className = cls || '';
  }

  function buttons() {
    const reg = $('reg-state').textContent;
    const s = wic.session;
    $('register').disabled = !wic.token || (wic.ua && wic.ua.isConnected() && reg === 'registered');
    $('unregister').disabled = !wic.ua;
    $('call').disabled = reg !== 'registered' || !!s;
    $('answer').disabled = !(s && s.direction === 'incoming' && !s.isEstablished() && !s.isEnded() &&
      $('call-state').textContent === 'incoming');
    $('hangup').disabled = !s;
  }

  $('origin').textContent = location.origin;

  // ---- 1. token from the WWSF -------------------------------------------
  async function login(anon) {
    const q = new URLSearchParams();
    if (anon) q.set('anon', '1');
    else q.set('user', $('user').value.trim());
    if (params.get('ws') === '1') q.set('ws', '1');
    setState('token-state', 'fetching', 'busy');
    try {
      const r = await fetch(`/token?${q}`, { cache: 'no-store' });
      const body = await r.json();
      if (!r.ok) throw new Error(body.error || `HTTP ${r.status}`);
      stopUa();
      Object.assign(wic, { token: body.token, impu: body.impu, impi: body.impi, wsUrl: body.ws_url });
      setState('token-state', 'ok', 'ok');
      $('impu').textContent = body.impu;
      $('impi').textContent = body.impi;
      $('ws-url').textContent = body.ws_url;
      log(`token for ${body.impu} (expires ${new Date(JSON.parse(atob(body.token.split('.')[1]
        .replace(/-/g, '+').replace(/_/g, '/'))).exp * 1000).toISOString()})`);
    } catch (e) {
      setState('token-state', `failed: ${e.message}`, 'bad');
      log(`token refused: ${e.message}`);
    }
    buttons();
  }

  $('login-form').addEventListener('submit', (ev) => { ev.preventDefault(); login(false); });
  $('login-anon').addEventListener('click', () => login(true));

  // ---- 2. registration -----------------------------------------------------
  function stopUa() {
    if (!wic.ua) return;
    const ua = wic.ua;
    wic.ua = null;
    ua.removeAllListeners();
    ua.stop();
    setState('ws-state', 'disconnected');
    setState('reg-state', 'unregistered');
  }

  function register() {
    stopUa();
    const ua = new JsSIP.UA({
      sockets: [new JsSIP.WebSocketInterface(wic.wsUrl)],
      uri: wic.impu,
      authorization_user: wic.impi,
      authorization_jwt: `Bearer ${wic.token}`,
      register: true,
      register_expires: 600,
      session_timers: false,
      user_agent: `ims_wic lab WIC (JsSIP ${JsSIP.version})`,
      connection_recovery_min_interval: 2,
      connection_recovery_max_interval: 30,
    });
    wic.ua = ua;
    setState('ws-state', 'connecting', 'busy');
    setState('reg-state', 'registering', 'busy');

    ua.on('connecting', () => setState('ws-state', 'connecting', 'busy'));
    ua.on('connected', () => { setState('ws-state', 'connected', 'ok'); log(`WebSocket ${wic.wsUrl} open`); });
    ua.on('disconnected', (e) => {
      setState('ws-state', e && e.error ? 'disconnected (error)' : 'disconnected', e && e.error ? 'bad' : '');
      log(`WebSocket ${wic.wsUrl} closed${e && e.code ? ` (code ${e.code})` : ''}${e && e.error ? ' with an error' : ''}`);
      const reg = $('reg-state').textContent;
      if (reg === 'registering' || reg === 'registered') {
        setState('reg-state', e && e.error ? 'failed: WebSocket connection failed' : 'unregistered', 'bad');
      }
      buttons();
    });
    ua.on('registered', (e) => {
      const exp = e.response && e.response.getHeader('Expires');
      setState('reg-state', 'registered', 'ok');
      log(`registered as ${wic.impu}${exp ? ` (Expires ${exp})` : ''}`);
      buttons();
    });
    ua.on('unregistered', (e) => {
      setState('reg-state', 'unregistered');
      log(`unregistered${e && e.response ? `: ${e.response.status_code} ${e.response.reason_phrase}` : ''}`);
      buttons();
    });
    ua.on('registrationFailed', (e) => {
      const r = e.response;
      const why = r ? `${r.status_code} ${r.reason_phrase}` : e.cause;
      const warning = r && r.getHeader('Warning');
      setState('reg-state', `failed: ${why}`, 'bad');
      log(`registration refused: ${why}${warning ? ` (Warning: ${warning})` : ''}`);
      buttons();
    });
    ua.on('newRTCSession', (e) => onSession(e.session, e.originator === 'remote'));
    ua.start();
    log(`registering ${wic.impu} at ${wic.wsUrl}`);
    buttons();
  }

  $('register').addEventListener('click', register);
  $('unregister').addEventListener('click', () => {
    if (wic.ua && wic.ua.isRegistered()) wic.ua.unregister();
    else stopUa();
    buttons();
  });

  // ---- 3. calls ------------------------------------------------------------
  const MEDIA = { audio: true, video: false };

  function onSession(s, incoming) {
    if (wic.session) {
      if (incoming) s.terminate({ status_code: 486, reason_phrase: 'Busy Here' });
      return;
    }
    wic.session = s;
    const peer = s.remote_identity.uri.toString();
    $('call-peer').textContent = `${incoming ? 'from' : 'to'} ${peer}`;
    setState('call-state', incoming ? 'incoming' : 'calling', 'busy');
    log(`${incoming ? 'incoming call from' : 'calling'} ${peer}`);

    const attach = (pc) => {
      pc.addEventListener('track', (ev) => {
        $('remote-audio').srcObject = ev.streams[0] || new MediaStream([ev.track]);
      });
    };
    if (s.connection) attach(s.connection);
    else s.on('peerconnection', (ev) => attach(ev.peerconnection));

    s.on('progress', () => {
      if (!incoming) setState('call-state', 'ringing', 'busy');
    });
    s.on('accepted', () => setState('call-state', 'established', 'ok'));
    s.on('confirmed', () => { setState('call-state', 'established', 'ok'); log('call established'); buttons(); });
    s.on('ended', (ev) => {
      setState('call-state', `ended: ${ev.cause}`);
      log(`call ended by ${ev.originator}: ${ev.cause}`);
      wic.session = null;
      buttons();
    });
    s.on('failed', (ev) => {
      const r = ev.message && ev.message.status_code ? ` ${ev.message.status_code} ${ev.message.reason_phrase}` : '';
      setState('call-state', `failed: ${ev.cause}${r}`, 'bad');
      log(`call failed (${ev.originator}): ${ev.cause}${r}`);
      wic.session = null;
      buttons();
    });
    buttons();
  }

  $('call-form').addEventListener('submit', (ev) => {
    ev.preventDefault();
    if (!wic.ua || wic.session) return;
    wic.ua.call($('target').value.trim(), { mediaConstraints: MEDIA, pcConfig: { iceServers: [] } });
  });
  $('answer').addEventListener('click', () => {
    if (!wic.session) return;
    setState('call-state', 'answering', 'busy');
    wic.session.answer({ mediaConstraints: MEDIA, pcConfig: { iceServers: [] } });
    buttons();
  });
  $('hangup').addEventListener('click', () => {
    if (wic.session) wic.session.terminate();
  });

  window.addEventListener('beforeunload', () => { if (wic.ua) wic.ua.stop(); });
  buttons();
}());
