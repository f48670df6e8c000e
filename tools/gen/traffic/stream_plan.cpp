#include "tools/gen/traffic/stream_plan.hpp"

#include <map>

namespace l2tpx::gen {

const char *to_string(plan_error e) noexcept {
	switch (e) {
	case plan_error::too_many_streams: return "too_many_streams";
	case plan_error::no_rate: return "no_rate";
	case plan_error::rate_too_low: return "rate_too_low";
	case plan_error::bad_sizes: return "bad_sizes";
	}
	return "unknown";
}

std::vector<uint8_t> stream_plan::groups() const {
	std::vector<uint8_t> g(streams.size());
	for (size_t i = 0; i < streams.size(); i++)
		g[i] = stream_group(streams[i]);
	return g;
}

result<stream_plan, plan_error> plan_streams(const traffic_config &cfg, uint32_t sessions) {
	std::vector<direction> dirs;
	if (cfg.direction != traffic_direction::down)
		dirs.push_back(direction::up);
	if (cfg.direction != traffic_direction::up)
		dirs.push_back(direction::down);
	std::vector<uint8_t> families;
	if (cfg.has_ipv4())
		families.push_back(4);
	if (cfg.has_ipv6())
		families.push_back(6);
	const uint64_t per_family = uint64_t(dirs.size()) * cfg.streams_per_session;
	const uint64_t per_session = families.size() * per_family;
	const uint64_t n = uint64_t(sessions) * per_session;
	if (n > max_streams)
		return unexpected(plan_error::too_many_streams);
	if (!cfg.rate_per_stream && !cfg.rate_total)
		return unexpected(plan_error::no_rate);
	if (cfg.rate_total && n != 0 && cfg.rate_total->value < n)
		return unexpected(plan_error::rate_too_low);

	stream_plan plan;
	plan.pattern = build_size_pattern(cfg.sizes);
	if (plan.pattern.empty())
		return unexpected(plan_error::bad_sizes);
	plan.streams.reserve(n);
	plan.rates.reserve(n);
	for (uint64_t id = 0; id < n; id++) {
		const uint32_t session = static_cast<uint32_t>(id / per_session);
		const uint64_t in_session = id % per_session;
		const uint8_t family = families[in_session / per_family];
		const direction d = dirs[(in_session % per_family) / cfg.streams_per_session];
		plan.streams.push_back(stream_info{static_cast<uint32_t>(id), session, d, family});
		if (cfg.rate_per_stream)
			plan.rates.push_back(*cfg.rate_per_stream);
		else
			plan.rates.push_back(rate{cfg.rate_total->unit, split_rate(cfg.rate_total->value, n, id)});
	}
	return plan;
}

size_t assign_streams(scheduler &s, const stream_plan &plan, direction dir, uint32_t worker, uint32_t workers,
                      uint32_t wire_overhead) {
	if (workers == 0 || worker >= workers)
		return 0;
	std::map<uint64_t, int> profile_by_rate; // a plan has one unit; at most two distinct values
	size_t added = 0, nth = 0; // nth: index among the streams of this direction
	for (size_t id = 0; id < plan.streams.size(); id++) {
		if (plan.streams[id].dir != dir || nth++ % workers != worker)
			continue;
		const rate &r = plan.rates[id];
		auto it = profile_by_rate.find(r.value);
		if (it == profile_by_rate.end())
			it = profile_by_rate.emplace(r.value, s.add_profile(r, plan.pattern, wire_overhead)).first;
		if (s.add_stream(static_cast<uint32_t>(id), it->second) >= 0)
			added++;
	}
	return added;
}

} // namespace l2tpx::gen
