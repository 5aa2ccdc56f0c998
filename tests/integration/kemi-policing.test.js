// SPDX-License-Identifier: GPL-2.0-or-later
// Copyright (C) 2026 the ims_wic authors
'use strict';
// The policing suite (in-dialog requests, next hops, identities of the
// WIC side) against the KEMI configuration: the Lua routes police WIC
// requests as the routes of kamailio.cfg do.
process.env.WIC_KEMI = '1';
require('./policing.test.js');
