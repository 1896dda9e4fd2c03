// `hashguard bench`: detection throughput on a generated corpus, reproducible
// anywhere (no input files): N procedurally generated JPEGs, lists of random
// PDQ hashes with planted near-copies of half the corpus, measured against
// TurboJPEG decoding the same bytes in the same process.
#include <turbojpeg.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "args.hpp"
#include "batch.hpp"
#include "commands.hpp"
#include "hashguard/image.hpp"
#include "hashguard/json.hpp"
#include "hashguard/video.hpp"

namespace hgcli {

namespace {

using Bytes = std::vector<std::uint8_t>;
using Clock = std::chrono::steady_clock;

struct Rng {
    std::uint64_t s;
    std::uint64_t next() {
        std::uint64_t z = (s += 0x9e3779b97f4a7c15ull);
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
        return z ^ (z >> 31);
    }
};

// A photo-like test image: a smooth random colour field (bilinear over a coarse
// grid), a few oriented waves and a little noise; JPEG quality 90, 4:2:0.
Bytes make_jpeg(int w, int h, std::uint64_t seed) {
    Rng rng{seed};
    const int gw = 9, gh = 7;
    std::vector<float> grid(gw * gh * 3);
    for (auto& g : grid) g = static_cast<float>(rng.next() % 256);
    const float fx = 0.002f + (rng.next() % 100) * 0.0002f, fy = 0.003f + (rng.next() % 100) * 0.0002f;
    std::vector<unsigned char> px(static_cast<std::size_t>(w) * h * 3);
    for (int y = 0; y < h; ++y) {
        const float gy = static_cast<float>(y) * (gh - 1) / (h - 1);
        const int y0 = std::min(static_cast<int>(gy), gh - 2);
        const float ty = gy - y0;
        for (int x = 0; x < w; ++x) {
            const float gx = static_cast<float>(x) * (gw - 1) / (w - 1);
            const int x0 = std::min(static_cast<int>(gx), gw - 2);
            const float tx = gx - x0;
            const float wave = 30.0f * std::sin(fx * x * 6.28f + fy * y * 6.28f);
            for (int c = 0; c < 3; ++c) {
                auto g = [&](int xx, int yy) { return grid[(yy * gw + xx) * 3 + c]; };
                float v = (1 - ty) * ((1 - tx) * g(x0, y0) + tx * g(x0 + 1, y0)) +
                          ty * ((1 - tx) * g(x0, y0 + 1) + tx * g(x0 + 1, y0 + 1));
                v += wave + static_cast<float>(static_cast<int>(rng.next() % 9) - 4);
                px[(static_cast<std::size_t>(y) * w + x) * 3 + c] =
                    static_cast<unsigned char>(std::min(255.0f, std::max(0.0f, v)));
            }
        }
    }
    tjhandle tj = tjInitCompress();
    unsigned char* out = nullptr;
    unsigned long size = 0;
    const int rc = tjCompress2(tj, px.data(), w, 0, h, TJPF_RGB, &out, &size, TJSAMP_420, 90, 0);
    Bytes b;
    if (rc == 0) b.assign(out, out + size);
    tjFree(out);
    tjDestroy(tj);
    return b;
}

// Runs `work(item)` over the corpus round-robin from `threads` threads for at
// least `seconds` (and one full pass); returns items per second. An exception
// in a worker (or a thread that cannot be created) stops the others and is
// rethrown here, after every started thread has been joined.
template <class F>
double throughput(const std::vector<Bytes>& corpus, int threads, double seconds, F&& work) {
    std::atomic<std::size_t> next{0};
    std::atomic<bool> stop{false}, failed{false};
    std::exception_ptr error;
    std::mutex error_mu;
    const auto t0 = Clock::now();
    {
        std::vector<std::jthread> ts;  // joined on every way out of this block
        auto body = [&] {
            try {
                while (!failed) {
                    const std::size_t i = next.fetch_add(1);
                    if (stop && i >= corpus.size()) break;
                    work(corpus[i % corpus.size()]);
                    if (std::chrono::duration<double>(Clock::now() - t0).count() >= seconds) stop = true;
                }
            } catch (...) {
                std::lock_guard<std::mutex> lk(error_mu);
                if (!error) error = std::current_exception();
                failed = true;
            }
        };
        try {
            for (int t = 0; t < threads; ++t) ts.emplace_back(body);
        } catch (...) {
            failed = true;
            throw;
        }
    }
    if (error) std::rethrow_exception(error);
    const double el = std::chrono::duration<double>(Clock::now() - t0).count();
    return static_cast<double>(next.load() - static_cast<std::size_t>(threads)) / el;
}

double decode_rate(const std::vector<Bytes>& corpus, int threads, double seconds) {
    return throughput(corpus, threads, seconds, [](const Bytes& b) {
        struct Handle {  // one decompressor per thread, destroyed with the thread
            tjhandle h = tjInitDecompress();
            ~Handle() { tjDestroy(h); }
        };
        thread_local Handle handle;
        const tjhandle tj = handle.h;
        thread_local std::vector<unsigned char> rgb;
        int w = 0, h = 0, sub = 0, cs = 0;
        if (tjDecompressHeader3(tj, b.data(), static_cast<unsigned long>(b.size()), &w, &h, &sub, &cs) != 0) return;
        rgb.resize(static_cast<std::size_t>(w) * h * 3);
        tjDecompress2(tj, b.data(), static_cast<unsigned long>(b.size()), rgb.data(), w, 0, h, TJPF_RGB, 0);
    });
}

struct ScanRate {
    double images_per_s = 0, matches_per_s = 0, lookups_per_s = 0;
};

ScanRate scan_rate(hg::Scanner& s, const std::vector<Bytes>& corpus, int threads, double seconds) {
    std::atomic<std::uint64_t> matched{0}, scans{0}, match_us{0};
    ScanRate r;
    r.images_per_s = throughput(corpus, threads, seconds, [&](const Bytes& b) {
        hg::Result res = s.scan(b.data(), b.size());
        if (res.verdict() == HG_VERDICT_MATCH) ++matched;
        ++scans;
        match_us += static_cast<std::uint64_t>(res.get(HG_RESULT_MATCH_US));
    });
    r.matches_per_s = scans ? r.images_per_s * static_cast<double>(matched) / static_cast<double>(scans) : 0;
    r.lookups_per_s = match_us ? 1e6 * static_cast<double>(scans) / static_cast<double>(match_us) : 0;
    return r;
}

// A scan rate paired with decode alone: `kRounds` alternating slices (decode,
// scan, decode, scan, ...) of seconds / kRounds each, so that both see the same
// neighbours on a shared machine (one decode figure for the whole run let the
// ratio swing 1.1-1.9x between runs on a busy VM). The ratio is the median of
// the rounds' ratios; min and max show the spread.
struct Paired {
    ScanRate scan;       // rates averaged over the rounds
    double decode = 0;   // decode alone, images/s, averaged over the rounds
    double ratio = 0, ratio_min = 0, ratio_max = 0;  // time vs decode alone
};

Paired paired_rate(hg::Scanner& s, const std::vector<Bytes>& corpus, int threads, double seconds) {
    constexpr int kRounds = 5;
    Paired p;
    std::vector<double> ratios;
    for (int r = 0; r < kRounds; ++r) {
        const double d = decode_rate(corpus, threads, seconds / kRounds);
        const ScanRate sr = scan_rate(s, corpus, threads, seconds / kRounds);
        p.decode += d / kRounds;
        p.scan.images_per_s += sr.images_per_s / kRounds;
        p.scan.matches_per_s += sr.matches_per_s / kRounds;
        p.scan.lookups_per_s += sr.lookups_per_s / kRounds;
        ratios.push_back(sr.images_per_s > 0 ? d / sr.images_per_s : 0);
    }
    std::sort(ratios.begin(), ratios.end());
    p.ratio = ratios[kRounds / 2];
    p.ratio_min = ratios.front();
    p.ratio_max = ratios.back();
    return p;
}

struct BenchArgs {
    long long images = 48, threads = 0;
    double seconds = 2;
    std::string size = "1920x1080", lists = "1e5,1e6", json_path, video;
    int width = 1920, height = 1080;
    std::vector<double> sizes;
};

// "1e5,1e6" -> list sizes; false on anything that is not a number 1..1e8.
bool parse_sizes(const std::string& s, std::vector<double>& out) {
    out.clear();
    for (std::size_t p = 0; p <= s.size();) {
        const std::size_t q = std::min(s.find(',', p), s.size());
        double v = 0;
        if (!parse_real(s.substr(p, q - p), v) || v < 1 || v > 1e8) return false;
        out.push_back(v);
        p = q + 1;
    }
    return !out.empty();
}

// The corpus and, for every other image, its PDQ hash with 4 bits flipped:
// the planted near-copies every list gets.
std::vector<Bytes> make_corpus(const BenchArgs& a, std::vector<std::uint8_t>& planted, std::size_t& total_bytes) {
    std::fprintf(stderr, "hashguard bench: generating %lld %dx%d JPEGs...\n", a.images, a.width, a.height);
    std::vector<Bytes> corpus;
    total_bytes = 0;
    for (long long i = 0; i < a.images; ++i) {
        corpus.push_back(make_jpeg(a.width, a.height, 1000 + static_cast<std::uint64_t>(i)));
        if (corpus.back().empty()) throw hg::Error(HG_ERR_INTERNAL, "TurboJPEG could not encode the corpus");
        total_bytes += corpus.back().size();
    }
    hg::Scanner plain;
    plain.set(HG_OPT_CACHE_ENTRIES, 0);
    for (std::size_t i = 0; i < corpus.size(); i += 2) {
        const std::vector<unsigned char> h = plain.scan(corpus[i].data(), corpus[i].size()).bytes(HG_BYTES_PDQ);
        if (h.size() != 32) throw hg::Error(HG_ERR_INTERNAL, "a generated image has no PDQ hash");
        planted.insert(planted.end(), h.begin(), h.end());
        for (int b = 0; b < 4; ++b) planted[planted.size() - 32 + static_cast<std::size_t>(b * 7)] ^= 1;
    }
    return corpus;
}

// n random hashes with the planted ones at the end.
hg::Lists make_list(std::size_t n, const std::vector<std::uint8_t>& planted, Rng& rng) {
    const std::size_t nplant = planted.size() / 32;
    std::vector<std::uint8_t> hashes((n > nplant ? n - nplant : 0) * 32);
    for (std::size_t k = 0; k < hashes.size(); k += 8) {
        const std::uint64_t v = rng.next();
        std::memcpy(&hashes[k], &v, 8);
    }
    hashes.insert(hashes.end(), planted.begin(), planted.end());
    hg::Lists lists;
    lists.add_binary("bench", hashes.data(), hashes.size() / 32, HG_KIND_PDQ);
    return lists;
}

// One row of the table per list size; the first list is kept for the folder scan.
void bench_lists(const BenchArgs& a, const std::vector<Bytes>& corpus, const std::vector<std::uint8_t>& planted,
                 hashguard::json::Writer& w, std::unique_ptr<hg::Lists>& first) {
    const int threads = static_cast<int>(a.threads);
    Rng rng{42};
    w.key("lists").begin_array();
    for (std::size_t li = 0; li < a.sizes.size(); ++li) {
        const auto tb = Clock::now();
        hg::Lists lists = make_list(static_cast<std::size_t>(a.sizes[li]), planted, rng);
        hg::Scanner s;
        s.set(HG_OPT_CACHE_ENTRIES, 0);  // every scan decodes: no repeated-bytes shortcut
        s.set_lists(lists);
        const double build_s = std::chrono::duration<double>(Clock::now() - tb).count();
        if (li == 0) first = std::make_unique<hg::Lists>(std::move(lists));
        const Paired pn = paired_rate(s, corpus, threads, a.seconds);
        const ScanRate& rn = pn.scan;
        const ScanRate r1 = threads > 1 ? scan_rate(s, corpus, 1, a.seconds) : rn;
        char label[32], spread[32];
        std::snprintf(label, sizeof label, "%.0e", a.sizes[li]);
        std::snprintf(spread, sizeof spread, "%.2f-%.2f", pn.ratio_min, pn.ratio_max);
        std::printf("%-10s %9.2f %14.1f %14.1f %9.2fx %11s %12.0f %12.1f %10.2fx\n", label, build_s, rn.images_per_s,
                    r1.images_per_s, pn.ratio, spread, r1.lookups_per_s, rn.matches_per_s,
                    rn.images_per_s / r1.images_per_s);
        w.begin_object().field("hashes", static_cast<long long>(a.sizes[li])).field("build_s", build_s, 3);
        w.field("images_per_s", rn.images_per_s, 2).field("images_per_s_1thread", r1.images_per_s, 2);
        w.field("decode_only_images_per_s", pn.decode, 2).field("time_vs_decode_only", pn.ratio, 3);
        w.field("time_vs_decode_only_min", pn.ratio_min, 3).field("time_vs_decode_only_max", pn.ratio_max, 3);
        w.field("lookups_per_s", r1.lookups_per_s, 1).field("matches_per_s", rn.matches_per_s, 2).end_object();
    }
    w.end_array();
}

// Writes the corpus into a temporary folder; returns its path.
std::string write_corpus(const std::vector<Bytes>& corpus) {
    char tmpl[] = "/tmp/hashguard-bench-XXXXXX";
    if (!mkdtemp(tmpl)) throw hg::Error(HG_ERR_IO, "cannot create a temporary directory");
    const std::string dir = tmpl;
    for (std::size_t i = 0; i < corpus.size(); ++i) {
        const std::string p = dir + "/img" + std::to_string(i) + ".jpg";
        std::FILE* f = std::fopen(p.c_str(), "wb");
        const bool ok = f && std::fwrite(corpus[i].data(), 1, corpus[i].size(), f) == corpus[i].size();
        if ((f && std::fclose(f) != 0) || !ok) throw hg::Error(HG_ERR_IO, "cannot write " + p);
    }
    return dir;
}

// `hashguard scan`'s pipeline over the corpus as files: with its default
// digests and without, on all threads and on one.
void bench_folder(const BenchArgs& a, const std::vector<Bytes>& corpus, const hg::Lists* lists, double dec_n,
                  double dec_1, hashguard::json::Writer& w) {
    const std::string dir = write_corpus(corpus);
    const int threads = static_cast<int>(a.threads);
    double rate[2][2] = {{0, 0}, {0, 0}};  // [digests on/off][threads N / 1]
    for (int dg = 0; dg < 2; ++dg)
        for (int k = 0; k < 2; ++k) {
            hg::Scanner s;
            s.set(HG_OPT_CACHE_ENTRIES, 0).set(HG_OPT_DIGESTS, dg == 0 ? HG_DIGEST_MD5 | HG_DIGEST_SHA256 : 0);
            if (lists) s.set_lists(*lists);
            BatchOptions bo;
            bo.threads = k == 0 ? threads : 1;
            bo.quiet = true;
            bo.output = "/dev/null";
            bo.fsync_every_lines = SIZE_MAX;
            const int reps = std::max(1, static_cast<int>(a.seconds * dec_n / a.images / (k == 0 ? 1 : threads)));
            for (int r = 0; r < reps; ++r) bo.inputs.push_back(dir);  // repeat the folder: ~`seconds` per run
            BatchSummary sum;
            run_batch(s, bo, sum);
            rate[dg][k] = sum.elapsed_s > 0 ? static_cast<double>(sum.files) / sum.elapsed_s : 0;
        }
    for (std::size_t i = 0; i < corpus.size(); ++i) std::remove((dir + "/img" + std::to_string(i) + ".jpg").c_str());
    ::rmdir(dir.c_str());
    std::printf("\nfolder scan (the 'hashguard scan' pipeline over the corpus as files, first list):\n");
    std::printf("%-22s %14s %10s %14s %10s %11s\n", "", "files/s", "vs decode", "1 thread", "vs decode", "scaling");
    for (int dg = 0; dg < 2; ++dg)
        std::printf("%-22s %14.1f %9.2fx %14.1f %9.2fx %10.2fx\n", dg == 0 ? "with MD5 + SHA-256" : "--no-digests",
                    rate[dg][0], dec_n / rate[dg][0], rate[dg][1], dec_1 / rate[dg][1], rate[dg][0] / rate[dg][1]);
    w.key("folder_scan").begin_object().field("files_per_s", rate[0][0], 2).field("files_per_s_1thread", rate[0][1], 2);
    w.field("time_vs_decode_only", dec_n / rate[0][0], 3).field("no_digests_files_per_s", rate[1][0], 2);
    w.field("no_digests_files_per_s_1thread", rate[1][1], 2);
    w.field("no_digests_time_vs_decode_only", dec_n / rate[1][0], 3).end_object();
}

// Frames decoded per second by vpdq_hash_bytes under `o`, over repeated whole
// runs of the clip for at least `seconds` (one run at least).
double video_rate(const std::vector<std::uint8_t>& clip, const hashguard::VideoOptions& o, double seconds) {
    const auto t0 = Clock::now();
    std::uint64_t frames = 0;
    double el = 0;
    do {
        hashguard::VpdqVideo v;
        if (hashguard::Error e = hashguard::vpdq_hash_bytes(clip.data(), clip.size(), v, o))
            throw hg::Error(HG_ERR_DECODE_FAILED, "the video: " + e.message);
        frames += v.decoded_frames;
        el = std::chrono::duration<double>(Clock::now() - t0).count();
    } while (el < seconds);
    return static_cast<double>(frames) / el;
}

// The --video clip, read and decoded once up front (a bad path fails before
// the image benches run).
struct Clip {
    std::vector<std::uint8_t> bytes;
    hashguard::VpdqVideo probe;
};

Clip load_clip(const std::string& path) {
    using namespace hashguard;
    Clip c;
    if (Error e = read_file(path, c.bytes, std::size_t{1} << 31)) throw hg::Error(HG_ERR_IO, path + ": " + e.message);
    VideoOptions dec;
    dec.decode_only = true;
    if (Error e = vpdq_hash_bytes(c.bytes.data(), c.bytes.size(), c.probe, dec))
        throw hg::Error(HG_ERR_DECODE_FAILED, path + ": " + e.message);
    return c;
}

// `--video FILE`: vPDQ of one clip on one thread against decoding it alone
// through the same video module (VideoOptions::decode_only: libavformat +
// libavcodec, no conversion, no hash), in paired rounds as for the lists.
void bench_video(const BenchArgs& a, const Clip& c, hashguard::json::Writer& w) {
    using namespace hashguard;
    const std::vector<std::uint8_t>& clip = c.bytes;
    const VpdqVideo& probe = c.probe;
    VideoOptions dec;
    dec.decode_only = true;
    struct Mode {
        const char *label, *key;
        VideoOptions opt;
        std::vector<double> ratios;
        double rate = 0;
    };
    std::vector<Mode> modes(3);
    modes[0].label = "every frame", modes[0].key = "every_frame";
    modes[1].label = "every frame, 2 threads", modes[1].key = "every_frame_hash_threads_2";
    modes[1].opt.hash_threads = 2;
    modes[2].label = "one per second", modes[2].key = "one_per_second";
    modes[2].opt.seconds_per_hash = 1;
    constexpr int kRounds = 5;
    const double slice = a.seconds / kRounds;
    double decode = 0;
    for (int r = 0; r < kRounds; ++r)
        for (Mode& m : modes) {  // each mode paired with a decode-alone slice just before it
            const double d = video_rate(clip, dec, slice), v = video_rate(clip, m.opt, slice);
            decode += d / (kRounds * static_cast<double>(modes.size()));
            m.rate += v / kRounds;
            m.ratios.push_back(d / v);
        }
    std::printf("\nvideo: %s (%dx%d %s, %llu frames at %.2f fps), one thread; libavcodec decode alone through the\n"
                "same module: %.1f frames/s\n",
                a.video.c_str(), probe.width, probe.height, probe.codec.c_str(),
                static_cast<unsigned long long>(probe.decoded_frames), probe.fps, decode);
    std::printf("%-24s %12s %10s %11s\n", "vPDQ", "frames/s", "vs decode", "(min-max)");
    w.key("video").begin_object().field("file", a.video).field("width", probe.width).field("height", probe.height);
    w.field("codec", probe.codec).field("frames", static_cast<long long>(probe.decoded_frames));
    w.field("decode_only_frames_per_s", decode, 2).key("modes").begin_array();
    for (Mode& m : modes) {
        std::sort(m.ratios.begin(), m.ratios.end());
        char spread[32];
        std::snprintf(spread, sizeof spread, "%.2f-%.2f", m.ratios.front(), m.ratios.back());
        std::printf("%-24s %12.1f %9.2fx %11s\n", m.label, m.rate, m.ratios[kRounds / 2], spread);
        w.begin_object().field("mode", m.key).field("frames_per_s", m.rate, 2);
        w.field("time_vs_decode_only", m.ratios[kRounds / 2], 3).field("time_vs_decode_only_min", m.ratios.front(), 3);
        w.field("time_vs_decode_only_max", m.ratios.back(), 3).end_object();
    }
    w.end_array().end_object();
}

int parse_bench_args(int argc, char** argv, BenchArgs& a) {
    Args args("hashguard bench", "[options]",
              "Detection throughput on a generated corpus: images/s end to end, lookups/s per list\n"
              "size, against TurboJPEG decoding the same bytes in the same process.",
              "All figures come from one process: compare the ratios (the 'vs decode' column), not\n"
              "absolute numbers across machines.");
    args.integer("--images", "N", a.images, 2, 100000, "corpus size (default 48)")
        .text("--size", "WxH", a.size, "image size (default 1920x1080)")
        .text("--lists", "A,B,...", a.lists, "list sizes (default 1e5,1e6; 1e7 needs ~1.5 GB and a minute)")
        .integer("--threads", "N", a.threads, 1, 1024, "threads (default: one per core)")
        .real("--seconds", "S", a.seconds, 0.1, 3600, "minimum time per measurement (default 2)")
        .text("--video", "FILE", a.video, "also time vPDQ of this clip against decoding it alone")
        .text("--json", "FILE", a.json_path, "also write the figures as JSON");
    if (const int rc = args.parse(argc, argv); rc >= 0) return rc;
    if (std::sscanf(a.size.c_str(), "%dx%d", &a.width, &a.height) != 2 || a.width < 16 || a.height < 16 ||
        a.width > 16384 || a.height > 16384)
        return std::fprintf(stderr, "hashguard bench: --size needs WxH, 16..16384 a side\n"), 2;
    if (!parse_sizes(a.lists, a.sizes))
        return std::fprintf(stderr, "hashguard bench: --lists needs sizes 1..1e8, comma-separated\n"), 2;
    if (a.threads == 0) a.threads = static_cast<long long>(std::max(1u, std::thread::hardware_concurrency()));
    return -1;
}

}  // namespace

int cmd_bench(int argc, char** argv) {
    BenchArgs a;
    if (const int rc = parse_bench_args(argc, argv, a); rc >= 0) return rc;
    std::setvbuf(stdout, nullptr, _IOLBF, 0);  // the table appears as it is measured
    const Clip clip = a.video.empty() ? Clip{} : load_clip(a.video);
    std::vector<std::uint8_t> planted;
    std::size_t total_bytes = 0;
    const std::vector<Bytes> corpus = make_corpus(a, planted, total_bytes);
    const int threads = static_cast<int>(a.threads);
    const double dec_n = decode_rate(corpus, threads, a.seconds);
    const double dec_1 = threads > 1 ? decode_rate(corpus, 1, a.seconds) : dec_n;
    std::printf("hashguard bench: %lld generated %dx%d JPEGs (q90, %.0f KB average), kernel %s, %d threads\n",
                a.images, a.width, a.height, total_bytes / 1024.0 / static_cast<double>(a.images), hg_kernel(), threads);
    std::printf("TurboJPEG decode only (baseline): %.1f images/s (1 thread: %.1f)\n\n", dec_n, dec_1);
    std::printf("%-10s %9s %14s %14s %10s %11s %12s %12s %11s\n", "list", "build s", "scan img/s", "1 thread",
                "vs decode", "(min-max)", "lookups/s", "matches/s", "2t scaling");
    std::string json;
    hashguard::json::Writer w(json);
    w.begin_object().field("images", a.images).field("width", a.width).field("height", a.height);
    w.field("kernel", hg_kernel()).field("threads", threads).field("decode_only_images_per_s", dec_n, 2);
    w.field("decode_only_1thread_images_per_s", dec_1, 2);
    std::unique_ptr<hg::Lists> first;
    bench_lists(a, corpus, planted, w, first);
    bench_folder(a, corpus, first.get(), dec_n, dec_1, w);
    if (!a.video.empty()) bench_video(a, clip, w);
    w.end_object();
    std::printf("%s\n", json.c_str());
    if (!a.json_path.empty()) {
        std::FILE* f = std::fopen(a.json_path.c_str(), "w");
        if (!f || std::fprintf(f, "%s\n", json.c_str()) < 0 || std::fclose(f) != 0)
            throw hg::Error(HG_ERR_IO, "cannot write " + a.json_path);
    }
    return 0;
}

}  // namespace hgcli
