#!/usr/bin/python3
"""Generates test_vectors.hpp: PPP byte vectors built by scapy (scapy.layers.ppp) and CHAP-MD5
responses computed by hashlib, so the C++ codecs are checked against another implementation.

Regenerate (from the repository root, with Debian's python3-scapy):
    /usr/bin/python3 shared/ppp/gen_vectors.py > shared/ppp/test_vectors.hpp

Each vector carries the bytes and the "recipe" that produced them; ppp_test.cpp parses the
bytes and compares with the recipe, and rebuilds the bytes from the recipe with our builders.
scapy has no IPv6CP and cannot write an uncompressed protocol below 0x100: those few vectors
are packed with struct by hand and marked so.
"""
import hashlib
import struct
import sys

from scapy.layers.ppp import (HDLC, PPP, PPP_CHAP, PPP_CHAP_ChallengeResponse, PPP_IPCP,
                              PPP_IPCP_Option, PPP_IPCP_Option_DNS1, PPP_IPCP_Option_DNS2,
                              PPP_IPCP_Option_IPAddress, PPP_IPCP_Option_NBNS1,
                              PPP_IPCP_Option_NBNS2, PPP_LCP, PPP_LCP_ACCM_Option,
                              PPP_LCP_Auth_Protocol_Option, PPP_LCP_Code_Reject,
                              PPP_LCP_Configure, PPP_LCP_Discard_Request, PPP_LCP_Echo,
                              PPP_LCP_Magic_Number_Option, PPP_LCP_MRU_Option, PPP_LCP_Option,
                              PPP_LCP_Protocol_Reject, PPP_LCP_Quality_Protocol_Option,
                              PPP_LCP_Terminate, PPP_PAP_Request, PPP_PAP_Response)
from scapy.packet import Raw

arrays = []  # (name, bytes)


def arr(name, data):
    data = bytes(data)
    arrays.append((name, data))
    return name


def c_bytes(data):
    return ", ".join("0x%02x" % b for b in data)


def ident(s):
    return "".join(c if c.isalnum() else "_" for c in s)


# ---------------------------------------------------------------- frames
FRAMES = []


def frame(name, raw, protocol, header_len, ac, compressed):
    FRAMES.append((name, arr("frame_" + name, raw), protocol, header_len, ac, compressed, len(raw) - header_len))


payload = b"\x45\x00\x00\x14" + b"\x00" * 16
lcp_echo = bytes(PPP_LCP_Echo(code=9, id=1, magic_number=0x01020304))
frame("ac_ipv4_compressed", bytes(HDLC() / PPP(proto=0x0021) / Raw(payload)), 0x0021, 3, True, True)
frame("ipv4_compressed", bytes(PPP(proto=0x0021) / Raw(payload)), 0x0021, 1, False, True)
frame("ac_ipv6_compressed", bytes(HDLC() / PPP(proto=0x0057) / Raw(payload)), 0x0057, 3, True, True)
frame("ac_lcp", bytes(HDLC() / PPP(proto=0xc021) / Raw(lcp_echo)), 0xc021, 4, True, False)
frame("lcp", bytes(PPP(proto=0xc021) / Raw(lcp_echo)), 0xc021, 2, False, False)
frame("ac_ipcp", bytes(HDLC() / PPP(proto=0x8021) / Raw(b"\x01\x01\x00\x04")), 0x8021, 4, True, False)
frame("ac_chap_empty_payload", bytes(HDLC() / PPP(proto=0xc223)), 0xc223, 4, True, False)
# scapy always compresses protocols below 0x100; the uncompressed forms are packed by hand.
frame("ac_ipv4_full_by_hand", b"\xff\x03\x00\x21" + payload, 0x0021, 4, True, False)
frame("ipv4_full_by_hand", b"\x00\x21" + payload, 0x0021, 2, False, False)

# ---------------------------------------------------------------- configure packets
CONFIGS = []  # (name, protocol, code, id, [(type, number, extra, data)], bytes)

LCP_AUTH_PAP = (3, 0xc023, 0, b"")


def config(name, protocol, code, ident_, recipe, raw):
    recipe = [(t, num, extra, arr("opt_%s_%d" % (name, i), data)) for i, (t, num, extra, data) in enumerate(recipe)]
    CONFIGS.append((name, protocol, code, ident_, recipe, arr("config_" + name, raw)))


def lcp_config(name, code, ident_, recipe):
    opts = []
    for t, num, extra, data in recipe:
        if t == 1:
            opts.append(PPP_LCP_MRU_Option(max_recv_unit=num))
        elif t == 2:
            opts.append(PPP_LCP_ACCM_Option(accm=num))
        elif t == 3 and num == 0xc223:
            opts.append(PPP_LCP_Auth_Protocol_Option(auth_protocol=num, algorithm=extra))
        elif t == 3:
            opts.append(PPP_LCP_Auth_Protocol_Option(auth_protocol=num, data=data))
        elif t == 4:
            opts.append(PPP_LCP_Quality_Protocol_Option(quality_protocol=num, data=data))
        elif t == 5:
            opts.append(PPP_LCP_Magic_Number_Option(magic_number=num))
        else:
            opts.append(PPP_LCP_Option(type=t, data=data))
    config(name, 0xc021, code, ident_, recipe, bytes(PPP_LCP_Configure(code=code, id=ident_, options=opts)))


lcp_config("lcp_request_typical", 1, 1, [(1, 1400, 0, b""), (3, 0xc223, 5, b""), (5, 0x5eadbeef, 0, b""),
                                        (7, 0, 0, b""), (8, 0, 0, b"")])
lcp_config("lcp_request_pap_accm", 1, 0x42, [(2, 0x000a0000, 0, b""), LCP_AUTH_PAP, (5, 0x01020304, 0, b"")])
lcp_config("lcp_request_empty", 1, 0, [])
lcp_config("lcp_ack_mru_magic", 2, 7, [(1, 1500, 0, b""), (5, 0xcafef00d, 0, b"")])
lcp_config("lcp_nak_mru", 3, 8, [(1, 1460, 0, b"")])
lcp_config("lcp_nak_chap_mschapv2", 3, 9, [(3, 0xc223, 0x81, b"")])
lcp_config("lcp_reject_quality_callback", 4, 0xff,
           [(4, 0xc025, 0, b"\x00\x00\x27\x10"), (13, 0, 0, b"\x06"), (17, 0, 0, b"\x05\xdc")])
lcp_config("lcp_request_eap", 1, 3, [(3, 0xc227, 0, b"")])


def ipcp_config(name, code, ident_, recipe):
    cls = {3: PPP_IPCP_Option_IPAddress, 129: PPP_IPCP_Option_DNS1, 130: PPP_IPCP_Option_NBNS1,
           131: PPP_IPCP_Option_DNS2, 132: PPP_IPCP_Option_NBNS2}
    opts = []
    for t, num, extra, data in recipe:
        if t in cls:
            opts.append(cls[t](data="%d.%d.%d.%d" % tuple(struct.pack("!I", num))))
        elif t == 2:
            opts.append(PPP_IPCP_Option(type=2, data=struct.pack("!H", num) + data))
        else:
            opts.append(PPP_IPCP_Option(type=t, data=data))
    config(name, 0x8021, code, ident_, recipe, bytes(PPP_IPCP(code=code, id=ident_, options=opts)))


ipcp_config("ipcp_request_zero_dns", 1, 1, [(3, 0, 0, b""), (129, 0, 0, b""), (131, 0, 0, b"")])
ipcp_config("ipcp_nak_assign", 3, 1, [(3, 0x0a400001, 0, b""), (129, 0x08080808, 0, b""),
                                      (131, 0x01010101, 0, b"")])
ipcp_config("ipcp_ack_nbns", 2, 2, [(3, 0xc0a80002, 0, b""), (130, 0xc0a80001, 0, b""),
                                    (132, 0xc0a80003, 0, b"")])
ipcp_config("ipcp_reject_vj", 4, 5, [(2, 0x002d, 0, b"\x0f\x01")])
# IP-Addresses (1) is decoded as two addresses: recipe number = source, extra data = destination
ipcp_config("ipcp_request_deprecated_addresses", 1, 6, [(1, 0, 0, b"\x0a\x00\x00\x01\x0a\x00\x00\x02")])


def ipv6cp_config(name, code, ident_, recipe):
    # scapy has no IPv6CP: RFC 5072 layout packed by hand.
    body = b""
    for t, num, extra, data in recipe:
        if t == 1:
            body += struct.pack("!BBQ", 1, 10, num)
        elif t == 2:
            body += struct.pack("!BBH", 2, 4 + len(data), num) + data
        else:
            body += struct.pack("!BB", t, 2 + len(data)) + data
    config(name, 0x8057, code, ident_, recipe, struct.pack("!BBH", code, ident_, 4 + len(body)) + body)


ipv6cp_config("ipv6cp_request_by_hand", 1, 1, [(1, 0x0200_5eff_fe00_5301, 0, b"")])
ipv6cp_config("ipv6cp_nak_by_hand", 3, 1, [(1, 0x1122_3344_5566_7788, 0, b"")])
ipv6cp_config("ipv6cp_reject_by_hand", 4, 2, [(2, 0x004f, 0, b"\x00\x0f\x00\x3f"), (9, 0, 0, b"\xab")])

# ---------------------------------------------------------------- other LCP packets
BODIES = []  # (name, code, id, number, data, bytes)


def body(name, code, ident_, number, data, raw):
    BODIES.append((name, code, ident_, number, arr("body_data_" + name, data), arr("body_" + name, raw)))


body("terminate_request", 5, 3, 0, b"user request", bytes(PPP_LCP_Terminate(code=5, id=3, data=b"user request")))
body("terminate_ack_empty", 6, 3, 0, b"", bytes(PPP_LCP_Terminate(code=6, id=3)))
body("echo_request", 9, 0x10, 0x11223344, b"", bytes(PPP_LCP_Echo(code=9, id=0x10, magic_number=0x11223344)))
body("echo_reply_data", 10, 0x10, 0x55667788, b"ping",
     bytes(PPP_LCP_Echo(code=10, id=0x10, magic_number=0x55667788, data=b"ping")))
body("discard_request", 11, 0x20, 0, b"\x00\x01\x02",
     bytes(PPP_LCP_Discard_Request(id=0x20, magic_number=0, data=b"\x00\x01\x02")))
rejected = bytes(PPP_LCP(code=14, id=5, data=b"\xaa\xbb"))
body("code_reject", 7, 0x30, 14, rejected, bytes(PPP_LCP_Code_Reject(id=0x30, rejected_packet=PPP_LCP(rejected))))
info = b"\x01\x01\x00\x0a\x01\x06\x00\x00\x00\x00"
body("protocol_reject_ipv6cp", 8, 0x31, 0x8057, info,
     bytes(PPP_LCP_Protocol_Reject(id=0x31, rejected_protocol=0x8057, rejected_information=Raw(info))))
body("protocol_reject_ccp_empty", 8, 0x32, 0x80fd, b"",
     bytes(PPP_LCP_Protocol_Reject(id=0x32, rejected_protocol=0x80fd)))

# ---------------------------------------------------------------- PAP
PAP = []  # (name, code, id, field1, field2, bytes)


def pap(name, code, ident_, f1, f2, raw):
    PAP.append((name, code, ident_, arr("pap_f1_" + name, f1), arr("pap_f2_" + name, f2), arr("pap_" + name, raw)))


pap("request", 1, 1, b"alice@isp.example", b"s3cret",
    bytes(PPP_PAP_Request(id=1, username=b"alice@isp.example", password=b"s3cret")))
pap("request_empty_password", 1, 2, b"bob", b"", bytes(PPP_PAP_Request(id=2, username=b"bob", password=b"")))
pap("request_empty_both", 1, 3, b"", b"", bytes(PPP_PAP_Request(id=3, username=b"", password=b"")))
pap("ack", 2, 1, b"Login ok", b"", bytes(PPP_PAP_Response(code=2, id=1, message=b"Login ok")))
pap("ack_empty", 2, 9, b"", b"", bytes(PPP_PAP_Response(code=2, id=9, message=b"")))
pap("nak", 3, 1, b"Authentication failed", b"",
    bytes(PPP_PAP_Response(code=3, id=1, message=b"Authentication failed")))

# ---------------------------------------------------------------- CHAP
CHAP = []  # (name, code, id, value_or_message, name, bytes)


def chap(name, code, ident_, value, who, raw):
    CHAP.append((name, code, ident_, arr("chap_v_" + name, value), arr("chap_n_" + name, who),
                 arr("chap_" + name, raw)))


challenge16 = bytes(range(0x10, 0x20))
chap("challenge", 1, 0x21, challenge16, b"lns.example",
     bytes(PPP_CHAP_ChallengeResponse(code=1, id=0x21, value=challenge16, optional_name=b"lns.example")))
resp = hashlib.md5(b"\x21" + b"secret" + challenge16).digest()
chap("response", 2, 0x21, resp, b"alice",
     bytes(PPP_CHAP_ChallengeResponse(code=2, id=0x21, value=resp, optional_name=b"alice")))
chap("challenge_no_name", 1, 0x22, b"\x99", b"",
     bytes(PPP_CHAP_ChallengeResponse(code=1, id=0x22, value=b"\x99", optional_name=b"")))
chap("success", 3, 0x21, b"Welcome", b"", bytes(PPP_CHAP(code=3, id=0x21, data=b"Welcome")))
chap("success_empty", 3, 0x23, b"", b"", bytes(PPP_CHAP(code=3, id=0x23)))
chap("failure", 4, 0x21, b"E=691 R=0", b"", bytes(PPP_CHAP(code=4, id=0x21, data=b"E=691 R=0")))

# ---------------------------------------------------------------- CHAP-MD5
MD5 = []  # (name, id, secret, challenge, response)


def md5(name, ident_, secret, challenge):
    MD5.append((name, ident_, arr("md5_s_" + name, secret), arr("md5_c_" + name, challenge),
                arr("md5_r_" + name, hashlib.md5(bytes([ident_]) + secret + challenge).digest())))


md5("typical", 0x21, b"secret", challenge16)
md5("id_zero", 0, b"password", bytes(8))
md5("id_ff_long_challenge", 0xff, b"a much longer shared secret, 48 octets in all!!", bytes(range(64)))
md5("empty_secret", 7, b"", b"\x01")
md5("binary_secret", 0x80, b"\x00\xff\x00\xff", b"\xde\xad\xbe\xef" * 4)

# ---------------------------------------------------------------- self-check
for v in [c[5] for c in CONFIGS] + [b[5] for b in BODIES] + [p[5] for p in PAP] + [c[5] for c in CHAP]:
    raw = dict(arrays)[v]
    assert struct.unpack("!H", raw[2:4])[0] == len(raw), (v, raw.hex())

# ---------------------------------------------------------------- fuzz seed corpus
# With --corpus DIR, also write every vector as a PPP frame (FF 03 + protocol + packet), the
# input format of ppp_fuzz.cpp:
#     /usr/bin/python3 shared/ppp/gen_vectors.py --corpus shared/ppp/fuzz_corpus/ppp > shared/ppp/test_vectors.hpp
if len(sys.argv) == 3 and sys.argv[1] == "--corpus":
    import os
    os.makedirs(sys.argv[2], exist_ok=True)
    seeds = [(n, dict(arrays)[a]) for n, a, *_ in FRAMES]
    seeds += [(n, struct.pack("!BBH", 0xff, 0x03, proto) + dict(arrays)[a]) for n, proto, _, _, _, a in CONFIGS]
    seeds += [(n, b"\xff\x03\xc0\x21" + dict(arrays)[a]) for n, _, _, _, _, a in BODIES]
    seeds += [("pap_" + n, b"\xff\x03\xc0\x23" + dict(arrays)[a]) for n, _, _, _, _, a in PAP]
    seeds += [("chap_" + n, b"\xff\x03\xc2\x23" + dict(arrays)[a]) for n, _, _, _, _, a in CHAP]
    for n, data in seeds:
        with open(os.path.join(sys.argv[2], ident(n)), "wb") as f:
            f.write(data)
elif len(sys.argv) != 1:
    sys.exit("usage: gen_vectors.py [--corpus DIR] > test_vectors.hpp")

# ---------------------------------------------------------------- output
out = sys.stdout
out.write("// Generated by shared/ppp/gen_vectors.py (scapy %s, hashlib) -- do not edit.\n" %
          __import__("scapy").VERSION)
out.write("// Regenerate from the repository root:\n")
out.write("//     /usr/bin/python3 shared/ppp/gen_vectors.py > shared/ppp/test_vectors.hpp\n")
out.write("""#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

namespace l2tpx::ppp::test_vectors {

using bytes = std::span<const uint8_t>;

struct frame_vector {
	const char *name;
	bytes raw;
	uint16_t protocol;
	uint8_t header_len;
	bool address_control;
	bool protocol_compressed;
	size_t payload_len;
};

// One option of a recipe. LCP: mru/accm/magic -> number; auth/quality -> number = protocol,
// extra = CHAP algorithm, data = protocol data; other types -> data is the raw value.
// IPCP: addresses -> number; compression -> number = protocol, data; ip_addresses -> data.
// IPv6CP: interface identifier -> number; compression -> number = protocol, data.
struct option_vector {
	uint8_t type;
	uint64_t number;
	uint8_t extra;
	bytes data;
};

struct config_vector {
	const char *name;
	uint16_t protocol;
	uint8_t code;
	uint8_t identifier;
	std::span<const option_vector> options;
	bytes raw;
};

// LCP packets other than Configure-*: number = magic (echo, discard), rejected protocol
// (protocol-reject) or rejected code (code-reject); data = echo data, terminate data,
// rejected packet or rejected information.
struct body_vector {
	const char *name;
	uint8_t code;
	uint8_t identifier;
	uint32_t number;
	bytes data;
	bytes raw;
};

// PAP: request -> field1 = peer-id, field2 = password; ack/nak -> field1 = message.
struct pap_vector {
	const char *name;
	uint8_t code;
	uint8_t identifier;
	bytes field1;
	bytes field2;
	bytes raw;
};

// CHAP: challenge/response -> value, name; success/failure -> value = message.
struct chap_vector {
	const char *name;
	uint8_t code;
	uint8_t identifier;
	bytes value;
	bytes who;
	bytes raw;
};

// CHAP-MD5: response = MD5(identifier || secret || challenge), computed by hashlib.
struct md5_vector {
	const char *name;
	uint8_t identifier;
	bytes secret;
	bytes challenge;
	bytes response;
};

""")
for name, data in arrays:
    if data:
        out.write("inline constexpr uint8_t %s[] = {%s};\n" % (ident(name), c_bytes(data)))


def ref(name):
    data = dict(arrays)[name]
    return "bytes(%s)" % ident(name) if data else "bytes()"


out.write("\ninline constexpr frame_vector frames[] = {\n")
for name, a, proto, hl, ac, comp, plen in FRAMES:
    out.write('\t{"%s", %s, 0x%04x, %d, %s, %s, %d},\n' % (name, ref(a), proto, hl, str(ac).lower(),
                                                         str(comp).lower(), plen))
out.write("};\n\n")

for name, proto, code, id_, recipe, a in CONFIGS:
    if not recipe:
        continue
    out.write("inline constexpr option_vector options_%s[] = {\n" % ident(name))
    for t, num, extra, dn in recipe:
        out.write("\t{%d, 0x%x, 0x%02x, %s},\n" % (t, num, extra, ref(dn)))
    out.write("};\n")
out.write("\ninline constexpr config_vector configs[] = {\n")
for name, proto, code, id_, recipe, a in CONFIGS:
    opts = ("std::span<const option_vector>(options_%s)" % ident(name)) if recipe else \
        "std::span<const option_vector>()"
    out.write('\t{"%s", 0x%04x, %d, 0x%02x, %s, %s},\n' % (name, proto, code, id_, opts, ref(a)))
out.write("};\n\n")

out.write("inline constexpr body_vector bodies[] = {\n")
for name, code, id_, num, d, a in BODIES:
    out.write('\t{"%s", %d, 0x%02x, 0x%x, %s, %s},\n' % (name, code, id_, num, ref(d), ref(a)))
out.write("};\n\n")

out.write("inline constexpr pap_vector paps[] = {\n")
for name, code, id_, f1, f2, a in PAP:
    out.write('\t{"%s", %d, 0x%02x, %s, %s, %s},\n' % (name, code, id_, ref(f1), ref(f2), ref(a)))
out.write("};\n\n")

out.write("inline constexpr chap_vector chaps[] = {\n")
for name, code, id_, v, w, a in CHAP:
    out.write('\t{"%s", %d, 0x%02x, %s, %s, %s},\n' % (name, code, id_, ref(v), ref(w), ref(a)))
out.write("};\n\n")

out.write("inline constexpr md5_vector md5s[] = {\n")
for name, id_, s, c, r in MD5:
    out.write('\t{"%s", 0x%02x, %s, %s, %s},\n' % (name, id_, ref(s), ref(c), ref(r)))
out.write("};\n\n} // namespace l2tpx::ppp::test_vectors\n")
