#include "scan/config.hpp"

#include "common/errors.hpp"
#include "common/io.hpp"
#include "hashguard/json.hpp"

namespace hashguard::scan {

namespace {

using json::Value;

bool parse_kind(const std::string& s, HashKind& k) {
    for (HashKind c : {HashKind::pdq, HashKind::md5, HashKind::sha1, HashKind::sha256, HashKind::vpdq})
        if (s == hash_kind_name(c)) {
            k = c;
            return true;
        }
    return false;
}

// Reads one list object of the config.
struct SpecReader {
    const std::string& source;

    Error bad(const Value& v, const std::string& why) const {
        return {Status::list_format, source + ":" + std::to_string(v.line) + ": " + why};
    }
    Error string(const std::string& k, const Value& v, std::string& dst) const {
        if (v.type != Value::Type::string) return bad(v, "\"" + k + "\" must be a string");
        dst = v.string;
        return {};
    }
    Error integer(const std::string& k, const Value& v, int lo, int hi, int& dst) const {
        if (v.type != Value::Type::number || !v.integral || v.integer < lo || v.integer > hi)
            return bad(v, "\"" + k + "\" must be an integer " + std::to_string(lo) + ".." + std::to_string(hi));
        dst = static_cast<int>(v.integer);
        return {};
    }
    Error boolean(const std::string& k, const Value& v, std::optional<bool>& dst) const {
        if (v.type != Value::Type::boolean) return bad(v, "\"" + k + "\" must be true or false");
        dst = v.boolean;
        return {};
    }

    Error paths(const std::string& k, const Value& v, std::vector<std::string>& dst) const {
        if (v.type != Value::Type::array) return bad(v, "\"" + k + "\" must be an array of paths");
        for (const Value& p : v.array) {
            if (p.type != Value::Type::string || p.string.empty()) return bad(p, "\"" + k + "\" holds a non-path");
            dst.push_back(p.string);
        }
        return {};
    }

    Error member(const std::string& k, const Value& v, ListSpec& spec) const {
        std::string s;
        if (k == "name") return string(k, v, spec.config.name);
        if (k == "path") return string(k, v, spec.path);
        if (k == "threshold") return integer(k, v, 0, 256, spec.config.threshold);
        if (k == "min_quality") return integer(k, v, 0, 100, spec.config.min_quality);
        if (k == "query_pct") return integer(k, v, 0, 100, spec.config.query_pct);
        if (k == "compared_pct") return integer(k, v, 0, 100, spec.config.compared_pct);
        if (k == "skip_bad_lines") return boolean(k, v, spec.skip_bad_lines);
        if (k == "deltas") return paths(k, v, spec.deltas);
        if (k == "allow_empty") return boolean(k, v, spec.allow_empty);
        if (k == "kind") {
            if (Error e = string(k, v, s)) return e;
            return parse_kind(s, spec.config.kind) ? Error{} : bad(v, "\"kind\" must be pdq, md5, sha1, sha256 or vpdq");
        }
        if (k == "role") {
            if (Error e = string(k, v, s)) return e;
            if (s != "block" && s != "allow") return bad(v, "\"role\" must be block or allow");
            spec.config.role = s == "allow" ? Role::allow : Role::block;
            return {};
        }
        return bad(v, "unknown key \"" + k + "\"");
    }

    Error spec(const Value& item, const std::string& base_dir, ListSpec& out) const {
        if (item.type != Value::Type::object) return bad(item, "each list must be an object");
        for (std::size_t m = 0; m < item.keys.size(); ++m)
            if (Error e = member(item.keys[m], item.members[m], out)) return e;
        if (out.config.name.empty()) return bad(item, "a list needs a non-empty \"name\"");
        if (out.path.empty()) return bad(item, "list \"" + out.config.name + "\" needs a non-empty \"path\"");
        auto relative = [&](std::string& p) {
            if (p[0] != '/' && !base_dir.empty()) p = base_dir + "/" + p;
        };
        relative(out.path);
        for (auto& d : out.deltas) relative(d);
        return {};
    }
};

}  // namespace

Error parse_lists_config(std::string_view text, const std::string& source, const std::string& base_dir,
                         std::vector<ListSpec>& out) {
    return detail::guard([&]() -> Error {
        out.clear();
        Value doc;
        if (Error e = json::parse(text, source, doc)) return e;
        const SpecReader r{source};
        if (doc.type != Value::Type::object) return r.bad(doc, "the config must be an object {\"lists\": [...]}");
        for (std::size_t i = 0; i < doc.keys.size(); ++i)
            if (doc.keys[i] != "lists")
                return r.bad(doc.members[i], "unknown key \"" + doc.keys[i] + "\" (expected \"lists\")");
        const Value* lists = doc.get("lists");
        if (!lists) return r.bad(doc, "no \"lists\" array");
        if (lists->type != Value::Type::array) return r.bad(*lists, "\"lists\" must be an array");
        if (lists->array.empty()) return r.bad(*lists, "\"lists\" is empty: a config must name at least one list");
        for (const Value& item : lists->array) {
            ListSpec spec;
            if (Error e = r.spec(item, base_dir, spec)) return e;
            for (const auto& o : out)
                if (o.config.name == spec.config.name)
                    return r.bad(item, "list name \"" + spec.config.name + "\" used twice");
            out.push_back(std::move(spec));
        }
        return {};
    });
}

Error load_lists_config(const std::string& path, std::vector<ListSpec>& out) {
    std::vector<std::uint8_t> bytes;
    if (Error e = detail::guard([&] { return detail::read_regular_file(path, bytes, std::size_t{16} << 20); })) {
        e.message = path + ": " + e.message;
        return e;
    }
    const std::size_t slash = path.rfind('/');
    const std::string dir = slash == std::string::npos ? std::string(".") : path.substr(0, slash);
    return parse_lists_config(std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()), path, dir,
                              out);
}

}  // namespace hashguard::scan
