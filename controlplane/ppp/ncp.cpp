#include "controlplane/ppp/ncp.hpp"

#include "shared/ppp/ipcp.hpp"
#include "shared/ppp/ipv6cp.hpp"
#include "shared/ppp/protocol.hpp"

namespace l2tpx::cp::ppp {

namespace ipcpc = codec::ipcp;
namespace ipv6c = codec::ipv6cp;

// --- IPCP ---------------------------------------------------------------------------------

ipcp::ipcp(timer_service &timers, const fsm_config &fcfg, const ipcp_config &cfg, frame_sink &sink, layer_events &events)
    : control_protocol(timers, fcfg, codec::proto::ipcp, sink, events), cfg_(cfg), local_(cfg.local), dns1_(cfg.dns1),
      dns2_(cfg.dns2), ask_dns1_(!cfg.server && cfg.client_wants_dns), ask_dns2_(!cfg.server && cfg.client_wants_dns) {}

void ipcp::write_request(codec::packet_writer &w) {
	if (send_addr_)
		ipcpc::add_ip_address(w, local_.value); // client: 0.0.0.0 until the server Naks one
	if (ask_dns1_)
		ipcpc::add_primary_dns(w, dns1_ ? dns1_->value : 0);
	if (ask_dns2_)
		ipcpc::add_secondary_dns(w, dns2_ ? dns2_->value : 0);
}

option_verdict ipcp::check_option(const codec::option_view &o, codec::packet_writer &nak) {
	auto d = ipcpc::decode_option(o);
	if (!d || !d->known)
		return option_verdict::reject;
	if (!cfg_.server) {
		// Client: the server tells us its own address; anything else we do not do.
		if (d->type == ipcpc::option_type::ip_address && d->address != 0) {
			cand_addr_ = ipv4_addr{d->address};
			return option_verdict::ack;
		}
		return option_verdict::reject;
	}
	switch (d->type) {
	case ipcpc::option_type::ip_address:
		if (peer_addr_.is_unspecified())
			return option_verdict::reject; // nothing to assign (should not happen: set before open)
		if (d->address != peer_addr_.value) {
			ipcpc::add_ip_address(nak, peer_addr_.value);
			cand_addr_ = peer_addr_; // remember it was present
			return option_verdict::nak;
		}
		cand_addr_ = peer_addr_;
		return option_verdict::ack;
	case ipcpc::option_type::primary_dns:
	case ipcpc::option_type::secondary_dns: {
		const auto &mine = d->type == ipcpc::option_type::primary_dns ? dns1_ : dns2_;
		if (!mine)
			return option_verdict::reject;
		if (d->address != mine->value) {
			ipcpc::add_address_option(nak, d->type, mine->value);
			return option_verdict::nak;
		}
		return option_verdict::ack;
	}
	default:
		return option_verdict::reject; // VJ compression, NBNS, the deprecated IP-Addresses
	}
}

bool ipcp::demand_missing(codec::packet_writer &nak) {
	// The peer did not ask for an address: prompt it with the one it must use (§4.6 allows
	// a Nak to carry options the request lacked).
	if (cfg_.server && !cand_addr_ && !peer_addr_.is_unspecified()) {
		ipcpc::add_ip_address(nak, peer_addr_.value);
		return true;
	}
	return false;
}

void ipcp::commit_peer_request() {
	if (!cfg_.server && cand_addr_)
		peer_addr_ = *cand_addr_; // the server's address
}

void ipcp::request_nakked(const codec::option_list &opts, bool reject) {
	for (const auto &o : opts) {
		auto d = ipcpc::decode_option(o);
		if (!d || !d->known)
			continue;
		switch (d->type) {
		case ipcpc::option_type::ip_address:
			if (reject)
				send_addr_ = false; // the peer does not want to hear our address
			else if (!cfg_.server)
				local_ = ipv4_addr{d->address}; // the address we are given
			break;
		case ipcpc::option_type::primary_dns:
			if (reject)
				ask_dns1_ = false;
			else
				dns1_ = ipv4_addr{d->address};
			break;
		case ipcpc::option_type::secondary_dns:
			if (reject)
				ask_dns2_ = false;
			else
				dns2_ = ipv4_addr{d->address};
			break;
		default:
			break;
		}
	}
}

// --- IPv6CP -------------------------------------------------------------------------------

ipv6cp::ipv6cp(timer_service &timers, random_source &rng, const fsm_config &fcfg, frame_sink &sink, layer_events &events)
    : control_protocol(timers, fcfg, codec::proto::ipv6cp, sink, events), rng_(rng) {
	local_iid_ = new_iid();
}

uint64_t ipv6cp::new_iid() {
	uint64_t v = 0;
	while (v == 0)
		v = rng_.next<uint64_t>();
	return v;
}

void ipv6cp::write_request(codec::packet_writer &w) {
	if (send_iid_)
		ipv6c::add_interface_identifier(w, local_iid_);
}

option_verdict ipv6cp::check_option(const codec::option_view &o, codec::packet_writer &nak) {
	auto d = ipv6c::decode_option(o);
	if (!d || !d->known || d->type != ipv6c::option_type::interface_identifier)
		return option_verdict::reject;
	// RFC 5072 §4.1: zero or equal to ours → Nak with a suggestion.
	if (d->interface_id == 0 || d->interface_id == local_iid_) {
		uint64_t s = new_iid();
		while (s == local_iid_)
			s = new_iid();
		ipv6c::add_interface_identifier(nak, s);
		return option_verdict::nak;
	}
	cand_iid_ = d->interface_id;
	return option_verdict::ack;
}

void ipv6cp::request_nakked(const codec::option_list &opts, bool reject) {
	for (const auto &o : opts) {
		auto d = ipv6c::decode_option(o);
		if (!d || !d->known || d->type != ipv6c::option_type::interface_identifier)
			continue;
		if (reject)
			send_iid_ = false;
		else if (d->interface_id != 0 && d->interface_id != peer_iid_)
			local_iid_ = d->interface_id;
		else
			local_iid_ = new_iid();
	}
}

} // namespace l2tpx::cp::ppp
