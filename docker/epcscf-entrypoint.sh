#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Copyright (C) 2026 the ims_wic authors
#
# eP-CSCF container start: the certificate (made once, kept in the tls
# volume, unless one is mounted), the provisioning (made from the lab file
# unless one is mounted: the demo WWSF's origin and issuer follow LAB_IP and
# LAB_WWSF_PORT, as in scripts/lab.sh), then the command, logging to stdout.
set -eu
dir=/etc/kamailio/ims_wic
make-cert.sh "$dir/tls" "${EPCSCF_CERT_CN:-epcscf.lab}"
if [ ! -e "$dir/wwsf-provisioning.json" ]; then
	ip=${LAB_IP:-127.0.0.1}
	port=${LAB_WWSF_PORT:-8000}
	sed -e "s#http://127\.0\.0\.1:8000#http://$ip:$port#g" \
		-e "s#http://127\.0\.0\.1:8001#http://$ip:$((port + 1))#g" \
		"$dir/wwsf-provisioning.lab.json" > "$dir/wwsf-provisioning.json"
fi
mkdir -p /run/kamailio
exec "$@" 2>&1
