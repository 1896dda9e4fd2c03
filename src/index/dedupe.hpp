// Dropping duplicate records from binary hash input (hg_lists_add_binary,
// load_binary_hashes).
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

namespace hashguard::detail {

/// The positions of the first occurrence of every distinct `width`-byte
/// record of `data`, in input order (count < 2^32).
std::vector<std::uint32_t> first_occurrences(const std::uint8_t* data, std::size_t count, std::size_t width);

}  // namespace hashguard::detail
