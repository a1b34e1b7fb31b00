#pragma once
// Outside text as messages show it. Every message reaches a JSON document, a
// Python str or a C host's log, and none of them can hold bytes that are not
// UTF-8, nor should a 10 MB value make a 10 MB message.

#include <cstddef>
#include <string>
#include <string_view>

namespace firstvalue::detail {

// Where a text stops being UTF-8, or npos: no overlong forms, surrogates or
// code points beyond U+10FFFF.
std::size_t invalid_utf8_at(std::string_view s) noexcept;

// The text with each byte that is not part of a UTF-8 character written as
// `\xNN`, so that it stays recognisable and is UTF-8.
std::string printable(std::string_view s);

// `"value"` for a message: the first `max` bytes of a longer value (never
// cut inside a character), then `..." (N bytes)`; printable as above.
std::string quoted(std::string_view s, std::size_t max = 64);

}  // namespace firstvalue::detail
