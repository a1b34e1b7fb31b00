#pragma once
// Masking of personal data (email addresses and phone numbers) in free text,
// before the text leaves for a model: cause sentences, notes, exchange
// subjects. A value masks to the same token everywhere (`<email:1>`,
// `<phone:2>`), so the text stays readable; the map back to the values stays
// with the host, in a PiiMasker it keeps or drops.
//
// Found: addresses (unicode local parts and domains included), obfuscated
// ones (`name [at] domain [dot] com`, `name(at)domain.com`, the fullwidth
// `＠`); phone numbers in international and national formats (E.164,
// `+33 1 23 45 67 89`, `(415) 555-0100`, `415.555.0100`, `+44 (0)20 7946
// 0958`, `0033 …`), with their extension (`ext. 12`, `x12`, `#12`).
// Left alone: dates and times, amounts and ARR figures, ticket and order
// numbers, version strings, IP addresses, plain numbers without a phone's
// shape (a 10-digit run with no separator and no phone word before it).

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace firstvalue {

enum class PiiKind : std::uint8_t { email, phone };
std::string_view to_string(PiiKind kind) noexcept;  // "email", "phone": the tokens' prefixes

// One value found in a text: bytes [begin, end), and the key that identifies
// the value whatever its spelling (a lower-case address, a phone's digits).
struct PiiMatch {
  std::size_t begin = 0;
  std::size_t end = 0;
  PiiKind kind = PiiKind::email;
  std::string key;
  bool operator==(const PiiMatch&) const = default;
};

// Every address and phone number of `text`, in order, not overlapping.
// Invalid UTF-8 is read byte by byte and never makes a match.
std::vector<PiiMatch> find_pii(std::string_view text);

// Masks texts with tokens numbered per kind in order of first sight, the same
// value keeping its token across every text this masker sees.
class PiiMasker {
 public:
  struct Entry {
    std::string token;  // "<email:1>"
    PiiKind kind = PiiKind::email;
    std::string value;  // the text first seen for it
  };

  std::string mask(std::string_view text);
  // Masks every string value of a JSON document (keys and numbers are kept).
  // Throws Error(invalid) when `json` does not parse.
  std::string mask_json(std::string_view json, int indent = -1);
  // The tokens this masker issued, put back to their values.
  std::string unmask(std::string_view text) const;

  const std::vector<Entry>& entries() const noexcept { return entries_; }
  // {"<email:1>": "ana@acme.com", ...}: the reversible map, for the host to keep.
  std::string map_json(int indent = 2) const;

 private:
  std::unordered_map<std::string, std::size_t> by_key_[2];
  std::vector<Entry> entries_;
  std::size_t issued_[2] = {0, 0};
};

// A masker's mask() with a fresh masker: tokens numbered within this text.
std::string mask_pii(std::string_view text);

}  // namespace firstvalue
