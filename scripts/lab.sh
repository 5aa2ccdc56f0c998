#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Copyright (C) 2026 the ims_wic authors
#
# The ims_wic lab on loopback: IMS Core stand-in, eP-CSCF, demo WWSF.
#
#   scripts/lab.sh run      prepare, start, wait until every part answers,
#                           stay in the foreground; Ctrl-C stops everything
#   scripts/lab.sh start    the same, in the background (pid files in
#                           build/lab/run/)
#   scripts/lab.sh stop     stop what start (or run) started, wait for exit
#   scripts/lab.sh status   what runs, the ranges and bindings
#
# Prepared once in build/lab/ (kept between runs): ES256 key pairs of the
# WWSFs `demo` and `other` (keys/), the eP-CSCF certificate (tls/), the
# provisioning (wwsf-provisioning.json, copied from kamailio-cfg/ at every
# start: its key paths are relative to build/lab/). Logs in build/lab/log/.
#
# Ports (defaults = the ports of kamailio-cfg/*.cfg, the provisioning and
# docker/docker-compose.yml); the environment can move them, e.g. when
# another lab already runs:
#   LAB_IP=127.0.0.1 LAB_SIP_PORT=5060 LAB_WSS_PORT=8443 LAB_WS_PORT=8080
#   LAB_IMS_PORT=5070 LAB_IMS_UA_PORT=5090 LAB_WWSF_PORT=8000
#   LAB_METRICS_PORT=9494 (Prometheus metrics of the eP-CSCF, this host only)
#   LAB_DIR=build/lab  LAB_TIMEOUT=30 (seconds to wait for the parts)
#   LAB_MODULE=build/ims_wic.so (the module to load; the lab loads a copy)
# Limits of the WIC side per source address (kamailio.cfg; every browser of
# the lab is 127.0.0.1, so they share one budget):
#   LAB_UPGRADE_LIMIT=50 (WebSocket upgrades per 10 s) LAB_REQUEST_LIMIT=100
#   (SIP requests per 2 s) LAB_REGISTER_WITHIN=30 (s an upgraded connection
#   may hold no registration)  LAB_LOG_LEVEL=2
#   LAB_KEMI=1 (the eP-CSCF runs kamailio-kemi.cfg: the same routing in Lua
#   through KEMI, kamailio-kemi.lua)
#   LAB_IMS_KEEP_RURI=1 (the IMS Core stand-in keeps the called identity in the
#   Request-URI instead of retargeting to the registered Contact)
# The eIMS-AGW (rtpengine, userspace forwarding, controlled by the eP-CSCF
# over its ng protocol on loopback):
#   LAB_RTPENGINE_NG_PORT=2323 (ng control, 127.0.0.1) LAB_RTPENGINE_CLI_PORT=2324
#   LAB_MEDIA_PORT_MIN=41000 LAB_MEDIA_PORT_MAX=41999 (RTP/RTCP relay ports, UDP
#   on LAB_IP) LAB_MEDIA_TIMEOUT=60 (s without media before the AGW ends a
#   session) LAB_MEDIA_ADVERTISE= (the address put in SDP when the AGW is
#   behind NAT) LAB_WITHOUT_MEDIA=1 (no AGW: SDP passes untouched)
#   (not Debian's rtpengine-daemon defaults, ng 2223 and ports 30000-40000:
#   the lab runs beside a started rtpengine service)
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh
REPO=$PWD

LAB_IP=${LAB_IP:-127.0.0.1}
LAB_SIP_PORT=${LAB_SIP_PORT:-5060}
LAB_WSS_PORT=${LAB_WSS_PORT:-8443}
LAB_WS_PORT=${LAB_WS_PORT:-8080}
LAB_IMS_PORT=${LAB_IMS_PORT:-5070}
LAB_IMS_UA_PORT=${LAB_IMS_UA_PORT:-5090}
LAB_WWSF_PORT=${LAB_WWSF_PORT:-8000}
LAB_METRICS_PORT=${LAB_METRICS_PORT:-9494}
LAB_TIMEOUT=${LAB_TIMEOUT:-30}
LAB=$(realpath -m "${LAB_DIR:-$REPO/build/lab}")
RUN=$LAB/run
LOGS=$LAB/log
KEYS=$LAB/keys
TLS=$LAB/tls
PROV=$LAB/wwsf-provisioning.json
EPCSCF_CTL=unix:$RUN/epcscf.ctl
IMS_CTL=unix:$RUN/ims-core.ctl
MODULE_BUILT=${LAB_MODULE:-$REPO/build/ims_wic.so}
# the eP-CSCF loads a copy: `make module` rewrites build/ims_wic.so in place,
# which would crash a running Kamailio that has it mapped
MODULE=$RUN/ims_wic.so
LAB_RTPENGINE_NG_PORT=${LAB_RTPENGINE_NG_PORT:-2323}
LAB_RTPENGINE_CLI_PORT=${LAB_RTPENGINE_CLI_PORT:-2324}
LAB_MEDIA_PORT_MIN=${LAB_MEDIA_PORT_MIN:-41000}
LAB_MEDIA_PORT_MAX=${LAB_MEDIA_PORT_MAX:-41999}
LAB_MEDIA_TIMEOUT=${LAB_MEDIA_TIMEOUT:-60}
LAB_MEDIA_ADVERTISE=${LAB_MEDIA_ADVERTISE:-}
LAB_WITHOUT_MEDIA=${LAB_WITHOUT_MEDIA:-0}
RTPENGINE=${RTPENGINE_BIN:-/usr/bin/rtpengine}
KAMAILIO=${KAMAILIO_BIN:-/usr/sbin/kamailio}
KAMCMD=${KAMCMD_BIN:-/usr/sbin/kamcmd}
PARTS=(ims-core epcscf wwsf wwsf-other)
[ "$LAB_WITHOUT_MEDIA" = 1 ] || PARTS=(rtpengine "${PARTS[@]}")

usage() {
	sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//' >&2
	exit 2
}

# ---- preparation ------------------------------------------------------------
prepare() {
	mkdir -p "$KEYS" "$RUN" "$LOGS"
	chmod 700 "$KEYS"
	local w
	for w in demo other; do
		if [ ! -s "$KEYS/$w.pem" ]; then
			openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 \
				-out "$KEYS/$w.pem" 2>/dev/null || die "openssl: cannot make $KEYS/$w.pem"
			chmod 600 "$KEYS/$w.pem"
			rm -f "$KEYS/$w-es256.pub.pem"
			log "made the ES256 key of WWSF $w: $KEYS/$w.pem"
		fi
		if [ ! -s "$KEYS/$w-es256.pub.pem" ]; then
			openssl pkey -in "$KEYS/$w.pem" -pubout -out "$KEYS/$w-es256.pub.pem" 2>/dev/null ||
				die "openssl: cannot derive $KEYS/$w-es256.pub.pem"
		fi
	done
	scripts/make-cert.sh "$TLS" epcscf.lab || die "cannot make the eP-CSCF certificate in $TLS"
	# the lab file names the demo WWSF as http://127.0.0.1:8000 (origin and
	# issuer) and `other` as :8001: follow LAB_IP/LAB_WWSF_PORT if moved
	sed -e "s#http://127\.0\.0\.1:8000#http://$LAB_IP:$LAB_WWSF_PORT#g" \
		-e "s#http://127\.0\.0\.1:8001#http://$LAB_IP:$((LAB_WWSF_PORT + 1))#g" \
		kamailio-cfg/wwsf-provisioning.lab.json > "$PROV.tmp"
	mv "$PROV.tmp" "$PROV"
	cp "$MODULE_BUILT" "$MODULE.tmp"
	mv "$MODULE.tmp" "$MODULE"
}

check_tools() {
	[ -x "$KAMAILIO" ] || die "$KAMAILIO missing: run make deps"
	[ -x "$KAMCMD" ] || die "$KAMCMD missing: run make deps"
	[ -s "$MODULE_BUILT" ] || die "$MODULE_BUILT missing: run make module"
	command -v node >/dev/null || die "node missing: run make deps"
	[ -d node_modules/jssip ] || die "node_modules/jssip missing: run make deps"
	command -v openssl >/dev/null || die "openssl missing: run make deps"
	command -v ss >/dev/null || die "ss (iproute2) missing: run make deps"
	[ "$LAB_WITHOUT_MEDIA" = 1 ] || [ -x "$RTPENGINE" ] ||
		die "$RTPENGINE missing: run make deps (Debian's rtpengine-daemon)"
}

# ---- processes --------------------------------------------------------------
pidfile() { echo "$RUN/$1.pid"; }
part_pid() { # part -> pid when alive
	local f pid
	f=$(pidfile "$1")
	[ -s "$f" ] || return 1
	pid=$(cat "$f")
	kill -0 "$pid" 2>/dev/null || return 1
	echo "$pid"
}

port_busy() { # proto port -> prints the socket line when bound
	local flag=-ltnp
	[ "$1" = udp ] && flag=-lunp
	ss -H "$flag" "sport = :$2" 2>/dev/null | grep -F "$LAB_IP:$2" ||
		ss -H "$flag" "sport = :$2" 2>/dev/null | grep -E "(\*|0\.0\.0\.0|\[::\]):$2 "
}

check_ports_free() {
	local busy="" p
	for p in "udp $LAB_IMS_PORT" "tcp $LAB_IMS_PORT" "udp $LAB_SIP_PORT" "tcp $LAB_SIP_PORT" \
		"tcp $LAB_WSS_PORT" "tcp $LAB_WS_PORT" "tcp $LAB_WWSF_PORT" "tcp $((LAB_WWSF_PORT + 1))" \
		"tcp $LAB_METRICS_PORT" \
		$([ "$LAB_WITHOUT_MEDIA" = 1 ] || echo "udp:$LAB_RTPENGINE_NG_PORT tcp:$LAB_RTPENGINE_CLI_PORT"); do
		p=${p/:/ }
		# shellcheck disable=SC2086
		if port_busy $p >/dev/null; then
			busy+="  $p: $(port_busy $p | head -1 | tr -s ' ')"$'\n'
		fi
	done
	[ -z "$busy" ] || die "ports already in use (another lab? scripts/lab.sh stop, or move it with LAB_*_PORT):"$'\n'"$busy"
}

# launch part logfile command... : own session (Ctrl-C in `run` reaches only
# this script, which then stops the parts in order), pid file
launch() {
	local part=$1 logf=$2
	shift 2
	{
		printf '# %s\n' "$(date -Is)"
		printf '#'
		printf ' %q' "$@"
		printf '\n'
	} > "$logf"
	setsid "$@" >> "$logf" 2>&1 < /dev/null &
	echo $! > "$(pidfile "$part")"
}

# The eIMS-AGW: Debian's rtpengine in userspace (--table=-1: no kernel
# module), none of /etc/rtpengine/rtpengine.conf, ng on loopback only.
# Two logical interfaces on one address: "wic" (advertised as
# LAB_MEDIA_ADVERTISE when set) and "ims", as a deployment with a public and
# a private side has (kamailio.cfg MEDIA_WIC_IFACE, MEDIA_IMS_IFACE).
start_rtpengine() {
	local wic=wic/$LAB_IP
	[ -n "$LAB_MEDIA_ADVERTISE" ] && wic="wic/$LAB_IP!$LAB_MEDIA_ADVERTISE"
	launch rtpengine "$LOGS/rtpengine.log" "$RTPENGINE" --config-file=none --foreground \
		--log-stderr --log-level=6 --table=-1 --interface="$wic" --interface="ims/$LAB_IP" \
		--listen-ng="127.0.0.1:$LAB_RTPENGINE_NG_PORT" --listen-cli="127.0.0.1:$LAB_RTPENGINE_CLI_PORT" \
		--port-min="$LAB_MEDIA_PORT_MIN" --port-max="$LAB_MEDIA_PORT_MAX" \
		--timeout="$LAB_MEDIA_TIMEOUT" --silent-timeout=3600 --final-timeout=14400 \
		--delete-delay=0 --num-threads=2
}

start_parts() {
	local ims_defs=(-A "CTL_SOCK=\"$IMS_CTL\"")
	[ "$LAB_IP" != 127.0.0.1 ] && ims_defs+=(-A "IMS_LISTEN_IP=$LAB_IP")
	[ "$LAB_IMS_PORT" != 5070 ] && ims_defs+=(-A "IMS_PORT=$LAB_IMS_PORT")
	[ "${LAB_IMS_KEEP_RURI:-0}" = 1 ] && ims_defs+=(-A IMS_KEEP_RURI)
	[ "$LAB_IP" != 127.0.0.1 ] || [ "$LAB_IMS_UA_PORT" != 5090 ] &&
		ims_defs+=(-A "IMS_UA=\"sip:$LAB_IP:$LAB_IMS_UA_PORT\"")
	mkdir -p "$RUN/ims-core" "$RUN/epcscf"
	launch ims-core "$LOGS/ims-core.log" "$KAMAILIO" -DD -E -f "$REPO/kamailio-cfg/ims-core.cfg" \
		-Y "$RUN/ims-core" -w "$RUN/ims-core" "${ims_defs[@]}"

	local ep_defs=(-A WITH_LAB_WS -A "WIC_MODULE=\"$MODULE\"" -A "PROVISIONING=\"$PROV\""
		-A "TLS_CERT=\"$TLS/epcscf-cert.pem\"" -A "TLS_KEY=\"$TLS/epcscf-key.pem\""
		-A "CTL_SOCK=\"$EPCSCF_CTL\"" -A "LOG_LEVEL=${LAB_LOG_LEVEL:-2}"
		-A "UPGRADE_LIMIT=${LAB_UPGRADE_LIMIT:-50}" -A "REQUEST_LIMIT=${LAB_REQUEST_LIMIT:-100}"
		-A "REGISTER_WITHIN=${LAB_REGISTER_WITHIN:-30}")
	if [ "$LAB_IP" != 127.0.0.1 ]; then
		ep_defs+=(-A "EPCSCF_IP=\"$LAB_IP\"" -A "IMS_CORE=\"$LAB_IP\""
			-A "METRICS_IP=\"$LAB_IP\"" -A "METRICS_ALLOW=\"$LAB_IP/32\"")
	fi
	[ "$LAB_METRICS_PORT" != 9494 ] && ep_defs+=(-A "METRICS_PORT=$LAB_METRICS_PORT")
	if [ "$LAB_WITHOUT_MEDIA" = 1 ]; then
		ep_defs+=(-A WITHOUT_MEDIA)
	else
		ep_defs+=(-A 'MEDIA_WIC_IFACE="wic"' -A 'MEDIA_IMS_IFACE="ims"')
	fi
	if [ "$LAB_WITHOUT_MEDIA" != 1 ]; then
		ep_defs+=(-A "RTPENGINE_SOCK=\"udp:127.0.0.1:$LAB_RTPENGINE_NG_PORT\"")
	fi
	[ "$LAB_SIP_PORT" != 5060 ] && ep_defs+=(-A "SIP_PORT=$LAB_SIP_PORT")
	[ "$LAB_WSS_PORT" != 8443 ] && ep_defs+=(-A "WSS_PORT=$LAB_WSS_PORT")
	[ "$LAB_WS_PORT" != 8080 ] && ep_defs+=(-A "WS_PORT=$LAB_WS_PORT")
	[ "$LAB_IP" != 127.0.0.1 ] || [ "$LAB_IMS_PORT" != 5070 ] &&
		ep_defs+=(-A "IMS_CORE_URI=\"sip:$LAB_IP:$LAB_IMS_PORT\"")
	local ep_cfg="$REPO/kamailio-cfg/kamailio.cfg"
	if [ "${LAB_KEMI:-0}" = 1 ]; then
		ep_cfg="$REPO/kamailio-cfg/kamailio-kemi.cfg"
		ep_defs+=(-A "KEMI_SCRIPT=\"$REPO/kamailio-cfg/kamailio-kemi.lua\"")
	fi
	launch epcscf "$LOGS/epcscf.log" "$KAMAILIO" -DD -E -x tlsf -f "$ep_cfg" \
		-Y "$RUN/epcscf" -w "$RUN/epcscf" "${ep_defs[@]}"

	launch wwsf "$LOGS/wwsf.log" node "$REPO/lab/wwsf/server.js" --host "$LAB_IP" \
		--port "$LAB_WWSF_PORT" --key "$KEYS/demo.pem" --kid demo-1 \
		--iss "http://$LAB_IP:$LAB_WWSF_PORT" --prefix demo \
		--ws-url "wss://$LAB_IP:$LAB_WSS_PORT" --ws-plain-url "ws://$LAB_IP:$LAB_WS_PORT"
	# the second WWSF, so that cross-WWSF misuse can be tried from a browser
	launch wwsf-other "$LOGS/wwsf-other.log" node "$REPO/lab/wwsf/server.js" --host "$LAB_IP" \
		--port "$((LAB_WWSF_PORT + 1))" --key "$KEYS/other.pem" --kid other-1 \
		--iss http://wwsf-other.lab --prefix other \
		--ws-url "wss://$LAB_IP:$LAB_WSS_PORT" --ws-plain-url "ws://$LAB_IP:$LAB_WS_PORT"
}

# ---- readiness (polled, bounded) ------------------------------------------------
ready_ims_core() {
	"$KAMCMD" -s "$IMS_CTL" core.version >/dev/null 2>&1 &&
		port_busy udp "$LAB_IMS_PORT" >/dev/null && port_busy tcp "$LAB_IMS_PORT" >/dev/null
}
ready_epcscf() {
	"$KAMCMD" -s "$EPCSCF_CTL" core.version >/dev/null 2>&1 || return 1
	port_busy udp "$LAB_SIP_PORT" >/dev/null && port_busy tcp "$LAB_SIP_PORT" >/dev/null &&
		port_busy tcp "$LAB_WS_PORT" >/dev/null || return 1
	# the WSS listener completes a TLS handshake
	timeout 3 openssl s_client -connect "$LAB_IP:$LAB_WSS_PORT" -brief </dev/null 2>&1 |
		grep -q 'CONNECTION ESTABLISHED'
}
ready_rtpengine() { # answers an ng ping
	python3 - "$LAB_RTPENGINE_NG_PORT" <<'PY' 2>/dev/null
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(1)
s.sendto(b"lab1 d7:command4:pinge", ("127.0.0.1", int(sys.argv[1])))
sys.exit(0 if b"pong" in s.recv(1000) else 1)
PY
}
ready_media_control() { # the eP-CSCF has the AGW enabled
	"$KAMCMD" -s "$EPCSCF_CTL" rtpengine.show all 2>/dev/null | grep -qE 'disabled: 0'
}
ready_ranges() { # every provisioned range is registered at the IMS Core
	local dump
	dump=$("$KAMCMD" -s "$IMS_CTL" htable.dump reg 2>/dev/null) || return 1
	grep -qF 'sip:demo!.*!@wwsf.lab' <<<"$dump" && grep -qF 'sip:other!.*!@wwsf.lab' <<<"$dump"
}
ready_wwsf() {
	curl -fsS --max-time 2 "http://$LAB_IP:$LAB_WWSF_PORT/healthz" 2>/dev/null | grep -q '"ok":true'
}
ready_wwsf_other() {
	curl -fsS --max-time 2 "http://$LAB_IP:$((LAB_WWSF_PORT + 1))/healthz" 2>/dev/null | grep -q '"ok":true'
}

wait_for() { # what check-function part...
	local what=$1 fn=$2 deadline=$((SECONDS + LAB_TIMEOUT)) p
	shift 2
	until "$fn"; do
		for p in "$@"; do
			part_pid "$p" >/dev/null || {
				tail -n 30 "$LOGS/$p.log" >&2
				die "$p exited while waiting for $what (log: $LOGS/$p.log)"
			}
		done
		[ $SECONDS -lt "$deadline" ] || die "timeout (${LAB_TIMEOUT}s) waiting for $what (logs: $LOGS/)"
		sleep 0.2
	done
	log "ready: $what"
}

stop_part() { # part: SIGTERM, wait up to 10 s, then SIGKILL its process group
	local part=$1 pid i
	pid=$(part_pid "$part") || { rm -f "$(pidfile "$part")"; return 0; }
	kill -TERM "$pid" 2>/dev/null || true
	for ((i = 0; i < 100; i++)); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$pid" 2>/dev/null; then
		log "$part (pid $pid) ignores SIGTERM: killing it"
		kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true
	fi
	# stray children of its group (kamailio's workers leave with the main process)
	kill -KILL -- "-$pid" 2>/dev/null || true
	rm -f "$(pidfile "$part")"
	log "stopped $part"
}

stop_all() {
	local p
	for p in wwsf-other wwsf epcscf ims-core rtpengine; do
		stop_part "$p"
	done
	rm -f "$RUN/epcscf.ctl" "$RUN/ims-core.ctl"
}

media_banner() {
	if [ "$LAB_WITHOUT_MEDIA" = 1 ]; then
		echo "  eIMS-AGW           none (LAB_WITHOUT_MEDIA=1): SDP passes untouched"
		return
	fi
	cat <<EOF
  eIMS-AGW           rtpengine ng udp:127.0.0.1:$LAB_RTPENGINE_NG_PORT  cli tcp:127.0.0.1:$LAB_RTPENGINE_CLI_PORT
                     media udp:$LAB_IP:$LAB_MEDIA_PORT_MIN-$LAB_MEDIA_PORT_MAX${LAB_MEDIA_ADVERTISE:+ (advertised as $LAB_MEDIA_ADVERTISE)}
                     log $LOGS/rtpengine.log
EOF
}

banner() {
	cat <<EOF

ims_wic lab is up ($LAB)
  IMS Core stand-in  sip:$LAB_IP:$LAB_IMS_PORT (UDP+TCP)    log $LOGS/ims-core.log
  eP-CSCF            wss://$LAB_IP:$LAB_WSS_PORT  ws://$LAB_IP:$LAB_WS_PORT (lab)  sip:$LAB_IP:$LAB_SIP_PORT
                     metrics http://$LAB_IP:$LAB_METRICS_PORT/metrics (Prometheus, this host only)
                     log $LOGS/epcscf.log
  demo WWSF + WIC    http://$LAB_IP:$LAB_WWSF_PORT/   (plain WS: http://$LAB_IP:$LAB_WWSF_PORT/?ws=1)
                     log $LOGS/wwsf.log
  other WWSF + WIC   http://$LAB_IP:$((LAB_WWSF_PORT + 1))/   (IMPUs sip:other<name>@wwsf.lab, its own key)
                     log $LOGS/wwsf-other.log
  IMS-side UA        expected at sip:$LAB_IP:$LAB_IMS_UA_PORT (identities @ims.lab)
$(media_banner)

  Limits per source address: ${LAB_UPGRADE_LIMIT:-50} WebSocket upgrades / 10 s (then HTTP 429),
  ${LAB_REQUEST_LIMIT:-100} SIP requests / 2 s (then 503), register within ${LAB_REGISTER_WITHIN:-30} s of the
  upgrade (else closed); set LAB_UPGRADE_LIMIT, LAB_REQUEST_LIMIT, LAB_REGISTER_WITHIN.
  Refusals: kamcmd -s $EPCSCF_CTL stats.get_statistics script:

  The certificate is self-signed ($TLS/epcscf-cert.pem): open
  https://$LAB_IP:$LAB_WSS_PORT/ once in the browser and accept it, or use ?ws=1.

RPC:
  kamcmd -s $EPCSCF_CTL ims_wic.ranges [offset [limit]]
  kamcmd -s $EPCSCF_CTL ims_wic.bindings [offset [limit]]    (or ims_wic.bindings_brief)
  kamcmd -s $EPCSCF_CTL ims_wic.lookup sip:demoalice@wwsf.lab
  kamcmd -s $EPCSCF_CTL stats.get_statistics ims_wic:
  kamcmd -s $IMS_CTL htable.dump reg      (IMS Core: registered ranges)

Calls (log in as "alice" on the page first: IMPU sip:demoalice@wwsf.lab); the
IMS-side UA speaks RTP/AVP and echoes the RTP it gets: you hear yourself
through the eIMS-AGW:
  IMS side -> WIC (answer it on the page, hang up there):
    sipp -sf lab/sipp/uac-call-rtp.xml -s demoalice@wwsf.lab -key from sip:bob@ims.lab \\
         -i $LAB_IP -p $((LAB_IMS_UA_PORT + 1)) -m 1 -rtp_echo -mp 6002 $LAB_IP:$LAB_IMS_PORT
  WIC -> IMS side (start this, then call sip:bob@ims.lab on the page):
    sipp -sf lab/sipp/uas-answer-rtp.xml -i $LAB_IP -p $LAB_IMS_UA_PORT -m 1 -rtp_echo -mp 6000
  Media sessions: kamcmd -s $EPCSCF_CTL htable.dump wic_mcall
                  kamcmd -s $EPCSCF_CTL stats.get_statistics script:
  (LAB_WITHOUT_MEDIA=1: no AGW, browsers need the WebRTC SDP of
   lab/sipp/uac-call-webrtc.xml and uas-answer-webrtc.xml, signalling only)
EOF
}

wait_ready() {
	wait_for "IMS Core stand-in on $LAB_IP:$LAB_IMS_PORT" ready_ims_core ims-core
	wait_for "eP-CSCF on $LAB_IP:$LAB_SIP_PORT/$LAB_WSS_PORT/$LAB_WS_PORT" ready_epcscf epcscf ims-core
	if [ "$LAB_WITHOUT_MEDIA" != 1 ]; then
		wait_for "the eP-CSCF controlling the eIMS-AGW" ready_media_control epcscf rtpengine
	fi
	wait_for "ranges registered at the IMS Core" ready_ranges epcscf ims-core
	wait_for "WWSF on http://$LAB_IP:$LAB_WWSF_PORT" ready_wwsf wwsf
	wait_for "WWSF other on http://$LAB_IP:$((LAB_WWSF_PORT + 1))" ready_wwsf_other wwsf-other
}

running_parts() {
	local p out=""
	for p in "${PARTS[@]}"; do
		part_pid "$p" >/dev/null && out+="$p "
	done
	echo "$out"
}

do_start() { # mode: run|start
	check_tools
	local alive
	alive=$(running_parts)
	[ -z "$alive" ] || die "the lab already runs ($alive): scripts/lab.sh stop first"
	check_ports_free
	prepare
	if [ "$1" = run ]; then
		trap 'trap - INT TERM EXIT; echo >&2; log "stopping the lab"; stop_all; exit 0' INT TERM
		trap 'stop_all' EXIT
	else
		trap 'rc=$?; [ $rc -eq 0 ] || { log "start failed: stopping what started"; stop_all; }' EXIT
	fi
	if [ "$LAB_WITHOUT_MEDIA" != 1 ]; then
		start_rtpengine
		wait_for "eIMS-AGW (rtpengine) ng on 127.0.0.1:$LAB_RTPENGINE_NG_PORT" ready_rtpengine rtpengine
	fi
	start_parts
	wait_ready
	banner
	if [ "$1" = run ]; then
		log "running in the foreground: Ctrl-C stops the lab"
		local pids=() p
		for p in "${PARTS[@]}"; do pids+=("$(cat "$(pidfile "$p")")"); done
		# returns when a part exits (or on a signal: the trap stops the lab)
		wait -n "${pids[@]}" || true
		for p in "${PARTS[@]}"; do
			part_pid "$p" >/dev/null || log "$p exited: see $LOGS/$p.log"
		done
		exit 1
	fi
	trap - EXIT
	log "started in the background; stop with scripts/lab.sh stop"
}

do_status() {
	local p pid rc=0
	for p in "${PARTS[@]}"; do
		if pid=$(part_pid "$p"); then
			printf '%-9s running  pid %s  log %s\n' "$p" "$pid" "$LOGS/$p.log"
		else
			printf '%-9s stopped\n' "$p"
			rc=3
		fi
	done
	if part_pid epcscf >/dev/null; then
		echo "--- kamcmd -s $EPCSCF_CTL ims_wic.ranges"
		"$KAMCMD" -s "$EPCSCF_CTL" ims_wic.ranges 2>&1 || true
		echo "--- kamcmd -s $EPCSCF_CTL ims_wic.bindings"
		"$KAMCMD" -s "$EPCSCF_CTL" ims_wic.bindings 2>&1 || true
		if [ "$LAB_WITHOUT_MEDIA" != 1 ]; then
			echo "--- kamcmd -s $EPCSCF_CTL rtpengine.show all"
			"$KAMCMD" -s "$EPCSCF_CTL" rtpengine.show all 2>&1 || true
			echo "--- kamcmd -s $EPCSCF_CTL htable.dump wic_mcall (media sessions)"
			"$KAMCMD" -s "$EPCSCF_CTL" htable.dump wic_mcall 2>&1 || true
		fi
	fi
	return $rc
}

case "${1:-}" in
run | start) do_start "$1" ;;
stop) stop_all ;;
status) do_status ;;
*) usage ;;
esac
