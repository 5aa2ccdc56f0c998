#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Copyright (C) 2026 the ims_wic authors
#
# Exit 0 when a UDP socket is bound to PORT (sipp's health check; reads
# /proc, sends nothing). Usage: udp-bound.sh PORT
set -eu
hex=$(printf ':%04X ' "$1")
grep -q "$hex" /proc/net/udp /proc/net/udp6
