// Snapshot load. The first byte selects what the rest is:
//   0: a whole file, as read from disk (the framing, the header, the chunks);
//   1: the content of a file, framed and checksummed here, so that the fuzzer
//      reaches the records behind the checksums: a crafted file passes them;
//   2: an activity state's bytes (restore_activity), then read every way the
//      engine reads one. Byte 1 and 2 give the shape it is checked against.
// Whatever loads saves again to bytes that load to the same bytes.
#include <cstring>

#include "firstvalue/error.hpp"
#include "firstvalue/portfolio.hpp"
#include "fuzz_common.hpp"
#include "snapshot_format.hpp"

namespace fv = firstvalue;

namespace {

void round_trip(const fv::Portfolio& p) {
  const std::string bytes = p.save_bytes();
  const fv::Portfolio back = fv::Portfolio::load_bytes(bytes);
  FUZZ_CHECK(back.save_bytes() == bytes);
  (void)back.results_json(back.evaluate(20697 + 90));
}

std::string framed(std::string_view content) {
  std::string out;
  fv::snapshot_detail::FrameWriter w(
      [&](std::span<const std::byte> b) { out.append(reinterpret_cast<const char*>(b.data()), b.size()); },
      std::nullopt, 4096);
  w.write(content.data(), content.size());
  w.finish();
  return out;
}

void activity(std::string_view text) {
  if (text.size() < 2) return;
  const auto planned = static_cast<std::size_t>(static_cast<unsigned char>(text[0]) % 8);
  const auto nodes = static_cast<std::size_t>(static_cast<unsigned char>(text[1]));
  text.remove_prefix(2);
  const fv::AccountActivity a =
      fv::restore_activity(std::as_bytes(std::span(text.data(), text.size())), {planned, nodes});
  FUZZ_CHECK(a.bytes() == text.size());
  FUZZ_CHECK(a.bytes() == 0 || std::memcmp(a.address(), text.data(), text.size()) == 0);
  std::vector<std::uint64_t> ids(planned);
  for (std::size_t k = 0; k < planned; ++k) ids[k] = 1000 + k;
  std::vector<std::uint32_t> slots(planned);
  for (std::size_t k = 0; k < planned; ++k) slots[k] = static_cast<std::uint32_t>(k);
  fv::ActivityProfile prof;
  prof.signature = 20697;
  prof.planned_users = ids;
  prof.planned_slot = slots;
  for (const fv::Day d : {20690, 20697, 20720, 20800, 21500}) (void)fv::compute_metrics(a, prof, d);
  const fv::ActivityContents c = fv::activity_contents(a, prof);
  for (const fv::PlanEvent& e : c.plan) FUZZ_CHECK(e.node < nodes);
  (void)fv::first_logins(a, prof);
  for (std::size_t k = 0; k < planned; ++k) (void)fv::planned_first_login(a, prof, k);
  const fv::AccountActivity copy = a;
  FUZZ_CHECK(copy == a);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const FuzzInput in = fuzz_input(data, size);
  try {
    switch (in.selector % 3) {
      case 0:
        round_trip(fv::Portfolio::load_bytes(in.text));
        break;
      case 1:
        round_trip(fv::Portfolio::load_bytes(framed(in.text)));
        break;
      default:
        activity(in.text);
        break;
    }
  } catch (const fv::Error&) {
  }
  return 0;
}
