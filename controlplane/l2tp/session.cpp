#include "controlplane/l2tp/session.hpp"

#include "controlplane/l2tp/endpoint.hpp"
#include "controlplane/l2tp/tunnel.hpp"

namespace l2tpx::cp {

namespace rc = ctl::result_codes;

std::string_view to_string(session_state s) noexcept {
	switch (s) {
#define X(n)                                                                                       \
	case session_state::n:                                                                     \
		return #n;
		L2TPX_CP_SESSION_STATES(X)
#undef X
	}
	return "unknown";
}

std::string_view to_string(session_event e) noexcept {
	switch (e) {
#define X(n)                                                                                       \
	case session_event::n:                                                                     \
		return #n;
		L2TPX_CP_SESSION_EVENTS(X)
#undef X
	}
	return "unknown";
}

struct session::transition {
	session_state state;
	session_event event;
	role who;              // the role that may take this transition
	call_direction dir;
	void (session::*handler)(const ctl::message *);
};

// Incoming calls: LAC ICRQ → LNS ICRP → LAC ICCN. Outgoing calls: LNS OCRQ → LAC OCRP,
// OCCN. CDN, WEN and SLI are handled in any live state by the rows at the end.
using S = session_state;
using E = session_event;
const session::transition session::table[] = {
	{S::idle, E::open_incoming, role::lac, call_direction::incoming, &session::on_open_incoming},
	{S::wait_reply, E::rx_icrp, role::lac, call_direction::incoming, &session::on_icrp},
	{S::idle, E::rx_icrq, role::lns, call_direction::incoming, &session::on_icrq},
	{S::wait_connect, E::rx_iccn, role::lns, call_direction::incoming, &session::on_iccn},
	{S::idle, E::open_outgoing, role::lns, call_direction::outgoing, &session::on_open_outgoing},
	{S::wait_reply, E::rx_ocrp, role::lns, call_direction::outgoing, &session::on_ocrp},
	{S::wait_connect, E::rx_occn, role::lns, call_direction::outgoing, &session::on_occn},
	{S::idle, E::rx_ocrq, role::lac, call_direction::outgoing, &session::on_ocrq},
	{S::established, E::rx_wen, role::lns, call_direction::incoming, &session::on_wen},
	{S::established, E::rx_wen, role::lns, call_direction::outgoing, &session::on_wen},
	{S::established, E::rx_sli, role::lns, call_direction::incoming, &session::on_sli},
	{S::established, E::rx_sli, role::lns, call_direction::outgoing, &session::on_sli},
	{S::established, E::rx_sli, role::lac, call_direction::incoming, &session::on_sli},
	{S::established, E::rx_sli, role::lac, call_direction::outgoing, &session::on_sli},
};

session::session(tunnel &t, session_id_v2 local, call_direction dir, call_params params)
    : tunnel_(t), local_(local), dir_(dir), params_(std::move(params)) {}

void session::dispatch(session_event ev, const ctl::message *m) {
	if (state_ == S::closed)
		return;
	if (ev == E::rx_cdn) {
		on_cdn(m);
		return;
	}
	const role r = tunnel_.owner().config().local_role;
	for (const auto &t : table) {
		if (t.state == state_ && t.event == ev && t.who == r && t.dir == dir_) {
			(this->*t.handler)(m);
			return;
		}
	}
	std::string why = "unexpected ";
	why += to_string(ev);
	why += " in ";
	why += to_string(state_);
	close(rc::cdn_general_error, rc::error_none, why);
}

void session::handle(const ctl::message &m) {
	switch (m.type()) {
	case ctl::msg_type::icrq: return dispatch(E::rx_icrq, &m);
	case ctl::msg_type::icrp: return dispatch(E::rx_icrp, &m);
	case ctl::msg_type::iccn: return dispatch(E::rx_iccn, &m);
	case ctl::msg_type::ocrq: return dispatch(E::rx_ocrq, &m);
	case ctl::msg_type::ocrp: return dispatch(E::rx_ocrp, &m);
	case ctl::msg_type::occn: return dispatch(E::rx_occn, &m);
	case ctl::msg_type::cdn: return dispatch(E::rx_cdn, &m);
	case ctl::msg_type::wen: return dispatch(E::rx_wen, &m);
	case ctl::msg_type::sli: return dispatch(E::rx_sli, &m);
	default: return;
	}
}

void session::start() { dispatch(dir_ == call_direction::incoming ? E::open_incoming : E::open_outgoing, nullptr); }

void session::on_open_incoming(const ctl::message *) {
	ctl::message m;
	m.set_message_type(ctl::msg_type::icrq)
		.set_assigned_session_id(local_.value)
		.set_call_serial_number(params_.call_serial)
		.set_bearer_type(params_.bearer_type);
	if (params_.physical_channel_id)
		m.set_physical_channel_id(params_.physical_channel_id);
	if (!params_.calling_number.empty())
		m.set_calling_number(ctl::as_bytes(params_.calling_number));
	if (!params_.called_number.empty())
		m.set_called_number(ctl::as_bytes(params_.called_number));
	state_ = S::wait_reply;
	tunnel_.send_message(m, session_id_v2{0});
}

void session::on_open_outgoing(const ctl::message *) {
	ctl::message m;
	m.set_message_type(ctl::msg_type::ocrq)
		.set_assigned_session_id(local_.value)
		.set_call_serial_number(params_.call_serial)
		.set_minimum_bps(params_.minimum_bps)
		.set_maximum_bps(params_.maximum_bps)
		.set_bearer_type(params_.bearer_type)
		.set_framing_type(params_.framing_type)
		.set_called_number(ctl::as_bytes(params_.called_number));
	state_ = S::wait_reply;
	tunnel_.send_message(m, session_id_v2{0});
}

void session::read_call_setup(const ctl::message &m) {
	auto str = [](ctl::bytes b) { return std::string(ctl::as_string(b)); };
	auto vec = [](ctl::bytes b) { return std::vector<uint8_t>(b.begin(), b.end()); };
	if (m.has_call_serial_number())
		params_.call_serial = m.call_serial_number;
	if (m.has_bearer_type())
		params_.bearer_type = m.bearer_type;
	if (m.has_framing_type())
		params_.framing_type = m.framing_type;
	if (m.has_tx_connect_speed())
		params_.tx_connect_speed = m.tx_connect_speed;
	if (m.has_rx_connect_speed())
		params_.rx_connect_speed = m.rx_connect_speed;
	if (m.has_minimum_bps())
		params_.minimum_bps = m.minimum_bps;
	if (m.has_maximum_bps())
		params_.maximum_bps = m.maximum_bps;
	if (m.has_physical_channel_id())
		params_.physical_channel_id = m.physical_channel_id;
	if (m.has_calling_number())
		params_.calling_number = str(m.calling_number);
	if (m.has_called_number())
		params_.called_number = str(m.called_number);
	if (m.has_sub_address())
		params_.sub_address = str(m.sub_address);
	if (m.has_sequencing_required())
		params_.sequencing_required = true;
	if (m.has_initial_received_lcp_confreq())
		params_.initial_received_lcp_confreq = vec(m.initial_received_lcp_confreq);
	if (m.has_last_sent_lcp_confreq())
		params_.last_sent_lcp_confreq = vec(m.last_sent_lcp_confreq);
	if (m.has_last_received_lcp_confreq())
		params_.last_received_lcp_confreq = vec(m.last_received_lcp_confreq);
	if (m.has_proxy_authen_type()) {
		params_.has_proxy_auth = true;
		params_.proxy_authen_type = m.proxy_authen_type;
		params_.proxy_authen_id = m.has_proxy_authen_id() ? m.proxy_authen_id : 0;
		params_.proxy_authen_name = str(m.proxy_authen_name);
		params_.proxy_authen_challenge = vec(m.proxy_authen_challenge);
		params_.proxy_authen_response = vec(m.proxy_authen_response);
	}
}

void session::on_icrq(const ctl::message *m) {
	peer_ = session_id_v2{m->assigned_session_id};
	if (!peer_) {
		close(rc::cdn_general_error, rc::error_bad_value, "Assigned Session ID 0");
		return;
	}
	read_call_setup(*m);
	state_ = S::wait_connect;
	if (!answered())
		return;
	ctl::message r;
	r.set_message_type(ctl::msg_type::icrp).set_assigned_session_id(local_.value);
	tunnel_.send_message(r, peer_);
}

std::optional<uint16_t> session::send_connected(ctl::msg_type t) {
	ctl::message m;
	m.set_message_type(t).set_tx_connect_speed(params_.tx_connect_speed).set_framing_type(params_.framing_type);
	if (params_.rx_connect_speed)
		m.set_rx_connect_speed(params_.rx_connect_speed);
	if (params_.sequencing_required)
		m.set_sequencing_required(true);
	if (t == ctl::msg_type::iccn) {
		auto b = [](const std::vector<uint8_t> &v) { return ctl::bytes(v.data(), v.size()); };
		if (!params_.initial_received_lcp_confreq.empty())
			m.set_initial_received_lcp_confreq(b(params_.initial_received_lcp_confreq));
		if (!params_.last_sent_lcp_confreq.empty())
			m.set_last_sent_lcp_confreq(b(params_.last_sent_lcp_confreq));
		if (!params_.last_received_lcp_confreq.empty())
			m.set_last_received_lcp_confreq(b(params_.last_received_lcp_confreq));
		if (params_.has_proxy_auth) {
			m.set_proxy_authen_type(params_.proxy_authen_type);
			if (!params_.proxy_authen_name.empty())
				m.set_proxy_authen_name(ctl::as_bytes(params_.proxy_authen_name));
			if (!params_.proxy_authen_challenge.empty())
				m.set_proxy_authen_challenge(b(params_.proxy_authen_challenge));
			if (params_.proxy_authen_type == 2)
				m.set_proxy_authen_id(params_.proxy_authen_id);
			if (!params_.proxy_authen_response.empty())
				m.set_proxy_authen_response(b(params_.proxy_authen_response));
		}
	}
	return tunnel_.send_message(m, peer_);
}

void session::on_icrp(const ctl::message *m) {
	peer_ = session_id_v2{m->assigned_session_id};
	if (!peer_) {
		close(rc::cdn_general_error, rc::error_bad_value, "Assigned Session ID 0");
		return;
	}
	if (!answered())
		return;
	// PPP starts once the ICCN is on the wire, not while it waits behind queued messages:
	// the LNS would drop (or worse, reject) LCP for a call it has not connected yet.
	if (auto ns = send_connected(ctl::msg_type::iccn))
		tunnel_.notify_when_sent(*this, *ns);
}

void session::connect_sent() {
	if (state_ != S::established && state_ != S::closed)
		established();
}

void session::on_iccn(const ctl::message *m) {
	read_call_setup(*m);
	established();
}

void session::on_ocrq(const ctl::message *m) {
	peer_ = session_id_v2{m->assigned_session_id};
	if (!peer_) {
		close(rc::cdn_general_error, rc::error_bad_value, "Assigned Session ID 0");
		return;
	}
	read_call_setup(*m);
	if (!params_.tx_connect_speed)
		params_.tx_connect_speed = params_.maximum_bps;
	if (!answered())
		return;
	ctl::message r;
	r.set_message_type(ctl::msg_type::ocrp).set_assigned_session_id(local_.value);
	tunnel_.send_message(r, peer_);
	// No real dialling: connected at once, PPP once the OCCN is on the wire.
	if (auto ns = send_connected(ctl::msg_type::occn))
		tunnel_.notify_when_sent(*this, *ns);
}

void session::on_ocrp(const ctl::message *m) {
	peer_ = session_id_v2{m->assigned_session_id};
	if (!peer_) {
		close(rc::cdn_general_error, rc::error_bad_value, "Assigned Session ID 0");
		return;
	}
	if (m->has_physical_channel_id())
		params_.physical_channel_id = m->physical_channel_id;
	state_ = S::wait_connect;
	answered();
}

void session::on_occn(const ctl::message *m) {
	read_call_setup(*m);
	established();
}

void session::on_cdn(const ctl::message *m) {
	disconnect_cause why;
	why.local = false;
	why.result = m->result_code.result;
	why.error = m->result_code.error;
	why.message = std::string(ctl::as_string(m->result_code.message));
	if (!peer_ && m->has_assigned_session_id())
		peer_ = session_id_v2{m->assigned_session_id};
	finish(why);
}

void session::on_wen(const ctl::message *m) {
	params_.call_errors = m->call_errors;
	++params_.wen_count;
	if (auto &h = tunnel_.owner().hooks().link_info)
		h(*this);
}

void session::on_sli(const ctl::message *m) {
	params_.send_accm = m->accm.send_accm;
	params_.receive_accm = m->accm.receive_accm;
	++params_.sli_count;
	if (auto &h = tunnel_.owner().hooks().link_info)
		h(*this);
}

bool session::send_wen(const ctl::call_errors_value &errors) {
	if (state_ != S::established)
		return false;
	ctl::message m;
	m.set_message_type(ctl::msg_type::wen).set_call_errors(errors);
	tunnel_.send_message(m, peer_);
	return true;
}

bool session::send_sli(uint32_t send_accm, uint32_t receive_accm) {
	if (state_ != S::established)
		return false;
	ctl::message m;
	m.set_message_type(ctl::msg_type::sli).set_accm(ctl::accm_value{send_accm, receive_accm});
	tunnel_.send_message(m, peer_);
	return true;
}

bool session::answered() {
	if (auto &h = tunnel_.owner().hooks().session_answered)
		h(*this);
	return state_ != S::closed; // the hook may have refused the call
}

void session::established() {
	state_ = S::established;
	tunnel_.session_established(*this);
}

void session::close(uint16_t result, uint16_t error, std::string_view message) {
	if (state_ == S::closed)
		return;
	// The peer knows the call once we sent ICRQ/OCRQ or answered its request.
	if (state_ != S::idle || peer_) {
		ctl::message m;
		ctl::result_code_value r;
		r.result = result;
		r.error = error;
		r.has_error = error != 0 || !message.empty();
		r.message = ctl::as_bytes(message);
		m.set_message_type(ctl::msg_type::cdn).set_result_code(r).set_assigned_session_id(local_.value);
		tunnel_.send_message(m, peer_);
	}
	finish(disconnect_cause{result, error, std::string(message), true});
}

void session::tunnel_down(const disconnect_cause &why) {
	if (state_ != S::closed)
		finish(why);
}

void session::finish(const disconnect_cause &why) {
	cause_ = why;
	state_ = S::closed;
	tunnel_.session_finished(*this);
}

} // namespace l2tpx::cp
