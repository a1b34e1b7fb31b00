// Snapshot save and load throughput: a generated portfolio (accounts up to
// `days` old, with their events ingested) saved to a file and loaded back,
// plain and encrypted, against the floor of writing and reading the same
// bytes with no encoding (write + fsync, read). Not a Google Benchmark: each
// step runs once, as a night does.
//   build/benchmarks/fv_snapshot_throughput [accounts=1000000] [days=30] [dir=/tmp]

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "firstvalue/firstvalue.hpp"
#include "firstvalue/generator.hpp"

namespace fv = firstvalue;

namespace {

double seconds_since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

template <class F>
double timed(F f) {
  const auto t = std::chrono::steady_clock::now();
  f();
  return seconds_since(t);
}

// The same number of bytes written and fsynced, then read, with no encoding.
std::pair<double, double> floor_for(const std::string& path, std::size_t bytes) {
  std::vector<char> block(1 << 20, 'x');
  const double write_s = timed([&] {
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    for (std::size_t done = 0; done < bytes; done += block.size())
      if (::write(fd, block.data(), std::min(block.size(), bytes - done)) < 0) std::perror("write");
    ::fsync(fd);
    ::close(fd);
  });
  const double read_s = timed([&] {
    const int fd = ::open(path.c_str(), O_RDONLY);
    while (::read(fd, block.data(), block.size()) > 0) {
    }
    ::close(fd);
  });
  std::filesystem::remove(path);
  return {write_s, read_s};
}

}  // namespace

int main(int argc, char** argv) {
  std::setvbuf(stdout, nullptr, _IOLBF, 0);  // progress shows in a log as it happens
  const std::size_t n = argc > 1 ? std::stoul(argv[1]) : 1000000;
  const int days = argc > 2 ? std::stoi(argv[2]) : 30;
  const std::string dir = argc > 3 ? argv[3] : "/tmp";
  // Generated a chunk at a time (a million accounts' events at once take
  // more than 24 GB), each chunk's keys prefixed so that they stay distinct.
  constexpr std::size_t kChunk = 100000;
  std::printf("generating and ingesting %zu accounts (up to %d days old), %zu at a time ...\n", n, days, kChunk);
  fv::PortfolioConfig config;
  config.organization = "bench";
  fv::Portfolio p(config);
  std::size_t events = 0;
  for (std::size_t begin = 0; begin < n; begin += kChunk) {
    fv::GeneratorOptions o;
    o.accounts = std::min(kChunk, n - begin);
    o.max_age_days = days;
    o.seed = 2026 + begin;
    o.organization = config.organization;
    fv::GeneratedPortfolio g = fv::generate_portfolio(o);
    const std::string prefix = "c" + std::to_string(begin / kChunk) + "-";
    for (fv::Account& a : g.accounts) a.key = prefix + a.key;
    for (std::string& key : g.events.accounts) key = prefix + key;
    p.add_accounts(std::move(g.accounts), 2);
    fv::IngestOptions ingest;
    ingest.threads = 2;
    const fv::IngestReport r = p.ingest(g.events.batch(), ingest);
    if (r.accepted != g.events.size()) {
      std::printf("chunk %zu: %zu of %zu rows rejected\n", begin / kChunk, r.rejected.size(), g.events.size());
      return 1;
    }
    events += g.events.size();
  }
  std::size_t state = 0;
  for (std::size_t i = 0; i < p.size(); ++i) state += p.activity(i).bytes();
  std::printf("%zu events ingested; activity states %.1f MB (%.0f B/account)\n", events, state / 1e6,
              static_cast<double>(state) / static_cast<double>(n));

  const std::string path = dir + "/fv_snapshot_bench.fvsnap";
  fv::SnapshotOptions plain, sealed;
  plain.threads = sealed.threads = 2;
  sealed.key = fv::snapshot_key_from_hex("8f1e0d2c3b4a59687766554433221100ffeeddccbbaa99887766554433221100");
  for (const auto* options : {&plain, &sealed}) {
    const char* kind = options->key ? "encrypted" : "plain";
    const double save_s = timed([&] { p.save(path, *options); });
    const std::size_t bytes = std::filesystem::file_size(path);
    // Loaded twice: the first load takes its memory fresh from the kernel (a
    // page fault per page), the second reuses what the first one freed, as a
    // long-lived host's heap would.
    double load_s[2] = {0, 0};
    for (double& seconds : load_s) {
      fv::Portfolio back(fv::PortfolioConfig{});
      seconds = timed([&] { back = fv::Portfolio::load(path, *options); });
      if (back.size() != p.size() || !(back.activity(n / 2) == p.activity(n / 2))) {
        std::printf("the loaded portfolio differs\n");
        return 1;
      }
    }
    std::printf("%-9s  file %.1f MB (%.0f B/account)  save %.2f s (%.0f MB/s, %.2f us/account)  "
                "load %.2f s (%.0f MB/s, %.2f us/account), again %.2f s (%.2f us/account)\n",
                kind, bytes / 1e6, static_cast<double>(bytes) / static_cast<double>(n), save_s, bytes / 1e6 / save_s,
                save_s * 1e6 / static_cast<double>(n), load_s[0], bytes / 1e6 / load_s[0],
                load_s[0] * 1e6 / static_cast<double>(n), load_s[1], load_s[1] * 1e6 / static_cast<double>(n));
    if (!options->key) {
      const auto [write_s, read_s] = floor_for(path + ".floor", bytes);
      std::printf("floor      the same bytes unencoded: write + fsync %.2f s, read %.2f s\n", write_s, read_s);
    }
  }
  std::filesystem::remove(path);
  return 0;
}
