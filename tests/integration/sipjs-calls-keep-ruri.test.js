// SPDX-License-Identifier: GPL-2.0-or-later
// Copyright (C) 2026 the ims_wic authors
'use strict';
// The SIP.js suite against an IMS Core that keeps the called identity in the
// Request-URI of terminating requests (no P-Called-Party-ID): the same
// tests as sipjs-calls.test.js, the stand-in run with IMS_KEEP_RURI.
process.env.WIC_IMS_KEEP_RURI = '1';
require('./sipjs-calls.test.js');
