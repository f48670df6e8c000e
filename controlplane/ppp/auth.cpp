#include "controlplane/ppp/auth.hpp"

#include <array>

#include "shared/ppp/chap.hpp"
#include "shared/ppp/pap.hpp"
#include "shared/ppp/protocol.hpp"

namespace l2tpx::cp::ppp {

namespace {
std::span<const uint8_t> bytes_of(std::string_view s) {
	return {reinterpret_cast<const uint8_t *>(s.data()), s.size()};
}
} // namespace

// --- authenticator ----------------------------------------------------------------------

authenticator_side::authenticator_side(timer_service &timers, random_source &rng, const auth_config &cfg,
                                       aaa::authenticator &aaa, frame_sink &sink, done_fn done)
    : rng_(rng), cfg_(cfg), aaa_(aaa), sink_(sink), done_(std::move(done)), retry_(timers), deadline_(timers) {}

void authenticator_side::start(auth_protocol p) {
	proto_ = p;
	finished_ = false;
	tries_ = 0;
	deadline_.start(cfg_.timeout, [this] { finish(auth_result::timeout, nullptr); });
	if (p == auth_protocol::chap_md5) {
		challenge_.resize(16);
		rng_.fill(challenge_);
		id_ = rng_.next<uint8_t>();
		send_challenge();
	}
}

void authenticator_side::send_challenge() {
	if (tries_++ >= cfg_.max_retries) {
		finish(auth_result::timeout, nullptr);
		return;
	}
	std::array<uint8_t, 512> buf;
	const size_t n = codec::chap::build_value(buf, codec::chap::code::challenge, id_, challenge_, bytes_of(cfg_.name));
	sink_.send_frame(codec::proto::chap, std::span(buf.data(), n));
	retry_.start(cfg_.retry, [this] { send_challenge(); });
}

void authenticator_side::receive(uint16_t protocol, std::span<const uint8_t> packet) {
	auto v = codec::parse_control(packet);
	if (!v)
		return;
	std::array<uint8_t, 512> buf;
	if (protocol == codec::proto::pap && proto_ == auth_protocol::pap) {
		if (v->code != static_cast<uint8_t>(codec::pap::code::authenticate_request))
			return;
		auto r = codec::pap::parse_request(*v);
		if (!r)
			return;
		if (finished_) {
			// A retransmitted request after our answer was lost: answer again the same.
			const size_t n = codec::pap::build_reply(buf, last_ok_, v->identifier);
			sink_.send_frame(codec::proto::pap, std::span(buf.data(), n));
			return;
		}
		aaa::auth_request req;
		req.method = aaa::auth_method::pap;
		req.user.assign(r->peer_id.begin(), r->peer_id.end());
		req.password.assign(r->password.begin(), r->password.end());
		user_ = req.user;
		auto res = aaa_.authenticate(req);
		last_ok_ = res.has_value();
		const std::string_view msg = res ? "Login ok" : "Login incorrect";
		const size_t n = codec::pap::build_reply(buf, res.has_value(), v->identifier, bytes_of(msg));
		sink_.send_frame(codec::proto::pap, std::span(buf.data(), n));
		finish(res ? auth_result::success : auth_result::failure, res ? &*res : nullptr);
		return;
	}
	if (protocol == codec::proto::chap && proto_ == auth_protocol::chap_md5) {
		if (v->code != static_cast<uint8_t>(codec::chap::code::response) || v->identifier != id_)
			return;
		if (finished_) {
			// Our Success/Failure was lost and the peer repeats its Response (RFC 1994 §4.2).
			const size_t n = codec::chap::build_message(
			        buf, last_ok_ ? codec::chap::code::success : codec::chap::code::failure, id_);
			sink_.send_frame(codec::proto::chap, std::span(buf.data(), n));
			return;
		}
		auto r = codec::chap::parse_value(*v);
		if (!r)
			return;
		aaa::auth_request req;
		req.method = aaa::auth_method::chap_md5;
		req.user.assign(r->name.begin(), r->name.end());
		req.chap_id = id_;
		req.challenge = challenge_;
		req.response.assign(r->value.begin(), r->value.end());
		user_ = req.user;
		auto res = aaa_.authenticate(req);
		last_ok_ = res.has_value();
		const std::string_view msg = res ? "Welcome" : "Access denied";
		const size_t n = codec::chap::build_message(buf, res ? codec::chap::code::success : codec::chap::code::failure,
		                                            id_, bytes_of(msg));
		sink_.send_frame(codec::proto::chap, std::span(buf.data(), n));
		finish(res ? auth_result::success : auth_result::failure, res ? &*res : nullptr);
	}
}

bool authenticator_side::check_proxy(uint16_t type, std::string_view name, std::span<const uint8_t> challenge,
                                     uint8_t id, std::span<const uint8_t> response) {
	aaa::auth_request req;
	req.user = std::string(name);
	if (type == 3) { // PAP: the response is the password
		req.method = aaa::auth_method::pap;
		req.password.assign(response.begin(), response.end());
	} else if (type == 2) {
		req.method = aaa::auth_method::chap_md5;
		req.chap_id = id;
		req.challenge.assign(challenge.begin(), challenge.end());
		req.response.assign(response.begin(), response.end());
	} else {
		return false;
	}
	user_ = req.user;
	auto res = aaa_.authenticate(req);
	finished_ = false;
	finish(res ? auth_result::success : auth_result::failure, res ? &*res : nullptr);
	return res.has_value();
}

void authenticator_side::finish(auth_result r, const aaa::auth_accept *a) {
	if (finished_)
		return;
	finished_ = true;
	retry_.stop();
	deadline_.stop();
	done_(r, a, user_);
}

void authenticator_side::stop() {
	retry_.stop();
	deadline_.stop();
	finished_ = true;
}

// --- peer -------------------------------------------------------------------------------

peer_side::peer_side(timer_service &timers, const auth_config &cfg, frame_sink &sink, done_fn done)
    : cfg_(cfg), sink_(sink), done_(std::move(done)), retry_(timers) {}

void peer_side::start(auth_protocol p) {
	proto_ = p;
	finished_ = false;
	tries_ = 0;
	if (p == auth_protocol::pap)
		send_pap();
	// CHAP: wait for the Challenge.
}

void peer_side::send_pap() {
	if (tries_++ >= cfg_.max_retries) {
		finish(auth_result::timeout);
		return;
	}
	++id_;
	std::array<uint8_t, 600> buf;
	const size_t n = codec::pap::build_request(buf, id_, bytes_of(cfg_.user), bytes_of(cfg_.secret));
	sink_.send_frame(codec::proto::pap, std::span(buf.data(), n));
	retry_.start(cfg_.retry, [this] { send_pap(); });
}

void peer_side::receive(uint16_t protocol, std::span<const uint8_t> packet) {
	auto v = codec::parse_control(packet);
	if (!v || finished_)
		return;
	if (protocol == codec::proto::pap && proto_ == auth_protocol::pap) {
		auto r = codec::pap::parse_reply(*v);
		if (!r || v->identifier != id_)
			return;
		finish(r->ack ? auth_result::success : auth_result::failure);
		return;
	}
	if (protocol == codec::proto::chap && proto_ == auth_protocol::chap_md5) {
		if (v->code == static_cast<uint8_t>(codec::chap::code::challenge)) {
			auto c = codec::chap::parse_value(*v);
			if (!c)
				return;
			id_ = v->identifier;
			auto resp = codec::chap::md5_response(id_, bytes_of(cfg_.secret), c->value);
			if (!resp)
				return;
			std::array<uint8_t, 600> buf;
			const size_t n = codec::chap::build_value(buf, codec::chap::code::response, id_, *resp, bytes_of(cfg_.user));
			response_.assign(buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(n));
			tries_ = 0;
			send_response();
		} else if (v->code == static_cast<uint8_t>(codec::chap::code::success) && v->identifier == id_) {
			finish(auth_result::success);
		} else if (v->code == static_cast<uint8_t>(codec::chap::code::failure) && v->identifier == id_) {
			finish(auth_result::failure);
		}
	}
}

// Until Success or Failure arrives: the authenticator answers a repeated Response again.
void peer_side::send_response() {
	if (tries_++ >= cfg_.max_retries) {
		finish(auth_result::timeout);
		return;
	}
	sink_.send_frame(codec::proto::chap, response_);
	retry_.start(cfg_.retry, [this] { send_response(); });
}

void peer_side::finish(auth_result r) {
	if (finished_)
		return;
	finished_ = true;
	retry_.stop();
	done_(r);
}

void peer_side::stop() {
	retry_.stop();
	finished_ = true;
}

} // namespace l2tpx::cp::ppp
