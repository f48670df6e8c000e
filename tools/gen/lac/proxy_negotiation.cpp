#include "tools/gen/lac/proxy_negotiation.hpp"

#include <array>

#include "shared/ppp/chap.hpp"
#include "shared/ppp/lcp.hpp"

namespace l2tpx::gen {

namespace lcpc = ::l2tpx::ppp::lcp;
namespace chap = ::l2tpx::ppp::chap;

namespace {

// RFC 2661 §4.4.5: "starting at the first option within the body of the LCP message", the
// options without the Code/Identifier/Length header.
template <typename Fill> std::vector<uint8_t> confreq_options(Fill fill) {
	std::array<uint8_t, 64> buf;
	::l2tpx::ppp::packet_writer w(buf, ::l2tpx::ppp::cp_code::configure_request, 1);
	fill(w);
	const size_t n = w.finish();
	if (n < 4)
		return {};
	return std::vector<uint8_t>(buf.begin() + 4, buf.begin() + static_cast<std::ptrdiff_t>(n));
}

uint32_t nonzero(cp::random_source &rng) {
	uint32_t m = 0;
	while (m == 0)
		m = rng.next<uint32_t>();
	return m;
}

std::span<const uint8_t> bytes_of(const std::string &s) {
	return {reinterpret_cast<const uint8_t *>(s.data()), s.size()};
}

} // namespace

bool synthesise_proxy(const proxy_spec &spec, cp::random_source &rng, cp::call_params &p) {
	if (!spec.lcp)
		return true;
	// PPP fields carry a name or secret in one octet of length (PAP) or in the packet.
	if (spec.user.size() > 255 || spec.secret.size() > 255)
		return false;
	const uint32_t user_magic = nonzero(rng);
	uint32_t lac_magic = nonzero(rng);
	while (lac_magic == user_magic)
		lac_magic = nonzero(rng);
	std::vector<uint8_t> user_req = confreq_options([&](::l2tpx::ppp::packet_writer &w) {
		if (spec.user_mru != lcpc::default_mru)
			lcpc::add_mru(w, spec.user_mru);
		lcpc::add_magic_number(w, user_magic);
	});
	std::vector<uint8_t> lac_req = confreq_options([&](::l2tpx::ppp::packet_writer &w) {
		if (spec.method == proxy_method::chap)
			lcpc::add_auth_chap(w, lcpc::chap_md5);
		else
			lcpc::add_auth_pap(w);
		lcpc::add_magic_number(w, lac_magic);
	});
	if (user_req.empty() || lac_req.empty())
		return false;
	cp::call_params q = p;
	q.initial_received_lcp_confreq = user_req; // the user asked once: initial = last
	q.last_received_lcp_confreq = std::move(user_req);
	q.last_sent_lcp_confreq = std::move(lac_req);
	if (spec.auth) {
		q.has_proxy_auth = true;
		q.proxy_authen_name = spec.user;
		if (spec.method == proxy_method::pap) {
			q.proxy_authen_type = proxy_authen_pap;
			q.proxy_authen_id = 0; // sent for CHAP only
			q.proxy_authen_challenge.clear();
			q.proxy_authen_response.assign(spec.secret.begin(), spec.secret.end());
		} else {
			q.proxy_authen_type = proxy_authen_chap;
			const uint8_t id = rng.next<uint8_t>();
			std::vector<uint8_t> challenge(16);
			rng.fill(challenge);
			auto r = chap::md5_response(id, bytes_of(spec.secret), challenge);
			if (!r)
				return false;
			q.proxy_authen_id = id;
			q.proxy_authen_challenge = std::move(challenge);
			q.proxy_authen_response.assign(r->begin(), r->end());
		}
	}
	p = std::move(q);
	return true;
}

} // namespace l2tpx::gen
