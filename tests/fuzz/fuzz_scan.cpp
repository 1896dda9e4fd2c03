// libFuzzer target: the whole C API scan (decode, PDQ + letterbox, digests,
// lookups in PDQ and MD5 lists, the seen-bytes cache, the JSON result).
// Every input must leave stdout/stderr untouched and (ASan) keep the heap
// within the memory limit plus a margin (fuzz_checks.hpp).
#include <cstddef>
#include <cstdint>
#include <cstring>

#include "fuzz_checks.hpp"
#include "hashguard/hashguard.h"

namespace {
constexpr long long kMaxMemory = 256ll << 20;
// fuzz_decode's 48 MiB margin (see there), plus what a scan adds after the
// decode: the letterbox's inner image and hash, the digests, the JSON
// result and the seen-bytes cache (bounded by its default 16 MiB).
constexpr std::size_t kHeapBound = static_cast<std::size_t>(kMaxMemory) + (std::size_t{80} << 20);

hg_scanner* make_scanner() {
    hg_scanner* s = hg_scanner_create();
    hg_lists* l = hg_lists_create();
    const char* pdq =
        "b53f17065f1b128671d1304f78589e0ea5b849e593e1f8c03eb51c3cba4bd9d1,apple\n"
        "0000000000000000000000000000000000000000000000000000000000000000,zero\n";
    const char* md5 = "d41d8cd98f00b204e9800998ecf8427e,empty file\n";
    if (!s || !l || hg_lists_add_text(l, "pdq", pdq, std::strlen(pdq), HG_KIND_PDQ, nullptr) ||
        hg_lists_set_int(l, "pdq", HG_LIST_MIN_QUALITY, 0) ||
        hg_lists_add_text(l, "md5", md5, std::strlen(md5), HG_KIND_MD5, nullptr) || hg_scanner_set_lists(s, l) ||
        hg_scanner_set_int(s, HG_OPT_MAX_PIXELS, 4 << 20) || hg_scanner_set_int(s, HG_OPT_CACHE_ENTRIES, 64) ||
        hg_scanner_set_int(s, HG_OPT_MAX_MEMORY_BYTES, kMaxMemory))
        __builtin_trap();
    hg_lists_free(l);
    return s;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static hg_scanner* s = make_scanner();
    hg_result* r = nullptr;
    const std::int64_t start = hgfuzz::begin_input();
    const hg_status st = hg_scan(s, data, size, &r);
    hgfuzz::end_input(start, kHeapBound);
    if (st != HG_OK || !r) __builtin_trap();  // bad input is a result, never an API error
    const hg_verdict v = hg_result_verdict(r);
    if (v < HG_VERDICT_NO_MATCH || v > HG_VERDICT_BELOW_QUALITY) __builtin_trap();
    const char* error = hg_result_str(r, HG_RESULT_ERROR);  // NULL exactly when the status is HG_OK
    if (v == HG_VERDICT_ERROR && (hg_result_status(r) == HG_OK || !error)) __builtin_trap();
    if ((hg_result_status(r) == HG_OK) != (error == nullptr)) __builtin_trap();
    const char* pdq = hg_result_str(r, HG_RESULT_PDQ_HEX);
    if (pdq && std::strlen(pdq) != 64) __builtin_trap();
    const char* json = hg_result_str(r, HG_RESULT_JSON);
    if (!json || json[0] != '{') __builtin_trap();
    for (std::size_t i = 0; i < hg_result_match_count(r); ++i)
        if (!hg_match_str(r, i, HG_MATCH_LIST) || hg_match_int(r, i, HG_MATCH_DISTANCE) < 0) __builtin_trap();
    hg_result_free(r);
    return 0;
}
