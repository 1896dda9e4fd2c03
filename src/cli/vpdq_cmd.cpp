// `hashguard vpdq`: vPDQ of video files through the public C++ API
// (include/hashguard/video.hpp), in the reference CLI's line format.
#include <cstdio>
#include <string>
#include <vector>

#include "args.hpp"
#include "commands.hpp"
#include "hashguard/image.hpp"
#include "hashguard/video.hpp"

namespace hgcli {

int cmd_vpdq(int argc, char** argv) {
    using namespace hashguard;
    std::vector<std::string> paths;
    double seconds = 0;
    long long threads = 1, hash_threads = 1, max_frames = 1000000, max_bytes = 1ll << 31, max_ms = 0;
    Args args("hashguard vpdq", "[options] FILE...",
              "Prints the vPDQ hash of each video as the reference's vpdq-hash-video writes it, one line\n"
              "per hashed frame: frame,quality,hash,timestamp (timestamp = frame / fps, 3 decimals).\n"
              "The video is decoded from memory (MP4/MOV/3GP, Matroska/WebM, AVI; H.264, HEVC, VP8,\n"
              "VP9, AV1, MPEG-4, ...); every frame is decoded, the sampled ones are hashed at native\n"
              "size. With more than one FILE, each video's lines follow a '# FILE' line.",
              "A video that cannot be hashed prints 'path: reason' on stderr and no lines; the others\n"
              "continue. Exit status: 0 all hashed, 1 any failed, 2 usage.");
    args.real("--seconds-per-hash", "S", seconds, 0, 1e6, "hash one frame every S seconds (default 0: every frame)")
        .integer("--threads", "N", threads, 1, 64, "decoder slice threads (default 1)")
        .integer("--hash-threads", "N", hash_threads, 1, 2, "2: hash on a second thread while decoding (default 1)")
        .integer("--max-frames", "N", max_frames, 0, 1ll << 40, "frame limit, 0 for none (default 1000000)")
        .integer("--max-bytes", "N", max_bytes, 1, 1ll << 40, "input size limit (default 2147483648)")
        .integer("--max-ms", "N", max_ms, 0, 1ll << 31, "wall-clock budget per video, 0 for none (default 0)")
        .operands("FILE", paths, 1);
    if (const int rc = args.parse(argc, argv); rc >= 0) return rc;
    VideoOptions opt;
    opt.seconds_per_hash = seconds;
    opt.threads = static_cast<int>(threads);
    opt.hash_threads = static_cast<int>(hash_threads);
    opt.max_frames = static_cast<std::uint64_t>(max_frames);
    opt.max_input_bytes = static_cast<std::uint64_t>(max_bytes);
    opt.max_decode_ms = static_cast<std::uint32_t>(max_ms);
    std::vector<std::uint8_t> bytes;
    bool any_failed = false;
    for (const auto& p : paths) {
        VpdqVideo v;
        Error e = read_file(p, bytes, static_cast<std::size_t>(max_bytes));
        if (!e) e = vpdq_hash_bytes(bytes.data(), bytes.size(), v, opt);
        if (e) {
            std::fflush(stdout);
            std::fprintf(stderr, "%s: %s\n", p.c_str(), e.message.c_str());
            any_failed = true;
            continue;
        }
        std::string out;
        if (paths.size() > 1) out += "# " + p + "\n";
        for (const VpdqFrame& f : v.frames) out += vpdq_line(f) + "\n";
        std::fwrite(out.data(), 1, out.size(), stdout);
    }
    return any_failed ? 1 : 0;
}

}  // namespace hgcli
