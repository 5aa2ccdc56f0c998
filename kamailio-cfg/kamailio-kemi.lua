-- SPDX-License-Identifier: GPL-2.0-or-later
-- Copyright (C) 2026 the ims_wic authors
--
-- ims_wic - eP-CSCF of WebRTC access to IMS, scenario 3: the routing of
-- kamailio.cfg in Lua, run through KEMI by app_lua (kamailio-kemi.cfg).
-- Route for route the same decisions, replies, statistics and log lines as
-- kamailio.cfg; the comments there explain why each check is made, this
-- file names the route of kamailio.cfg each function stands for.
--
-- The defines of epcscf-settings.cfg (and -A NAME=VALUE) are read with
-- $def(NAME) (docs/decisions.md): def("SIP_PORT") is the value without its
-- quotes, nil when NAME is not defined.

local FAIL = -1

-- ---- helpers -------------------------------------------------------------

local defs = {}
local function def(name)
	local v = defs[name]
	if v == nil then
		v = KSR.pv.get("$def(" .. name .. ")")
		if v == nil then
			v = false
		else
			v = tostring(v)
			local q = v:match('^"(.*)"$')
			if q then
				v = q:gsub('\\(["\\])', '%1')
			end
		end
		defs[name] = v
	end
	if v == false then
		return nil
	end
	return v
end

local function defined(name)
	return def(name) ~= nil
end

-- the native truth of a return code: a boolean, or a number > 0
local function ok(rc)
	if type(rc) == "boolean" then
		return rc
	end
	return rc ~= nil and rc > 0
end

-- A native function that returns 0 ends the native script wherever it is
-- called (t_check_trans() after resending the answer to a retransmission,
-- t_relay() of a retransmission); through KEMI the 0 is only returned.
-- The calls whose 0 matters go through this: it ends the Lua run then.
local function exit_on_zero(rc)
	if rc == 0 then
		KSR.x.exit()
	end
	return rc
end

local function pv(spec)
	return KSR.pv.get(spec)
end

local function exit()
	KSR.x.exit()
end

local function from_wic_transport()
	local pr = pv("$pr")
	return pr == "ws" or pr == "wss"
end

local function is_in(list)
	for m in string.gmatch(list, "[^|]+") do
		if KSR.is_method(m) then
			return true
		end
	end
	return false
end

local function has_totag()
	return ok(KSR.siputils.has_totag())
end

local function sl_reply(code, phrase)
	KSR.sl.sl_send_reply(code, phrase)
end

local function media_enabled()
	return not defined("WITHOUT_MEDIA")
end

local function metrics_enabled()
	return not defined("WITHOUT_METRICS")
end

-- route[COUNT_AND_LOG]
local function count_and_log(why)
	KSR.statistics.update_stat(why, 1)
	if KSR.htable.sht_get("wic_log", why) == nil then
		KSR.htable.sht_seti("wic_log", why, 1)
		if string.find(tostring(pv("$rv") or ""), "HTTP/", 1, true) == 1 then
			-- an HTTP request has no Call-ID ($ci would log an ERROR)
			KSR.xlog.xinfo(why .. ": HTTP $rm from $si:$sp refused; more of this kind within 10 s are only counted\n")
		else
			KSR.xlog.xinfo(why .. ": $rm from $si:$sp refused (Call-ID $ci); more of this kind within 10 s are only counted\n")
		end
	end
end

-- route[REFUSE]
local function refuse(why, code, phrase)
	count_and_log(why)
	if not KSR.is_ACK() then
		KSR.hdr.append_to_reply("Warning: 399 ims_wic \"" .. why .. "\"\r\n")
		sl_reply(code, phrase)
	end
	exit()
end

-- route[REFUSE_NEXT_HOP]
local function refuse_next_hop()
	refuse("wic_refused_next_hop", 403, "Forbidden - Next hop not in the IMS Core")
end

-- route[REFUSE_NOT_IN_DIALOG]
local function refuse_not_in_dialog()
	refuse("wic_refused_not_in_dialog", 481, "Call/Transaction Does Not Exist")
end

-- route[REFUSE_FOREIGN_DIALOG]
local function refuse_foreign_dialog()
	refuse("wic_refused_foreign_dialog", 403, "Forbidden - Not your dialog")
end

local function unregistered_reason()
	return "Reason: SIP;cause=" .. def("UNREGISTERED_CODE")
		.. ";text=\"Public User Identity not registered\"\r\n"
end

-- ---- media: the eIMS-AGW -------------------------------------------------

-- route[MEDIA_FLAGS]: to is "ims" or "wic", op "offer" or "answer"
local function media_flags(to, op)
	local f
	if to == "ims" then
		f = def("MEDIA_TO_IMS")
		if op == "offer" then
			f = f .. " " .. def("MEDIA_CODECS_TO_IMS")
			if defined("MEDIA_WIC_IFACE") then
				f = f .. " direction=" .. def("MEDIA_WIC_IFACE") .. " direction=" .. def("MEDIA_IMS_IFACE")
			end
		end
	else
		f = def("MEDIA_TO_WIC")
		if op == "offer" then
			f = f .. " " .. def("MEDIA_CODECS_TO_WIC")
			if defined("MEDIA_WIC_IFACE") then
				f = f .. " direction=" .. def("MEDIA_IMS_IFACE") .. " direction=" .. def("MEDIA_WIC_IFACE")
			end
		end
	end
	return f
end

-- route[MEDIA_WIC_SDP]: only WebRTC media from a WIC
local function media_wic_sdp_ok()
	if not ok(KSR.textops.search_body("\nm=[a-z]+ [0-9]+ UDP/TLS/RTP/SAVPF ")) then
		return false
	end
	if ok(KSR.textops.search_body("\nm=[a-z]+ [0-9]+ ([^U]|U[^D]|UD[^P]|UDP[^/]|UDP/[^T]|UDP/T[^L]|UDP/TL[^S]|UDP/TLS[^/]|UDP/TLS/[^R]|UDP/TLS/R[^T]|UDP/TLS/RT[^P]|UDP/TLS/RTP[^/]|UDP/TLS/RTP/[^S]|UDP/TLS/RTP/S[^A]|UDP/TLS/RTP/SA[^V]|UDP/TLS/RTP/SAV[^P]|UDP/TLS/RTP/SAVP[^F]|UDP/TLS/RTP/SAVPF[^ ])")) then
		return false
	end
	if not ok(KSR.textops.search_body("\na=ice-ufrag:")) or not ok(KSR.textops.search_body("\na=ice-pwd:"))
			or not ok(KSR.textops.search_body("\na=fingerprint:")) then
		return false
	end
	return true
end

-- route[MEDIA_OWNED]
local function media_owned(conn)
	local ci = pv("$ci")
	KSR.htable.sht_seti("wic_mcall", ci, conn)
	KSR.htable.sht_sets("wic_media", conn .. ":" .. ci, pv("$ft") or "")
	KSR.htable.sht_seti("wic_mconn", conn, 1)
end

-- route[MEDIA_FAILED]: the AGW took no offer or answer (what: which, of
-- what); counted, logged once per 10 s, at INFO when a WIC sent it (a WIC
-- can send SDP the AGW refuses at will), else WARNING
local function media_failed(what)
	KSR.statistics.update_stat("wic_media_failed", 1)
	if KSR.htable.sht_get("wic_log", "wic_media_failed") ~= nil then
		return
	end
	KSR.htable.sht_seti("wic_log", "wic_media_failed", 1)
	local line = "the eIMS-AGW took no " .. what
			.. " from $si:$sp (Call-ID$(_s( $ci){s.substr,0,65})); more within 10 s are only counted\n"
	if from_wic_transport() then
		KSR.xlog.xinfo(line)
	else
		KSR.xlog.xwarn(line)
	end
end

-- route[MEDIA_REFUSE]
local function media_refuse(to)
	if to == "ims" then
		KSR.statistics.update_stat("wic_media_failed", 1)
		count_and_log("wic_refused_media_offer")
	else
		media_failed("offer of " .. pv("$rm"))
	end
	KSR.hdr.append_to_reply("Warning: 399 ims_wic \"media offer not usable\"\r\n")
	sl_reply(488, "Not Acceptable Here")
	exit()
end

-- route[MEDIA_DELETE]
local function media_delete()
	if not media_enabled() then
		return
	end
	local ci = pv("$ci")
	local conn = KSR.htable.sht_get("wic_mcall", ci)
	if conn ~= nil then
		KSR.htable.sht_rm("wic_media", tostring(conn) .. ":" .. ci)
		KSR.htable.sht_rm("wic_mcall", ci)
	end
	if ok(KSR.rtpengine.rtpengine_delete0()) then
		KSR.statistics.update_stat("wic_media_sessions_ended", 1)
	end
end

-- route[MEDIA_REQUEST]
local function media_request(to)
	if not media_enabled() then
		return
	end
	if KSR.is_BYE() then
		media_delete()
		return
	end
	if not is_in("INVITE|UPDATE|ACK|PRACK") then
		return
	end
	if not ok(KSR.textops.has_body_type("application/sdp")) then
		KSR.pv.seti("$avp(wic_media_offer)", 0)
		return
	end
	if to == "ims" and not media_wic_sdp_ok() then
		if is_in("INVITE|UPDATE") then
			media_refuse(to)
		end
		count_and_log("wic_refused_media_answer")
		return
	end
	if is_in("INVITE|UPDATE") then
		local ci = pv("$ci")
		local owner = KSR.htable.sht_get("wic_mcall", ci)
		if to == "ims" and not has_totag() and owner ~= nil and tostring(owner) ~= tostring(pv("$conid")) then
			refuse("wic_refused_foreign_dialog", 403, "Forbidden - Not your dialog")
		end
		KSR.pv.seti("$avp(wic_media_offer)", 1)
		if not ok(KSR.rtpengine.rtpengine_offer(media_flags(to, "offer"))) then
			media_refuse(to)
		end
		if not has_totag() then
			KSR.statistics.update_stat("wic_media_sessions_started", 1)
			if to == "ims" then
				media_owned(tostring(pv("$conid")))
			end
		end
		return
	end
	if not ok(KSR.rtpengine.rtpengine_answer(media_flags(to, "answer"))) then
		media_failed("answer of " .. pv("$rm"))
	end
end

-- route[MEDIA_REPLY]
local function media_reply(to)
	if not media_enabled() then
		return
	end
	local rs = tostring(pv("$rs") or "")
	if not (rs:match("^18%d$") or rs:match("^2%d%d$")) or not is_in("INVITE|UPDATE")
			or not ok(KSR.textops.has_body_type("application/sdp")) then
		return
	end
	if to == "ims" and not media_wic_sdp_ok() then
		count_and_log("wic_refused_media_answer")
		media_delete()
		return
	end
	if pv("$avp(wic_media_offer)") == 1 then
		if not ok(KSR.rtpengine.rtpengine_answer(media_flags(to, "answer"))) then
			media_failed("answer of " .. rs .. " " .. pv("$rm"))
		end
	else
		if not ok(KSR.rtpengine.rtpengine_offer(media_flags(to, "offer"))) then
			media_failed("offer of " .. rs .. " " .. pv("$rm"))
		end
	end
	if from_wic_transport() and KSR.htable.sht_get("wic_mcall", pv("$ci")) == nil then
		media_owned(tostring(pv("$conid")))
	end
end

-- route[MEDIA_CONNECTION_GONE]
local function media_connection_gone()
	if not media_enabled() then
		return
	end
	-- only a connection that owned a media session walks wic_media (a walk
	-- locks every slot: too dear for every connection's end)
	local conn = tostring(pv("$wic(conn)"))
	if KSR.htable.sht_get("wic_mconn", conn) == nil then
		return
	end
	KSR.htable.sht_rm("wic_mconn", conn)
	local prefix = conn .. ":"
	local plen = #prefix
	KSR.htable.sht_iterator_start("mi", "wic_media")
	while ok(KSR.htable.sht_iterator_next("mi")) do
		local key = pv("$shtitkey(mi)")
		if key ~= nil and string.sub(key, 1, plen) == prefix then
			local cid = string.sub(key, plen + 1)
			local tag = tostring(pv("$shtitval(mi)") or "")
			if ok(KSR.rtpengine.rtpengine_delete("call-id=" .. cid .. " from-tag=" .. tag)) then
				KSR.statistics.update_stat("wic_media_sessions_ended", 1)
			end
			KSR.htable.sht_rm("wic_mcall", cid)
			KSR.htable.sht_iterator_rm("mi")
		end
	end
	KSR.htable.sht_iterator_end("mi")
end

-- ---- SIP routing -----------------------------------------------------------

-- route[RELAY]: t_relay() 0 (a retransmission absorbed) ends it silently,
-- as natively; only an error is answered
local function relay()
	if not ok(exit_on_zero(KSR.tm.t_relay())) then
		KSR.sl.sl_reply_error()
	end
	exit()
end

-- route[WIC_RELAY]
local function wic_relay()
	if not ok(KSR.ims_wic.wic_next_hop_is_ims_core()) then
		refuse_next_hop()
	end
	relay()
end

-- route[WIC_WITHIN_DIALOG]
local function wic_within_dialog()
	if not ok(KSR.rr.loose_route()) then
		if KSR.is_ACK() then
			KSR.tm.t_check_trans()
			exit()
		end
		refuse_not_in_dialog()
	end
	local owner = KSR.ims_wic.wic_dialog_owner()
	if owner == -2 then
		refuse_foreign_dialog()
	end
	if owner ~= 1 then
		refuse_not_in_dialog()
	end
	if not ok(KSR.ims_wic.wic_route_set_is_ims_core()) then
		refuse_next_hop()
	end
	if not ok(KSR.ims_wic.wic_assert_identity(pv("$wic(identity)") or "")) then
		sl_reply(500, "Server Internal Error")
		exit()
	end
	if not ok(KSR.nathelper.add_contact_alias()) then
		sl_reply(400, "Bad Request - Contact")
		exit()
	end
	media_request("ims")
	if is_in("INVITE|UPDATE") then
		KSR.tm.t_on_reply("ksr_onreply_from_ims")
	end
	wic_relay()
end

-- route[WIC_CANCEL]
local function wic_cancel()
	local owner = KSR.htable.sht_get("wic_inv", pv("$ci") .. ";" .. (pv("$ft") or ""))
	if owner == nil or tostring(owner) ~= tostring(pv("$conid")) then
		refuse("wic_refused_foreign_dialog", 481, "Call/Transaction Does Not Exist")
	end
	if ok(KSR.tm.t_check_trans()) then
		media_delete()
		KSR.tm.t_relay()
	end
	exit()
end

-- route[FROM_WIC]
local function from_wic()
	KSR.force_rport()
	local policed = KSR.ims_wic.wic_police()
	if policed == -3 then
		refuse("wic_refused_client_alias", 400, "Bad Request - alias parameter")
	end
	if policed == -2 then
		refuse("wic_refused_malformed", 400, "Bad Request - Request-URI or Contact")
	end
	if policed < 0 then
		sl_reply(500, "Server Internal Error")
		exit()
	end
	if KSR.is_REGISTER() then
		KSR.ims_wic.wic_register()
		exit()
	end
	if has_totag() then
		wic_within_dialog()
	end
	if KSR.is_CANCEL() then
		wic_cancel()
	end
	if KSR.is_ACK() then
		KSR.tm.t_check_trans()
		exit()
	end
	if not ok(KSR.ims_wic.wic_originating()) then
		refuse("wic_refused_not_registered", 403, "Forbidden - Not Registered")
	end
	if not ok(KSR.nathelper.add_contact_alias()) then
		sl_reply(400, "Bad Request - Contact")
		exit()
	end
	if not ok(KSR.ims_wic.wic_sign_dialog()) then
		sl_reply(500, "Server Internal Error")
		exit()
	end
	KSR.rr.record_route()
	if KSR.is_INVITE() then
		local key = pv("$ci") .. ";" .. (pv("$ft") or "")
		if KSR.htable.sht_get("wic_inv", key) == nil then
			KSR.htable.sht_seti("wic_inv", key, pv("$conid"))
		end
		KSR.tm.t_on_reply("ksr_onreply_from_ims")
		KSR.tm.t_on_failure("ksr_failure_media_call_failed")
	end
	media_request("ims")
	wic_relay()
end

-- route[WITHIN_DIALOG]: in-dialog requests of the IMS Core
local function within_dialog()
	if ok(KSR.rr.loose_route()) then
		if KSR.ims_wic.wic_dialog_owner() ~= 1 or KSR.isdsturiset() then
			if not KSR.is_ACK() then
				sl_reply(403, "Forbidden - Not a dialog of this node")
			end
			exit()
		end
		KSR.nathelper.handle_ruri_alias()
		local du = pv("$du")
		if du == nil or not (string.match(du, ";transport=wss?$")) then
			if not KSR.is_ACK() then
				sl_reply(404, "Not Found - No WebSocket target")
			end
			exit()
		end
		local target = nil
		if ok(KSR.x.modf("tcp_get_conid", "$dd:$dp", "$var(target)")) then
			target = tonumber(pv("$var(target)"))
		end
		if target == nil or not ok(KSR.ims_wic.wic_conn_holds(target, pv("$wic(identity)") or "")) then
			if not KSR.is_ACK() then
				sl_reply(480, "Temporarily Unavailable - WIC gone")
			end
			exit()
		end
		KSR.pv.sets("$avp(wic_identity)", pv("$wic(identity)") or "")
		KSR.tm.t_on_reply("ksr_onreply_from_wic")
		media_request("wic")
		relay()
	end
	if KSR.is_ACK() then
		if ok(KSR.tm.t_check_trans()) then
			KSR.tm.t_relay()
		end
		exit()
	end
	sl_reply(404, "Not Here")
	exit()
end

-- route[FROM_IMS_CORE]
local function from_ims_core()
	if has_totag() then
		within_dialog()
	end
	if KSR.is_CANCEL() then
		if ok(KSR.tm.t_check_trans()) then
			media_delete()
			KSR.tm.t_relay()
		end
		exit()
	end
	if KSR.is_ACK() then
		KSR.tm.t_check_trans()
		exit()
	end
	if KSR.is_REGISTER() then
		sl_reply(403, "Forbidden - Register ranges, not WICs")
		exit()
	end
	if ok(KSR.textops.is_present_hf("Route")) then
		if pv("$(route_uri{uri.user})") ~= "term" or pv("$(route_uri{uri.host})") ~= def("EPCSCF_IP")
				or tostring(pv("$(route_uri{uri.port}{s.int})")) ~= def("SIP_PORT") then
			refuse("wic_refused_foreign_route", 403, "Forbidden - Route is not this node's Path")
		end
		KSR.hdr.remove("Route")
	end
	local target = KSR.ims_wic.wic_terminating()
	if target == 1 then
		if not ok(KSR.ims_wic.wic_sign_dialog()) then
			KSR.sl.send_reply(500, "Server Internal Error")
			exit()
		end
		KSR.rr.record_route()
		KSR.pv.sets("$avp(wic_identity)", pv("$wic(identity)") or "")
		KSR.tm.t_on_reply("ksr_onreply_from_wic")
		KSR.tm.t_on_failure("ksr_failure_wic_unreachable")
		media_request("wic")
		relay()
	end
	if target == -1 then
		KSR.hdr.append_to_reply(unregistered_reason())
		KSR.sl.send_reply(tonumber(def("UNREGISTERED_CODE")), def("UNREGISTERED_REASON"))
		exit()
	end
	if target == -2 then
		KSR.sl.send_reply(404, "Not Found")
		exit()
	end
	if target == -4 then
		KSR.hdr.append_to_reply("Retry-After: 5\r\n")
		KSR.sl.send_reply(503, "Service Unavailable")
		exit()
	end
	KSR.sl.send_reply(400, "Bad Request - Called Identity")
	exit()
end

-- request_route
function ksr_request_route()
	if metrics_enabled() and pv("$Rn") == "metrics" then
		-- the metrics listener serves HTTP only
		KSR.x.drop()
	end
	if not ok(KSR.maxfwd.process_maxfwd(10)) then
		sl_reply(483, "Too Many Hops")
		exit()
	end
	if not ok(KSR.sanity.sanity_check(17895, 7)) then
		count_and_log("wic_refused_malformed")
		exit()
	end
	local wic = from_wic_transport()
	if wic and not ok(KSR.pike.pike_check_req()) then
		KSR.hdr.append_to_reply("Retry-After: 4\r\n")
		refuse("wic_refused_request_flood", 503, "Service Unavailable - Too Many Requests")
	end
	if (pv("$ci") or "") == "" then
		refuse("wic_refused_malformed", 400, "Bad Request - Empty Call-ID")
	end
	if KSR.is_OPTIONS() and KSR.is_myself_ruri() and pv("$rU") == nil then
		sl_reply(200, "OK")
		exit()
	end
	if not is_in("ACK|CANCEL") then
		if ok(KSR.tmx.t_precheck_trans()) then
			KSR.tm.t_check_trans()
			exit()
		end
		-- 0: a retransmission of a request whose transaction exists, its
		-- answer sent again: nothing more to do (natively the 0 ends the
		-- script)
		exit_on_zero(KSR.tm.t_check_trans())
	end
	if wic then
		from_wic()
	end
	if ok(KSR.ims_wic.wic_from_ims_core()) then
		from_ims_core()
	end
	refuse("wic_refused_not_ims_core", 403, "Forbidden - Not the IMS Core")
end

-- reply_route
function ksr_reply_route()
	if not ok(KSR.tm.t_check_trans()) then
		if from_wic_transport() then
			count_and_log("wic_refused_stray_reply")
		end
		KSR.x.drop()
	end
end

-- onreply_route[FROM_WIC_REPLY]
function ksr_onreply_from_wic()
	if not from_wic_transport() then
		return
	end
	local policed = KSR.ims_wic.wic_police()
	if policed == -3 or policed == -2 then
		count_and_log("wic_refused_client_alias")
		KSR.hdr.remove("Contact")
	end
	KSR.nathelper.add_contact_alias()
	local identity = pv("$avp(wic_identity)")
	if identity ~= nil then
		KSR.ims_wic.wic_assert_identity(identity)
		if not ok(KSR.ims_wic.wic_reply_record_route_ok(identity)) then
			count_and_log("wic_refused_record_route")
			KSR.hdr.remove("Record-Route")
		end
	else
		KSR.hdr.remove("P-Asserted-Identity")
		KSR.hdr.remove("P-Preferred-Identity")
	end
	media_reply("ims")
end

-- onreply_route[FROM_IMS_REPLY]
function ksr_onreply_from_ims()
	local rs = tostring(pv("$rs") or "")
	if rs:match("^[2-6]") and KSR.is_INVITE() then
		local key = pv("$ci") .. ";" .. (pv("$ft") or "")
		local owner = KSR.htable.sht_get("wic_inv", key)
		if owner ~= nil and tostring(owner) == tostring(pv("$T_req($wic(conn))")) then
			KSR.htable.sht_rm("wic_inv", key)
		end
	end
	media_reply("wic")
end

-- failure_route[MEDIA_CALL_FAILED]
function ksr_failure_media_call_failed()
	media_delete()
end

-- failure_route[WIC_UNREACHABLE]
function ksr_failure_wic_unreachable()
	media_delete()
	if ok(KSR.tm.t_is_canceled()) then
		exit()
	end
	if ok(KSR.tm.t_check_status("408|477")) then
		KSR.hdr.append_to_reply(unregistered_reason())
		KSR.tm.t_reply(tonumber(def("UNREGISTERED_CODE")), def("UNREGISTERED_REASON"))
	end
end

-- ---- WebSocket and connections ---------------------------------------------

-- route[METRICS]: GET /metrics from METRICS_ALLOW, not from a browser;
-- nothing else is served on the metrics listener
local function metrics()
	local reason
	local fetch_site = pv("$hdr(Sec-Fetch-Site)")
	local host = pv("$hdr(Host)")
	if not ok(KSR.ipops.is_in_subnet(pv("$si"), def("METRICS_ALLOW"))) then
		reason = "source not allowed"
	elseif pv("$hdr(Origin)") ~= nil then
		reason = "browser request (Origin)"
	elseif fetch_site ~= nil and fetch_site ~= "none" then
		reason = "browser request (Sec-Fetch-Site)"
	elseif host ~= pv("$Ri") .. ":" .. pv("$Rp")
			and (def("METRICS_HOST") == "" or host ~= def("METRICS_HOST")) then
		-- a name rebound to this address (DNS rebinding) names another host
		reason = "Host is not this listener"
	elseif not KSR.is_GET() or pv("$hu") ~= "/metrics" then
		KSR.xhttp.xhttp_reply(404, "Not Found", "text/plain", "GET /metrics only\n")
		return
	else
		KSR.xhttp_prom.dispatch()
		return
	end
	local why = "wic_refused_metrics"
	KSR.statistics.update_stat(why, 1)
	-- one line per reason and 10 s
	local key = why .. "/" .. reason
	if KSR.htable.sht_get("wic_log", key) == nil then
		KSR.htable.sht_seti("wic_log", key, 1)
		KSR.xlog.xinfo(why .. ": $rm$(_s( $hu){s.substr,0,65}) from $si:$sp refused: " .. reason
				.. "; more of this kind within 10 s are only counted\n")
	end
	KSR.xhttp.xhttp_reply(403, "Forbidden", "text/plain", "Metrics not served to this request\n")
end

-- event_route[xhttp:request]
local function xhttp_request()
	if metrics_enabled() and pv("$Rn") == "metrics" then
		metrics()
		exit()
	end
	local rp = tostring(pv("$Rp"))
	if rp ~= def("WSS_PORT") and not (defined("WITH_LAB_WS") and rp == def("WS_PORT")) then
		KSR.xhttp.xhttp_reply(403, "Forbidden", "text/plain", "Not a WebSocket port\n")
		exit()
	end
	local uw = tonumber(def("UPGRADE_WINDOW"))
	local window = pv("$si") .. "/" .. math.floor(pv("$Ts") / uw)
	local upgrades = KSR.htable.sht_inc("wic_upg", window)
	if upgrades == 1 then
		KSR.htable.sht_setex("wic_upg", window, uw + 1)
	end
	if upgrades > tonumber(def("UPGRADE_LIMIT")) then
		count_and_log("wic_refused_upgrade_flood")
		KSR.xhttp.xhttp_reply(429, "Too Many Requests", "text/plain", "Too many WebSocket upgrades\n")
		exit()
	end
	local up = pv("$hdr(Upgrade)") or ""
	local conn = pv("$hdr(Connection)") or ""
	-- the regular expressions of kamailio.cfg (=~: POSIX extended, case-insensitive)
	if not (string.find(string.lower(up), "websocket", 1, true)
			and string.find(string.lower(conn), "upgrade", 1, true) and KSR.is_method("GET")) then
		KSR.xhttp.xhttp_reply(404, "Not Found", "text/plain", "WebSocket only\n")
		exit()
	end
	local origin = KSR.ims_wic.wic_origin_check()
	if origin == -2 then
		KSR.hdr.append_to_reply("Retry-After: 5\r\n")
		KSR.xhttp.xhttp_reply(503, "Service Unavailable", "text/plain", "Provisioning unusable, try again\n")
		exit()
	end
	if origin < 0 then
		KSR.xhttp.xhttp_reply(403, "Forbidden", "text/plain", "Origin not authorized\n")
		exit()
	end
	-- what the websocket module would refuse is refused here first (it
	-- logs each of its refusals as a WARNING)
	local proto = pv("$(hdr(Sec-WebSocket-Protocol)[*])") or ""
	if pv("$hdrc(Sec-WebSocket-Key)") ~= 1 or pv("$hdrc(Sec-WebSocket-Version)") ~= 1
			or pv("$hdrc(Origin)") > 1
			or not string.find(string.lower(proto), "sip", 1, true) then
		count_and_log("wic_refused_handshake")
		KSR.hdr.append_to_reply("Sec-WebSocket-Protocol: sip\r\nSec-WebSocket-Version: 13\r\n")
		KSR.xhttp.xhttp_reply(400, "Bad Request", "text/plain", "WebSocket handshake refused\n")
		exit()
	end
	if pv("$hdr(Sec-WebSocket-Version)") ~= "13" then
		count_and_log("wic_refused_handshake")
		KSR.hdr.append_to_reply("Sec-WebSocket-Version: 13\r\n")
		KSR.xhttp.xhttp_reply(426, "Upgrade Required", "text/plain", "WebSocket version 13 only\n")
		exit()
	end
	if not ok(KSR.websocket.handle_handshake()) then
		count_and_log("wic_refused_handshake")
		exit()
	end
	local conid = pv("$conid")
	KSR.tcpops.tcp_set_connection_lifetime_cid(conid, tonumber(def("WS_LIFETIME")))
	KSR.htable.sht_seti("wic_idle", tostring(conid), 1)
	KSR.htable.sht_setex("wic_idle", tostring(conid), tonumber(def("REGISTER_WITHIN")))
	exit()
end

function ksr_xhttp_event(evname)
	if evname == "xhttp:request" then
		xhttp_request()
	end
end

-- route[CONNECTION_GONE]
local function connection_gone()
	KSR.ims_wic.wic_conn_closed()
	media_connection_gone()
	local conn = tostring(pv("$wic(conn)"))
	KSR.htable.sht_rm("wic_idle", conn)
	KSR.htable.sht_rm("wic_close", conn)
end

-- event_route[tcp:closed]
-- event_route[tcp:reset]
-- event_route[tcp:timeout]
function ksr_tcpops_event(evname)
	connection_gone()
end

-- event_route[websocket:closed]
function ksr_websocket_event(evname)
	connection_gone()
end

-- event_route[htable:expired:wic_idle]
-- event_route[htable:expired:wic_close]
function ksr_htable_event(evname)
	if evname == "htable:expired:wic_idle" then
		local conid = tonumber(pv("$shtrecord(key)"))
		if conid ~= nil and ok(KSR.ims_wic.wic_conn_unregistered(conid)) then
			KSR.statistics.update_stat("wic_closed_unregistered", 1)
			if KSR.htable.sht_get("wic_log", "idle") == nil then
				KSR.htable.sht_seti("wic_log", "idle", 1)
				KSR.info("wic_closed_unregistered: connection " .. conid
					.. " registered nothing in time: closed (more within 10 s only counted)\n")
			end
			KSR.websocket.close_conid(1008, "Register first", conid)
			KSR.htable.sht_seti("wic_close", tostring(conid), 1)
		end
	elseif evname == "htable:expired:wic_close" then
		local conid = tonumber(pv("$shtrecord(key)"))
		if conid ~= nil then
			KSR.tcpops.tcp_close_connection_id(conid)
		end
	end
end

-- ---- range registration with the IMS Core (Trusted Node Authentication) ----

-- event_route[wic:range-register]: the function named by modparam("ims_wic", "event_callback")
function ksr_wic_event(evname)
	if evname ~= "wic:range-register" then
		return
	end
	local ip, port = def("EPCSCF_IP"), def("SIP_PORT")
	local expires = tostring(pv("$wic_range(expires)"))
	local impi, realm = pv("$wic_range(impi)"), pv("$wic_range(realm)")
	local hdrs = "Contact: <sip:" .. ip .. ":" .. port .. ">;expires=" .. expires .. "\r\n"
		.. "Expires: " .. expires .. "\r\n"
		.. "Path: <sip:term@" .. ip .. ":" .. port .. ";lr>\r\n"
		.. "Require: path\r\nSupported: path\r\n"
		.. "P-Visited-Network-ID: " .. def("VISITED_NETWORK") .. "\r\n"
		.. "Authorization: Digest username=\"" .. impi .. "\", realm=\"" .. realm
		.. "\", uri=\"sip:" .. realm
		.. "\", nonce=\"\", response=\"\", integrity-protected=\"auth-done\"\r\n"
	if not ok(KSR.ims_wic.wic_range_send("sip:" .. realm, def("IMS_CORE_URI"), hdrs)) then
		KSR.err("cannot send the REGISTER of range " .. tostring(pv("$wic_range(wildcard)")) .. "\n")
	end
end
