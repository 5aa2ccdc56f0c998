// SPDX-License-Identifier: GPL-2.0-or-later
// Copyright (C) 2026 the ims_wic authors
'use strict';
// The calls suite against the KEMI configuration: the same tests as
// calls.test.js, the eP-CSCF run with kamailio-kemi.cfg (the routing of
// kamailio.cfg in Lua, kamailio-kemi.lua) instead of kamailio.cfg.
process.env.WIC_KEMI = '1';
require('./calls.test.js');
