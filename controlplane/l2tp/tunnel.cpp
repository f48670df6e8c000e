#include "controlplane/l2tp/tunnel.hpp"

#include <algorithm>

#include "controlplane/l2tp/endpoint.hpp"
#include "shared/control/auth.hpp"
#include "shared/control/avp.hpp"

namespace l2tpx::cp {

namespace rc = ctl::result_codes;
using S = tunnel_state;
using E = tunnel_event;

std::string_view to_string(tunnel_state s) noexcept {
	switch (s) {
#define X(n)                                                                                       \
	case tunnel_state::n:                                                                      \
		return #n;
		L2TPX_CP_TUNNEL_STATES(X)
#undef X
	}
	return "unknown";
}

std::string_view to_string(tunnel_event e) noexcept {
	switch (e) {
#define X(n)                                                                                       \
	case tunnel_event::n:                                                                      \
		return #n;
		L2TPX_CP_TUNNEL_EVENTS(X)
#undef X
	}
	return "unknown";
}

std::string_view to_string(call_error e) noexcept {
	switch (e) {
#define X(n)                                                                                       \
	case call_error::n:                                                                        \
		return #n;
		L2TPX_CP_CALL_ERRORS(X)
#undef X
	}
	return "unknown";
}

std::string_view to_string(role r) noexcept { return r == role::lns ? "lns" : "lac"; }

namespace {
constexpr uint8_t bit(S s) { return static_cast<uint8_t>(1u << static_cast<unsigned>(s)); }
constexpr uint8_t live = bit(S::idle) | bit(S::wait_ctl_reply) | bit(S::wait_ctl_conn) | bit(S::established);
constexpr size_t max_control_packet = 8192;

using ctl::is_session_message;

// Message Type of a body that may not decode: the first AVP, if it is one.
std::optional<uint16_t> peek_message_type(std::span<const uint8_t> body) {
	auto a = ctl::parse_avp(body);
	if (!a || a->vendor != 0 || a->type != 0 || a->hidden || a->value.size() != 2)
		return std::nullopt;
	return load_be16(a->value.data());
}
} // namespace

struct tunnel::transition {
	uint8_t states; // bit mask of tunnel_state
	tunnel_event event;
	void (tunnel::*handler)(const ctl::message *);
};

const tunnel::transition tunnel::table[] = {
	{bit(S::idle), E::open, &tunnel::on_open},
	{bit(S::idle), E::rx_sccrq, &tunnel::on_sccrq},
	{bit(S::wait_ctl_reply), E::rx_sccrp, &tunnel::on_sccrp},
	{bit(S::wait_ctl_conn), E::rx_scccn, &tunnel::on_scccn},
	{live | bit(S::closing), E::rx_stopccn, &tunnel::on_stopccn},
	{bit(S::wait_ctl_reply) | bit(S::wait_ctl_conn) | bit(S::established), E::rx_hello, &tunnel::on_hello},
	{bit(S::established), E::rx_session_msg, nullptr}, // routed by session_message()
	{live, E::close, &tunnel::on_close},
};

tunnel::tunnel(endpoint &ep, tunnel_id_v2 local, udp_endpoint peer, std::string secret)
    : ep_(ep), local_(local), peer_(std::move(peer)), secret_(std::move(secret)), created_(ep.timers().now()),
      transport_(ep.timers(), ep.config().tunnel.transport,
                 reliable_transport::hooks{
                         [this](uint16_t ns, uint16_t nr, std::span<const uint8_t> m) { transmit(ns, nr, m); },
                         [this] { transport_failed(); },
                         [this] {
				 if (state_ == S::established) {
					 ctl::message h;
					 h.set_message_type(ctl::msg_type::hello);
					 send_message(h, session_id_v2{0});
				 }
			 }}),
      linger_(ep.timers()), sent_check_(ep.timers()) {}

tunnel::~tunnel() = default;

void tunnel::dispatch(tunnel_event ev, const ctl::message *m) {
	for (const auto &t : table) {
		if ((t.states & bit(state_)) && t.event == ev) {
			if (t.handler)
				(this->*t.handler)(m);
			return;
		}
	}
	if (state_ == S::closing || state_ == S::closed || state_ == S::dead)
		return; // stragglers after teardown
	std::string why = "unexpected ";
	why += m ? ctl::to_string(m->type()) : to_string(ev);
	why += " in ";
	why += to_string(state_);
	cause_ = disconnect_cause{rc::stopccn_fsm_error, 0, why, true};
	send_stopccn(rc::stopccn_fsm_error, 0, why);
}

void tunnel::open() { dispatch(E::open, nullptr); }
void tunnel::close(uint16_t result, uint16_t error, std::string_view message) {
	cause_ = disconnect_cause{result, error, std::string(message), true};
	dispatch(E::close, nullptr);
}

// --- transmit side ---------------------------------------------------------------------

void tunnel::notify_sent() {
	sent_check_.stop();
	auto ready = std::exchange(sent_ready_, {});
	for (auto id : ready)
		if (session *s = find_session(id))
			s->connect_sent();
}

void tunnel::notify_when_sent(session &s, uint16_t ns) {
	if (transport_.queued() == 0) { // everything queued so far, ns included, is on the wire
		s.connect_sent();
		return;
	}
	wait_sent_.emplace_back(ns, s.local_id());
}

void tunnel::transmit(uint16_t ns, uint16_t nr, std::span<const uint8_t> msg) {
	if (!msg.empty() && !wait_sent_.empty()) {
		// Called from inside the transport: notify from a timer, not re-entrantly.
		std::erase_if(wait_sent_, [&](const auto &w) {
			if (w.first != ns)
				return false;
			sent_ready_.push_back(w.second);
			return true;
		});
		if (!sent_ready_.empty() && !sent_check_.running())
			sent_check_.start(duration{0}, [this] { notify_sent(); });
	}
	if (!msg.empty()) {
		// The stored packet is complete; patch this transmission's Ns/Nr.
		std::vector<uint8_t> p(msg.begin(), msg.end());
		const size_t off = l2tp::v2_sequence_offset(true);
		store_be16(p.data() + off, ns);
		store_be16(p.data() + off + 2, nr);
		ep_.send_datagram(peer_, p);
		return;
	}
	ctl::message zlb;
	zlb.message_type = ctl::msg_type::zlb;
	ctl::control_header h;
	h.tunnel_id = peer_id_;
	h.ns = ns;
	h.nr = nr;
	std::array<uint8_t, 16> buf{};
	auto n = ctl::encode_packet(h, zlb, {}, buf);
	if (n)
		ep_.send_datagram(peer_, std::span(buf.data(), *n));
}

void tunnel::add_hiding(ctl::message &m, ctl::encode_options &opt, std::vector<uint8_t> &rv) {
	if (!ep_.config().tunnel.hide_avps || secret_.empty())
		return;
	const ctl::avp_type hideable[] = {ctl::avp_type::assigned_session_id, ctl::avp_type::calling_number,
	                                  ctl::avp_type::called_number, ctl::avp_type::proxy_authen_name,
	                                  ctl::avp_type::proxy_authen_response};
	bool any = false;
	for (auto t : hideable)
		if (m.has(t)) {
			m.hide(t);
			any = true;
		}
	if (!any)
		return;
	rv.resize(16);
	ep_.rng().fill(rv);
	m.set_random_vector(ctl::bytes(rv.data(), rv.size()));
	opt.secret = ctl::as_bytes(secret_);
}

std::optional<uint16_t> tunnel::send_message(ctl::message &m, session_id_v2 peer_session) {
	if (state_ == S::dead || transport_.failed())
		return std::nullopt;
	ctl::control_header h;
	h.tunnel_id = peer_id_;
	h.session_id = peer_session;
	ctl::encode_options opt;
	std::vector<uint8_t> rv;
	add_hiding(m, opt, rv);
	std::vector<uint8_t> buf(max_control_packet);
	auto n = ctl::encode_packet(h, m, opt, buf);
	if (!n) {
		// Our own message does not encode: a bug, not the peer's fault. Fail the tunnel
		// loudly rather than leave the peer waiting.
		cause_ = disconnect_cause{rc::stopccn_general_error, rc::error_vendor,
		                          std::string("cannot encode ") + ctl::to_string(m.type()) + ": " +
		                                  ctl::to_string(n.error()),
		                          true};
		die(cause_);
		return std::nullopt;
	}
	buf.resize(*n);
	auto r = transport_.send(std::move(buf));
	if (!r) {
		cause_ = disconnect_cause{rc::stopccn_general_error, rc::error_no_resources, "control queue full", true};
		die(cause_);
		return std::nullopt;
	}
	return *r;
}

void tunnel::send_stopccn(uint16_t result, uint16_t error, std::string_view message) {
	if (state_ == S::closing || state_ == S::closed || state_ == S::dead)
		return; // one StopCCN per tunnel
	ctl::message m;
	ctl::result_code_value r;
	r.result = result;
	r.error = error;
	r.has_error = error != 0 || !message.empty();
	r.message = ctl::as_bytes(message);
	m.set_message_type(ctl::msg_type::stopccn).set_assigned_tunnel_id(local_.value).set_result_code(r);
	send_message(m, session_id_v2{0});
	if (state_ == S::dead)
		return;
	cause_ = disconnect_cause{result, error, std::string(message), true};
	teardown_sessions(cause_);
	const bool was_up = state_ != S::idle;
	state_ = S::closing;
	++ep_.counters_mut().tunnels_closed;
	if (was_up && ep_.hooks().tunnel_down)
		ep_.hooks().tunnel_down(*this, cause_);
	linger_.start(ep_.config().tunnel.stop_linger, [this] { die(cause_); });
}

void tunnel::fail_protocol(uint16_t error, std::string_view message) {
	send_stopccn(rc::stopccn_general_error, error, message);
}

// --- receive side ----------------------------------------------------------------------

void tunnel::receive(const l2tp::v2_header &h, std::span<const uint8_t> packet) {
	if (state_ == S::dead)
		return;
	const bool zlb = h.payload.empty();
	const auto v = transport_.receive(h.ns, h.nr, zlb ? std::span<const uint8_t>{} : packet.first(h.length));
	(void)v;
	while (auto p = transport_.pop()) {
		if (state_ == S::dead)
			break;
		process(*p);
	}
	// An ICCN this ack released is on the wire now: the call is established before the
	// next datagram (the LNS's first LCP frame, possibly) is looked at, not a loop later.
	if (!sent_ready_.empty() && state_ != S::dead)
		notify_sent();
	if (state_ == S::closing && transport_.all_acked())
		die(cause_);
}

void tunnel::process(std::span<const uint8_t> packet) {
	auto h = l2tp::parse_v2(packet);
	if (!h)
		return; // checked by the endpoint before it was queued
	ctl::message m;
	std::vector<uint8_t> scratch(h->payload.size());
	ctl::decode_options opt;
	opt.secret = ctl::as_bytes(secret_);
	// An SCCRQ may hide AVPs with the secret of a peer we only know by its Host Name
	// (which is never hidden): look the secret up before decoding.
	std::string_view host_secret;
	if (secret_.empty() && state_ == S::idle) {
		ctl::avp_reader r(h->payload);
		while (!r.done()) {
			auto a = r.next();
			if (!a)
				break;
			if (a->vendor == 0 && !a->hidden && a->type == static_cast<uint16_t>(ctl::avp_type::host_name)) {
				host_secret = ep_.config().tunnel.secrets.lookup(ctl::as_string(a->value));
				break;
			}
		}
		opt.secret = ctl::as_bytes(host_secret);
	}
	opt.scratch = scratch;
	if (auto r = ctl::decode_body(h->payload, opt, m); !r) {
		decode_failure(*h, h->payload, r.error());
		return;
	}
	switch (m.type()) {
	case ctl::msg_type::sccrq: return dispatch(E::rx_sccrq, &m);
	case ctl::msg_type::sccrp: return dispatch(E::rx_sccrp, &m);
	case ctl::msg_type::scccn: return dispatch(E::rx_scccn, &m);
	case ctl::msg_type::stopccn: return dispatch(E::rx_stopccn, &m);
	case ctl::msg_type::hello: return dispatch(E::rx_hello, &m);
	default:
		if (is_session_message(m.type())) {
			if (state_ != S::established)
				return dispatch(E::rx_session_msg, &m);
			return session_message(*h, m);
		}
		return; // ACK, FSQ, FSR: nothing to do in L2TPv2
	}
}

void tunnel::decode_failure(const l2tp::v2_header &h, std::span<const uint8_t> body, const ctl::decode_error &e) {
	++ep_.counters_mut().rx_decode_error;
	if (e.code == ctl::error::unknown_message_type)
		return; // M=0: ignore (RFC 2661 §4.1)
	const auto type = peek_message_type(body);
	uint16_t error = rc::error_bad_value;
	std::string why = ctl::to_string(e.code);
	if (e.code == ctl::error::unknown_mandatory_avp || e.code == ctl::error::unknown_message_type_mandatory) {
		error = rc::error_unknown_mandatory_avp;
		why += " " + std::to_string(e.avp_type);
	} else if (e.code == ctl::error::missing_mandatory_avp) {
		why += std::string(" ") + ctl::avp_name(e.avp_type);
	} else if (e.code == ctl::error::avp_bad_length || e.code == ctl::error::avp_length_too_short ||
	           e.code == ctl::error::avp_length_overrun || e.code == ctl::error::avp_header_truncated) {
		error = rc::error_bad_length;
	}
	// A broken session message ends the session (CDN), a broken tunnel message the tunnel.
	if (type && is_session_message(static_cast<ctl::msg_type>(*type)) && state_ == S::established) {
		if (h.session_id) {
			if (session *s = find_session(h.session_id))
				s->close(rc::cdn_general_error, error, why);
			else
				++ep_.counters_mut().rx_unknown_session;
		}
		// A broken ICRQ/OCRQ names no session we could answer reliably: counted only.
		return;
	}
	cause_ = disconnect_cause{rc::stopccn_general_error, error, why, true};
	send_stopccn(rc::stopccn_general_error, error, why);
}

bool tunnel::learn_peer(const ctl::message &m) {
	peer_id_ = tunnel_id_v2{m.assigned_tunnel_id};
	peer_host_ = std::string(ctl::as_string(m.host_name));
	if (m.has_receive_window_size() && m.receive_window_size > 0) {
		peer_rws_ = m.receive_window_size;
		transport_.set_peer_rws(peer_rws_);
	}
	if (m.has_tie_breaker())
		peer_tie_breaker_ = m.tie_breaker;
	if (!peer_id_) {
		fail_protocol(rc::error_bad_value, "Assigned Tunnel ID 0");
		return false;
	}
	if (m.protocol_version != 0x0100) {
		send_stopccn(rc::stopccn_bad_protocol_version, 0, "protocol version 1.0 only");
		return false;
	}
	return true;
}

void tunnel::on_open(const ctl::message *) {
	const auto &cfg = ep_.config().tunnel;
	ctl::message m;
	m.set_message_type(ctl::msg_type::sccrq)
		.set_protocol_version(0x0100)
		.set_host_name(ctl::as_bytes(cfg.host_name))
		.set_framing_capabilities(cfg.framing_capabilities)
		.set_assigned_tunnel_id(local_.value)
		.set_receive_window_size(cfg.transport.our_rws)
		.set_firmware_revision(cfg.firmware_revision)
		.set_vendor_name(ctl::as_bytes(cfg.vendor_name));
	if (cfg.bearer_capabilities)
		m.set_bearer_capabilities(cfg.bearer_capabilities);
	if (cfg.tie_breaker)
		m.set_tie_breaker(*cfg.tie_breaker);
	if (!secret_.empty()) {
		our_challenge_.resize(16);
		ep_.rng().fill(our_challenge_);
		m.set_challenge(ctl::bytes(our_challenge_.data(), our_challenge_.size()));
	}
	state_ = S::wait_ctl_reply;
	send_message(m, session_id_v2{0});
}

void tunnel::on_sccrq(const ctl::message *m) {
	if (!learn_peer(*m))
		return;
	const auto &cfg = ep_.config().tunnel;
	if (secret_.empty())
		secret_ = std::string(cfg.secrets.lookup(peer_host_));
	if (secret_.empty() && (cfg.secrets.require || m->has_challenge())) {
		++ep_.counters_mut().auth_failed;
		send_stopccn(rc::stopccn_not_authorized, 0, "no secret for this peer");
		return;
	}
	ctl::message r;
	r.set_message_type(ctl::msg_type::sccrp)
		.set_protocol_version(0x0100)
		.set_framing_capabilities(cfg.framing_capabilities)
		.set_host_name(ctl::as_bytes(cfg.host_name))
		.set_assigned_tunnel_id(local_.value)
		.set_receive_window_size(cfg.transport.our_rws)
		.set_firmware_revision(cfg.firmware_revision)
		.set_vendor_name(ctl::as_bytes(cfg.vendor_name));
	if (cfg.bearer_capabilities)
		r.set_bearer_capabilities(cfg.bearer_capabilities);
	ctl::md5_digest resp{};
	if (m->has_challenge()) {
		auto d = ctl::challenge_response(static_cast<uint8_t>(ctl::msg_type::sccrp), ctl::as_bytes(secret_),
		                                 m->challenge);
		if (!d) {
			fail_protocol(rc::error_vendor, "challenge response: crypto failure");
			return;
		}
		resp = *d;
		r.set_challenge_response(ctl::bytes(resp.data(), resp.size()));
	}
	if (!secret_.empty()) {
		our_challenge_.resize(16);
		ep_.rng().fill(our_challenge_);
		r.set_challenge(ctl::bytes(our_challenge_.data(), our_challenge_.size()));
	}
	state_ = S::wait_ctl_conn;
	send_message(r, session_id_v2{0});
}

void tunnel::on_sccrp(const ctl::message *m) {
	if (!learn_peer(*m))
		return;
	if (!our_challenge_.empty() &&
	    (!m->has_challenge_response() ||
	     !ctl::verify_challenge_response(static_cast<uint8_t>(ctl::msg_type::sccrp), ctl::as_bytes(secret_),
	                                     our_challenge_, m->challenge_response))) {
		++ep_.counters_mut().auth_failed;
		send_stopccn(rc::stopccn_not_authorized, 0, "bad challenge response");
		return;
	}
	ctl::message r;
	r.set_message_type(ctl::msg_type::scccn);
	ctl::md5_digest resp{};
	if (m->has_challenge()) {
		if (secret_.empty()) {
			++ep_.counters_mut().auth_failed;
			send_stopccn(rc::stopccn_not_authorized, 0, "challenged without a secret");
			return;
		}
		auto d = ctl::challenge_response(static_cast<uint8_t>(ctl::msg_type::scccn), ctl::as_bytes(secret_),
		                                 m->challenge);
		if (!d) {
			fail_protocol(rc::error_vendor, "challenge response: crypto failure");
			return;
		}
		resp = *d;
		r.set_challenge_response(ctl::bytes(resp.data(), resp.size()));
	}
	send_message(r, session_id_v2{0});
	become_established();
}

void tunnel::on_scccn(const ctl::message *m) {
	if (!our_challenge_.empty() &&
	    (!m->has_challenge_response() ||
	     !ctl::verify_challenge_response(static_cast<uint8_t>(ctl::msg_type::scccn), ctl::as_bytes(secret_),
	                                     our_challenge_, m->challenge_response))) {
		++ep_.counters_mut().auth_failed;
		send_stopccn(rc::stopccn_not_authorized, 0, "bad challenge response");
		return;
	}
	become_established();
}

void tunnel::become_established() {
	state_ = S::established;
	++ep_.counters_mut().tunnels_established;
	if (ep_.hooks().tunnel_up)
		ep_.hooks().tunnel_up(*this);
	auto pending = std::move(pending_calls_);
	for (auto id : pending)
		if (session *s = find_session(id); s && s->state() == session_state::idle)
			s->start();
}

void tunnel::on_stopccn(const ctl::message *m) {
	cause_ = disconnect_cause{m->result_code.result, m->result_code.error,
	                          std::string(ctl::as_string(m->result_code.message)), false};
	transport_.ack_now();
	transport_.stop();
	teardown_sessions(cause_);
	const bool was_up = state_ != S::idle && state_ != S::closing;
	if (state_ != S::closing)
		++ep_.counters_mut().tunnels_closed;
	state_ = S::closed;
	if (was_up && ep_.hooks().tunnel_down)
		ep_.hooks().tunnel_down(*this, cause_);
	linger_.start(ep_.config().tunnel.stop_linger, [this] { die(cause_); });
}

void tunnel::adopt(const tunnel_snapshot &s, bool hello) {
	if (state_ != S::idle)
		return;
	peer_id_ = s.peer_id;
	peer_host_ = s.peer_host;
	if (s.peer_rws > 0) {
		peer_rws_ = s.peer_rws;
		transport_.set_peer_rws(peer_rws_);
	}
	transport_.restore(s.ns, s.nr, s.acked);
	// Gap filler for the resync (reliable_transport::restore): a HELLO, encoded whole.
	transport_.set_filler([this] {
		ctl::message h;
		h.set_message_type(ctl::msg_type::hello);
		ctl::control_header hdr;
		hdr.tunnel_id = peer_id_;
		std::vector<uint8_t> buf(64);
		auto n = ctl::encode_packet(hdr, h, {}, buf);
		buf.resize(n ? *n : 0);
		return buf;
	});
	state_ = S::established;
	++ep_.counters_mut().tunnels_adopted;
	if (!hello)
		return;
	ctl::message h;
	h.set_message_type(ctl::msg_type::hello);
	send_message(h, session_id_v2{0});
}

session *tunnel::adopt_session(session_id_v2 local, session_id_v2 peer, call_params params) {
	if (state_ != S::established || !local || sessions_.contains(local))
		return nullptr;
	auto s = std::make_unique<session>(*this, local, call_direction::incoming, std::move(params));
	session &ref = *s;
	sessions_.emplace(local, std::move(s));
	ref.adopt(peer);
	++ep_.counters_mut().sessions_adopted;
	return &ref;
}

void tunnel::on_hello(const ctl::message *) {} // acknowledged by the transport

void tunnel::on_close(const ctl::message *) {
	if (state_ == S::idle) {
		die(cause_);
		return;
	}
	send_stopccn(cause_.result ? cause_.result : rc::stopccn_general_clear, cause_.error, cause_.message);
}

// --- sessions --------------------------------------------------------------------------

void tunnel::session_message(const l2tp::v2_header &h, const ctl::message &m) {
	auto &cnt = ep_.counters_mut();
	const role r = ep_.config().local_role;
	const bool request = m.type() == ctl::msg_type::icrq || m.type() == ctl::msg_type::ocrq;
	if (request) {
		const bool allowed = (m.type() == ctl::msg_type::icrq) == (r == role::lns);
		const auto dir = m.type() == ctl::msg_type::icrq ? call_direction::incoming : call_direction::outgoing;
		uint16_t result = 0, error = 0;
		const char *why = "";
		if (!allowed) {
			result = rc::cdn_general_error, why = "call direction not accepted by this role";
		} else if (sessions_.size() >= ep_.config().tunnel.max_sessions) {
			++cnt.sessions_over_limit;
			result = rc::cdn_no_facilities_temporary, error = rc::error_no_resources, why = "session limit";
		}
		const session_id_v2 id = result ? session_id_v2{0} : ep_.new_session_id(*this);
		if (!result && !id) {
			++cnt.sessions_over_limit;
			result = rc::cdn_no_facilities_temporary, error = rc::error_no_resources, why = "no session IDs";
		}
		if (result) {
			// Refused before a session exists: a CDN naming the peer's session.
			ctl::message cdn;
			ctl::result_code_value rcv{result, error, true, ctl::as_bytes(why)};
			cdn.set_message_type(ctl::msg_type::cdn).set_result_code(rcv).set_assigned_session_id(0);
			send_message(cdn, session_id_v2{m.assigned_session_id});
			return;
		}
		auto s = std::make_unique<session>(*this, id, dir, call_params{});
		session &ref = *s;
		sessions_.emplace(id, std::move(s));
		++cnt.sessions_created;
		ref.handle(m);
		return;
	}
	session *s = find_session(h.session_id);
	if (!s || s->state() == session_state::closed) {
		++cnt.rx_unknown_session;
		return;
	}
	s->handle(m);
}

result<session *, call_error> tunnel::place_call(call_params params) {
	if (state_ != S::idle && state_ != S::wait_ctl_reply && state_ != S::wait_ctl_conn && state_ != S::established)
		return unexpected(call_error::tunnel_not_usable);
	if (sessions_.size() >= ep_.config().tunnel.max_sessions)
		return unexpected(call_error::too_many_sessions);
	const auto dir = ep_.config().local_role == role::lac ? call_direction::incoming : call_direction::outgoing;
	const session_id_v2 id = ep_.new_session_id(*this);
	if (!id)
		return unexpected(call_error::too_many_sessions);
	auto s = std::make_unique<session>(*this, id, dir, std::move(params));
	session &ref = *s;
	sessions_.emplace(id, std::move(s));
	++ep_.counters_mut().sessions_created;
	if (state_ == S::established)
		ref.start();
	else
		pending_calls_.push_back(id);
	return &ref;
}

session *tunnel::find_session(session_id_v2 local) {
	auto it = sessions_.find(local);
	return it == sessions_.end() ? nullptr : it->second.get();
}

void tunnel::session_established(session &s) {
	++ep_.counters_mut().sessions_established;
	if (ep_.hooks().session_up)
		ep_.hooks().session_up(s);
}

void tunnel::session_finished(session &s) {
	++ep_.counters_mut().sessions_closed;
	if (ep_.hooks().session_down)
		ep_.hooks().session_down(s, s.cause());
	reap_pending_ = true;
	ep_.tunnel_dead(*this); // schedules the reaper, which erases closed sessions
}

void tunnel::reap_sessions() {
	// The endpoint reaps after every control message: walk the sessions only when one closed
	// (with 10,000 sessions the walk was three quarters of the control plane's CPU).
	if (!reap_pending_)
		return;
	reap_pending_ = false;
	std::erase_if(sessions_, [](const auto &kv) { return kv.second->state() == session_state::closed; });
}

void tunnel::teardown_sessions(const disconnect_cause &why) {
	for (auto &[id, s] : sessions_)
		s->tunnel_down(why);
}

// --- end of life -----------------------------------------------------------------------

void tunnel::transport_failed() {
	++ep_.counters_mut().tunnel_transport_failures;
	die(disconnect_cause{rc::stopccn_general_error, 0, "peer does not acknowledge (retransmission limit)", true});
}

void tunnel::abandon(std::string_view why) { die(disconnect_cause{rc::stopccn_general_error, 0, std::string(why), true}); }

void tunnel::die(const disconnect_cause &why) {
	if (state_ == S::dead)
		return;
	const bool notify = state_ != S::idle && state_ != S::closing && state_ != S::closed;
	if (state_ != S::closing && state_ != S::closed) {
		cause_ = why;
		++ep_.counters_mut().tunnels_closed;
	}
	teardown_sessions(cause_);
	state_ = S::dead;
	linger_.stop();
	transport_.stop();
	if (notify && ep_.hooks().tunnel_down)
		ep_.hooks().tunnel_down(*this, cause_);
	ep_.tunnel_dead(*this);
}

} // namespace l2tpx::cp
