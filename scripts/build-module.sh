#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Copyright (C) 2026 the ims_wic authors
#
# Builds ims_wic.so inside the configured Kamailio tree (its Makefiles find
# the tree through relative paths, so the sources are copied there) and
# puts the result in build/.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh

tree=$(KAMAILIO_TREE)
[ -f "$tree/.configured" ] || die "no configured kamailio tree: run make deps"
dest="$tree/src/modules/ims_wic"
mkdir -p "$dest"
# rsync-like copy that keeps timestamps, so make rebuilds only what changed
cp -p modules/ims_wic/*.c modules/ims_wic/*.h modules/ims_wic/Makefile "$dest/"
for stale in "$dest"/*.c "$dest"/*.h; do
	[ -e "modules/ims_wic/$(basename "$stale")" ] || rm -f "$stale" "${stale%.c}.o" "${stale%.c}.d"
done
make -C "$dest" quiet=silent -j"$(nproc)" >"$BUILD_DIR/module-build.log" 2>&1 || {
	cat "$BUILD_DIR/module-build.log" >&2
	die "module build failed"
}
if grep -E 'warning:' "$BUILD_DIR/module-build.log" >&2; then
	die "module build has warnings"
fi
# a running Kamailio maps the old file: replace it, never write into it
cp "$dest/ims_wic.so" "$BUILD_DIR/.ims_wic.so.new"
mv -f "$BUILD_DIR/.ims_wic.so.new" "$BUILD_DIR/ims_wic.so"
log "built $BUILD_DIR/ims_wic.so"
