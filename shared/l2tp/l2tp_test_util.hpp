// Test helpers for shared/l2tp: hex vectors and a buffer whose end touches an unmapped page,
// so a parser that reads one byte past its span faults even without ASan.
#pragma once

#include <sys/mman.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace l2tpx::l2tp::test {

inline std::vector<uint8_t> from_hex(std::string_view s) {
	auto nib = [](char c) -> int {
		if (c >= '0' && c <= '9')
			return c - '0';
		if (c >= 'a' && c <= 'f')
			return c - 'a' + 10;
		if (c >= 'A' && c <= 'F')
			return c - 'A' + 10;
		return -1;
	};
	std::vector<uint8_t> out;
	int hi = -1;
	for (char c : s) {
		if (c == ' ' || c == ':' || c == '\n')
			continue;
		const int v = nib(c);
		if (v < 0)
			throw std::invalid_argument("bad hex digit in test vector");
		if (hi < 0) {
			hi = v;
		} else {
			out.push_back(static_cast<uint8_t>(hi << 4 | v));
			hi = -1;
		}
	}
	if (hi >= 0)
		throw std::invalid_argument("odd number of hex digits in test vector");
	return out;
}

inline std::string to_hex(std::span<const uint8_t> b) {
	static constexpr char digits[] = "0123456789abcdef";
	std::string s;
	for (uint8_t c : b) {
		s.push_back(digits[c >> 4]);
		s.push_back(digits[c & 0xf]);
	}
	return s;
}

// Holds up to one page of bytes placed so that the last byte is followed by a PROT_NONE page.
class guarded_buffer {
public:
	guarded_buffer() {
		page_ = static_cast<size_t>(::sysconf(_SC_PAGESIZE));
		void *m = ::mmap(nullptr, 2 * page_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (m == MAP_FAILED)
			throw std::runtime_error("mmap failed");
		base_ = static_cast<uint8_t *>(m);
		if (::mprotect(base_ + page_, page_, PROT_NONE) != 0)
			throw std::runtime_error("mprotect failed");
	}
	guarded_buffer(const guarded_buffer &) = delete;
	guarded_buffer &operator=(const guarded_buffer &) = delete;
	~guarded_buffer() { ::munmap(base_, 2 * page_); }

	// Copy bytes so they end exactly at the guard page; returns the span over the copy.
	std::span<uint8_t> place(std::span<const uint8_t> bytes) {
		if (bytes.size() > page_)
			throw std::length_error("vector larger than a page");
		uint8_t *p = base_ + page_ - bytes.size();
		if (!bytes.empty())
			std::memcpy(p, bytes.data(), bytes.size());
		return {p, bytes.size()};
	}

private:
	size_t page_ = 0;
	uint8_t *base_ = nullptr;
};

// True when `inner` lies within `outer` (an empty span anywhere in or at the end of outer).
inline bool within(std::span<const uint8_t> inner, std::span<const uint8_t> outer) {
	return inner.data() >= outer.data() && inner.data() + inner.size() <= outer.data() + outer.size();
}

// Reference encoders, written byte by byte from the RFC diagrams and independent of the
// library's builders: the tests compare both, and feed these to the parsers.
struct v2_ref {
	bool t = false, l = false, s = false, o = false, p = false;
	uint16_t tid = 0, sid = 0, ns = 0, nr = 0, off = 0;
	uint8_t pad_byte = 0;         // value of each offset-padding byte
	std::vector<uint8_t> payload; // bytes after the header
	uint16_t reserved_bits = 0;   // x bits to set in the first word (ignored on receive)
};

inline void put16(std::vector<uint8_t> &v, uint32_t x) {
	v.push_back(static_cast<uint8_t>(x >> 8));
	v.push_back(static_cast<uint8_t>(x));
}
inline void put32(std::vector<uint8_t> &v, uint32_t x) {
	put16(v, x >> 16);
	put16(v, x & 0xffff);
}

inline size_t v2_ref_header_len(const v2_ref &r) {
	return 6u + (r.l ? 2u : 0u) + (r.s ? 4u : 0u) + (r.o ? 2u + r.off : 0u);
}

inline std::vector<uint8_t> encode_v2_ref(const v2_ref &r) {
	std::vector<uint8_t> v;
	uint8_t b0 = 0, b1 = 0x02;
	if (r.t)
		b0 |= 0x80;
	if (r.l)
		b0 |= 0x40;
	if (r.s)
		b0 |= 0x08;
	if (r.o)
		b0 |= 0x02;
	if (r.p)
		b0 |= 0x01;
	b0 |= static_cast<uint8_t>(r.reserved_bits >> 8);
	b1 |= static_cast<uint8_t>(r.reserved_bits & 0xf0);
	v.push_back(b0);
	v.push_back(b1);
	if (r.l)
		put16(v, static_cast<uint32_t>(v2_ref_header_len(r) + r.payload.size()));
	put16(v, r.tid);
	put16(v, r.sid);
	if (r.s) {
		put16(v, r.ns);
		put16(v, r.nr);
	}
	if (r.o) {
		put16(v, r.off);
		v.insert(v.end(), r.off, r.pad_byte);
	}
	v.insert(v.end(), r.payload.begin(), r.payload.end());
	return v;
}

struct v3_data_ref {
	bool udp = false;
	uint32_t sid = 0;
	std::vector<uint8_t> cookie; // 0, 4 or 8 bytes
	bool l2ss = false, l2ss_s = false;
	uint32_t seq = 0;            // 24 bits
	std::vector<uint8_t> payload;
};

inline std::vector<uint8_t> encode_v3_data_ref(const v3_data_ref &r) {
	std::vector<uint8_t> v;
	if (r.udp) {
		put16(v, 0x0003);
		put16(v, 0);
	}
	put32(v, r.sid);
	v.insert(v.end(), r.cookie.begin(), r.cookie.end());
	if (r.l2ss)
		put32(v, (r.l2ss_s ? 0x40000000u : 0u) | (r.seq & 0xffffffu));
	v.insert(v.end(), r.payload.begin(), r.payload.end());
	return v;
}

struct v3_control_ref {
	bool ip = false;
	uint32_t ccid = 0;
	uint16_t ns = 0, nr = 0;
	std::vector<uint8_t> payload; // AVPs
};

inline std::vector<uint8_t> encode_v3_control_ref(const v3_control_ref &r) {
	std::vector<uint8_t> v;
	if (r.ip)
		put32(v, 0);
	put16(v, 0xc803);
	put16(v, static_cast<uint32_t>(12 + r.payload.size()));
	put32(v, r.ccid);
	put16(v, r.ns);
	put16(v, r.nr);
	v.insert(v.end(), r.payload.begin(), r.payload.end());
	return v;
}

} // namespace l2tpx::l2tp::test
