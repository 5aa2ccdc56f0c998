#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Copyright (C) 2026 the ims_wic authors
#
# Healthy: the control socket answers and every provisioned range is
# registered at the IMS Core (state up).
set -eu
ctl=${CTL_SOCK:-unix:/run/kamailio/kamailio_ctl}
kamcmd -s "$ctl" core.version >/dev/null
ranges=$(kamcmd -s "$ctl" ims_wic.ranges)
echo "$ranges" | grep -q 'state: up'
! echo "$ranges" | grep 'state:' | grep -vq 'state: up'
