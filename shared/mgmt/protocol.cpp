#include "shared/mgmt/protocol.hpp"

#include <string>

namespace l2tpx::mgmt {

namespace {

std::string_view strip_cr(std::string_view line) {
	if (!line.empty() && line.back() == '\r')
		line.remove_suffix(1);
	return line;
}

// Nesting depth of arrays/objects, counting only brackets outside strings. Checked before
// parsing so a hostile line cannot build a pathological tree.
size_t nesting_depth(std::string_view s) {
	size_t depth = 0, max_depth = 0;
	bool in_string = false, escaped = false;
	for (char c : s) {
		if (in_string) {
			if (escaped)
				escaped = false;
			else if (c == '\\')
				escaped = true;
			else if (c == '"')
				in_string = false;
			continue;
		}
		switch (c) {
		case '"':
			in_string = true;
			break;
		case '[':
		case '{':
			if (++depth > max_depth)
				max_depth = depth;
			break;
		case ']':
		case '}':
			if (depth > 0)
				--depth;
			break;
		default:
			break;
		}
	}
	return max_depth;
}

std::optional<std::string> parse_line(std::string_view line, json &out) {
	line = strip_cr(line);
	if (nesting_depth(line) > max_json_depth)
		return "JSON nested deeper than " + std::to_string(max_json_depth) + " levels";
	out = json::parse(line.begin(), line.end(), nullptr, /*allow_exceptions=*/false);
	if (out.is_discarded())
		return std::string("not valid JSON");
	if (!out.is_object())
		return std::string("not a JSON object");
	return std::nullopt;
}

// Non-negative integers: parsed ones are unsigned, ones built in code (json(42)) signed.
bool is_uint(const json &j) { return j.is_number_unsigned() || (j.is_number_integer() && j.get<int64_t>() >= 0); }

std::optional<uint64_t> read_id(const json &msg) {
	auto it = msg.find("id");
	if (it == msg.end() || !is_uint(*it))
		return std::nullopt;
	return it->get<uint64_t>();
}

json envelope(std::optional<uint64_t> id) {
	json j = json::object();
	j["v"] = protocol_version;
	j["id"] = id ? json(*id) : json(nullptr);
	return j;
}

} // namespace

std::string dump(const json &j, int indent) {
	return j.dump(indent, ' ', /*ensure_ascii=*/false, json::error_handler_t::replace);
}

std::optional<failure> parse_request(std::string_view line, request &out) {
	out = request{};
	json msg;
	if (auto err = parse_line(line, msg))
		return failure{errc::bad_request, "malformed request: " + *err};
	out.id = read_id(msg);

	auto v = msg.find("v");
	if (v == msg.end())
		return failure{errc::bad_request, "malformed request: missing \"v\" (protocol version)"};
	if (!v->is_number_integer() || v->get<int64_t>() != protocol_version)
		return failure{errc::unsupported_version,
		               "unsupported protocol version " + dump(*v) + "; this server speaks version " +
		                   std::to_string(protocol_version)};

	if (!out.id)
		return failure{errc::bad_request, "malformed request: \"id\" must be a non-negative integer"};

	auto cmd = msg.find("cmd");
	if (cmd == msg.end() || !cmd->is_string() || cmd->get_ref<const std::string &>().empty())
		return failure{errc::bad_request, "malformed request: \"cmd\" must be a non-empty string"};
	out.cmd = cmd->get<std::string>();

	auto args = msg.find("args");
	if (args != msg.end() && !args->is_null()) {
		if (!args->is_object())
			return failure{errc::bad_request, "malformed request: \"args\" must be an object"};
		out.args = std::move(*args);
	}
	return std::nullopt;
}

std::optional<std::string> parse_response(std::string_view line, response &out) {
	out = response{};
	json msg;
	if (auto err = parse_line(line, msg))
		return err;
	auto v = msg.find("v");
	if (v == msg.end() || !v->is_number_integer() || v->get<int64_t>() != protocol_version)
		return std::string("unsupported or missing protocol version");
	out.id = read_id(msg);
	auto ok = msg.find("ok");
	if (ok == msg.end() || !ok->is_boolean())
		return std::string("missing \"ok\"");
	out.ok = ok->get<bool>();
	if (out.ok) {
		auto result = msg.find("result");
		out.result = result == msg.end() ? json(nullptr) : std::move(*result);
		return std::nullopt;
	}
	auto error = msg.find("error");
	if (error == msg.end() || !error->is_object())
		return std::string("failure without an \"error\" object");
	auto code = error->find("code");
	auto message = error->find("message");
	if (code == error->end() || !code->is_string())
		return std::string("error without a \"code\" string");
	out.error_code = code->get<std::string>();
	out.error_message = message != error->end() && message->is_string() ? message->get<std::string>() : "";
	return std::nullopt;
}

std::string encode_request(uint64_t id, std::string_view cmd, const json &args) {
	json j = json::object();
	j["v"] = protocol_version;
	j["id"] = id;
	j["cmd"] = std::string(cmd);
	j["args"] = args.is_null() ? json::object() : args;
	return dump(j) + '\n';
}

std::string encode_result(std::optional<uint64_t> id, const json &result) {
	json j = envelope(id);
	j["ok"] = true;
	j["result"] = result;
	return dump(j) + '\n';
}

std::string encode_error(std::optional<uint64_t> id, const failure &f) {
	json j = envelope(id);
	j["ok"] = false;
	j["error"] = {{"code", to_string(f.code)}, {"message", f.message}};
	return dump(j) + '\n';
}

outcome<uint64_t> uint_arg(const json &args, std::string_view key, uint64_t min, uint64_t max) {
	auto range = std::to_string(min) + ".." + std::to_string(max);
	auto it = args.is_object() ? args.find(key) : args.end();
	if (!args.is_object() || it == args.end())
		return failure{errc::invalid_argument, "missing argument '" + std::string(key) + "' (" + range + ")"};
	if (!is_uint(*it) || it->get<uint64_t>() < min || it->get<uint64_t>() > max)
		return failure{errc::invalid_argument,
		               "argument '" + std::string(key) + "' must be an integer in " + range + ", got " + dump(*it)};
	return it->get<uint64_t>();
}

outcome<std::string> string_arg(const json &args, std::string_view key) {
	auto it = args.is_object() ? args.find(key) : args.end();
	if (!args.is_object() || it == args.end())
		return failure{errc::invalid_argument, "missing argument '" + std::string(key) + "'"};
	if (!it->is_string())
		return failure{errc::invalid_argument, "argument '" + std::string(key) + "' must be a string, got " + dump(*it)};
	return it->get<std::string>();
}

} // namespace l2tpx::mgmt
