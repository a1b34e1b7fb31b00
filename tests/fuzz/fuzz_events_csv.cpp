// Event CSV, as the CLI reads it: parse, print back, ingest.
#include "fuzz_events.hpp"

namespace fv = firstvalue;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  try {
    const fv::EventTable t = fv::EventTable::from_csv(std::string_view(reinterpret_cast<const char*>(data), size));
    const fv::EventTable again = fv::EventTable::from_csv(t.to_csv());
    FUZZ_CHECK(again.size() == t.size());
    fuzz_ingest(t);
  } catch (const fv::Error&) {
  }
  return 0;
}
