#include "controlplane/daemon/state_store.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <type_traits>

namespace l2tpx::cp::daemon {

std::string_view to_string(state_error e) noexcept {
	switch (e) {
#define X(n)                                                                                       \
	case state_error::n:                                                                       \
		return #n;
		L2TPX_CPD_STATE_ERRORS(X)
#undef X
	}
	return "unknown";
}

namespace {

constexpr std::array<uint32_t, 256> crc_table = [] {
	std::array<uint32_t, 256> t{};
	for (uint32_t i = 0; i < 256; i++) {
		uint32_t c = i;
		for (int k = 0; k < 8; k++)
			c = (c & 1) ? 0xedb88320u ^ (c >> 1) : c >> 1;
		t[i] = c;
	}
	return t;
}();

constexpr char magic[8] = {'L', '2', 'T', 'P', 'X', 'S', 'T', '\n'};
constexpr uint32_t kind_free = 0;
constexpr uint32_t kind_writing = 1;
constexpr uint32_t kind_tunnel = 0x314e5554;  // "TUN1"
constexpr uint32_t kind_session = 0x31534553; // "SES1"

struct header {
	char magic[8];
	uint32_t version;
	uint32_t record_size;
	uint32_t capacity;
	uint32_t reserved;
	uint32_t crc; // of the bytes before it
};

// Record: kind, crc, sequence_mirror, body.
constexpr size_t off_kind = 0, off_crc = 4, off_mirror = 8, off_body = 16;
constexpr size_t body_size = state_record_size - off_body;

struct tunnel_body {
	uint16_t local, peer_id, port, rws;
	uint8_t v6, host_len, reserved0[6];
	uint8_t addr[16];
	int64_t created_ms;
	char host[state_max_host];
	uint8_t reserved[136];
};
static_assert(sizeof(tunnel_body) == body_size && std::is_trivially_copyable_v<tunnel_body>);

namespace session_bits {
constexpr uint8_t sequencing = 1, pfc = 2, acfc = 4, ipv6cp = 8;
}

struct session_body {
	uint16_t tunnel, session, peer_session, peer_mru;
	uint8_t flags, auth, user_len, reserved0;
	uint32_t our_magic, peer_magic, peer_ipv4;
	uint32_t echo_interval_ms, echo_failures;
	uint64_t local_iid, peer_iid;
	int64_t up_since_ms;
	char user[state_max_user];
	uint8_t v6_prefix[16]; // host bits zero
	uint8_t v6_prefix_len;  // 0: none, else 1..128
	uint8_t reserved[39];
};
static_assert(sizeof(session_body) == body_size && std::is_trivially_copyable_v<session_body>);

uint32_t load32(const uint8_t *p) {
	uint32_t v;
	std::memcpy(&v, p, 4);
	return v;
}

void store_kind(uint8_t *rec, uint32_t kind) {
	// The kind is what makes a record count: it is stored last, after the body and CRC.
	std::atomic_thread_fence(std::memory_order_release);
	std::atomic_ref<uint32_t>(*reinterpret_cast<uint32_t *>(rec + off_kind)).store(kind, std::memory_order_relaxed);
}

bool decode_tunnel(const uint8_t *rec, saved_tunnel &out) {
	tunnel_body b;
	std::memcpy(&b, rec + off_body, sizeof(b));
	if (b.local == 0 || b.peer_id == 0 || b.rws == 0 || b.host_len > state_max_host || b.v6 > 1)
		return false;
	out.t.local = tunnel_id_v2{b.local};
	out.t.peer_id = tunnel_id_v2{b.peer_id};
	out.t.peer.v6 = b.v6 != 0;
	std::memcpy(out.t.peer.addr.data(), b.addr, 16);
	out.t.peer.port = b.port;
	out.t.peer_rws = b.rws;
	out.t.peer_host.assign(b.host, b.host_len);
	sequence_mirror m;
	std::memcpy(&m, rec + off_mirror, sizeof(m));
	out.t.ns = m.ns;
	out.t.nr = m.nr;
	out.t.acked = m.acked;
	out.created_ms = b.created_ms;
	return true;
}

bool decode_session(const uint8_t *rec, saved_session &out) {
	session_body b;
	std::memcpy(&b, rec + off_body, sizeof(b));
	if (b.tunnel == 0 || b.session == 0 || b.peer_session == 0 || b.user_len > state_max_user || b.auth > 2 ||
	    b.peer_mru < 64 || (b.flags & ~0x0f) != 0 || b.v6_prefix_len > 128 ||
	    (b.v6_prefix_len != 0 && (b.flags & session_bits::ipv6cp) == 0))
		return false;
	nd::ipv6_prefix pfx;
	std::memcpy(pfx.addr.data(), b.v6_prefix, 16);
	pfx.length = b.v6_prefix_len;
	for (unsigned bit = pfx.length; bit < 128; bit++)
		if (pfx.addr[bit / 8] & (0x80u >> (bit % 8)))
			return false; // host bits set: not a prefix this control plane assigned
	out.ipv6_prefix = pfx;
	out.tunnel = b.tunnel;
	out.session = b.session;
	out.peer_session = b.peer_session;
	out.sequencing = b.flags & session_bits::sequencing;
	ppp::link_snapshot &l = out.link;
	l.user.assign(b.user, b.user_len);
	l.peer_mru = b.peer_mru;
	l.peer_pfc = b.flags & session_bits::pfc;
	l.peer_acfc = b.flags & session_bits::acfc;
	l.our_magic = b.our_magic;
	l.peer_magic = b.peer_magic;
	l.auth = static_cast<ppp::auth_protocol>(b.auth);
	l.peer_ipv4 = ipv4_addr{b.peer_ipv4};
	l.ipv6cp_opened = b.flags & session_bits::ipv6cp;
	l.local_iid = b.local_iid;
	l.peer_iid = b.peer_iid;
	l.echo_interval = duration(b.echo_interval_ms);
	l.echo_failures = b.echo_failures;
	out.up_since_ms = b.up_since_ms;
	return true;
}

} // namespace

uint32_t state_crc32(const uint8_t *p, size_t n) noexcept {
	uint32_t c = 0xffffffffu;
	for (size_t i = 0; i < n; i++)
		c = crc_table[(c ^ p[i]) & 0xff] ^ (c >> 8);
	return c ^ 0xffffffffu;
}

result<state_contents, state_error> load_state(const std::string &path) {
	const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return unexpected(errno == ENOENT ? state_error::missing : state_error::unreadable);
	struct stat st {};
	std::vector<uint8_t> data;
	bool ok = fstat(fd, &st) == 0 && S_ISREG(st.st_mode);
	if (ok) {
		data.resize(static_cast<size_t>(st.st_size));
		size_t got = 0;
		while (got < data.size()) {
			const ssize_t n = ::read(fd, data.data() + got, data.size() - got);
			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0)
				break;
			got += static_cast<size_t>(n);
		}
		data.resize(got);
	}
	::close(fd);
	if (!ok)
		return unexpected(state_error::unreadable);
	if (data.size() < sizeof(header))
		return unexpected(data.size() >= sizeof(magic) && std::memcmp(data.data(), magic, sizeof(magic)) != 0
		                          ? state_error::bad_magic
		                          : state_error::truncated);
	header h;
	std::memcpy(&h, data.data(), sizeof(h));
	if (std::memcmp(h.magic, magic, sizeof(magic)) != 0)
		return unexpected(state_error::bad_magic);
	if (h.crc != state_crc32(data.data(), offsetof(header, crc)))
		return unexpected(state_error::bad_header);
	if (h.version != state_version)
		return unexpected(state_error::wrong_version);
	if (h.record_size != state_record_size || h.capacity == 0 || h.capacity > (1u << 24))
		return unexpected(state_error::bad_header);
	if (data.size() < (static_cast<size_t>(h.capacity) + 1) * state_record_size)
		return unexpected(state_error::truncated);
	state_contents out;
	out.capacity = h.capacity;
	for (uint32_t slot = 1; slot <= h.capacity; slot++) {
		const uint8_t *rec = data.data() + static_cast<size_t>(slot) * state_record_size;
		const uint32_t kind = load32(rec + off_kind);
		if (kind == kind_free)
			continue;
		if (kind == kind_writing) {
			++out.torn;
			continue;
		}
		if ((kind != kind_tunnel && kind != kind_session) ||
		    load32(rec + off_crc) != state_crc32(rec + off_body, body_size)) {
			++out.corrupt;
			continue;
		}
		if (kind == kind_tunnel) {
			saved_tunnel t;
			if (decode_tunnel(rec, t))
				out.tunnels.push_back(std::move(t));
			else
				++out.corrupt;
		} else {
			saved_session s;
			if (decode_session(rec, s))
				out.sessions.push_back(std::move(s));
			else
				++out.corrupt;
		}
	}
	return out;
}

std::unique_ptr<state_store> state_store::create(const std::string &path, uint32_t capacity, std::string &error) {
	if (capacity == 0 || capacity > (1u << 24)) {
		error = "state file capacity out of range";
		return nullptr;
	}
	std::unique_ptr<state_store> s(new state_store());
	s->path_ = path;
	s->tmp_path_ = path + ".tmp";
	s->capacity_ = capacity;
	s->size_ = (static_cast<size_t>(capacity) + 1) * state_record_size;
	(void)::unlink(s->tmp_path_.c_str());
	s->fd_ = ::open(s->tmp_path_.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (s->fd_ < 0) {
		error = s->tmp_path_ + ": " + std::strerror(errno);
		return nullptr;
	}
	if (::ftruncate(s->fd_, static_cast<off_t>(s->size_)) != 0) {
		error = s->tmp_path_ + ": " + std::strerror(errno);
		(void)::unlink(s->tmp_path_.c_str());
		return nullptr;
	}
	void *m = ::mmap(nullptr, s->size_, PROT_READ | PROT_WRITE, MAP_SHARED, s->fd_, 0);
	if (m == MAP_FAILED) {
		error = s->tmp_path_ + ": mmap: " + std::strerror(errno);
		(void)::unlink(s->tmp_path_.c_str());
		return nullptr;
	}
	s->base_ = static_cast<uint8_t *>(m);
	header h{};
	std::memcpy(h.magic, magic, sizeof(magic));
	h.version = state_version;
	h.record_size = state_record_size;
	h.capacity = capacity;
	h.crc = state_crc32(reinterpret_cast<const uint8_t *>(&h), offsetof(header, crc));
	std::memcpy(s->base_, &h, sizeof(h));
	s->free_.reserve(capacity);
	for (uint32_t slot = capacity; slot >= 1; slot--)
		s->free_.push_back(slot);
	return s;
}

bool state_store::publish(std::string &error) {
	if (published_)
		return true;
	if (::rename(tmp_path_.c_str(), path_.c_str()) != 0) {
		error = "rename " + tmp_path_ + " -> " + path_ + ": " + std::strerror(errno);
		return false;
	}
	published_ = true;
	return true;
}

state_store::~state_store() {
	if (base_)
		::munmap(base_, size_);
	if (fd_ >= 0)
		::close(fd_);
	if (!published_ && !tmp_path_.empty())
		(void)::unlink(tmp_path_.c_str());
}

uint32_t state_store::put(uint32_t kind, const uint8_t *body) {
	if (free_.empty())
		return none;
	const uint32_t slot = free_.back();
	free_.pop_back();
	uint8_t *rec = record(slot);
	store_kind(rec, kind_writing);
	std::memset(rec + off_mirror, 0, sizeof(sequence_mirror));
	std::memcpy(rec + off_body, body, body_size);
	const uint32_t crc = state_crc32(rec + off_body, body_size);
	std::memcpy(rec + off_crc, &crc, 4);
	store_kind(rec, kind);
	return slot;
}

uint32_t state_store::put_tunnel(const saved_tunnel &t) {
	tunnel_body b{};
	b.local = t.t.local.value;
	b.peer_id = t.t.peer_id.value;
	b.port = t.t.peer.port;
	b.rws = t.t.peer_rws ? t.t.peer_rws : 4;
	b.v6 = t.t.peer.v6;
	std::memcpy(b.addr, t.t.peer.addr.data(), 16);
	b.created_ms = t.created_ms;
	b.host_len = static_cast<uint8_t>(std::min(t.t.peer_host.size(), state_max_host));
	std::memcpy(b.host, t.t.peer_host.data(), b.host_len);
	const uint32_t slot = put(kind_tunnel, reinterpret_cast<const uint8_t *>(&b));
	if (slot != none) {
		sequence_mirror *m = mirror(slot);
		m->ns = t.t.ns;
		m->nr = t.t.nr;
		m->acked = t.t.acked;
	}
	return slot;
}

uint32_t state_store::put_session(const saved_session &s) {
	if (s.link.user.size() > state_max_user)
		return none;
	session_body b{};
	b.tunnel = s.tunnel;
	b.session = s.session;
	b.peer_session = s.peer_session;
	b.peer_mru = s.link.peer_mru;
	b.flags = static_cast<uint8_t>((s.sequencing ? session_bits::sequencing : 0) |
	                               (s.link.peer_pfc ? session_bits::pfc : 0) |
	                               (s.link.peer_acfc ? session_bits::acfc : 0) |
	                               (s.link.ipv6cp_opened ? session_bits::ipv6cp : 0));
	b.auth = static_cast<uint8_t>(s.link.auth);
	b.our_magic = s.link.our_magic;
	b.peer_magic = s.link.peer_magic;
	b.peer_ipv4 = s.link.peer_ipv4.value;
	b.echo_interval_ms = static_cast<uint32_t>(s.link.echo_interval.count());
	b.echo_failures = s.link.echo_failures;
	b.local_iid = s.link.local_iid;
	b.peer_iid = s.link.peer_iid;
	b.up_since_ms = s.up_since_ms;
	// A prefix belongs to an open IPv6CP; anything else is not recorded (length 0).
	if (s.ipv6_prefix.length != 0 && s.ipv6_prefix.length <= 128 && s.link.ipv6cp_opened) {
		std::memcpy(b.v6_prefix, s.ipv6_prefix.addr.data(), 16);
		b.v6_prefix_len = s.ipv6_prefix.length;
	}
	b.user_len = static_cast<uint8_t>(s.link.user.size());
	std::memcpy(b.user, s.link.user.data(), b.user_len);
	return put(kind_session, reinterpret_cast<const uint8_t *>(&b));
}

void state_store::erase(uint32_t slot) {
	if (slot == 0 || slot > capacity_)
		return;
	uint8_t *rec = record(slot);
	if (load32(rec + off_kind) == kind_free)
		return;
	store_kind(rec, kind_free);
	free_.push_back(slot);
}

void state_store::clear() {
	for (uint32_t slot = 1; slot <= capacity_; slot++)
		erase(slot);
}

sequence_mirror *state_store::mirror(uint32_t slot) {
	if (slot == 0 || slot > capacity_)
		return nullptr;
	return reinterpret_cast<sequence_mirror *>(record(slot) + off_mirror);
}

} // namespace l2tpx::cp::daemon
