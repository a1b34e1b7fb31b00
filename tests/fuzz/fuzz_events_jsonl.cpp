// Event JSON Lines, as the CLI reads them: parse and ingest.
#include "fuzz_events.hpp"

namespace fv = firstvalue;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  try {
    fuzz_ingest(fv::EventTable::from_jsonl(std::string_view(reinterpret_cast<const char*>(data), size)));
  } catch (const fv::Error&) {
  }
  return 0;
}
