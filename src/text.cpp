#include "text.hpp"

namespace firstvalue::detail {
namespace {

// The length of the UTF-8 character at s[i], or 0 when none starts there.
std::size_t character_at(std::string_view s, std::size_t i) noexcept {
  const auto c = static_cast<unsigned char>(s[i]);
  std::size_t n = 0;
  unsigned lo = 0x80, hi = 0xBF;
  if (c < 0x80) return 1;
  if (c >= 0xC2 && c <= 0xDF) n = 1;
  else if (c >= 0xE0 && c <= 0xEF) { n = 2; if (c == 0xE0) lo = 0xA0; if (c == 0xED) hi = 0x9F; }
  else if (c >= 0xF0 && c <= 0xF4) { n = 3; if (c == 0xF0) lo = 0x90; if (c == 0xF4) hi = 0x8F; }
  else return 0;
  for (std::size_t k = 1; k <= n; ++k) {
    if (i + k >= s.size()) return 0;
    const auto d = static_cast<unsigned char>(s[i + k]);
    if (d < (k == 1 ? lo : 0x80) || d > (k == 1 ? hi : 0xBF)) return 0;
  }
  return n + 1;
}

}  // namespace

std::size_t invalid_utf8_at(std::string_view s) noexcept {
  for (std::size_t i = 0; i < s.size();) {
    const std::size_t n = character_at(s, i);
    if (n == 0) return i;
    i += n;
  }
  return std::string_view::npos;
}

std::string printable(std::string_view s) {
  if (invalid_utf8_at(s) == std::string_view::npos) return std::string(s);
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(s.size() + 16);
  for (std::size_t i = 0; i < s.size();) {
    if (const std::size_t n = character_at(s, i); n > 0) {
      out.append(s.substr(i, n));
      i += n;
      continue;
    }
    const auto c = static_cast<unsigned char>(s[i++]);
    out += "\\x";
    out += kHex[c >> 4];
    out += kHex[c & 15];
  }
  return out;
}

std::string quoted(std::string_view s, std::size_t max) {
  if (s.size() <= max + max / 4) return "\"" + printable(s) + "\"";
  // Not inside a character, whose start is at most 3 bytes back; where none
  // starts there, the bytes are no character (spelled \xNN) and cut anywhere.
  auto continues = [&](std::size_t i) { return (static_cast<unsigned char>(s[i]) & 0xC0) == 0x80; };
  std::size_t cut = max;
  while (cut > 0 && cut + 3 > max && continues(cut)) --cut;
  if (continues(cut)) cut = max;
  return "\"" + printable(s.substr(0, cut)) + "...\" (" + std::to_string(s.size()) + " bytes)";
}

}  // namespace firstvalue::detail
