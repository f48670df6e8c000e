// The protocol as data: every AVP this codec knows (RFC 2661 §4.4, RFC 3931 §5.4, RFC 3145,
// RFC 4951) and every control message type with the AVPs it must and may carry. These
// tables drive decode validation (lengths, hiding, unknown M-bit AVPs, missing mandatory
// AVPs) and the encoder (which AVPs a message carries, in which order, with which M bit).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <span>

namespace l2tpx::ctl {

// How an AVP value is laid out.
enum class avp_datatype : uint8_t {
	msg_type,        // 16-bit Message Type
	flag,            // no value: presence is the information (Sequencing Required)
	u16,             // 16-bit big-endian integer
	u32,             // 32-bit big-endian integer
	u64,             // 64-bit big-endian integer (Tie Breaker, v3 connect speeds)
	bytes,           // octet string (names, numbers, challenges, LCP frames ...)
	result_code,     // Result Code [, Error Code [, Error Message]]
	q931_cause,      // Cause Code, Cause Msg [, Advisory Msg]
	call_errors,     // reserved + six 32-bit counters
	accm,            // reserved + Send ACCM + Receive ACCM
	message_digest,  // Digest Type + 16 (MD5) or 20 (SHA-1) digest bytes
	u16_list,        // list of 16-bit values (Pseudowire Capabilities List)
	failover_cap,    // flags + Recovery Time
};

inline constexpr size_t avp_header_len = 6;
inline constexpr size_t avp_max_len = 1023;                               // 10-bit Length
inline constexpr size_t avp_max_value_len = avp_max_len - avp_header_len; // 1017
inline constexpr uint32_t vendor_ietf = 0;

// X(id, type, name, datatype, min_len, max_len, m_bit, may_hide, repeatable)
//   id         : C++ name (avp_type::id and the member of ctl::message)
//   min/max    : value length in bytes, AVP header excluded
//   m_bit      : M bit this codec sets when sending it (what the RFC prescribes)
//   may_hide   : the RFC allows the H bit on it; hidden otherwise is a decode error
//   repeatable : may appear more than once in one message (last one is kept)
#define L2TPX_CTL_AVPS(X)                                                                                  \
	X(message_type, 0, "Message Type", msg_type, 2, 2, true, false, false)                                  \
	X(result_code, 1, "Result Code", result_code, 2, avp_max_value_len, true, false, false)                 \
	X(protocol_version, 2, "Protocol Version", u16, 2, 2, true, false, false)                               \
	X(framing_capabilities, 3, "Framing Capabilities", u32, 4, 4, true, true, false)                        \
	X(bearer_capabilities, 4, "Bearer Capabilities", u32, 4, 4, true, true, false)                          \
	X(tie_breaker, 5, "Tie Breaker", u64, 8, 8, false, false, false)                                        \
	X(firmware_revision, 6, "Firmware Revision", u16, 2, 2, false, true, false)                             \
	X(host_name, 7, "Host Name", bytes, 1, avp_max_value_len, true, false, false)                           \
	X(vendor_name, 8, "Vendor Name", bytes, 0, avp_max_value_len, false, true, false)                       \
	X(assigned_tunnel_id, 9, "Assigned Tunnel ID", u16, 2, 2, true, true, false)                            \
	X(receive_window_size, 10, "Receive Window Size", u16, 2, 2, true, false, false)                        \
	X(challenge, 11, "Challenge", bytes, 1, avp_max_value_len, true, true, false)                           \
	X(q931_cause_code, 12, "Q.931 Cause Code", q931_cause, 3, avp_max_value_len, true, false, false)        \
	X(challenge_response, 13, "Challenge Response", bytes, 16, 16, true, true, false)                       \
	X(assigned_session_id, 14, "Assigned Session ID", u16, 2, 2, true, true, false)                         \
	X(call_serial_number, 15, "Call Serial Number", u32, 4, 4, true, false, false)                          \
	X(minimum_bps, 16, "Minimum BPS", u32, 4, 4, true, true, false)                                         \
	X(maximum_bps, 17, "Maximum BPS", u32, 4, 4, true, true, false)                                         \
	X(bearer_type, 18, "Bearer Type", u32, 4, 4, true, true, false)                                         \
	X(framing_type, 19, "Framing Type", u32, 4, 4, true, true, false)                                       \
	X(called_number, 21, "Called Number", bytes, 0, avp_max_value_len, true, true, false)                   \
	X(calling_number, 22, "Calling Number", bytes, 0, avp_max_value_len, true, true, false)                 \
	X(sub_address, 23, "Sub-Address", bytes, 0, avp_max_value_len, true, true, false)                       \
	X(tx_connect_speed, 24, "(Tx) Connect Speed", u32, 4, 4, true, true, false)                             \
	X(physical_channel_id, 25, "Physical Channel ID", u32, 4, 4, false, true, false)                        \
	X(initial_received_lcp_confreq, 26, "Initial Received LCP CONFREQ", bytes, 0, avp_max_value_len, false, \
	  true, false)                                                                                            \
	X(last_sent_lcp_confreq, 27, "Last Sent LCP CONFREQ", bytes, 0, avp_max_value_len, false, true, false)  \
	X(last_received_lcp_confreq, 28, "Last Received LCP CONFREQ", bytes, 0, avp_max_value_len, false, true,  \
	  false)                                                                                                  \
	X(proxy_authen_type, 29, "Proxy Authen Type", u16, 2, 2, false, true, false)                            \
	X(proxy_authen_name, 30, "Proxy Authen Name", bytes, 0, avp_max_value_len, false, true, false)          \
	X(proxy_authen_challenge, 31, "Proxy Authen Challenge", bytes, 0, avp_max_value_len, false, true, false) \
	X(proxy_authen_id, 32, "Proxy Authen ID", u16, 2, 2, false, true, false)                                \
	X(proxy_authen_response, 33, "Proxy Authen Response", bytes, 0, avp_max_value_len, false, true, false)  \
	X(call_errors, 34, "Call Errors", call_errors, 26, 26, true, true, false)                               \
	X(accm, 35, "ACCM", accm, 10, 10, true, true, false)                                                    \
	X(random_vector, 36, "Random Vector", bytes, 1, avp_max_value_len, true, false, true)                   \
	X(private_group_id, 37, "Private Group ID", bytes, 0, avp_max_value_len, false, true, false)            \
	X(rx_connect_speed, 38, "Rx Connect Speed", u32, 4, 4, false, true, false)                              \
	X(sequencing_required, 39, "Sequencing Required", flag, 0, 0, true, false, false)                       \
	X(ppp_disconnect_cause, 46, "PPP Disconnect Cause Code", bytes, 5, avp_max_value_len, false, false, false) \
	X(message_digest, 59, "Message Digest", message_digest, 17, 21, true, false, false)                     \
	X(router_id, 60, "Router ID", u32, 4, 4, true, true, false)                                             \
	X(assigned_connection_id, 61, "Assigned Control Connection ID", u32, 4, 4, true, true, false)           \
	X(pw_capabilities, 62, "Pseudowire Capabilities List", u16_list, 2, avp_max_value_len, true, true, false) \
	X(local_session_id, 63, "Local Session ID", u32, 4, 4, true, true, false)                               \
	X(remote_session_id, 64, "Remote Session ID", u32, 4, 4, true, true, false)                             \
	X(assigned_cookie, 65, "Assigned Cookie", bytes, 4, 8, true, true, false)                               \
	X(remote_end_id, 66, "Remote End ID", bytes, 1, avp_max_value_len, true, true, false)                   \
	X(pseudowire_type, 68, "Pseudowire Type", u16, 2, 2, true, true, false)                                 \
	X(l2_specific_sublayer, 69, "L2-Specific Sublayer", u16, 2, 2, true, true, false)                       \
	X(data_sequencing, 70, "Data Sequencing", u16, 2, 2, true, true, false)                                 \
	X(circuit_status, 71, "Circuit Status", u16, 2, 2, true, true, false)                                   \
	X(preferred_language, 72, "Preferred Language", bytes, 1, avp_max_value_len, false, false, false)       \
	X(ctrl_msg_auth_nonce, 73, "Control Message Authentication Nonce", bytes, 1, avp_max_value_len, true,   \
	  false, false)                                                                                           \
	X(tx_connect_speed_v3, 74, "Tx Connect Speed", u64, 8, 8, false, true, false)                           \
	X(rx_connect_speed_v3, 75, "Rx Connect Speed", u64, 8, 8, false, true, false)                           \
	X(failover_capability, 76, "Failover Capability", failover_cap, 6, 6, false, false, false)              \
	X(tunnel_recovery, 77, "Tunnel Recovery", bytes, 1, avp_max_value_len, true, false, false)              \
	X(suggested_control_sequence, 78, "Suggested Control Sequence", bytes, 1, avp_max_value_len, true,      \
	  false, false)                                                                                           \
	X(failover_session_state, 79, "Failover Session State", bytes, 1, avp_max_value_len, true, false, true)

// IETF attribute types (vendor 0) this codec knows.
enum class avp_type : uint16_t {
#define L2TPX_CTL_AVP_ENUM(id, num, name, dt, mn, mx, m, h, r) id = num,
	L2TPX_CTL_AVPS(L2TPX_CTL_AVP_ENUM)
#undef L2TPX_CTL_AVP_ENUM
};

// Attribute types fit in a 128-bit set (all known types are below 128).
inline constexpr size_t avp_set_bits = 128;

// A set of AVP types, usable in constant expressions.
struct avp_set {
	uint64_t w[2] = {0, 0};

	constexpr avp_set() = default;
	constexpr avp_set(std::initializer_list<avp_type> types) {
		for (avp_type t : types)
			set(t);
	}
	constexpr void set(avp_type t) noexcept { set(static_cast<uint16_t>(t)); }
	constexpr void set(uint16_t t) noexcept {
		if (t < avp_set_bits)
			w[t >> 6] |= uint64_t{1} << (t & 63);
	}
	constexpr void reset(avp_type t) noexcept {
		const auto v = static_cast<uint16_t>(t);
		w[v >> 6] &= ~(uint64_t{1} << (v & 63));
	}
	constexpr bool test(avp_type t) const noexcept { return test(static_cast<uint16_t>(t)); }
	constexpr bool test(uint16_t t) const noexcept {
		return t < avp_set_bits && ((w[t >> 6] >> (t & 63)) & 1u);
	}
	constexpr avp_set operator|(const avp_set &o) const noexcept {
		avp_set r;
		r.w[0] = w[0] | o.w[0];
		r.w[1] = w[1] | o.w[1];
		return r;
	}
	constexpr avp_set operator&(const avp_set &o) const noexcept {
		avp_set r;
		r.w[0] = w[0] & o.w[0];
		r.w[1] = w[1] & o.w[1];
		return r;
	}
	constexpr avp_set without(const avp_set &o) const noexcept {
		avp_set r;
		r.w[0] = w[0] & ~o.w[0];
		r.w[1] = w[1] & ~o.w[1];
		return r;
	}
	constexpr bool empty() const noexcept { return (w[0] | w[1]) == 0; }
	constexpr bool operator==(const avp_set &) const = default;
};

// ---- message types --------------------------------------------------------------------

// X(id, value, short name, long name)
#define L2TPX_CTL_MESSAGES(X)                                                                    \
	X(sccrq, 1, "SCCRQ", "Start-Control-Connection-Request")                                    \
	X(sccrp, 2, "SCCRP", "Start-Control-Connection-Reply")                                      \
	X(scccn, 3, "SCCCN", "Start-Control-Connection-Connected")                                  \
	X(stopccn, 4, "StopCCN", "Stop-Control-Connection-Notification")                            \
	X(hello, 6, "HELLO", "Hello")                                                               \
	X(ocrq, 7, "OCRQ", "Outgoing-Call-Request")                                                 \
	X(ocrp, 8, "OCRP", "Outgoing-Call-Reply")                                                   \
	X(occn, 9, "OCCN", "Outgoing-Call-Connected")                                               \
	X(icrq, 10, "ICRQ", "Incoming-Call-Request")                                                \
	X(icrp, 11, "ICRP", "Incoming-Call-Reply")                                                  \
	X(iccn, 12, "ICCN", "Incoming-Call-Connected")                                              \
	X(cdn, 14, "CDN", "Call-Disconnect-Notify")                                                 \
	X(wen, 15, "WEN", "WAN-Error-Notify")                                                       \
	X(sli, 16, "SLI", "Set-Link-Info")                                                          \
	X(ack, 20, "ACK", "Explicit-Acknowledgement")                                               \
	X(fsq, 21, "FSQ", "Failover-Session-Query")                                                 \
	X(fsr, 22, "FSR", "Failover-Session-Response")

enum class msg_type : uint16_t {
	zlb = 0, // no Message Type: a Zero-Length Body acknowledgement (not in the table)
#define L2TPX_CTL_MSG_ENUM(id, v, s, l) id = v,
	L2TPX_CTL_MESSAGES(L2TPX_CTL_MSG_ENUM)
#undef L2TPX_CTL_MSG_ENUM
};

// AVPs allowed in every message: the Random Vector precedes hidden AVPs, the v3 Message
// Digest authenticates any message.
inline constexpr avp_set common_v2_avps{avp_type::random_vector};
inline constexpr avp_set common_v3_avps{avp_type::random_vector, avp_type::message_digest};

// One row of the message table: what each protocol version requires and allows. "optional"
// excludes the required set and the common set.
struct message_info {
	msg_type type;
	const char *short_name;
	const char *name;
	avp_set v2_required;
	avp_set v2_optional;
	avp_set v3_required;
	avp_set v3_optional;

	const avp_set &required(uint8_t version) const noexcept { return version == 3 ? v3_required : v2_required; }
	avp_set allowed(uint8_t version) const noexcept {
		return version == 3 ? (v3_required | v3_optional | common_v3_avps)
				    : (v2_required | v2_optional | common_v2_avps);
	}
};

namespace detail {
using A = avp_type;
// RFC 2661 §6 (v2) and RFC 3931 §6 (v3), RFC 4951 §3 (FSQ/FSR).
inline constexpr message_info message_rows[] = {
	{msg_type::sccrq, "SCCRQ", "Start-Control-Connection-Request",
	 {A::message_type, A::protocol_version, A::host_name, A::framing_capabilities, A::assigned_tunnel_id},
	 {A::bearer_capabilities, A::receive_window_size, A::challenge, A::tie_breaker, A::firmware_revision,
	  A::vendor_name, A::failover_capability},
	 {A::message_type, A::host_name, A::router_id, A::assigned_connection_id, A::pw_capabilities},
	 {A::ctrl_msg_auth_nonce, A::tie_breaker, A::firmware_revision, A::vendor_name, A::receive_window_size,
	  A::preferred_language, A::failover_capability}},
	{msg_type::sccrp, "SCCRP", "Start-Control-Connection-Reply",
	 {A::message_type, A::protocol_version, A::framing_capabilities, A::host_name, A::assigned_tunnel_id},
	 {A::bearer_capabilities, A::firmware_revision, A::vendor_name, A::receive_window_size, A::challenge,
	  A::challenge_response, A::failover_capability},
	 {A::message_type, A::host_name, A::router_id, A::assigned_connection_id, A::pw_capabilities},
	 {A::ctrl_msg_auth_nonce, A::firmware_revision, A::vendor_name, A::receive_window_size,
	  A::preferred_language, A::failover_capability}},
	{msg_type::scccn, "SCCCN", "Start-Control-Connection-Connected",
	 {A::message_type}, {A::challenge_response},
	 {A::message_type}, {}},
	{msg_type::stopccn, "StopCCN", "Stop-Control-Connection-Notification",
	 {A::message_type, A::assigned_tunnel_id, A::result_code}, {},
	 {A::message_type, A::result_code}, {A::assigned_connection_id}},
	{msg_type::hello, "HELLO", "Hello",
	 {A::message_type}, {},
	 {A::message_type}, {}},
	{msg_type::ocrq, "OCRQ", "Outgoing-Call-Request",
	 {A::message_type, A::assigned_session_id, A::call_serial_number, A::minimum_bps, A::maximum_bps,
	  A::bearer_type, A::framing_type, A::called_number},
	 {A::sub_address},
	 {A::message_type, A::local_session_id, A::remote_session_id, A::call_serial_number, A::pseudowire_type,
	  A::remote_end_id, A::circuit_status},
	 {A::assigned_cookie, A::tx_connect_speed_v3, A::rx_connect_speed_v3, A::l2_specific_sublayer,
	  A::data_sequencing, A::tie_breaker}},
	{msg_type::ocrp, "OCRP", "Outgoing-Call-Reply",
	 {A::message_type, A::assigned_session_id}, {A::physical_channel_id},
	 {A::message_type, A::local_session_id, A::remote_session_id, A::circuit_status},
	 {A::assigned_cookie, A::l2_specific_sublayer, A::tx_connect_speed_v3, A::rx_connect_speed_v3,
	  A::data_sequencing, A::physical_channel_id}},
	{msg_type::occn, "OCCN", "Outgoing-Call-Connected",
	 {A::message_type, A::tx_connect_speed, A::framing_type}, {A::rx_connect_speed, A::sequencing_required},
	 {A::message_type, A::local_session_id, A::remote_session_id},
	 {A::l2_specific_sublayer, A::tx_connect_speed_v3, A::rx_connect_speed_v3, A::data_sequencing}},
	{msg_type::icrq, "ICRQ", "Incoming-Call-Request",
	 {A::message_type, A::assigned_session_id, A::call_serial_number},
	 {A::bearer_type, A::physical_channel_id, A::calling_number, A::called_number, A::sub_address},
	 {A::message_type, A::local_session_id, A::remote_session_id, A::call_serial_number, A::pseudowire_type,
	  A::remote_end_id, A::circuit_status},
	 {A::assigned_cookie, A::tie_breaker, A::l2_specific_sublayer, A::data_sequencing, A::tx_connect_speed_v3,
	  A::rx_connect_speed_v3, A::physical_channel_id, A::calling_number, A::called_number, A::sub_address}},
	{msg_type::icrp, "ICRP", "Incoming-Call-Reply",
	 {A::message_type, A::assigned_session_id}, {},
	 {A::message_type, A::local_session_id, A::remote_session_id, A::circuit_status},
	 {A::assigned_cookie, A::l2_specific_sublayer, A::data_sequencing, A::tx_connect_speed_v3,
	  A::rx_connect_speed_v3, A::physical_channel_id}},
	{msg_type::iccn, "ICCN", "Incoming-Call-Connected",
	 {A::message_type, A::tx_connect_speed, A::framing_type},
	 {A::initial_received_lcp_confreq, A::last_sent_lcp_confreq, A::last_received_lcp_confreq,
	  A::proxy_authen_type, A::proxy_authen_name, A::proxy_authen_challenge, A::proxy_authen_id,
	  A::proxy_authen_response, A::private_group_id, A::rx_connect_speed, A::sequencing_required},
	 {A::message_type, A::local_session_id, A::remote_session_id},
	 {A::l2_specific_sublayer, A::data_sequencing, A::tx_connect_speed_v3, A::rx_connect_speed_v3}},
	{msg_type::cdn, "CDN", "Call-Disconnect-Notify",
	 {A::message_type, A::result_code, A::assigned_session_id}, {A::q931_cause_code, A::ppp_disconnect_cause},
	 {A::message_type, A::result_code, A::local_session_id, A::remote_session_id}, {A::q931_cause_code}},
	{msg_type::wen, "WEN", "WAN-Error-Notify",
	 {A::message_type, A::call_errors}, {},
	 {A::message_type, A::local_session_id, A::remote_session_id, A::call_errors}, {}},
	{msg_type::sli, "SLI", "Set-Link-Info",
	 {A::message_type, A::accm}, {},
	 {A::message_type, A::local_session_id, A::remote_session_id}, {A::circuit_status, A::accm}},
	{msg_type::ack, "ACK", "Explicit-Acknowledgement",
	 {A::message_type}, {},
	 {A::message_type}, {}},
	{msg_type::fsq, "FSQ", "Failover-Session-Query",
	 {A::message_type, A::failover_session_state}, {},
	 {A::message_type, A::failover_session_state}, {}},
	{msg_type::fsr, "FSR", "Failover-Session-Response",
	 {A::message_type, A::failover_session_state}, {},
	 {A::message_type, A::failover_session_state}, {}},
};

inline constexpr size_t max_msg_type = 32;

consteval std::array<int8_t, max_msg_type> make_msg_index() {
	std::array<int8_t, max_msg_type> idx{};
	for (auto &i : idx)
		i = -1;
	for (size_t i = 0; i < std::size(message_rows); ++i)
		idx[static_cast<uint16_t>(message_rows[i].type)] = static_cast<int8_t>(i);
	return idx;
}
inline constexpr std::array<int8_t, max_msg_type> msg_index = make_msg_index();
} // namespace detail

inline constexpr std::span<const message_info> message_table{detail::message_rows};

// The table row for a Message Type value, or nullptr when unknown (0 = ZLB included).
constexpr const message_info *find_message(uint16_t type) noexcept {
	if (type >= detail::max_msg_type || detail::msg_index[type] < 0)
		return nullptr;
	return &detail::message_rows[detail::msg_index[type]];
}
constexpr const message_info &message_info_of(msg_type t) noexcept { return *find_message(static_cast<uint16_t>(t)); }

// Short name of a message type ("SCCRQ"), "ZLB" for 0, "unknown" otherwise.
constexpr const char *to_string(msg_type t) noexcept {
	if (t == msg_type::zlb)
		return "ZLB";
	const message_info *i = find_message(static_cast<uint16_t>(t));
	return i ? i->short_name : "unknown";
}

// True for the messages that belong to a session (call management and link status): an
// error in one of them clears the session (CDN), in any other the tunnel (StopCCN).
constexpr bool is_session_message(msg_type t) noexcept {
	switch (t) {
	case msg_type::ocrq: case msg_type::ocrp: case msg_type::occn: case msg_type::icrq: case msg_type::icrp:
	case msg_type::iccn: case msg_type::cdn: case msg_type::wen: case msg_type::sli:
		return true;
	default:
		return false;
	}
}

// ---- the AVP table ---------------------------------------------------------------------

// One row of the AVP table.
struct avp_info {
	uint16_t type;
	uint32_t vendor;
	const char *name;
	avp_datatype datatype;
	uint16_t min_len;         // value bytes, header excluded
	uint16_t max_len;
	bool m_bit;               // M bit we send
	bool may_hide;            // H bit allowed
	bool repeatable;          // may appear more than once per message
	uint32_t mandatory_in_v2; // bit i: required in L2TPv2 message type i (from the message table)
	uint32_t mandatory_in_v3; // bit i: required in L2TPv3 message type i

	constexpr uint32_t mandatory_in(uint8_t version) const noexcept {
		return version == 3 ? mandatory_in_v3 : mandatory_in_v2;
	}
};

namespace detail {
consteval auto make_avp_table() {
	std::array<avp_info, 0
#define L2TPX_CTL_AVP_COUNT(id, num, name, dt, mn, mx, m, h, r) +1
		       L2TPX_CTL_AVPS(L2TPX_CTL_AVP_COUNT)
#undef L2TPX_CTL_AVP_COUNT
		       >
		rows{{
#define L2TPX_CTL_AVP_ROW(id, num, name, dt, mn, mx, m, h, r)                                               \
	avp_info{num, vendor_ietf, name, avp_datatype::dt, mn, mx, m, h, r, 0, 0},
			L2TPX_CTL_AVPS(L2TPX_CTL_AVP_ROW)
#undef L2TPX_CTL_AVP_ROW
		}};
	for (avp_info &a : rows)
		for (const message_info &m : message_rows) {
			const uint32_t bit = uint32_t{1} << static_cast<uint16_t>(m.type);
			if (m.v2_required.test(a.type))
				a.mandatory_in_v2 |= bit;
			if (m.v3_required.test(a.type))
				a.mandatory_in_v3 |= bit;
		}
	return rows;
}
} // namespace detail

// Every known AVP, by attribute type; "mandatory in which messages" derived from the
// message table so it has a single source.
inline constexpr auto avp_table = detail::make_avp_table();
inline constexpr size_t avp_table_size = avp_table.size();

namespace detail {
consteval std::array<int8_t, avp_set_bits> make_avp_index() {
	std::array<int8_t, avp_set_bits> idx{};
	for (auto &i : idx)
		i = -1;
	for (size_t i = 0; i < avp_table_size; ++i)
		idx[avp_table[i].type] = static_cast<int8_t>(i);
	return idx;
}
inline constexpr std::array<int8_t, avp_set_bits> avp_index = make_avp_index();
} // namespace detail

// The table row for (vendor, type), or nullptr when this codec does not know the AVP.
constexpr const avp_info *find_avp(uint32_t vendor, uint16_t type) noexcept {
	if (vendor != vendor_ietf || type >= avp_set_bits || detail::avp_index[type] < 0)
		return nullptr;
	return &avp_table[static_cast<size_t>(detail::avp_index[type])];
}
constexpr const avp_info &avp_info_of(avp_type t) noexcept { return *find_avp(vendor_ietf, static_cast<uint16_t>(t)); }

// Name of an IETF AVP type ("Host Name"), "unknown" when not in the table.
constexpr const char *avp_name(uint16_t type) noexcept {
	const avp_info *i = find_avp(vendor_ietf, type);
	return i ? i->name : "unknown";
}

// Bit i set when the AVP must be present in message type i for this version.
constexpr uint32_t mandatory_in(avp_type t, uint8_t version) noexcept {
	return avp_info_of(t).mandatory_in(version);
}

// Every AVP a message table names is in the AVP table, and every message requires Message
// Type: checked at compile time.
namespace detail {
consteval bool message_table_consistent() {
	for (const message_info &m : message_rows) {
		for (const avp_set *s : {&m.v2_required, &m.v2_optional, &m.v3_required, &m.v3_optional})
			for (uint16_t t = 0; t < avp_set_bits; ++t)
				if (s->test(t) && avp_index[t] < 0)
					return false;
		if (!m.v2_required.test(A::message_type) || !m.v3_required.test(A::message_type))
			return false;
		if (!(m.v2_required & m.v2_optional).empty() || !(m.v3_required & m.v3_optional).empty())
			return false;
	}
	return true;
}
static_assert(message_table_consistent());
static_assert(avp_table_size < 127);
} // namespace detail

} // namespace l2tpx::ctl
