// The public JSON and CSV helpers (include/hashguard/json.hpp, csv.hpp): the
// one writer every JSON emitter uses, and a strict, locale-independent reader.
#include <catch2/catch.hpp>

#include <clocale>
#include <cmath>

#include "hashguard/csv.hpp"
#include "hashguard/json.hpp"
#include "support/test_support.hpp"

using hashguard::json::Value;

namespace {
bool parses(const std::string& text, Value& v) { return hashguard::json::parse(text, "t.json", v).ok(); }
}  // namespace

TEST_CASE("numbers follow the JSON grammar exactly") {
    Value v;
    for (const char* good : {"0", "-0", "12", "-3", "1.5", "0.25", "1e3", "1E+3", "2.5e-2", "9007199254740993"}) {
        INFO(good);
        REQUIRE(parses(good, v));
        CHECK(v.type == Value::Type::number);
    }
    REQUIRE(parses("9007199254740993", v));
    CHECK(v.integral);
    CHECK(v.integer == 9007199254740993ll);  // exact, beyond a double's 53 bits
    REQUIRE(parses("31", v));
    CHECK((v.integral && v.integer == 31 && v.number == 31.0));
    REQUIRE(parses("31.0", v));
    CHECK_FALSE(v.integral);
    for (const char* bad : {"01", "1.", ".5", "+1", "1e", "1e+", "-", "--1", "0x10", "NaN", "Infinity", "-Infinity",
                            "1e999", "1.5.2", "1,5", " 1 2", "tru", "nul"}) {
        INFO(bad);
        CHECK_FALSE(parses(bad, v));
        CHECK(v.type == Value::Type::null);  // nothing half-parsed is left behind
    }
}

TEST_CASE("duplicate keys, trailing commas, comments and control characters are refused, naming the line") {
    Value v;
    hashguard::Error e = hashguard::json::parse("{\n\"a\": 1,\n\"a\": 2}", "c.json", v);
    CHECK(e.code == hashguard::Status::list_format);
    CHECK(e.message == "c.json:3: duplicate key \"a\"");
    CHECK_FALSE(parses("[1, 2,]", v));
    CHECK_FALSE(parses("{\"a\": 1,}", v));
    CHECK_FALSE(parses("// comment\n{}", v));
    CHECK_FALSE(parses("\"tab\there\"", v));
    CHECK_FALSE(parses("[1] [2]", v));
    std::string deep(100, '[');
    deep += std::string(100, ']');
    CHECK(hashguard::json::parse(deep, "d", v).message.find("nested too deeply") != std::string::npos);
    REQUIRE(parses("{\"s\": \"\\u00e9\\ud83d\\ude00\\n\", \"b\": [true, false, null]}", v));
    CHECK(*v.get_string("s") == "\xC3\xA9\xF0\x9F\x98\x80\n");
    CHECK(v.get("b")->array.size() == 3);
    CHECK(v.get_string("b") == nullptr);
}

TEST_CASE("the writer escapes strings, replaces invalid UTF-8 and writes numbers the same in every locale") {
    std::string o;
    hashguard::json::Writer w(o);
    w.begin_object().field("s", std::string("q\"b\\n\n\x01\x7f", 8)).field("bad", std::string("a\xFF" "b"));
    w.field("n", -12).field("u", 18446744073709551615ull).field("f", 2.5, 2).field("nan", std::nan(""), 2);
    w.key("arr").begin_array().value(true).null().value("x").end_array();
    w.field("empty", "").end_object();
    CHECK(o == "{\"s\":\"q\\\"b\\\\n\\n\\u0001\\u007f\",\"bad\":\"a\\ufffdb\",\"n\":-12,\"u\":18446744073709551615,"
               "\"f\":2.50,\"nan\":null,\"arr\":[true,null,\"x\"],\"empty\":\"\"}");
    Value v;
    REQUIRE(parses(o, v));  // what we write, we read
    std::string why;
    CHECK(hgtest::python_jsonl_objects(o + "\n", why) == 1);  // and so does python3's json
    std::string spliced;
    hashguard::json::Writer(spliced).begin_object().field("path", "/x").members_of("{\"a\":1,\"b\":[2]}").end_object();
    CHECK(spliced == "{\"path\":\"/x\",\"a\":1,\"b\":[2]}");
    std::string none;
    hashguard::json::Writer(none).begin_object().field("path", "/x").members_of("{ }").end_object();
    CHECK(none == "{\"path\":\"/x\"}");
}

TEST_CASE("reading and writing do not depend on the C locale's decimal separator", "[skippable]") {
    const char* comma_locales[] = {"de_DE.UTF-8", "de_DE.utf8", "fr_FR.UTF-8", "fr_FR.utf8"};
    const char* found = nullptr;
    for (const char* l : comma_locales)
        if (std::setlocale(LC_NUMERIC, l)) {
            found = l;
            break;
        }
    if (!found) HG_SKIP("no locale with a decimal comma is installed (scripts/setup-deps.sh generates de_DE.UTF-8)");
    INFO("LC_NUMERIC=" << found);
    char buf[16];
    std::snprintf(buf, sizeof buf, "%.1f", 1.5);
    CHECK(std::string(buf) == "1,5");  // the locale is really in effect
    Value v;
    CHECK(parses("1.5", v));
    CHECK(v.number == 1.5);
    CHECK_FALSE(parses("1,5", v));
    std::string o;
    hashguard::json::Writer(o).value(1.5, 1);
    CHECK(o == "1.5");
    std::setlocale(LC_NUMERIC, "C");
}

TEST_CASE("CSV fields: quoting, doubled quotes, trimming, and what is written reads back") {
    std::vector<std::string> f;
    REQUIRE(hashguard::csv::split("a, \"b,c\" ,\"d\"\"e\",, f ", f));
    CHECK(f == std::vector<std::string>{"a", "b,c", "d\"e", "", "f"});
    CHECK_FALSE(hashguard::csv::split("\"open", f));
    std::string line;
    for (const std::string& s : {std::string("plain"), std::string("with,comma"), std::string("with\"quote"), std::string("line\nbreak"), std::string()}) {
        if (!line.empty() || s != "plain") line += ',';
        hashguard::csv::append_field(line, s);
    }
    CHECK(line == "plain,\"with,comma\",\"with\"\"quote\",\"line\nbreak\",");
}

TEST_CASE("Duplicate keys are found in large objects too (hashed past 16 keys)") {
    std::string text = "{";
    for (int i = 0; i < 40; ++i) text.append(i ? ",\"k" : "\"k").append(std::to_string(i)).append("\":").append(std::to_string(i));
    hashguard::json::Value v;
    REQUIRE(hashguard::json::parse(std::string(text).append("}"), "t", v).ok());
    CHECK(v.keys.size() == 40);
    const hashguard::Error e = hashguard::json::parse(std::string(text).append(",\"k3\":1}"), "t", v);
    CHECK(e.code == hashguard::Status::list_format);
    CHECK(e.message.find("duplicate key \"k3\"") != std::string::npos);
    CHECK(hashguard::json::parse(std::string(text).append(",\"k39\":1}"), "t", v).code == hashguard::Status::list_format);
    CHECK(hashguard::json::parse(std::string(text).append(",\"k40\":1}"), "t", v).ok());
}
