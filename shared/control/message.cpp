#include "shared/control/message.hpp"

#include <cstring>

#include "shared/base/byteorder.hpp"
#include "shared/control/avp.hpp"
#include "shared/control/hidden.hpp"
#include "shared/l2tp/l2tp.hpp"

namespace l2tpx::ctl {

namespace {

using void_result = result<void, error>;

// ---- value decoders: the value length is already within the table's min/max -----------

void_result decode_as(bytes v, msg_type &out) noexcept {
	out = static_cast<msg_type>(load_be16(v.data()));
	return {};
}
void_result decode_as(bytes, bool &out) noexcept {
	out = true;
	return {};
}
void_result decode_as(bytes v, uint16_t &out) noexcept {
	out = load_be16(v.data());
	return {};
}
void_result decode_as(bytes v, uint32_t &out) noexcept {
	out = load_be32(v.data());
	return {};
}
void_result decode_as(bytes v, uint64_t &out) noexcept {
	out = load_be64(v.data());
	return {};
}
void_result decode_as(bytes v, bytes &out) noexcept {
	out = v;
	return {};
}
void_result decode_as(bytes v, result_code_value &out) noexcept {
	// Result Code (2) [Error Code (2) [Error Message]]: 3 bytes is malformed.
	if (v.size() == 3)
		return unexpected(error::avp_bad_length);
	out.result = load_be16(v.data());
	out.has_error = v.size() >= 4;
	out.error = out.has_error ? load_be16(v.data() + 2) : 0;
	out.message = v.size() > 4 ? v.subspan(4) : bytes{};
	return {};
}
void_result decode_as(bytes v, q931_value &out) noexcept {
	out.cause = load_be16(v.data());
	out.cause_msg = v[2];
	out.advisory = v.subspan(3);
	return {};
}
void_result decode_as(bytes v, call_errors_value &out) noexcept {
	const uint8_t *p = v.data() + 2; // 2 reserved bytes
	out.crc_errors = load_be32(p);
	out.framing_errors = load_be32(p + 4);
	out.hardware_overruns = load_be32(p + 8);
	out.buffer_overruns = load_be32(p + 12);
	out.timeout_errors = load_be32(p + 16);
	out.alignment_errors = load_be32(p + 20);
	return {};
}
void_result decode_as(bytes v, accm_value &out) noexcept {
	out.send_accm = load_be32(v.data() + 2); // 2 reserved bytes
	out.receive_accm = load_be32(v.data() + 6);
	return {};
}
void_result decode_as(bytes v, message_digest_value &out) noexcept {
	out.digest_type = v[0];
	if (out.digest_type > static_cast<uint8_t>(digest_algo::hmac_sha1))
		return unexpected(error::avp_bad_value);
	if (v.size() != 1 + digest_len(static_cast<digest_algo>(out.digest_type)))
		return unexpected(error::avp_bad_length);
	out.digest = v.subspan(1);
	return {};
}
void_result decode_as(bytes v, u16_list_value &out) noexcept {
	if (v.size() % 2 != 0)
		return unexpected(error::avp_bad_length);
	out.count = 0;
	for (size_t i = 0; i < v.size(); i += 2)
		if (!out.push(load_be16(v.data() + i)))
			return unexpected(error::avp_list_too_long);
	return {};
}
void_result decode_as(bytes v, failover_cap_value &out) noexcept {
	out.flags = load_be16(v.data());
	out.recovery_time = load_be32(v.data() + 2);
	return {};
}

void_result decode_value(avp_type t, bytes v, message &m) noexcept {
	switch (t) {
#define L2TPX_CTL_DECODE_CASE(id, num, name, dt, mn, mx, mb, h, r)                                       \
	case avp_type::id:                                                                               \
		return decode_as(v, m.id);
		L2TPX_CTL_AVPS(L2TPX_CTL_DECODE_CASE)
#undef L2TPX_CTL_DECODE_CASE
	}
	return {};
}

// Type-specific rules beyond the table's min/max.
void_result check_value(avp_type t, bytes v) noexcept {
	if (t == avp_type::assigned_cookie && v.size() != 4 && v.size() != 8)
		return unexpected(error::avp_bad_length); // RFC 3931 §5.4.4: 4 or 8 bytes
	return {};
}

// ---- value encoders: write into out (avp_max_value_len bytes), return the length -------

using size_result = result<size_t, error>;

size_result encode_as(msg_type v, std::span<uint8_t> out) noexcept {
	store_be16(out.data(), static_cast<uint16_t>(v));
	return size_t{2};
}
size_result encode_as(bool, std::span<uint8_t>) noexcept { return size_t{0}; }
size_result encode_as(uint16_t v, std::span<uint8_t> out) noexcept {
	store_be16(out.data(), v);
	return size_t{2};
}
size_result encode_as(uint32_t v, std::span<uint8_t> out) noexcept {
	store_be32(out.data(), v);
	return size_t{4};
}
size_result encode_as(uint64_t v, std::span<uint8_t> out) noexcept {
	store_be64(out.data(), v);
	return size_t{8};
}
size_result encode_as(bytes v, std::span<uint8_t> out) noexcept {
	if (v.size() > out.size())
		return unexpected(error::value_too_long);
	if (!v.empty())
		std::memcpy(out.data(), v.data(), v.size());
	return v.size();
}
size_result encode_as(const result_code_value &v, std::span<uint8_t> out) noexcept {
	store_be16(out.data(), v.result);
	if (!v.has_error && v.message.empty())
		return size_t{2};
	if (4 + v.message.size() > out.size())
		return unexpected(error::value_too_long);
	store_be16(out.data() + 2, v.error);
	if (!v.message.empty())
		std::memcpy(out.data() + 4, v.message.data(), v.message.size());
	return 4 + v.message.size();
}
size_result encode_as(const q931_value &v, std::span<uint8_t> out) noexcept {
	if (3 + v.advisory.size() > out.size())
		return unexpected(error::value_too_long);
	store_be16(out.data(), v.cause);
	out[2] = v.cause_msg;
	if (!v.advisory.empty())
		std::memcpy(out.data() + 3, v.advisory.data(), v.advisory.size());
	return 3 + v.advisory.size();
}
size_result encode_as(const call_errors_value &v, std::span<uint8_t> out) noexcept {
	uint8_t *p = out.data();
	store_be16(p, 0);
	store_be32(p + 2, v.crc_errors);
	store_be32(p + 6, v.framing_errors);
	store_be32(p + 10, v.hardware_overruns);
	store_be32(p + 14, v.buffer_overruns);
	store_be32(p + 18, v.timeout_errors);
	store_be32(p + 22, v.alignment_errors);
	return size_t{26};
}
size_result encode_as(const accm_value &v, std::span<uint8_t> out) noexcept {
	store_be16(out.data(), 0);
	store_be32(out.data() + 2, v.send_accm);
	store_be32(out.data() + 6, v.receive_accm);
	return size_t{10};
}
size_result encode_as(const message_digest_value &v, std::span<uint8_t> out) noexcept {
	if (v.digest_type > static_cast<uint8_t>(digest_algo::hmac_sha1))
		return unexpected(error::avp_bad_value);
	const size_t n = digest_len(static_cast<digest_algo>(v.digest_type));
	out[0] = v.digest_type;
	std::memset(out.data() + 1, 0, n); // filled by sign_message()
	return 1 + n;
}
size_result encode_as(const u16_list_value &v, std::span<uint8_t> out) noexcept {
	for (size_t i = 0; i < v.count; ++i)
		store_be16(out.data() + 2 * i, v.items[i]);
	return size_t{2} * v.count;
}
size_result encode_as(const failover_cap_value &v, std::span<uint8_t> out) noexcept {
	store_be16(out.data(), v.flags);
	store_be32(out.data() + 2, v.recovery_time);
	return size_t{6};
}

size_result encode_value(avp_type t, const message &m, std::span<uint8_t> out) noexcept {
	switch (t) {
#define L2TPX_CTL_ENCODE_CASE(id, num, name, dt, mn, mx, mb, h, r)                                       \
	case avp_type::id:                                                                               \
		return encode_as(m.id, out);
		L2TPX_CTL_AVPS(L2TPX_CTL_ENCODE_CASE)
#undef L2TPX_CTL_ENCODE_CASE
	}
	return unexpected(error::avp_bad_value);
}

// AVPs sent before all others, in this order: Message Type must be first (RFC 2661 §4.4.1),
// Message Digest right after it (RFC 3931 §5.4.1), Random Vector before any hidden AVP.
constexpr avp_type leading_avps[] = {avp_type::message_type, avp_type::message_digest, avp_type::random_vector,
				     avp_type::ctrl_msg_auth_nonce};

decode_error fail(error e, uint16_t type = 0, uint32_t vendor = 0, size_t offset = 0) noexcept {
	return decode_error{e, type, vendor, static_cast<uint16_t>(offset)};
}

} // namespace

result<size_t, error> encode_avp_value(avp_type t, const message &m, std::span<uint8_t> out) noexcept {
	const avp_info *ai = find_avp(vendor_ietf, static_cast<uint16_t>(t));
	if (ai == nullptr)
		return unexpected(error::avp_bad_value);
	uint8_t value[avp_max_value_len];
	auto n = encode_value(t, m, value);
	if (!n)
		return n;
	if (*n < ai->min_len || *n > ai->max_len || !check_value(t, {value, *n}))
		return unexpected(error::avp_bad_value);
	if (out.size() < *n)
		return unexpected(error::buffer_too_small);
	if (*n != 0)
		std::memcpy(out.data(), value, *n);
	return n;
}

result<void, error> decode_avp_value(avp_type t, bytes value, message &m) noexcept {
	const avp_info *ai = find_avp(vendor_ietf, static_cast<uint16_t>(t));
	if (ai == nullptr)
		return unexpected(error::avp_bad_value);
	if (value.size() < ai->min_len || value.size() > ai->max_len)
		return unexpected(error::avp_bad_length);
	if (auto r = check_value(t, value); !r)
		return r;
	if (auto r = decode_value(t, value, m); !r)
		return r;
	m.present.set(t);
	return {};
}

result<void, decode_error> decode_body(bytes body, const decode_options &opt, message &out) noexcept {
	out = message{};
	out.body = body;
	if (opt.version != 2 && opt.version != 3)
		return unexpected(fail(error::bad_version));
	if (body.empty())
		return unexpected(fail(error::empty_message));

	avp_reader reader(body);
	const message_info *info = nullptr;
	bytes random_vector;
	size_t scratch_used = 0;
	bool first = true;
	while (!reader.done()) {
		const size_t off = reader.offset();
		auto a = reader.next();
		if (!a)
			return unexpected(fail(a.error(), 0, 0, off));
		if (first && (a->vendor != vendor_ietf || a->type != static_cast<uint16_t>(avp_type::message_type)))
			return unexpected(fail(error::message_type_not_first, a->type, a->vendor, off));

		const avp_info *ai = find_avp(a->vendor, a->type);
		if (ai == nullptr) {
			// RFC 2661 §4.1: unknown with M=1 tears the tunnel (session) down, else ignored.
			if (a->mandatory)
				return unexpected(fail(error::unknown_mandatory_avp, a->type, a->vendor, off));
			continue;
		}
		const auto t = static_cast<avp_type>(a->type);
		bytes value = a->value;
		if (a->hidden) {
			if (!ai->may_hide)
				return unexpected(fail(error::avp_hidden_not_allowed, a->type, a->vendor, off));
			if (opt.secret.empty())
				return unexpected(fail(error::hidden_without_secret, a->type, a->vendor, off));
			if (random_vector.empty())
				return unexpected(fail(error::hidden_without_random_vector, a->type, a->vendor, off));
			auto plain = unhide_value(a->type, opt.secret, random_vector, value,
						  opt.scratch.subspan(std::min(scratch_used, opt.scratch.size())));
			if (!plain)
				return unexpected(fail(plain.error(), a->type, a->vendor, off));
			scratch_used += value.size();
			value = *plain;
			out.hidden.set(t);
		}
		if (out.present.test(t) && !ai->repeatable)
			return unexpected(fail(error::avp_duplicate, a->type, a->vendor, off));
		if (auto r = decode_avp_value(t, value, out); !r)
			return unexpected(fail(r.error(), a->type, a->vendor, off));
		if (t == avp_type::random_vector)
			random_vector = value;
		if (first) {
			first = false;
			info = find_message(static_cast<uint16_t>(out.message_type));
			if (info == nullptr)
				return unexpected(fail(a->mandatory ? error::unknown_message_type_mandatory
								   : error::unknown_message_type,
						       a->type, a->vendor, off));
		}
	}
	if (info == nullptr) // unreachable: a non-empty body fails on its first AVP or sets info
		return unexpected(fail(error::empty_message));
	const avp_set missing = info->required(opt.version).without(out.present);
	if (!missing.empty())
		for (uint16_t t = 0; t < avp_set_bits; ++t)
			if (missing.test(t))
				return unexpected(fail(error::missing_mandatory_avp, t));
	return {};
}

result<size_t, error> encode_body(const message &m, const encode_options &opt, std::span<uint8_t> out) noexcept {
	if (opt.version != 2 && opt.version != 3)
		return unexpected(error::bad_version);
	const message_info *info = find_message(static_cast<uint16_t>(m.message_type));
	if (info == nullptr)
		return unexpected(error::unknown_message_type);
	avp_set send = m.present;
	send.set(avp_type::message_type);
	if (!info->required(opt.version).without(send).empty())
		return unexpected(error::missing_mandatory_avp);
	if (!send.without(info->allowed(opt.version)).empty())
		return unexpected(error::avp_not_allowed);
	const avp_set hide = m.hidden & send;
	if (!hide.empty()) {
		for (uint16_t t = 0; t < avp_set_bits; ++t)
			if (hide.test(t) && !find_avp(vendor_ietf, t)->may_hide)
				return unexpected(error::avp_hidden_not_allowed);
		if (opt.secret.empty())
			return unexpected(error::hidden_without_secret);
		if (!send.test(avp_type::random_vector) || m.random_vector.empty())
			return unexpected(error::hidden_without_random_vector);
	}

	avp_writer w(out);
	uint8_t value[avp_max_value_len];
	uint8_t hidden_value[avp_max_value_len];
	auto emit = [&](avp_type t) noexcept -> void_result {
		const avp_info &ai = avp_info_of(t);
		auto n = encode_value(t, m, value);
		if (!n)
			return unexpected(n.error());
		if (*n < ai.min_len || *n > ai.max_len)
			return unexpected(error::avp_bad_value);
		if (auto r = check_value(t, {value, *n}); !r)
			return unexpected(error::avp_bad_value);
		if (hide.test(t)) {
			auto h = hide_value(ai.type, opt.secret, m.random_vector, {value, *n}, opt.hidden_padding,
					    hidden_value);
			if (!h)
				return unexpected(h.error());
			w.put(ai.type, {hidden_value, *h}, ai.m_bit, true);
		} else {
			w.put(ai.type, {value, *n}, ai.m_bit, false);
		}
		if (!w.ok())
			return unexpected(w.last_error());
		return {};
	};
	avp_set done;
	for (avp_type t : leading_avps) {
		if (!send.test(t))
			continue;
		if (auto r = emit(t); !r)
			return unexpected(r.error());
		done.set(t);
	}
	for (const avp_info &ai : avp_table) {
		const auto t = static_cast<avp_type>(ai.type);
		if (!send.test(t) || done.test(t))
			continue;
		if (auto r = emit(t); !r)
			return unexpected(r.error());
	}
	return w.size();
}

result<size_t, error> encode_packet(const control_header &h, const message &m, const encode_options &opt,
				    std::span<uint8_t> out) noexcept {
	if (h.version != 2 && h.version != 3)
		return unexpected(error::bad_version);
	const bool v3 = h.version == 3;
	const size_t lead = v3 && h.v3_over_ip ? l2tp::v3_ip_session_header_len : 0; // before the T bit
	const size_t hdr = v3 ? l2tp::v3_control_header_len : l2tp::v2_max_fixed_len - 2; // 12 both
	if (out.size() < lead + hdr)
		return unexpected(error::buffer_too_small);

	size_t body_len = 0;
	if (m.message_type != msg_type::zlb) {
		if (m.has_message_digest() && opt.digest == nullptr)
			return unexpected(error::digest_params_missing);
		encode_options o = opt;
		o.version = h.version;
		// The body may not push Length past 65535.
		std::span<uint8_t> body_out = out.subspan(lead + hdr);
		body_out = body_out.first(std::min(body_out.size(), size_t{UINT16_MAX} - hdr));
		auto n = encode_body(m, o, body_out);
		if (!n)
			return unexpected(n.error());
		body_len = *n;
	}

	size_t written;
	if (v3) {
		l2tp::v3_control_fields f;
		f.ccid = h.ccid;
		f.ns = h.ns;
		f.nr = h.nr;
		f.payload_len = static_cast<uint16_t>(body_len);
		written = h.v3_over_ip ? l2tp::build_v3_ip_control(out, f) : l2tp::build_v3_udp_control(out, f);
	} else {
		l2tp::v2_fields f;
		f.control = true;
		f.with_length = true;
		f.with_sequence = true;
		f.tunnel_id = h.tunnel_id;
		f.session_id = h.session_id;
		f.ns = h.ns;
		f.nr = h.nr;
		f.payload_len = static_cast<uint16_t>(body_len);
		written = l2tp::build_v2(out, f);
	}
	if (written != lead + hdr)
		return unexpected(error::buffer_too_small);

	if (body_len != 0 && m.has_message_digest()) {
		auto r = sign_message(*opt.digest, out.subspan(lead, hdr + body_len), hdr);
		if (!r)
			return unexpected(r.error());
	}
	return lead + hdr + body_len;
}

result<decoded_packet, decode_error> decode_packet(bytes packet, const decode_options &opt, message &out) noexcept {
	out = message{};
	decoded_packet d;
	bytes signed_part; // from the T bit to the end of Length
	size_t header_len = 0;
	const l2tp::packet_class c = opt.v3_over_ip ? l2tp::classify_ip(packet) : l2tp::classify_udp(packet);
	switch (c) {
	case l2tp::packet_class::v2_control: {
		auto h = l2tp::parse_v2(packet);
		if (!h)
			return unexpected(fail(error::bad_header));
		d.header.version = 2;
		d.header.tunnel_id = h->tunnel_id;
		d.header.session_id = h->session_id;
		d.header.ns = h->ns;
		d.header.nr = h->nr;
		d.body = h->payload;
		header_len = h->header_len;
		signed_part = packet.first(h->length);
		break;
	}
	case l2tp::packet_class::v3_control: {
		auto h = opt.v3_over_ip ? l2tp::parse_v3_ip_control(packet) : l2tp::parse_v3_udp_control(packet);
		if (!h)
			return unexpected(fail(error::bad_header));
		d.header.version = 3;
		d.header.ccid = h->ccid;
		d.header.ns = h->ns;
		d.header.nr = h->nr;
		d.header.v3_over_ip = opt.v3_over_ip;
		d.body = h->payload;
		header_len = l2tp::v3_control_header_len;
		signed_part = packet.subspan(h->header_len - l2tp::v3_control_header_len, h->length);
		break;
	}
	case l2tp::packet_class::v2_data:
	case l2tp::packet_class::v3_data:
		return unexpected(fail(error::not_control));
	case l2tp::packet_class::invalid:
	default: {
		// Too short to classify, or a version that is neither 2 nor 3.
		const size_t first = opt.v3_over_ip ? l2tp::v3_ip_session_header_len : 0;
		if (packet.size() >= first + 2) {
			const uint8_t ver = packet[first + 1] & l2tp::version_mask;
			if (ver != l2tp::version_v2 && ver != l2tp::version_v3)
				return unexpected(fail(error::bad_version));
		}
		return unexpected(fail(error::bad_header));
	}
	}
	if (d.body.empty()) {
		d.zlb = true;
		return d;
	}
	if (opt.digest != nullptr) {
		auto v = verify_message(*opt.digest, signed_part, header_len);
		if (!v && (v.error() != error::digest_missing || opt.digest_required))
			return unexpected(fail(v.error(), static_cast<uint16_t>(avp_type::message_digest)));
	}
	decode_options o = opt;
	o.version = d.header.version;
	if (auto r = decode_body(d.body, o, out); !r)
		return unexpected(r.error());
	return d;
}

} // namespace l2tpx::ctl
