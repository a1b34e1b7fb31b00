#pragma once
// Snapshots: a portfolio's whole state in one file, so that tomorrow night
// continues from tonight. Portfolio::save and Portfolio::load write and read
// them; this header has what the host chooses and can inspect.
//
// The file is versioned and checked end to end:
//   header   64 bytes: magic, format version, flags, chunk size, the salt and
//            key check of an encrypted file, and the header's own checksum;
//   chunks   the content cut into chunks of at most `chunk` bytes, each with
//            its length, a last-chunk flag and a 16-byte tag: a SHA-256
//            checksum of the chunk and its position, or, encrypted, the
//            AES-256-GCM tag over the chunk, its position and the header.
// So a torn, truncated, extended, reordered or bit-flipped file is refused
// at load, and nothing is loaded. A plain file's checksums detect damage, not
// tampering (anyone can recompute them); an encrypted file's tags detect both. A file is written to a temporary file in
// the same directory, flushed to disk, then renamed over the old one: a crash
// at any point leaves either the old snapshot or the new one.
//
// Encryption at rest uses a 256-bit key the host keeps (in a KMS or vault).
// Each file derives its own data key from it with HKDF-SHA256 and a random
// salt, so chunk nonces never repeat across files; a key check derived the
// same way tells a wrong key from a tampered file.
//
// The content is little-endian and holds the configuration, then each
// account and its activity state.

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace firstvalue {

// The format this library writes, and the newest it reads.
inline constexpr std::uint32_t kSnapshotFormat = 1;

using SnapshotKey = std::array<std::uint8_t, 32>;

struct SnapshotOptions {
  // Encrypts on save; required on load exactly when the file is encrypted
  // (a key given for a plain file is refused, so a plain file cannot stand
  // in for an encrypted one).
  std::optional<SnapshotKey> key;
  unsigned threads = 1;  // 0 = one per core: loading re-validates every account
};

// What a snapshot's header and first record say, read without loading it.
struct SnapshotInfo {
  std::uint32_t format = 0;
  bool encrypted = false;
  std::uint32_t chunk_bytes = 0;
  // The following need the content: filled for a plain file, or with the key.
  std::optional<std::string> organization;
  std::optional<std::uint64_t> accounts;
  std::optional<std::string> library;  // the version that wrote it
  std::string to_json(int indent = 2) const;
};

// Reads the header and, when it can, the first record. Throws as load does.
SnapshotInfo inspect_snapshot(const std::string& path, const SnapshotOptions& options = {});
SnapshotInfo inspect_snapshot_bytes(std::string_view bytes, const SnapshotOptions& options = {});

// A key from 64 hexadecimal digits, as hosts keep them in configuration.
SnapshotKey snapshot_key_from_hex(std::string_view hex);

}  // namespace firstvalue
