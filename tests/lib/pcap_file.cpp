#include "tests/lib/pcap_file.hpp"

#include <pcap/pcap.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>

static_assert(DLT_EN10MB == l2tpx::testlib::linktype_ethernet);
static_assert(DLT_RAW == l2tpx::testlib::linktype_raw);
static_assert(DLT_LINUX_SLL == l2tpx::testlib::linktype_linux_sll);

namespace l2tpx::testlib {

const char *to_string(pcap_error err) noexcept {
	switch (err) {
#define X(name)                                                                                            \
	case pcap_error::name:                                                                             \
		return #name;
		L2TPX_PCAP_ERRORS(X)
#undef X
	}
	return "unknown";
}

std::string describe(const pcap_failure &failure) {
	std::string s = to_string(failure.code);
	if (failure.detail[0] != '\0') {
		s += ": ";
		s += failure.detail;
	}
	return s;
}

namespace {

unexpected<pcap_failure> fail(pcap_error code, const std::string &detail) {
	pcap_failure f{};
	f.code = code;
	std::snprintf(f.detail, sizeof(f.detail), "%s", detail.c_str());
	return unexpected{f};
}

struct pcap_closer {
	void operator()(pcap_t *p) const noexcept { pcap_close(p); }
};
struct dumper_closer {
	void operator()(pcap_dumper_t *d) const noexcept { pcap_dump_close(d); }
};
using pcap_ptr = std::unique_ptr<pcap_t, pcap_closer>;
using dumper_ptr = std::unique_ptr<pcap_dumper_t, dumper_closer>;

} // namespace

result<pcap_capture, pcap_failure> read_pcap(const std::string &path) {
	char errbuf[PCAP_ERRBUF_SIZE] = {};
	pcap_ptr p(pcap_open_offline_with_tstamp_precision(path.c_str(), PCAP_TSTAMP_PRECISION_NANO, errbuf));
	if (!p)
		return fail(pcap_error::open_failed, path + ": " + errbuf);

	pcap_capture cap;
	cap.linktype = pcap_datalink(p.get());
	for (;;) {
		pcap_pkthdr *hdr = nullptr;
		const u_char *bytes = nullptr;
		const int rc = pcap_next_ex(p.get(), &hdr, &bytes);
		if (rc == PCAP_ERROR_BREAK) // end of file
			break;
		if (rc != 1)
			return fail(pcap_error::read_failed, path + ": " + pcap_geterr(p.get()));
		pcap_packet pkt;
		pkt.ts_ns = static_cast<uint64_t>(hdr->ts.tv_sec) * 1'000'000'000ULL +
		            static_cast<uint64_t>(hdr->ts.tv_usec); // tv_usec holds ns at nano precision
		pkt.orig_len = hdr->len;
		pkt.data.assign(bytes, bytes + hdr->caplen);
		cap.packets.push_back(std::move(pkt));
	}
	return cap;
}

result<void, pcap_failure> write_pcap(const std::string &path, std::span<const pcap_packet> packets,
                                      int linktype) {
	if (pcap_datalink_val_to_name(linktype) == nullptr)
		return fail(pcap_error::bad_linktype, "link-layer type " + std::to_string(linktype));
	for (size_t i = 0; i < packets.size(); i++)
		if (packets[i].data.size() > pcap_snaplen)
			return fail(pcap_error::packet_too_big,
			            "packet " + std::to_string(i) + " has " + std::to_string(packets[i].data.size()) +
			                " bytes");

	pcap_ptr dead(pcap_open_dead_with_tstamp_precision(linktype, static_cast<int>(pcap_snaplen),
	                                                   PCAP_TSTAMP_PRECISION_MICRO));
	if (!dead)
		return fail(pcap_error::bad_linktype, "pcap_open_dead failed");
	errno = 0;
	dumper_ptr d(pcap_dump_open(dead.get(), path.c_str()));
	if (!d)
		return fail(pcap_error::write_failed, path + ": " + pcap_geterr(dead.get()));

	for (const pcap_packet &pkt : packets) {
		pcap_pkthdr hdr{};
		hdr.ts.tv_sec = static_cast<time_t>(pkt.ts_ns / 1'000'000'000ULL);
		hdr.ts.tv_usec = static_cast<suseconds_t>((pkt.ts_ns % 1'000'000'000ULL) / 1000);
		hdr.caplen = static_cast<bpf_u_int32>(pkt.data.size());
		hdr.len = pkt.orig_len != 0 ? pkt.orig_len : hdr.caplen;
		pcap_dump(reinterpret_cast<u_char *>(d.get()), &hdr, pkt.data.data());
	}
	if (pcap_dump_flush(d.get()) != 0)
		return fail(pcap_error::write_failed, path + ": " + std::strerror(errno));
	FILE *f = pcap_dump_file(d.get());
	if (f == nullptr || std::ferror(f) != 0)
		return fail(pcap_error::write_failed, path + ": stream error");
	return {};
}

result<void, pcap_failure> write_pcap(const std::string &path, std::span<const std::vector<uint8_t>> frames,
                                      int linktype, uint64_t base_ns) {
	std::vector<pcap_packet> packets;
	packets.reserve(frames.size());
	for (size_t i = 0; i < frames.size(); i++)
		packets.push_back(pcap_packet{base_ns + i * 1'000'000ULL, 0, frames[i]});
	return write_pcap(path, packets, linktype);
}

} // namespace l2tpx::testlib
