#include "args.hpp"

#include <charconv>
#include <cmath>
#include <cstdio>

namespace hgcli {

bool parse_integer(const std::string& s, long long& v) {
    const char* b = s.data();
    const char* e = s.data() + s.size();
    const auto r = std::from_chars(b, e, v);
    return !s.empty() && r.ec == std::errc() && r.ptr == e;
}

bool parse_real(const std::string& s, double& v) {
    const char* b = s.data();
    const char* e = s.data() + s.size();
    const auto r = std::from_chars(b, e, v);
    return !s.empty() && r.ec == std::errc() && r.ptr == e && std::isfinite(v);
}

namespace {

std::vector<std::string> split_names(const char* names) {
    std::vector<std::string> out;
    std::string cur;
    for (const char* p = names;; ++p) {
        if (*p == ',' || *p == '\0') {
            if (!cur.empty()) out.push_back(cur);
            cur.clear();
            if (*p == '\0') break;
        } else {
            cur += *p;
        }
    }
    return out;
}

std::string range_text(long long lo, long long hi) { return "an integer " + std::to_string(lo) + ".." + std::to_string(hi); }

}  // namespace

Args::Args(std::string command, std::string synopsis, std::string about, std::string footer)
    : command_(std::move(command)), synopsis_(std::move(synopsis)), about_(std::move(about)),
      footer_(std::move(footer)) {}

Args& Args::add(const char* names, const char* metavar, const char* help, std::string expected,
                std::function<bool(const std::string&)> apply) {
    Option o;
    o.names = split_names(names);
    o.metavar = metavar ? metavar : "";
    o.help = help;
    o.takes_value = metavar != nullptr;
    o.apply = std::move(apply);
    o.expected = std::move(expected);
    options_.push_back(std::move(o));
    return *this;
}

Args& Args::flag(const char* names, bool& dst, const char* help) { return flag_value(names, dst, true, help); }

Args& Args::flag_value(const char* names, bool& dst, bool value, const char* help) {
    return add(names, nullptr, help, {}, [&dst, value](const std::string&) { return dst = value, true; });
}

Args& Args::text(const char* names, const char* metavar, std::string& dst, const char* help) {
    return add(names, metavar, help, "a value", [&dst](const std::string& v) { return dst = v, true; });
}

Args& Args::texts(const char* names, const char* metavar, std::vector<std::string>& dst, const char* help) {
    return add(names, metavar, help, "a value", [&dst](const std::string& v) { return dst.push_back(v), true; });
}

Args& Args::integer(const char* names, const char* metavar, long long& dst, long long lo, long long hi,
                    const char* help) {
    return add(names, metavar, help, range_text(lo, hi), [&dst, lo, hi](const std::string& s) {
        long long v = 0;
        if (!parse_integer(s, v) || v < lo || v > hi) return false;
        dst = v;
        return true;
    });
}

Args& Args::real(const char* names, const char* metavar, double& dst, double lo, double hi, const char* help) {
    char expected[96];
    std::snprintf(expected, sizeof expected, "a number %g..%g", lo, hi);
    return add(names, metavar, help, expected, [&dst, lo, hi](const std::string& s) {
        double v = 0;
        if (!parse_real(s, v) || v < lo || v > hi) return false;
        dst = v;
        return true;
    });
}

Args& Args::choice(const char* names, const char* metavar, int& dst, std::vector<std::pair<std::string, int>> choices,
                   const char* help) {
    std::string expected = "one of";
    for (const auto& c : choices) expected += " " + c.first;
    return add(names, metavar, help, expected, [&dst, choices](const std::string& s) {
        for (const auto& c : choices)
            if (c.first == s) return dst = c.second, true;
        return false;
    });
}

Args& Args::operands(const char* metavar, std::vector<std::string>& dst, std::size_t min) {
    operands_ = &dst;
    operand_metavar_ = metavar;
    min_operands_ = min;
    return *this;
}

const Args::Option* Args::find(const std::string& name) const {
    for (const auto& o : options_)
        for (const auto& n : o.names)
            if (n == name) return &o;
    return nullptr;
}

int Args::usage_error(const std::string& why) const {
    std::fprintf(stderr, "%s: %s\nusage: %s %s   ('%s --help' for all options)\n", command_.c_str(), why.c_str(),
                 command_.c_str(), synopsis_.c_str(), command_.c_str());
    return 2;
}

std::string Args::help() const {
    std::string h = "usage: " + command_ + " " + synopsis_ + "\n";
    if (!about_.empty()) h += about_ + (about_.back() == '\n' ? "" : "\n");
    h += "options:\n";
    for (const auto& o : options_) {
        std::string left = "  ";
        for (std::size_t i = 0; i < o.names.size(); ++i) left += (i ? ", " : "") + o.names[i];
        if (o.takes_value) left += " " + o.metavar;
        if (left.size() < 26) left.resize(26, ' ');
        else left += "\n" + std::string(26, ' ');
        std::string help = o.help;  // continuation lines of the help are indented under it
        for (std::size_t p = help.find('\n'); p != std::string::npos; p = help.find('\n', p + 1))
            help.insert(p + 1, std::string(26, ' '));
        h += left + help + "\n";
    }
    h += "  -h, --help              this text\n";
    if (!footer_.empty()) h += footer_ + (footer_.back() == '\n' ? "" : "\n");
    return h;
}

int Args::parse(int argc, char** argv) {
    bool only_operands = false;
    for (int i = 0; i < argc; ++i) {
        const std::string a = argv[i];
        if (!only_operands && (a == "-h" || a == "--help")) {
            std::fputs(help().c_str(), stdout);
            return 0;
        }
        if (!only_operands && a == "--") {
            only_operands = true;
            continue;
        }
        if (only_operands || a.size() < 2 || a[0] != '-') {
            if (!operands_) return usage_error("unexpected operand '" + a + "'");
            operands_->push_back(a);
            continue;
        }
        const Option* o = find(a);
        if (!o) return usage_error("unknown option '" + a + "'");
        if (o->takes_value && i + 1 >= argc) return usage_error(a + " needs " + o->expected);
        const std::string value = o->takes_value ? argv[++i] : std::string();
        if (!o->apply(value)) return usage_error(a + " needs " + o->expected + ", not '" + value + "'");
    }
    if (operands_ && operands_->size() < min_operands_)
        return usage_error(min_operands_ == 1 ? "no " + operand_metavar_ + " given"
                                              : "needs " + std::to_string(min_operands_) + " " + operand_metavar_);
    return -1;
}

}  // namespace hgcli
