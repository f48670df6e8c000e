// Test helper: read every packet of a pcap file and write pcap files from byte vectors,
// through libpcap. For tests and tools only: it allocates freely and is not a hot path.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "shared/base/result.hpp"

namespace l2tpx::testlib {

// Link-layer types used by the tests, as libpcap's DLT_ values on Linux (what
// pcap_datalink() returns; libpcap maps them to and from the LINKTYPE_ values in files).
inline constexpr int linktype_ethernet = 1;    // DLT_EN10MB
inline constexpr int linktype_raw = 12;        // DLT_RAW (LINKTYPE_RAW 101 in files): bare IPv4/IPv6
inline constexpr int linktype_linux_sll = 113; // DLT_LINUX_SLL: captures on "any"

#define L2TPX_PCAP_ERRORS(X)                                                                          \
	X(open_failed)    /* the file could not be opened or is not a pcap/pcapng file */                  \
	X(read_failed)    /* libpcap reported an error in the middle of the file */                        \
	X(write_failed)   /* the output file could not be created or written */                            \
	X(bad_linktype)   /* libpcap does not know the requested link-layer type */                        \
	X(packet_too_big) /* a packet to write is longer than the snap length */

enum class pcap_error : uint8_t {
#define X(name) name,
	L2TPX_PCAP_ERRORS(X)
#undef X
};

const char *to_string(pcap_error err) noexcept;

// Snap length of the files we write: larger than any jumbo frame we generate.
inline constexpr uint32_t pcap_snaplen = 65535;

struct pcap_packet {
	uint64_t ts_ns = 0;         // capture time, nanoseconds since the Unix epoch
	uint32_t orig_len = 0;      // length on the wire (>= data.size() when truncated by snaplen)
	std::vector<uint8_t> data;  // captured bytes
};

struct pcap_capture {
	int linktype = linktype_ethernet;
	std::vector<pcap_packet> packets;
};

// An error code plus libpcap's message (or the OS error), for test failure output.
struct pcap_failure {
	pcap_error code;
	char detail[256]; // NUL-terminated
};

std::string describe(const pcap_failure &failure);

// Reads every packet of a pcap or pcapng file, with nanosecond timestamps.
result<pcap_capture, pcap_failure> read_pcap(const std::string &path);

// Writes a classic pcap file (microsecond timestamps) of the given link-layer type.
// orig_len 0 means "data.size()".
result<void, pcap_failure> write_pcap(const std::string &path, std::span<const pcap_packet> packets,
                                      int linktype = linktype_ethernet);

// Writes frames with deterministic timestamps: base_ns, then one millisecond apart, so the
// same input always produces the same file bytes.
result<void, pcap_failure> write_pcap(const std::string &path, std::span<const std::vector<uint8_t>> frames,
                                      int linktype = linktype_ethernet,
                                      uint64_t base_ns = 1'700'000'000'000'000'000ULL);

} // namespace l2tpx::testlib
