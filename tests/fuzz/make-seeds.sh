#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Copyright (C) 2026 the ims_wic authors
#
# (Re)writes the seed corpora of the fuzzers in tests/fuzz/corpus/. Run
# once by hand and commit the result: the tokens are signed with the fixed
# test keys of fuzz_common.h (test data, not secrets). ES256 signatures are
# randomised, so a rerun changes those files; nothing else changes.
set -euo pipefail
cd "$(dirname "$0")/../.."

CORPUS=tests/fuzz/corpus
BIN=build/fuzz/make_seeds
CC=${CC:-cc}
mkdir -p "$(dirname "$BIN")" "$CORPUS"

# shellcheck disable=SC2046
"$CC" -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -O1 -g \
	-Imodules/ims_wic -Itests/fuzz -o "$BIN" tests/fuzz/make_seeds.c \
	$(ls modules/ims_wic/wic_*.c) -ljwt -ljansson -lcrypto -lpcre2-8
"$BIN" "$CORPUS"

seed() { # target name text (printf %b: \n, \r, \t escapes)
	mkdir -p "$CORPUS/$1"
	printf '%b' "$3" > "$CORPUS/$1/$2"
}

# ---- wildcarded PUIs: "<wildcard>\n<impu>..." ----
seed pui sip-any 'sip:wic!.*!@wwsf1.lab\nsip:wic1@wwsf1.lab\nsip:wic@WWSF1.LAB\nsip:wic1@evil.lab'
seed pui tel 'tel:+1555123!\\d{4}!\ntel:+15551234567\ntel:+1555123456\nTEL:+15551239999'
seed pui sips-suffix 'sips:user!-[a-z]+-!x@Host.Example.com\nsips:user-abc-x@host.example.COM\nsips:user-a@b-x@host.example.com'
seed pui groups 'sip:w2!([a-z]+\\.)*[0-9]{2,}!@wwsf2.lab\nsip:w2ab.cd.12@wwsf2.lab\nsip:w2aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa!@wwsf2.lab'
seed pui inner-bang 'sip:a!b!c!d!@h\nsip:ab!cd@h\nsip:a@h'
seed pui escape-try 'sip:x!a)|(b!@h\nsip:xb@h\nsip:xa)|(b@h'
seed pui backtrack 'sip:p!(a+)+b!@h\nsip:paaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaac@h'
seed pui bad-at 'sip:a@b!.*!@h\nsip:a@bx@h'
seed pui no-host 'sip:a!.*!@\nsip:a@'
seed pui unicode 'sip:\xc3\xa9!\\p{L}+!@h\nsip:\xc3\xa9t\xc3\xa9@h'
seed pui empty-re 'tel:!!\ntel:'

# ---- identities: one URI per file, normalised whole ----
seed uri sip-host 'sip:demogina@WWSF.LAB'
seed uri sip-escapes 'SIP:%64emo%3bgina%20x@Wwsf.Lab:05060'
seed uri sips-v6 'sips:alice:pw@[2001:DB8::1]:5061'
seed uri host-only 'sip:EXAMPLE.com'
seed uri tel-global 'tel:+1-555-(123).4567;EXT=12;Foo=%41'
seed uri tel-local 'tel:7AB*%23;phone-context=Example.COM'
seed uri tel-dup 'tel:+1555;ext=1;EXT=2'
seed uri bad-at 'sip:a@b@h'
seed uri bad-escape 'sip:a%4@h'
seed uri params 'sip:a@h;transport=ws'

# ---- Contact parameters: "name=value" lines of one Contact ----
seed cparam jssip '+sip.instance="<urn:uuid:f81d4fae-7dec-11d0-a765-00a0c91e6bf6>"\nreg-id=1\nexpires=600'
seed cparam q 'q=0.5\nexpires=0\nob'
seed cparam bad-expires 'expires=abc'
seed cparam huge 'expires=99999999999999999999999'
seed cparam twice 'expires=1\nEXPIRES=2'
seed cparam bad-reg-id 'reg-id=2147483648'
seed cparam bad-instance '+sip.instance="<urn:uuid:>"'

# ---- provisioning snapshots: flat blocks of wic_bundle_flatten() ----
# (uint64 count, then per file uint64 name and data lengths, name, NUL, data)
seed bundle one-file '\x01\x00\x00\x00\x00\x00\x00\x00\x01\x00\x00\x00\x00\x00\x00\x00\x02\x00\x00\x00\x00\x00\x00\x00a\x00xy'
seed bundle two-files '\x02\x00\x00\x00\x00\x00\x00\x00\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00a\x00\x02\x00\x00\x00\x00\x00\x00\x00\x01\x00\x00\x00\x00\x00\x00\x00bc\x00z'
seed bundle empty '\x00\x00\x00\x00\x00\x00\x00\x00'

# ---- dialog parameters: "<Call-ID>\n<conn>.<hex identity>.<mac>" ----
seed dialog shape 'a84b4c76e66710@pc33\n42.7369703a616c69636540777773662e6c6162.0123456789abcdef0123456789abcdef'
seed dialog callee 'c1\n0.7369703a62@h.00000000000000000000000000000000'
seed dialog upper-hex 'c1\n1.7369703A62.00000000000000000000000000000000'
seed dialog nul 'c1\n1.0061.00000000000000000000000000000000'
seed dialog big-conn 'c1\n99999999999.61.00000000000000000000000000000000'
seed dialog extra-dot 'c1\n1.61.0000000000000000000000000000000.0'
seed dialog empty '\n'

# ---- P-Associated-URI values ----
seed pau plain '<sip:wic-range@wwsf1.lab>, <sip:wic!.*!@wwsf1.lab>'
seed pau display '"Range" <sip:wic-range@wwsf1.lab>;p=1, Bob <tel:+15551230000>, <tel:+1555123!\\d{4}!>'
seed pau quoted '"a, \\"b\\" <c>" <sip:x@y>;q="1,2", <sip:z@y>'
seed pau ws ' \t<sip:a@b>\t ,\t <sip:c!.*!@d> ;x ;y=z  '
seed pau many '<sip:1@h>,<sip:2@h>,<sip:3@h>,<sip:4@h>,<sip:5@h>,<sip:6@h>,<sip:7@h>,<sip:8@h>,<sip:9@h>,<sip:10@h>'
seed pau bad-trailing '<sip:a@b>,'
seed pau bad-unclosed '<sip:a@b'
seed pau bad-empty '<>'
seed pau bad-nested '<sip:<a>@b>'

# ---- provisioning files (keys in the fuzzer's folder: ec.pem, ed.pem,
# keys.jwks; the HMAC secret is 64 bytes) ----
HMAC=AwoRGB8mLTQ7QklQV15lbHN6gYiPlp2kq7K5wMfO1dzj6vH4_wYNFBsiKTA3PkVMU1phaG92fYSLkpmgp661vA
seed prov full '{
  "audience": "sip:epcscf.lab",
  "max_token_size": 8192,
  "leeway": 30,
  "max_token_lifetime": 86400,
  "claims": {"impu": "impu", "impi": "impi", "range": "range", "anon": "anon"},
  "wwsfs": [
    {
      "id": "w1",
      "origins": ["https://wwsf1.lab", "http://127.0.0.1:8000", "https://[::1]:8443"],
      "issuers": ["https://wwsf1.lab"],
      "required_typ": "application/jwt",
      "allow_hmac": true,
      "keys": [
        {"pem": "ec.pem", "kid": "ec256", "algs": ["ES256"]},
        {"pem": "ed.pem", "kid": "ed"},
        {"jwks": "keys.jwks", "algs": ["ES256", "EdDSA", "HS512"]},
        {"hmac": "'"$HMAC"'", "kid": "hs", "algs": ["HS256", "HS512"]}
      ],
      "ranges": [
        {"wildcard": "sip:wic!.*!@wwsf1.lab", "distinct_pui": "sip:wic-range@wwsf1.lab",
         "impi": "wic-range@wwsf1.lab", "trigger": "startup", "linger": 60, "expires": 3600},
        {"wildcard": "tel:+1555123!\\\\d{4}!", "distinct_pui": "tel:+15551230000",
         "impi": "tel@wwsf1.lab", "trigger": ["on-demand", "token"], "linger": 0}
      ],
      "limits": {"max_contacts_per_impu": 5, "max_expires": 3600, "max_token_lifetime": 600}
    },
    {
      "id": "w2",
      "origins": ["https://wwsf2.lab"],
      "issuers": ["https://wwsf2.lab"],
      "audience": "sip:epcscf2.lab",
      "allow_hmac": true,
      "keys": [{"hmac": "'"$HMAC"'"}],
      "ranges": [{"wildcard": "sip:w2!([a-z]+\\\\.)*[0-9]{2,}!@wwsf2.lab",
                  "distinct_pui": "sip:w2-range@wwsf2.lab", "impi": "w2@wwsf2.lab"}]
    }
  ]
}
'
seed prov minimal '{"audience":"a","wwsfs":[{"id":"x","origins":["http://h"],"issuers":["i"],"allow_hmac":true,"keys":[{"hmac":"'"$HMAC"'"}],"ranges":[{"wildcard":"tel:!1!","distinct_pui":"tel:1","impi":"i"}]}]}'
seed prov duplicate-ids '{"audience":"a","wwsfs":[
 {"id":"x","origins":["http://h"],"issuers":["i"],"keys":[{"pem":"ec.pem"}],"ranges":[{"wildcard":"tel:!1!","distinct_pui":"tel:1","impi":"i"}]},
 {"id":"x","origins":["http://h2"],"issuers":["i2"],"keys":[{"pem":"ed.pem"}],"ranges":[{"wildcard":"tel:!2!","distinct_pui":"tel:2","impi":"i"}]}]}'
seed prov bad-values '{"audience":"a","max_token_size":1,"leeway":-1,"claims":{"impu":""},"wwsfs":[{"id":"bad id!","origins":["ftp://h:99999"],"issuers":[],"keys":[{"pem":"ec.pem","jwks":"keys.jwks"},{"hmac":"c2hvcnQ","algs":["HS512","none"]},{"jwks":"keys.jwks","kid":"k"}],"ranges":[{"wildcard":"sip:a!(!@h","distinct_pui":"sip:a!b!@h","impi":"i","trigger":["sometimes"],"expires":1}],"limits":{"max_contacts_per_impu":0,"extra":1}}]}'
# refused at load: shared secrets without opt-in, a secret too short for
# its alg, a duplicate kid, a typ that is no media type
seed prov key-rules '{"audience":"a","max_token_lifetime":59,"wwsfs":[{"id":"x","origins":["http://h"],"issuers":["i"],"required_typ":"a b","allow_hmac":"yes","keys":[{"hmac":"'"$HMAC"'","kid":"k"},{"hmac":"c2hvcnQtc2VjcmV0LW9mLTMyLWJ5dGVzLWxvbmctLS0","algs":["HS512"]},{"pem":"ec.pem","kid":"k"},{"jwks":"keys.jwks"}],"ranges":[{"wildcard":"tel:!1!","distinct_pui":"tel:1","impi":"i"}],"limits":{"max_token_lifetime":10}}]}'
seed prov syntax '{"audience": "a", "wwsfs": [ {"id": "x",, } ]'
seed prov missing-key-file '{"audience":"a","wwsfs":[{"id":"x","origins":["https://h"],"issuers":["i"],"keys":[{"pem":"nothere.pem","kid":"k"}],"ranges":[{"wildcard":"sip:a!.*!@h","distinct_pui":"sip:a@h","impi":"i"}]}]}'

echo "seeds written to $CORPUS/" >&2
