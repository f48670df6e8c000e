#include "shared/ppp/protocol.hpp"

namespace l2tpx::ppp {

const char *protocol_name(uint16_t p) noexcept {
	switch (p) {
	case proto::ipv4: return "ipv4";
	case proto::vj_compressed: return "vj_compressed";
	case proto::vj_uncompressed: return "vj_uncompressed";
	case proto::multilink: return "multilink";
	case proto::ipv6: return "ipv6";
	case proto::compressed: return "compressed";
	case proto::mpls_unicast: return "mpls_unicast";
	case proto::mpls_multicast: return "mpls_multicast";
	case proto::ipcp: return "ipcp";
	case proto::ecp: return "ecp";
	case proto::ipv6cp: return "ipv6cp";
	case proto::ccp: return "ccp";
	case proto::mplscp: return "mplscp";
	case proto::lcp: return "lcp";
	case proto::pap: return "pap";
	case proto::lqr: return "lqr";
	case proto::bacp: return "bacp";
	case proto::bap: return "bap";
	case proto::chap: return "chap";
	case proto::eap: return "eap";
	default: return nullptr;
	}
}

} // namespace l2tpx::ppp
