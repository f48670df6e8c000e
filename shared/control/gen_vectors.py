#!/usr/bin/python3
"""Test vectors for shared/control, computed independently of the C++ codec.

Builds L2TP control messages byte by byte with struct, hides AVPs (RFC 2661 4.3), computes
Challenge Responses (RFC 2661 4.2) with hashlib, and L2TPv3 Message Digests (RFC 3931 5.4.1)
with hmac. The C++ tests build the same messages from typed structs and compare bytes.

Regenerate the header the tests include (commit the result):
    /usr/bin/python3 shared/control/gen_vectors.py > shared/control/control_vectors.inc
Everything is deterministic: the "random" vectors and paddings are fixed below.
The fuzz seed corpus comes from the same packets:
    /usr/bin/python3 shared/control/gen_vectors.py --corpus shared/control/fuzz_corpus/control
"""
import hashlib
import hmac
import struct

# ---- canonical AVP values (mirrored by canonical_message() in message_test.cpp) ---------

def u16(v): return struct.pack('!H', v)
def u32(v): return struct.pack('!I', v)
def u64(v): return struct.pack('!Q', v)

CANON = {
    1: u16(2) + u16(6) + b'vendor error',                 # Result Code
    2: u16(0x0100),                                        # Protocol Version 1.0
    3: u32(3),                                             # Framing Capabilities
    4: u32(3),                                             # Bearer Capabilities
    5: u64(0x0102030405060708),                            # Tie Breaker
    6: u16(0x0690),                                        # Firmware Revision
    7: b'lns.example.net',                                 # Host Name
    8: b'l2tpx',                                           # Vendor Name
    9: u16(0x1234),                                        # Assigned Tunnel ID
    10: u16(8),                                            # Receive Window Size
    11: b'0123456789abcdef',                               # Challenge
    12: u16(16) + b'\x11' + b'normal',                     # Q.931 Cause Code
    13: bytes(range(0x10, 0x20)),                          # Challenge Response
    14: u16(0x4321),                                       # Assigned Session ID
    15: u32(0xdeadbeef),                                   # Call Serial Number
    16: u32(9600),                                         # Minimum BPS
    17: u32(100000000),                                    # Maximum BPS
    18: u32(2),                                            # Bearer Type
    19: u32(1),                                            # Framing Type
    21: b'5551000',                                        # Called Number
    22: b'5552000',                                        # Calling Number
    23: b'7',                                              # Sub-Address
    24: u32(10000000),                                     # (Tx) Connect Speed
    25: u32(42),                                           # Physical Channel ID
    26: bytes.fromhex('010405dc'),                         # Initial Received LCP CONFREQ
    27: bytes.fromhex('010405d4050611223344'),             # Last Sent LCP CONFREQ
    28: bytes.fromhex('0304c023'),                         # Last Received LCP CONFREQ
    29: u16(2),                                            # Proxy Authen Type
    30: b'user@realm',                                     # Proxy Authen Name
    31: b'\xaa' * 16,                                      # Proxy Authen Challenge
    32: u16(7),                                            # Proxy Authen ID
    33: b'\xbb' * 16,                                      # Proxy Authen Response
    34: u16(0) + b''.join(u32(i) for i in range(1, 7)),    # Call Errors
    35: u16(0) + u32(0xffffffff) + u32(0x000a0000),        # ACCM
    36: bytes(range(0xa0, 0xb0)),                          # Random Vector
    37: b'grp1',                                           # Private Group ID
    38: u32(20000000),                                     # Rx Connect Speed
    39: b'',                                               # Sequencing Required
    46: u16(1) + u16(0xc021) + b'\x01' + b'bye',           # PPP Disconnect Cause Code
    59: b'\x00' + b'\x00' * 16,                            # Message Digest (HMAC-MD5, unsigned)
    60: u32(0x0a000001),                                   # Router ID
    61: u32(0x11223344),                                   # Assigned Control Connection ID
    62: u16(5) + u16(4) + u16(7),                          # Pseudowire Capabilities List
    63: u32(0x01020304),                                   # Local Session ID
    64: u32(0x05060708),                                   # Remote Session ID
    65: bytes.fromhex('c00c1e5adeadbeef'),                 # Assigned Cookie
    66: b'pw-100',                                         # Remote End ID
    68: u16(5),                                            # Pseudowire Type
    69: u16(1),                                            # L2-Specific Sublayer
    70: u16(2),                                            # Data Sequencing
    71: u16(3),                                            # Circuit Status
    72: b'en',                                             # Preferred Language
    73: bytes(range(0x30, 0x40)),                          # Control Message Authentication Nonce
    74: u64(10000000000),                                  # Tx Connect Speed (v3)
    75: u64(1000000000),                                   # Rx Connect Speed (v3)
    76: u16(3) + u32(5000),                                # Failover Capability
    77: bytes.fromhex('000000010002'),                     # Tunnel Recovery
    78: bytes.fromhex('000000050006'),                     # Suggested Control Sequence
    79: bytes.fromhex('000000070008'),                     # Failover Session State
}

# M bit each AVP is sent with (RFC 2661 4.4, RFC 3931 5.4, RFC 3145, RFC 4951).
M_CLEAR = {5, 6, 8, 25, 26, 27, 28, 29, 30, 31, 32, 33, 37, 38, 46, 72, 74, 75, 76}

# ---- message types: required / optional AVPs per version (RFC 2661 6, RFC 3931 6) ------

V2 = {
    1: ([0, 2, 7, 3, 9], [4, 10, 11, 5, 6, 8, 76]),
    2: ([0, 2, 3, 7, 9], [4, 6, 8, 10, 11, 13, 76]),
    3: ([0], [13]),
    4: ([0, 9, 1], []),
    6: ([0], []),
    7: ([0, 14, 15, 16, 17, 18, 19, 21], [23]),
    8: ([0, 14], [25]),
    9: ([0, 24, 19], [38, 39]),
    10: ([0, 14, 15], [18, 25, 22, 21, 23]),
    11: ([0, 14], []),
    12: ([0, 24, 19], [26, 27, 28, 29, 30, 31, 32, 33, 37, 38, 39]),
    14: ([0, 1, 14], [12, 46]),
    15: ([0, 34], []),
    16: ([0, 35], []),
    20: ([0], []),
    21: ([0, 79], []),
    22: ([0, 79], []),
}
V3 = {
    1: ([0, 7, 60, 61, 62], [73, 5, 6, 8, 10, 72, 76]),
    2: ([0, 7, 60, 61, 62], [73, 6, 8, 10, 72, 76]),
    3: ([0], []),
    4: ([0, 1], [61]),
    6: ([0], []),
    7: ([0, 63, 64, 15, 68, 66, 71], [65, 74, 75, 69, 70, 5]),
    8: ([0, 63, 64, 71], [65, 69, 74, 75, 70, 25]),
    9: ([0, 63, 64], [69, 74, 75, 70]),
    10: ([0, 63, 64, 15, 68, 66, 71], [65, 5, 69, 70, 74, 75, 25, 22, 21, 23]),
    11: ([0, 63, 64, 71], [65, 69, 70, 74, 75, 25]),
    12: ([0, 63, 64], [69, 70, 74, 75]),
    14: ([0, 1, 63, 64], [12]),
    15: ([0, 63, 64, 34], []),
    16: ([0, 63, 64], [71, 35]),
    20: ([0], []),
    21: ([0, 79], []),
    22: ([0, 79], []),
}
NAMES = {1: 'SCCRQ', 2: 'SCCRP', 3: 'SCCCN', 4: 'StopCCN', 6: 'HELLO', 7: 'OCRQ', 8: 'OCRP',
         9: 'OCCN', 10: 'ICRQ', 11: 'ICRP', 12: 'ICCN', 14: 'CDN', 15: 'WEN', 16: 'SLI',
         20: 'ACK', 21: 'FSQ', 22: 'FSR'}
# AVPs that may carry the H bit (RFC 2661 4.4 "This AVP may be hidden").
MAY_HIDE = {3, 4, 6, 8, 9, 11, 13, 14, 16, 17, 18, 19, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30,
            31, 32, 33, 34, 35, 37, 38, 60, 61, 62, 63, 64, 65, 66, 68, 69, 70, 71, 74, 75}

# ---- independent codec ------------------------------------------------------------------

def avp(t, value, mandatory, hidden=False):
    flags = (0x8000 if mandatory else 0) | (0x4000 if hidden else 0)
    return struct.pack('!HHH', flags | (6 + len(value)), 0, t) + value


def hide(t, secret, rv, value, padding=b''):
    plain = u16(len(value)) + value + padding
    out = b''
    prev = None
    for i in range(0, len(plain), 16):
        if i == 0:
            b = hashlib.md5(u16(t) + secret + rv).digest()
        else:
            b = hashlib.md5(secret + prev).digest()
        chunk = bytes(x ^ y for x, y in zip(plain[i:i + 16], b))
        out += chunk
        prev = chunk
    return out


def challenge_response(resp_type, secret, challenge):
    return hashlib.md5(bytes([resp_type]) + secret + challenge).digest()


def digest_key(derivation, secret):
    """Shared-Key = HMAC(secret, 0x02); l2tpx (like Wireshark) derives with MD5 (0) for both
    digest types, derivation 1 (SHA-1) is the alternative derive_digest_key_with() offers."""
    return hmac.new(secret, b'\x02', hashlib.md5 if derivation == 0 else hashlib.sha1).digest()


def order(types):
    lead = [t for t in (0, 59, 36, 73) if t in types]
    return lead + sorted(t for t in types if t not in lead)


def body(msg_type, types, hidden=(), secret=b'', padding=b'', digest_algo=None):
    out = b''
    for t in order(types):
        value = u16(msg_type) if t == 0 else CANON[t]
        if t == 59:
            value = bytes([digest_algo]) + b'\x00' * (16 if digest_algo == 0 else 20)
        if t in hidden:
            out += avp(t, hide(t, secret, CANON[36], value, padding), t not in M_CLEAR, True)
        else:
            out += avp(t, value, t not in M_CLEAR)
    return out


def v2_header(tid, sid, ns, nr, length):
    return struct.pack('!HHHHHH', 0xc802, length, tid, sid, ns, nr)


def v3_header(ccid, ns, nr, length):
    return struct.pack('!HHIHH', 0xc803, length, ccid, ns, nr)


def sign(packet, lead, key, algo, local_nonce, remote_nonce):
    """Fill the Message Digest AVP (first after Message Type) of a v3 packet."""
    msg = bytearray(packet[lead:])
    at = 12 + 8 + 6 + 1  # header, Message Type AVP, digest AVP header, Digest Type
    n = 16 if algo == 0 else 20
    assert msg[at - 1] == algo and msg[at:at + n] == b'\x00' * n
    d = hmac.new(key, local_nonce + remote_nonce + bytes(msg), hashlib.md5 if algo == 0 else hashlib.sha1).digest()
    msg[at:at + n] = d
    return bytes(packet[:lead]) + bytes(msg)


def hx(b):
    return b.hex()


def write_corpus(folder):
    """Seed corpus for control_fuzz.cpp: every reference packet, one file each."""
    import os
    import re
    import io
    import contextlib
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        main()
    os.makedirs(folder, exist_ok=True)
    for name, hexp in re.findall(r'\{"(v\d_\w+)",.*?\n\t "(\w+)"\}', buf.getvalue()):
        with open(os.path.join(folder, name), 'wb') as f:
            f.write(bytes.fromhex(hexp))


def main():
    print('// Generated by shared/control/gen_vectors.py: do not edit. Regenerate with')
    print('//   /usr/bin/python3 shared/control/gen_vectors.py > shared/control/control_vectors.inc')
    print('// Values computed with Python hashlib/hmac and a byte-level encoder written apart from')
    print('// the C++ codec.')
    print('// NOLINTBEGIN')

    # Challenge responses.
    print('inline constexpr challenge_vector challenge_vectors[] = {')
    cases = [(2, b'secret', b'0123456789abcdef'), (3, b'secret', b'0123456789abcdef'),
             (2, b'a much longer shared secret with spaces', bytes(range(64))),
             (3, b'x', b'\x01'), (2, b'', b'abc')]
    for t, s, c in cases:
        print(f'\t{{{t}, "{hx(s)}", "{hx(c)}", "{hx(challenge_response(t, s, c))}"}},')
    print('};')

    # Hidden AVP values: (type, secret, rv, value, padding).
    print('inline constexpr hidden_vector hidden_vectors[] = {')
    hcases = [
        (9, b'secret', bytes(range(16)), u16(0x1234), b''),
        (14, b'secret', b'\x42', u16(1), b'\x99\x98\x97'),
        (30, b'shared', bytes(range(0xa0, 0xb0)), b'user@realm', b''),
        (30, b'shared', bytes(range(0xa0, 0xb0)), b'a-name-longer-than-one-md5-block@example.com', b''),
        (33, b'pw', bytes(range(32)), b'\xbb' * 16, bytes(range(18))),  # exactly 2 blocks with padding
        (11, b'k', b'\x00' * 16, b'', b''),
        (13, b'the secret', bytes(range(7)), bytes(range(0x10, 0x20)), b'\x00' * 30),
    ]
    for t, s, rv, v, p in hcases:
        print(f'\t{{{t}, "{hx(s)}", "{hx(rv)}", "{hx(v)}", "{hx(p)}", "{hx(hide(t, s, rv, v, p))}"}},')
    print('};')

    # Message Digest shared keys.
    print('inline constexpr digest_key_vector digest_key_vectors[] = {')
    for derivation, s in [(0, b'digest-secret'), (1, b'digest-secret'), (0, b''), (1, b'k' * 100)]:
        print(f'\t{{{derivation}, "{hx(s)}", "{hx(digest_key(derivation, s))}"}},')
    print('};')

    # One AVP value per known type.
    print('inline constexpr avp_vector avp_vectors[] = {')
    for t in sorted(CANON):
        print(f'\t{{{t}, "{hx(CANON[t])}", {"false" if t in M_CLEAR else "true"}}},')
    print('};')

    # Whole messages: every type, both versions, required + optional AVPs; hidden and signed
    # variants.
    print('inline constexpr message_vector message_vectors[] = {')
    secret = b'tunnel-secret'
    dsecret = b'digest-secret'
    lnonce, rnonce = bytes(range(0x30, 0x40)), bytes(range(0x50, 0x60))
    ns = 0
    for version, table in ((2, V2), (3, V3)):
        for mt, (req, opt) in table.items():
            variants = [('min', req, (), None, False), ('full', req + opt, (), None, False)]
            if version == 2:
                hid = tuple(t for t in req + opt if t in MAY_HIDE)
                if hid:
                    variants.append(('hidden', req + opt + [36], hid, None, False))
            else:
                variants.append(('md5', req + opt + [59], (), 0, False))
                if mt in (1, 10):
                    variants.append(('sha1_ip', req + opt + [59], (), 1, True))
            for tag, types, hid, algo, over_ip in variants:
                ns += 1
                pad = b'\x5a\xa5' if hid else b''
                b = body(mt, types, hid, secret, pad, algo)
                if version == 2:
                    pkt = v2_header(0x0102, 0 if mt in (1, 2, 3, 4, 6, 20) else 0x0304, ns, ns + 1, 12 + len(b)) + b
                    lead = 0
                else:
                    pkt = v3_header(0x0a0b0c0d, ns, ns + 1, 12 + len(b)) + b
                    lead = 4 if over_ip else 0
                    if over_ip:
                        pkt = b'\x00' * 4 + pkt
                    if algo is not None:
                        # SCCRQ: the peer's nonce is not known yet; signed without nonces.
                        rn = b'' if mt == 1 else rnonce
                        ln = b'' if mt == 1 else lnonce
                        pkt = sign(pkt, lead, digest_key(0, dsecret), algo, ln, rn)
                types_s = ' '.join(str(t) for t in order(types))
                hid_s = ' '.join(str(t) for t in sorted(hid))
                name = f'v{version}_{NAMES[mt]}_{tag}'
                dig = -1 if algo is None else algo
                rn_s = '' if (algo is None or mt == 1) else hx(rnonce)
                ln_s = '' if (algo is None or mt == 1) else hx(lnonce)
                print(f'\t{{"{name}", {version}, {"true" if over_ip else "false"}, {mt}, "{types_s}", '
                      f'"{hid_s}", "{hx(pad)}", {dig}, "{ln_s}", "{rn_s}", {ns},\n\t "{hx(pkt)}"}},')
    print('};')
    print('inline constexpr const char *vector_secret = "%s";' % secret.decode())
    print('inline constexpr const char *vector_digest_secret = "%s";' % dsecret.decode())
    print('// NOLINTEND')


if __name__ == '__main__':
    import sys
    if len(sys.argv) == 3 and sys.argv[1] == '--corpus':
        write_corpus(sys.argv[2])  # gen_vectors.py --corpus shared/control/fuzz_corpus/control
    else:
        main()
