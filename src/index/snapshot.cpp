// Binary list snapshots: written once, mapped read-only, verified, never parsed.
//
// Layout (little-endian), all sections 64-byte aligned:
//   [0, 128)      header: magic "HGSNAP\0\0", u32 version, u32 kind, u64 count,
//                 u64 file_bytes, u64 hashes_off, u64 hashes_bytes, u64 index_off,
//                 u64 index_bytes, u64 strings_off, u64 strings_bytes, u64 checksum,
//                 and from version 2: u64 flags, u64 pdq_index_off, u64 pdq_index_bytes
//   hashes        PDQ: 32 bytes per hash (16 little-endian u16 words);
//                 exact: 40 bytes (u8 kind, u8 size, 6 zero bytes, 32 digest bytes)
//   index         2*count+1 u64 offsets into strings: id i is [o[2i], o[2i+1]),
//                 metadata i is [o[2i+1], o[2i+2])
//   strings       ids and metadata, concatenated
//   pdq index     (version 2, optional) a built PDQ index: a 128-byte section header
//                 (char kind[8] "mih"/"scan", u32 param, i32 radius, u32 parts,
//                 u32 zero, u64 part_off[4], u64 part_bytes[4], offsets from the
//                 section's start) and its arrays (mih: slot tables, ids; scan:
//                 bit-sliced planes). MIH reads the hashes section as its rows.
//                 Version 3 is version 2 with MIH's tables as slots (mih.cpp:
//                 empty, one id, or the start of a run whose last id is marked)
//                 instead of (begin, end) offsets; a version 2 file's MIH tables
//                 are not used (the index is built from its hashes on load),
//                 its scan planes are.
// Flag 1 (implicit ids): no index or strings sections; id i is i + 1, no metadata.
//
// Version 1's checksum is XXH3-64 of bytes [128, file_bytes). Version 2's is
// XXH3-64 of the XXH3-64s (little-endian u64s) of that range's 64 MiB blocks,
// so that open() verifies the blocks on two threads: at 10^7 hashes with an
// index (~1.2 GB) one pass took ~260 ms on one core, ~140 ms on two. Every byte
// is verified before anything is used. Every offset and size is checked on
// open as well: a checksum proves integrity, not that the writer was honest;
// stored index tables are clamped where read, so no bytes can make a lookup
// read outside the file.
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <bit>
#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <string>

#include <xxhash.h>

#include "common/errors.hpp"
#include "common/io.hpp"
#include "common/secure.hpp"
#include "hashguard/lists.hpp"
#include "index/index_impl.hpp"

static_assert(std::endian::native == std::endian::little, "snapshots are little-endian");

namespace hashguard {

namespace {

constexpr char kMagic[8] = {'H', 'G', 'S', 'N', 'A', 'P', 0, 0};
constexpr std::uint32_t kVersion = 3;
constexpr std::size_t kHeader = 128, kIndexHeader = 128;
constexpr std::size_t kPdqRecord = 32, kExactRecord = 40;
constexpr std::uint64_t kImplicitIds = 1;
constexpr std::size_t kBlock = std::size_t{64} << 20;  // checksum block (version 2)

struct Header {
    char magic[8];
    std::uint32_t version, kind;
    std::uint64_t count, file_bytes, hashes_off, hashes_bytes, index_off, index_bytes, strings_off, strings_bytes,
        checksum, flags, pdq_index_off, pdq_index_bytes;
};
static_assert(sizeof(Header) <= kHeader);

struct IndexHeader {
    char kind[8];
    std::uint32_t param;
    std::int32_t radius;
    std::uint32_t parts, zero;
    std::uint64_t part_off[4], part_bytes[4];
};
static_assert(sizeof(IndexHeader) <= kIndexHeader);

IndexHeader index_header(const std::uint8_t* section) {
    IndexHeader ih;
    std::memcpy(&ih, section, sizeof ih);
    return ih;
}

std::uint64_t align64(std::uint64_t x) { return (x + 63) & ~std::uint64_t{63}; }

// Version 2's checksum of `len` bytes: blocks hashed on up to two threads.
std::uint64_t block_checksum(const std::uint8_t* p, std::size_t len) {
    const std::size_t blocks = (len + kBlock - 1) / kBlock;
    std::vector<std::uint64_t> sums(blocks);
    std::atomic<std::size_t> next{0};
    auto work = [&]() noexcept {
        for (std::size_t b; (b = next.fetch_add(1)) < blocks;)
            sums[b] = XXH3_64bits(p + b * kBlock, std::min(kBlock, len - b * kBlock));
    };
    detail::run_on_threads(len >= detail::ParallelFrom::verify_bytes.load() ? 2 : 1, work);
    return XXH3_64bits(sums.data(), sums.size() * 8);
}

// Streams a snapshot to a file while computing version 2's checksum; the
// header is written last.
class SnapshotWriter {
public:
    explicit SnapshotWriter(std::FILE* f) : f_(f), state_(XXH3_createState()) {
        if (!state_) throw std::bad_alloc();
        XXH3_64bits_reset(state_);
        ok_ = std::fseek(f_, static_cast<long>(kHeader), SEEK_SET) == 0;
    }
    ~SnapshotWriter() { XXH3_freeState(state_); }
    SnapshotWriter(const SnapshotWriter&) = delete;
    SnapshotWriter& operator=(const SnapshotWriter&) = delete;

    void write(const void* data, std::size_t n) {
        const auto* p = static_cast<const std::uint8_t*>(data);
        while (n > 0) {
            const std::size_t k = std::min(n, kBlock - in_block_);
            ok_ = ok_ && std::fwrite(p, 1, k, f_) == k;
            XXH3_64bits_update(state_, p, k);
            in_block_ += k, pos_ += k, p += k, n -= k;
            if (in_block_ == kBlock) end_block();
        }
    }
    void pad_to(std::uint64_t offset) {  // zero bytes up to an absolute offset
        static constexpr std::uint8_t zeros[64] = {};
        while (kHeader + pos_ < offset) write(zeros, std::min<std::uint64_t>(64, offset - kHeader - pos_));
    }
    std::uint64_t offset() const { return kHeader + pos_; }
    // Writes the header; false on any write error.
    bool finish(Header& h) {
        if (in_block_ > 0) end_block();
        h.checksum = XXH3_64bits(sums_.data(), sums_.size() * 8);
        ok_ = ok_ && std::fseek(f_, 0, SEEK_SET) == 0;
        std::uint8_t head[kHeader] = {};
        std::memcpy(head, &h, sizeof h);
        ok_ = ok_ && std::fwrite(head, 1, kHeader, f_) == kHeader;
        return ok_;
    }

private:
    void end_block() {
        sums_.push_back(XXH3_64bits_digest(state_));
        XXH3_64bits_reset(state_);
        in_block_ = 0;
    }
    std::FILE* f_;
    XXH3_state_t* state_;
    std::vector<std::uint64_t> sums_;
    std::size_t in_block_ = 0;
    std::uint64_t pos_ = 0;
    bool ok_ = true;
};

// True when the ids are 1..n in order and there is no metadata (binary lists).
bool has_implicit_ids(const HashList& list) {
    char buf[24];
    for (std::size_t i = 0; i < list.size(); ++i) {
        if (!list.metadata[i].empty()) return false;
        const auto r = std::to_chars(buf, buf + sizeof buf, i + 1);
        if (list.ids[i] != std::string_view(buf, static_cast<std::size_t>(r.ptr - buf))) return false;
    }
    return true;
}

// Builds the PDQ index a snapshot stores (null for "none").
Error index_to_store(const HashList& list, const SnapshotOptions& opt, std::unique_ptr<PdqIndex>& index,
                     detail::IndexArrays& arrays) {
    if (opt.index.empty() || opt.index == "none") return {};
    if (list.kind != ListKind::pdq) return {Status::invalid_argument, "only PDQ snapshots store an index"};
    if (Error e = make_pdq_index(opt.index, list.pdq, index, opt.radius)) return e;
    if (!detail::index_arrays(*index, arrays))
        return {Status::invalid_argument, "a '" + std::string(index->name()) + "' index cannot be stored (mih, scan)"};
    return {};
}

void fill_layout(const HashList& list, bool implicit, const detail::IndexArrays* arrays, Header& h) {
    const std::size_t n = list.size();
    std::memcpy(h.magic, kMagic, 8);
    h.version = kVersion;
    h.kind = static_cast<std::uint32_t>(list.kind);
    h.count = n;
    h.flags = implicit ? kImplicitIds : 0;
    h.hashes_off = kHeader;
    h.hashes_bytes = n * (list.kind == ListKind::pdq ? kPdqRecord : kExactRecord);
    h.index_off = align64(h.hashes_off + h.hashes_bytes);
    h.index_bytes = implicit ? 0 : (2 * n + 1) * 8;
    h.strings_off = h.index_off + h.index_bytes;
    std::uint64_t sb = 0;
    for (std::size_t i = 0; i < n && !implicit; ++i) sb += list.ids[i].size() + list.metadata[i].size();
    h.strings_bytes = sb;
    h.file_bytes = h.strings_off + h.strings_bytes;
    if (arrays) {
        h.pdq_index_off = align64(h.file_bytes);
        std::uint64_t at = kIndexHeader;
        for (const auto& part : arrays->parts) at = align64(at) + part.second;
        h.pdq_index_bytes = at;
        h.file_bytes = h.pdq_index_off + h.pdq_index_bytes;
    }
}

void write_entries(const HashList& list, const Header& h, SnapshotWriter& w) {
    const std::size_t n = list.size();
    if (list.kind == ListKind::pdq) {
        w.write(list.pdq.data(), n * kPdqRecord);
    } else {
        for (const Digest& d : list.digests) {
            std::uint8_t r[kExactRecord] = {};
            r[0] = static_cast<std::uint8_t>(d.kind);
            r[1] = d.size;
            std::memcpy(r + 8, d.bytes.data(), 32);
            w.write(r, sizeof r);
        }
    }
    if (h.flags & kImplicitIds) return;
    w.pad_to(h.index_off);
    std::uint64_t pos = 0;
    for (std::size_t i = 0; i < n; ++i) {
        w.write(&pos, 8);
        pos += list.ids[i].size();
        w.write(&pos, 8);
        pos += list.metadata[i].size();
    }
    w.write(&pos, 8);
    for (std::size_t i = 0; i < n; ++i) {
        w.write(list.ids[i].data(), list.ids[i].size());
        w.write(list.metadata[i].data(), list.metadata[i].size());
    }
}

void write_index(const detail::IndexArrays& arrays, int radius, const Header& h, SnapshotWriter& w) {
    IndexHeader ih{};
    std::memcpy(ih.kind, arrays.kind.data(), std::min<std::size_t>(arrays.kind.size(), 7));
    ih.param = arrays.param;
    ih.radius = radius;
    ih.parts = static_cast<std::uint32_t>(arrays.parts.size());
    std::uint64_t at = kIndexHeader;
    for (std::size_t i = 0; i < arrays.parts.size(); ++i) {
        ih.part_off[i] = align64(at);
        ih.part_bytes[i] = arrays.parts[i].second;
        at = ih.part_off[i] + ih.part_bytes[i];
    }
    w.pad_to(h.pdq_index_off);
    std::uint8_t head[kIndexHeader] = {};
    std::memcpy(head, &ih, sizeof ih);
    w.write(head, sizeof head);
    for (std::size_t i = 0; i < arrays.parts.size(); ++i) {
        w.pad_to(h.pdq_index_off + ih.part_off[i]);
        w.write(arrays.parts[i].first, arrays.parts[i].second);
    }
}

}  // namespace

Error save_snapshot(const HashList& list, const std::string& path) noexcept {
    return save_snapshot(list, path, SnapshotOptions{});
}

Error save_snapshot(const HashList& list, const std::string& path, const SnapshotOptions& opt) noexcept {
    return detail::guard([&]() -> Error {
        const std::size_t n = list.size();
        if ((list.kind == ListKind::pdq ? list.pdq.size() : list.digests.size()) != n || list.metadata.size() != n)
            return {Status::invalid_argument, "inconsistent HashList: hash, id and metadata counts differ"};
        std::unique_ptr<PdqIndex> index;
        detail::IndexArrays arrays;
        if (Error e = index_to_store(list, opt, index, arrays)) return e;
        Header h{};
        fill_layout(list, has_implicit_ids(list), index ? &arrays : nullptr, h);

        const std::string tmp = path + ".tmp";
        std::FILE* f = std::fopen(tmp.c_str(), "wb");
        if (!f) return {Status::io_error, path + ": cannot write: " + std::strerror(errno)};
        bool ok = false;
        try {
            SnapshotWriter w(f);
            write_entries(list, h, w);
            if (index) write_index(arrays, std::clamp(opt.radius, 0, 256), h, w);
            ok = w.offset() == h.file_bytes && w.finish(h) && std::fflush(f) == 0 && ::fsync(::fileno(f)) == 0;
        } catch (...) {
            std::fclose(f);
            std::remove(tmp.c_str());
            throw;
        }
        if (std::fclose(f) != 0 || !ok) {
            std::remove(tmp.c_str());
            return {Status::io_error, path + ": write failed"};
        }
        if (std::rename(tmp.c_str(), path.c_str()) != 0) {
            std::remove(tmp.c_str());
            return {Status::io_error, path + ": cannot rename into place: " + std::strerror(errno)};
        }
        return {};
    });
}

Snapshot::~Snapshot() {
    if (base_ && owned_.empty()) ::munmap(const_cast<std::uint8_t*>(base_), bytes_);
    if (!owned_.empty()) explicit_bzero(owned_.data(), owned_.size());
}

Error Snapshot::open(const std::string& path, std::unique_ptr<Snapshot>& out) noexcept {
    return detail::guard([&]() -> Error {
        out.reset();
        detail::FileDescriptor fd(-1);
        std::uint64_t size = 0;
        if (Error e = detail::open_regular_file(path, fd, size)) return {e.code, path + ": " + e.message};
        if (size < kHeader) return {Status::list_format, path + ": not a hashguard snapshot (shorter than its header)"};
        void* m = ::mmap(nullptr, static_cast<std::size_t>(size), PROT_READ, MAP_PRIVATE, fd.fd, 0);
        if (m == MAP_FAILED) return {Status::io_error, path + ": cannot map: " + std::strerror(errno)};
        std::unique_ptr<Snapshot> s(new Snapshot());
        s->base_ = static_cast<const std::uint8_t*>(m);
        s->bytes_ = static_cast<std::size_t>(size);
        if (Error e = verify(s, path)) return e;
        out = std::move(s);
        return {};
    });
}

Error Snapshot::from_bytes(const std::uint8_t* data, std::size_t len, std::unique_ptr<Snapshot>& out,
                           const std::string& name) noexcept {
    return detail::guard([&]() -> Error {
        out.reset();
        if (!data && len) return {Status::invalid_argument, name + ": null data"};
        if (len < kHeader) return {Status::list_format, name + ": not a hashguard snapshot (shorter than its header)"};
        std::unique_ptr<Snapshot> s(new Snapshot());
        s->owned_.assign(data, data + len);
        s->base_ = s->owned_.data();
        s->bytes_ = len;
        if (Error e = verify(s, name)) return e;
        out = std::move(s);
        return {};
    });
}

namespace {

// The stored index's section header, checked against the list it indexes:
// a known kind, its parts inside the section, in order, 64-byte aligned, of
// exactly the sizes that kind and shape need for `count` hashes.
bool index_section_ok(const std::uint8_t* sec, std::uint64_t bytes, std::uint64_t count, IndexHeader& ih) {
    if (bytes < kIndexHeader) return false;
    ih = index_header(sec);
    std::uint64_t expect[4] = {};
    const std::string_view kind(ih.kind, strnlen(ih.kind, sizeof ih.kind));
    if (kind == "mih") {
        if (ih.parts != 2 || ih.param < detail::kMihMinChunks || ih.param > detail::kMihMaxChunks ||
            count >= detail::kMihMaxHashes)
            return false;
        const detail::MihShape shape = detail::mih_shape_of(static_cast<int>(ih.param));
        expect[1] = 4 * count * ih.param;
        expect[0] = detail::mih_table_bytes(shape, count) - expect[1];
    } else if (kind == "scan") {
        if (ih.parts != 1 || ih.param != 0) return false;
        expect[0] = (count + kernels::kSliceLanes - 1) / kernels::kSliceLanes * kernels::kSliceBlockWords * 8;
    } else {
        return false;
    }
    if (ih.radius < 0 || ih.radius > 256 || count >= UINT32_MAX) return false;
    std::uint64_t end = kIndexHeader;
    for (std::uint32_t i = 0; i < ih.parts; ++i) {
        if (ih.part_off[i] % 64 != 0 || ih.part_off[i] < end || ih.part_off[i] > bytes) return false;
        if (ih.part_bytes[i] != expect[i] || ih.part_bytes[i] > bytes - ih.part_off[i]) return false;
        end = ih.part_off[i] + ih.part_bytes[i];
    }
    return end == bytes;
}

}  // namespace

// Checks magic, version, kind, size, every section bound (overflow-safe), the
// checksum, the string index, the digest records and the stored index's
// shape; fills the fields.
Error Snapshot::verify(std::unique_ptr<Snapshot>& s, const std::string& path) {
    const std::size_t size = s->bytes_;
    auto bad = [&](const std::string& why) -> Error { return {Status::list_format, path + ": " + why}; };
    Header h;
    std::memcpy(&h, s->base_, sizeof h);
    if (std::memcmp(h.magic, kMagic, 8) != 0) return bad("not a hashguard snapshot (bad magic)");
    if (h.version < 1 || h.version > kVersion)
        return bad("snapshot version " + std::to_string(h.version) + " is not supported (expected 1, 2 or 3)");
    if (h.kind > 1) return bad("unknown list kind " + std::to_string(h.kind));
    if (h.file_bytes != size)
        return bad("truncated or extended: header says " + std::to_string(h.file_bytes) + " bytes, file has " +
                   std::to_string(size));
    if (h.version == 1 && (h.flags != 0 || h.pdq_index_off != 0 || h.pdq_index_bytes != 0))
        return bad("corrupt header (version 1 with version 2 fields)");
    if ((h.flags & ~kImplicitIds) != 0) return bad("corrupt header (unknown flags)");
    const bool implicit = (h.flags & kImplicitIds) != 0;
    const std::uint64_t rec = h.kind == 0 ? kPdqRecord : kExactRecord;
    // Every bound checked without overflow (a crafted header may hold anything).
    const bool in_file = h.count < (std::uint64_t{1} << 40) && h.index_off <= size && h.strings_off <= size &&
                         h.hashes_bytes <= size && h.index_bytes <= size - h.index_off &&
                         h.strings_bytes <= size - h.strings_off && h.pdq_index_off <= size;
    const std::uint64_t entries_end = in_file ? h.strings_off + h.strings_bytes : 0;
    const bool has_index = h.pdq_index_bytes != 0;
    const bool sane =
        in_file && h.hashes_off == kHeader && h.hashes_bytes == h.count * rec &&
        h.index_off >= h.hashes_off + h.hashes_bytes && h.index_bytes == (implicit ? 0 : (2 * h.count + 1) * 8) &&
        (!implicit || h.strings_bytes == 0) && h.strings_off >= h.index_off + h.index_bytes && h.index_off % 8 == 0 &&
        (has_index ? h.kind == 0 && h.pdq_index_off % 64 == 0 && h.pdq_index_off >= entries_end &&
                         h.pdq_index_bytes == size - h.pdq_index_off
                   : h.pdq_index_off == 0 && entries_end == size);
    if (!sane) return bad("corrupt header (section bounds)");
    const std::uint64_t sum = h.version == 1 ? XXH3_64bits(s->base_ + kHeader, size - kHeader)
                                             : block_checksum(s->base_ + kHeader, size - kHeader);
    if (sum != h.checksum) return bad("checksum mismatch: the snapshot is corrupt");
    // Offsets must be non-decreasing and inside the strings section.
    std::uint64_t prev = 0;
    for (std::uint64_t k = 0; !implicit && k < 2 * h.count + 1; ++k) {
        std::uint64_t o;
        std::memcpy(&o, s->base_ + h.index_off + 8 * k, 8);
        if (o < prev || o > h.strings_bytes) return bad("corrupt string index");
        prev = o;
    }
    if (h.kind == 1)
        for (std::uint64_t i = 0; i < h.count; ++i) {
            const std::uint8_t* r = s->base_ + h.hashes_off + i * rec;
            const bool ok = (r[0] == 1 && r[1] == 16) || (r[0] == 2 && r[1] == 20) || (r[0] == 3 && r[1] == 32);
            if (!ok) return bad("corrupt digest record " + std::to_string(i));
        }
    IndexHeader ih{};
    if (has_index && !index_section_ok(s->base_ + h.pdq_index_off, h.pdq_index_bytes, h.count, ih))
        return bad("corrupt stored index (kind, shape or part bounds)");
    s->count_ = h.count;
    s->kind_ = static_cast<ListKind>(h.kind);
    s->version_ = h.version;
    s->implicit_ids_ = implicit;
    s->hashes_off_ = h.hashes_off;
    s->index_off_ = h.index_off;
    s->strings_off_ = h.strings_off;
    s->strings_bytes_ = h.strings_bytes;
    s->checksum_ = h.checksum;
    s->pdq_index_off_ = has_index ? h.pdq_index_off : 0;
    if (has_index) s->index_kind_ = std::string(ih.kind, strnlen(ih.kind, sizeof ih.kind));
    if (h.version == 2 && s->index_kind_ == "mih") {  // the old table layout: built from the hashes on load
        s->index_kind_.clear();
        s->outdated_index_ = true;
    }
    return {};
}

// The index a snapshot stores, read in place (the snapshot verified its
// section on open).
Error detail::SnapshotAccess::stored_index(const Snapshot& s, std::shared_ptr<const void> keep,
                                           std::unique_ptr<PdqIndex>& out) {
    out.reset();
    if (s.index_kind_.empty()) return {};
    const std::uint8_t* sec = s.base_ + s.pdq_index_off_;
    const IndexHeader ih = index_header(sec);
    const auto* part0 = sec + ih.part_off[0];
    if (s.index_kind_ == "mih") {
        out = adopt_mih_index(mih_shape_of(static_cast<int>(ih.param)), s.count_,
                              reinterpret_cast<const std::uint64_t*>(s.base_ + s.hashes_off_),
                              reinterpret_cast<const std::uint32_t*>(part0),
                              reinterpret_cast<const std::uint32_t*>(sec + ih.part_off[1]), std::move(keep));
    } else {
        out = adopt_scan_index(s.count_, reinterpret_cast<const std::uint64_t*>(part0), std::move(keep));
    }
    return {};
}

int detail::SnapshotAccess::stored_radius(const Snapshot& s) {
    return s.index_kind_.empty() ? -1 : index_header(s.base_ + s.pdq_index_off_).radius;
}

const std::uint8_t* Snapshot::hash_bytes() const noexcept { return base_ + hashes_off_; }

Hash256 Snapshot::pdq(std::size_t i) const noexcept {
    Hash256 h;
    if (kind_ == ListKind::pdq && i < count_) std::memcpy(h.w.data(), base_ + hashes_off_ + i * kPdqRecord, 32);
    return h;
}

Digest Snapshot::digest(std::size_t i) const noexcept {
    Digest d;
    if (kind_ != ListKind::exact || i >= count_) return d;
    const std::uint8_t* r = base_ + hashes_off_ + i * kExactRecord;
    d.kind = static_cast<HashKind>(r[0]);
    d.size = r[1];
    std::memcpy(d.bytes.data(), r + 8, 32);
    return d;
}

namespace {
std::uint64_t read_u64(const std::uint8_t* p) {
    std::uint64_t v;
    std::memcpy(&v, p, 8);
    return v;
}
}  // namespace

std::string_view Snapshot::id(std::size_t i) const noexcept {
    if (i >= count_ || implicit_ids_) return {};
    const std::uint64_t a = read_u64(base_ + index_off_ + 16 * i), b = read_u64(base_ + index_off_ + 16 * i + 8);
    return {reinterpret_cast<const char*>(base_ + strings_off_ + a), static_cast<std::size_t>(b - a)};
}

std::string_view Snapshot::metadata(std::size_t i) const noexcept {
    if (i >= count_ || implicit_ids_) return {};
    const std::uint64_t a = read_u64(base_ + index_off_ + 16 * i + 8), b = read_u64(base_ + index_off_ + 16 * i + 16);
    return {reinterpret_cast<const char*>(base_ + strings_off_ + a), static_cast<std::size_t>(b - a)};
}

Error Snapshot::to_list(HashList& out) const noexcept {
    return detail::guard([&]() -> Error {
        secure_clear(out);
        out.kind = kind_;
        (kind_ == ListKind::pdq ? out.pdq.reserve(count_) : out.digests.reserve(count_));
        out.ids.reserve(count_);
        out.metadata.reserve(count_);
        for (std::size_t i = 0; i < count_; ++i) {
            if (kind_ == ListKind::pdq) out.pdq.push_back(pdq(i));
            else out.digests.push_back(digest(i));
            if (implicit_ids_) out.ids.push_back(std::to_string(i + 1));
            else out.ids.emplace_back(id(i));
            out.metadata.emplace_back(metadata(i));
        }
        return {};
    });
}

bool is_snapshot_file(const std::string& path) noexcept {
    detail::FileDescriptor fd(-1);
    std::uint64_t size = 0;
    if (detail::open_regular_file(path, fd, size) || size < sizeof kMagic) return false;
    char magic[sizeof kMagic] = {};
    return ::read(fd.fd, magic, sizeof magic) == static_cast<ssize_t>(sizeof magic) &&
           std::memcmp(magic, kMagic, sizeof kMagic) == 0;
}

Error load_list_file(const std::string& path, HashList& out, const ListParseOptions& opt,
                     ListParseReport* report) noexcept {
    return detail::guard([&]() -> Error {
        if (!is_snapshot_file(path)) return load_hash_list(path, out, opt, report);
        std::unique_ptr<Snapshot> snap;
        if (Error e = Snapshot::open(path, snap)) return e;
        if (snap->kind() != opt.kind)
            return {Status::list_format, path + ": snapshot holds a " +
                                             std::string(snap->kind() == ListKind::pdq ? "PDQ" : "exact-hash") +
                                             " list, not the kind asked for"};
        if (snap->size() == 0 && !opt.allow_empty)
            return {Status::list_format, path + ": the snapshot has no entries; a list may be empty only when "
                                                "allowed explicitly"};
        if (Error e = snap->to_list(out)) return e;
        if (report) {
            *report = ListParseReport{};
            report->entries = out.size();
        }
        return {};
    });
}

}  // namespace hashguard
