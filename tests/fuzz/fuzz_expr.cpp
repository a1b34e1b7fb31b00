// Condition expressions of templates: parse, then evaluate with every
// variable bound in turn to unknown, a boolean, a number and a string.
#include <vector>

#include "firstvalue/error.hpp"
#include "firstvalue/expr.hpp"
#include "fuzz_common.hpp"

namespace fv = firstvalue;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  try {
    const fv::Expr e = fv::Expr::parse(text);
    FUZZ_CHECK(e.source() == text);
    const fv::Value kinds[] = {fv::Value{}, fv::Value{true}, fv::Value{2.5}, fv::Value{std::string("enterprise")}};
    for (std::size_t k = 0; k < 4; ++k) {
      std::vector<fv::Value> values(e.variables().size());
      for (std::size_t v = 0; v < values.size(); ++v) values[v] = kinds[(k + v) % 4];
      try {
        (void)e.evaluate(values);
      } catch (const fv::Error&) {
      }
    }
  } catch (const fv::Error&) {
  }
  return 0;
}
