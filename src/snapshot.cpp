// Snapshots of a portfolio: the content (configuration, accounts, activity
// states) and the atomic file that holds it. The framing is snapshot_format.

#include "firstvalue/snapshot.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <bit>
#include <cerrno>
#include <cstring>
#include <filesystem>

#include <openssl/crypto.h>

#include "account_plan_json.hpp"
#include "firstvalue/error.hpp"
#include "firstvalue/portfolio.hpp"
#include "firstvalue/version.hpp"
#include "json_reader.hpp"
#include "snapshot_format.hpp"
#include "text.hpp"

namespace firstvalue {

static_assert(std::endian::native == std::endian::little, "snapshots hold activity states as little-endian bytes");

namespace {

using json_detail::json;
using snapshot_detail::FrameReader;
using snapshot_detail::FrameWriter;

// Records of the content, in this order: meta, config, accounts, end.
enum Tag : std::uint8_t { t_meta = 'M', t_config = 'C', t_account = 'A', t_end = 'E' };
// A string field longer than this is damage, not data (the engine refuses keys and names far shorter).
constexpr std::uint32_t kMaxField = 64u << 20;
// An activity state may be larger (millions of users outside the plan); it is read as it grows all the same.
constexpr std::uint32_t kMaxState = 0xFFFFFFFFu;
constexpr std::size_t kLoadBatch = 1 << 16;  // accounts added to the portfolio at a time

[[noreturn]] void corrupt(const std::string& path, const std::string& detail) {
  throw Error(Errc::corrupt, join_path("snapshot", path), detail);
}

// ---- encoding ------------------------------------------------------------------

class Encoder {
 public:
  explicit Encoder(FrameWriter& out) : out_(out) {}
  // What went through it is the plaintext of an encrypted file.
  ~Encoder() { OPENSSL_cleanse(buffer_.data(), buffer_.capacity()); }
  Encoder(const Encoder&) = delete;
  Encoder& operator=(const Encoder&) = delete;
  void u8(std::uint8_t v) { raw(&v, 1); }
  void u32(std::uint32_t v) { raw(&v, 4); }
  void i32(std::int32_t v) { raw(&v, 4); }
  void u64(std::uint64_t v) { raw(&v, 8); }
  void f64(double v) { raw(&v, 8); }
  void str(std::string_view s) {
    if (s.size() > kMaxField) throw_invalid("", "a text of " + std::to_string(s.size()) + " bytes is too long to save");
    u32(static_cast<std::uint32_t>(s.size()));
    raw(s.data(), s.size());
  }
  void bytes(const void* p, std::size_t n) {
    if (n > kMaxState) throw_invalid("", "an activity state of " + std::to_string(n) + " bytes is too large to save");
    u32(static_cast<std::uint32_t>(n));
    raw(p, n);
  }
  void flush() {
    out_.write(buffer_.data(), buffer_.size());
    buffer_.clear();
  }

 private:
  void raw(const void* p, std::size_t n) {
    const auto* b = static_cast<const char*>(p);
    buffer_.append(b, n);
    if (buffer_.size() >= (1u << 16)) flush();
  }
  FrameWriter& out_;
  std::string buffer_;
};

class Decoder {
 public:
  explicit Decoder(FrameReader& in) : in_(in) {}
  std::uint8_t u8() { return get<std::uint8_t>(); }
  std::uint32_t u32() { return get<std::uint32_t>(); }
  std::int32_t i32() { return get<std::int32_t>(); }
  std::uint64_t u64() { return get<std::uint64_t>(); }
  double f64() { return get<double>(); }
  std::string str(std::uint32_t limit = kMaxField) {
    const std::uint32_t n = u32();
    if (n > limit) corrupt("", "holds a text of " + std::to_string(n) + " bytes");
    // Read a megabyte at a time, so that a damaged length costs no more memory than the content holds.
    std::string s;
    for (std::size_t done = 0; done < n;) {
      const std::size_t step = std::min<std::size_t>(n - done, 1u << 20);
      s.resize(done + step);
      in_.read(s.data() + done, step);
      done += step;
    }
    return s;
  }
  void expect(Tag t, const char* what) {
    const std::uint8_t got = u8();
    if (got != t) corrupt("", std::string("has record '") + static_cast<char>(got) + "' where " + what + " belongs");
  }

 private:
  template <class T>
  T get() {
    T v;
    in_.read(&v, sizeof v);
    return v;
  }
  FrameReader& in_;
};

void encode_value(Encoder& e, const Value& v) {
  e.u8(static_cast<std::uint8_t>(v.index()));
  if (const bool* b = std::get_if<bool>(&v)) e.u8(*b ? 1 : 0);
  if (const double* d = std::get_if<double>(&v)) e.f64(*d);
  if (const std::string* s = std::get_if<std::string>(&v)) e.str(*s);
}

Value decode_value(Decoder& d, const std::string& path) {
  switch (d.u8()) {
    case 0: return std::monostate{};
    case 1: return d.u8() != 0;
    case 2: return d.f64();
    case 3: return d.str();
    default: corrupt(path, "has a value of an unknown kind");
  }
}

// The parts of a plan that are rare in bulk (progress, readings, goals,
// handoff) go as one JSON document, empty when there are none.
std::string plan_rest(const AccountPlan& plan) {
  if (plan.progress.empty() && plan.metrics.empty() && plan.goals.goals().empty() && !plan.handoff) return {};
  json all = account_plan_to_json_value(plan);
  json rest = json::object();
  for (const char* key : {"progress", "metrics", "goals", "handoff"})
    if (all.contains(key)) rest[key] = std::move(all[key]);
  return rest.dump();
}

void encode_account(Encoder& e, const Account& a, const AccountActivity& state) {
  e.str(a.organization);
  e.str(a.key);
  e.str(a.name);
  e.str(a.tier);
  e.f64(a.arr);
  e.i32(a.signature);
  e.i32(a.planned_seats);
  e.i32(a.provisioned_seats);
  e.u32(static_cast<std::uint32_t>(a.planned_users.size()));
  for (const std::string& u : a.planned_users) e.str(u);
  e.u32(static_cast<std::uint32_t>(a.contacts.size()));
  for (const Contact& c : a.contacts) {
    e.str(c.key);
    e.str(c.name);
    e.u8(static_cast<std::uint8_t>(c.role));
  }
  e.u8(a.exit ? 1 : 0);
  e.i32(a.exit.value_or(0));
  e.str(a.exit_reason);
  e.str(a.plan.template_id);
  e.u32(static_cast<std::uint32_t>(a.plan.attributes.size()));
  for (const auto& [name, value] : a.plan.attributes) {
    e.str(name);
    encode_value(e, value);
  }
  e.str(plan_rest(a.plan));
  e.bytes(state.address(), state.bytes());
}

std::uint32_t count(Decoder& d, const std::string& path, const char* what) {
  const std::uint32_t n = d.u32();
  if (n > kMaxField) corrupt(path, "claims " + std::to_string(n) + " " + what);
  return n;
}

Account decode_account(Decoder& d, const std::string& path, std::string& state) {
  Account a;
  a.organization = d.str();
  a.key = d.str();
  a.name = d.str();
  a.tier = d.str();
  a.arr = d.f64();
  a.signature = d.i32();
  a.planned_seats = d.i32();
  a.provisioned_seats = d.i32();
  // Lists grow as they are read: a damaged count runs into the content's end, not into memory.
  for (std::uint32_t k = 0, n = count(d, path, "planned users"); k < n; ++k) a.planned_users.push_back(d.str());
  for (std::uint32_t k = 0, n = count(d, path, "contacts"); k < n; ++k) {
    Contact c;
    c.key = d.str();
    c.name = d.str();
    const std::uint8_t role = d.u8();
    if (role > static_cast<std::uint8_t>(ContactRole::user)) corrupt(path, "has a contact of an unknown role");
    c.role = static_cast<ContactRole>(role);
    a.contacts.push_back(std::move(c));
  }
  const bool exited = d.u8() != 0;
  const Day exit = d.i32();
  if (exited) a.exit = exit;
  a.exit_reason = d.str();
  a.plan.template_id = d.str();
  const std::uint32_t attributes = count(d, path, "attributes");
  for (std::uint32_t k = 0; k < attributes; ++k) {
    std::string name = d.str();
    a.plan.attributes.insert_or_assign(std::move(name), decode_value(d, path));
  }
  const std::string rest = d.str();
  if (!rest.empty()) {
    try {
      json doc = json_detail::parse_document(rest, "plan");
      doc["account"] = a.key;
      doc["start"] = a.signature;
      AccountPlan plan = account_plan_from_json(doc, path);
      plan.template_id = a.plan.template_id;
      plan.attributes = std::move(a.plan.attributes);
      a.plan = std::move(plan);
    } catch (const Error& e) {
      corrupt(path, e.what());
    }
  }
  a.plan.account = a.key;
  a.plan.start = a.signature;
  state = d.str(kMaxState);
  return a;
}

json meta_json(const Portfolio& p) {
  return {{"library", version_string}, {"organization", p.organization()}, {"accounts", p.size()}};
}

void encode_portfolio(const Portfolio& p, FrameWriter& out) {
  Encoder e(out);
  e.u8(t_meta);
  e.str(meta_json(p).dump());
  e.u8(t_config);
  e.str(p.config().to_json(-1));
  for (std::size_t i = 0; i < p.size(); ++i) {
    e.u8(t_account);
    encode_account(e, p.account(i), p.activity(i));
  }
  e.u8(t_end);
  e.u64(p.size());
  e.flush();
  out.finish();
}

struct Meta {
  std::string organization, library;
  std::uint64_t accounts = 0;
};

Meta decode_meta(Decoder& d) {
  d.expect(t_meta, "the meta record");
  try {
    const json doc = json_detail::parse_document(d.str(), "meta");
    const json_detail::ObjectReader r(doc, "meta", {"library", "organization", "accounts"});
    Meta m{r.string("organization"), r.string("library"), 0};
    const double n = r.number("accounts");
    if (!(n >= 0 && n <= 1e15 && n == static_cast<double>(static_cast<std::uint64_t>(n))))
      corrupt("meta.accounts", "is not a count");
    m.accounts = static_cast<std::uint64_t>(n);
    return m;
  } catch (const Error& e) {
    if (e.code() == Errc::corrupt) throw;
    corrupt("", e.what());
  }
}

// ---- files -------------------------------------------------------------------

[[noreturn]] void io_error(const std::string& path, const std::string& what, int err) {
  throw Error(err == ENOENT ? Errc::not_found : Errc::io, path, what + ": " + std::strerror(err));
}

class Fd {
 public:
  explicit Fd(int fd = -1) noexcept : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(Fd&& other) noexcept : fd_(other.release()) {}
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  Fd& operator=(Fd&&) = delete;
  int get() const noexcept { return fd_; }
  int release() noexcept { return std::exchange(fd_, -1); }

 private:
  int fd_;
};

void write_all(int fd, std::span<const std::byte> bytes, const std::string& path) {
  while (!bytes.empty()) {
    const ssize_t n = ::write(fd, bytes.data(), bytes.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      io_error(path, "cannot write", errno);
    }
    bytes = bytes.subspan(static_cast<std::size_t>(n));
  }
}

// Opens and locks the temporary file of a save: one name per target, so a
// crash leaves at most one behind, which the next save takes over; the lock
// keeps two saves to the same target apart.
Fd lock_temporary(const std::string& tmp) {
  for (int attempt = 0; attempt < 16; ++attempt) {
    // Not through a symlink, and only a regular file of ours: a planted file
    // would otherwise receive the snapshot, or lend it its permissions.
    Fd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600));
    if (fd.get() < 0) io_error(tmp, "cannot create", errno);
    if (::flock(fd.get(), LOCK_EX | LOCK_NB) != 0) {
      if (errno == EWOULDBLOCK) throw Error(Errc::io, tmp, "another save to this snapshot is in progress");
      io_error(tmp, "cannot lock", errno);
    }
    struct stat opened {}, named {};
    if (::fstat(fd.get(), &opened) != 0) io_error(tmp, "cannot stat", errno);
    if (!S_ISREG(opened.st_mode) || opened.st_uid != ::geteuid())
      throw Error(Errc::io, tmp, "is not a regular file of this user; remove it");
    // A save that finished meanwhile renamed the file we opened: start again.
    if (::lstat(tmp.c_str(), &named) == 0 && named.st_ino == opened.st_ino && named.st_dev == opened.st_dev) {
      if (::ftruncate(fd.get(), 0) != 0) io_error(tmp, "cannot truncate", errno);
      // A file left by a crash keeps the mode it had: the snapshot's is the owner's only.
      if (::fchmod(fd.get(), 0600) != 0) io_error(tmp, "cannot set its mode", errno);
      return fd;
    }
  }
  throw Error(Errc::io, tmp, "kept being replaced by other saves");
}

void sync_directory(const std::string& path) {
  std::string dir = std::filesystem::path(path).parent_path().string();
  if (dir.empty()) dir = ".";
  const Fd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (fd.get() < 0) io_error(dir, "cannot open the directory", errno);
  if (::fsync(fd.get()) != 0) io_error(dir, "cannot flush the directory", errno);
}

template <class Produce>
void write_atomically(const std::string& path, Produce produce) {
  if (path.empty()) throw_invalid("path", "must not be empty");
  const std::string tmp = path + ".fvtmp";
  Fd fd = lock_temporary(tmp);
  try {
    produce([&](std::span<const std::byte> bytes) { write_all(fd.get(), bytes, tmp); });
    if (::fsync(fd.get()) != 0) io_error(tmp, "cannot flush to disk", errno);
    if (::rename(tmp.c_str(), path.c_str()) != 0) io_error(path, "cannot replace", errno);
  } catch (...) {
    ::unlink(tmp.c_str());  // ours: we hold its lock
    throw;
  }
  sync_directory(path);
}

snapshot_detail::Source file_source(int fd, const std::string& path) {
  return [fd, path](std::span<std::byte> out) -> std::size_t {
    for (;;) {
      const ssize_t n = ::read(fd, out.data(), out.size());
      if (n >= 0) return static_cast<std::size_t>(n);
      if (errno != EINTR) io_error(path, "cannot read", errno);
    }
  };
}

snapshot_detail::Source bytes_source(std::string_view bytes) {
  return [bytes](std::span<std::byte> out) mutable -> std::size_t {
    const std::size_t n = std::min(out.size(), bytes.size());
    if (n > 0) std::memcpy(out.data(), bytes.data(), n);
    bytes.remove_prefix(n);
    return n;
  };
}

Fd open_for_reading(const std::string& path) {
  Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) io_error(path, "cannot open", errno);
  return fd;
}

// Without the key of an encrypted file only the header can be read.
template <class MakeSource>
SnapshotInfo inspect(MakeSource make_source, const SnapshotOptions& options) {
  if (!options.key) {
    const snapshot_detail::Source source = make_source();
    std::array<std::byte, snapshot_detail::kHeaderBytes> head{};
    std::size_t got = 0;
    for (std::size_t k; got < head.size() && (k = source({head.data() + got, head.size() - got})) != 0;) got += k;
    if (got == head.size() && (std::to_integer<std::uint8_t>(head[12]) & snapshot_detail::kFlagEncrypted)) {
      const snapshot_detail::Header h = snapshot_detail::read_header(head, std::nullopt, false);
      return {h.format, true, h.chunk, std::nullopt, std::nullopt, std::nullopt};
    }
  }
  FrameReader in(make_source(), options.key);
  Decoder d(in);
  const Meta m = decode_meta(d);
  return {in.header().format, in.header().encrypted(), in.header().chunk, m.organization, m.accounts, m.library};
}

}  // namespace

// ---- the portfolio's side ----------------------------------------------------

void Portfolio::save(const std::string& path, const SnapshotOptions& options) const {
  write_atomically(path, [&](const snapshot_detail::Sink& sink) {
    FrameWriter out(sink, options.key);
    encode_portfolio(*this, out);
  });
}

std::string Portfolio::save_bytes(const SnapshotOptions& options) const {
  std::string bytes;
  FrameWriter out([&](std::span<const std::byte> b) { bytes.append(reinterpret_cast<const char*>(b.data()), b.size()); },
                  options.key);
  encode_portfolio(*this, out);
  return bytes;
}

Portfolio Portfolio::load(const std::string& path, const SnapshotOptions& options) {
  const Fd fd = open_for_reading(path);
  return load_from(file_source(fd.get(), path), options);
}

Portfolio Portfolio::load_bytes(std::string_view bytes, const SnapshotOptions& options) {
  return load_from(bytes_source(bytes), options);
}

Portfolio Portfolio::load_from(const std::function<std::size_t(std::span<std::byte>)>& source, const SnapshotOptions& options) {
  FrameReader in(source, options.key);
  Decoder d(in);
  const Meta meta = decode_meta(d);
  d.expect(t_config, "the configuration");
  PortfolioConfig config;
  try {
    config = PortfolioConfig::from_json(d.str());
  } catch (const Error& e) {
    corrupt("config", e.what());
  }
  if (config.organization != meta.organization)
    corrupt("config.organization", detail::quoted(config.organization) + " is not the meta record's " + detail::quoted(meta.organization));
  Portfolio p(std::move(config));
  std::vector<Account> batch;
  std::vector<std::string> states;
  std::uint64_t read = 0;
  auto add = [&] {
    const std::size_t first = p.size();
    try {
      p.add_accounts(std::move(batch), options.threads);
      p.restore_states(first, states);
    } catch (const Error& e) {
      if (e.code() == Errc::corrupt) throw;
      // Errors name accounts[i] of the batch: say which account of the file.
      corrupt("accounts[" + std::to_string(first) + "+]", e.what());
    }
    batch.clear();
    states.clear();
  };
  for (;;) {
    const std::uint8_t tag = d.u8();
    if (tag == t_end) break;
    if (tag != t_account) corrupt("", "has an unknown record '" + std::string(1, static_cast<char>(tag)) + "'");
    const std::string path = "accounts[" + std::to_string(read) + "]";
    if (read >= meta.accounts) corrupt(path, "is beyond the " + std::to_string(meta.accounts) + " accounts the meta record counts");
    states.emplace_back();
    batch.push_back(decode_account(d, path, states.back()));
    ++read;
    if (batch.size() == kLoadBatch) add();
  }
  if (!batch.empty()) add();
  const std::uint64_t end = d.u64();
  if (end != read || read != meta.accounts)
    corrupt("", "holds " + std::to_string(read) + " accounts where its records count " + std::to_string(end) + " and " +
                    std::to_string(meta.accounts));
  in.finish();
  return p;
}

// ---- inspection and keys ------------------------------------------------------

SnapshotInfo inspect_snapshot(const std::string& path, const SnapshotOptions& options) {
  const Fd fd = open_for_reading(path);
  return inspect(
      [&] {
        if (::lseek(fd.get(), 0, SEEK_SET) != 0) io_error(path, "cannot seek", errno);
        return file_source(fd.get(), path);
      },
      options);
}

SnapshotInfo inspect_snapshot_bytes(std::string_view bytes, const SnapshotOptions& options) {
  return inspect([&] { return bytes_source(bytes); }, options);
}

std::string SnapshotInfo::to_json(int indent) const {
  json j{{"format", format}, {"encrypted", encrypted}, {"chunk_bytes", chunk_bytes}};
  j["organization"] = organization ? json(*organization) : json(nullptr);
  j["accounts"] = accounts ? json(*accounts) : json(nullptr);
  j["library"] = library ? json(*library) : json(nullptr);
  return j.dump(indent);
}

SnapshotKey snapshot_key_from_hex(std::string_view hex) {
  SnapshotKey key{};
  if (hex.size() != 64) throw_invalid("key", "must be 64 hexadecimal digits (32 bytes), not " + std::to_string(hex.size()) + " characters");
  auto digit = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  for (std::size_t i = 0; i < 32; ++i) {
    const int hi = digit(hex[2 * i]), lo = digit(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) throw_invalid("key", "must be 64 hexadecimal digits; character " + std::to_string(2 * i + (hi < 0 ? 0 : 1)) + " is not one");
    key[i] = static_cast<std::uint8_t>(hi * 16 + lo);
  }
  return key;
}

}  // namespace firstvalue
