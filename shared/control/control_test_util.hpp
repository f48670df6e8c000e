// Helpers shared by the shared/control tests: hex decoding, the generated vectors and the
// canonical AVP values that gen_vectors.py also uses.
#pragma once

#include <cstdint>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "shared/control/message.hpp"

namespace l2tpx::ctl::test {

inline std::vector<uint8_t> from_hex(std::string_view hex) {
	std::vector<uint8_t> out;
	auto nib = [](char c) -> int {
		if (c >= '0' && c <= '9')
			return c - '0';
		if (c >= 'a' && c <= 'f')
			return c - 'a' + 10;
		if (c >= 'A' && c <= 'F')
			return c - 'A' + 10;
		return -1;
	};
	int hi = -1;
	for (char c : hex) {
		const int v = nib(c);
		if (v < 0)
			continue; // spaces and separators
		if (hi < 0) {
			hi = v;
		} else {
			out.push_back(static_cast<uint8_t>(hi << 4 | v));
			hi = -1;
		}
	}
	return out;
}

inline std::string to_hex(std::span<const uint8_t> b) {
	static const char *digits = "0123456789abcdef";
	std::string s;
	for (uint8_t x : b) {
		s += digits[x >> 4];
		s += digits[x & 15];
	}
	return s;
}

inline std::vector<uint16_t> parse_list(std::string_view s) {
	std::vector<uint16_t> out;
	std::istringstream in{std::string(s)};
	unsigned v;
	while (in >> v)
		out.push_back(static_cast<uint16_t>(v));
	return out;
}

struct challenge_vector {
	int response_type;
	const char *secret, *challenge, *response;
};
struct hidden_vector {
	uint16_t type;
	const char *secret, *random_vector, *value, *padding, *hidden;
};
struct digest_key_vector {
	int derivation; // hash used to derive the key: 0 MD5, 1 SHA-1
	const char *secret, *key;
};
struct avp_vector {
	uint16_t type;
	const char *value;
	bool m_bit;
};
struct message_vector {
	const char *name;
	int version;
	bool over_ip;
	uint16_t msg_type;
	const char *avps;   // attribute types, in wire order
	const char *hidden; // attribute types sent hidden
	const char *padding;
	int digest_algo;    // -1: no Message Digest
	const char *local_nonce, *remote_nonce;
	uint16_t ns;        // Nr is ns + 1
	const char *packet;
};

#include "shared/control/control_vectors.inc"

// Byte-string storage for canonical values (they must outlive the messages pointing at them).
inline const std::vector<uint8_t> &canon_bytes(avp_type t) {
	static const std::vector<uint8_t> host = from_hex("6c6e732e6578616d706c652e6e6574"); // lns.example.net
	static const std::vector<uint8_t> vendor = {'l', '2', 't', 'p', 'x'};
	static const std::vector<uint8_t> challenge = {'0', '1', '2', '3', '4', '5', '6', '7',
						       '8', '9', 'a', 'b', 'c', 'd', 'e', 'f'};
	static const std::vector<uint8_t> response = from_hex("101112131415161718191a1b1c1d1e1f");
	static const std::vector<uint8_t> called = {'5', '5', '5', '1', '0', '0', '0'};
	static const std::vector<uint8_t> calling = {'5', '5', '5', '2', '0', '0', '0'};
	static const std::vector<uint8_t> sub = {'7'};
	static const std::vector<uint8_t> lcp_init = from_hex("010405dc");
	static const std::vector<uint8_t> lcp_sent = from_hex("010405d4050611223344");
	static const std::vector<uint8_t> lcp_recv = from_hex("0304c023");
	static const std::vector<uint8_t> pa_name = {'u', 's', 'e', 'r', '@', 'r', 'e', 'a', 'l', 'm'};
	static const std::vector<uint8_t> pa_chal(16, 0xaa);
	static const std::vector<uint8_t> pa_resp(16, 0xbb);
	static const std::vector<uint8_t> rv = from_hex("a0a1a2a3a4a5a6a7a8a9aaabacadaeaf");
	static const std::vector<uint8_t> group = {'g', 'r', 'p', '1'};
	static const std::vector<uint8_t> ppp_cause = from_hex("0001c02101627965");
	static const std::vector<uint8_t> cookie = from_hex("c00c1e5adeadbeef");
	static const std::vector<uint8_t> end_id = {'p', 'w', '-', '1', '0', '0'};
	static const std::vector<uint8_t> lang = {'e', 'n'};
	static const std::vector<uint8_t> nonce = from_hex("303132333435363738393a3b3c3d3e3f");
	static const std::vector<uint8_t> recovery = from_hex("000000010002");
	static const std::vector<uint8_t> suggested = from_hex("000000050006");
	static const std::vector<uint8_t> fss = from_hex("000000070008");
	static const std::vector<uint8_t> error_msg = {'v', 'e', 'n', 'd', 'o', 'r', ' ', 'e', 'r', 'r', 'o', 'r'};
	static const std::vector<uint8_t> advisory = {'n', 'o', 'r', 'm', 'a', 'l'};
	static const std::vector<uint8_t> none;
	switch (t) {
	case avp_type::host_name: return host;
	case avp_type::vendor_name: return vendor;
	case avp_type::challenge: return challenge;
	case avp_type::challenge_response: return response;
	case avp_type::called_number: return called;
	case avp_type::calling_number: return calling;
	case avp_type::sub_address: return sub;
	case avp_type::initial_received_lcp_confreq: return lcp_init;
	case avp_type::last_sent_lcp_confreq: return lcp_sent;
	case avp_type::last_received_lcp_confreq: return lcp_recv;
	case avp_type::proxy_authen_name: return pa_name;
	case avp_type::proxy_authen_challenge: return pa_chal;
	case avp_type::proxy_authen_response: return pa_resp;
	case avp_type::random_vector: return rv;
	case avp_type::private_group_id: return group;
	case avp_type::ppp_disconnect_cause: return ppp_cause;
	case avp_type::assigned_cookie: return cookie;
	case avp_type::remote_end_id: return end_id;
	case avp_type::preferred_language: return lang;
	case avp_type::ctrl_msg_auth_nonce: return nonce;
	case avp_type::tunnel_recovery: return recovery;
	case avp_type::suggested_control_sequence: return suggested;
	case avp_type::failover_session_state: return fss;
	case avp_type::result_code: return error_msg;
	case avp_type::q931_cause_code: return advisory;
	default: return none;
	}
}

// The same values as CANON in gen_vectors.py.
inline void set_canonical(message &m, avp_type t) {
	const bytes b = canon_bytes(t);
	switch (t) {
	case avp_type::message_type: m.set_message_type(msg_type::hello); break;
	case avp_type::result_code: m.set_result_code({2, 6, true, b}); break;
	case avp_type::protocol_version: m.set_protocol_version(0x0100); break;
	case avp_type::framing_capabilities: m.set_framing_capabilities(3); break;
	case avp_type::bearer_capabilities: m.set_bearer_capabilities(3); break;
	case avp_type::tie_breaker: m.set_tie_breaker(0x0102030405060708ull); break;
	case avp_type::firmware_revision: m.set_firmware_revision(0x0690); break;
	case avp_type::assigned_tunnel_id: m.set_assigned_tunnel_id(0x1234); break;
	case avp_type::receive_window_size: m.set_receive_window_size(8); break;
	case avp_type::q931_cause_code: m.set_q931_cause_code({16, 0x11, b}); break;
	case avp_type::assigned_session_id: m.set_assigned_session_id(0x4321); break;
	case avp_type::call_serial_number: m.set_call_serial_number(0xdeadbeef); break;
	case avp_type::minimum_bps: m.set_minimum_bps(9600); break;
	case avp_type::maximum_bps: m.set_maximum_bps(100000000); break;
	case avp_type::bearer_type: m.set_bearer_type(2); break;
	case avp_type::framing_type: m.set_framing_type(1); break;
	case avp_type::tx_connect_speed: m.set_tx_connect_speed(10000000); break;
	case avp_type::physical_channel_id: m.set_physical_channel_id(42); break;
	case avp_type::proxy_authen_type: m.set_proxy_authen_type(2); break;
	case avp_type::proxy_authen_id: m.set_proxy_authen_id(7); break;
	case avp_type::call_errors: m.set_call_errors({1, 2, 3, 4, 5, 6}); break;
	case avp_type::accm: m.set_accm({0xffffffff, 0x000a0000}); break;
	case avp_type::rx_connect_speed: m.set_rx_connect_speed(20000000); break;
	case avp_type::sequencing_required: m.set_sequencing_required(true); break;
	case avp_type::message_digest: m.set_message_digest({0, {}}); break;
	case avp_type::router_id: m.set_router_id(0x0a000001); break;
	case avp_type::assigned_connection_id: m.set_assigned_connection_id(0x11223344); break;
	case avp_type::pw_capabilities: {
		u16_list_value l;
		l.push(5);
		l.push(4);
		l.push(7);
		m.set_pw_capabilities(l);
		break;
	}
	case avp_type::local_session_id: m.set_local_session_id(0x01020304); break;
	case avp_type::remote_session_id: m.set_remote_session_id(0x05060708); break;
	case avp_type::pseudowire_type: m.set_pseudowire_type(5); break;
	case avp_type::l2_specific_sublayer: m.set_l2_specific_sublayer(1); break;
	case avp_type::data_sequencing: m.set_data_sequencing(2); break;
	case avp_type::circuit_status: m.set_circuit_status(3); break;
	case avp_type::tx_connect_speed_v3: m.set_tx_connect_speed_v3(10000000000ull); break;
	case avp_type::rx_connect_speed_v3: m.set_rx_connect_speed_v3(1000000000ull); break;
	case avp_type::failover_capability: m.set_failover_capability({3, 5000}); break;
	case avp_type::host_name: m.set_host_name(b); break;
	case avp_type::vendor_name: m.set_vendor_name(b); break;
	case avp_type::challenge: m.set_challenge(b); break;
	case avp_type::challenge_response: m.set_challenge_response(b); break;
	case avp_type::called_number: m.set_called_number(b); break;
	case avp_type::calling_number: m.set_calling_number(b); break;
	case avp_type::sub_address: m.set_sub_address(b); break;
	case avp_type::initial_received_lcp_confreq: m.set_initial_received_lcp_confreq(b); break;
	case avp_type::last_sent_lcp_confreq: m.set_last_sent_lcp_confreq(b); break;
	case avp_type::last_received_lcp_confreq: m.set_last_received_lcp_confreq(b); break;
	case avp_type::proxy_authen_name: m.set_proxy_authen_name(b); break;
	case avp_type::proxy_authen_challenge: m.set_proxy_authen_challenge(b); break;
	case avp_type::proxy_authen_response: m.set_proxy_authen_response(b); break;
	case avp_type::random_vector: m.set_random_vector(b); break;
	case avp_type::private_group_id: m.set_private_group_id(b); break;
	case avp_type::ppp_disconnect_cause: m.set_ppp_disconnect_cause(b); break;
	case avp_type::assigned_cookie: m.set_assigned_cookie(b); break;
	case avp_type::remote_end_id: m.set_remote_end_id(b); break;
	case avp_type::preferred_language: m.set_preferred_language(b); break;
	case avp_type::ctrl_msg_auth_nonce: m.set_ctrl_msg_auth_nonce(b); break;
	case avp_type::tunnel_recovery: m.set_tunnel_recovery(b); break;
	case avp_type::suggested_control_sequence: m.set_suggested_control_sequence(b); break;
	case avp_type::failover_session_state: m.set_failover_session_state(b); break;
	}
}

} // namespace l2tpx::ctl::test
