// SPDX-License-Identifier: GPL-2.0-or-later
// Copyright (C) 2026 the ims_wic authors
'use strict';
// The media suite (a real rtpengine as eIMS-AGW) against the KEMI
// configuration: the media routes of kamailio-kemi.lua refuse and end media
// sessions as those of kamailio.cfg do.
process.env.WIC_KEMI = '1';
require('./media-hostile.test.js');
