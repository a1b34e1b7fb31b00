#pragma once
// The framing of a snapshot file (see firstvalue/snapshot.hpp): the header,
// then checksummed or encrypted chunks. The content inside is the caller's.

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "firstvalue/snapshot.hpp"

namespace firstvalue::snapshot_detail {

inline constexpr std::size_t kHeaderBytes = 64;
inline constexpr std::size_t kChunkHead = 8;  // length u32, flags u32
inline constexpr std::size_t kTagBytes = 16;
inline constexpr std::uint32_t kDefaultChunk = 1u << 20;
inline constexpr std::uint32_t kMaxChunk = 64u << 20;  // what a reader allocates at most for one chunk
inline constexpr std::uint32_t kFlagEncrypted = 1;
inline constexpr std::uint32_t kChunkLast = 1;

struct Header {
  std::uint32_t format = kSnapshotFormat;
  std::uint32_t flags = 0;
  std::uint32_t chunk = kDefaultChunk;
  std::array<std::uint8_t, 16> salt{};
  std::array<std::uint8_t, 16> key_check{};
  std::array<std::byte, kHeaderBytes> bytes{};  // as written, for the chunks' authentication
  bool encrypted() const noexcept { return flags & kFlagEncrypted; }
};

// Where the framed bytes go, in order.
using Sink = std::function<void(std::span<const std::byte>)>;
// Fills up to the span's size from the source; fewer only at its end.
using Source = std::function<std::size_t(std::span<std::byte>)>;

struct Cipher;  // OpenSSL state, in snapshot_format.cpp

// Cuts the content into chunks and writes them framed.
class FrameWriter {
 public:
  FrameWriter(Sink sink, const std::optional<SnapshotKey>& key, std::uint32_t chunk = kDefaultChunk);
  ~FrameWriter();
  FrameWriter(const FrameWriter&) = delete;
  FrameWriter& operator=(const FrameWriter&) = delete;
  void write(const void* data, std::size_t n);
  // Writes the last chunk; nothing may be written after.
  void finish();

 private:
  void flush(bool last);
  Sink sink_;
  Header header_;
  std::unique_ptr<Cipher> cipher_;
  std::vector<std::byte> buffer_, frame_;
  std::uint64_t index_ = 0;
  bool finished_ = false;
};

// Reads the content back, checking every chunk before handing out a byte of
// it. Every failure is Errc::corrupt (damaged or tampered), Errc::unsupported
// (a newer format) or Errc::invalid (a missing, unexpected or wrong key).
class FrameReader {
 public:
  FrameReader(Source source, const std::optional<SnapshotKey>& key);
  ~FrameReader();
  FrameReader(const FrameReader&) = delete;
  FrameReader& operator=(const FrameReader&) = delete;
  const Header& header() const noexcept { return header_; }
  // Exactly n bytes of content, or Errc::corrupt when the content ends first.
  void read(void* data, std::size_t n);
  // Checks that the content ends here: its last chunk, nothing after it.
  void finish();

 private:
  bool next_chunk();  // false after the last one
  std::size_t fill(std::byte* at, std::size_t n);
  Source source_;
  Header header_;
  std::unique_ptr<Cipher> cipher_;
  std::vector<std::byte> chunk_, frame_;
  std::size_t pos_ = 0;
  std::uint64_t index_ = 0;
  bool last_seen_ = false;
};

// SHA-256 of a text, in hexadecimal (erasure receipts name accounts this way).
std::string sha256_hex(std::string_view text);

// Parses and checks a header; `key` as for FrameReader, unless `need_key` is
// false (reading only the header of an encrypted file).
Header read_header(std::span<const std::byte, kHeaderBytes> bytes, const std::optional<SnapshotKey>& key,
                   bool need_key = true);

}  // namespace firstvalue::snapshot_detail
