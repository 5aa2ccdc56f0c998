#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Copyright (C) 2026 the ims_wic authors
#
# Makes the ES256 key pairs of the WWSFs demo and other in DIR unless they
# exist (same names as scripts/lab.sh: NAME.pem, NAME-es256.pub.pem).
set -eu
dir=$1
mkdir -p "$dir"
for w in demo other; do
	if [ ! -s "$dir/$w.pem" ]; then
		openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$dir/$w.pem"
		chmod 600 "$dir/$w.pem"
		rm -f "$dir/$w-es256.pub.pem"
	fi
	[ -s "$dir/$w-es256.pub.pem" ] || openssl pkey -in "$dir/$w.pem" -pubout -out "$dir/$w-es256.pub.pem"
done
