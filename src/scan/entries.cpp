#include "scan/entries.hpp"

#include <algorithm>
#include <cstring>

#include <xxhash.h>

#include "common/errors.hpp"
#include "index/dedupe.hpp"

static_assert(sizeof(hashguard::Hash256) == 32 && alignof(hashguard::Hash256) <= 32,
              "a snapshot's PDQ section is read in place as Hash256 values");

namespace hashguard::scan {

namespace {

class HashListEntries final : public ListEntries {
public:
    explicit HashListEntries(std::shared_ptr<const HashList> l) : list_(std::move(l)) {
        kind_ = list_->kind;
        size_ = list_->size();
        pdq_ = list_->pdq.data();
    }
    Digest digest(std::size_t i) const noexcept override { return list_->digests[i]; }
    std::string id(std::size_t i) const override { return list_->ids[i]; }
    std::string metadata(std::size_t i) const override { return list_->metadata[i]; }
    std::size_t memory_bytes() const noexcept override {
        std::size_t n = list_->pdq.capacity() * sizeof(Hash256) + list_->digests.capacity() * sizeof(Digest);
        for (const auto* v : {&list_->ids, &list_->metadata}) n += v->capacity() * sizeof(std::string);
        return n;
    }
    const std::vector<Hash256>* pdq_vector() const noexcept override { return &list_->pdq; }

private:
    std::shared_ptr<const HashList> list_;
};

class SnapshotEntries final : public ListEntries {
public:
    explicit SnapshotEntries(std::unique_ptr<Snapshot> s) : snap_(std::move(s)) {
        kind_ = snap_->kind();
        size_ = snap_->size();
        if (kind_ == ListKind::pdq) pdq_ = reinterpret_cast<const Hash256*>(snap_->hash_bytes());
    }
    Digest digest(std::size_t i) const noexcept override { return snap_->digest(i); }
    std::string id(std::size_t i) const override {
        return snap_->implicit_ids() ? std::to_string(i + 1) : std::string(snap_->id(i));
    }
    std::string metadata(std::size_t i) const override { return std::string(snap_->metadata(i)); }
    std::size_t memory_bytes() const noexcept override { return snap_->file_bytes(); }
    const Snapshot* snapshot() const noexcept override { return snap_.get(); }

private:
    std::unique_ptr<Snapshot> snap_;
};

class BinaryEntries final : public ListEntries {
public:
    BinaryEntries(ListKind kind, std::vector<Hash256> pdq, detail::SecureVector<Digest> digests,
                  std::vector<std::uint32_t> positions)
        : hashes_(std::move(pdq)), digests_(std::move(digests)), positions_(std::move(positions)) {
        kind_ = kind;
        size_ = kind == ListKind::pdq ? hashes_.size() : digests_.size();
        pdq_ = hashes_.data();
    }
    ~BinaryEntries() override { detail::wipe(hashes_); }
    Digest digest(std::size_t i) const noexcept override { return digests_[i]; }
    std::string id(std::size_t i) const override {
        return std::to_string((positions_.empty() ? i : positions_[i]) + 1);
    }
    std::string metadata(std::size_t) const override { return {}; }
    std::size_t memory_bytes() const noexcept override {
        return hashes_.capacity() * sizeof(Hash256) + digests_.capacity() * sizeof(Digest) +
               positions_.capacity() * sizeof(std::uint32_t);
    }
    const std::vector<Hash256>* pdq_vector() const noexcept override { return &hashes_; }

private:
    std::vector<Hash256> hashes_;
    detail::SecureVector<Digest> digests_;
    std::vector<std::uint32_t> positions_;  // input position of entry i when duplicates were dropped
};

std::size_t digest_width(HashKind k) { return k == HashKind::md5 ? 16 : k == HashKind::sha1 ? 20 : 32; }


}  // namespace

std::shared_ptr<const ListEntries> entries_of(std::shared_ptr<const HashList> list) {
    return std::make_shared<const HashListEntries>(std::move(list));
}

std::shared_ptr<const ListEntries> entries_of(std::unique_ptr<Snapshot> snapshot) {
    return std::make_shared<const SnapshotEntries>(std::move(snapshot));
}

Error binary_entries(const std::uint8_t* data, std::size_t count, HashKind kind,
                     std::shared_ptr<const ListEntries>& out, std::size_t& duplicates) {
    return detail::guard([&]() -> Error {
        const std::size_t width = kind == HashKind::pdq ? 32 : digest_width(kind);
        std::vector<std::uint32_t> keep = detail::first_occurrences(data, count, width);
        duplicates = count - keep.size();
        std::vector<Hash256> pdq;
        detail::SecureVector<Digest> digests;
        if (kind == HashKind::pdq) pdq.reserve(keep.size());
        else digests.reserve(keep.size());
        for (std::uint32_t i : keep) {
            const std::uint8_t* h = data + std::size_t{i} * width;
            if (kind == HashKind::pdq) {
                pdq.push_back(Hash256::from_bytes(h));
                continue;
            }
            Digest& d = digests.emplace_back();
            d.kind = kind;
            d.size = static_cast<std::uint8_t>(width);
            std::memcpy(d.bytes.data(), h, width);
        }
        if (duplicates == 0) std::vector<std::uint32_t>().swap(keep);  // ids are the positions themselves
        const ListKind lk = kind == HashKind::pdq ? ListKind::pdq : ListKind::exact;
        out = std::make_shared<const BinaryEntries>(lk, std::move(pdq), std::move(digests), std::move(keep));
        return {};
    });
}

namespace {

class VpdqEntries final : public ListEntries {
public:
    explicit VpdqEntries(std::shared_ptr<const VpdqList> list) : list_(std::move(list)) {
        kind_ = ListKind::vpdq;
        size_ = list_->videos.size();
    }
    Digest digest(std::size_t) const noexcept override { return {}; }
    std::string id(std::size_t i) const override { return list_->videos[i].id; }
    std::string metadata(std::size_t i) const override { return list_->videos[i].metadata; }
    std::size_t memory_bytes() const noexcept override {
        std::size_t n = sizeof(VpdqList);
        for (const auto& v : list_->videos) n += sizeof(v) + v.frames.capacity() * sizeof(VpdqFrame) + v.id.capacity();
        return n;
    }
    const VpdqList* vpdq() const noexcept override { return list_.get(); }

private:
    std::shared_ptr<const VpdqList> list_;
};

}  // namespace

std::shared_ptr<const ListEntries> entries_of(std::shared_ptr<const VpdqList> list) {
    return std::make_shared<const VpdqEntries>(std::move(list));
}

Error check_digest_kinds(const ListEntries& entries, const std::string& list, HashKind kind) {
    if (kind == HashKind::pdq || kind == HashKind::vpdq) return {};
    for (std::size_t i = 0; i < entries.size(); ++i) {
        const Digest d = entries.digest(i);
        if (d.kind != kind)
            return {Status::list_format, "list '" + list + "': entry " + entries.id(i) + " is a " +
                                             hash_kind_name(d.kind) + " digest, the list is " + hash_kind_name(kind)};
    }
    return {};
}

Error copy_entries(const ListEntries& from, HashList& out, const std::vector<std::uint32_t>& skip) {
    return detail::guard([&]() -> Error {
        const std::size_t n = from.size() - skip.size();
        out.kind = from.kind();
        (out.kind == ListKind::pdq ? out.pdq.reserve(out.size() + n) : out.digests.reserve(out.size() + n));
        out.ids.reserve(out.size() + n);
        out.metadata.reserve(out.size() + n);
        for (std::size_t i = 0; i < from.size(); ++i) {
            if (std::binary_search(skip.begin(), skip.end(), static_cast<std::uint32_t>(i))) continue;
            if (out.kind == ListKind::pdq) out.pdq.push_back(from.pdq()[i]);
            else out.digests.push_back(from.digest(i));
            out.ids.push_back(from.id(i));
            out.metadata.push_back(from.metadata(i));
        }
        return {};
    });
}

}  // namespace hashguard::scan
