#include "tools/gen/traffic/report.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cassert>
#include <cinttypes>
#include <cstdio>

namespace l2tpx::gen {

const char *to_string(direction d) noexcept {
	switch (d) {
	case direction::up: return "up";
	case direction::down: return "down";
	}
	return "?";
}

void run_result::set_streams(std::vector<stream_info> s) {
	streams = std::move(s);
	sent.assign(streams.size(), 0);
	rx.assign(streams.size(), stream_rx_stats{});
}

void run_result::add_rx(const rx_recorder &core) {
	const size_t n = std::min(core.stream_count(), rx.size());
	for (size_t i = 0; i < n; i++)
		rx[i].merge(core.stream(i));
	for (size_t g = 0; g < rx_groups; g++)
		latency[g].merge(core.group_latency(g));
	for (size_t d = 0; d < rx_drop_count; d++)
		rx_drops[d] += core.drops(static_cast<rx_drop>(d));
}

template <typename H> static latency_figures latency_of(const H &h) {
	latency_figures l;
	l.samples = h.count();
	l.min_ns = h.min();
	l.max_ns = h.max();
	l.avg_ns = h.mean();
	l.p50_ns = h.percentile(0.50);
	l.p99_ns = h.percentile(0.99);
	return l;
}

static void add_stream(figures &f, uint64_t sent, const stream_rx_stats &rx) {
	f.streams++;
	f.sent += sent;
	f.received += rx.received;
	f.lost += rx.lost(sent);
	f.duplicates += rx.duplicates;
	f.reordered += rx.reordered;
	f.late += rx.late;
	f.clock_errors += rx.clock_errors;
	f.rx_bytes += rx.bytes;
}

figures stream_figures(const run_result &r, uint32_t s) {
	figures f;
	add_stream(f, r.sent[s], r.rx[s]);
	f.latency = latency_of(r.rx[s].latency);
	return f;
}

report build_report(const run_result &r, const thresholds &t, size_t top_n) {
	assert(r.sent.size() == r.streams.size() && r.rx.size() == r.streams.size()); // set_streams()
	report rep;
	for (uint32_t s = 0; s < r.streams.size(); s++) {
		const size_t d = size_t(r.streams[s].dir), f = r.streams[s].family == 6 ? 1 : 0;
		add_stream(rep.total, r.sent[s], r.rx[s]);
		add_stream(rep.per_direction[d], r.sent[s], r.rx[s]);
		add_stream(rep.per_family[f][d], r.sent[s], r.rx[s]);
		add_stream(rep.family_total[f], r.sent[s], r.rx[s]);
		rep.has_ipv6 = rep.has_ipv6 || f == 1;
	}
	// Groups: direction + 2 for IPv6 (stream_group); each a histogram of its own.
	total_latency_histogram all;
	std::array<total_latency_histogram, 2> dir_h{}, fam_h{};
	for (size_t g = 0; g < rx_groups; g++) {
		rep.per_family[g / 2][g % 2].latency = latency_of(r.latency[g]);
		dir_h[g % 2].merge(r.latency[g]);
		fam_h[g / 2].merge(r.latency[g]);
		all.merge(r.latency[g]);
	}
	for (size_t i = 0; i < 2; i++) {
		rep.per_direction[i].latency = latency_of(dir_h[i]);
		rep.family_total[i].latency = latency_of(fam_h[i]);
	}
	rep.total.latency = latency_of(all);

	// Worst streams: highest loss ratio, then highest p99 latency, then lowest ID.
	std::vector<uint32_t> ids(r.streams.size());
	std::vector<double> loss(ids.size());
	std::vector<uint64_t> p99(ids.size());
	for (uint32_t s = 0; s < ids.size(); s++) {
		ids[s] = s;
		loss[s] = r.sent[s] ? double(r.rx[s].lost(r.sent[s])) / double(r.sent[s]) : 0.0;
		p99[s] = r.rx[s].latency.percentile(0.99);
	}
	const size_t n = std::min(top_n, ids.size());
	std::partial_sort(ids.begin(), ids.begin() + static_cast<ptrdiff_t>(n), ids.end(), [&](uint32_t a, uint32_t b) {
		if (loss[a] != loss[b])
			return loss[a] > loss[b];
		if (p99[a] != p99[b])
			return p99[a] > p99[b];
		return a < b;
	});
	ids.resize(n);
	rep.worst = std::move(ids);

	char line[256];
	if (!r.streams.empty() && rep.total.sent == 0)
		rep.reasons.emplace_back("no packets were sent");
	if (t.max_loss_percent && rep.total.loss_percent() > *t.max_loss_percent) {
		std::snprintf(line, sizeof(line), "loss %.6g %% (%" PRIu64 " of %" PRIu64 ") exceeds max_loss_percent %.6g %%",
		              rep.total.loss_percent(), rep.total.lost, rep.total.sent, *t.max_loss_percent);
		rep.reasons.emplace_back(line);
	}
	if (t.min_sessions_up && r.sessions_up < *t.min_sessions_up) {
		std::snprintf(line, sizeof(line), "%" PRIu32 " sessions up, below min_sessions_up %" PRIu32, r.sessions_up,
		              *t.min_sessions_up);
		rep.reasons.emplace_back(line);
	}
	if (t.max_p99_latency_us) {
		const double p99_us = double(rep.total.latency.p99_ns) / 1000.0;
		if (rep.total.latency.samples == 0) {
			rep.reasons.emplace_back("no latency samples to check max_p99_latency_us against");
		} else if (p99_us > *t.max_p99_latency_us) {
			std::snprintf(line, sizeof(line), "p99 latency %.3f us exceeds max_p99_latency_us %.6g us", p99_us,
			              *t.max_p99_latency_us);
			rep.reasons.emplace_back(line);
		}
	}
	rep.pass = rep.reasons.empty();
	return rep;
}

// --- table ---

static std::string us(uint64_t ns) {
	char b[32];
	std::snprintf(b, sizeof(b), "%.1f", double(ns) / 1000.0);
	return b;
}

static void table_row(std::string &out, const char *label, const figures &f) {
	char b[320];
	std::snprintf(b, sizeof(b), "%-10s %14" PRIu64 " %14" PRIu64 " %12" PRIu64 " %9.4f %10" PRIu64 " %10" PRIu64 " %10s %10s %10s %10s %10s\n",
	              label, f.sent, f.received, f.lost, f.loss_percent(), f.reordered, f.duplicates,
	              us(f.latency.min_ns).c_str(), us(uint64_t(f.latency.avg_ns)).c_str(), us(f.latency.p50_ns).c_str(),
	              us(f.latency.p99_ns).c_str(), us(f.latency.max_ns).c_str());
	out += b;
}

static const char *table_header =
    "%-10s %14s %14s %12s %9s %10s %10s %10s %10s %10s %10s %10s\n";

std::string format_table(const run_result &r, const report &rep) {
	std::string out;
	char b[320];
	std::snprintf(b, sizeof(b), "duration %.3f s, sessions up %" PRIu32 " of %" PRIu32 ", streams %zu\n\n",
	              r.duration_s, r.sessions_up, r.sessions_requested, r.streams.size());
	out += b;
	std::snprintf(b, sizeof(b), table_header, "", "tx pkts", "rx pkts", "lost", "loss %", "reordered", "dups",
	              "min us", "avg us", "p50 us", "p99 us", "max us");
	out += b;
	for (size_t g = 0; g < 2; g++)
		if (rep.per_direction[g].streams != 0)
			table_row(out, to_string(static_cast<direction>(g)), rep.per_direction[g]);
	table_row(out, "total", rep.total);
	if (rep.has_ipv6) // per family: "ipv4 up", …, "ipv6 down"
		for (size_t f = 0; f < 2; f++)
			for (size_t g = 0; g < 2; g++)
				if (rep.per_family[f][g].streams != 0) {
					char label[16];
					std::snprintf(label, sizeof(label), "ipv%d %s", f ? 6 : 4, to_string(static_cast<direction>(g)));
					table_row(out, label, rep.per_family[f][g]);
				}

	if (!rep.worst.empty()) {
		std::snprintf(b, sizeof(b), "\nworst %zu streams:\n", rep.worst.size());
		out += b;
		std::snprintf(b, sizeof(b), table_header, "stream", "tx pkts", "rx pkts", "lost", "loss %", "reordered",
		              "dups", "min us", "avg us", "p50 us", "p99 us", "max us");
		out += b;
		for (uint32_t s : rep.worst) {
			char label[40];
			std::snprintf(label, sizeof(label), "%" PRIu32 "/%s%s", s, to_string(r.streams[s].dir),
			              r.streams[s].family == 6 ? "/v6" : "");
			table_row(out, label, stream_figures(r, s));
		}
	}

	uint64_t dropped = 0;
	for (uint64_t d : r.rx_drops)
		dropped += d;
	if (dropped != 0 || rep.total.late != 0 || rep.total.clock_errors != 0 || r.tx_lag_resets != 0) {
		out += "\n";
		for (size_t d = 0; d < rx_drop_count; d++) {
			if (r.rx_drops[d] != 0) {
				std::snprintf(b, sizeof(b), "rx not measured, %s: %" PRIu64 " (%s)\n", to_string(static_cast<rx_drop>(d)),
				              r.rx_drops[d], describe(static_cast<rx_drop>(d)));
				out += b;
			}
		}
		if (rep.total.late != 0) {
			std::snprintf(b, sizeof(b), "late (reordered beyond the %u-packet duplicate window): %" PRIu64 "\n", rx_window,
			              rep.total.late);
			out += b;
		}
		if (rep.total.clock_errors != 0) {
			std::snprintf(b, sizeof(b), "RX before TX timestamp (latency not recorded): %" PRIu64 "\n",
			              rep.total.clock_errors);
			out += b;
		}
		if (r.tx_lag_resets != 0) {
			std::snprintf(b, sizeof(b), "TX fell behind schedule and was re-timed %" PRIu64 " times (rate below target)\n",
			              r.tx_lag_resets);
			out += b;
		}
	}
	out += "\nresult: ";
	out += rep.pass ? "PASS\n" : "FAIL\n";
	for (const auto &reason : rep.reasons)
		out += "  - " + reason + "\n";
	return out;
}

// --- JSON ---

static nlohmann::ordered_json latency_json(const latency_figures &l) {
	return {{"samples", l.samples}, {"min", l.min_ns}, {"avg", l.avg_ns}, {"p50", l.p50_ns},
	        {"p99", l.p99_ns},      {"max", l.max_ns}};
}

static nlohmann::ordered_json figures_json(const figures &f) {
	return {{"streams", f.streams},
	        {"tx_packets", f.sent},
	        {"rx_packets", f.received},
	        {"lost", f.lost},
	        {"loss_percent", f.loss_percent()},
	        {"duplicates", f.duplicates},
	        {"reordered", f.reordered},
	        {"late", f.late},
	        {"clock_errors", f.clock_errors},
	        {"rx_bytes", f.rx_bytes},
	        {"latency_ns", latency_json(f.latency)}};
}

static nlohmann::ordered_json stream_json(const run_result &r, uint32_t s) {
	nlohmann::ordered_json j = figures_json(stream_figures(r, s));
	j.erase("streams");
	j["stream"] = s;
	j["session"] = r.streams[s].session;
	j["direction"] = to_string(r.streams[s].dir);
	j["ip_version"] = r.streams[s].family;
	return j;
}

nlohmann::ordered_json to_json(const run_result &r, const report &rep, const thresholds &t, bool all_streams) {
	nlohmann::ordered_json j;
	j["schema"] = "l2tpx-gen-report/1";
	j["duration_s"] = r.duration_s;
	j["sessions"] = {{"requested", r.sessions_requested}, {"up", r.sessions_up}};
	j["totals"] = figures_json(rep.total);
	nlohmann::ordered_json dirs = nlohmann::ordered_json::object();
	for (size_t g = 0; g < 2; g++)
		if (rep.per_direction[g].streams != 0)
			dirs[to_string(static_cast<direction>(g))] = figures_json(rep.per_direction[g]);
	j["directions"] = dirs;
	if (rep.has_ipv6) { // "families": {"ipv4": {totals..., "directions": {...}}, "ipv6": ...}
		nlohmann::ordered_json fams = nlohmann::ordered_json::object();
		for (size_t f = 0; f < 2; f++) {
			if (rep.family_total[f].streams == 0)
				continue;
			nlohmann::ordered_json fj = figures_json(rep.family_total[f]);
			nlohmann::ordered_json fd = nlohmann::ordered_json::object();
			for (size_t g = 0; g < 2; g++)
				if (rep.per_family[f][g].streams != 0)
					fd[to_string(static_cast<direction>(g))] = figures_json(rep.per_family[f][g]);
			fj["directions"] = fd;
			fams[f ? "ipv6" : "ipv4"] = fj;
		}
		j["families"] = fams;
	}
	nlohmann::ordered_json drops = nlohmann::ordered_json::object();
	for (size_t d = 0; d < rx_drop_count; d++)
		drops[to_string(static_cast<rx_drop>(d))] = r.rx_drops[d];
	j["rx_not_measured"] = drops;
	j["tx_lag_resets"] = r.tx_lag_resets;
	nlohmann::ordered_json worst = nlohmann::ordered_json::array();
	for (uint32_t s : rep.worst)
		worst.push_back(stream_json(r, s));
	j["worst_streams"] = worst;
	if (all_streams) {
		nlohmann::ordered_json all = nlohmann::ordered_json::array();
		for (uint32_t s = 0; s < r.streams.size(); s++)
			all.push_back(stream_json(r, s));
		j["streams"] = all;
	}
	nlohmann::ordered_json th = nlohmann::ordered_json::object();
	if (t.max_loss_percent)
		th["max_loss_percent"] = *t.max_loss_percent;
	if (t.min_sessions_up)
		th["min_sessions_up"] = *t.min_sessions_up;
	if (t.max_p99_latency_us)
		th["max_p99_latency_us"] = *t.max_p99_latency_us;
	j["thresholds"] = th;
	j["result"] = {{"pass", rep.pass}, {"reasons", rep.reasons}};
	return j;
}

} // namespace l2tpx::gen
