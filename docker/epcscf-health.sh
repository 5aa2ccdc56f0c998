#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Copyright (C) 2026 the ims_wic authors
#
# Healthy: the control socket answers, every provisioned range is
# registered at the IMS Core (state up; ims_wic.ranges is read page after
# page), and the metrics listener serves the module's statistics.
set -eu
ctl=${CTL_SOCK:-unix:/run/kamailio/kamailio_ctl}
kamcmd -s "$ctl" core.version >/dev/null
offset=0
while :; do
	page=$(kamcmd -s "$ctl" ims_wic.ranges "$offset")
	echo "$page" | grep -q 'state: up'
	! echo "$page" | grep 'state:' | grep -vq 'state: up'
	offset=$(echo "$page" | awk '$1 == "next_offset:" { print $2 }')
	total=$(echo "$page" | awk '$1 == "total:" { print $2 }')
	[ "$offset" -lt "$total" ] || break
done
# (bash's /dev/tcp: the image has no HTTP client)
ip=${LAB_IP:-127.0.0.1} port=${LAB_METRICS_PORT:-9494} timeout 2 bash -c '
	exec 3<>"/dev/tcp/$ip/$port"
	printf "GET /metrics HTTP/1.1\r\nHost: %s:%s\r\nContent-Length: 0\r\n\r\n" "$ip" "$port" >&3
	grep -m 1 -q "^kamailio_ims_wic_registrations_accepted " <&3'
