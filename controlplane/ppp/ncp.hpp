// Network control protocols: IPCP (RFC 1332, DNS options RFC 1877) and IPv6CP (RFC 5072),
// each as server (LNS: assigns the peer's address / checks its interface identifier) or
// client (LAC / generator: asks for an address and DNS servers).
#pragma once

#include <cstdint>
#include <optional>

#include "controlplane/core/ip.hpp"
#include "controlplane/core/random.hpp"
#include "controlplane/ppp/control_protocol.hpp"

namespace l2tpx::cp::ppp {

struct ipcp_config {
	bool server = true;
	ipv4_addr local;                       // server: our address (the gateway)
	std::optional<ipv4_addr> dns1, dns2;   // server: offered; client: learned
	bool client_wants_dns = true;
};

class ipcp final : public control_protocol {
public:
	ipcp(timer_service &timers, const fsm_config &fcfg, const ipcp_config &cfg, frame_sink &sink, layer_events &events);
	// Server: the address to give the peer (from the pool or the user's fixed one).
	void set_peer_address(ipv4_addr a) noexcept { peer_addr_ = a; }
	// Opened with this peer address, nothing sent (a link adopted after a restart).
	void restore(ipv4_addr peer) {
		peer_addr_ = peer;
		force_opened();
	}
	ipv4_addr peer_address() const noexcept { return peer_addr_; }
	ipv4_addr local_address() const noexcept { return local_; }
	std::optional<ipv4_addr> dns1() const noexcept { return dns1_; }
	std::optional<ipv4_addr> dns2() const noexcept { return dns2_; }

private:
	void write_request(codec::packet_writer &w) override;
	void begin_peer_request() override { cand_addr_.reset(); }
	option_verdict check_option(const codec::option_view &o, codec::packet_writer &nak) override;
	bool demand_missing(codec::packet_writer &nak) override;
	void commit_peer_request() override;
	void request_nakked(const codec::option_list &opts, bool reject) override;

	ipcp_config cfg_;
	ipv4_addr local_, peer_addr_;
	std::optional<ipv4_addr> dns1_, dns2_;
	bool ask_dns1_, ask_dns2_;
	bool send_addr_ = true;
	std::optional<ipv4_addr> cand_addr_;
};

class ipv6cp final : public control_protocol {
public:
	ipv6cp(timer_service &timers, random_source &rng, const fsm_config &fcfg, frame_sink &sink, layer_events &events);
	uint64_t local_iid() const noexcept { return local_iid_; }
	uint64_t peer_iid() const noexcept { return peer_iid_; }
	// Opened with these interface identifiers, nothing sent (a link adopted after a restart).
	void restore(uint64_t local_iid, uint64_t peer_iid) {
		local_iid_ = local_iid;
		peer_iid_ = peer_iid;
		force_opened();
	}

private:
	void write_request(codec::packet_writer &w) override;
	void begin_peer_request() override { cand_iid_ = 0; }
	option_verdict check_option(const codec::option_view &o, codec::packet_writer &nak) override;
	void commit_peer_request() override { peer_iid_ = cand_iid_; }
	void request_nakked(const codec::option_list &opts, bool reject) override;
	uint64_t new_iid();

	random_source &rng_;
	uint64_t local_iid_ = 0, peer_iid_ = 0, cand_iid_ = 0;
	bool send_iid_ = true;
};

} // namespace l2tpx::cp::ppp
