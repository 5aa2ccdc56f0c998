#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Copyright (C) 2026 the ims_wic authors
#
# The ims_wic lab in containers (docker/docker-compose.yml): eP-CSCF, IMS
# Core stand-in, demo WWSF and an IMS-side sipp, each in its own container,
# all on the host's network namespace and bound to loopback (see
# docker/README.md and docs/decisions.md).
#
#   scripts/docker-lab.sh start    engine, base image, images, stack up and
#                                  healthy, then prints where everything runs
#   scripts/docker-lab.sh stop     stack down (containers, volumes); stops the
#                                  Docker engine when start started it
#   scripts/docker-lab.sh status   the services and their health
#   scripts/docker-lab.sh build    engine, base image, images (cached)
#   scripts/docker-lab.sh engine   a Docker engine that answers (started when
#                                  none runs); engine-stop stops it when this
#                                  script started it, never another one
#   scripts/docker-lab.sh base     the debian:bookworm image: pulled when a
#                                  registry answers, else built with
#                                  debootstrap from the Debian mirror of apt
#
# Environment (defaults = scripts/lab.sh and kamailio-cfg/*.cfg):
#   LAB_IP=127.0.0.1 LAB_SIP_PORT=5060 LAB_WSS_PORT=8443 LAB_WS_PORT=8080
#   LAB_IMS_PORT=5070 LAB_IMS_UA_PORT=5090 LAB_WWSF_PORT=8000 LAB_LOG_LEVEL=2
#   LAB_METRICS_PORT=9494 (Prometheus metrics of the eP-CSCF)
#   DOCKER_LAB_PROJECT=ims-wic-lab   compose project name
#   DOCKER_LAB_TIMEOUT=120           s to wait for every service to be healthy
#   DOCKER_LAB_PULL_TIMEOUT=60       s to try pulling debian:bookworm
#   DOCKER_LAB_MIRROR=...            Debian mirror for debootstrap (default:
#                                    the first one of apt's sources)
#   DOCKER_LAB_EXTRA_CA_CERTS=...    PEM certificate authorities the npm
#                                    step of the WWSF image trusts besides
#                                    Debian's (default: the host's locally
#                                    added ones, /usr/local/share/ca-certificates)
#   DOCKER_LAB_STATE=build/docker-lab   the engine this script started (pid,
#                                    log, marker) and the debootstrap work dir
# A Docker engine that this script starts runs with --iptables=false
# --ip-forward=false --bridge=none: it changes no firewall rule and no
# forwarding setting, and makes no bridge (the lab uses host networking).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh
REPO=$PWD

export LAB_IP=${LAB_IP:-127.0.0.1}
export LAB_SIP_PORT=${LAB_SIP_PORT:-5060}
export LAB_WSS_PORT=${LAB_WSS_PORT:-8443}
export LAB_WS_PORT=${LAB_WS_PORT:-8080}
export LAB_IMS_PORT=${LAB_IMS_PORT:-5070}
export LAB_IMS_UA_PORT=${LAB_IMS_UA_PORT:-5090}
export LAB_WWSF_PORT=${LAB_WWSF_PORT:-8000}
export LAB_LOG_LEVEL=${LAB_LOG_LEVEL:-2}
export LAB_METRICS_PORT=${LAB_METRICS_PORT:-9494}
PROJECT=${DOCKER_LAB_PROJECT:-ims-wic-lab}
TIMEOUT=${DOCKER_LAB_TIMEOUT:-120}
PULL_TIMEOUT=${DOCKER_LAB_PULL_TIMEOUT:-60}
STATE=$(realpath -m "${DOCKER_LAB_STATE:-$REPO/build/docker-lab}")
COMPOSE_FILE=$REPO/docker/docker-compose.yml
SERVICES=(ims-core wwsf epcscf sipp)
BASE_IMAGE=debian:bookworm

usage() {
	sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//' >&2
	exit 2
}

# ---- tools --------------------------------------------------------------------
apt_install() { # packages...
	log "installing: $*"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -q >/dev/null
	apt-get install -y -q --no-install-recommends "$@" >/dev/null
}

deps() {
	local want=()
	# Debian's engine unless one is installed (Docker's own packages conflict with it)
	if ! command -v docker >/dev/null || { ! command -v dockerd >/dev/null && ! engine_answers; }; then
		want+=(docker.io)
	fi
	if ! docker compose version >/dev/null 2>&1 && ! command -v docker-compose >/dev/null; then
		want+=(docker-compose)
	fi
	[ ${#want[@]} -eq 0 ] || apt_install "${want[@]}"
}

compose() {
	if docker compose version >/dev/null 2>&1; then
		docker compose -p "$PROJECT" -f "$COMPOSE_FILE" "$@"
	else
		docker-compose -p "$PROJECT" -f "$COMPOSE_FILE" "$@"
	fi
}

# ---- engine -------------------------------------------------------------------
engine_answers() { timeout 10 docker info >/dev/null 2>&1; }

engine() {
	deps
	engine_answers && return 0
	[ -z "${DOCKER_HOST:-}" ] || die "DOCKER_HOST=$DOCKER_HOST does not answer"
	mkdir -p "$STATE"
	log "no Docker engine answers: starting dockerd (log $STATE/dockerd.log)"
	# own session: a Ctrl-C of the caller does not reach it
	setsid dockerd --iptables=false --ip-forward=false --ip-masq=false --bridge=none \
		--pidfile "$STATE/dockerd.pid" > "$STATE/dockerd.log" 2>&1 < /dev/null &
	local pid=$! i
	echo "$pid" > "$STATE/dockerd.started"
	for ((i = 0; i < 300; i++)); do
		engine_answers && { log "dockerd runs (pid $pid)"; return 0; }
		kill -0 "$pid" 2>/dev/null || { tail -n 20 "$STATE/dockerd.log" >&2; rm -f "$STATE/dockerd.started"; die "dockerd exited"; }
		sleep 0.2
	done
	die "dockerd does not answer after 60 s (log $STATE/dockerd.log)"
}

engine_stop() { # only the dockerd this script started
	local pid i
	[ -s "$STATE/dockerd.started" ] || return 0
	pid=$(cat "$STATE/dockerd.started")
	if kill -0 "$pid" 2>/dev/null && grep -q dockerd "/proc/$pid/comm" 2>/dev/null; then
		kill -TERM "$pid"
		for ((i = 0; i < 300; i++)); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.1
		done
		if kill -0 "$pid" 2>/dev/null; then
			log "dockerd (pid $pid) ignores SIGTERM: killing it"
			kill -KILL "$pid" 2>/dev/null || true
		fi
		log "stopped dockerd (pid $pid)"
	fi
	rm -f "$STATE/dockerd.started"
}

# ---- base image ---------------------------------------------------------------
apt_mirror() { # the first Debian mirror of apt's sources
	local m
	m=$({ grep -hs '^URIs:' /etc/apt/sources.list.d/*.sources | awk '{print $2}'
		grep -hs '^deb ' /etc/apt/sources.list /etc/apt/sources.list.d/*.list | awk '{print $2}'; } |
		grep -E '/debian/?$' | head -1)
	echo "${m:-http://deb.debian.org/debian}"
}

base() {
	docker image inspect "$BASE_IMAGE" >/dev/null 2>&1 && return 0
	log "pulling $BASE_IMAGE"
	if timeout "$PULL_TIMEOUT" docker pull -q "$BASE_IMAGE" >/dev/null 2>&1; then
		return 0
	fi
	log "no registry answers: building $BASE_IMAGE with debootstrap"
	command -v debootstrap >/dev/null || apt_install debootstrap
	local mirror root
	mirror=${DOCKER_LAB_MIRROR:-$(apt_mirror)}
	mkdir -p "$STATE"
	root=$(mktemp -d "$STATE/.rootfs.XXXXXX")
	# shellcheck disable=SC2064
	trap "rm -rf '$root'" EXIT
	debootstrap --variant=minbase bookworm "$root" "$mirror" > "$STATE/debootstrap.log" 2>&1 ||
		{ tail -n 20 "$STATE/debootstrap.log" >&2; die "debootstrap failed (log $STATE/debootstrap.log)"; }
	# the sources of Debian's own image: the release, its updates, security
	rm -f "$root/etc/apt/sources.list"
	cat > "$root/etc/apt/sources.list.d/debian.sources" <<SRC
Types: deb
URIs: $mirror
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: ${mirror%/debian*}/debian-security
Suites: bookworm-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
	chroot "$root" apt-get clean
	rm -rf "$root"/var/lib/apt/lists/* "$root"/var/cache/apt/*.bin "$root"/var/log/* "$root"/tmp/*
	tar -C "$root" --numeric-owner -c . |
		docker import -c 'CMD ["bash"]' -c 'ENV LANG=C.UTF-8' -m "debootstrap --variant=minbase bookworm" - "$BASE_IMAGE" >/dev/null
	rm -rf "$root"
	trap - EXIT
	log "built $BASE_IMAGE from $mirror"
}

build() {
	if [ -z "${DOCKER_LAB_EXTRA_CA_CERTS+set}" ]; then
		DOCKER_LAB_EXTRA_CA_CERTS=$(cat /usr/local/share/ca-certificates/*.crt 2>/dev/null || true)
		export DOCKER_LAB_EXTRA_CA_CERTS
	fi
	engine
	base
	log "building the images (cached)"
	mkdir -p "$STATE"
	compose build > "$STATE/build.log" 2>&1 ||
		{ tail -n 40 "$STATE/build.log" >&2; die "image build failed (log $STATE/build.log)"; }
}

# ---- stack --------------------------------------------------------------------
health() { # service -> healthy|starting|unhealthy|running|exited|missing
	local id
	id=$(compose ps -q "$1" 2>/dev/null | head -1)
	[ -n "$id" ] || { echo missing; return; }
	docker inspect -f '{{if .State.Health}}{{.State.Health.Status}}{{else}}{{.State.Status}}{{end}}' "$id" 2>/dev/null ||
		echo missing
}

wait_healthy() {
	local deadline=$((SECONDS + TIMEOUT)) s h bad
	for s in "${SERVICES[@]}"; do
		until [ "$(health "$s")" = healthy ]; do
			h=$(health "$s")
			case $h in
			exited | missing | dead | unhealthy) bad=$h ;;
			*) bad= ;;
			esac
			if [ -n "$bad" ] || [ $SECONDS -ge "$deadline" ]; then
				compose logs --tail 30 "$s" >&2 || true
				die "$s is ${bad:-not healthy after ${TIMEOUT}s}"
			fi
			sleep 0.5
		done
		log "healthy: $s"
	done
}

port_busy() { # proto port
	local flag=-ltn
	[ "$1" = udp ] && flag=-lun
	ss -H "$flag" "sport = :$2" 2>/dev/null | grep -qE "($LAB_IP|\*|0\.0\.0\.0|\[::\]):$2 "
}

check_ports_free() {
	local busy="" p
	for p in "udp $LAB_IMS_PORT" "tcp $LAB_IMS_PORT" "udp $LAB_SIP_PORT" "tcp $LAB_SIP_PORT" \
		"tcp $LAB_WSS_PORT" "tcp $LAB_WS_PORT" "tcp $LAB_WWSF_PORT" "udp $LAB_IMS_UA_PORT" \
		"tcp $LAB_METRICS_PORT"; do
		# shellcheck disable=SC2086
		port_busy $p && busy+=" $p"
	done
	[ -z "$busy" ] || die "ports in use on $LAB_IP:$busy (make lab-stop? or move the lab with LAB_*_PORT)"
}

banner() {
	local dc="docker compose"
	docker compose version >/dev/null 2>&1 || dc=docker-compose
	cat <<EOF

ims_wic docker lab is up (compose project $PROJECT, host networking on $LAB_IP)
  ims-core   IMS Core stand-in   sip:$LAB_IP:$LAB_IMS_PORT (UDP+TCP)
  epcscf     eP-CSCF             wss://$LAB_IP:$LAB_WSS_PORT  ws://$LAB_IP:$LAB_WS_PORT (lab)  sip:$LAB_IP:$LAB_SIP_PORT
  wwsf       demo WWSF + WIC     http://$LAB_IP:$LAB_WWSF_PORT/   (plain WS: http://$LAB_IP:$LAB_WWSF_PORT/?ws=1)
  sipp       IMS-side UA         sip:$LAB_IP:$LAB_IMS_UA_PORT answers calls to anyone@ims.lab
  (rtpengine: not yet part of the lab)

  The certificate is self-signed: open https://$LAB_IP:$LAB_WSS_PORT/ once and accept it, or use ?ws=1.
  Log in as "alice" (sip:demoalice@wwsf.lab) and register, then call the page from the IMS side:
    $dc -p $PROJECT -f docker/docker-compose.yml exec sipp \\
      sipp -sf /sipp/uac-call-webrtc.xml -i $LAB_IP -p $((LAB_IMS_UA_PORT + 1)) -m 1 \\
           -s demoalice@wwsf.lab -key from sip:bob@ims.lab $LAB_IP:$LAB_IMS_PORT
  State:  $dc -p $PROJECT -f docker/docker-compose.yml exec epcscf kamcmd ims_wic.bindings_brief
  Metrics: curl http://$LAB_IP:$LAB_METRICS_PORT/metrics   (Prometheus; this host only)
  Logs:   $dc -p $PROJECT -f docker/docker-compose.yml logs -f epcscf
  Stop:   make docker-lab-stop
EOF
}

start() {
	build
	check_ports_free
	log "starting the stack"
	compose up -d --no-build >/dev/null 2>&1 || { compose up -d --no-build >&2 || true; die "compose up failed"; }
	wait_healthy
	banner
}

stop() {
	if engine_answers; then
		compose down -v --remove-orphans --timeout 10 >/dev/null 2>&1 || compose down -v --remove-orphans --timeout 10 >&2
		local left
		left=$(docker ps -aq --filter "label=com.docker.compose.project=$PROJECT")
		[ -z "$left" ] || die "containers left: $left"
		log "stack $PROJECT down"
	fi
	engine_stop
}

status() {
	engine_answers || { echo "no Docker engine answers"; return 3; }
	local s rc=0 h
	for s in "${SERVICES[@]}"; do
		h=$(health "$s")
		printf '%-9s %s\n' "$s" "$h"
		[ "$h" = healthy ] || rc=3
	done
	return $rc
}

case "${1:-}" in
start) start ;;
stop) stop ;;
status) status ;;
build) build ;;
engine) engine ;;
engine-stop) engine_stop ;;
base) engine && base ;;
deps) deps ;;
*) usage ;;
esac
