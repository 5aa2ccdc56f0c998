// SPDX-License-Identifier: GPL-2.0-or-later
// Copyright (C) 2026 the ims_wic authors
'use strict';
// The metrics listener against the KEMI configuration: the Lua routing
// (kamailio-kemi.lua) serves GET /metrics to the allowed sources only and
// refuses browsers, rebound names and other sources as route[METRICS] does.
process.env.WIC_KEMI = '1';
require('./metrics.test.js');
