// hashguard — CSV fields as the library reads them (hash lists with a header)
// and writes them (`hashguard scan --format csv`, and its resume).
#pragma once
#include <string>
#include <string_view>
#include <vector>

#include "hashguard/config.hpp"

namespace hashguard::csv {

/// Splits one line (no line terminator) into fields. Fields may be double-
/// quoted ("" is a quote inside); spaces and tabs around fields (outside the
/// quotes) are trimmed. False on an unterminated quote.
HASHGUARD_API bool split(std::string_view line, std::vector<std::string>& fields);

/// Appends `s` as one field, quoted when it holds a comma, quote, CR or LF.
HASHGUARD_API void append_field(std::string& out, std::string_view s);

}  // namespace hashguard::csv
