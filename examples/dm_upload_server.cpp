// dm_upload_server — a small HTTP upload endpoint that scans every attachment
// with the hashguard C API before storing it.
//
//   dm_upload_server --store DIR [--host 127.0.0.1] [--port 8080]
//                    --list NAME:ROLE:KIND:PATH ...   (ROLE block|allow, KIND pdq|md5|sha1|sha256)
//
//   POST /upload         body = the attachment (raw bytes, or multipart field "file")
//                        201 {"stored":"NAME",...}  when clean (no match, allowed, or too flat to hash)
//                        403 {"verdict":...,"reason":...} otherwise: a block-list match, or an
//                        attachment that is not a decodable image (fail closed)
//   POST /admin/reload   re-reads every list file and swaps them in atomically while uploads
//                        continue; on a bad or empty file the old lists stay (500 with the reason)
//   GET  /admin/lists    {"version":N,"checked_ms_ago":...,"store_confirmed_s_ago":...,"error":...}
//                        with --follow (the last from DIR/CONFIRMED, which store sync rewrites)
//
// --follow DIR [--follow-ms 1000]: also follow a directory of published list versions
// (`hashguard store sync --dir DIR`): every interval the server brings its lists to the
// newest version there, applying only the changes (hg_lists_follow_dir), and swaps them in;
// uploads keep the previous version until the new one is complete. No database
// credentials: only read access to DIR. A failed check keeps the last version serving.
//
// A list file with no entries is refused (at start-up and on reload) unless
// --allow-empty is given: a server must not quietly run without its hashes.
//   GET  /healthz        200 ok
//
// With --port 0 the first line printed is "listening on http://HOST:PORT".
#include <httplib.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <fstream>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "hashguard/hashguard.hpp"
#include "hashguard/json.hpp"

namespace {

struct ListArg {
    std::string name, role, kind, path;
};

// A JSON object text from key/value pairs (hashguard's public JSON writer).
std::string json_object(std::initializer_list<std::pair<const char*, std::string>> fields, long long generation = -1) {
    std::string o;
    hashguard::json::Writer w(o);
    w.begin_object();
    for (const auto& [k, v] : fields) w.field(k, v);
    if (generation >= 0) w.field("generation", generation);
    w.end_object();
    return o;
}

hg_kind parse_kind(const std::string& k) {
    if (k == "pdq") return HG_KIND_PDQ;
    if (k == "md5") return HG_KIND_MD5;
    if (k == "sha1") return HG_KIND_SHA1;
    if (k == "sha256") return HG_KIND_SHA256;
    throw std::runtime_error("unknown list kind '" + k + "'");
}

// Builds a list set from the files as they are now. Throws hg::Error naming file:line.
hg::Lists load_lists(const std::vector<ListArg>& args, bool allow_empty) {
    hg::Lists lists;
    lists.set_default(HG_LIST_ALLOW_EMPTY, allow_empty ? 1 : 0);
    for (const auto& a : args) {
        lists.add_file(a.name, a.path, parse_kind(a.kind));
        lists.set(a.name, HG_LIST_ROLE, a.role == "allow" ? HG_ROLE_ALLOW : HG_ROLE_BLOCK);
    }
    return lists;
}

std::string reason(const hg::Result& r) {
    if (r.verdict() == HG_VERDICT_ERROR)
        return std::string("not a decodable image: ") + hg_status_name(r.status()) + ": " + r.error();
    for (const auto& m : r.matches())
        if (m.role == HG_ROLE_BLOCK)
            return "matched list '" + m.list + "' entry " + m.id + " (distance " + std::to_string(m.distance) +
                   ", " + m.transform + (m.inner ? ", inside borders" : "") + ")";
    return hg_verdict_name(r.verdict());
}

}  // namespace

// --follow: a thread bringing the scanner's lists to the newest published version.
struct Follower {
    std::string dir;
    int interval_ms = 1000;
    hg::Lists lists;  // the followed set (its lists keep their indexes between versions)
    std::mutex mu;        // guards what /admin/lists reads
    std::mutex check_mu;  // one check at a time (the thread, /admin/reload)
    std::condition_variable cv;
    long long version = -1;  // for /admin/lists (under mu)
    long long serving = -1;  // the version the scanner has (under check_mu)
    std::string error;
    std::chrono::steady_clock::time_point checked{};
    bool stop = false;

    // One check; true when the scanner got a new version. `version` is what
    // the scanner serves: a version followed but not handed over (set_lists
    // failed) is handed over at the next check.
    bool check(hg::Scanner& scanner) {
        std::lock_guard<std::mutex> one(check_mu);
        long long v = -1;
        std::string err;
        bool swapped = false;
        try {
            lists.follow_dir(dir, &v);
            if (v != serving) {
                scanner.set_lists(lists);
                serving = v;
                swapped = true;
            }
        } catch (const std::exception& e) {
            err = e.what();  // the last version keeps serving
        }
        std::lock_guard<std::mutex> lock(mu);
        version = serving;
        error = err;
        checked = std::chrono::steady_clock::now();
        return swapped;
    }
    void run(hg::Scanner& scanner) {
        std::unique_lock<std::mutex> lock(mu);
        while (!stop) {
            lock.unlock();
            check(scanner);
            lock.lock();
            cv.wait_for(lock, std::chrono::milliseconds(interval_ms), [&] { return stop; });
        }
    }
    std::string status() {
        std::lock_guard<std::mutex> lock(mu);
        std::string o;
        hashguard::json::Writer w(o);
        const auto ago = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - checked);
        w.begin_object().field("dir", dir).field("version", version).field("checked_ms_ago", static_cast<long long>(ago.count()));
        // `hashguard store sync` rewrites DIR/CONFIRMED after every check of the store:
        // how long ago the store last confirmed this directory current.
        long long confirmed_s = 0;
        if (std::ifstream(dir + "/CONFIRMED") >> confirmed_s) {
            const long long now_s = std::chrono::duration_cast<std::chrono::seconds>(
                std::chrono::system_clock::now().time_since_epoch()).count();
            w.field("store_confirmed_s_ago", now_s - confirmed_s);
        }
        if (!error.empty()) w.field("error", error);
        w.end_object();
        return o;
    }
};

int main(int argc, char** argv) {
    std::string host = "127.0.0.1", store;
    int port = 8080;
    bool allow_empty = false;
    std::vector<ListArg> list_args;
    Follower follower;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        auto next = [&]() -> std::string {
            if (i + 1 >= argc) {
                std::fprintf(stderr, "dm_upload_server: %s needs a value\n", a.c_str());
                std::exit(2);
            }
            return argv[++i];
        };
        if (a == "--store") store = next();
        else if (a == "--host") host = next();
        else if (a == "--port") port = std::stoi(next());
        else if (a == "--allow-empty") allow_empty = true;
        else if (a == "--follow") follower.dir = next();
        else if (a == "--follow-ms") follower.interval_ms = std::stoi(next());
        else if (a == "--list") {
            const std::string spec = next();
            ListArg l;
            std::size_t p1 = spec.find(':'), p2 = spec.find(':', p1 + 1), p3 = spec.find(':', p2 + 1);
            if (p1 == std::string::npos || p2 == std::string::npos || p3 == std::string::npos) {
                std::fprintf(stderr, "dm_upload_server: --list wants NAME:ROLE:KIND:PATH\n");
                return 2;
            }
            l.name = spec.substr(0, p1);
            l.role = spec.substr(p1 + 1, p2 - p1 - 1);
            l.kind = spec.substr(p2 + 1, p3 - p2 - 1);
            l.path = spec.substr(p3 + 1);
            list_args.push_back(l);
        } else {
            std::fprintf(stderr, "usage: dm_upload_server --store DIR [--host H] [--port N] [--allow-empty] "
                                 "[--list NAME:ROLE:KIND:PATH]... [--follow DIR [--follow-ms N]]\n");
            return 2;
        }
    }
    if (store.empty()) {
        std::fprintf(stderr, "dm_upload_server: --store DIR is required\n");
        return 2;
    }

    hg::Scanner scanner;
    try {
        if (follower.dir.empty()) {
            scanner.set_lists(load_lists(list_args, allow_empty));
        } else {  // the --list files (if any) beside the followed lists, in one set
            follower.lists = load_lists(list_args, allow_empty);
            follower.lists.follow_dir(follower.dir, &follower.serving);
            scanner.set_lists(follower.lists);
            follower.version = follower.serving;
        }
    } catch (const std::exception& e) {
        std::fprintf(stderr, "dm_upload_server: %s\n", e.what());
        return 1;
    }

    std::mutex reload_mu;  // one reload at a time; uploads never take it
    std::atomic<unsigned long> stored{0};

    httplib::Server svr;
    svr.set_payload_max_length(64u << 20);

    svr.Post("/upload", [&](const httplib::Request& req, httplib::Response& res) {
        const std::string& body = req.has_file("file") ? req.get_file_value("file").content : req.body;
        hg::Result r;
        try {
            r = scanner.scan(body.data(), body.size());
        } catch (const hg::Error& e) {
            res.status = 503;
            res.set_content(json_object({{"error", e.what()}}), "application/json");
            return;
        }
        const hg_verdict v = r.verdict();
        const std::string verdict = hg_verdict_name(v);
        if (v == HG_VERDICT_NO_MATCH || v == HG_VERDICT_ALLOWED || v == HG_VERDICT_BELOW_QUALITY) {
            const std::string name = "upload-" + std::to_string(++stored) + ".bin";
            const std::string tmp = store + "/." + name + ".tmp";
            {
                std::ofstream f(tmp, std::ios::binary);
                f.write(body.data(), static_cast<std::streamsize>(body.size()));
                if (!f) {
                    res.status = 500;
                    res.set_content("{\"error\":\"could not store the upload\"}", "application/json");
                    return;
                }
            }
            std::rename(tmp.c_str(), (store + "/" + name).c_str());
            res.status = 201;
            res.set_content(json_object({{"stored", name}, {"verdict", verdict}, {"pdq", r.pdq_hex()}},
                                        r.get(HG_RESULT_GENERATION)),
                            "application/json");
            return;
        }
        res.status = 403;
        res.set_content(json_object({{"verdict", verdict}, {"reason", reason(r)}}, r.get(HG_RESULT_GENERATION)),
                        "application/json");
    });

    svr.Post("/admin/reload", [&](const httplib::Request&, httplib::Response& res) {
        std::lock_guard<std::mutex> lock(reload_mu);
        if (!follower.dir.empty()) {  // followed lists: check the directory now
            follower.check(scanner);
            res.set_content(follower.status(), "application/json");
            return;
        }
        try {
            scanner.set_lists(load_lists(list_args, allow_empty));  // old lists stay live until this succeeds
            std::string o;
            hashguard::json::Writer(o).begin_object().field("generation", scanner.get(HG_OPT_GENERATION))
                .field("lists", scanner.get(HG_OPT_LIST_COUNT)).end_object();
            res.set_content(o, "application/json");
        } catch (const std::exception& e) {
            res.status = 500;
            res.set_content(json_object({{"error", e.what()}}), "application/json");
        }
    });

    svr.Get("/healthz", [](const httplib::Request&, httplib::Response& res) { res.set_content("ok", "text/plain"); });
    svr.Get("/admin/lists", [&](const httplib::Request&, httplib::Response& res) {
        res.set_content(follower.dir.empty() ? std::string("{}") : follower.status(), "application/json");
    });

    if (port == 0) {
        port = svr.bind_to_any_port(host);
        if (port < 0) {
            std::fprintf(stderr, "dm_upload_server: cannot bind %s\n", host.c_str());
            return 1;
        }
    } else if (!svr.bind_to_port(host, port)) {
        std::fprintf(stderr, "dm_upload_server: cannot bind %s:%d\n", host.c_str(), port);
        return 1;
    }
    std::thread follow_thread;  // started once bound: every return below joins it
    if (!follower.dir.empty()) follow_thread = std::thread([&] { follower.run(scanner); });
    std::printf("listening on http://%s:%d (hashguard %s, kernel %s)\n", host.c_str(), port, hg_version(), hg_kernel());
    std::fflush(stdout);
    const bool ok = svr.listen_after_bind();
    if (follow_thread.joinable()) {
        {
            std::lock_guard<std::mutex> lock(follower.mu);
            follower.stop = true;
        }
        follower.cv.notify_all();
        follow_thread.join();
    }
    return ok ? 0 : 1;
}
