#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Copyright (C) 2026 the ims_wic authors
#
# Makes the eP-CSCF's self-signed TLS certificate (ECDSA P-256: a TLS
# server signs at every handshake, and P-256 signs about 14 times faster
# than RSA-2048) unless it exists. Usage: make-cert.sh DIR [CN]
set -euo pipefail
dir=$1
cn=${2:-epcscf.lab}
[ -s "$dir/epcscf-cert.pem" ] && [ -s "$dir/epcscf-key.pem" ] && exit 0
mkdir -p "$dir"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
	-keyout "$dir/epcscf-key.pem" -out "$dir/epcscf-cert.pem" -days 825 \
	-subj "/CN=$cn" -addext "subjectAltName=DNS:$cn,DNS:localhost,IP:127.0.0.1" \
	2>/dev/null
chmod 600 "$dir/epcscf-key.pem"
