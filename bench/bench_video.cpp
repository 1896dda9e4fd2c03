// vPDQ against libavcodec decoding the same bytes alone, in one process
// (issue 14's goals): every frame hashed, one frame per second hashed, and a
// match of the video's frames against a list of 10^4 videos x 100 frames.
// The clip: $HASHGUARD_BENCH_VIDEO, else ../shared's doorknob-hd-no-bar.mp4
// (1280x720 H.264, 120 frames); without either nothing is registered.
// The decode-alone baseline demuxes and decodes every frame from memory with
// libavformat/libavcodec directly (same threads: 1, slice only), no conversion.
extern "C" {
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/log.h>
#include <libavutil/mem.h>
}
#include <benchmark/benchmark.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "hashguard/image.hpp"
#include "hashguard/video.hpp"

namespace {

std::vector<std::uint8_t> g_clip;
std::string g_name;

struct Mem {
    const std::uint8_t* p;
    std::size_t n, pos;
};

int read_mem(void* o, std::uint8_t* buf, int size) {
    Mem* m = static_cast<Mem*>(o);
    if (m->pos >= m->n) return AVERROR_EOF;
    const int k = static_cast<int>(std::min<std::size_t>(static_cast<std::size_t>(size), m->n - m->pos));
    std::memcpy(buf, m->p + m->pos, static_cast<std::size_t>(k));
    m->pos += static_cast<std::size_t>(k);
    return k;
}

std::int64_t seek_mem(void* o, std::int64_t off, int whence) {
    Mem* m = static_cast<Mem*>(o);
    if ((whence & ~AVSEEK_FORCE) == AVSEEK_SIZE) return static_cast<std::int64_t>(m->n);
    const std::int64_t base = (whence & 3) == SEEK_CUR ? static_cast<std::int64_t>(m->pos)
                              : (whence & 3) == SEEK_END ? static_cast<std::int64_t>(m->n) : 0;
    if (base + off < 0 || base + off > static_cast<std::int64_t>(m->n)) return -1;
    m->pos = static_cast<std::size_t>(base + off);
    return base + off;
}

// Every frame of the first video stream, decoded and dropped; returns the count.
int decode_only(const std::vector<std::uint8_t>& bytes) {
    Mem m{bytes.data(), bytes.size(), 0};
    auto* buf = static_cast<std::uint8_t*>(av_malloc(1 << 16));
    AVIOContext* io = avio_alloc_context(buf, 1 << 16, 0, &m, read_mem, nullptr, seek_mem);
    AVFormatContext* fmt = avformat_alloc_context();
    fmt->pb = io;
    fmt->flags |= AVFMT_FLAG_CUSTOM_IO;
    int frames = 0;
    if (avformat_open_input(&fmt, nullptr, nullptr, nullptr) == 0 && avformat_find_stream_info(fmt, nullptr) >= 0) {
        int vs = -1;
        for (unsigned i = 0; i < fmt->nb_streams && vs < 0; ++i)
            if (fmt->streams[i]->codecpar->codec_type == AVMEDIA_TYPE_VIDEO) vs = static_cast<int>(i);
        const AVCodec* codec = vs >= 0 ? avcodec_find_decoder(fmt->streams[vs]->codecpar->codec_id) : nullptr;
        AVCodecContext* dec = codec ? avcodec_alloc_context3(codec) : nullptr;
        if (dec && avcodec_parameters_to_context(dec, fmt->streams[vs]->codecpar) >= 0) {
            dec->thread_type = FF_THREAD_SLICE;
            dec->thread_count = 1;
            if (avcodec_open2(dec, codec, nullptr) == 0) {
                AVPacket* pkt = av_packet_alloc();
                AVFrame* f = av_frame_alloc();
                auto drain = [&] {
                    while (avcodec_receive_frame(dec, f) == 0) ++frames, av_frame_unref(f);
                };
                while (av_read_frame(fmt, pkt) >= 0) {
                    if (pkt->stream_index == vs) avcodec_send_packet(dec, pkt), drain();
                    av_packet_unref(pkt);
                }
                avcodec_send_packet(dec, nullptr);
                drain();
                av_frame_free(&f);
                av_packet_free(&pkt);
            }
        }
        avcodec_free_context(&dec);
        avformat_close_input(&fmt);
    } else {
        avformat_free_context(fmt);
    }
    av_freep(&io->buffer);
    avio_context_free(&io);
    return frames;
}

void BM_LibavcodecDecodeOnly(benchmark::State& state) {
    int frames = 0;
    for (auto _ : state) benchmark::DoNotOptimize(frames = decode_only(g_clip));
    state.counters["frames"] = frames;
    state.SetItemsProcessed(state.iterations() * frames);
}

void BM_Vpdq(benchmark::State& state, double seconds_per_hash, int hash_threads) {
    hashguard::VideoOptions o;
    o.seconds_per_hash = seconds_per_hash;
    o.hash_threads = hash_threads;
    hashguard::VpdqVideo v;
    for (auto _ : state)
        if (hashguard::Error e = hashguard::vpdq_hash_bytes(g_clip.data(), g_clip.size(), v, o)) {
            state.SkipWithError(e.message.c_str());
            return;
        }
    state.counters["frames"] = static_cast<double>(v.decoded_frames);
    state.counters["hashed"] = static_cast<double>(v.frames.size());
    state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(v.decoded_frames));
}

// The match alone: the clip's every-frame hashes against 10^4 listed videos of
// 100 random frames each (10^6 frame hashes) plus the clip itself.
void BM_VpdqMatch(benchmark::State& state) {
    hashguard::VpdqVideo clip;
    if (hashguard::vpdq_hash_bytes(g_clip.data(), g_clip.size(), clip)) return state.SkipWithError("hash failed");
    hashguard::VpdqList list;
    std::mt19937_64 rng(14);
    list.videos.resize(static_cast<std::size_t>(state.range(0)));
    for (auto& v : list.videos) {
        v.frames.resize(100);
        for (auto& f : v.frames) {
            for (auto& w : f.hash.w) w = static_cast<std::uint16_t>(rng());
            f.quality = 100;
        }
    }
    list.videos.push_back({"clip", "", clip.frames});
    std::unique_ptr<hashguard::VpdqIndex> idx;
    if (hashguard::VpdqIndex::build(list, {}, idx)) return state.SkipWithError("index build failed");
    std::vector<hashguard::VpdqMatch> m;
    for (auto _ : state)
        if (idx->match(clip.frames, m) || m.size() != 1) return state.SkipWithError("match failed");
    state.counters["list_frames"] = static_cast<double>(idx->frames());
}

}  // namespace

int main(int argc, char** argv) {
    av_log_set_level(AV_LOG_QUIET);
    setenv("HASHGUARD_MODULE_DIR", HG_BENCH_MODULE_DIR, 0);  // the build's video module (a static binary has none beside it)
    const char* env = std::getenv("HASHGUARD_BENCH_VIDEO");
    const std::string shared = std::string(HG_BENCH_SHARED_DIR) + "/vpdq-reference/videos/doorknob-hd-no-bar.mp4";
    const std::string path = env && *env ? env : shared;
    if (!std::filesystem::exists(path) || hashguard::read_file(path, g_clip)) {
        std::fprintf(stderr, "bench_video: no clip (%s): set HASHGUARD_BENCH_VIDEO=FILE\n", path.c_str());
        return 0;
    }
    benchmark::RegisterBenchmark("LibavcodecDecodeOnly", BM_LibavcodecDecodeOnly)->Unit(benchmark::kMillisecond)->UseRealTime();
    // Wall time (UseRealTime): with hash_threads 2 the work spreads over two threads.
    benchmark::RegisterBenchmark("VpdqEveryFrame", BM_Vpdq, 0.0, 1)->Unit(benchmark::kMillisecond)->UseRealTime();
    benchmark::RegisterBenchmark("VpdqEveryFrame/hash_threads:2", BM_Vpdq, 0.0, 2)
        ->Unit(benchmark::kMillisecond)
        ->UseRealTime();
    benchmark::RegisterBenchmark("Vpdq1s", BM_Vpdq, 1.0, 1)->Unit(benchmark::kMillisecond)->UseRealTime();
    // Frame 0 only: what the video path costs beyond decoding, hashing aside.
    benchmark::RegisterBenchmark("VpdqFirstFrameOnly", BM_Vpdq, 1e9, 1)->Unit(benchmark::kMillisecond)->UseRealTime();
    benchmark::RegisterBenchmark("VpdqMatch", BM_VpdqMatch)->Arg(10000)->Unit(benchmark::kMillisecond);
    benchmark::Initialize(&argc, argv);
    benchmark::RunSpecifiedBenchmarks();
    return 0;
}
