// End to end through the engine: scheduler -> signature writer -> a faulty test "port"
// that drops, swaps and duplicates known packets -> two RX cores -> report. The report must
// give exactly the injected figures.
#include "tools/gen/traffic/report.hpp"
#include "tools/gen/traffic/scheduler.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <optional>
#include <vector>

namespace l2tpx::gen {
namespace {

constexpr uint64_t hz = 2500000000; // a 2.5 GHz TSC
constexpr uint32_t sessions = 4;
constexpr uint32_t streams = sessions * 2; // one up and one down per session

struct wire_packet {
	std::vector<uint8_t> udp_payload;
	uint32_t frame;
	uint64_t tx_ts;
	uint32_t stream;
};

struct injected {
	uint64_t dropped = 0, swapped = 0, duplicated = 0;
};

// The faulty port: drops seq % drop_every == 10, swaps every (even, odd) pair of downstream
// streams, duplicates seq % 333 == 0. Records exactly what it did.
class faulty_port {
public:
	explicit faulty_port(std::vector<injected> &log) : log_(log), held_(streams) {}

	void send(wire_packet p, uint64_t seq, bool swap, std::vector<wire_packet> &out) {
		injected &inj = log_[p.stream];
		if (seq % 50 == 10) {
			inj.dropped++;
			return;
		}
		const bool dup = seq % 333 == 0;
		if (swap && seq % 2 == 0) {
			held_[p.stream] = {std::move(p), dup};
			return;
		}
		const uint32_t s = p.stream;
		emit(std::move(p), dup, out);
		if (held_[s]) {
			inj.swapped++;
			emit(std::move(held_[s]->first), held_[s]->second, out);
			held_[s].reset();
		}
	}
	void flush(std::vector<wire_packet> &out) {
		for (auto &h : held_)
			if (h) {
				emit(std::move(h->first), h->second, out);
				h.reset();
			}
	}

private:
	void emit(wire_packet p, bool dup, std::vector<wire_packet> &out) {
		if (dup) {
			log_[p.stream].duplicated++;
			out.push_back(p);
		}
		out.push_back(std::move(p));
	}
	std::vector<injected> &log_;
	std::vector<std::optional<std::pair<wire_packet, bool>>> held_;
};

class ReportEndToEnd : public testing::Test {
protected:
	void SetUp() override {
		std::vector<stream_info> info;
		for (uint32_t i = 0; i < streams; i++)
			info.push_back({i, i / 2, i % 2 ? direction::down : direction::up});
		result_.set_streams(info);
		result_.duration_s = 1;
		result_.sessions_requested = sessions;
		result_.sessions_up = sessions;

		scheduler sched({.hz = hz});
		const auto pattern = build_size_pattern(simple_imix());
		const int prof = sched.add_profile({rate_unit::pps, 10000}, pattern, 0);
		for (uint32_t i = 0; i < streams; i++)
			sched.add_stream(i, prof);

		std::vector<uint8_t> group(streams);
		for (uint32_t i = 0; i < streams; i++)
			group[i] = i % 2;
		std::array<rx_recorder, 2> cores{rx_recorder(streams, hz, group), rx_recorder(streams, hz, group)};
		faulty_port port(log_);
		std::vector<wire_packet> delivered;
		auto deliver = [&](std::vector<wire_packet> &pkts) {
			for (const auto &p : pkts) {
				const uint64_t latency = p.stream % 2 ? 125000 : 75000; // 50 us down, 30 us up
				cores[p.stream % 2].on_packet(p.udp_payload, p.tx_ts + latency, p.frame);
			}
			pkts.clear();
		};

		std::array<tx_item, 64> out;
		sched.start(0, hz);
		for (uint64_t now = 0; !sched.done(); now += hz / 100000) {
			const size_t n = sched.poll(now, out);
			for (size_t i = 0; i < n; i++) {
				const tx_item &it = out[i];
				wire_packet p;
				p.stream = it.stream;
				p.frame = it.frame_size;
				p.tx_ts = now;
				p.udp_payload.resize(it.frame_size - 14 - 28 - 4); // IPv4/UDP in an Ethernet frame
				ASSERT_NE(write_signature(p.udp_payload, it.stream, it.seq, now), 0u);
				result_.sent[it.stream]++;
				port.send(std::move(p), it.seq, it.stream % 2 == 1, delivered);
			}
			deliver(delivered);
		}
		port.flush(delivered);
		deliver(delivered);
		// A foreign packet on the RX port.
		std::vector<uint8_t> dns(40, 0x11);
		cores[0].on_packet(dns, 1, 82);
		for (const auto &c : cores)
			result_.add_rx(c);
	}

	run_result result_;
	std::vector<injected> log_ = std::vector<injected>(streams);
};

TEST_F(ReportEndToEnd, ExactInjectedFigures) {
	const report rep = build_report(result_, {}, 3);
	uint64_t sent = 0, dropped = 0, swapped = 0, dups = 0;
	for (uint32_t s = 0; s < streams; s++) {
		SCOPED_TRACE(s);
		const figures f = stream_figures(result_, s);
		EXPECT_EQ(f.sent, 10000u);
		EXPECT_EQ(f.lost, log_[s].dropped);
		EXPECT_EQ(f.reordered, log_[s].swapped);
		EXPECT_EQ(f.duplicates, log_[s].duplicated);
		EXPECT_EQ(f.received, f.sent - log_[s].dropped + log_[s].duplicated);
		EXPECT_EQ(f.late, 0u);
		EXPECT_EQ(f.latency.min_ns, s % 2 ? 50000u : 30000u);
		EXPECT_EQ(f.latency.max_ns, s % 2 ? 50000u : 30000u);
		sent += f.sent;
		dropped += log_[s].dropped;
		swapped += log_[s].swapped;
		dups += log_[s].duplicated;
	}
	// The injection did happen, in the amounts designed.
	EXPECT_EQ(dropped, streams * 200u);       // seq % 50 == 10
	EXPECT_EQ(dups, streams * 30u);           // seq % 333 == 0: 31 values, 6660 of them dropped
	EXPECT_EQ(swapped, (streams / 2) * 4800u); // 5000 pairs, 200 with a dropped even half
	EXPECT_EQ(rep.total.sent, sent);
	EXPECT_EQ(rep.total.lost, dropped);
	EXPECT_EQ(rep.total.reordered, swapped);
	EXPECT_EQ(rep.total.duplicates, dups);
	EXPECT_DOUBLE_EQ(rep.total.loss_percent(), 2.0);
	EXPECT_EQ(rep.per_direction[0].reordered, 0u);
	EXPECT_EQ(rep.per_direction[1].reordered, swapped);
	EXPECT_EQ(rep.per_direction[0].latency.p50_ns, 30000u);
	EXPECT_EQ(rep.per_direction[1].latency.p99_ns, 50000u);
	EXPECT_EQ(rep.total.latency.min_ns, 30000u);
	EXPECT_EQ(rep.total.latency.max_ns, 50000u);
	// As many up (30 us) as down (50 us) samples: p50 is in the 30 us bucket (1/128 wide).
	EXPECT_GE(rep.total.latency.p50_ns, 30000u);
	EXPECT_LE(rep.total.latency.p50_ns, 30000u + 30000u / 128);
	EXPECT_EQ(rep.total.latency.samples, streams * 9800u);
	EXPECT_EQ(result_.rx_drops[size_t(rx_drop::foreign)], 1u);
	EXPECT_TRUE(rep.pass);
	// Worst: equal loss everywhere, so the higher p99 (downstream) streams, lowest ID first.
	EXPECT_EQ(rep.worst, (std::vector<uint32_t>{1, 3, 5}));
}

TEST_F(ReportEndToEnd, Thresholds) {
	thresholds t;
	t.max_loss_percent = 1.0;
	t.min_sessions_up = 5;
	t.max_p99_latency_us = 40;
	const report rep = build_report(result_, t);
	EXPECT_FALSE(rep.pass);
	ASSERT_EQ(rep.reasons.size(), 3u);
	EXPECT_EQ(rep.reasons[0], "loss 2 % (1600 of 80000) exceeds max_loss_percent 1 %");
	EXPECT_EQ(rep.reasons[1], "4 sessions up, below min_sessions_up 5");
	EXPECT_EQ(rep.reasons[2], "p99 latency 50.000 us exceeds max_p99_latency_us 40 us");

	t.max_loss_percent = 2.0; // equal to the loss: passes
	t.min_sessions_up = 4;
	t.max_p99_latency_us = 50;
	EXPECT_TRUE(build_report(result_, t).pass);
}

TEST_F(ReportEndToEnd, Renderings) {
	thresholds t;
	t.max_loss_percent = 1.0;
	const report rep = build_report(result_, t, 2);
	const std::string table = format_table(result_, rep);
	if (std::getenv("GEN_PRINT_REPORT"))
		std::printf("%s\n%s\n", table.c_str(), to_json(result_, rep, t).dump(2).c_str());
	EXPECT_NE(table.find("sessions up 4 of 4, streams 8"), std::string::npos) << table;
	EXPECT_NE(table.find("total               80000"), std::string::npos) << table;
	EXPECT_NE(table.find("worst 2 streams"), std::string::npos) << table;
	EXPECT_NE(table.find("rx not measured, foreign: 1"), std::string::npos) << table;
	EXPECT_NE(table.find("result: FAIL\n  - loss 2 %"), std::string::npos) << table;

	const nlohmann::ordered_json j = to_json(result_, rep, t);
	EXPECT_EQ(j["schema"], "l2tpx-gen-report/1");
	EXPECT_EQ(j["totals"]["tx_packets"], 80000);
	EXPECT_EQ(j["totals"]["lost"], 1600);
	EXPECT_EQ(j["totals"]["loss_percent"], 2.0);
	EXPECT_EQ(j["directions"]["down"]["latency_ns"]["p99"], 50000);
	EXPECT_EQ(j["directions"]["up"]["reordered"], 0);
	EXPECT_EQ(j["rx_not_measured"]["foreign"], 1);
	EXPECT_EQ(j["worst_streams"].size(), 2u);
	EXPECT_EQ(j["worst_streams"][0]["stream"], 1);
	EXPECT_EQ(j["worst_streams"][0]["direction"], "down");
	EXPECT_EQ(j["worst_streams"][0]["session"], 0);
	EXPECT_FALSE(j.contains("streams"));
	EXPECT_EQ(j["thresholds"]["max_loss_percent"], 1.0);
	EXPECT_EQ(j["result"]["pass"], false);
	EXPECT_EQ(j["result"]["reasons"].size(), 1u);
	EXPECT_EQ(to_json(result_, rep, t, true)["streams"].size(), 8u);
}

TEST(Report, EmptyRunFailsOnlyWithStreams) {
	run_result r;
	EXPECT_TRUE(build_report(r, {}).pass);
	r.set_streams({{0, 0, direction::up}});
	const report rep = build_report(r, {});
	EXPECT_FALSE(rep.pass);
	EXPECT_EQ(rep.reasons.at(0), "no packets were sent");
	thresholds t;
	t.max_p99_latency_us = 10;
	r.sent[0] = 5;
	const report rep2 = build_report(r, t);
	EXPECT_EQ(rep2.total.lost, 5u);
	EXPECT_EQ(rep2.reasons.at(0), "no latency samples to check max_p99_latency_us against");
}

TEST(Report, PerFamilyFigures) {
	// Four streams of one session: IPv4 up/down, IPv6 up/down; the IPv6 downstream loses 2.
	run_result r;
	r.set_streams({{0, 0, direction::up, 4}, {1, 0, direction::down, 4}, {2, 0, direction::up, 6},
	               {3, 0, direction::down, 6}});
	std::vector<uint8_t> groups;
	for (const stream_info &s : r.streams)
		groups.push_back(stream_group(s));
	rx_recorder core(r.streams.size(), 1000000000, groups);
	const uint64_t latency[4] = {10000, 20000, 30000, 40000};
	for (uint32_t s = 0; s < 4; s++) {
		r.sent[s] = 10;
		for (uint64_t q = 0; q < (s == 3 ? 8u : 10u); q++)
			core.record(s, q, 1000, 1000 + latency[s], 100);
	}
	r.add_rx(core);
	const report rep = build_report(r, {});
	ASSERT_TRUE(rep.has_ipv6);
	EXPECT_EQ(rep.total.sent, 40u);
	EXPECT_EQ(rep.total.lost, 2u);
	EXPECT_EQ(rep.per_direction[1].received, 18u);
	EXPECT_EQ(rep.per_direction[1].lost, 2u);
	EXPECT_EQ(rep.per_family[0][0].received, 10u);
	EXPECT_EQ(rep.per_family[1][1].lost, 2u);
	EXPECT_EQ(rep.family_total[0].lost, 0u);
	EXPECT_EQ(rep.family_total[1].sent, 20u);
	EXPECT_EQ(rep.per_family[1][0].latency.min_ns, 30000u);
	EXPECT_EQ(rep.per_family[1][1].latency.max_ns, 40000u);
	EXPECT_EQ(rep.per_direction[0].latency.min_ns, 10000u);
	EXPECT_EQ(rep.per_direction[0].latency.max_ns, 30000u);
	EXPECT_EQ(rep.family_total[0].latency.max_ns, 20000u);

	const std::string table = format_table(r, rep);
	EXPECT_NE(table.find("ipv4 up"), std::string::npos) << table;
	EXPECT_NE(table.find("ipv6 down"), std::string::npos) << table;
	EXPECT_NE(table.find("3/down/v6"), std::string::npos) << table;
	const auto j = to_json(r, rep, {});
	ASSERT_TRUE(j.contains("families"));
	EXPECT_EQ(j["families"]["ipv6"]["directions"]["down"]["lost"], 2u);
	EXPECT_EQ(j["families"]["ipv4"]["tx_packets"], 20u);
	EXPECT_EQ(j["worst_streams"][0]["ip_version"], 6);

	// An IPv4-only run keeps its report as it was: no family rows, no "families".
	run_result v4;
	v4.set_streams({{0, 0, direction::up}});
	v4.sent[0] = 1;
	const report r4 = build_report(v4, {});
	EXPECT_FALSE(r4.has_ipv6);
	EXPECT_EQ(format_table(v4, r4).find("ipv4"), std::string::npos);
	EXPECT_FALSE(to_json(v4, r4, {}).contains("families"));
}

} // namespace
} // namespace l2tpx::gen
