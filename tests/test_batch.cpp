// `hashguard scan` over a generated tree: nested folders, non-media files, a
// corrupt image, symlink loops, a directory cycle, broken and unreadable
// entries; planted matches found; JSON Lines (checked by python3's json too)
// and CSV; stdin paths; progress lines; and resume after SIGKILL / SIGINT
// giving the same set of results as an uninterrupted run, every line whole.
// Interruptions are placed by the test, not by timing: paths go through a
// pipe the test holds, and the test waits for the progress line saying how
// many files are done before it sends the signal.
#include <catch2/catch.hpp>
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <set>

#include "hashguard/json.hpp"
#include "support/test_support.hpp"

namespace fs = std::filesystem;
using JsonValue = hashguard::json::Value;

namespace {

std::string photos() { return hgtest::data_dir() + "/photos/"; }
std::string q(const std::string& s) { return "'" + s + "'"; }

// prefix + i + suffix (appended step by step: GCC 12 warns falsely on "lit" + std::to_string()).
std::string numbered(const char* prefix, int i, const char* suffix = "") {
    std::string s(prefix);
    s.append(std::to_string(i)).append(suffix);
    return s;
}

void write_file(const fs::path& p, const std::string& s) {
    std::ofstream f(p, std::ios::binary | std::ios::trunc);
    f << s;
}

std::string slurp(const fs::path& p) {
    std::ifstream f(p, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(f), {});
}

std::string ref_hash(const std::string& file) { return hgtest::photo_ref_hash(file); }

// path -> parsed line, REQUIREing every line to be one whole JSON object.
std::map<std::string, JsonValue> parse_jsonl(const std::string& text) {
    std::map<std::string, JsonValue> out;
    std::size_t pos = 0;
    while (pos < text.size()) {
        const std::size_t end = text.find('\n', pos);
        REQUIRE(end != std::string::npos);  // the last line ends too
        JsonValue v;
        const std::string line = text.substr(pos, end - pos);
        INFO(line);
        REQUIRE(hashguard::json::parse(line, "out", v).ok());
        const JsonValue* p = v.get("path");
        REQUIRE(p);
        CHECK(out.count(p->string) == 0);  // each path once
        out[p->string] = v;
        pos = end + 1;
    }
    std::string why;  // and the same text through an independent parser
    INFO(why);
    CHECK(hgtest::python_jsonl_objects(text, why) == static_cast<long>(out.size()));
    return out;
}

std::string str(const JsonValue& v, const char* key) {
    const JsonValue* x = v.get(key);
    return x && x->type == JsonValue::Type::string ? x->string : "";
}

struct Tree {
    fs::path root, dir, cfg;
    std::set<std::string> media;  // paths expected in the output (images and error entries)
    explicit Tree(const std::string& name) {
        root = fs::temp_directory_path() / (name + std::to_string(getpid()));
        fs::remove_all(root);
        dir = root / "tree";
        fs::create_directories(dir / "a" / "b" / "c");
        fs::create_directories(dir / "d");
        auto copy = [&](const std::string& from, const fs::path& to) {
            fs::copy_file(photos() + from, to);
            media.insert(to.string());
        };
        copy("aero1.jpg", dir / "top.jpg");
        copy("messi5.jpg", dir / "a" / "b" / "c" / "planted.jpg");  // in the block list
        copy("apple.jpg", dir / "a" / "apple-rot.jpg");              // listed as its rot90
        copy("graf1.png", dir / "d" / "graf.png");
        copy("formats/anim-2frames.gif", dir / "d" / "anim.gif");
        write_file(dir / "notes.txt", "not an image\n");       // skipped: non-media
        write_file(dir / "a" / "fake.jpg", "text with a .jpg name");  // skipped by magic bytes, not name
        write_file(dir / "empty.bin", "");
        const std::string jpg = slurp(photos() + "aero3.jpg");
        write_file(dir / "a" / "b" / "truncated.jpg", jpg.substr(0, jpg.size() / 3));  // corrupt
        media.insert((dir / "a" / "b" / "truncated.jpg").string());
        fs::create_symlink("loop2", dir / "loop1");  // symlink loop
        fs::create_symlink("loop1", dir / "loop2");
        media.insert((dir / "loop1").string());
        media.insert((dir / "loop2").string());
        fs::create_symlink("missing.jpg", dir / "broken.jpg");  // dangling
        media.insert((dir / "broken.jpg").string());
        fs::create_directory_symlink("../..", dir / "a" / "b" / "up");  // a directory cycle if followed
        const std::string block = root.string() + "/block.txt";
        write_file(block, ref_hash("messi5.jpg") + ",case-1\n" + "81b3d5af9e9a44c12b5f1e73712a371f18f9f18c80ec5572a7862ab3f5025394,apple-rot90\n");
        cfg = root / "lists.json";
        write_file(cfg, "{\"lists\": [\n  {\"name\": \"ncmec\", \"path\": \"block.txt\", \"threshold\": 31}\n]}\n");
    }
    ~Tree() { fs::remove_all(root); }
};

int run_cli(const std::string& args, std::string& out) {
    return hgtest::run(q(hgtest::cli_path()) + " " + args, out);
}

}  // namespace

TEST_CASE("scan walks a tree: planted matches, errors reported, non-media skipped, exit status") {
    Tree t("hg_batch_tree_");
    const fs::path out = t.root / "out.jsonl", summary = t.root / "summary.json";
    std::string ignored;
    const int rc = run_cli("scan --quiet --lists " + q(t.cfg.string()) + " -o " + q(out.string()) + " --summary " +
                               q(summary.string()) + " " + q(t.dir.string()),
                           ignored);
    CHECK(rc == 4);  // matches and failures
    const auto res = parse_jsonl(slurp(out));
    std::set<std::string> paths;
    for (const auto& [p, v] : res) paths.insert(p);
    CHECK(paths == t.media);

    const JsonValue& planted = res.at((t.dir / "a" / "b" / "c" / "planted.jpg").string());
    CHECK(str(planted, "verdict") == "match");
    REQUIRE(planted.get("matches")->array.size() == 1);
    CHECK(str(planted.get("matches")->array[0], "list") == "ncmec");
    CHECK(str(planted.get("matches")->array[0], "metadata") == "case-1");
    CHECK(str(planted, "pdq") == ref_hash("messi5.jpg"));
    CHECK(str(planted, "md5").size() == 32);
    CHECK(str(planted, "sha256").size() == 64);
    const JsonValue& rot = res.at((t.dir / "a" / "apple-rot.jpg").string());
    CHECK(str(rot, "verdict") == "match");
    CHECK(str(rot.get("matches")->array[0], "transform") == "rot90");
    CHECK(str(res.at((t.dir / "top.jpg").string()), "verdict") == "no_match");
    CHECK(str(res.at((t.dir / "d" / "anim.gif").string()), "verdict") == "match");  // frame 0 is the rotated apple
    CHECK(str(res.at((t.dir / "d" / "graf.png").string()), "verdict") == "no_match");

    const JsonValue& bad = res.at((t.dir / "a" / "b" / "truncated.jpg").string());
    CHECK(str(bad, "verdict") == "error");
    CHECK(str(*bad.get("error"), "status") == "decode_failed");
    CHECK(str(*res.at((t.dir / "loop1").string()).get("error"), "message") == "symlink loop");
    CHECK(str(*res.at((t.dir / "broken.jpg").string()).get("error"), "message") == "broken symlink");

    JsonValue s;
    REQUIRE(hashguard::json::parse(slurp(summary), "summary", s).ok());
    CHECK(s.get("files")->number == static_cast<double>(t.media.size()));
    CHECK(s.get("match")->number == 3);
    CHECK(s.get("errors")->number == 4);
    CHECK(s.get("errors_by_kind")->get("io_error")->number == 3);
    CHECK(s.get("errors_by_kind")->get("decode_failed")->number == 1);
    CHECK(s.get("skipped_non_media")->number == 3);
    CHECK(s.get("skipped_special")->number == 1);  // the directory symlink, not followed

    SECTION("following symlinks detects the cycle instead of looping") {
        const int rc2 = run_cli("scan --quiet --follow-symlinks --lists " + q(t.cfg.string()) + " -o " +
                                    q(out.string()) + " " + q(t.dir.string()),
                                ignored);
        CHECK(rc2 == 4);
        const auto res2 = parse_jsonl(slurp(out));
        const auto it = res2.find((t.dir / "a" / "b" / "up").string());
        REQUIRE(it != res2.end());
        CHECK(str(*it->second.get("error"), "message").find("directory cycle") != std::string::npos);
    }
    SECTION("CSV output and paths from stdin") {
        std::string csv;
        const int rc3 = hgtest::run("printf '%s\\n%s\\n' " + q((t.dir / "top.jpg").string()) + " " +
                                        q((t.dir / "a" / "b" / "c" / "planted.jpg").string()) + " | " +
                                        q(hgtest::cli_path()) + " scan --quiet --format csv --lists " +
                                        q(t.cfg.string()) + " -",
                                    csv);
        CHECK(rc3 == 3);
        const auto lines = hgtest::split(csv, '\n');
        REQUIRE(lines.size() >= 3);
        CHECK(lines[0] == "path,size,verdict,pdq,quality,md5,sha256,matches,error");
        CHECK(csv.find("planted.jpg,") != std::string::npos);
        CHECK(csv.find(",match," + ref_hash("messi5.jpg") + ",") != std::string::npos);
        CHECK(csv.find("ncmec:1:0:original") != std::string::npos);
    }
    SECTION("a bad config names file and line") {
        write_file(t.cfg, "{\"lists\": [\n  {\"name\": \"x\", \"path\": \"block.txt\", \"treshold\": 3}\n]}\n");
        std::string err;
        const int rc4 = hgtest::run(q(hgtest::cli_path()) + " scan --lists " + q(t.cfg.string()) + " " +
                                        q(t.dir.string()) + " 2>&1 >/dev/null",
                                    err);
        CHECK(rc4 == 2);
        CHECK(err.find("lists.json:2: unknown key \"treshold\"") != std::string::npos);
    }
}

TEST_CASE("an unreadable file is an error line, the rest go on", "[skippable]") {
    Tree t("hg_batch_locked_");
    // Root reads anything: as root, run the CLI as nobody (setpriv) so the
    // permission bits apply; the tree is world-readable, the locked file not.
    const fs::path locked = t.dir / "locked.jpg";
    fs::copy_file(photos() + "aero1.jpg", locked);
    fs::permissions(locked, fs::perms::none);
    fs::permissions(t.root, fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec |
                                fs::perms::others_read | fs::perms::others_exec);
    std::string prefix;
    if (geteuid() == 0) prefix = "setpriv --reuid=65534 --regid=65534 --clear-groups ";
    std::string text;
    const int rc = hgtest::run(prefix + q(hgtest::cli_path()) + " scan --quiet " + q(t.dir.string()) + " 2>/dev/null",
                               text);
    if (rc == 126 || rc == 127 || text.empty())
        HG_SKIP("cannot run the CLI as an unprivileged user here (exit " + std::to_string(rc) + ")");
    CHECK(rc == 1);  // failures, no lists so no match
    const auto res = parse_jsonl(text);
    CHECK(str(*res.at(locked.string()).get("error"), "status") == "io_error");
    CHECK(str(*res.at(locked.string()).get("error"), "message").find("Permission denied") != std::string::npos);
    CHECK(str(res.at((t.dir / "top.jpg").string()), "verdict") == "no_match");
}

namespace {

// The CLI as a child process: paths written to its stdin by the test, its
// stderr read line by line (blocking), its stdout discarded.
struct Child {
    pid_t pid = -1;
    int in = -1, err = -1;
    std::string buffered;

    explicit Child(const std::string& args) {
        int pin[2], perr[2];
        REQUIRE(pipe(pin) == 0);
        REQUIRE(pipe(perr) == 0);
        pid = fork();
        REQUIRE(pid >= 0);
        if (pid == 0) {
            dup2(pin[0], 0);
            dup2(perr[1], 2);
            const int null = open("/dev/null", O_WRONLY);
            dup2(null, 1);
            for (int fd : {pin[0], pin[1], perr[0], perr[1], null}) close(fd);
            const std::string cmd = "exec " + q(hgtest::cli_path()) + " " + args;
            execl("/bin/sh", "sh", "-c", cmd.c_str(), static_cast<char*>(nullptr));
            _exit(127);
        }
        close(pin[0]);
        close(perr[1]);
        in = pin[1];
        err = perr[0];
    }
    ~Child() {
        close_stdin();
        if (err >= 0) close(err);
        if (pid > 0) kill(pid, SIGKILL), waitpid(pid, nullptr, 0);
    }
    void send(const std::string& line) {
        const std::string l = line + "\n";
        REQUIRE(write(in, l.data(), l.size()) == static_cast<ssize_t>(l.size()));
    }
    void close_stdin() {
        if (in >= 0) close(in);
        in = -1;
    }
    // The next stderr line; false at end of file.
    bool line(std::string& out) {
        for (;;) {
            if (const auto nl = buffered.find('\n'); nl != std::string::npos) {
                out = buffered.substr(0, nl);
                buffered.erase(0, nl + 1);
                return true;
            }
            char buf[4096];
            const ssize_t n = read(err, buf, sizeof buf);
            if (n <= 0) return false;
            buffered.append(buf, static_cast<std::size_t>(n));
        }
    }
    // Reads stderr until a line starts with `prefix`; false at end of file.
    bool wait_for(const std::string& prefix) {
        std::string l;
        while (line(l))
            if (l.rfind(prefix, 0) == 0) return true;
        return false;
    }
    // Exit status, or 128 + signal.
    int wait() {
        int st = 0;
        waitpid(pid, &st, 0);
        pid = -1;
        return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
    }
};

}  // namespace

TEST_CASE("resume after SIGKILL or SIGINT gives the same results as one uninterrupted run") {
    Tree t("hg_batch_resume_");
    const char* srcs[] = {"aero1.jpg", "aero3.jpg", "baboon.jpg", "board.jpg", "fruits.jpg", "building.jpg"};
    for (int i = 0; i < 30; ++i) {
        const fs::path sub = t.dir / "many" / numbered("s", i % 7);
        fs::create_directories(sub);
        fs::copy_file(photos() + srcs[i % 6], sub / numbered("p", i, ".jpg"));
    }
    const std::string base = "scan --threads 1 --cache 0 --lists " + q(t.cfg.string()) + " ";
    std::string ignored;
    const fs::path full = t.root / "full.jsonl";
    run_cli(base + "--quiet -o " + q(full.string()) + " " + q(t.dir.string()), ignored);
    const auto expected = parse_jsonl(slurp(full));
    REQUIRE(expected.size() == t.media.size() + 30);
    std::vector<std::string> paths;  // every path of the full run, fed through stdin
    for (const auto& [p, v] : expected) paths.push_back(p);

    const std::size_t kDone = 17;
    for (int sig : {SIGKILL, SIGINT}) {
        INFO("signal " << sig);
        const fs::path part = t.root / numbered("part", sig, ".jsonl");
        {
            Child c(base + "--progress lines --progress-interval 0.001 --resume " + q(part.string()) + " -");
            for (std::size_t i = 0; i < kDone; ++i) c.send(paths[i]);
            // The CLI now waits for more paths; once it reports kDone files, exactly
            // kDone lines are in the output and nothing more can come.
            REQUIRE(c.wait_for("hashguard scan: " + std::to_string(kDone) + " files,"));
            kill(c.pid, sig);
            CHECK(c.wait() == (sig == SIGKILL ? 128 + SIGKILL : 130));
        }
        const auto partial = parse_jsonl(slurp(part));
        CHECK(partial.size() == kDone);
        // A torn final write (a kill in the middle of a line): resume must drop it.
        { std::ofstream f(part, std::ios::app); f << "{\"path\":\"" << paths[kDone] << "\",\"size\":"; }
        Child c(base + "--quiet --resume " + q(part.string()) + " -");
        for (const auto& p : paths) c.send(p);
        c.close_stdin();
        CHECK(c.wait() == 4);  // matches and failures, counted over both runs
        const auto got = parse_jsonl(slurp(part));  // whole lines only, each path once
        REQUIRE(got.size() == expected.size());
        for (const auto& [p, v] : expected) {
            const auto it = got.find(p);
            REQUIRE(it != got.end());
            CHECK(str(it->second, "verdict") == str(v, "verdict"));
            CHECK(str(it->second, "pdq") == str(v, "pdq"));
        }
    }
}

TEST_CASE("resume counts matches and errors from the lines it parses (CSV too)") {
    Tree t("hg_batch_resume_csv_");
    const fs::path part = t.root / "part.csv";
    // A previous run's output whose only match is a path that itself contains ",match,".
    write_file(part, "path,size,verdict,pdq,quality,md5,sha256,matches,error\n"
                     "\"/x/a,match,b.jpg\",10,no_match,,,,,,\n"
                     "/x/c.jpg,10,match,,,,,ncmec:1:0:original,\n");
    std::string ignored;
    const int rc = run_cli("scan --quiet --format csv --lists " + q(t.cfg.string()) + " --resume " + q(part.string()) +
                               " " + q((t.dir / "top.jpg").string()),
                           ignored);
    CHECK(rc == 3);  // no match this run, one in the resumed output
    const std::string text = slurp(part);
    CHECK(std::count(text.begin(), text.end(), '\n') == 4);  // the header is not repeated
    write_file(part, "path,size,verdict,pdq,quality,md5,sha256,matches,error\n"
                     "\"/x/a,match,b.jpg\",10,no_match,,,,,,\n");
    CHECK(run_cli("scan --quiet --format csv --lists " + q(t.cfg.string()) + " --resume " + q(part.string()) + " " +
                      q((t.dir / "top.jpg").string()),
                  ignored) == 0);  // ",match," inside a path is not a match
}

TEST_CASE("progress lines when stderr is not a terminal, and the bar on request") {
    Tree t("hg_batch_progress_");
    for (int i = 0; i < 20; ++i) fs::copy_file(photos() + "aero1.jpg", t.dir / numbered("b", i, ".jpg"));
    {
        // Periodic lines while the run waits for input: one file done, then silence.
        Child c("scan --threads 1 --cache 0 --progress lines --progress-interval 0.001 -o /dev/null -");
        c.send((t.dir / "top.jpg").string());
        REQUIRE(c.wait_for("hashguard scan: 1 files,"));
        c.close_stdin();
        std::string rest, l;
        while (c.line(l)) rest += l + "\n";
        CHECK(c.wait() == 0);
        CHECK(rest.find(" files in ") != std::string::npos);  // the summary
    }
    // A tree: the counting walk gives a total, so the last line has 100% and an ETA.
    std::string err;
    CHECK(hgtest::run(q(hgtest::cli_path()) + " scan --threads 1 --cache 0 --progress lines -o /dev/null " +
                          q(t.dir.string()) + " 2>&1",
                      err) == 1);  // the tree's broken entries are failures
    CHECK(err.find("hashguard scan: 100% ") != std::string::npos);
    CHECK(err.find("files/s") != std::string::npos);
    CHECK(err.find("ETA 0:00") != std::string::npos);
    CHECK(err.find(" files in ") != std::string::npos);
    CHECK(err.find('\r') == std::string::npos);  // no bar redraws in a log
    std::string bar;
    hgtest::run(q(hgtest::cli_path()) + " scan --threads 1 --cache 0 --progress bar -o /dev/null " +
                    q(t.dir.string()) + " 2>&1",
                bar);
    CHECK(bar.find("] 100% ") != std::string::npos);  // the bar, drawn in place
    CHECK(bar.find('\r') != std::string::npos);
}

TEST_CASE("hashguard bench runs end to end and prints a table and JSON") {
    std::string out;
    const int rc = hgtest::run(q(hgtest::cli_path()) +
                                   " bench --images 4 --size 320x240 --lists 1e3,1e4 --seconds 0.2 --threads 2 2>/dev/null",
                               out);
    CHECK(rc == 0);
    CHECK(out.find("TurboJPEG decode only (baseline)") != std::string::npos);
    CHECK(out.find("folder scan") != std::string::npos);
    const std::size_t brace = out.rfind("\n{");
    REQUIRE(brace != std::string::npos);
    std::string json = out.substr(brace + 1);
    while (!json.empty() && (json.back() == '\n' || json.back() == '\r')) json.pop_back();
    JsonValue v;
    REQUIRE(hashguard::json::parse(json, "bench", v).ok());
    REQUIRE(v.get("lists"));
    REQUIRE(v.get("lists")->array.size() == 2);
    for (const auto& l : v.get("lists")->array) {
        CHECK(l.get("images_per_s")->number > 0);
        CHECK(l.get("matches_per_s")->number > 0);  // half the corpus is planted
        // the ratio to decode alone: the median of rounds paired with their own decode figure
        const double lo = l.get("time_vs_decode_only_min")->number, mid = l.get("time_vs_decode_only")->number,
                     hi = l.get("time_vs_decode_only_max")->number;
        CHECK(lo > 0);
        CHECK(lo <= mid);
        CHECK(mid <= hi);
        CHECK(l.get("decode_only_images_per_s")->number > 0);
    }
    CHECK(str(v, "kernel").size() > 0);
    CHECK(v.get("folder_scan")->get("files_per_s")->number > 0);
    CHECK(!v.get("video"));  // only with --video
}

TEST_CASE("hashguard bench --video times vPDQ against decoding the clip alone") {
    const std::string clip = hgtest::data_dir() + "/../tests/fuzz/seeds/video/h264-aac.mp4";  // 96x64, 10 frames
    std::string out;
    const int rc = hgtest::run(q(hgtest::cli_path()) + " bench --images 2 --size 64x64 --lists 10 --seconds 0.2 --threads 1 --video " +
                                   q(clip) + " 2>/dev/null",
                               out);
    REQUIRE(rc == 0);
    CHECK(out.find("libavcodec decode alone") != std::string::npos);
    const std::size_t brace = out.rfind("\n{");
    REQUIRE(brace != std::string::npos);
    JsonValue v;
    REQUIRE(hashguard::json::parse(out.substr(brace + 1, out.find_last_not_of("\r\n") - brace), "bench", v).ok());
    const JsonValue* video = v.get("video");
    REQUIRE(video);
    CHECK(video->get("frames")->number == 10);
    CHECK(video->get("width")->number == 96);
    CHECK(video->get("height")->number == 64);
    CHECK(str(*video, "codec") == "h264");
    CHECK(video->get("decode_only_frames_per_s")->number > 0);
    REQUIRE(video->get("modes")->array.size() == 3);
    for (const auto& m : video->get("modes")->array) {
        INFO(str(m, "mode"));
        CHECK(m.get("frames_per_s")->number > 0);
        CHECK(m.get("time_vs_decode_only_min")->number > 0);
        CHECK(m.get("time_vs_decode_only_min")->number <= m.get("time_vs_decode_only")->number);
        CHECK(m.get("time_vs_decode_only")->number <= m.get("time_vs_decode_only_max")->number);
    }
    // A clip that cannot be read or decoded fails before anything is measured.
    CHECK(hgtest::run(q(hgtest::cli_path()) + " bench --images 2 --size 64x64 --lists 10 --video /nonexistent.mp4 2>&1", out) == 2);
    CHECK(out.find("/nonexistent.mp4") != std::string::npos);
    CHECK(out.find("generating") == std::string::npos);
    const std::string photo = hgtest::data_dir() + "/photos/fruits.jpg";
    CHECK(hgtest::run(q(hgtest::cli_path()) + " bench --images 2 --size 64x64 --lists 10 --video " + q(photo) + " 2>&1", out) == 2);
    CHECK(out.find("not supported") != std::string::npos);
}
