// VpdqIndex (include/hashguard/video.hpp): every listed frame in one PdqIndex,
// matched as python-threatexchange's vPDQ matcher does (HMA's): on each side
// frames of quality >= the floor, identical hashes counted once; a query hash
// matches a video when some frame of it is within the distance; query% and
// compared% over unique hashes.
#include <algorithm>
#include <new>
#include <unordered_map>

#include "hashguard/index.hpp"
#include "hashguard/video.hpp"

namespace hashguard {

namespace {

struct HashLess {
    bool operator()(const Hash256& a, const Hash256& b) const noexcept { return a.w < b.w; }
};

// The unique hashes of frames with quality >= floor, with every timestamp of each.
void unique_frames(const std::vector<VpdqFrame>& frames, int floor, std::vector<Hash256>& hashes,
                   std::vector<std::vector<float>>* times) {
    std::vector<std::pair<Hash256, float>> kept;
    for (const VpdqFrame& f : frames)
        if (f.quality >= floor) kept.emplace_back(f.hash, f.timestamp);
    std::stable_sort(kept.begin(), kept.end(), [](const auto& a, const auto& b) { return HashLess{}(a.first, b.first); });
    for (std::size_t i = 0; i < kept.size(); ++i) {
        if (i == 0 || !(kept[i].first == kept[i - 1].first)) {
            hashes.push_back(kept[i].first);
            if (times) times->emplace_back();
        }
        if (times) times->back().push_back(kept[i].second);
    }
}

}  // namespace

struct VpdqIndex::Impl {
    VpdqMatchOptions opt;
    std::size_t videos = 0;
    std::vector<std::uint32_t> frame_video;   // per indexed hash
    std::vector<std::uint32_t> unique_count;  // per video
    std::unique_ptr<PdqIndex> index;
};

VpdqIndex::VpdqIndex() : impl_(std::make_unique<Impl>()) {}
VpdqIndex::~VpdqIndex() = default;
std::size_t VpdqIndex::videos() const noexcept { return impl_->videos; }
std::size_t VpdqIndex::frames() const noexcept { return impl_->frame_video.size(); }
const VpdqMatchOptions& VpdqIndex::options() const noexcept { return impl_->opt; }
std::size_t VpdqIndex::memory_bytes() const noexcept {
    return impl_->index->memory_bytes() + impl_->frame_video.capacity() * 4 + impl_->unique_count.capacity() * 4;
}

Error VpdqIndex::build(const VpdqList& list, const VpdqMatchOptions& opt, std::unique_ptr<VpdqIndex>& out) noexcept {
    try {
        out.reset();
        if (opt.distance < 0 || opt.distance > 256 || opt.min_quality < 0 || opt.min_quality > 100 ||
            !(opt.query_pct >= 0 && opt.query_pct <= 100) || !(opt.compared_pct >= 0 && opt.compared_pct <= 100))
            return {Status::invalid_argument, "vPDQ match options out of range (distance 0..256, quality 0..100, "
                                              "percentages 0..100)"};
        if (list.videos.size() > 0xFFFFFFFFu) return {Status::invalid_argument, "too many videos"};
        std::unique_ptr<VpdqIndex> x(new VpdqIndex());
        Impl& m = *x->impl_;
        m.opt = opt;
        m.videos = list.videos.size();
        std::vector<Hash256> all;
        for (std::size_t v = 0; v < list.videos.size(); ++v) {
            const std::size_t before = all.size();
            unique_frames(list.videos[v].frames, opt.min_quality, all, nullptr);
            m.unique_count.push_back(static_cast<std::uint32_t>(all.size() - before));
            m.frame_video.resize(all.size(), static_cast<std::uint32_t>(v));
        }
        if (all.size() > 0xFFFFFFFFu) return {Status::invalid_argument, "too many frames"};
        if (Error e = make_pdq_index("auto", all, m.index, opt.distance)) return e;
        out = std::move(x);
        return {};
    } catch (const std::bad_alloc&) {
        return {Status::out_of_memory, {}};
    } catch (...) {
        return {Status::internal, {}};
    }
}

Error VpdqIndex::match(const std::vector<VpdqFrame>& query, std::vector<VpdqMatch>& out, bool* usable) const noexcept {
    try {
        out.clear();
        const Impl& m = *impl_;
        std::vector<Hash256> q;
        std::vector<std::vector<float>> times;
        unique_frames(query, m.opt.min_quality, q, &times);
        if (usable) *usable = !q.empty();
        if (q.empty()) return {};
        std::vector<IndexMatch> hits;
        if (Error e = m.index->range_search(q.data(), q.size(), m.opt.distance, hits)) return e;
        struct Seen {
            std::vector<std::uint32_t> queries, entries;
        };
        std::unordered_map<std::uint32_t, Seen> by_video;
        for (const IndexMatch& h : hits) {
            Seen& s = by_video[m.frame_video[h.entry]];
            s.queries.push_back(h.query);
            s.entries.push_back(h.entry);
        }
        for (auto& [video, s] : by_video) {
            std::sort(s.queries.begin(), s.queries.end());
            s.queries.erase(std::unique(s.queries.begin(), s.queries.end()), s.queries.end());
            std::sort(s.entries.begin(), s.entries.end());
            s.entries.erase(std::unique(s.entries.begin(), s.entries.end()), s.entries.end());
            VpdqMatch r;
            r.video = video;
            r.query_pct = 100.0 * static_cast<double>(s.queries.size()) / static_cast<double>(q.size());
            r.compared_pct = 100.0 * static_cast<double>(s.entries.size()) / static_cast<double>(m.unique_count[video]);
            if (r.query_pct < m.opt.query_pct || r.compared_pct < m.opt.compared_pct) continue;
            for (std::uint32_t qi : s.queries) r.timestamps.insert(r.timestamps.end(), times[qi].begin(), times[qi].end());
            std::sort(r.timestamps.begin(), r.timestamps.end());
            out.push_back(std::move(r));
        }
        std::sort(out.begin(), out.end(), [](const VpdqMatch& a, const VpdqMatch& b) {
            return a.query_pct != b.query_pct ? a.query_pct > b.query_pct : a.video < b.video;
        });
        return {};
    } catch (const std::bad_alloc&) {
        out.clear();
        return {Status::out_of_memory, {}};
    } catch (...) {
        out.clear();
        return {Status::internal, {}};
    }
}

}  // namespace hashguard
