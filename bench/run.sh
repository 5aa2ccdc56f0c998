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
# Phases 1-5 run in BENCH_ROUNDS interleaved rounds (ims_wic and stock
# alternately, the order swapped every other round, the in-process verify
# cost measured in every round); the report gives for every figure and
# every ratio the median of the rounds with their min and max, judges the
# targets on the median, and prints beside every new-registration figure
# its physical limit: stock's rate of the same round plus one signature
# verification per registration on the machine's cores (docs/performance.md).
# Writes bench/results/bench-<UTC stamp>.json, bench/results/bench.png and
# the same under the names latest.json / latest.png; prints a table.
# Knobs (environment): BENCH_ROUNDS (5), BENCH_DURATION (s per rate run, default 6),
# BENCH_VERIFY_SECONDS (1, per algorithm and round), BENCH_BIG_EVERY_ROUND
# (0: the 100,000-binding hold in round 1 only; 1: every round),
# BENCH_MEM_MANAGER (Kamailio -x shared memory manager, "tlsf"),
# BENCH_WORKERS (Kamailio children and tcp_children, 4), BENCH_HOLD_WS,
# BENCH_HOLD_WSS (connections held; default min(target, open files limit -
# 400)), BENCH_BIG_BINDINGS (100000), BENCH_PORT_BASE (45000), BENCH_PHASES
# ("verify newreg refresh term hold scale media"), BENCH_SCALE_WWSFS ("1 100 10000"),
# BENCH_SCALE_MEM_MANAGER (Kamailio -x of the scale phase, "tlsf"),
# BENCH_MEDIA_CALLS_RELAY (100), BENCH_MEDIA_CALLS_TRANSCODE (30), BENCH_MEDIA_SECONDS (15),
# BENCH_KEMI=1 (ims_wic with the Lua routing, kamailio-kemi.cfg),
# BENCH_WIC_DEFINES ("NAME=VALUE ...": more -A defines for the ims_wic runs,
# an A/B of a setting), BENCH_SHM_PREFAULT (0; 1: the rate runs' Kamailio,
# both configurations, touch all of their shared memory at start, define
# SHM_PREFAULT), BENCH_PERF_HOLD=1 (perf record of every Kamailio process during each held
# phase's ramp and each steady window, to <results>/r<round>/perf-hold-<name>.data
# and perf-steady-<name>-<level>.data; `perf report -i FILE --time 0%-10%`
# reads a slice).
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

DUR=${BENCH_DURATION:-6}
ROUNDS=${BENCH_ROUNDS:-5}
VERIFY_S=${BENCH_VERIFY_SECONDS:-1}
BIG_EVERY=${BENCH_BIG_EVERY_ROUND:-0}
MEM_MANAGER=${BENCH_MEM_MANAGER:-tlsf}
WORKERS=${BENCH_WORKERS:-4}
BASE=${BENCH_PORT_BASE:-45000}
SIP_PORT=$((BASE + 60)) WSS_PORT=$((BASE + 443)) WS_PORT=$((BASE + 80))
IMS_PORT=$((BASE + 70))
PHASES=${BENCH_PHASES:-verify newreg refresh term hold scale media}
SCALE_COUNTS=${BENCH_SCALE_WWSFS:-1 100 10000}
SHM_MB=${BENCH_SHM_MB:-4096}
PREFAULT=${BENCH_SHM_PREFAULT:-0}
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
	cp -r "$RES"/* "$RAW"/ 2>/dev/null || true
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
for d in ${BENCH_WIC_DEFINES:-}; do WIC_DEFS+=(-A "$d"); done
STOCK_DEFS=(-f "$REPO/kamailio-cfg/bench-stock.cfg"
	-A "TCP_MAX_CONNECTIONS=30000" -A "TLS_MAX_CONNECTIONS=20000"
	-A WITH_OPENSSL_THREAD_FIX -A "WIC_MODULE=\"$WORK/ims_wic.so\""
	-A "PROVISIONING=\"$WORK/prov.json\"")

CTL=
KPID=
KNAME=
# start_kam NAME wic|stock [PROVISIONING WILDCARD]: that range (default:
# one) registered with the IMS Core stand-in. KAM_PREFAULT=1: all of its
# shared memory touched at start (for the rate runs, BENCH_SHM_PREFAULT: a
# node that has run for a while has touched it, a fresh one pays the
# kernel's zeroing of each page at its first use; the runs that measure
# memory never prefault)
start_kam() {
	local name=$1 kind=$2 prov=${3:-$WORK/prov.json} want=${4:-} rd=$WORK/run-$1 i
	local -a defs
	mkdir -p "$rd"
	if [ "$kind" = wic ]; then
		defs=("${WIC_DEFS[@]/#PROVISIONING=*/PROVISIONING=\"$prov\"}")
	else
		defs=("${STOCK_DEFS[@]}")
	fi
	[ "${KAM_PREFAULT:-0}" = 1 ] && defs+=(-A SHM_PREFAULT)
	CTL="unix:$rd/ctl"
	KNAME=$name
	"$KAMAILIO" -x "${KAM_MEM_MANAGER:-$MEM_MANAGER}" -DD -E -Y "$rd" -m "$SHM_MB" -M "$PKG_MB" "${defs[@]}" \
		"${COMMON_DEFS[@]}" -A "CTL_SOCK=\"$CTL\"" >"$WORK/$LOGPFX$name.log" 2>&1 &
	KPID=$!
	KPIDS+=("$KPID")
	# 30 s: SHM_PREFAULT touches 4 GB in about 7 s
	for i in $(seq 300); do
		"$KAMCMD" -s "$CTL" core.version >/dev/null 2>&1 && break
		kill -0 "$KPID" 2>/dev/null || { tail -20 "$WORK/$LOGPFX$name.log" >&2; die "$name did not start"; }
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
		echo "{\"crashed\":true}" >"$RR/crash-$1.json"
	fi
}
# stop_kam: SIGTERM, 30 s to exit; an exit other than 0 (a crash or a
# hang at stop) is recorded as stopfail-NAME and reported
stop_kam() {
	local i rc=0 how=exit
	kill -TERM "$KPID" 2>/dev/null || true
	for i in $(seq 300); do
		kill -0 "$KPID" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$KPID" 2>/dev/null; then
		how=killed
		kill -KILL "$KPID" 2>/dev/null || true
	fi
	wait "$KPID" 2>/dev/null || rc=$?
	if [ "$rc" != 0 ] || [ "$how" = killed ]; then
		log "  $KNAME: STOP FAILED ($how, status $rc; see raw logs)"
		echo "{\"name\":\"$KNAME\",\"how\":\"$how\",\"status\":$rc}" >"$RR/stopfail-$KNAME.json"
	fi
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
LOADAVG_SAMPLES=
log "work dir $WORK; open files $NOFILE; hold WS $HOLD_WS, WSS $HOLD_WSS, big $BIG (${BIG_CONNS} x ${BIG_K})"

# Phases 1-5 run in ROUNDS interleaved rounds: each round runs every
# measurement of ims_wic and of stock once, in the opposite order every
# other round (odd rounds ims_wic first, even rounds stock first), and the
# verify cost of the same round; the report gives the median and the
# spread (min, max) of each figure and of each per-round ratio. RR is the
# folder of the round under way.
RR=$RES
LOGPFX=
ROUND=0
# in_order CMD...: runs the commands in this order in odd rounds, in the
# reverse order in even rounds
in_order() {
	local -a c=("$@")
	local i
	if ((ROUND % 2)); then
		for ((i = 0; i < ${#c[@]}; i++)); do eval "${c[$i]}"; done
	else
		for ((i = ${#c[@]} - 1; i >= 0; i--)); do eval "${c[$i]}"; done
	fi
}

# ---------------------------------------------------------------- 4 verify
vb() {
	"$VBENCH" --prov "$WORK/prov.json" --key "$WORK/es.key" --alg ES256 --kid bench-es \
		--seconds "$VERIFY_S" >"$RR/verify-ES256.json"
	"$VBENCH" --prov "$WORK/prov.json" --key "$WORK/rs.key" --alg RS256 --kid bench-rs \
		--seconds "$VERIFY_S" >"$RR/verify-RS256.json"
	log "  verify: ES256 $(grep -o '"raw_dup_per_s":[0-9]*' "$RR/verify-ES256.json"), RS256 $(grep -o '"raw_dup_per_s":[0-9]*' "$RR/verify-RS256.json")"
}

# ---------------------------------------------------------------- 1 new reg
# cr NAME kind tls alg tokens
cr() {
	local name=$1 kind=$2 tls=$3 alg=$4 tokens=$5 key kid port
	local -a t=()
	if [ "$alg" = RS256 ]; then key=$WORK/rs.key kid=bench-rs; else key=$WORK/es.key kid=bench-es; fi
	if [ "$tls" = wss ]; then t=(--tls) port=$WSS_PORT; else port=$WS_PORT; fi
	KAM_PREFAULT=$PREFAULT start_kam "newreg-$name" "$kind"
	"$LOAD" --mode connect-register --target "127.0.0.1:$port" "${t[@]}" --key "$key" \
		--alg "$alg" --kid "$kid" --tokens "$tokens" --concurrency 32 --src-ips $SRC_IPS \
		--duration "$DUR" --label "$name" >"$RR/newreg-$name.json"
	check_alive "newreg-$name"
	stop_kam
	log "  $name: $(grep -o '"rate_per_s":[0-9.]*' "$RR/newreg-$name.json")"
}

# ---------------------------------------------------------------- 2 refresh
rf() {
	local name=$1 kind=$2 tls=$3 port
	local -a t=()
	if [ "$tls" = wss ]; then t=(--tls) port=$WSS_PORT; else port=$WS_PORT; fi
	KAM_PREFAULT=$PREFAULT start_kam "refresh-$name" "$kind"
	"$LOAD" --mode refresh --target "127.0.0.1:$port" "${t[@]}" --key "$WORK/es.key" \
		--conns 200 --concurrency 64 --src-ips $SRC_IPS --duration "$DUR" \
		--label "$name" >"$RR/refresh-$name.json"
	check_alive "refresh-$name"
	stop_kam
	log "  $name: $(grep -o '"rate_per_s":[0-9.]*' "$RR/refresh-$name.json")"
}

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
	KAM_PREFAULT=$PREFAULT start_kam "term-$name" "$kind"
	"$LOAD" --mode answer --target "127.0.0.1:$WS_PORT" --key "$WORK/es.key" --conns 1000 \
		--concurrency 64 --src-ips $SRC_IPS --hold-secs 300 --label "$name" \
		>"$RR/answer-$name.jsonl" </dev/null &
	apid=$!
	BGPIDS+=("$apid")
	wait_ready "$RR/answer-$name.jsonl" "$apid"
	"$LOAD" --mode invite --target "127.0.0.1:$SIP_PORT" --count 1000 --offset 0 \
		--window 64 --duration "$DUR" --label "$name-registered" >"$RR/term-$name-registered.json"
	"$LOAD" --mode invite --target "127.0.0.1:$SIP_PORT" --count 1000 --offset 5000000 \
		--window 64 --duration "$DUR" --label "$name-unregistered" >"$RR/term-$name-unregistered.json"
	kill -TERM "$apid"
	wait "$apid" || true
	check_alive "term-$name"
	stop_kam
	log "  $name: delivered $(grep -o '"rate_per_s":[0-9.]*' "$RR/term-$name-registered.json"), rejected $(grep -o '"rate_per_s":[0-9.]*' "$RR/term-$name-unregistered.json")"
}

# ---------------------------------------------------------------- 5 hold
# hd NAME kind tls conns impus_per_conn milestones
hd() {
	local name=$1 kind=$2 tls=$3 conns=$4 k=$5 miles=$6 port hpid before after mod
	local -a t=()
	if [ "$tls" = wss ]; then t=(--tls) port=$WSS_PORT; else port=$WS_PORT; fi
	if [ "$kind" = wic ]; then mod=ims_wic; else mod=usrloc; fi
	start_kam "hold-$name" "$kind"
	sleep 1
	before=$(mem_json "$mod")
	"$LOAD" --mode hold --target "127.0.0.1:$port" "${t[@]}" --key "$WORK/es.key" \
		--conns "$conns" --impus-per-conn "$k" --concurrency 64 --src-ips $SRC_IPS \
		--milestones "$miles" --hold-secs 300 --timeout 30 --label "$name" \
		>"$RR/hold-$name.jsonl" </dev/null &
	hpid=$!
	BGPIDS+=("$hpid")
	perf_start "$RR/perf-hold-$name.data"
	wait_ready "$RR/hold-$name.jsonl" "$hpid"
	perf_stop
	sleep 2
	after=$(mem_json "$mod")
	printf '{"name":"%s","kind":"%s","tls":"%s","conns":%s,"impus_per_conn":%s,"before":%s,"after":%s,"ready":%s}\n' \
		"$name" "$kind" "$tls" "$conns" "$k" "$before" "$after" \
		"$(grep '"event":"ready"' "$RR/hold-$name.jsonl")" >"$RR/hold-$name.json"
	kill -TERM "$hpid"
	wait "$hpid" || true
	check_alive "hold-$name"
	stop_kam
	log "  $name: $(grep -o '"bindings":[0-9]*' "$RR/hold-$name.jsonl" | head -1), $(grep -o '"milestones":\[[^]]*\]' "$RR/hold-$name.jsonl" | head -1 | grep -o '"rate_per_s":[0-9.]*' | tr '\n' ' ')"
}

# hs NAME kind tls conns levels: new registrations at steady levels of held
# connections. For each level L (comma list, the last one = conns) a hold
# process adds connections (one binding each, IMPUs of its own) up to L,
# then connect-register runs DUR seconds on top of them (IMPUs of its own,
# each connection closed after its 200): the rate at L. The ramp's own
# milestones (hd) are 0.15-0.3 s windows, shorter than the 1 s walks of
# the websocket keepalive and timer, and read where the walks fell.
hs() {
	local name=$1 kind=$2 tls=$3 conns=$4 levels=$5 port held=0 lvl hpid
	local rate steady="" tokens=60000
	local -a t=() hpids=()
	if [ "$tls" = wss ]; then t=(--tls) port=$WSS_PORT tokens=20000; else port=$WS_PORT; fi
	KAM_PREFAULT=$PREFAULT start_kam "steady-$name" "$kind"
	for lvl in ${levels//,/ }; do
		# a level above what this host can hold, or not above the last one
		[ "$lvl" -le "$conns" ] && [ "$lvl" -gt "$held" ] || continue
		"$LOAD" --mode hold --target "127.0.0.1:$port" "${t[@]}" --key "$WORK/es.key" \
			--conns $((lvl - held)) --offset "$held" --concurrency 64 --src-ips $SRC_IPS \
			--hold-secs 600 --timeout 30 --label "$name-to-$lvl" \
			>"$RR/steady-$name-to-$lvl.jsonl" </dev/null &
		hpid=$!
		BGPIDS+=("$hpid")
		hpids+=("$hpid")
		wait_ready "$RR/steady-$name-to-$lvl.jsonl" "$hpid"
		held=$lvl
		perf_start "$RR/perf-steady-$name-$lvl.data"
		"$LOAD" --mode connect-register --target "127.0.0.1:$port" "${t[@]}" --key "$WORK/es.key" \
			--alg ES256 --kid bench-es --tokens "$tokens" --offset 5000000 --concurrency 32 \
			--src-ips $SRC_IPS --duration "$DUR" --label "$name-at-$lvl" \
			>"$RR/steady-$name-at-$lvl.json"
		perf_stop
		rate=$(grep -o '"rate_per_s":[0-9.]*' "$RR/steady-$name-at-$lvl.json" | head -1 | cut -d: -f2)
		steady="$steady${steady:+,}{\"bindings\":$lvl,\"rate_per_s\":${rate:-null}}"
	done
	printf '{"name":"%s","kind":"%s","tls":"%s","held":%s,"steady":[%s]}\n' \
		"$name" "$kind" "$tls" "$held" "$steady" >"$RR/steady-$name.json"
	kill -TERM "${hpids[@]}"
	wait "${hpids[@]}" || true
	check_alive "steady-$name"
	stop_kam
	log "  $name: new registrations with $levels held: $(grep -o '"rate_per_s":[0-9.null]*' "$RR/steady-$name.json" | cut -d: -f2 | tr '\n' ' ')"
}

# perf_start FILE / perf_stop: with BENCH_PERF_HOLD=1, a call-graph profile
# of the Kamailio of the run (main process and every child)
PERF_PID=
perf_start() {
	[ "${BENCH_PERF_HOLD:-0}" = 1 ] || return 0
	perf record -q -F 999 -g -o "$1" -p "$KPID,$(pgrep -d, -P "$KPID")" \
		>/dev/null 2>&1 &
	PERF_PID=$!
}
perf_stop() {
	[ -n "$PERF_PID" ] || return 0
	kill -INT "$PERF_PID" 2>/dev/null || true
	wait "$PERF_PID" || true
	PERF_PID=
}

phase() { [[ " $PHASES " == *" $1 "* ]]; }
phase verify || phase newreg || phase refresh || phase term || phase hold || ROUNDS=0
for ROUND in $(seq "$ROUNDS"); do
	RR=$RES/r$ROUND
	LOGPFX=r$ROUND-
	mkdir -p "$RR"
	LOADAVG_SAMPLES="$LOADAVG_SAMPLES $(cut -d' ' -f1 /proc/loadavg)"
	log "round $ROUND of $ROUNDS ($( ((ROUND % 2)) && echo "ims_wic first" || echo "stock first"))"
	if phase verify || phase newreg || phase hold; then
		vb
	fi
	if phase newreg; then
		log " new registrations: connect + handshake + REGISTER, ${DUR}s each"
		in_order "cr wic-wss-es256 wic wss ES256 20000" "cr wic-wss-rs256 wic wss RS256 12000" \
			"cr stock-wss stock wss ES256 20000"
		in_order "cr wic-ws-es256 wic ws ES256 60000" "cr wic-ws-rs256 wic ws RS256 30000" \
			"cr stock-ws stock ws ES256 60000"
	fi
	if phase refresh; then
		log " refresh registrations over 200 open connections, ${DUR}s each"
		in_order "rf wic-wss wic wss" "rf stock-wss stock wss"
		in_order "rf wic-ws wic ws" "rf stock-ws stock ws"
	fi
	if phase term; then
		log " terminating INVITEs from the IMS Core address to 1000 WICs (WS), ${DUR}s each"
		in_order "tm wic wic" "tm stock stock"
	fi
	if phase hold; then
		log " held bindings: WS $HOLD_WS, WS $BIG bindings on $BIG_CONNS connections, WSS $HOLD_WSS"
		in_order "hd wic-ws wic ws $HOLD_WS 1 1000,10000,$HOLD_WS" \
			"hd stock-ws stock ws $HOLD_WS 1 1000,10000,$HOLD_WS"
		in_order "hs wic-ws wic ws $HOLD_WS 1000,10000,$HOLD_WS" \
			"hs stock-ws stock ws $HOLD_WS 1000,10000,$HOLD_WS"
		if [ "$BIG_EVERY" = 1 ] || [ "$ROUND" = 1 ]; then
			in_order "hd wic-ws-big wic ws $BIG_CONNS $BIG_K 1000,10000,$BIG" \
				"hd stock-ws-big stock ws $BIG_CONNS $BIG_K 1000,10000,$BIG"
		fi
		in_order "hd wic-wss wic wss $HOLD_WSS 1 1000,10000,$HOLD_WSS" \
			"hd stock-wss stock wss $HOLD_WSS 1 1000,10000,$HOLD_WSS"
		in_order "hs wic-wss wic wss $HOLD_WSS 1000,10000,$HOLD_WSS" \
			"hs stock-wss stock wss $HOLD_WSS 1000,10000,$HOLD_WSS"
	fi
done

# the phases below run once
RR=$RES
LOGPFX=

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
export MEM_MANAGER LOADAVG_SAMPLES
python3 "$REPO/bench/report.py"
cp "$OUTJSON" "$RESULTS/latest.json"
if command -v gnuplot >/dev/null 2>&1 && [ -s "$WORK/rates.dat" ]; then
	gnuplot <<EOF
set terminal pngcairo size 1600,700 noenhanced font "sans,9"
set output "$OUTPNG"
set multiplot layout 1,2 title "ims_wic vs stock registrar (Kamailio 5.6, $(nproc) cores, loopback, $ROUNDS rounds: median, bars min-max) - $STAMP"
set style data histograms
set style histogram errorbars gap 1 lw 1
set style fill solid 0.8 border -1
set bars front
set grid ytics
set key top left
set xtics rotate by -35 scale 0
set title "rates"
set ylabel "operations / s (log scale)"
set logscale y
set yrange [10:*]
plot "$WORK/rates.dat" using 2:3:4:xtic(1) title "ims_wic" lc rgb "#1f77b4", \
     "" using 5:6:7 title "stock" lc rgb "#aaaaaa"
set title "ims_wic / stock, and ims_wic / physical limit (stock + one verify)"
set ylabel "ratio (linear)"
unset logscale y
set yrange [0:*]
set arrow 1 from graph 0, first 0.9 to graph 1, first 0.9 nohead dt 2 lc rgb "#d62728"
set arrow 2 from graph 0, first 1 to graph 1, first 1 nohead dt 3 lc rgb "#555555"
plot "$WORK/ratios.dat" using 2:3:4:xtic(1) title "ims_wic / stock" lc rgb "#1f77b4", \
     "" using (\$5 > 0 ? \$5 : NaN):6:7 title "ims_wic / limit (target 0.9)" lc rgb "#2ca02c"
unset multiplot
EOF
	[ -s "$OUTPNG" ] && cp "$OUTPNG" "$RESULTS/latest.png"
fi
log "results: $OUTJSON ${OUTPNG:+and $OUTPNG} (${ELAPSED}s)"
