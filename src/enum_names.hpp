#pragma once
// Reading an enum back from its name, for enums whose values index a table
// of their names.

#include <cstddef>
#include <iterator>
#include <optional>
#include <string_view>

namespace firstvalue::detail {

template <class E, class Names>
std::optional<E> enum_named(const Names& names, std::string_view text) noexcept {
  for (std::size_t i = 0; i < std::size(names); ++i)
    if (names[i] == text) return static_cast<E>(i);
  return std::nullopt;
}

}  // namespace firstvalue::detail
