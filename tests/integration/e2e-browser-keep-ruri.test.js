// SPDX-License-Identifier: GPL-2.0-or-later
// Copyright (C) 2026 the ims_wic authors
'use strict';
// The lab end to end with a real browser against an IMS Core stand-in that
// keeps the called identity in the Request-URI (LAB_IMS_KEEP_RURI=1): the
// same tests as e2e-browser.test.js, whose stand-in retargets to the
// registered Contact with P-Called-Party-ID as an S-CSCF does.
process.env.LAB_IMS_KEEP_RURI = '1';
require('./e2e-browser.test.js');
