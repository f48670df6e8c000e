// The control plane's state file (restart_policy = "adopt"): what a restarted instance
// needs to continue the tunnels and sessions the dataplane still forwards.
//
// One file of fixed-size records, mapped MAP_SHARED: a store into the mapping reaches the
// file (the page cache; tmpfs under /run by default) the moment it is made, so the file
// survives a crash (kill -9) of the process at any point, without a write() or an fsync
// per control message. Layout (host byte order: the file belongs to this machine):
//
//   record 0        header: magic "L2TPXST\n", version, record size, capacity, CRC32
//   record 1..cap   free, or one tunnel, or one session
//
//   record (256 bytes):  kind u32 | crc32 u32 | sequence_mirror (8) | body (240)
//   (version 2: a session body holds the IPv6 prefix, 17 bytes of the former reserve)
//
// A record is written as: kind = writing, body, CRC32 of the body, then kind = tunnel or
// session; it is freed by kind = free. A crash in between leaves a "writing" record
// (counted as torn, ignored). The CRC covers the body only: a tunnel's Ns/Nr live in the
// sequence_mirror outside it and are updated by plain 16-bit stores on every control
// message (reliable_transport::set_mirror). Never a secret in the file.
//
// At start the previous file is read (load_state), then a new one is written under a
// temporary name with the records adopted, and renamed over it (create).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "controlplane/l2tp/reliable_transport.hpp"
#include "controlplane/l2tp/tunnel.hpp"
#include "controlplane/nd/nd_codec.hpp"
#include "controlplane/ppp/ppp_link.hpp"
#include "shared/base/result.hpp"

namespace l2tpx::cp::daemon {

// 2: a session record holds the call's IPv6 prefix. A file of another version is not
// read (wrong_version: the start falls back to flush).
inline constexpr uint32_t state_version = 2;
inline constexpr size_t state_record_size = 256;
inline constexpr size_t state_max_host = 64;  // longer peer host names are cut
inline constexpr size_t state_max_user = 128; // longer user names: the session is not recorded

#define L2TPX_CPD_STATE_ERRORS(X)                                                               \
	X(missing)       /* no file: nothing to adopt */                                          \
	X(unreadable)    /* open/read failed */                                                   \
	X(truncated)     /* shorter than its header says */                                       \
	X(bad_magic)     /* not a state file */                                                   \
	X(wrong_version) /* written by another version of l2tpx-controlplane */                   \
	X(bad_header)    /* header checksum or geometry wrong */

enum class state_error : uint8_t {
#define X(n) n,
	L2TPX_CPD_STATE_ERRORS(X)
#undef X
};
std::string_view to_string(state_error e) noexcept;

struct saved_tunnel {
	tunnel_snapshot t;        // with the sequence state
	int64_t created_ms = 0;   // steady clock (CLOCK_MONOTONIC: same across processes)
};

struct saved_session {
	uint16_t tunnel = 0, session = 0, peer_session = 0;
	bool sequencing = false;
	ppp::link_snapshot link;
	int64_t up_since_ms = 0;  // steady clock
	nd::ipv6_prefix ipv6_prefix{}; // assigned while IPv6CP was open; length 0: none
};

struct state_contents {
	uint32_t capacity = 0;
	std::vector<saved_tunnel> tunnels;
	std::vector<saved_session> sessions;
	uint64_t torn = 0;    // records being written when the process died (ignored)
	uint64_t corrupt = 0; // bad checksum, unknown kind or impossible values (ignored)
};

// Reads a state file written by state_store.
result<state_contents, state_error> load_state(const std::string &path);

class state_store {
public:
	~state_store();
	state_store(const state_store &) = delete;
	state_store &operator=(const state_store &) = delete;

	// Writes a new, empty file of `capacity` records at path.tmp, maps it and renames it
	// over `path` once `fill` has written the first records into it (so the previous file
	// is replaced only by a complete one). nullptr with `error` on failure.
	static std::unique_ptr<state_store> create(const std::string &path, uint32_t capacity, std::string &error);

	static constexpr uint32_t none = UINT32_MAX;
	// A record for the tunnel / session; `none` when the file is full (or the user name
	// is too long). The tunnel's record holds its sequence state: mirror(slot).
	uint32_t put_tunnel(const saved_tunnel &t);
	uint32_t put_session(const saved_session &s);
	void erase(uint32_t slot);
	// Every record freed (clean exit: nothing is left to adopt).
	void clear();
	sequence_mirror *mirror(uint32_t slot);
	// Renames the file into place (after the first records): see create.
	bool publish(std::string &error);

	uint32_t capacity() const noexcept { return capacity_; }
	size_t used() const noexcept { return capacity_ - free_.size(); }
	const std::string &path() const noexcept { return path_; }

private:
	state_store() = default;
	uint8_t *record(uint32_t slot) noexcept { return base_ + static_cast<size_t>(slot) * state_record_size; }
	uint32_t put(uint32_t kind, const uint8_t *body);

	std::string path_, tmp_path_;
	int fd_ = -1;
	uint8_t *base_ = nullptr;
	size_t size_ = 0;
	uint32_t capacity_ = 0;
	std::vector<uint32_t> free_; // free slots, lowest last
	bool published_ = false;
};

// Exposed for tests: the record checksum (CRC-32, IEEE polynomial, reflected).
uint32_t state_crc32(const uint8_t *p, size_t n) noexcept;

} // namespace l2tpx::cp::daemon
