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
curl -fsS --max-time 2 "http://${LAB_IP:-127.0.0.1}:${LAB_METRICS_PORT:-9494}/metrics" |
	grep -q '^kamailio_ims_wic_registrations_accepted '
