#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Copyright (C) 2026 the ims_wic authors
#
# bench/run.sh - `make bench`: ims_wic against the stock registrar
# (kamailio-cfg/bench-stock.cfg) on this machine, loopback only.
#
#   1  new registrations/s: fresh connection + (TLS) + WS handshake +
#      REGISTER (+ token verify for ims_wic), ES256 and RS256, WSS and WS
#   2  refresh registrations/s over open connections (same token)
#   3  terminating INVITEs/s delivered to registered WICs, and rejected
#      480 for unregistered identities (UDP from the IMS Core address)
#   4  in-process verify rate: OpenSSL EVP_DigestVerify vs wic_token_verify
#   5  bindings held over WS and WSS: shm and RSS/PSS before and after,
#      bytes per binding; registration rate at 1k, 10k, 100k bindings
#   6  scale: provisionings of 1, 100 and 10,000 WWSFs (2 keys, 1 range
#      each); per-request cost of the Origin check, admission, terminating
#      480/404 and bind events with the LAST WWSF's origin, tokens and range,
#      as rates and in-process lookup times; reload time; memory
#   7  media through the eIMS-AGW (bench/media.js): concurrent calls with
#      real RTP through rtpengine (userspace), the AGW's CPU per call,
#      relayed G.711 and transcoded G.711<->Opus
#
# Writes bench/results/bench-<UTC stamp>.json, bench/results/bench.png and
# the same under the names latest.json / latest.png; prints a table.
# Knobs (environment): BENCH_DURATION (s per rate run, default 8),
# BENCH_WORKERS (Kamailio children and tcp_children, 4), BENCH_HOLD_WS,
# BENCH_HOLD_WSS (connections held; default min(target, open files limit -
# 400)), BENCH_BIG_BINDINGS (100000), BENCH_PORT_BASE (45000), BENCH_PHASES
# ("verify newreg refresh term hold scale media"), BENCH_SCALE_WWSFS ("1 100 10000"),
# BENCH_SCALE_MEM_MANAGER (Kamailio -x of the scale phase, "tlsf"),
# BENCH_MEDIA_CALLS_RELAY (100), BENCH_MEDIA_CALLS_TRANSCODE (30), BENCH_MEDIA_SECONDS (15),
# BENCH_KEMI=1 (ims_wic with the Lua routing, kamailio-kemi.cfg).
set -euo pipefail
cd "$(dirname "$0")/.."
REPO=$PWD
BUILD=$REPO/build
RESULTS=$REPO/bench/results
LOAD=$BUILD/wic-load
VBENCH=$BUILD/wic-verify-bench
SCALE=$BUILD/wic-scale
KAMAILIO=${KAMAILIO_BIN:-/usr/sbin/kamailio}
KAMCMD=${KAMCMD_BIN:-/usr/sbin/kamcmd}

DUR=${BENCH_DURATION:-8}
WORKERS=${BENCH_WORKERS:-4}
BASE=${BENCH_PORT_BASE:-45000}
SIP_PORT=$((BASE + 60)) WSS_PORT=$((BASE + 443)) WS_PORT=$((BASE + 80))
IMS_PORT=$((BASE + 70))
PHASES=${BENCH_PHASES:-verify newreg refresh term hold scale media}
SCALE_COUNTS=${BENCH_SCALE_WWSFS:-1 100 10000}
SHM_MB=${BENCH_SHM_MB:-4096}
PKG_MB=${BENCH_PKG_MB:-128}
SRC_IPS=16
T0=$(date +%s)

log() { printf '[bench %4ds] %s\n' "$(($(date +%s) - T0))" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

[ -x "$LOAD" ] && [ -x "$VBENCH" ] && [ -x "$SCALE" ] || die "build first: make bench"
[ -f "$BUILD/ims_wic.so" ] || die "no $BUILD/ims_wic.so: make module"
command -v gnuplot >/dev/null 2>&1 || {
	log "installing gnuplot-nox (Debian) for the chart"
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
		gnuplot-nox >/dev/null 2>&1 || true
}

# One descriptor per connection, in Kamailio's TCP main process and here.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
# a crashed Kamailio with GBs of shm must not leave its core on the disk
ulimit -c 0
NOFILE=$(ulimit -n)
[ "$NOFILE" = unlimited ] && NOFILE=1048576
FD_CAP=$((NOFILE - 400))
min() { [ "$1" -lt "$2" ] && echo "$1" || echo "$2"; }
HOLD_WS=${BENCH_HOLD_WS:-$(min 100000 "$FD_CAP")}
HOLD_WSS=${BENCH_HOLD_WSS:-$(min 20000 "$FD_CAP")}
BIG=${BENCH_BIG_BINDINGS:-100000}
# 100k bindings on as few connections as the descriptors allow
BIG_K=$(( (BIG + HOLD_WS - 1) / HOLD_WS ))
BIG_CONNS=$(( (BIG + BIG_K - 1) / BIG_K ))

WORK=$(mktemp -d /tmp/wic-bench.XXXXXX)
RES=$WORK/res
mkdir -p "$RES" "$RESULTS"
KPIDS=()
BGPIDS=()
RAW=
save_raw() {
	[ -n "$RAW" ] || RAW=$RESULTS/raw-$(date -u +%Y%m%dT%H%M%SZ)
	mkdir -p "$RAW"
	cp "$RES"/* "$RAW"/ 2>/dev/null || true
	local f
	for f in "$WORK"/*.log; do
		[ -f "$f" ] && tail -n 3000 "$f" >"$RAW/$(basename "$f")"
	done
}
cleanup() {
	local p
	[ -d "$RES" ] && save_raw
	for p in "${BGPIDS[@]}" "${KPIDS[@]}"; do
		kill -TERM "$p" 2>/dev/null || true
	done
	for p in "${BGPIDS[@]}" "${KPIDS[@]}"; do
		wait "$p" 2>/dev/null || true
	done
	rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

for p in $SIP_PORT $WSS_PORT $WS_PORT $IMS_PORT; do
	if ss -Hltun "( sport = :$p )" 2>/dev/null | grep -q .; then
		die "port $p is in use (set BENCH_PORT_BASE)"
	fi
done

# ---------------------------------------------------------------- set-up
# the module as built now: others may rebuild build/ during the run
cp "$BUILD/ims_wic.so" "$WORK/ims_wic.so"
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$WORK/es.key" 2>/dev/null
openssl pkey -in "$WORK/es.key" -pubout -out "$WORK/es.pub"
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$WORK/rs.key" 2>/dev/null
openssl pkey -in "$WORK/rs.key" -pubout -out "$WORK/rs.pub"
scripts/make-cert.sh "$WORK"
cat >"$WORK/prov.json" <<EOF
{
  "audience": "epcscf.lab",
  "max_token_size": 8192,
  "leeway": 30,
  "wwsfs": [{
    "id": "demo",
    "origins": ["http://127.0.0.1:8000"],
    "issuers": ["http://127.0.0.1:8000"],
    "keys": [
      {"pem": "es.pub", "kid": "bench-es", "algs": ["ES256"]},
      {"pem": "rs.pub", "kid": "bench-rs", "algs": ["RS256"]}
    ],
    "ranges": [{
      "wildcard": "sip:demo!.*!@wwsf.lab", "distinct_pui": "sip:demo@wwsf.lab",
      "impi": "demo@wwsf.lab", "trigger": "startup", "linger": 60, "expires": 3600
    }],
    "limits": {"max_contacts_per_impu": 5, "max_expires": 3600}
  }]
}
EOF

COMMON_DEFS=(-A WITH_LAB_WS -A "WORKERS=$WORKERS" -A LOG_LEVEL=1
	-A "SIP_PORT=$SIP_PORT" -A "WSS_PORT=$WSS_PORT" -A "WS_PORT=$WS_PORT"
	-A "TLS_CERT=\"$WORK/epcscf-cert.pem\"" -A "TLS_KEY=\"$WORK/epcscf-key.pem\"")
WIC_CFG=(-f "$REPO/kamailio-cfg/kamailio.cfg")
if [ "${BENCH_KEMI:-0}" = 1 ]; then
	WIC_CFG=(-f "$REPO/kamailio-cfg/kamailio-kemi.cfg"
		-A "KEMI_SCRIPT=\"$REPO/kamailio-cfg/kamailio-kemi.lua\"")
fi
WIC_DEFS=("${WIC_CFG[@]}"
	-A "WIC_MODULE=\"$WORK/ims_wic.so\"" -A "PROVISIONING=\"$WORK/prov.json\""
	-A "IMS_CORE_URI=\"sip:127.0.0.1:$IMS_PORT\""
	-A UPGRADE_LIMIT=1000000 -A REQUEST_LIMIT=60000)
STOCK_DEFS=(-f "$REPO/kamailio-cfg/bench-stock.cfg"
	-A "TCP_MAX_CONNECTIONS=30000" -A "TLS_MAX_CONNECTIONS=20000"
	-A WITH_OPENSSL_THREAD_FIX -A "WIC_MODULE=\"$WORK/ims_wic.so\""
	-A "PROVISIONING=\"$WORK/prov.json\"")

CTL=
KPID=
# start_kam NAME wic|stock [PROVISIONING WILDCARD]: that range (default:
# one) registered with the IMS Core stand-in
start_kam() {
	local name=$1 kind=$2 prov=${3:-$WORK/prov.json} want=${4:-} rd=$WORK/run-$1 i
	local -a defs
	mkdir -p "$rd"
	if [ "$kind" = wic ]; then
		defs=("${WIC_DEFS[@]/#PROVISIONING=*/PROVISIONING=\"$prov\"}")
	else
		defs=("${STOCK_DEFS[@]}")
	fi
	CTL="unix:$rd/ctl"
	"$KAMAILIO" -x "${KAM_MEM_MANAGER:-qm}" -DD -E -Y "$rd" -m "$SHM_MB" -M "$PKG_MB" "${defs[@]}" \
		"${COMMON_DEFS[@]}" -A "CTL_SOCK=\"$CTL\"" >"$WORK/$name.log" 2>&1 &
	KPID=$!
	KPIDS+=("$KPID")
	for i in $(seq 100); do
		"$KAMCMD" -s "$CTL" core.version >/dev/null 2>&1 && break
		kill -0 "$KPID" 2>/dev/null || { tail -20 "$WORK/$name.log" >&2; die "$name did not start"; }
		sleep 0.1
	done
	if [ "$kind" = wic ]; then
		for i in $(seq 1200); do
			if [ -n "$want" ]; then
				# the stand-in knows at once (ims_wic.ranges pages 10,000 ranges)
				"$KAMCMD" -s "unix:$IMS_RD/ctl" htable.get reg "$want" 2>/dev/null |
					grep -q value && return 0
			else
				"$KAMCMD" -s "$CTL" ims_wic.ranges 2>/dev/null | grep -q 'state: up' && return 0
			fi
			sleep 0.1
		done
		die "$name: ranges not registered with the IMS Core stand-in"
	fi
}
# after a run: did Kamailio survive it? (crash-NAME marks the run)
check_alive() {
	if ! kill -0 "$KPID" 2>/dev/null; then
		log "  $1: KAMAILIO DIED during the run (see raw logs)"
		echo "{\"crashed\":true}" >"$RES/crash-$1.json"
	fi
}
stop_kam() {
	local i
	kill -TERM "$KPID" 2>/dev/null || true
	for i in $(seq 300); do
		kill -0 "$KPID" 2>/dev/null || break
		sleep 0.1
	done
	kill -KILL "$KPID" 2>/dev/null || true
	wait "$KPID" 2>/dev/null || true
	KPID=
}

# shm used by Kamailio (bytes), RSS and PSS summed over its processes (kB)
# (in KiB: the byte figures are 32-bit in the RPC and wrap above 2 GiB)
shm_used() { "$KAMCMD" -s "$CTL" core.shmmem k 2>/dev/null | awk '$1=="real_used:"{print $2 * 1024}'; }
mod_shm() {
	# per-module shm accounting (memdbg): the module's own allocations
	"$KAMCMD" -s "$CTL" mod.stats "$1" shm 2>/dev/null |
		awk -F: '/Total/ {gsub(/ /,"",$2); print $2; exit}'
}
proc_mem() {
	local p pids rss=0 pss=0 v
	pids="$KPID $(pgrep -P "$KPID" | tr '\n' ' ')"
	for p in $pids; do
		v=$(awk '/^Rss:/{r=$2} /^Pss:/{s=$2} END{print r+0, s+0}' "/proc/$p/smaps_rollup" 2>/dev/null || echo "0 0")
		rss=$((rss + ${v% *}))
		pss=$((pss + ${v#* }))
	done
	echo "$rss $pss"
}
# mem_json LABEL -> {"shm":..,"mod_shm":..,"rss_kb":..,"pss_kb":..}
mem_json() {
	local mod=$1 m
	m=$(proc_mem)
	printf '{"shm":%s,"mod_shm":%s,"rss_kb":%s,"pss_kb":%s}' \
		"$(shm_used || echo 0)" "$(mod_shm "$mod" || echo 0)" "${m% *}" "${m#* }"
}

IMS_RD=$WORK/run-ims
mkdir -p "$IMS_RD"
if [[ " $PHASES " == *" newreg "* || " $PHASES " == *" refresh "* || " $PHASES " == *" term "* || " $PHASES " == *" hold "* || " $PHASES " == *" scale "* ]]; then
	"$KAMAILIO" -DD -E -Y "$IMS_RD" -f kamailio-cfg/ims-core.cfg -A "IMS_PORT=$IMS_PORT" \
		-A IMS_DEBUG=1 -A IMS_ANY_RANGE -A "CTL_SOCK=\"unix:$IMS_RD/ctl\"" >"$WORK/ims-core.log" 2>&1 &
	KPIDS+=("$!")
	for i in $(seq 100); do
		"$KAMCMD" -s "unix:$IMS_RD/ctl" core.version >/dev/null 2>&1 && break
		sleep 0.1
	done
fi

LOADAVG_START=$(cut -d' ' -f1-3 /proc/loadavg)
log "work dir $WORK; open files $NOFILE; hold WS $HOLD_WS, WSS $HOLD_WSS, big $BIG (${BIG_CONNS} x ${BIG_K})"

# ---------------------------------------------------------------- 4 verify
if [[ " $PHASES " == *" verify "* ]]; then
	log "verify: OpenSSL vs wic_token_verify, in-process"
	"$VBENCH" --prov "$WORK/prov.json" --key "$WORK/es.key" --alg ES256 --kid bench-es \
		--seconds 3 >"$RES/verify-ES256.json"
	"$VBENCH" --prov "$WORK/prov.json" --key "$WORK/rs.key" --alg RS256 --kid bench-rs \
		--seconds 3 >"$RES/verify-RS256.json"
fi

# ---------------------------------------------------------------- 1 new reg
# cr NAME kind tls alg tokens
cr() {
	local name=$1 kind=$2 tls=$3 alg=$4 tokens=$5 key kid port
	local -a t=()
	if [ "$alg" = RS256 ]; then key=$WORK/rs.key kid=bench-rs; else key=$WORK/es.key kid=bench-es; fi
	if [ "$tls" = wss ]; then t=(--tls) port=$WSS_PORT; else port=$WS_PORT; fi
	start_kam "$name" "$kind"
	"$LOAD" --mode connect-register --target "127.0.0.1:$port" "${t[@]}" --key "$key" \
		--alg "$alg" --kid "$kid" --tokens "$tokens" --concurrency 32 --src-ips $SRC_IPS \
		--duration "$DUR" --label "$name" >"$RES/newreg-$name.json"
	check_alive "newreg-$name"
	stop_kam
	log "  $name: $(grep -o '"rate_per_s":[0-9.]*' "$RES/newreg-$name.json")"
}
if [[ " $PHASES " == *" newreg "* ]]; then
	log "new registrations: connect + handshake + REGISTER, ${DUR}s each"
	cr wic-wss-es256 wic wss ES256 20000
	cr wic-wss-rs256 wic wss RS256 12000
	cr stock-wss stock wss ES256 20000
	cr wic-ws-es256 wic ws ES256 60000
	cr wic-ws-rs256 wic ws RS256 30000
	cr stock-ws stock ws ES256 60000
fi

# ---------------------------------------------------------------- 2 refresh
rf() {
	local name=$1 kind=$2 tls=$3 port
	local -a t=()
	if [ "$tls" = wss ]; then t=(--tls) port=$WSS_PORT; else port=$WS_PORT; fi
	start_kam "$name" "$kind"
	"$LOAD" --mode refresh --target "127.0.0.1:$port" "${t[@]}" --key "$WORK/es.key" \
		--conns 200 --concurrency 64 --src-ips $SRC_IPS --duration "$DUR" \
		--label "$name" >"$RES/refresh-$name.json"
	check_alive "refresh-$name"
	stop_kam
	log "  $name: $(grep -o '"rate_per_s":[0-9.]*' "$RES/refresh-$name.json")"
}
if [[ " $PHASES " == *" refresh "* ]]; then
	log "refresh registrations over 200 open connections, ${DUR}s each"
	rf wic-wss wic wss
	rf stock-wss stock wss
	rf wic-ws wic ws
	rf stock-ws stock ws
fi

# ---------------------------------------------------------------- 3 terminating
# wait_ready FILE: until the load generator printed its "ready" line
wait_ready() {
	local f=$1 pid=$2 i
	for i in $(seq 6000); do
		grep -q '"event":"ready"' "$f" 2>/dev/null && return 0
		kill -0 "$pid" 2>/dev/null || { cat "$f" >&2; die "load generator ended early"; }
		sleep 0.1
	done
	die "load generator not ready after 600 s"
}
tm() {
	local name=$1 kind=$2 apid
	start_kam "$name" "$kind"
	"$LOAD" --mode answer --target "127.0.0.1:$WS_PORT" --key "$WORK/es.key" --conns 1000 \
		--concurrency 64 --src-ips $SRC_IPS --hold-secs 300 --label "$name" \
		>"$RES/answer-$name.jsonl" </dev/null &
	apid=$!
	BGPIDS+=("$apid")
	wait_ready "$RES/answer-$name.jsonl" "$apid"
	"$LOAD" --mode invite --target "127.0.0.1:$SIP_PORT" --count 1000 --offset 0 \
		--window 64 --duration "$DUR" --label "$name-registered" >"$RES/term-$name-registered.json"
	"$LOAD" --mode invite --target "127.0.0.1:$SIP_PORT" --count 1000 --offset 5000000 \
		--window 64 --duration "$DUR" --label "$name-unregistered" >"$RES/term-$name-unregistered.json"
	kill -TERM "$apid"
	wait "$apid" || true
	check_alive "term-$name"
	stop_kam
	log "  $name: delivered $(grep -o '"rate_per_s":[0-9.]*' "$RES/term-$name-registered.json"), rejected $(grep -o '"rate_per_s":[0-9.]*' "$RES/term-$name-unregistered.json")"
}
if [[ " $PHASES " == *" term "* ]]; then
	log "terminating INVITEs from the IMS Core address to 1000 WICs (WS), ${DUR}s each"
	tm wic wic
	tm stock stock
fi

# ---------------------------------------------------------------- 5 hold
# hd NAME kind tls conns impus_per_conn milestones
hd() {
	local name=$1 kind=$2 tls=$3 conns=$4 k=$5 miles=$6 port hpid before after mod
	local -a t=()
	if [ "$tls" = wss ]; then t=(--tls) port=$WSS_PORT; else port=$WS_PORT; fi
	if [ "$kind" = wic ]; then mod=ims_wic; else mod=usrloc; fi
	start_kam "$name" "$kind"
	sleep 1
	before=$(mem_json "$mod")
	"$LOAD" --mode hold --target "127.0.0.1:$port" "${t[@]}" --key "$WORK/es.key" \
		--conns "$conns" --impus-per-conn "$k" --concurrency 64 --src-ips $SRC_IPS \
		--milestones "$miles" --hold-secs 300 --timeout 30 --label "$name" \
		>"$RES/hold-$name.jsonl" </dev/null &
	hpid=$!
	BGPIDS+=("$hpid")
	wait_ready "$RES/hold-$name.jsonl" "$hpid"
	sleep 2
	after=$(mem_json "$mod")
	printf '{"name":"%s","kind":"%s","tls":"%s","conns":%s,"impus_per_conn":%s,"before":%s,"after":%s,"ready":%s}\n' \
		"$name" "$kind" "$tls" "$conns" "$k" "$before" "$after" \
		"$(grep '"event":"ready"' "$RES/hold-$name.jsonl")" >"$RES/hold-$name.json"
	kill -TERM "$hpid"
	wait "$hpid" || true
	check_alive "hold-$name"
	stop_kam
	log "  $name: $(grep -o '"bindings":[0-9]*' "$RES/hold-$name.jsonl" | head -1), shm $before -> $after"
}
if [[ " $PHASES " == *" hold "* ]]; then
	log "held bindings: WS $HOLD_WS, WS $BIG bindings on $BIG_CONNS connections, WSS $HOLD_WSS"
	hd wic-ws wic ws "$HOLD_WS" 1 1000,10000,$HOLD_WS
	hd stock-ws stock ws "$HOLD_WS" 1 1000,10000,$HOLD_WS
	hd wic-ws-big wic ws "$BIG_CONNS" "$BIG_K" 1000,10000,$BIG
	hd stock-ws-big stock ws "$BIG_CONNS" "$BIG_K" 1000,10000,$BIG
	hd wic-wss wic wss "$HOLD_WSS" 1 1000,10000,$HOLD_WSS
	hd stock-wss stock wss "$HOLD_WSS" 1 1000,10000,$HOLD_WSS
fi

# ---------------------------------------------------------------- 6 scale
# per process: pid, RSS and PSS (kB), pkg used (bytes)
proc_table() {
	local p
	for p in $KPID $(pgrep -P "$KPID" | tr '\n' ' '); do
		awk -v p="$p" '/^Rss:/{r=$2} /^Pss:/{s=$2} END{printf "%s %d %d\n", p, r, s}' \
			"/proc/$p/smaps_rollup" 2>/dev/null || true
	done
}
# sc N: the last WWSF's origin, issuer, key and range
sc() {
	local n=$1 last name apid t0 t1 i
	last=$(printf 'w%05d' $((n - 1)))
	name=scale-$n
	local -a who=(--origin "https://$last.wwsf.lab" --iss "https://$last.wwsf.lab"
		--kid "$last-a" --key "$WORK/scale/last-$n.key" --alg ES256
		--impu-fmt "sip:demo%lu@$last.wwsf.lab")
	t0=$(date +%s.%N)
	# startup ranges register in file order: the last one is the last.
	# TLSF shared memory: the tls module makes OpenSSL allocate the 20,000
	# keys a reload validates there, and qm's first-fit search makes that
	# reload 4 s instead of 1.2 s (docs/performance.md)
	KAM_MEM_MANAGER=${BENCH_SCALE_MEM_MANAGER:-tlsf} \
		start_kam "$name" wic "$WORK/scale/prov-$n.json" "sip:demo!.*!@$last.wwsf.lab"
	t1=$(date +%s.%N)
	# every worker parses its own copy at its first request, each WWSF's
	# keys at its first token: warm them all up, untimed, before measuring
	"$LOAD" --mode refresh --target "127.0.0.1:$WS_PORT" "${who[@]}" --conns 64 \
		--concurrency 64 --src-ips $SRC_IPS --duration 2 --timeout 120 \
		--label "$name-warm" >/dev/null 2>&1 || true
	"$LOAD" --mode invite --target "127.0.0.1:$SIP_PORT" --count 100 --offset 0 \
		--impu-fmt "sip:nobody%lu@elsewhere.lab" --window 64 --duration 2 \
		--timeout 120 --label "$name-warm" >/dev/null 2>&1 || true
	"$LOAD" --mode connect-register --target "127.0.0.1:$WS_PORT" "${who[@]}" \
		--tokens 60000 --concurrency 32 --src-ips $SRC_IPS --duration "$DUR" \
		--label "$name-newreg" >"$RES/scale-$n-newreg.json"
	"$LOAD" --mode refresh --target "127.0.0.1:$WS_PORT" "${who[@]}" --conns 200 \
		--concurrency 64 --src-ips $SRC_IPS --duration "$DUR" \
		--label "$name-refresh" >"$RES/scale-$n-refresh.json"
	"$LOAD" --mode invite --target "127.0.0.1:$SIP_PORT" --count 1000 --offset 5000000 \
		--impu-fmt "sip:demo%lu@$last.wwsf.lab" --window 64 --duration "$DUR" \
		--label "$name-480" >"$RES/scale-$n-480.json"
	"$LOAD" --mode invite --target "127.0.0.1:$SIP_PORT" --count 1000 --offset 0 \
		--impu-fmt "sip:nobody%lu@elsewhere.lab" --window 64 --duration "$DUR" \
		--label "$name-404" >"$RES/scale-$n-404.json"
	# bind events: bindings made and dropped on held connections
	"$LOAD" --mode hold --target "127.0.0.1:$WS_PORT" "${who[@]}" --conns 2000 \
		--impus-per-conn 5 --concurrency 64 --src-ips $SRC_IPS --milestones 10000 \
		--hold-secs 1 --timeout 30 --label "$name-bind" >"$RES/scale-$n-bind.jsonl" </dev/null
	sleep 1
	# memory once the connections are gone
	{
		printf '{"shm":%s,"procs":[' "$(shm_used || echo 0)"
		proc_table | awk '{printf "%s[%s,%s,%s]", (NR > 1 ? "," : ""), $1, $2, $3}'
		printf '],"pkg":['
		"$KAMCMD" -s "$CTL" pkg.stats 2>/dev/null |
			awk '$1=="pid:"{p=$2} $1=="used:"{printf "%s[%s,%s]", (n++ ? "," : ""), p, $2}'
		printf ']}\n'
	} >"$RES/scale-$n-mem.json"
	# reload: the RPC process loads, validates, indexes, syncs the range state
	: >"$RES/scale-$n-reload.txt"
	for i in 1 2 3; do
		local r0 r1 out
		r0=$(date +%s.%N)
		out=$("$KAMCMD" -s "$CTL" ims_wic.reload 2>&1 || true)
		r1=$(date +%s.%N)
		echo "$(echo "$r1 - $r0" | bc -l) $out" >>"$RES/scale-$n-reload.txt"
	done
	# the first request after a reload: that worker loads its own copy
	"$LOAD" --mode refresh --target "127.0.0.1:$WS_PORT" "${who[@]}" --conns 8 \
		--concurrency 8 --src-ips $SRC_IPS --duration 1 \
		--label "$name-after-reload" >"$RES/scale-$n-after-reload.json" || true
	echo "{\"start_s\":$(echo "$t1 - $t0" | bc -l)}" >"$RES/scale-$n-start.json"
	check_alive "$name"
	stop_kam
	log "  $n WWSFs: newreg $(grep -o '"rate_per_s":[0-9.]*' "$RES/scale-$n-newreg.json"), refresh $(grep -o '"rate_per_s":[0-9.]*' "$RES/scale-$n-refresh.json"), 480 $(grep -o '"rate_per_s":[0-9.]*' "$RES/scale-$n-480.json"), 404 $(grep -o '"rate_per_s":[0-9.]*' "$RES/scale-$n-404.json"), reload $(head -1 "$RES/scale-$n-reload.txt" | cut -d' ' -f1-4)"
}
if [[ " $PHASES " == *" scale "* ]]; then
	log "scale: provisionings of ${SCALE_COUNTS// /, } WWSFs, tokens of the last WWSF, ${DUR}s per rate"
	mkdir -p "$WORK/scale"
	"$SCALE" gen --dir "$WORK/scale" --wwsfs "${SCALE_COUNTS// /,}" >"$RES/scale-gen.json"
	log "  keys: $(cat "$RES/scale-gen.json")"
	for n in $SCALE_COUNTS; do
		"$SCALE" lookup --prov "$WORK/scale/prov-$n.json" >"$RES/scale-$n-lookup.json"
		sc "$n"
	done
fi

# ---------------------------------------------------------------- 7 media
if [[ " $PHASES " == *" media "* ]]; then
	log "media through the eIMS-AGW: relay and transcode"
	node "$REPO/bench/media.js" "$RES/media.json" || log "media phase failed (see above)"
fi

# ---------------------------------------------------------------- report
STAMP=$(date -u +%Y%m%dT%H%M%SZ)
OUTJSON=$RESULTS/bench-$STAMP.json
OUTPNG=$RESULTS/bench-$STAMP.png
RAW=$RESULTS/raw-$STAMP
export RES OUTJSON WORK NOFILE WORKERS DUR LOADAVG_START
export ELAPSED=$(($(date +%s) - T0))
python3 - <<'PY'
import json, os, glob, platform, subprocess

res = os.environ["RES"]
def load(name):
    p = os.path.join(res, name)
    if not os.path.exists(p):
        return None
    with open(p) as f:
        txt = f.read().strip().splitlines()
    if not txt:
        return None
    d = json.loads(txt[0])
    d["_run"] = name[:-5] if name.endswith(".json") else name
    return d

def sh(cmd):
    try:
        return subprocess.run(cmd, shell=True, capture_output=True, text=True).stdout.strip()
    except Exception:
        return ""

crashed = sorted(os.path.basename(p)[6:-5] for p in glob.glob(os.path.join(res, "crash-*.json")))

def rate(d):
    # a run during which Kamailio died has no valid rate
    if not d or any(d["_run"].startswith(c) for c in crashed):
        return None
    return d["rate_per_s"]

def ratio(a, b):
    return round(a / b, 3) if a and b else None

out = {
    "machine": {
        "nproc": os.cpu_count(),
        "cpu": sh("lscpu | sed -n 's/^Model name: *//p' | head -1"),
        "kernel": platform.release(),
        "kamailio": sh("/usr/sbin/kamailio -v | head -1"),
        "openssl": sh("openssl version"),
        "open_files_limit": int(os.environ["NOFILE"]),
        "loadavg_start": os.environ["LOADAVG_START"],
        "loadavg_end": open("/proc/loadavg").read().split()[:3],
        "workers": int(os.environ["WORKERS"]),
        "duration_s": float(os.environ["DUR"]),
        "elapsed_s": int(os.environ["ELAPSED"]),
    },
}

v = {a: load(f"verify-{a}.json") for a in ("ES256", "RS256")}
out["verify"] = v

nr = {n: load(f"newreg-{n}.json") for n in
      ("wic-wss-es256", "wic-wss-rs256", "stock-wss", "wic-ws-es256", "wic-ws-rs256", "stock-ws")}
out["new_registrations"] = nr
rf = {n: load(f"refresh-{n}.json") for n in ("wic-wss", "stock-wss", "wic-ws", "stock-ws")}
out["refresh"] = rf
tm = {f"{k}-{w}": load(f"term-{k}-{w}.json") for k in ("wic", "stock")
      for w in ("registered", "unregistered")}
out["terminating"] = tm

hold = {}
for n in ("wic-ws", "stock-ws", "wic-ws-big", "stock-ws-big", "wic-wss", "stock-wss"):
    h = load(f"hold-{n}.json")
    if not h:
        continue
    if not h["after"]["shm"] or not h["ready"]["bindings"] or f"hold-{n}" in crashed:
        h["bindings"] = h["ready"]["bindings"]
        h["per_binding_bytes"] = {"shm_total": None, "module_shm": None, "rss": None, "pss": None}
        h["per_connection_bytes"] = {"shm_total": None, "pss": None}
        hold[n] = h
        continue
    b = h["ready"]["bindings"] or 1
    c = h["ready"]["conns_open"] or 1
    d = lambda k: h["after"][k] - h["before"][k]
    h["bindings"] = h["ready"]["bindings"]
    h["per_binding_bytes"] = {
        "shm_total": round(d("shm") / b),
        "module_shm": round(d("mod_shm") / b),
        "rss": round(d("rss_kb") * 1024 / b),
        "pss": round(d("pss_kb") * 1024 / b),
    }
    h["per_connection_bytes"] = {"shm_total": round(d("shm") / c), "pss": round(d("pss_kb") * 1024 / c)}
    hold[n] = h
out["hold"] = hold

def rr(name, a, b, target, higher=True):
    val = ratio(a, b)
    return {"name": name, "value": val, "target": target,
            "met": (val is not None and (val >= target if higher else val <= target))}

targets = []
g = lambda d, k: rate(d.get(k)) if d.get(k) else None
targets.append(rr("new reg WSS ES256 / stock", g(nr, "wic-wss-es256"), g(nr, "stock-wss"), 0.8))
targets.append(rr("new reg WSS RS256 / stock", g(nr, "wic-wss-rs256"), g(nr, "stock-wss"), 0.8))
targets.append(rr("new reg WS ES256 / stock", g(nr, "wic-ws-es256"), g(nr, "stock-ws"), 0.8))
targets.append(rr("new reg WS RS256 / stock", g(nr, "wic-ws-rs256"), g(nr, "stock-ws"), 0.8))
targets.append(rr("refresh WSS / stock", g(rf, "wic-wss"), g(rf, "stock-wss"), 0.95))
targets.append(rr("refresh WS / stock", g(rf, "wic-ws"), g(rf, "stock-ws"), 0.95))
targets.append(rr("terminating delivered / stock", g(tm, "wic-registered"), g(tm, "stock-registered"), 0.95))
targets.append(rr("terminating 480 / stock", g(tm, "wic-unregistered"), g(tm, "stock-unregistered"), 0.95))
for a in ("ES256", "RS256"):
    if v[a]:
        targets.append({"name": f"verify cost {a} / raw OpenSSL (EVP_DigestVerifyInit+DigestVerify)",
                        "value": v[a]["cost_ratio_vs_raw_init"], "target": 1.2,
                        "met": v[a]["cost_ratio_vs_raw_init"] <= 1.2})
        targets.append({"name": f"verify cost {a} / raw OpenSSL (pre-initialised ctx copy)",
                        "value": v[a]["cost_ratio_vs_raw_dup"], "target": 1.2,
                        "met": v[a]["cost_ratio_vs_raw_dup"] <= 1.2})
for n in ("wic-ws", "wic-ws-big", "wic-wss"):
    if n in hold:
        mb = hold[n]["per_binding_bytes"]["module_shm"]
        targets.append({"name": f"module shm per binding ({n}, {hold[n]['bindings']} bindings)",
                        "value": mb, "target": 1024, "met": mb is not None and mb <= 1024})
if "wic-ws" in hold:
    c = hold["wic-ws"]["ready"]["conns_open"]
    targets.append({"name": "WS connections held (target 100000)", "value": c,
                    "target": 100000, "met": c >= 100000})
if "wic-ws-big" in hold:
    c = hold["wic-ws-big"]["bindings"]
    targets.append({"name": "WS bindings held (target 100000)", "value": c,
                    "target": 100000, "met": c >= 100000})
if "wic-wss" in hold:
    c = hold["wic-wss"]["ready"]["conns_open"]
    targets.append({"name": "WSS connections held (target 20000)", "value": c,
                    "target": 20000, "met": c >= 20000})
# ---- scale: per-request cost against the one-WWSF figure
def scale_load(n, what):
    p = os.path.join(res, f"scale-{n}-{what}")
    if not os.path.exists(p):
        return None
    with open(p) as fh:
        lines = [l for l in fh.read().splitlines() if l.strip()]
    if not lines:
        return None
    if what.endswith(".txt"):
        return [float(l.split()[0]) for l in lines if l.split()[0:1] and " ok," in l]
    return json.loads(lines[0])

scale = {}
for p in sorted(glob.glob(os.path.join(res, "scale-*-lookup.json")), key=lambda x: int(x.split("-")[-2])):
    n = int(p.split("-")[-2])
    if any(c == f"scale-{n}" for c in crashed):
        continue
    d = {"lookup_ns": scale_load(n, "lookup.json")}
    for m in ("newreg", "refresh", "480", "404"):
        x = scale_load(n, f"{m}.json")
        d[m] = x["rate_per_s"] if x and not sum(x["errors"].values()) else None
    b = scale_load(n, "bind.jsonl")
    d["bind"] = b["milestones"][-1]["rate_per_s"] if b and b.get("milestones") else None
    rl = scale_load(n, "reload.txt") or []
    d["reload_s"] = sorted(rl)[len(rl) // 2] if rl else None
    d["start_s"] = (scale_load(n, "start.json") or {}).get("start_s")
    ar = scale_load(n, "after-reload.json")
    d["after_reload_max_ms"] = ar["lat_ms"]["max"] if ar else None
    mem = scale_load(n, "mem.json")
    if mem:
        rss = sorted(x[1] for x in mem["procs"])
        d["mem"] = {"shm_bytes": mem["shm"], "processes": len(rss),
                    "rss_kb_median": rss[len(rss) // 2] if rss else None,
                    "rss_kb_max": rss[-1] if rss else None,
                    "pss_kb_total": sum(x[2] for x in mem["procs"]),
                    "pkg_used_max": max((x[1] for x in mem["pkg"]), default=None)}
    scale[n] = d
base = scale.get(min(scale)) if scale else None
for n, d in scale.items():
    d["cost_ratio"] = {m: (round(base[m] / d[m], 3) if base and base[m] and d[m] else None)
                       for m in ("newreg", "refresh", "480", "404", "bind")}
out["scale"] = scale
if scale and max(scale) > min(scale):
    top = scale[max(scale)]
    for m in ("newreg", "refresh", "480", "404", "bind"):
        cr = top["cost_ratio"][m]
        targets.append({"name": f"scale {max(scale)} WWSFs / 1: cost of {m}", "value": cr,
                        "target": 1.2, "met": cr is not None and cr <= 1.2})
    targets.append({"name": f"scale reload of {max(scale)} WWSFs (s)", "value": top["reload_s"],
                    "target": 2.0, "met": top["reload_s"] is not None and top["reload_s"] < 2.0})
media = load("media.json")
if media:
    media.pop("_run", None)
out["media"] = media

out["targets"] = targets
out["crashed_runs"] = crashed

with open(os.environ["OUTJSON"], "w") as f:
    json.dump(out, f, indent=1)

# ---- table
def f(x, nd=0):
    return "-" if x is None else (f"{x:,.{nd}f}")
def lat(d):
    return "-" if not d else f"{d['lat_ms']['p50']:.1f}/{d['lat_ms']['p99']:.1f}"
def errs(d):
    return "-" if not d else str(sum(d["errors"].values()))
print()
print(f"{'measure':44} {'ims_wic/s':>10} {'stock/s':>10} {'ratio':>6}  {'p50/p99 ms wic':>15} {'stock':>13} err")
rows = [
    ("1 new reg WSS ES256 (conn+TLS+WS+REGISTER)", nr["wic-wss-es256"], nr["stock-wss"]),
    ("1 new reg WSS RS256", nr["wic-wss-rs256"], nr["stock-wss"]),
    ("1 new reg WS ES256", nr["wic-ws-es256"], nr["stock-ws"]),
    ("1 new reg WS RS256", nr["wic-ws-rs256"], nr["stock-ws"]),
    ("2 refresh WSS (200 conns)", rf["wic-wss"], rf["stock-wss"]),
    ("2 refresh WS (200 conns)", rf["wic-ws"], rf["stock-ws"]),
    ("3 INVITE delivered (200+ACK, WS)", tm["wic-registered"], tm["stock-registered"]),
    ("3 INVITE rejected 480 (unregistered)", tm["wic-unregistered"], tm["stock-unregistered"]),
]
chart = []
for name, a, b in rows:
    ra, rb = rate(a), rate(b)
    print(f"{name:44} {f(ra):>10} {f(rb):>10} {f(ratio(ra, rb), 2) if ra and rb else '-':>6}  {lat(a):>15} {lat(b):>13} {errs(a)}/{errs(b)}")
    if ra or rb:
        chart.append((name[2:].replace(' (conn+TLS+WS+REGISTER)', '').replace(' ', '_'), ra or 0, rb or 0))
print()
for a in ("ES256", "RS256"):
    x = v[a]
    if x:
        print(f"4 verify {a}: raw OpenSSL {x['raw_init_per_s']:,.0f}/s (ctx copy {x['raw_dup_per_s']:,.0f}/s), "
              f"wic_token_verify {x['wic_full_per_s']:,.0f}/s -> cost ratio {x['cost_ratio_vs_raw_init']:.2f} "
              f"({x['cost_ratio_vs_raw_dup']:.2f} vs ctx copy); no-signature path {x['us']['wic_nosig']:.1f} us, "
              f"cache hit {x['us']['tcache_hit']:.2f} us")
print()
print(f"{'5 held':14} {'conns':>7} {'bindings':>9} {'shm B/bind':>11} {'module B/bind':>14} {'RSS B/bind':>11} {'PSS B/bind':>11} {'reg/s @1k':>10} {'@10k':>8} {'@max':>8}")
for n, h in hold.items():
    m = {x["bindings"]: x["rate_per_s"] for x in h["ready"]["milestones"]}
    ks = sorted(m)
    pb = {k: (x if x is not None else 0) for k, x in h["per_binding_bytes"].items()}
    print(f"{n:14} {h['ready']['conns_open']:>7} {h['bindings']:>9} {pb['shm_total']:>11,} {pb['module_shm']:>14,} "
          f"{pb['rss']:>11,} {pb['pss']:>11,} {f(m.get(1000)):>10} {f(m.get(10000)):>8} {f(m[ks[-1]] if ks else None):>8}")
print()
if scale:
    print()
    print(f"{'6 scale WWSFs':14} {'newreg/s':>9} {'refresh/s':>10} {'480/s':>8} {'404/s':>8} {'bind/s':>8}  "
          f"{'cost x (newreg refresh 480 404 bind)':>38} {'reload s':>8} {'start s':>7} {'RSS MB/proc':>11} {'PSS MB':>7} {'shm MB':>7}")
    for n, d in scale.items():
        c = d["cost_ratio"]
        m = d.get("mem") or {}
        print(f"{n:>14,} {f(d['newreg']):>9} {f(d['refresh']):>10} {f(d['480']):>8} {f(d['404']):>8} {f(d['bind']):>8}  "
              f"{' '.join(f(c[k], 2) for k in ('newreg', 'refresh', '480', '404', 'bind')):>38} "
              f"{f(d['reload_s'], 3):>8} {f(d['start_s'], 1):>7} "
              f"{f((m.get('rss_kb_median') or 0) / 1024, 1):>11} {f((m.get('pss_kb_total') or 0) / 1024, 0):>7} "
              f"{f((m.get('shm_bytes') or 0) / 1048576, 0):>7}")
    print("  in-process ns (origin issuer admission 480 404 bind-event):")
    for n, d in scale.items():
        x = d["lookup_ns"]["ns"]
        print(f"  {n:>8,}: " + " ".join(f"{x[k]:.0f}" for k in ("origin", "issuer", "range_admission", "range_480", "range_404", "rstate_bind_event"))
              + f"; load {d['lookup_ns']['load_s']:.3f} s, index {d['lookup_ns']['index_bytes']:,} B, provisioning heap {d['lookup_ns']['prov_heap_bytes']:,} B")
print()
if media:
    print(f"{'7 media (AGW)':14} {'calls':>6} {'pkt/s in':>9} {'AGW CPU %':>10} {'% per call':>11} {'calls/core@80%':>15} {'loss a->b %':>12} {'rt loss %':>10}")
    for m in media.values():
        print(f"{m['mode']:14} {m['calls']:>6} {m['packets_per_s_into_agw']:>9,} {m['agw_cpu_pct_of_one_core']:>10} "
              f"{m['agw_cpu_pct_per_call']:>11} {str(m['calls_per_core_at_80pct']):>15} {m['loss_a_to_b_pct']:>12} {m['loss_round_trip_pct']:>10}")
    print()
for t in targets:
    print(f"  [{'MET ' if t['met'] else 'MISS'}] {t['name']}: {t['value']} (target {t['target']})")
if out["crashed_runs"]:
    print("  Kamailio died during: " + ", ".join(out["crashed_runs"]))
with open(os.path.join(os.environ["WORK"], "chart.dat"), "w") as fh:
    for c in chart:
        fh.write(f"{c[0]} {c[1]} {c[2]}\n")
PY
cp "$OUTJSON" "$RESULTS/latest.json"
if command -v gnuplot >/dev/null 2>&1 && [ -s "$WORK/chart.dat" ]; then
	gnuplot <<EOF
set terminal pngcairo size 1100,600 noenhanced font "sans,10"
set output "$OUTPNG"
set title "ims_wic vs stock registrar (Kamailio 5.6, $(nproc) cores, loopback) - $STAMP"
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.8 border -1
set ylabel "operations / s (log scale)"
set logscale y
set yrange [10:*]
set grid ytics
set key top left
set xtics rotate by -25 scale 0
plot "$WORK/chart.dat" using 2:xtic(1) title "ims_wic" lc rgb "#1f77b4", \
     "" using 3 title "stock" lc rgb "#aaaaaa"
EOF
	[ -s "$OUTPNG" ] && cp "$OUTPNG" "$RESULTS/latest.png"
fi
log "results: $OUTJSON ${OUTPNG:+and $OUTPNG} (${ELAPSED}s)"
