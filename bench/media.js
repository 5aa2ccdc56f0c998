// SPDX-License-Identifier: GPL-2.0-or-later
// Copyright (C) 2026 the ims_wic authors
'use strict';
// bench/media.js - the media phase of `make bench`: concurrent calls with
// real RTP through the eIMS-AGW (Debian's rtpengine, userspace forwarding),
// set up over the ng protocol as kamailio.cfg does, and the AGW's CPU per
// call, without and with transcoding.
//
//   relay      both legs RTP/AVP PCMA: the AGW only relays (what a browser
//              that picks G.711 costs, less its SRTP)
//   transcode  one leg PCMA, the other Opus (the offer to it masks PCMA and
//              adds Opus, as MEDIA_CODECS_TO_WIC can): PCMA->Opus one way,
//              Opus->PCMA the other, every packet
//
// Leg A sends 20 ms PCMA packets (the audio of the G.711 A-law capture
// Debian's sipp ships, looped) to the AGW; leg B echoes whatever it gets
// back to the AGW; leg A counts what comes back. CPU: utime+stime of the
// rtpengine process over the measured window (/proc/<pid>/stat).
//
//   node bench/media.js <out.json>      env: BENCH_MEDIA_CALLS_RELAY (100),
//   BENCH_MEDIA_CALLS_TRANSCODE (30), BENCH_MEDIA_SECONDS (15),
//   BENCH_MEDIA_MODES ("relay transcode")
// Loopback only; every socket and the rtpengine it starts are closed at
// the end, whatever fails.

const fs = require('node:fs');
const dgram = require('node:dgram');
const { startRtpengine, request } = require('../tests/lib/rtpengine');
const { killTracked } = require('../tests/lib/common');

// concurrent calls per mode: transcoding costs about twenty times a relay
const CALLS_OF = {
  relay: Number(process.env.BENCH_MEDIA_CALLS_RELAY || 100),
  transcode: Number(process.env.BENCH_MEDIA_CALLS_TRANSCODE || 30),
};
const SECONDS = Number(process.env.BENCH_MEDIA_SECONDS || 15);
const MODES = (process.env.BENCH_MEDIA_MODES || 'relay transcode').split(/\s+/).filter(Boolean);
const PCAP = '/usr/share/sip-tester/g711a.pcap';
const WARMUP_MS = 2000;
const TICK = Number(require('node:child_process').execSync('getconf CLK_TCK').toString().trim()) || 100;

// The A-law audio of the capture (its RTP payloads, 30 ms each), cut into
// 20 ms payloads of 160 bytes.
function pcmaFrames() {
  const d = fs.readFileSync(PCAP);
  const audio = [];
  let off = 24;
  while (off + 16 <= d.length) {
    const incl = d.readUInt32LE(off + 8);
    const pkt = d.subarray(off + 16, off + 16 + incl);
    off += 16 + incl;
    // Ethernet (14) + IPv4 (ihl) + UDP (8) + RTP (12), payload type 8
    const ihl = (pkt[14] & 0x0f) * 4;
    const rtp = pkt.subarray(14 + ihl + 8);
    if (rtp.length > 12 && (rtp[1] & 0x7f) === 8) audio.push(rtp.subarray(12));
  }
  const all = Buffer.concat(audio);
  const out = [];
  for (let i = 0; i + 160 <= all.length; i += 160) out.push(Buffer.from(all.subarray(i, i + 160)));
  if (!out.length) throw new Error(`no PCMA audio in ${PCAP}`);
  return out;
}

function cpuTicks(pid) {
  const st = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = st.slice(st.lastIndexOf(')') + 2).split(' ');
  return Number(f[11]) + Number(f[12]); // utime stime
}

const sdp = (port, pt, rtpmap) => ['v=0', 'o=- 1 1 IN IP4 127.0.0.1', 's=-', 'c=IN IP4 127.0.0.1', 't=0 0',
  `m=audio ${port} RTP/AVP ${pt}`, `a=rtpmap:${pt} ${rtpmap}`, 'a=ptime:20', 'a=sendrecv', ''].join('\r\n');

function bindSocket() {
  return new Promise((resolve, reject) => {
    const s = dgram.createSocket('udp4');
    s.once('error', reject);
    s.bind(0, '127.0.0.1', () => resolve(s));
  });
}

const mediaPort = (body) => Number(/^m=audio (\d+) /m.exec(body)[1]);

async function runMode(mode, frames) {
  const CALLS = CALLS_OF[mode];
  if (!CALLS) throw new Error(`unknown mode ${mode}`);
  const agw = await startRtpengine({ name: `bench-media-${mode}`, portMin: 33000, portMax: 34999,
    extraArgs: ['--log-level=4'] });
  const sockets = [];
  const calls = [];
  try {
    for (let i = 0; i < CALLS; i++) {
      const a = await bindSocket();
      const b = await bindSocket();
      sockets.push(a, b);
      const callId = `bench-${mode}-${i}-${process.pid}`;
      const offerFlags = { command: 'offer', 'call-id': callId, 'from-tag': 'a', 'transport-protocol': 'RTP/AVP',
        ICE: 'remove', replace: ['origin', 'session-connection'], sdp: sdp(a.address().port, 8, 'PCMA/8000') };
      if (mode === 'transcode') offerFlags.codec = { mask: ['PCMA'], transcode: ['opus'] };
      const off = await request(agw.ngPort, offerFlags);
      if (off.result !== 'ok') throw new Error(`offer: ${JSON.stringify(off)}`);
      // the AGW's port for leg B (in the offer B gets) and for leg A (in the answer A gets)
      const toB = mediaPort(off.sdp);
      const answerSdp = mode === 'transcode' ? sdp(b.address().port, 96, 'opus/48000/2') : sdp(b.address().port, 8, 'PCMA/8000');
      if (mode === 'transcode' && !/opus/.test(off.sdp)) throw new Error(`no Opus offered to leg B:\n${off.sdp}`);
      const ans = await request(agw.ngPort, { command: 'answer', 'call-id': callId, 'from-tag': 'a', 'to-tag': 'b',
        replace: ['origin', 'session-connection'], sdp: answerSdp });
      if (ans.result !== 'ok') throw new Error(`answer: ${JSON.stringify(ans)}`);
      const toA = mediaPort(ans.sdp);
      const c = { a, b, toA, toB, seq: 0, ts: 0, ssrc: 0x1000 + i, sent: 0, backAtA: 0, atB: 0, counting: false };
      b.on('message', (msg, rinfo) => { if (c.counting) c.atB++; b.send(msg, rinfo.port, rinfo.address); });
      a.on('message', () => { if (c.counting) c.backAtA++; });
      calls.push(c);
    }
    const hdr = Buffer.alloc(12);
    let frame = 0;
    const send = () => {
      const payload = frames[frame++ % frames.length];
      for (const c of calls) {
        hdr[0] = 0x80; hdr[1] = 8;
        hdr.writeUInt16BE(c.seq = (c.seq + 1) & 0xffff, 2);
        hdr.writeUInt32BE(c.ts = (c.ts + 160) >>> 0, 4);
        hdr.writeUInt32BE(c.ssrc, 8);
        c.a.send(Buffer.concat([hdr, payload]), c.toA, '127.0.0.1');
        if (c.counting) c.sent++;
      }
    };
    // a 20 ms clock that catches up when a tick is late
    let next = Date.now();
    let timer;
    const loop = () => {
      const now = Date.now();
      while (next <= now) { send(); next += 20; }
      timer = setTimeout(loop, Math.max(1, next - Date.now()));
    };
    loop();
    await new Promise((r) => setTimeout(r, WARMUP_MS));
    calls.forEach((c) => { c.counting = true; });
    const t0 = process.hrtime.bigint();
    const cpu0 = cpuTicks(agw.pid);
    const self0 = process.cpuUsage();
    await new Promise((r) => setTimeout(r, SECONDS * 1000));
    const cpu1 = cpuTicks(agw.pid);
    const self1 = process.cpuUsage(self0);
    const secs = Number(process.hrtime.bigint() - t0) / 1e9;
    calls.forEach((c) => { c.counting = false; });
    clearTimeout(timer);
    const stats = await request(agw.ngPort, { command: 'statistics' });
    const sent = calls.reduce((n, c) => n + c.sent, 0);
    const atB = calls.reduce((n, c) => n + c.atB, 0);
    const back = calls.reduce((n, c) => n + c.backAtA, 0);
    const cpuPct = ((cpu1 - cpu0) / TICK / secs) * 100;
    const r = {
      mode, calls: CALLS, seconds: Number(secs.toFixed(2)),
      packets_per_s_into_agw: Number(((sent + atB) / secs).toFixed(0)),
      sent_a: sent, received_b: atB, back_at_a: back,
      loss_a_to_b_pct: Number((100 * (1 - atB / sent)).toFixed(2)),
      loss_round_trip_pct: Number((100 * (1 - back / sent)).toFixed(2)),
      agw_cpu_pct_of_one_core: Number(cpuPct.toFixed(1)),
      agw_cpu_pct_per_call: Number((cpuPct / CALLS).toFixed(3)),
      calls_per_core_at_80pct: cpuPct > 0 ? Math.floor((80 / cpuPct) * CALLS) : null,
      generator_cpu_pct: Number((((self1.user + self1.system) / 1e6 / secs) * 100).toFixed(1)),
      agw_transcoded_media: stats.statistics && stats.statistics.currentstatistics
        ? stats.statistics.currentstatistics.transcodedmedia : null,
      agw_sessions: stats.statistics && stats.statistics.currentstatistics
        ? stats.statistics.currentstatistics.sessionsown : null,
    };
    if (r.agw_sessions !== CALLS) throw new Error(`rtpengine holds ${r.agw_sessions} sessions, not ${CALLS}`);
    if (mode === 'transcode' && !(r.agw_transcoded_media > 0)) throw new Error('no transcoded media in rtpengine');
    if (atB === 0 || back === 0) throw new Error(`no media through the AGW (${JSON.stringify(r)})`);
    return r;
  } finally {
    sockets.forEach((s) => { try { s.close(); } catch { /* closed */ } });
    await agw.stop();
  }
}

(async () => {
  const out = process.argv[2];
  if (!out) throw new Error('usage: node bench/media.js <out.json>');
  const frames = pcmaFrames();
  const results = {};
  for (const m of MODES) {
    results[m] = await runMode(m, frames);
    process.stderr.write(`[bench media] ${m}: ${JSON.stringify(results[m])}\n`);
  }
  fs.writeFileSync(out, `${JSON.stringify(results)}\n`);
})().catch((e) => {
  process.stderr.write(`[bench media] ERROR: ${e.stack || e}\n`);
  killTracked('SIGKILL');
  process.exit(1);
});
