#include "controlplane/ppp/lcp.hpp"

#include <array>

#include "shared/ppp/lcp.hpp"
#include "shared/ppp/protocol.hpp"

namespace l2tpx::cp::ppp {

namespace {
using codec::cp_code;
namespace lcpc = codec::lcp;
} // namespace

std::string_view to_string(auth_protocol a) noexcept {
	switch (a) {
	case auth_protocol::none: return "none";
	case auth_protocol::pap: return "pap";
	case auth_protocol::chap_md5: return "chap_md5";
	}
	return "unknown";
}

lcp::lcp(timer_service &timers, random_source &rng, const fsm_config &fcfg, const lcp_config &cfg, frame_sink &sink,
         layer_events &events, lcp_observer &obs)
    : control_protocol(timers, fcfg, codec::proto::lcp, sink, events), rng_(rng), cfg_(cfg), obs_(obs),
      echo_timer_(timers), send_mru_(cfg.mru != lcpc::default_mru), send_pfc_(cfg.request_pfc),
      send_acfc_(cfg.request_acfc), want_auth_(cfg.require_auth) {
	our_magic_ = new_magic();
}

uint32_t lcp::new_magic() {
	uint32_t m = 0;
	while (m == 0)
		m = rng_.next<uint32_t>();
	return m;
}

void lcp::write_request(codec::packet_writer &w) {
	if (send_mru_)
		lcpc::add_mru(w, cfg_.mru);
	if (want_auth_ == auth_protocol::chap_md5)
		lcpc::add_auth_chap(w, lcpc::chap_md5);
	else if (want_auth_ == auth_protocol::pap)
		lcpc::add_auth_pap(w);
	if (send_magic_)
		lcpc::add_magic_number(w, our_magic_);
	if (send_pfc_)
		lcpc::add_pfc(w);
	if (send_acfc_)
		lcpc::add_acfc(w);
}

void lcp::begin_peer_request() { cand_ = peer_opts{}; }

option_verdict lcp::check_option(const codec::option_view &o, codec::packet_writer &nak) {
	auto d = lcpc::decode_option(o);
	if (!d || !d->known)
		return option_verdict::reject;
	switch (d->type) {
	case lcpc::option_type::mru:
		if (d->mru < 64) { // RFC 1661 leaves the minimum open; below 64 nothing works
			lcpc::add_mru(nak, lcpc::default_mru);
			return option_verdict::nak;
		}
		cand_.mru = d->mru;
		return option_verdict::ack;
	case lcpc::option_type::accm:
		return option_verdict::ack; // synchronous over L2TP: meaningless but harmless
	case lcpc::option_type::magic_number:
		if (d->magic == 0 || (send_magic_ && d->magic == our_magic_)) {
			// Possibly looped back (§6.4): Nak with another number. Ours changes when our
			// own request is Nak'd (which is what a looped link does to it).
			if (d->magic != 0 && ++loopbacks_ >= cfg_.max_loopback) {
				obs_.looped_back();
				return option_verdict::reject;
			}
			lcpc::add_magic_number(nak, new_magic());
			return option_verdict::nak;
		}
		cand_.magic = d->magic;
		return option_verdict::ack;
	case lcpc::option_type::auth_protocol:
		if (d->protocol == codec::proto::chap && d->chap_algorithm == lcpc::chap_md5 && cfg_.accept_chap) {
			cand_.auth = auth_protocol::chap_md5;
			return option_verdict::ack;
		}
		if (d->protocol == codec::proto::pap && cfg_.accept_pap) {
			cand_.auth = auth_protocol::pap;
			return option_verdict::ack;
		}
		// Suggest what we can do (§6.2: Nak with the protocol we prefer).
		if (cfg_.accept_chap)
			lcpc::add_auth_chap(nak, lcpc::chap_md5);
		else if (cfg_.accept_pap)
			lcpc::add_auth_pap(nak);
		else
			return option_verdict::reject;
		return option_verdict::nak;
	case lcpc::option_type::pfc:
		cand_.pfc = true;
		return option_verdict::ack;
	case lcpc::option_type::acfc:
		cand_.acfc = true;
		return option_verdict::ack;
	default:
		return option_verdict::reject; // quality protocol and the rest
	}
}

void lcp::commit_peer_request() {
	peer_mru_ = cand_.mru;
	peer_magic_ = cand_.magic;
	peer_auth_ = cand_.auth;
	peer_pfc_ = cand_.pfc;
	peer_acfc_ = cand_.acfc;
}

void lcp::request_nakked(const codec::option_list &opts, bool reject) {
	for (const auto &o : opts) {
		auto d = lcpc::decode_option(o);
		if (!d)
			continue;
		switch (d->type) {
		case lcpc::option_type::mru:
			if (reject || d->mru >= cfg_.mru)
				send_mru_ = false; // the peer will send us at most the default
			break;
		case lcpc::option_type::magic_number:
			if (reject)
				send_magic_ = false;
			else
				our_magic_ = new_magic();
			break;
		case lcpc::option_type::auth_protocol:
			if (reject) {
				// The peer refuses to authenticate: the link cannot come up as configured.
				// Keep asking; the Restart counter ends the negotiation.
				break;
			}
			if (cfg_.allow_auth_fallback && want_auth_ == auth_protocol::chap_md5 &&
			    d->protocol == codec::proto::pap)
				want_auth_ = auth_protocol::pap;
			break;
		case lcpc::option_type::pfc:
			send_pfc_ = false;
			break;
		case lcpc::option_type::acfc:
			send_acfc_ = false;
			break;
		default:
			break;
		}
	}
}

bool lcp::extra_code(const codec::control_view &v) {
	switch (v.code) {
	case static_cast<uint8_t>(cp_code::protocol_reject): {
		auto pr = lcpc::parse_protocol_reject(v);
		if (!pr) {
			++counters_.rx_malformed;
			return true;
		}
		if (pr->protocol == codec::proto::lcp) {
			fsm().handle(fsm_event::rxj_minus);
		} else {
			fsm().handle(fsm_event::rxj_plus);
			if (fsm().is_opened())
				obs_.protocol_rejected(pr->protocol);
		}
		return true;
	}
	case static_cast<uint8_t>(cp_code::echo_request):
	case static_cast<uint8_t>(cp_code::discard_request):
		if (auto b = lcpc::parse_magic_body(v); b && peer_magic_ && b->magic == our_magic_ && our_magic_) {
			// Our own magic coming back: the link is looped.
			++loopbacks_;
		}
		fsm().handle(fsm_event::rxr);
		return true;
	case static_cast<uint8_t>(cp_code::echo_reply): {
		auto b = lcpc::parse_magic_body(v);
		if (!b) {
			++counters_.rx_malformed;
			return true;
		}
		if (b->magic == our_magic_ && our_magic_ != 0)
			++loopbacks_;
		else
			echo_outstanding_ = 0;
		fsm().handle(fsm_event::rxr);
		return true;
	}
	case static_cast<uint8_t>(cp_code::identification):
	case static_cast<uint8_t>(cp_code::time_remaining):
		return true; // informational (RFC 1570)
	default:
		return false;
	}
}

void lcp::send_echo_reply() {
	const auto &v = current();
	if (v.code != static_cast<uint8_t>(cp_code::echo_request))
		return;
	auto b = lcpc::parse_magic_body(v);
	if (!b)
		return;
	std::array<uint8_t, 1500> buf;
	const size_t n = lcpc::build_echo_reply(buf, v.identifier, send_magic_ ? our_magic_ : 0, b->data);
	send_packet(std::span(buf.data(), n));
}

void lcp::this_layer_up() {
	echo_outstanding_ = 0;
	if (cfg_.echo_interval > duration::zero())
		echo_timer_.start(cfg_.echo_interval, [this] { echo_tick(); });
	control_protocol::this_layer_up();
}

void lcp::this_layer_down() {
	echo_timer_.stop();
	control_protocol::this_layer_down();
}

void lcp::echo_tick() {
	if (!fsm().is_opened())
		return;
	if (echo_outstanding_ >= cfg_.echo_failures) {
		obs_.peer_dead(); // may close the link: nothing after this
		return;
	}
	++echo_outstanding_;
	std::array<uint8_t, 16> buf;
	const size_t n = lcpc::build_echo_request(buf, ++echo_id_, send_magic_ ? our_magic_ : 0);
	send_packet(std::span(buf.data(), n));
	echo_timer_.start(cfg_.echo_interval, [this] { echo_tick(); });
}

void lcp::reject_protocol(uint16_t protocol, std::span<const uint8_t> info) {
	if (!fsm().is_opened())
		return;
	std::array<uint8_t, 1500> buf;
	const size_t n = lcpc::build_protocol_reject(buf, next_protocol_reject_id_++, protocol, info, peer_mru_);
	send_packet(std::span(buf.data(), n));
}

bool lcp::accept_proxy(std::span<const uint8_t> ours, std::span<const uint8_t> peers) {
	// `ours`: the request made on our side of the proxied negotiation (LNS: the LAC's Last
	// Sent CONFREQ, what it asked of the user; client: the user's own request). `peers`: the
	// other side's (LNS: the user's, Last Received; client: the LAC's, Last Sent).
	auto parse = [](std::span<const uint8_t> req) -> std::optional<codec::option_list> {
		auto v = codec::parse_control(req);
		if (!v || v->code != static_cast<uint8_t>(cp_code::configure_request)) {
			// RFC 2661 §4.4.5 sends the options alone, without the packet header; some LACs
			// send the whole packet.
			auto l = codec::option_list::parse(req);
			return l ? std::optional(*l) : std::nullopt;
		}
		auto l = codec::option_list::parse(v->data);
		return l ? std::optional(*l) : std::nullopt;
	};
	// The authentication an Authentication-Protocol option asks for; nullopt: not one we run.
	auto auth_of = [](const lcpc::option &d) -> std::optional<auth_protocol> {
		if (d.protocol == codec::proto::pap)
			return auth_protocol::pap;
		if (d.protocol == codec::proto::chap && d.chap_algorithm == lcpc::chap_md5)
			return auth_protocol::chap_md5;
		return std::nullopt;
	};
	auto sent = parse(ours), received = parse(peers);
	if (!sent || !received)
		return false;
	peer_opts p;
	for (const auto &o : *received) {
		auto d = lcpc::decode_option(o);
		if (!d || !d->known)
			return false;
		if (d->type == lcpc::option_type::mru)
			p.mru = d->mru;
		else if (d->type == lcpc::option_type::magic_number)
			p.magic = d->magic;
		else if (d->type == lcpc::option_type::pfc)
			p.pfc = true;
		else if (d->type == lcpc::option_type::acfc)
			p.acfc = true;
		else if (d->type == lcpc::option_type::auth_protocol) {
			auto a = auth_of(*d);
			if (!a)
				return false;
			p.auth = *a;
		}
	}
	auth_protocol auth = auth_protocol::none;
	uint32_t magic = 0;
	for (const auto &o : *sent) {
		auto d = lcpc::decode_option(o);
		if (!d || !d->known)
			return false;
		if (d->type == lcpc::option_type::auth_protocol) {
			auto a = auth_of(*d);
			if (!a)
				return false;
			auth = *a;
		} else if (d->type == lcpc::option_type::magic_number)
			magic = d->magic;
	}
	if (magic != 0 && magic == p.magic)
		return false; // equal magic numbers: looped back, negotiate
	cand_ = p;
	commit_peer_request();
	want_auth_ = auth;
	our_magic_ = magic;
	send_magic_ = magic != 0;
	// Straight to Opened: Open, Up, then the two halves of the negotiation, sending nothing.
	set_silent(true);
	fsm().open();
	fsm().up();
	fsm().handle(fsm_event::rca);
	fsm().handle(fsm_event::rcr_plus);
	set_silent(false);
	return fsm().is_opened();
}

void lcp::restore(const restored &r) {
	peer_mru_ = r.peer_mru;
	peer_pfc_ = r.peer_pfc;
	peer_acfc_ = r.peer_acfc;
	peer_magic_ = r.peer_magic;
	peer_auth_ = auth_protocol::none;
	our_magic_ = r.our_magic;
	send_magic_ = r.our_magic != 0;
	want_auth_ = r.peer_must_auth;
	cfg_.echo_interval = r.echo_interval;
	cfg_.echo_failures = r.echo_failures;
	force_opened();
}

} // namespace l2tpx::cp::ppp
