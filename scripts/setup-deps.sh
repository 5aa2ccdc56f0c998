#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Copyright (C) 2026 the ims_wic authors
#
# Installs everything ims_wic needs on Debian bookworm, as root, and
# prepares the headers of the installed Kamailio. Quick when all is there.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh

APT_PACKAGES=(
	kamailio kamailio-websocket-modules kamailio-tls-modules
	kamailio-utils-modules kamailio-extra-modules kamailio-lua-modules
	libjwt-dev libjansson-dev libssl-dev libpcre2-dev libcmocka-dev
	sip-tester pkg-config build-essential dpkg-dev bison flex
	clang libclang-rt-14-dev openssl nodejs npm chromium procps
	iproute2 curl python3 xsltproc docbook-xsl docbook-xml lynx
	rtpengine-daemon
)

missing_packages() {
	local p
	for p in "${APT_PACKAGES[@]}"; do
		dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null |
			grep -q '^install ok installed$' || echo "$p"
	done
}

install_packages() {
	local missing
	missing=$(missing_packages)
	[ -z "$missing" ] && return 0
	# npm from Debian conflicts with a NodeSource nodejs that ships its own
	if command -v npm >/dev/null 2>&1; then
		missing=$(echo "$missing" | grep -v -x -e nodejs -e npm || true)
		[ -z "$missing" ] && return 0
	fi
	log "installing: $(echo $missing)"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -q >/dev/null
	# shellcheck disable=SC2086
	apt-get install -y -q --no-install-recommends $missing >/dev/null
}

install_packages
scripts/kamailio-headers.sh
if [ ! -d node_modules/jssip ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
	log "installing npm packages from package-lock.json"
	npm ci --no-audit --no-fund --loglevel=error >/dev/null
fi
