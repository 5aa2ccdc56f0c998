#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Copyright (C) 2026 the ims_wic authors
#
# Renders the module documentation (modules/ims_wic/doc/*.xml, DocBook 4.5)
# into modules/ims_wic/README the way Kamailio renders its module READMEs:
# xsltproc with the DocBook XHTML stylesheet, then lynx -dump -nolist.
# Needs: apt-get install -y xsltproc docbook-xsl docbook-xml lynx
# Usage: scripts/render-doc.sh [--check]   (--check: fail if README is stale)
set -euo pipefail
cd "$(dirname "$0")/.."

DOC=modules/ims_wic/doc/ims_wic.xml
OUT=modules/ims_wic/README
XSL=/usr/share/xml/docbook/stylesheet/docbook-xsl/xhtml/docbook.xsl

for tool in xsltproc lynx; do
	command -v "$tool" >/dev/null ||
		{ echo "render-doc: $tool missing (apt-get install -y xsltproc docbook-xsl docbook-xml lynx)" >&2; exit 1; }
done
[ -f "$XSL" ] || { echo "render-doc: $XSL missing (package docbook-xsl)" >&2; exit 1; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# The DTD resolves through the system XML catalog (package docbook-xml):
# --nonet makes a missing catalog entry an error instead of a download.
# The parameters are those of Kamailio's doc/docbook/readme.xsl and txt.xsl.
xsltproc --nonet --xinclude \
	--stringparam section.autolabel 1 \
	--stringparam section.label.includes.component.label 1 \
	--stringparam generate.toc "book toc,title,figure,table,example" \
	--stringparam toc.section.depth 4 \
	--stringparam generate.section.toc.level 1 \
	--stringparam html.stylesheet "" \
	-o "$tmp/ims_wic.html" "$XSL" "$DOC"
# LC_ALL=C and a fixed width keep the output byte-stable across machines.
LC_ALL=C lynx -dump -nolist -width=80 -display_charset=us-ascii \
	"$tmp/ims_wic.html" > "$tmp/README"

if [ "${1:-}" = "--check" ]; then
	if ! cmp -s "$tmp/README" "$OUT"; then
		echo "render-doc: $OUT is stale: run scripts/render-doc.sh" >&2
		exit 1
	fi
	exit 0
fi
mv "$tmp/README" "$OUT"
echo "render-doc: wrote $OUT"
