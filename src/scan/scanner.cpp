#include "scan/scanner.hpp"

#include <algorithm>
#include <cstdio>
#include <chrono>
#include <cstring>
#include <unordered_map>

#include "common/errors.hpp"
#include "common/fault.hpp"
#include "hashguard/json.hpp"
#include "scan/cache.hpp"

namespace hashguard::scan {

namespace {

std::atomic<long> g_live_sets{0};

using Clock = std::chrono::steady_clock;
std::uint32_t micros_since(Clock::time_point t0) {
    return static_cast<std::uint32_t>(
        std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - t0).count());
}

// Where a result keeps the digest of kind k (md5, sha1 or sha256) and its flag.
struct DigestSlot {
    Digest* digest;
    bool* has;
};
DigestSlot digest_slot(ScanResult& r, HashKind k) noexcept {
    switch (k) {
        case HashKind::md5: return {&r.md5, &r.has_md5};
        case HashKind::sha1: return {&r.sha1, &r.has_sha1};
        default: return {&r.sha256, &r.has_sha256};
    }
}

// Computes the digest of kind k into the result unless it is there already.
Error add_digest(ScanResult& r, HashKind k, const std::uint8_t* data, std::size_t len) {
    const DigestSlot slot = digest_slot(r, k);
    if (*slot.has) return {};
    if (Error e = compute_digest(k, data, len, *slot.digest)) return e;
    *slot.has = true;
    return {};
}

bool transient(Status s) noexcept {
    return s == Status::out_of_memory || s == Status::internal || s == Status::io_error;
}

// Whether pixel p lies within tol of `ref` on every channel.
inline bool near(const std::uint8_t* p, const std::uint8_t* ref, int ch, int tol) noexcept {
    for (int c = 0; c < ch; ++c) {
        const int d = static_cast<int>(p[c]) - static_cast<int>(ref[c]);
        if (d > tol || d < -tol) return false;
    }
    return true;
}

// Per-thread scratch, reused across scans (and across Scanner instances).
struct Work {
    Image image;
    PdqHasher hasher;
    std::vector<IndexMatch> hits;
    std::unordered_map<std::uint32_t, Match> best;
    VpdqVideo video;                 // the attachment's frames, when it is a video
    std::vector<VpdqMatch> vmatches;
    std::vector<std::pair<VpdqMatch, Transform>> vbest;  // per listed video: its best match and variant
};

Work& thread_work() {
    thread_local Work w;
    return w;
}

// A huge attachment's pixel buffer is not kept for the thread's lifetime.
void release_large_scratch(Work& w) noexcept {
    if (w.image.pixels.capacity() > Scanner::kMaxKeptScratch) std::vector<std::uint8_t>().swap(w.image.pixels);
    if (w.hits.capacity() > (std::size_t{1} << 16)) std::vector<IndexMatch>().swap(w.hits);
    if (w.video.frames.capacity() > (std::size_t{1} << 16)) std::vector<VpdqFrame>().swap(w.video.frames);
}

// Marks a result as failed by the scan itself, without allocating when the
// message fits the string's inline buffer (it does for "out of memory").
void fail_result(ScanResult& out, Status code, const char* message) noexcept {
    out.matches.clear();
    out.match_count = 0;
    out.verdict = Verdict::error;
    out.error.code = code;
    try {
        out.error.message = message;
    } catch (...) {
        out.error.message.clear();
    }
}

}  // namespace

const char* verdict_name(Verdict v) noexcept {
    switch (v) {
        case Verdict::no_match: return "no_match";
        case Verdict::match: return "match";
        case Verdict::allowed: return "allowed";
        case Verdict::error: return "error";
        case Verdict::below_quality: return "below_quality";
    }
    return "unknown";
}

const char* role_name(Role r) noexcept { return r == Role::allow ? "allow" : "block"; }

// ---------------------------------------------------------------- ListSet

std::shared_ptr<HashList> new_secure_list() {
    return std::shared_ptr<HashList>(new HashList(), [](HashList* l) {
        secure_clear(*l);
        delete l;
    });
}

ListSet::ListSet() { g_live_sets.fetch_add(1, std::memory_order_relaxed); }
ListSet::~ListSet() { g_live_sets.fetch_sub(1, std::memory_order_relaxed); }
long ListSet::live_count() noexcept { return g_live_sets.load(std::memory_order_relaxed); }

namespace {

Error check_config(const ListConfig& c, const std::vector<std::unique_ptr<LoadedList>>& lists) {
    const std::string where = "list '" + c.name + "'";
    if (c.name.empty()) return {Status::invalid_argument, "a list needs a non-empty name"};
    for (const auto& l : lists)
        if (l->config.name == c.name) return {Status::invalid_argument, where + " is already in the set"};
    if (c.threshold < 0 || c.threshold > 256) return {Status::invalid_argument, where + ": threshold must be 0..256"};
    if (c.min_quality < 0 || c.min_quality > 100)
        return {Status::invalid_argument, where + ": min_quality must be 0..100"};
    if (c.query_pct < 0 || c.query_pct > 100 || c.compared_pct < 0 || c.compared_pct > 100)
        return {Status::invalid_argument, where + ": query_pct and compared_pct must be 0..100"};
    return {};
}

// The index (or table) of the base and of the delta's additions.
Error index_list(LoadedList& l) {
    const ListEntries& entries = *l.entries;
    const std::string where = "list '" + l.config.name + "'";
    const bool has_added = l.delta && l.delta->added.size() > 0;
    if (l.config.kind == HashKind::vpdq) {
        if (!entries.vpdq() || l.delta) return {Status::invalid_argument, where + " is vPDQ but holds no videos"};
        VpdqMatchOptions mo;
        mo.distance = l.config.threshold;
        mo.min_quality = l.config.min_quality;
        mo.query_pct = l.config.query_pct;
        mo.compared_pct = l.config.compared_pct;
        std::unique_ptr<VpdqIndex> vi;
        if (Error e = VpdqIndex::build(*entries.vpdq(), mo, vi)) return {e.code, where + ": " + e.message};
        l.vpdq = std::move(vi);
        return {};
    }
    if (entries.vpdq()) return {Status::invalid_argument, where + " holds videos but is not a vPDQ list"};
    if (l.config.kind == HashKind::pdq) {
        if (entries.kind() != ListKind::pdq) return {Status::invalid_argument, where + " is PDQ but holds digests"};
        if (Error e = pdq_index_for(l.entries, l.config.threshold, l.index)) return e;
        if (!has_added) return {};
        std::unique_ptr<PdqIndex> di;
        if (Error e = make_pdq_index("scan", l.delta->added.pdq, di)) return e;
        l.delta_index = std::move(di);
        return {};
    }
    if (entries.kind() != ListKind::exact) return {Status::invalid_argument, where + " is exact but holds PDQ hashes"};
    if (Error e = check_digest_kinds(entries, l.config.name, l.config.kind)) return e;
    if (has_added) {
        const auto added = entries_of(std::shared_ptr<const HashList>(l.delta, &l.delta->added));
        if (Error e = check_digest_kinds(*added, l.config.name, l.config.kind)) return e;
        l.delta_exact = std::shared_ptr<const ExactTable>(new ExactTable(*added));
        l.delta_entries = added;
    }
    return exact_table_for(l.entries, l.exact);
}

}  // namespace

std::string LoadedList::id(std::uint32_t e) const {
    return e < entries->size() ? entries->id(e) : delta->added.ids[e - entries->size()];
}

std::string LoadedList::metadata(std::uint32_t e) const {
    return e < entries->size() ? entries->metadata(e) : delta->added.metadata[e - entries->size()];
}

Error ListSet::add(const ListConfig& c, std::shared_ptr<const ListEntries> entries,
                   std::shared_ptr<const ListDelta> delta) {
    if (!entries) return {Status::invalid_argument, "list '" + c.name + "' has no entries object"};
    if (Error e = check_config(c, lists_)) return e;
    if (entries->size() + (delta ? delta->added.size() : 0) > 0xFFFFFFFFu)
        return {Status::invalid_argument, "list '" + c.name + "': more than 2^32 entries"};
    auto l = std::make_unique<LoadedList>();
    l->config = c;
    l->entries = std::move(entries);
    l->delta = std::move(delta);
    if (Error e = index_list(*l)) return e;
    needs_[static_cast<int>(c.kind)] = true;
    lists_.push_back(std::move(l));
    return {};
}

// ---------------------------------------------------------------- letterbox

bool find_letterbox(const Image& img, int tol, Rect& inner) noexcept {
    const int w = img.width, h = img.height, ch = img.channels;
    if (w < 16 || h < 16 || (ch != 1 && ch != 3) || img.pixels.size() < img.size_bytes()) return false;
    const std::uint8_t* px = img.pixels.data();
    const std::size_t stride = static_cast<std::size_t>(w) * ch;
    auto at = [&](int x, int y) { return px + static_cast<std::size_t>(y) * stride + static_cast<std::size_t>(x) * ch; };
    auto row_flat = [&](int y, int x0, int x1, const std::uint8_t* ref) {
        for (int x = x0; x < x1; ++x)
            if (!near(at(x, y), ref, ch, tol)) return false;
        return true;
    };
    auto col_flat = [&](int x, int y0, int y1, const std::uint8_t* ref) {
        for (int y = y0; y < y1; ++y)
            if (!near(at(x, y), ref, ch, tol)) return false;
        return true;
    };
    int top = 0, bottom = h, left = 0, right = w;
    while (top < h && row_flat(top, 0, w, at(0, 0))) ++top;
    if (top == h) return false;  // one flat colour: nothing inside
    while (bottom > top && row_flat(bottom - 1, 0, w, at(0, h - 1))) --bottom;
    while (left < w && col_flat(left, top, bottom, at(0, top))) ++left;
    while (right > left && col_flat(right - 1, top, bottom, at(w - 1, top))) --right;
    // Ignore borders of a pixel or two (edge noise, a frame line); require a
    // real border on at least one side.
    const int min_border = 2;
    if (top < min_border && h - bottom < min_border && left < min_border && w - right < min_border) return false;
    if (right - left < 16 || bottom - top < 16) return false;
    inner = Rect{left, top, right - left, bottom - top};
    return true;
}

// ---------------------------------------------------------------- result

std::size_t ScanResult::memory_bytes() const noexcept {
    std::size_t n = sizeof(ScanResult) + error.message.capacity();
    for (const auto& m : matches)
        n += sizeof(Match) + m.list.capacity() + m.id.capacity() + m.metadata.capacity() +
             m.timestamps.capacity() * sizeof(float) + m.timestamps_text.capacity();
    n += video_codec.capacity() + vpdq.capacity() * sizeof(VpdqFrame);
    return n;
}

namespace {

void write_matches(json::Writer& w, const std::vector<Match>& matches) {
    w.key("matches").begin_array();
    for (const Match& m : matches) {
        w.begin_object().field("list", m.list).field("role", role_name(m.role)).field("kind", hash_kind_name(m.kind));
        w.field("id", m.id).field("metadata", m.metadata).field("distance", m.distance);
        if (m.kind == HashKind::pdq) w.field("transform", transform_name(m.transform)).field("inner", m.inner);
        if (m.kind == HashKind::vpdq) {
            w.field("transform", transform_name(m.transform));
            w.field("query_pct", m.query_pct, 1).field("compared_pct", m.compared_pct, 1).key("timestamps").begin_array();
            for (float t : m.timestamps) w.value(static_cast<double>(t), 3);
            w.end_array();
        }
        w.end_object();
    }
    w.end_array();
}

void write_hashes(json::Writer& w, const ScanResult& r) {
    if (r.format != Format::unknown)
        w.field("format", format_name(r.format)).field("width", r.width).field("height", r.height);
    if (r.has_pdq) w.field("pdq", r.pdq[0].to_hex()).field("quality", r.quality);
    if (r.video) {
        w.key("video").begin_object().field("codec", r.video_codec).field("width", r.width).field("height", r.height);
        w.field("fps", r.fps, 3).field("frames", static_cast<unsigned long long>(r.video_frames));
        w.field("hashed", static_cast<unsigned long long>(r.video_hashes)).end_object();
    }
    if (r.vpdq_kept) {  // keep_video_hashes: the reference's lines (none when no frame was hashable)
        w.key("vpdq").begin_array();
        for (const VpdqFrame& f : r.vpdq) w.value(vpdq_line(f));
        w.end_array();
    }
    if (r.letterboxed) {
        const Rect& b = r.inner_rect;
        w.key("letterbox").begin_object().field("x", b.x).field("y", b.y).field("width", b.width);
        w.field("height", b.height).field("pdq", r.inner_pdq[0].to_hex()).field("quality", r.inner_quality);
        w.end_object();
    }
    if (r.has_md5) w.field("md5", r.md5.to_hex());
    if (r.has_sha1) w.field("sha1", r.sha1.to_hex());
    if (r.has_sha256) w.field("sha256", r.sha256.to_hex());
}

}  // namespace

std::string to_json(const ScanResult& r) {
    std::string o;
    o.reserve(512);
    json::Writer w(o);
    w.begin_object().field("size", r.input_bytes).field("verdict", verdict_name(r.verdict));
    if (r.error.code != Status::ok) {
        w.key("error").begin_object().field("status", status_name(r.error.code));
        w.field("message", r.error.message).end_object();
    }
    write_hashes(w, r);
    write_matches(w, r.matches);
    w.field("match_count", r.match_count).field("cached", r.cached).field("generation", r.lists_generation);
    const Timings& t = r.timings;
    w.key("timings_us").begin_object().field("decode", t.decode_us).field("pdq", t.pdq_us);
    w.field("digest", t.digest_us).field("match", t.match_us).field("total", t.total_us).end_object();
    w.end_object();
    return o;
}

// ---------------------------------------------------------------- matching

namespace {

// The one verdict engine: looks a result's hashes up in every list and
// decides the verdict. Used for attachments and for hashes given directly.
class Matcher {
public:
    Matcher(const ListSet* lists, const ScanOptions& opt, ScanResult& out, Work& w)
        : lists_(lists), opt_(opt), out_(out), w_(w) {}

    /// `decode_error`: why the attachment has no PDQ hash (PDQ lists skipped).
    /// Returns an internal error (the verdict is then error) or ok.
    Error run(const Error& decode_error) {
        std::vector<Match> found;
        if (lists_)
            for (const auto& lp : lists_->lists()) {
                const std::size_t first = found.size();
                if (lp->config.kind == HashKind::vpdq) {
                    if (out_.video && !decode_error)
                        if (Error e = vpdq_list(*lp, found)) return e;
                } else if (lp->config.kind != HashKind::pdq) {
                    exact_list(*lp, found);
                } else if (!decode_error && !out_.video) {
                    if (Error e = pdq_list(*lp, found)) return e;
                }
                if (found.size() > first) (lp->config.role == Role::allow ? any_allow_ : any_block_) = true;
                // A video is allowed only when all of it is known-benign: an allow
                // list's partial match (80% of its frames) must not let the other
                // 20% through, whatever a block list finds in them.
                if (lp->config.role == Role::allow && found.size() > first &&
                    (lp->config.kind != HashKind::vpdq ||
                     std::any_of(found.begin() + static_cast<std::ptrdiff_t>(first), found.end(),
                                 [](const Match& m) { return m.query_pct >= 100.0; })))
                    whole_allow_ = true;
            }
        out_.match_count = found.size();
        if (found.size() > opt_.max_matches) found.resize(opt_.max_matches);
        out_.matches = std::move(found);
        decide(decode_error);
        return {};
    }

private:
    Error pdq_list(const LoadedList& l, std::vector<Match>& found) {
        const bool outer_ok = out_.has_pdq && out_.quality >= l.config.min_quality;
        const bool inner_ok = out_.letterboxed && out_.inner_quality >= l.config.min_quality;
        if (!outer_ok && !inner_ok) {
            quality_skipped_ = true;
            return {};
        }
        // The outer variants and the letterboxed image's inner ones in one
        // batch: one staged index search instead of two after one another.
        std::array<Hash256, 16> queries;
        int n = 0;
        if (outer_ok)
            for (int i = 0; i < out_.pdq_variants; ++i) queries[static_cast<std::size_t>(n++)] = out_.pdq[static_cast<std::size_t>(i)];
        const int inner_from = n;
        if (inner_ok)
            for (int i = 0; i < 8; ++i) queries[static_cast<std::size_t>(n++)] = out_.inner_pdq[static_cast<std::size_t>(i)];
        w_.best.clear();
        if (Error e = lookup(l, queries.data(), n, inner_from)) return e;
        const std::size_t first = found.size();
        for (auto& [entry, m] : w_.best) {
            m.list = l.config.name;
            m.role = l.config.role;
            m.kind = HashKind::pdq;
            m.id = l.id(entry);
            m.metadata = l.metadata(entry);
            found.push_back(std::move(m));
        }
        std::sort(found.begin() + static_cast<std::ptrdiff_t>(first), found.end(), [](const Match& a, const Match& b) {
            return a.distance != b.distance ? a.distance < b.distance : a.id < b.id;
        });
        return {};
    }

    // The attachment's sampled frames against every listed video (HMA's rules:
    // VpdqIndex). No frame of the list's quality: below_quality, as for images.
    Error vpdq_list(const LoadedList& l, std::vector<Match>& found) {
        bool usable = false;
        if (Error e = l.vpdq->match(w_.video.frames, w_.vmatches, &usable))
            return {e.code, "list '" + l.config.name + "': video lookup failed: " + e.message};
        if (!usable) quality_skipped_ = true;
        for (VpdqMatch& v : w_.vmatches) w_.vbest.push_back({v, Transform::original});
        if (Error e = vpdq_variants(l)) return e;
        for (auto& [v, t] : w_.vbest) {
            Match m;
            m.list = l.config.name;
            m.role = l.config.role;
            m.kind = HashKind::vpdq;
            m.id = l.id(static_cast<std::uint32_t>(v.video));
            m.metadata = l.metadata(static_cast<std::uint32_t>(v.video));
            m.query_pct = v.query_pct;
            m.compared_pct = v.compared_pct;
            m.transform = t;
            m.timestamps = std::move(v.timestamps);
            for (float t : m.timestamps) {
                char b[32];
                std::snprintf(b, sizeof b, "%s%.3f", m.timestamps_text.empty() ? "" : ",", static_cast<double>(t));
                m.timestamps_text += b;
            }
            found.push_back(std::move(m));
        }
        w_.vbest.clear();
        return {};
    }

    // With VideoOptions::dihedral: the video's 7 other variants too; per listed
    // video the best (highest query%, then the lowest transform) is kept.
    Error vpdq_variants(const LoadedList& l) {
        const VpdqVideo& v = w_.video;
        if (v.dihedral.size() != v.frames.size() || v.frames.empty()) return {};
        std::vector<VpdqFrame> frames = v.frames;
        for (int t = 1; t < 8; ++t) {
            for (std::size_t i = 0; i < frames.size(); ++i) frames[i].hash = v.dihedral[i][static_cast<std::size_t>(t)];
            if (Error e = l.vpdq->match(frames, w_.vmatches))
                return {e.code, "list '" + l.config.name + "': video lookup failed: " + e.message};
            for (VpdqMatch& m : w_.vmatches) {
                auto it = std::find_if(w_.vbest.begin(), w_.vbest.end(), [&](const auto& b) { return b.first.video == m.video; });
                if (it == w_.vbest.end()) w_.vbest.push_back({std::move(m), static_cast<Transform>(t)});
                else if (m.query_pct > it->first.query_pct) *it = {std::move(m), static_cast<Transform>(t)};
            }
        }
        std::sort(w_.vbest.begin(), w_.vbest.end(), [](const auto& a, const auto& b) {
            return a.first.query_pct != b.first.query_pct ? a.first.query_pct > b.first.query_pct : a.first.video < b.first.video;
        });
        return {};
    }

    // The base's matches (minus removed entries), then the delta's additions
    // (numbered after the base).
    Error search(const LoadedList& l, const Hash256* queries, int n) {
        w_.hits.clear();
        if (Error e = l.index->range_search(queries, static_cast<std::size_t>(n), l.config.threshold, w_.hits))
            return {e.code, "list '" + l.config.name + "': lookup failed: " + e.message};
        if (!l.delta) return {};
        std::erase_if(w_.hits, [&](const IndexMatch& h) { return l.delta->removes(h.entry); });
        if (!l.delta_index) return {};
        const std::size_t first = w_.hits.size();
        if (Error e = l.delta_index->range_search(queries, static_cast<std::size_t>(n), l.config.threshold, w_.hits))
            return {e.code, "list '" + l.config.name + "': lookup of its additions failed: " + e.message};
        for (std::size_t i = first; i < w_.hits.size(); ++i)
            w_.hits[i].entry += static_cast<std::uint32_t>(l.base_size());
        return {};
    }

    // Keeps, per entry, the best variant: lowest distance, then outer before
    // inner, then the lowest transform number. Queries from `inner_from` on
    // are the inner image's variants.
    Error lookup(const LoadedList& l, const Hash256* queries, int n, int inner_from) {
        if (Error e = search(l, queries, n)) return e;
        for (const IndexMatch& h : w_.hits) {
            auto [it, fresh] = w_.best.try_emplace(h.entry);
            Match& m = it->second;
            const int dist = static_cast<int>(h.distance);
            const bool inner = static_cast<int>(h.query) >= inner_from;
            const Transform t = static_cast<Transform>(static_cast<int>(h.query) - (inner ? inner_from : 0));
            if (!fresh && (m.distance < dist ||
                           (m.distance == dist && (m.inner < inner || (m.inner == inner && m.transform <= t)))))
                continue;
            m.distance = dist;
            m.transform = t;
            m.inner = inner;
        }
        return {};
    }

    void exact_list(const LoadedList& l, std::vector<Match>& found) {
        const DigestSlot slot = digest_slot(out_, l.config.kind);
        if (!*slot.has) return;
        auto add = [&](std::uint32_t entry) {
            Match m;
            m.list = l.config.name;
            m.role = l.config.role;
            m.kind = l.config.kind;
            m.id = l.id(entry);
            m.metadata = l.metadata(entry);
            found.push_back(std::move(m));
        };
        l.exact->for_each_equal(*l.entries, *slot.digest, [&](std::uint32_t e) {
            if (!l.delta || !l.delta->removes(e)) add(e);
        });
        if (l.delta_exact)
            l.delta_exact->for_each_equal(*l.delta_entries, *slot.digest, [&](std::uint32_t e) {
                add(e + static_cast<std::uint32_t>(l.base_size()));
            });
    }

    void decide(const Error& decode_error) {
        if (whole_allow_ || (any_allow_ && !any_block_)) out_.verdict = Verdict::allowed;
        else if (any_block_) out_.verdict = Verdict::match;
        else if (decode_error) out_.verdict = Verdict::error;
        else if (quality_skipped_) out_.verdict = Verdict::below_quality;
        else out_.verdict = Verdict::no_match;
    }

    const ListSet* lists_;
    const ScanOptions& opt_;
    ScanResult& out_;
    Work& w_;
    bool any_block_ = false, any_allow_ = false, quality_skipped_ = false;
    bool whole_allow_ = false;  // an allow match that covers the whole attachment (a vPDQ one: 100% of its frames)
};

// Digests some list (or the options) asks for, except those already there.
Error compute_digests(ScanResult& out, const ListSet* lists, const ScanOptions& opt, const std::uint8_t* data,
                      std::size_t len) {
    for (HashKind k : {HashKind::md5, HashKind::sha1, HashKind::sha256})
        if ((opt.digests & digest_bit(k)) || (lists && lists->needs(k)))
            if (Error e = add_digest(out, k, data, len)) return e;
    return {};
}

// A video (when a vPDQ list is loaded, or keep_video_hashes asks): every frame
// decoded, the sampled ones hashed. Returns an internal error; a bad video goes to decode_error.
Error decode_and_hash_video(ScanResult& out, const ScanOptions& opt, Work& w, const std::uint8_t* data,
                            std::size_t len, Error& decode_error) {
    const auto t = Clock::now();
    out.video = true;
    decode_error = vpdq_hash_bytes(data, len, w.video, opt.video);
    out.timings.decode_us = micros_since(t);
    out.video_frames = w.video.decoded_frames;
    out.video_hashes = w.video.frames.size();
    out.fps = w.video.fps;
    out.video_codec = w.video.codec;
    out.width = w.video.width;
    out.height = w.video.height;
    if (opt.keep_video_hashes && !decode_error) {
        out.vpdq = w.video.frames;
        out.vpdq_kept = true;
    }
    if (decode_error && transient(decode_error.code)) return std::exchange(decode_error, Error{});
    return {};
}

// Decodes once and hashes the whole image and, inside uniform borders, its
// content. Returns an internal error; a bad attachment goes to decode_error.
Error decode_and_hash(ScanResult& out, const ScanOptions& opt, Work& w, const std::uint8_t* data, std::size_t len,
                      Error& decode_error) {
    auto t = Clock::now();
    decode_error = decode_image(data, len, w.image, opt.decode);
    out.timings.decode_us = micros_since(t);
    if (decode_error) {
        out.format = sniff_format(data, len);
        if (transient(decode_error.code)) return std::exchange(decode_error, Error{});  // the scan failed, not the file
        return {};
    }
    out.format = w.image.format;
    out.width = w.image.width;
    out.height = w.image.height;
    t = Clock::now();
    PdqDihedral whole, inner;
    if (detail::inject_fault(detail::FaultSite::pdq_hash)) return detail::injected_failure(detail::FaultSite::pdq_hash);
    if (Error e = w.hasher.hash_dihedral(w.image, whole)) return e;
    out.has_pdq = !whole.degenerate;
    out.pdq = whole.hashes;
    out.quality = whole.quality;
    Rect r;
    if (opt.letterbox && out.has_pdq && find_letterbox(w.image, opt.letterbox_tolerance, r)) {
        if (Error e = w.hasher.hash_dihedral(w.image, r, inner)) return e;
        if (!inner.degenerate) {
            out.letterboxed = true;
            out.inner_rect = r;
            out.inner_pdq = inner.hashes;
            out.inner_quality = inner.quality;
        }
    }
    out.timings.pdq_us = micros_since(t);
    return {};
}

}  // namespace

// ---------------------------------------------------------------- scanner

Scanner::Scanner(const ScanOptions& options) : cache_(std::make_unique<ResultCache>()) {
    active_ = std::make_shared<const Active>(Active{nullptr, options, 0});
}

Scanner::~Scanner() = default;

void Scanner::publish(std::shared_ptr<const ListSet> lists, const ScanOptions& options) {
    // Caller holds writer_.
    auto next = std::make_shared<const Active>(Active{std::move(lists), options, ++generation_});
    {
        std::lock_guard<std::mutex> lock(active_mutex_);
        active_.swap(next);
    }
    next.reset();  // the previous set (if this held its last reference) is freed outside the lock
    cache_->clear();  // entries of older generations would be ignored anyway; free them now
}

std::uint64_t Scanner::set_lists(std::shared_ptr<const ListSet> lists) {
    std::lock_guard<std::mutex> lock(writer_);
    publish(std::move(lists), current()->options);
    return generation_;
}

std::shared_ptr<const Scanner::Active> Scanner::current() const {
    std::lock_guard<std::mutex> lock(active_mutex_);
    return active_;
}

std::shared_ptr<const ListSet> Scanner::lists() const { return current()->lists; }

void Scanner::set_options(const ScanOptions& options) {
    std::lock_guard<std::mutex> lock(writer_);
    publish(current()->lists, options);
}

ScanOptions Scanner::options() const { return current()->options; }

std::size_t Scanner::cache_size() const noexcept { return cache_->size(); }

std::size_t Scanner::thread_scratch_bytes() noexcept {
    const Work& w = thread_work();
    return w.image.pixels.capacity() + w.hits.capacity() * sizeof(IndexMatch) +
           w.video.frames.capacity() * sizeof(VpdqFrame);
}

Error Scanner::scan_bytes(const Active& active, const std::uint8_t* data, std::size_t len, ScanResult& out) {
    const auto t0 = Clock::now();
    const ScanOptions& opt = active.options;
    const ListSet* lists = active.lists.get();
    if (len > opt.decode.max_input_bytes) {  // refuse before hashing anything
        out.verdict = Verdict::error;
        out.error = {Status::limit_bytes, "input is " + std::to_string(len) + " bytes, above max_input_bytes (" +
                                              std::to_string(opt.decode.max_input_bytes) + ")"};
        return {};
    }
    // The cache is keyed by the SHA-256 of the bytes (computed once, also for lists).
    const bool use_cache = opt.cache_entries > 0;
    auto t = Clock::now();
    if (use_cache) {
        if (Error e = add_digest(out, HashKind::sha256, data, len)) return e;
        std::shared_ptr<const ScanResult> hit;
        if (Error e = cache_->find(out.sha256.bytes, active.generation, hit)) return e;
        if (hit) {
            out = *hit;
            out.cached = true;
            out.timings = Timings{};
            out.timings.total_us = micros_since(t0);
            return {};
        }
    }
    if (Error e = compute_digests(out, lists, opt, data, len)) return e;
    out.timings.digest_us = micros_since(t);

    Work& w = thread_work();
    struct Release {  // a huge attachment's scratch goes when the scan is done (matching reads the video's frames)
        Work& w;
        ~Release() { release_large_scratch(w); }
    } release{w};
    Error decode_error;
    const bool video =
        ((lists && lists->needs(HashKind::vpdq)) || opt.keep_video_hashes) && sniff_video(data, len);
    const Error failed = video ? decode_and_hash_video(out, opt, w, data, len, decode_error)
                               : decode_and_hash(out, opt, w, data, len, decode_error);
    if (failed) return failed;
    t = Clock::now();
    if (Error e = Matcher(lists, opt, out, w).run(decode_error)) return e;
    if (decode_error) out.error = decode_error;
    out.timings.match_us = micros_since(t);
    out.timings.total_us = micros_since(t0);
    if (use_cache) {
        auto stored = std::make_shared<const ScanResult>(out);
        if (Error e = cache_->insert(out.sha256.bytes, std::move(stored), opt.cache_entries, opt.cache_bytes))
            return e;
    }
    return {};
}

Error Scanner::scan(const std::uint8_t* data, std::size_t len, ScanResult& out) noexcept {
    const auto t0 = Clock::now();
    out = ScanResult{};
    if (!data && len) return {Status::invalid_argument, "data is null but len is not 0"};
    static const std::uint8_t kEmpty = 0;
    if (!data) data = &kEmpty;
    std::shared_ptr<const Active> active = current();
    out.lists_generation = active->generation;
    out.input_bytes = len;
    const Error failed = detail::guard([&] { return scan_bytes(*active, data, len, out); });
    if (failed) {  // the scan itself failed: never a "no match"
        const Status code = failed.code;
        if (code == Status::out_of_memory) fail_result(out, code, "out of memory");
        else fail_result(out, code, failed.message.c_str());
    }
    if (!out.cached) out.timings.total_us = micros_since(t0);
    return {};
}

Error Scanner::scan_hash(const GivenHash& h, ScanResult& out) noexcept {
    out = ScanResult{};
    if (h.kind == HashKind::vpdq) return {Status::invalid_argument, "vPDQ hashes are matched by scanning the video"};
    if (h.kind == HashKind::pdq && h.pdq.size() != 1 && h.pdq.size() != 8)
        return {Status::invalid_argument, "a PDQ hash is given as 1 hash or as the 8 dihedral variants"};
    if (h.kind == HashKind::pdq && (h.quality < 0 || h.quality > 100))
        return {Status::invalid_argument, "quality must be 0..100"};
    if (h.kind != HashKind::pdq && h.digest.kind != h.kind)
        return {Status::invalid_argument, "the digest's kind differs from the kind given"};
    std::shared_ptr<const Active> active = current();
    out.lists_generation = active->generation;
    const auto t0 = Clock::now();
    const Error failed = detail::guard([&]() -> Error {
        if (h.kind == HashKind::pdq) {
            out.has_pdq = true;
            out.pdq_variants = static_cast<int>(h.pdq.size());
            std::copy(h.pdq.begin(), h.pdq.end(), out.pdq.begin());
            out.quality = h.quality;
        } else {
            const DigestSlot slot = digest_slot(out, h.kind);
            *slot.digest = h.digest;
            *slot.has = true;
        }
        return Matcher(active->lists.get(), active->options, out, thread_work()).run(Error{});
    });
    if (failed) fail_result(out, failed.code, failed.code == Status::out_of_memory ? "out of memory" : failed.message.c_str());
    out.timings.total_us = out.timings.match_us = micros_since(t0);
    return {};
}

}  // namespace hashguard::scan
