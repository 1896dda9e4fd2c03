#include "scan/config.hpp"

#include <cmath>

#include "common/errors.hpp"
#include "common/json_parse.hpp"

namespace hashguard::scan {

namespace {

using detail::JsonValue;

bool parse_kind(const std::string& s, HashKind& k) {
    for (HashKind c : {HashKind::pdq, HashKind::md5, HashKind::sha1, HashKind::sha256})
        if (s == hash_kind_name(c)) {
            k = c;
            return true;
        }
    return false;
}

}  // namespace

Error parse_lists_config(std::string_view text, const std::string& source, const std::string& base_dir,
                         std::vector<ListSpec>& out) {
    return detail::guard([&]() -> Error {
        out.clear();
        JsonValue doc;
        if (Error e = detail::parse_json(text, source, doc)) return e;
        auto bad = [&](const JsonValue& v, const std::string& why) -> Error {
            return {Status::list_format, source + ":" + std::to_string(v.line) + ": " + why};
        };
        const JsonValue* lists = &doc;
        if (doc.type == JsonValue::Type::object) {
            for (std::size_t i = 0; i < doc.keys.size(); ++i)
                if (doc.keys[i] != "lists")
                    return bad(doc.members[i], "unknown key \"" + doc.keys[i] + "\" (expected \"lists\")");
            lists = doc.get("lists");
            if (!lists) return bad(doc, "no \"lists\" array");
        }
        if (lists->type != JsonValue::Type::array) return bad(*lists, "\"lists\" must be an array");
        for (const JsonValue& item : lists->array) {
            if (item.type != JsonValue::Type::object) return bad(item, "each list must be an object");
            ListSpec spec;
            bool have_name = false, have_path = false;
            for (std::size_t m = 0; m < item.keys.size(); ++m) {
                const std::string& k = item.keys[m];
                const JsonValue& v = item.members[m];
                auto want_string = [&]() -> Error {
                    return v.type == JsonValue::Type::string ? Error{} : bad(v, "\"" + k + "\" must be a string");
                };
                auto want_int = [&](int lo, int hi, int& dst) -> Error {
                    if (v.type != JsonValue::Type::number || v.number != std::floor(v.number) || v.number < lo ||
                        v.number > hi)
                        return bad(v, "\"" + k + "\" must be an integer " + std::to_string(lo) + ".." + std::to_string(hi));
                    dst = static_cast<int>(v.number);
                    return {};
                };
                Error e;
                if (k == "name") {
                    if (!(e = want_string())) spec.config.name = v.string, have_name = !v.string.empty();
                } else if (k == "path") {
                    if (!(e = want_string())) spec.path = v.string, have_path = !v.string.empty();
                } else if (k == "kind") {
                    if (!(e = want_string()) && !parse_kind(v.string, spec.config.kind))
                        e = bad(v, "\"kind\" must be pdq, md5, sha1 or sha256");
                } else if (k == "role") {
                    if (!(e = want_string())) {
                        if (v.string == "block") spec.config.role = Role::block;
                        else if (v.string == "allow") spec.config.role = Role::allow;
                        else e = bad(v, "\"role\" must be block or allow");
                    }
                } else if (k == "threshold") {
                    e = want_int(0, 256, spec.config.threshold);
                } else if (k == "min_quality") {
                    e = want_int(0, 100, spec.config.min_quality);
                } else {
                    e = bad(v, "unknown key \"" + k + "\"");
                }
                if (e) return e;
            }
            if (!have_name) return bad(item, "a list needs a non-empty \"name\"");
            if (!have_path) return bad(item, "list \"" + spec.config.name + "\" needs a \"path\"");
            for (const auto& o : out)
                if (o.config.name == spec.config.name)
                    return bad(item, "list name \"" + spec.config.name + "\" used twice");
            if (spec.path[0] != '/' && !base_dir.empty()) spec.path = base_dir + "/" + spec.path;
            out.push_back(std::move(spec));
        }
        return {};
    });
}

Error load_lists_config(const std::string& path, std::vector<ListSpec>& out) {
    std::vector<std::uint8_t> bytes;
    if (Error e = read_file(path, bytes, std::size_t{16} << 20)) {
        e.message = path + ": " + e.message;
        return e;
    }
    const std::size_t slash = path.rfind('/');
    const std::string dir = slash == std::string::npos ? std::string(".") : path.substr(0, slash);
    return parse_lists_config(std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()), path, dir,
                              out);
}

Error load_list_entries(const ListSpec& spec, bool skip_bad_lines, std::shared_ptr<const HashList>& out,
                        ListParseReport* report) {
    return detail::guard([&]() -> Error {
        ListParseOptions po;
        po.kind = spec.config.kind == HashKind::pdq ? ListKind::pdq : ListKind::exact;
        po.skip_bad_lines = skip_bad_lines;
        auto list = new_secure_list();
        if (Error e = load_list_file(spec.path, *list, po, report)) return e;
        if (Error e = check_digest_kinds(*list, spec.config)) return e;
        out = std::move(list);
        return {};
    });
}

Error build_list_set(const std::vector<ListSpec>& specs, bool skip_bad_lines, std::shared_ptr<const ListSet>& out) {
    return detail::guard([&]() -> Error {
        auto set = std::make_shared<ListSet>();
        for (const auto& spec : specs) {
            std::shared_ptr<const HashList> entries;
            if (Error e = load_list_entries(spec, skip_bad_lines, entries)) return e;
            if (Error e = set->add(spec.config, entries)) return e;
        }
        out = std::move(set);
        return {};
    });
}

}  // namespace hashguard::scan
