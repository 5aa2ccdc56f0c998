#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Copyright (C) 2026 the ims_wic authors
#
# Unpacks Debian's kamailio source package of exactly the installed version
# and configures it as debian/rules does, so that a module built in it
# carries the compile flags of /usr/sbin/kamailio. Cached in build/.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh

version=$(KAMAILIO_VERSION)
tree=$(KAMAILIO_TREE)
[ -f "$tree/.configured" ] && exit 0

SRC_LIST=/etc/apt/sources.list.d/ims-wic-deb-src.sources
has_deb_src() {
	grep -rqs '^Types:.*deb-src' /etc/apt/sources.list.d/ ||
		grep -qs '^deb-src ' /etc/apt/sources.list /etc/apt/sources.list.d/*.list
}
if ! has_deb_src; then
	log "adding a deb-src entry for Debian bookworm ($SRC_LIST)"
	cat > "$SRC_LIST" <<SRC
Types: deb-src
URIs: http://deb.debian.org/debian
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
	apt-get update -q >/dev/null
fi

log "fetching Debian's kamailio source $version"
work=$(mktemp -d "$BUILD_DIR/.kamailio-src.XXXXXX" 2>/dev/null ||
	{ mkdir -p "$BUILD_DIR"; mktemp -d "$BUILD_DIR/.kamailio-src.XXXXXX"; })
trap 'rm -rf "$work"' EXIT
(cd "$work" && apt-get source -q --download-only "kamailio=$version" >/dev/null 2>&1) ||
	die "apt-get source kamailio=$version failed"
(cd "$work" && dpkg-source -q -x ./*.dsc tree >/dev/null 2>&1) ||
	die "dpkg-source could not unpack kamailio $version"

log "configuring the kamailio tree with Debian's flags"
cc_extra="$(dpkg-buildflags --get CPPFLAGS) $(dpkg-buildflags --get CFLAGS) -DVERSION_NODATE"
ld_extra="$(dpkg-buildflags --get LDFLAGS)"
make -C "$work/tree" cfg quiet=verbose prefix=/usr cfg_target=/etc/kamailio/ \
	FLAVOUR=kamailio CC_EXTRA_OPTS="$cc_extra" LD_EXTRA_OPTS="$ld_extra" \
	group_include=kstandard >"$work/cfg.log" 2>&1 ||
	die "make cfg failed: see $work/cfg.log"
rm -rf "$tree"
mv "$work/tree" "$tree"
touch "$tree/.configured"
