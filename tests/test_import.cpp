// Importers: every feed format on fixtures written from the format facts
// (tests/data/feeds/), provenance, tombstones, checkpoints, malformed records
// (file:line, all or nothing, skip mode), ImportSet's merge rules, and an
// import scanned end to end through the C API.
#include <catch2/catch.hpp>

#include <cstdio>
#include <fstream>
#include <map>
#include <unistd.h>
#include <string_view>

#include "hashguard/hashguard.hpp"
#include "hashguard/import.hpp"
#include "hashguard/video.hpp"
#include "support/test_support.hpp"

using namespace hashguard;
using namespace hgtest;

namespace {

const std::string kBaboonPdq = "8f3c64f76fa5e4d225c716c7e74097801f0d5278260dbb82f87c03dfc583f502";
const std::string kBaboonMd5 = "9a7171af1d6c6f0901d36d04e1bd68ad";
const std::string kFruitsPdq = "5181e3bd6102cb1487b764289fcb0c317ce3da63c0d76fa636cfb666c93c09a3";
const std::string kFruitsSha1 = "77a9d69312074d8ec8b62cb1b2414a55b0bf8d66";
const std::string kMessiPdq = "c86f3d1bb60a7b4371c1cbf2b05bec65d8180c030fc14389e542bb26ef43f6cb";
const std::string kMessiSha256 = "1d570e49654e84c7a943918537bd9e5e1ef82920152e147c834006e235be97c9";
const std::string kApplePdq = "b53f17065f1b128671d1304f78589e0ea5b849e593e1f8c03eb51c3cba4bd9d1";
const std::string kAppleMd5 = "e05e64a4716c2ff3b1082bd5780869ff";
const std::string kPanMd5 = "437c4a19af75c75ac77f5d42975637a2";
const std::string kA = std::string(32, 'a') + std::string(32, '1');

std::string feed(const std::string& name) { return std::string(HG_TEST_SOURCE_DIR) + "/tests/data/feeds/" + name; }

FeedOptions opts(FeedFormat f) {
    FeedOptions o;
    o.format = f;
    return o;
}

std::vector<FeedRecord> read_all(const std::string& file, const FeedOptions& o, FeedReport* rep = nullptr) {
    std::vector<FeedRecord> out;
    const Error e = read_feed_file(feed(file), o, [&](const FeedRecord& r) {
        out.push_back(r);
        return Error{};
    }, rep);
    INFO(e.message);
    REQUIRE(e.ok());
    return out;
}

Error read_text(const std::string& text, const FeedOptions& o, std::vector<FeedRecord>* out = nullptr,
                FeedReport* rep = nullptr) {
    return read_feed(text, "t", o, [&](const FeedRecord& r) {
        if (out) out->push_back(r);
        return Error{};
    }, rep);
}

std::string label(const FeedRecord& r, const std::string& key) {
    for (const auto& [k, v] : r.labels)
        if (k == key) return v;
    return "<none>";
}

std::size_t unsupported(const FeedReport& rep, const std::string& kind) {
    for (const auto& [k, n] : rep.unsupported)
        if (k == kind) return n;
    return 0;
}

// hash -> (id, metadata) of a group.
std::map<std::string, std::pair<std::string, std::string>> group(const ImportSet& set, bool allow, HashKind kind) {
    HashList l;
    const Error e = set.to_list(allow, kind, l);
    INFO(e.message);
    REQUIRE(e.ok());
    std::map<std::string, std::pair<std::string, std::string>> out;
    for (std::size_t i = 0; i < l.size(); ++i)
        out[kind == HashKind::pdq ? l.pdq[i].to_hex() : l.digests[i].to_hex()] = {l.ids[i], l.metadata[i]};
    return out;
}

void apply_files(ImportSet& set, FeedFormat f, std::initializer_list<const char*> files) {
    for (const char* file : files) {
        const Error e = set.apply_file(feed(file), opts(f));
        INFO(e.message);
        REQUIRE(e.ok());
    }
}

std::string temp_dir(const std::string& tag) {
    const std::string d = "/tmp/hg-test-import-" + tag + "-" + std::to_string(::getpid());
    std::string out;
    REQUIRE(run("rm -rf '" + d + "'", out) == 0);
    return d;
}

}  // namespace

TEST_CASE("Plain type-hash text: HMA's names as aliases, unsupported types counted, empty fields skipped") {
    FeedReport rep;
    const auto recs = read_all("hma-signals.txt", opts(FeedFormat::text), &rep);
    REQUIRE(recs.size() == 4);
    CHECK(recs[0].kind == HashKind::pdq);
    CHECK(recs[0].hash == kBaboonPdq);
    CHECK(recs[0].id == "hma-signals.txt:1");  // file:line: unique across the files of an import
    CHECK(recs[0].source == "text");
    CHECK(recs[1].kind == HashKind::md5);
    CHECK(recs[1].media == "video");  // video_md5
    CHECK(recs[2].kind == HashKind::md5);
    CHECK(recs[3].kind == HashKind::sha1);
    CHECK(recs[3].line == 8);
    CHECK(unsupported(rep, "url") == 1);
    CHECK(unsupported(rep, "raw_text") == 1);
    CHECK(rep.records == 6);
    CHECK(rep.additions == 4);
    CHECK(rep.bad_records == 0);
}

TEST_CASE("ThreatExchange CSV: NEGATIVE_CLASS goes to the allow list, collab/category/tags kept") {
    FeedReport rep;
    const auto recs = read_all("te-export.csv", opts(FeedFormat::te_csv), &rep);
    REQUIRE(recs.size() == 3);
    CHECK(!recs[0].allow);
    CHECK(label(recs[0], "tags") == "tag1 tag2");
    CHECK(label(recs[0], "collab") == "Example Collab");
    CHECK(recs[1].allow);
    CHECK(recs[1].hash == kApplePdq);
    CHECK(recs[2].kind == HashKind::md5);
    CHECK(recs[2].media == "video");
    CHECK(label(recs[2], "category") == "INVESTIGATION_SEED");
    CHECK(unsupported(rep, "url") == 1);  // quoted comma inside: still one field

    ImportSet set;
    apply_files(set, FeedFormat::te_csv, {"te-export.csv"});
    CHECK(group(set, true, HashKind::pdq).count(kApplePdq) == 1);
    CHECK(group(set, false, HashKind::pdq).count(kApplePdq) == 0);
}

TEST_CASE("ThreatExchange threat_updates: types, video MD5 by tag, NON_MALICIOUS allow, should_delete, paging") {
    FeedReport rep;
    const auto recs = read_all("te-updates-1.json", opts(FeedFormat::te_json), &rep);
    REQUIRE(recs.size() == 3);
    CHECK(recs[0].id == "1001");
    CHECK(recs[0].source == "threatexchange");
    CHECK(label(recs[0], "tags") == "csam_like tag2");
    CHECK(recs[1].kind == HashKind::md5);
    CHECK(recs[1].media == "video");
    CHECK(recs[2].allow);
    CHECK(unsupported(rep, "uri") == 1);
    CHECK(rep.checkpoint == "1600000300");
    CHECK(rep.more);
    CHECK(rep.next_page.find("after=abc") != std::string::npos);

    ImportSet set;
    apply_files(set, FeedFormat::te_json, {"te-updates-1.json", "te-updates-2.json"});
    CHECK(group(set, false, HashKind::pdq).count(kMessiPdq) == 0);  // deleted by the second page
    CHECK(group(set, false, HashKind::md5).count(kPanMd5) == 1);
    CHECK(group(set, true, HashKind::pdq).count(kApplePdq) == 1);
}

TEST_CASE("NCMEC XML v2: every matchable fingerprint kept, others counted, deleted entries, paging, namespaces") {
    FeedReport rep;
    const auto recs = read_all("ncmec-page1.xml", opts(FeedFormat::ncmec_xml), &rep);
    // image1: md5 sha1 pdq; image2: pdq; image3: pdq md5; a tombstone; video1: md5.
    REQUIRE(recs.size() == 8);
    CHECK(recs[0].kind == HashKind::md5);
    CHECK(recs[0].hash == kBaboonMd5);
    CHECK(recs[0].id == "42-image1");  // member-id: NCMEC ids are unique per member
    CHECK(recs[0].source == "ncmec");
    CHECK(recs[0].media == "image");
    CHECK(label(recs[0], "classification") == "A1");
    CHECK(label(recs[0], "member") == "42:Example ESP");
    CHECK(label(recs[0], "timestamp") == "2017-10-24T15:00:00Z");
    CHECK(recs[0].line == 4);
    CHECK(recs[2].kind == HashKind::pdq);
    CHECK(recs[6].tombstone);
    CHECK(recs[6].hash.empty());
    CHECK(recs[6].id == "43-image-never-seen");
    CHECK(recs[7].media == "video");
    CHECK(recs[7].hash == kPanMd5);
    for (const char* k : {"pdna", "netclean", "tmk_pdqf", "videntifier"}) CHECK(unsupported(rep, k) == 1);
    CHECK(rep.records == 5);
    CHECK(rep.checkpoint == "2017-10-24T15:10:00Z");
    CHECK(rep.more);
    CHECK(rep.next_page.find("&start=5&") != std::string::npos);  // &amp; decoded

    // Page 2 (prefixed namespace, CDATA, entities) withdraws image3 by id.
    FeedReport rep2;
    const auto recs2 = read_all("ncmec-page2.xml", opts(FeedFormat::ncmec_xml), &rep2);
    REQUIRE(recs2.size() == 2);
    CHECK(recs2[0].tombstone);
    CHECK(recs2[0].id == "43-image3");
    CHECK(recs2[1].id == "44-image5");
    CHECK(label(recs2[1], "member") == "44:Smith & Sons \xE2\x98\xBA");
    CHECK(!rep2.more);

    ImportSet set;
    apply_files(set, FeedFormat::ncmec_xml, {"ncmec-page1.xml", "ncmec-page2.xml"});
    const auto pdq = group(set, false, HashKind::pdq);
    CHECK(pdq.size() == 2);  // baboon, messi; apple (image3) withdrawn
    CHECK(pdq.count(kApplePdq) == 0);
    CHECK(group(set, false, HashKind::md5).count(kAppleMd5) == 0);  // every fingerprint of image3
    CHECK(group(set, false, HashKind::sha1).count(kFruitsSha1) == 1);
    CHECK(pdq.at(kBaboonPdq).first == "42-image1");
    CHECK(pdq.at(kBaboonPdq).second ==
          "source=ncmec;id=42-image1;media=image;member=42:Example ESP;timestamp=2017-10-24T15:00:00Z;classification=A1");
}

TEST_CASE("StopNCII: Withdrawn is a tombstone (HMA never drops them), checkpoint and page token") {
    FeedReport rep;
    const auto recs = read_all("stopncii-page1.json", opts(FeedFormat::stopncii_json), &rep);
    REQUIRE(recs.size() == 2);
    CHECK(recs[0].id == "uuid-1");
    CHECK(label(recs[0], "feedback") == "X:Blocked");
    CHECK(unsupported(rep, "videotmk") == 1);
    CHECK(rep.checkpoint == "1625175071");
    CHECK(rep.more);
    CHECK(rep.next_page == "tok-2");

    ImportSet set;
    apply_files(set, FeedFormat::stopncii_json, {"stopncii-page1.json"});
    CHECK(group(set, false, HashKind::pdq).count(kApplePdq) == 1);
    apply_files(set, FeedFormat::stopncii_json, {"stopncii-page2.json"});
    const auto pdq = group(set, false, HashKind::pdq);
    CHECK(pdq.count(kApplePdq) == 0);
    CHECK(pdq.count(kFruitsPdq) == 1);
}

TEST_CASE("Tech Against Terrorism TCAP: algorithms, SHA512 counted, deleted, checkpoint") {
    FeedReport rep;
    const auto recs = read_all("tat.json", opts(FeedFormat::tat_json), &rep);
    REQUIRE(recs.size() == 3);
    CHECK(recs[0].id == "2821");
    CHECK(label(recs[0], "ideology") == "example");
    CHECK(recs[1].kind == HashKind::sha256);
    CHECK(recs[2].tombstone);
    CHECK(unsupported(rep, "sha512") == 1);
    CHECK(rep.checkpoint == "1724856487.709035,10594");
    CHECK(!rep.more);  // "next": null

    ImportSet set;
    apply_files(set, FeedFormat::tat_json, {"tat.json"});
    CHECK(group(set, false, HashKind::pdq).size() == 1);
    CHECK(group(set, false, HashKind::sha256).empty());
    CHECK(set.size() == 1);
}

TEST_CASE("vPDQ JSON lines: ids, normalised arrays the vPDQ list parser reads back") {
    const auto recs = read_all("vpdq.json", opts(FeedFormat::vpdq_json));
    REQUIRE(recs.size() == 2);
    CHECK(recs[0].id == "pan-720p");
    CHECK(label(recs[0], "metadata") == "collection=demo");
    CHECK(recs[1].id == "vpdq.json:2");
    ImportSet set;
    apply_files(set, FeedFormat::vpdq_json, {"vpdq.json"});
    std::string text;
    REQUIRE(set.vpdq_text(false, text).ok());
    VpdqList list;
    const Error e = parse_vpdq_list(text, "imported", list);
    INFO(e.message);
    REQUIRE(e.ok());
    REQUIRE(list.videos.size() == 2);
    CHECK(list.videos[0].id == "pan-720p");
    CHECK(list.videos[0].frames.size() > 100);
    CHECK(list.videos[1].frames.size() == 1);

    std::vector<FeedRecord> out;
    const Error bad = read_text("v\t[\"" + kA + ",100,x\"]\n", opts(FeedFormat::vpdq_json), &out);
    CHECK(bad.code == Status::list_format);
    CHECK(bad.message.rfind("t:1: bad vPDQ frame array", 0) == 0);
}

TEST_CASE("Column mappings: CSV and JSON feeds, deleted column, fixed kind, errors") {
    ColumnMapping m;
    REQUIRE(parse_column_mapping("hash=hash_value,type=hash_type,id=ref,deleted=state,labels=label", m).ok());
    FeedOptions o = opts(FeedFormat::mapped_csv);
    o.mapping = m;
    o.source = "gifct";
    FeedReport rep;
    const auto recs = read_all("gifct.csv", o, &rep);
    REQUIRE(recs.size() == 3);
    CHECK(recs[0].source == "gifct");
    CHECK(recs[0].id == "g-1");
    CHECK(label(recs[0], "label") == "tag_a");
    CHECK(recs[2].tombstone);  // state=deleted
    CHECK(unsupported(rep, "tmk") == 1);

    REQUIRE(parse_column_mapping("hash=h,kind=pdq,id=ref,labels=labels,records=items", m).ok());
    FeedOptions j = opts(FeedFormat::mapped_json);
    j.mapping = m;
    const auto jr = read_all("gifct.json", j);
    REQUIRE(jr.size() == 2);
    CHECK(jr[0].id == "7");
    CHECK(label(jr[0], "labels") == "x y");
    CHECK(label(jr[1], "labels") == "<none>");  // empty array: no label

    CHECK(parse_column_mapping("type=t", m).code == Status::invalid_argument);          // no hash
    CHECK(parse_column_mapping("hash=h", m).code == Status::invalid_argument);          // no type or kind
    CHECK(parse_column_mapping("hash=h,kind=tmk", m).code == Status::invalid_argument);  // unknown kind
    CHECK(parse_column_mapping("hash=h,kind=pdq,colour=x", m).code == Status::invalid_argument);
    FeedOptions nomap = opts(FeedFormat::mapped_csv);
    CHECK(read_text("a,b\n", nomap).code == Status::invalid_argument);
    REQUIRE(parse_column_mapping("hash=nope,kind=pdq", o.mapping).ok());
    const Error e = read_feed_file(feed("gifct.csv"), o, [](const FeedRecord&) { return Error{}; });
    CHECK(e.code == Status::list_format);
    CHECK(e.message.find("gifct.csv:1: the header has no column 'nope'") != std::string::npos);
}

TEST_CASE("Malformed records name file and line; all or nothing by default; skip mode counts them") {
    const std::string xml = "<queryResult><images>\n<image><id>i1</id><fingerprints><pdq>" + kBaboonPdq +
                            "</pdq></fingerprints></image>\n<image><id>i2</id><fingerprints><pdq>abc</pdq>"
                            "</fingerprints></image>\n</images></queryResult>";
    std::vector<FeedRecord> out;
    Error e = read_text(xml, opts(FeedFormat::ncmec_xml), &out);
    CHECK(e.code == Status::list_format);
    CHECK(e.message.rfind("t:3: not a pdq hash (64 hex digits): 'abc'", 0) == 0);

    FeedOptions skip = opts(FeedFormat::ncmec_xml);
    skip.skip_bad_records = true;
    out.clear();
    FeedReport rep;
    REQUIRE(read_text(xml, skip, &out, &rep).ok());
    CHECK(out.size() == 1);
    CHECK(rep.bad_records == 1);
    REQUIRE(rep.problems.size() == 1);
    CHECK(rep.problems[0].rfind("t:3:", 0) == 0);

    // ImportSet::apply_file: a bad record at the end leaves nothing applied.
    const std::string path = temp_dir("bad") + ".txt";
    std::ofstream(path) << "pdq " << kBaboonPdq << "\nmd5 " << kAppleMd5 << "\nsha1 xyz\n";
    ImportSet set;
    FeedOptions t = opts(FeedFormat::text);
    const Error bad = set.apply_file(path, t);
    CHECK(bad.code == Status::list_format);
    CHECK(bad.message == path + ":3: not a sha1 hash (40 hex digits): 'xyz'");
    CHECK(set.size() == 0);
    t.skip_bad_records = true;
    REQUIRE(set.apply_file(path, t).ok());
    CHECK(set.size() == 2);
    std::remove(path.c_str());

    CHECK(read_text("signal_type,signal_str\npdq\n", opts(FeedFormat::te_csv)).message ==
          "t:2: has 1 fields, the header has 2");
    CHECK(read_text("a,b\n", opts(FeedFormat::te_csv)).message.find("not a ThreatExchange CSV header") !=
          std::string::npos);
    CHECK(read_text("{\"hashRecords\": 3}", opts(FeedFormat::stopncii_json)).message ==
          "t:1: expected an object with a \"hashRecords\" array");
    CHECK(read_text("{\"results\": [1]}", opts(FeedFormat::tat_json)).message == "t:1: a record is not a JSON object");
    CHECK(read_text("[{\"id\": 1,}]", opts(FeedFormat::te_json)).code == Status::list_format);
    CHECK(read_text("pdqonly\n", opts(FeedFormat::text)).message == "t:1: expected \"<type> <hash>\"");
}

TEST_CASE("A feed that fails part way leaves the set exactly as it was (tombstones, revivals and additions undone)") {
    auto snapshot_of = [](const ImportSet& set) {
        std::vector<std::string> out;
        for (const auto& g : set.groups())
            for (const auto& [hash, v] : group(set, g.allow, g.kind))
                out.push_back(std::to_string(g.allow) + hash_kind_name(g.kind) + hash + "|" + v.first + "|" + v.second);
        return out;
    };
    ImportSet set, clean;
    for (ImportSet* s : {&set, &clean}) apply_files(*s, FeedFormat::ncmec_xml, {"ncmec-page1.xml"});
    const auto before = snapshot_of(set);
    // Withdraws image1 (by id) and image3, adds a new entry, lists image2's PDQ again under a new
    // id, then fails on its last record.
    const std::string path = temp_dir("rollback") + ".xml";
    std::ofstream(path) << "<queryResult><images>\n"
                        << "<deletedImage><member id=\"42\"/><id>image1</id></deletedImage>\n"
                        << "<deletedImage><member id=\"43\"/><id>image3</id></deletedImage>\n"
                        << "<image><id>new1</id><fingerprints><pdq>" << kA << "</pdq><md5>" << std::string(32, 'c')
                        << "</md5></fingerprints></image>\n"
                        << "<image><id>again</id><fingerprints><pdq>" << kMessiPdq << "</pdq></fingerprints></image>\n"
                        << "<image><id>bad</id><fingerprints><pdq>12</pdq></fingerprints></image>\n"
                        << "</images></queryResult>\n";
    const Error e = set.apply_file(path, opts(FeedFormat::ncmec_xml));
    CHECK(e.code == Status::list_format);
    CHECK(e.message == path + ":6: not a pdq hash (64 hex digits): '12'");
    CHECK(snapshot_of(set) == before);
    CHECK(set.size() == clean.size());
    // And it goes on exactly as a set that never saw the failed file.
    for (ImportSet* s : {&set, &clean}) {
        apply_files(*s, FeedFormat::ncmec_xml, {"ncmec-page2.xml"});
        apply_files(*s, FeedFormat::te_csv, {"te-export.csv"});  // reuses the dropped items' numbers
    }
    CHECK(snapshot_of(set) == snapshot_of(clean));
    FeedOptions skip = opts(FeedFormat::ncmec_xml);
    skip.skip_bad_records = true;
    REQUIRE(set.apply_file(path, skip).ok());  // skipping the bad record, the rest applies
    CHECK(group(set, false, HashKind::pdq).count(kA) == 1);
    CHECK(group(set, false, HashKind::pdq).count(kBaboonPdq) == 0);
    CHECK(group(set, false, HashKind::pdq).at(kMessiPdq).second.find("id=again") != std::string::npos);
    CHECK(group(set, false, HashKind::pdq).count(kApplePdq) == 0);  // image3, member 43
    std::remove(path.c_str());
}

TEST_CASE("The XML reader refuses what it must not trust: DTDs, bad nesting, bad entities, deep nesting") {
    const FeedOptions o = opts(FeedFormat::ncmec_xml);
    auto msg = [&](const std::string& xml) { return read_text(xml, o).message; };
    CHECK(msg("<!DOCTYPE x [<!ENTITY a \"b\">]><queryResult/>") ==
          "t:1: DOCTYPE and other declarations are not accepted");
    CHECK(msg("<queryResult><images></queryResult>") == "t:1: end tag 'queryResult' does not close <images>");
    CHECK(msg("<queryResult>&bogus;</queryResult>") == "t:1: unknown entity reference");
    CHECK(msg("<queryResult>&#0;</queryResult>") == "t:1: unknown entity reference");
    CHECK(msg("<queryResult>&#x110000;</queryResult>") == "t:1: unknown entity reference");
    CHECK(msg("<queryResult>\n<images>") == "t:2: the file ends inside <images>");
    CHECK(msg("<queryResult/><second/>") == "t:1: a second root element");
    CHECK(msg("<queryResult/>junk") == "t:1: text after the root element");
    CHECK(msg("") == "t:1: no root element");
    CHECK(msg("<queryResult a=b/>") == "t:1: unquoted attribute value");
    CHECK(msg("<queryResult a='<'/>") == "t:1: '<' in an attribute value");
    CHECK(msg("<queryResult><!-- open") == "t:1: unterminated comment");
    std::string deep;
    for (int i = 0; i < 65; ++i) deep += "<a>";
    CHECK(msg(deep) == "t:1: elements nested deeper than 64");
    CHECK(read_text("<queryResult><images><image><fingerprints><pdq>" + kBaboonPdq +
                        "</pdq></fingerprints></image></images></queryResult>",
                    o)
              .message == "t:1: an NCMEC entry without an <id>");
}

TEST_CASE("ImportSet: one entry per hash, provenance of every source joined, tombstones retire their own") {
    ImportSet set;
    FeedRecord a;
    a.kind = HashKind::pdq;
    a.hash = kBaboonPdq;
    a.source = "ncmec";
    a.id = "n1";
    FeedRecord b = a;
    b.source = "stopncii";
    b.id = "s1";
    REQUIRE(set.apply(a).ok());
    REQUIRE(set.apply(a).ok());  // the same record again (a re-sent page)
    REQUIRE(set.apply(b).ok());
    REQUIRE(set.size() == 1);
    auto g = group(set, false, HashKind::pdq);
    CHECK(g.at(kBaboonPdq).first == "n1");
    CHECK(g.at(kBaboonPdq).second == "source=ncmec;id=n1 | source=stopncii;id=s1");

    FeedRecord del_ncmec;  // NCMEC deletes by id: StopNCII still lists the hash
    del_ncmec.tombstone = true;
    del_ncmec.source = "ncmec";
    del_ncmec.id = "n1";
    REQUIRE(set.apply(del_ncmec).ok());
    g = group(set, false, HashKind::pdq);
    REQUIRE(g.size() == 1);
    CHECK(g.at(kBaboonPdq).first == "s1");
    CHECK(g.at(kBaboonPdq).second == "source=stopncii;id=s1");

    FeedRecord del_hash = b;  // StopNCII withdraws by hash
    del_hash.tombstone = true;
    del_hash.id.clear();
    REQUIRE(set.apply(del_hash).ok());
    CHECK(set.size() == 0);
    CHECK(set.groups().empty());
    REQUIRE(set.apply(a).ok());  // listed again later
    CHECK(set.size() == 1);

    FeedRecord nohash;
    CHECK(set.apply(nohash).code == Status::invalid_argument);
    FeedRecord esc = a;
    esc.hash = kApplePdq;
    esc.labels = {{"note", "a;b=c|d\ne%"}};
    CHECK(provenance_text(esc) == "source=ncmec;id=n1;note=a%3Bb%3Dc%7Cd%0Ae%25");
}

TEST_CASE("An import written as snapshots + lists.json is what a scanner matches, with provenance") {
    ImportSet set;
    apply_files(set, FeedFormat::ncmec_xml, {"ncmec-page1.xml", "ncmec-page2.xml"});
    apply_files(set, FeedFormat::te_csv, {"te-export.csv"});
    const std::string dir = temp_dir("write") + "/nested/out";
    std::vector<std::string> written;
    ImportWriteOptions wo;
    wo.name = "feeds";
    const Error e = set.write(dir, wo, &written);
    INFO(e.message);
    REQUIRE(e.ok());
    CHECK(written.size() == 5);  // pdq, md5 (image and video MD5s), sha1 and allow-pdq snapshots, lists.json
    hg::Lists lists;
    lists.add_config(dir + "/lists.json");
    CHECK(lists.size() == 4);
    hg::Scanner scanner;
    scanner.set_lists(lists);

    const auto baboon = read_bytes(data_dir() + "/photos/baboon.jpg");
    const hg::Result r = scanner.scan(baboon.data(), baboon.size());
    CHECK(r.verdict() == HG_VERDICT_MATCH);
    const auto ms = r.matches();
    REQUIRE(ms.size() == 3);  // PDQ, MD5, SHA-1 of image1
    for (const auto& m : ms) {
        CHECK(m.id == "42-image1");
        CHECK(m.metadata.find("classification=A1") != std::string::npos);
    }
    const auto apple = read_bytes(data_dir() + "/photos/apple.jpg");
    const hg::Result a = scanner.scan(apple.data(), apple.size());
    CHECK(a.verdict() == HG_VERDICT_ALLOWED);  // withdrawn by NCMEC, NEGATIVE_CLASS in ThreatExchange
    REQUIRE(a.matches().size() == 1);
    CHECK(a.matches()[0].list == "feeds-allow-pdq");

    ImportSet empty;
    CHECK(empty.write(dir, wo).code == Status::list_format);
    std::string out;
    run("rm -rf '" + dir.substr(0, dir.find("/nested")) + "'", out);
}

TEST_CASE("Hostile or odd feeds: member-scoped ids, typed flags, bounded walks and text, unknown kinds, checked records") {
    // NCMEC ids are per member: member 43 deleting "image1" leaves member 42's image1.
    ImportSet set;
    FeedReport rep;
    const std::string xml = "<queryResult><images><image><member id=\"42\"/><id>image1</id><fingerprints><pdq>" +
                            kBaboonPdq + "</pdq></fingerprints></image><deletedImage><member id=\"43\"/><id>image1</id>"
                            "</deletedImage></images></queryResult>";
    REQUIRE(read_text(xml, opts(FeedFormat::ncmec_xml), nullptr, &rep).ok());
    REQUIRE(read_feed(xml, "t", opts(FeedFormat::ncmec_xml), [&](const FeedRecord& r) { return set.apply(r); }).ok());
    CHECK(set.size() == 1);

    // A tombstone flag that is not a boolean is a malformed record, never "not deleted".
    const Error e = read_text("{\"results\":[{\"hash_digest\":\"" + kMessiPdq +
                                  "\",\"algorithm\":\"PDQ\",\"deleted\":\"true\",\"id\":1}]}",
                              opts(FeedFormat::tat_json));
    CHECK(e.message == "t:1: \"deleted\" is a string, not a boolean");
    FeedOptions skip = opts(FeedFormat::te_json);
    skip.skip_bad_records = true;
    std::vector<FeedRecord> out;
    REQUIRE(read_text("[{\"id\":\"1\",\"indicator\":\"" + kMessiPdq + "\",\"type\":\"HASH_PDQ\",\"should_delete\":1}]", skip,
                      &out, &rep)
                .ok());
    CHECK(out.empty());  // skipped, not added
    CHECK(rep.bad_records == 1);

    // One hash on more than 1024 lines: refused (a tombstone would walk them all).
    std::string many;
    for (int i = 0; i < 1025; ++i) many += "pdq " + kBaboonPdq + "\n";
    ImportSet big;
    const Error capped = read_feed(many, "many.txt", opts(FeedFormat::text), [&](const FeedRecord& r) { return big.apply(r); });
    CHECK(capped.message == "line 1025: more than 1024 records list this hash");

    // Past 32 distinct unsupported kinds the rest count as "other".
    std::string kinds;
    for (int i = 0; i < 40; ++i) kinds += "kind" + std::to_string(i) + " x\n";
    FeedReport kr;
    REQUIRE(read_text(kinds, opts(FeedFormat::text), nullptr, &kr).ok());
    CHECK(kr.unsupported.size() == 33);
    CHECK(unsupported(kr, "other") == 8);

    // XML text is bounded by max_record_bytes.
    FeedOptions small = opts(FeedFormat::ncmec_xml);
    small.max_record_bytes = 100;
    CHECK(read_text("<queryResult><images><image><id>" + std::string(200, 'x') + "</id></image></images></queryResult>",
                    small)
              .message == "t:1: text longer than max_record_bytes");

    // A vPDQ id that the list reader would take for a comment is kept.
    ImportSet v;
    FeedRecord vr;
    vr.kind = HashKind::vpdq;
    vr.hash = "[\"" + kA + ",100,0.000\"]";
    vr.id = "#12";
    vr.source = "x";
    REQUIRE(v.apply(vr).ok());
    std::string text;
    REQUIRE(v.vpdq_text(false, text).ok());
    VpdqList list;
    REQUIRE(parse_vpdq_list(text, "v", list).ok());
    REQUIRE(list.videos.size() == 1);
    CHECK(list.videos[0].id == "_#12");

    // Ids are fields of line formats (delta files, vPDQ lists): no control characters, UTF-8 only.
    CHECK(read_text("[{\"id\":\"a\\nb\",\"indicator\":\"" + kMessiPdq + "\",\"type\":\"HASH_PDQ\"}]",
                    opts(FeedFormat::te_json))
              .message == "t:1: an id that is not UTF-8 text of at most 4096 bytes without control characters");
    std::vector<FeedRecord> lab;
    REQUIRE(read_text("[{\"id\":\"1\",\"indicator\":\"" + kMessiPdq + "\",\"type\":\"HASH_PDQ\",\"status\":\"a\\tb\xff\"}]",
                      opts(FeedFormat::te_json), &lab)
                .ok());
    REQUIRE(lab.size() == 1);
    CHECK(label(lab[0], "status") == "a b\xEF\xBF\xBD");

    // apply() checks what a library caller hands it.
    FeedRecord bad;
    bad.kind = static_cast<HashKind>(9);
    bad.hash = kA;
    CHECK(v.apply(bad).code == Status::invalid_argument);
    bad.kind = HashKind::pdq;
    bad.hash = std::string(40, 'a');
    CHECK(v.apply(bad).message == "a pdq record's hash is not 64 hex digits");
    bad.kind = HashKind::md5;
    bad.hash = std::string(32, 'z');
    CHECK(v.apply(bad).code == Status::invalid_argument);
}
