# SPDX-License-Identifier: GPL-2.0-or-later
# Copyright (C) 2026 the ims_wic authors
#
# Shared helpers of the scripts: sourced, not run.
log() { printf 'ims_wic: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }
BUILD_DIR=${BUILD_DIR:-$PWD/build}
KAMAILIO_VERSION() { dpkg-query -W -f='${Version}' kamailio; }
KAMAILIO_TREE() { echo "$BUILD_DIR/kamailio-$(KAMAILIO_VERSION)"; }
