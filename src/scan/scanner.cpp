#include "scan/scanner.hpp"

#include <openssl/evp.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <unordered_map>

#include "common/errors.hpp"
#include "common/json.hpp"
#include "scan/cache.hpp"

namespace hashguard::scan {

namespace {

std::atomic<long> g_live_sets{0};

std::uint64_t prefix64(const Digest& d) noexcept {
    std::uint64_t v;
    std::memcpy(&v, d.bytes.data(), sizeof v);
    return v;
}

using Clock = std::chrono::steady_clock;
std::uint32_t micros_since(Clock::time_point t0) {
    return static_cast<std::uint32_t>(
        std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - t0).count());
}

const EVP_MD* evp_for(HashKind k) noexcept {
    switch (k) {
        case HashKind::md5: return EVP_md5();
        case HashKind::sha1: return EVP_sha1();
        case HashKind::sha256: return EVP_sha256();
        default: return nullptr;
    }
}

Error digest_of(HashKind kind, const std::uint8_t* data, std::size_t len, Digest& out) noexcept {
    const EVP_MD* md = evp_for(kind);
    unsigned int n = 0;
    out = Digest{};
    out.kind = kind;
    if (!md || EVP_Digest(data, len, out.bytes.data(), &n, md, nullptr) != 1 || n > out.bytes.size())
        return {Status::internal, std::string("libcrypto could not compute ") + hash_kind_name(kind)};
    out.size = static_cast<std::uint8_t>(n);
    return {};
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

bool transient(Status s) noexcept {
    return s == Status::out_of_memory || s == Status::internal || s == Status::io_error;
}

// Whether pixel (x, y) lies within tol of `ref` on every channel.
inline bool near(const std::uint8_t* p, const std::uint8_t* ref, int ch, int tol) noexcept {
    for (int c = 0; c < ch; ++c) {
        const int d = static_cast<int>(p[c]) - static_cast<int>(ref[c]);
        if (d > tol || d < -tol) return false;
    }
    return true;
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

Error check_digest_kinds(const HashList& list, const ListConfig& c) {
    if (c.kind == HashKind::pdq) return {};
    for (std::size_t i = 0; i < list.digests.size(); ++i)
        if (list.digests[i].kind != c.kind)
            return {Status::list_format, "list '" + c.name + "': entry " + list.ids[i] + " is a " +
                                             hash_kind_name(list.digests[i].kind) + " digest, the list is " +
                                             hash_kind_name(c.kind)};
    return {};
}

ListSet::ListSet() { g_live_sets.fetch_add(1, std::memory_order_relaxed); }
ListSet::~ListSet() { g_live_sets.fetch_sub(1, std::memory_order_relaxed); }
long ListSet::live_count() noexcept { return g_live_sets.load(std::memory_order_relaxed); }

Error ListSet::add(const ListConfig& c, std::shared_ptr<const HashList> entries_ptr) {
    if (!entries_ptr) return {Status::invalid_argument, "list '" + c.name + "' has no entries object"};
    const HashList& entries = *entries_ptr;
    const std::string where = "list '" + c.name + "'";
    if (c.name.empty()) return {Status::invalid_argument, "a list needs a non-empty name"};
    for (const auto& l : lists_)
        if (l->config.name == c.name) return {Status::invalid_argument, where + " is already in the set"};
    if (c.threshold < 0 || c.threshold > 256)
        return {Status::invalid_argument, where + ": threshold must be 0..256"};
    if (c.min_quality < 0 || c.min_quality > 100)
        return {Status::invalid_argument, where + ": min_quality must be 0..100"};
    if (entries.size() > 0xFFFFFFFFu) return {Status::invalid_argument, where + ": more than 2^32 entries"};
    auto l = std::make_unique<LoadedList>();
    l->config = c;
    if (c.kind == HashKind::pdq) {
        if (entries.kind != ListKind::pdq) return {Status::invalid_argument, where + " is PDQ but holds digests"};
        if (Error e = make_pdq_index("auto", entries.pdq, l->index, c.threshold)) return e;
    } else {
        if (entries.kind != ListKind::exact) return {Status::invalid_argument, where + " is exact but holds PDQ hashes"};
        if (Error e = check_digest_kinds(entries, c)) return e;
        l->exact.reserve(entries.size());
        for (std::size_t i = 0; i < entries.digests.size(); ++i)
            l->exact.emplace_back(prefix64(entries.digests[i]), static_cast<std::uint32_t>(i));
        std::sort(l->exact.begin(), l->exact.end());
    }
    l->entries = std::move(entries_ptr);
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
        n += sizeof(Match) + m.list.capacity() + m.id.capacity() + m.metadata.capacity();
    return n;
}

std::string to_json(const ScanResult& r, const std::string& path) {
    using detail::json_key;
    using detail::json_string;
    std::string o;
    o.reserve(512);
    o += '{';
    if (!path.empty()) {
        json_key(o, "path");
        json_string(o, path);
        o += ',';
    }
    json_key(o, "size");
    o += std::to_string(r.input_bytes);
    o += ',';
    json_key(o, "verdict");
    json_string(o, verdict_name(r.verdict));
    if (r.error.code != Status::ok) {
        o += ',';
        json_key(o, "error");
        o += '{';
        json_key(o, "status");
        json_string(o, status_name(r.error.code));
        o += ',';
        json_key(o, "message");
        json_string(o, r.error.message);
        o += '}';
    }
    if (r.format != Format::unknown) {
        o += ',';
        json_key(o, "format");
        json_string(o, format_name(r.format));
        o += ",\"width\":" + std::to_string(r.width) + ",\"height\":" + std::to_string(r.height);
    }
    if (r.has_pdq) {
        o += ',';
        json_key(o, "pdq");
        json_string(o, r.pdq.to_hex());
        o += ",\"quality\":" + std::to_string(r.quality);
    }
    if (r.letterboxed) {
        o += ",\"letterbox\":{\"x\":" + std::to_string(r.inner_rect.x) + ",\"y\":" + std::to_string(r.inner_rect.y) +
             ",\"width\":" + std::to_string(r.inner_rect.width) + ",\"height\":" + std::to_string(r.inner_rect.height) +
             ",\"pdq\":\"" + r.inner_pdq.to_hex() + "\",\"quality\":" + std::to_string(r.inner_quality) + "}";
    }
    if (r.has_md5) o += ",\"md5\":\"" + r.md5.to_hex() + "\"";
    if (r.has_sha1) o += ",\"sha1\":\"" + r.sha1.to_hex() + "\"";
    if (r.has_sha256) o += ",\"sha256\":\"" + r.sha256.to_hex() + "\"";
    o += ",\"matches\":[";
    for (std::size_t i = 0; i < r.matches.size(); ++i) {
        const Match& m = r.matches[i];
        if (i) o += ',';
        o += '{';
        json_key(o, "list");
        json_string(o, m.list);
        o += ",\"role\":\"";
        o += role_name(m.role);
        o += "\",\"kind\":\"";
        o += hash_kind_name(m.kind);
        o += "\",";
        json_key(o, "id");
        json_string(o, m.id);
        o += ',';
        json_key(o, "metadata");
        json_string(o, m.metadata);
        o += ",\"distance\":" + std::to_string(m.distance);
        if (m.kind == HashKind::pdq) {
            o += ",\"transform\":\"";
            o += transform_name(m.transform);
            o += "\",\"inner\":";
            o += m.inner ? "true" : "false";
        }
        o += '}';
    }
    o += "],\"match_count\":" + std::to_string(r.match_count);
    o += ",\"cached\":";
    o += r.cached ? "true" : "false";
    o += ",\"generation\":" + std::to_string(r.lists_generation);
    const Timings& t = r.timings;
    o += ",\"timings_us\":{\"decode\":" + std::to_string(t.decode_us) + ",\"pdq\":" + std::to_string(t.pdq_us) +
         ",\"digest\":" + std::to_string(t.digest_us) + ",\"match\":" + std::to_string(t.match_us) +
         ",\"total\":" + std::to_string(t.total_us) + "}}";
    return o;
}

// ---------------------------------------------------------------- scanner

Scanner::Scanner(const ScanOptions& options) : cache_(std::make_unique<ResultCache>()) {
    active_.store(std::make_shared<const Active>(Active{nullptr, options, 0}));
}

Scanner::~Scanner() = default;

void Scanner::publish(std::shared_ptr<const ListSet> lists, const ScanOptions& options) {
    // Caller holds writer_.
    active_.store(std::make_shared<const Active>(Active{std::move(lists), options, ++generation_}));
    cache_->clear();  // entries of older generations would be ignored anyway; free them now
}

std::uint64_t Scanner::set_lists(std::shared_ptr<const ListSet> lists) {
    std::lock_guard<std::mutex> lock(writer_);
    publish(std::move(lists), active_.load()->options);
    return generation_;
}

std::shared_ptr<const ListSet> Scanner::lists() const { return active_.load()->lists; }

void Scanner::set_options(const ScanOptions& options) {
    std::lock_guard<std::mutex> lock(writer_);
    publish(active_.load()->lists, options);
}

ScanOptions Scanner::options() const { return active_.load()->options; }

std::size_t Scanner::cache_size() const noexcept { return cache_->size(); }

namespace {

struct Work {
    Image image;
    PdqHasher hasher;
    std::vector<IndexMatch> hits;
};

// PDQ matches of one list for one set of 8 variants: the best transform per
// entry (lowest distance, then lowest transform number).
void pdq_matches(const LoadedList& l, const PdqDihedral& d, bool inner, Work& w,
                 std::unordered_map<std::uint32_t, Match>& best) {
    w.hits.clear();
    if (Error e = l.index->range_search(d.hashes.data(), 8, l.config.threshold, w.hits)) return;
    for (const IndexMatch& h : w.hits) {
        auto [it, fresh] = best.try_emplace(h.entry);
        Match& m = it->second;
        const int dist = static_cast<int>(h.distance);
        const Transform t = static_cast<Transform>(h.query);
        if (!fresh && (m.distance < dist || (m.distance == dist && (m.inner < inner ||
                                                                   (m.inner == inner && m.transform <= t)))))
            continue;
        m.distance = dist;
        m.transform = t;
        m.inner = inner;
    }
}

}  // namespace

Error Scanner::scan(const std::uint8_t* data, std::size_t len, ScanResult& out) noexcept {
    return detail::guard([&]() -> Error {
        const auto t0 = Clock::now();
        out = ScanResult{};
        if (!data && len) return {Status::invalid_argument, "data is null but len is not 0"};
        const std::shared_ptr<const Active> active = active_.load();
        const ScanOptions& opt = active->options;
        const ListSet* lists = active->lists.get();
        out.lists_generation = active->generation;
        out.input_bytes = len;
        static const std::uint8_t kEmpty = 0;
        if (!data) data = &kEmpty;

        if (len > opt.decode.max_input_bytes) {  // refuse before hashing anything
            out.verdict = Verdict::error;
            out.error = {Status::limit_bytes, "input is " + std::to_string(len) + " bytes, above max_input_bytes (" +
                                                  std::to_string(opt.decode.max_input_bytes) + ")"};
            out.timings.total_us = micros_since(t0);
            return {};
        }

        CacheKey key;
        const bool use_cache = opt.cache_entries > 0;
        if (use_cache) {
            key = cache_key(data, len);
            if (auto hit = cache_->find(key, active->generation)) {
                out = *hit;
                out.cached = true;
                out.timings = Timings{};
                out.timings.total_us = micros_since(t0);
                return {};
            }
        }

        thread_local Work w;
        // Raw-byte digests: those some list needs, or all on request.
        auto t = Clock::now();
        for (HashKind k : {HashKind::md5, HashKind::sha1, HashKind::sha256}) {
            if (!opt.all_digests && !(opt.extra_digests & (1u << static_cast<int>(k))) && !(lists && lists->needs(k)))
                continue;
            const DigestSlot slot = digest_slot(out, k);
            if (Error e = digest_of(k, data, len, *slot.digest)) return e;
            *slot.has = true;
        }
        out.timings.digest_us = micros_since(t);

        // Decode once; PDQ of the whole image and, inside uniform borders, of the content.
        t = Clock::now();
        const Error decode_error = decode_image(data, len, w.image, opt.decode);
        out.timings.decode_us = micros_since(t);
        PdqDihedral whole, inner;
        if (!decode_error) {
            out.format = w.image.format;
            out.width = w.image.width;
            out.height = w.image.height;
            t = Clock::now();
            if (Error e = w.hasher.hash_dihedral(w.image, whole)) return e;
            out.has_pdq = !whole.degenerate;
            out.pdq = whole.hashes[0];
            out.quality = whole.quality;
            Rect r;
            if (opt.letterbox && out.has_pdq && find_letterbox(w.image, opt.letterbox_tolerance, r)) {
                if (Error e = w.hasher.hash_dihedral(w.image, r, inner)) return e;
                if (!inner.degenerate) {
                    out.letterboxed = true;
                    out.inner_rect = r;
                    out.inner_pdq = inner.hashes[0];
                    out.inner_quality = inner.quality;
                }
            }
            out.timings.pdq_us = micros_since(t);
        } else {
            out.error = decode_error;
            out.format = sniff_format(data, len);
        }

        // Lookups.
        t = Clock::now();
        bool any_block = false, any_allow = false, quality_skipped = false;
        std::vector<Match> found;
        if (lists) {
            std::unordered_map<std::uint32_t, Match> best;
            for (const auto& lp : lists->lists()) {
                const LoadedList& l = *lp;
                const std::size_t first = found.size();
                if (l.config.kind == HashKind::pdq) {
                    if (decode_error) continue;
                    const bool outer_ok = out.has_pdq && out.quality >= l.config.min_quality;
                    const bool inner_ok = out.letterboxed && out.inner_quality >= l.config.min_quality;
                    if (!outer_ok && !inner_ok) {
                        quality_skipped = true;
                        continue;
                    }
                    best.clear();
                    if (outer_ok) pdq_matches(l, whole, false, w, best);
                    if (inner_ok) pdq_matches(l, inner, true, w, best);
                    for (auto& [entry, m] : best) {
                        m.list = l.config.name;
                        m.role = l.config.role;
                        m.kind = HashKind::pdq;
                        m.id = l.entries->ids[entry];
                        m.metadata = l.entries->metadata[entry];
                        found.push_back(std::move(m));
                    }
                    std::sort(found.begin() + static_cast<std::ptrdiff_t>(first), found.end(),
                              [](const Match& a, const Match& b) {
                                  return a.distance != b.distance ? a.distance < b.distance : a.id < b.id;
                              });
                } else {
                    const HashKind k = l.config.kind;
                    const DigestSlot slot = digest_slot(out, k);
                    if (!*slot.has) continue;
                    const Digest& d = *slot.digest;
                    const std::pair<std::uint64_t, std::uint32_t> lo{prefix64(d), 0};
                    for (auto it = std::lower_bound(l.exact.begin(), l.exact.end(), lo);
                         it != l.exact.end() && it->first == lo.first; ++it) {
                        if (!(l.entries->digests[it->second] == d)) continue;
                        Match m;
                        m.list = l.config.name;
                        m.role = l.config.role;
                        m.kind = k;
                        m.id = l.entries->ids[it->second];
                        m.metadata = l.entries->metadata[it->second];
                        found.push_back(std::move(m));
                    }
                }
                if (found.size() > first) (l.config.role == Role::allow ? any_allow : any_block) = true;
            }
        }
        out.match_count = found.size();
        if (found.size() > opt.max_matches) found.resize(opt.max_matches);
        out.matches = std::move(found);
        out.timings.match_us = micros_since(t);

        if (any_allow) out.verdict = Verdict::allowed;
        else if (any_block) out.verdict = Verdict::match;
        else if (decode_error) out.verdict = Verdict::error;
        else if (quality_skipped) out.verdict = Verdict::below_quality;
        else out.verdict = Verdict::no_match;

        out.timings.total_us = micros_since(t0);
        if (use_cache && !transient(decode_error.code))
            cache_->insert(key, std::make_shared<const ScanResult>(out), opt.cache_entries, opt.cache_bytes);
        return {};
    });
}

}  // namespace hashguard::scan
