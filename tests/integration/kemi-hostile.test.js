// SPDX-License-Identifier: GPL-2.0-or-later
// Copyright (C) 2026 the ims_wic authors
'use strict';
// The hostile-input suite against the KEMI configuration: the Lua routing
// (kamailio-kemi.lua) must refuse what the routes of kamailio.cfg refuse,
// with the same answers, statistics and no change of state.
process.env.WIC_KEMI = '1';
require('./hostile.test.js');
