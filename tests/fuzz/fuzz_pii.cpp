// PII masking of arbitrary bytes: matches are in bounds, in order and apart;
// a masker's tokens unmask to the text; every string of a JSON document masks.
#include <map>
#include <utility>

#include "firstvalue/error.hpp"
#include "firstvalue/pii.hpp"
#include "fuzz_common.hpp"

namespace fv = firstvalue;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  std::size_t end = 0;
  // A value spelled two ways keeps one token, which unmasks to its first
  // spelling: only a text whose values are each spelled one way comes back whole.
  std::map<std::pair<int, std::string>, std::string_view> spelling;
  bool one_spelling = text.find('<') == std::string_view::npos;
  for (const fv::PiiMatch& m : fv::find_pii(text)) {
    FUZZ_CHECK(m.begin >= end && m.begin < m.end && m.end <= text.size() && !m.key.empty());
    end = m.end;
    const std::string_view seen = text.substr(m.begin, m.end - m.begin);
    const auto [it, added] = spelling.emplace(std::pair{static_cast<int>(m.kind), m.key}, seen);
    one_spelling = one_spelling && (added || it->second == seen);
  }
  fv::PiiMasker masker;
  const std::string masked = masker.mask(text);
  if (one_spelling) FUZZ_CHECK(masker.unmask(masked) == text);
  FUZZ_CHECK(masker.mask(text) == masked);  // the same tokens the second time
  try {
    (void)masker.mask_json(text);
  } catch (const fv::Error&) {
  }
  return 0;
}
