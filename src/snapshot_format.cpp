// Snapshot framing: checksums with SHA-256, encryption with AES-256-GCM and
// HKDF-SHA256, all through OpenSSL's EVP interface.

#include "snapshot_format.hpp"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/params.h>
#include <openssl/rand.h>

#include <algorithm>
#include <cstring>

#include "firstvalue/error.hpp"

namespace firstvalue::snapshot_detail {
namespace {

constexpr std::array<unsigned char, 8> kMagic{0x89, 'F', 'V', 'S', '\r', '\n', 0x1a, '\n'};

[[noreturn]] void corrupt(const std::string& detail) { throw Error(Errc::corrupt, "snapshot", detail); }
[[noreturn]] void crypto_failed(const char* what) {
  throw Error(Errc::internal, "snapshot", std::string("OpenSSL failed to ") + what);
}

void put32(std::byte* p, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) p[i] = static_cast<std::byte>(v >> (8 * i));
}
void put64(std::byte* p, std::uint64_t v) {
  for (int i = 0; i < 8; ++i) p[i] = static_cast<std::byte>(v >> (8 * i));
}
std::uint32_t get32(const std::byte* p) {
  std::uint32_t v = 0;
  for (int i = 0; i < 4; ++i) v |= std::uint32_t{std::to_integer<std::uint8_t>(p[i])} << (8 * i);
  return v;
}

using Digest = std::array<unsigned char, 32>;

// SHA-256 over several pieces.
Digest sha256(std::initializer_list<std::span<const std::byte>> parts) {
  const std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  if (!ctx || EVP_DigestInit_ex(ctx.get(), EVP_sha256(), nullptr) != 1) crypto_failed("start SHA-256");
  for (const auto part : parts)
    if (EVP_DigestUpdate(ctx.get(), part.data(), part.size()) != 1) crypto_failed("hash");
  Digest d{};
  unsigned int n = 0;
  if (EVP_DigestFinal_ex(ctx.get(), d.data(), &n) != 1 || n != d.size()) crypto_failed("finish SHA-256");
  return d;
}

// HKDF-SHA256(key, salt, info) into out.
void hkdf(const SnapshotKey& key, std::span<const std::uint8_t> salt, const char* info, std::span<std::uint8_t> out) {
  EVP_KDF* kdf = EVP_KDF_fetch(nullptr, "HKDF", nullptr);
  if (!kdf) crypto_failed("find HKDF");
  const std::unique_ptr<EVP_KDF_CTX, decltype(&EVP_KDF_CTX_free)> ctx(EVP_KDF_CTX_new(kdf), EVP_KDF_CTX_free);
  EVP_KDF_free(kdf);
  if (!ctx) crypto_failed("start HKDF");
  char digest[] = "SHA256";
  std::array<std::uint8_t, 32> k = key;
  std::array<std::uint8_t, 16> s{};
  std::copy(salt.begin(), salt.end(), s.begin());
  std::string i(info);
  const OSSL_PARAM params[] = {
      OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, digest, 0),
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, k.data(), k.size()),
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, s.data(), s.size()),
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, i.data(), i.size()),
      OSSL_PARAM_construct_end()};
  const int ok = EVP_KDF_derive(ctx.get(), out.data(), out.size(), params);
  OPENSSL_cleanse(k.data(), k.size());
  if (ok != 1) crypto_failed("derive a key");
}

}  // namespace

// The file's data key and a reusable AES-256-GCM context.
struct Cipher {
  std::array<std::uint8_t, 32> key{};
  std::unique_ptr<EVP_CIPHER_CTX, decltype(&EVP_CIPHER_CTX_free)> ctx{EVP_CIPHER_CTX_new(), EVP_CIPHER_CTX_free};
  Cipher(const SnapshotKey& host_key, const std::array<std::uint8_t, 16>& salt) {
    if (!ctx) crypto_failed("start AES-256-GCM");
    hkdf(host_key, salt, "firstvalue snapshot 1: data key", key);
  }
  ~Cipher() { OPENSSL_cleanse(key.data(), key.size()); }
  Cipher(const Cipher&) = delete;
  Cipher& operator=(const Cipher&) = delete;

  static std::array<unsigned char, 12> nonce(std::uint64_t index) {
    std::array<unsigned char, 12> n{};
    for (int i = 0; i < 8; ++i) n[4 + static_cast<std::size_t>(i)] = static_cast<unsigned char>(index >> (8 * i));
    return n;
  }
  // Encrypts (or decrypts) `in` into `out` with `aad`; on encryption writes
  // the tag, on decryption checks it and returns false when it does not hold.
  bool run(bool encrypt, std::uint64_t index, std::span<const std::byte> aad, std::span<const std::byte> in,
           std::byte* out, std::byte* tag) {
    const auto iv = nonce(index);
    auto* c = ctx.get();
    if ((encrypt ? EVP_EncryptInit_ex(c, EVP_aes_256_gcm(), nullptr, key.data(), iv.data())
                 : EVP_DecryptInit_ex(c, EVP_aes_256_gcm(), nullptr, key.data(), iv.data())) != 1)
      crypto_failed("start AES-256-GCM");
    int n = 0;
    auto update = [&](unsigned char* o, const std::byte* i, std::size_t len) {
      const auto* u = reinterpret_cast<const unsigned char*>(i);
      if ((encrypt ? EVP_EncryptUpdate(c, o, &n, u, static_cast<int>(len))
                   : EVP_DecryptUpdate(c, o, &n, u, static_cast<int>(len))) != 1)
        crypto_failed("run AES-256-GCM");
    };
    update(nullptr, aad.data(), aad.size());
    if (!in.empty()) update(reinterpret_cast<unsigned char*>(out), in.data(), in.size());
    unsigned char end[16];
    if (encrypt) {
      if (EVP_EncryptFinal_ex(c, end, &n) != 1 ||
          EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, static_cast<int>(kTagBytes), tag) != 1)
        crypto_failed("finish AES-256-GCM");
      return true;
    }
    if (EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_TAG, static_cast<int>(kTagBytes), tag) != 1)
      crypto_failed("set the GCM tag");
    return EVP_DecryptFinal_ex(c, end, &n) == 1;
  }
};

namespace {

std::array<std::uint8_t, 16> key_check(const SnapshotKey& key, const std::array<std::uint8_t, 16>& salt) {
  std::array<std::uint8_t, 16> check{};
  hkdf(key, salt, "firstvalue snapshot 1: key check", check);
  return check;
}

void encode_header(Header& h) {
  std::byte* b = h.bytes.data();
  std::memcpy(b, kMagic.data(), kMagic.size());
  put32(b + 8, h.format);
  put32(b + 12, h.flags);
  put32(b + 16, h.chunk);
  put32(b + 20, 0);
  std::memcpy(b + 24, h.salt.data(), 16);
  std::memcpy(b + 40, h.key_check.data(), 16);
  const Digest d = sha256({std::span<const std::byte>(b, 56)});
  std::memcpy(b + 56, d.data(), 8);
}

// What a chunk's tag covers besides its content: its position, length and
// flags (and, encrypted, the header).
std::array<std::byte, 16> chunk_position(std::uint64_t index, std::uint32_t length, std::uint32_t flags) {
  std::array<std::byte, 16> p{};
  put64(p.data(), index);
  put32(p.data() + 8, length);
  put32(p.data() + 12, flags);
  return p;
}

}  // namespace

std::string sha256_hex(std::string_view text) {
  const Digest d = sha256({std::as_bytes(std::span(text.data(), text.size()))});
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (const unsigned char c : d) {
    out += kHex[c >> 4];
    out += kHex[c & 15];
  }
  return out;
}

Header read_header(std::span<const std::byte, kHeaderBytes> b, const std::optional<SnapshotKey>& key, bool need_key) {
  if (std::memcmp(b.data(), kMagic.data(), kMagic.size()) != 0) {
    // One byte off is damage (a transfer in text mode changes the \r\n);
    // more is another kind of file.
    std::size_t off = 0;
    for (std::size_t k = 0; k < kMagic.size(); ++k) off += std::to_integer<unsigned char>(b[k]) != kMagic[k];
    if (off == 1) corrupt("the file's signature is damaged (was it copied as text?)");
    throw Error(Errc::invalid, "snapshot", "is not a firstvalue snapshot (its first bytes are not a snapshot's signature)");
  }
  Header h;
  std::copy(b.begin(), b.end(), h.bytes.begin());
  h.format = get32(b.data() + 8);
  // The version is read before the checksum: a newer format may check differently.
  if (h.format > kSnapshotFormat)
    throw Error(Errc::unsupported, "snapshot",
                "was written in format " + std::to_string(h.format) + ", newer than the format " +
                    std::to_string(kSnapshotFormat) + " this firstvalue reads: load it with a newer firstvalue");
  const Digest d = sha256({b.first(56)});
  if (std::memcmp(d.data(), b.data() + 56, 8) != 0) corrupt("its header fails its checksum");
  if (h.format == 0) corrupt("its header names format 0");
  h.flags = get32(b.data() + 12);
  h.chunk = get32(b.data() + 16);
  if (h.flags & ~kFlagEncrypted) corrupt("its header has unknown flags " + std::to_string(h.flags));
  if (h.chunk == 0 || h.chunk > kMaxChunk) corrupt("its header gives chunks of " + std::to_string(h.chunk) + " bytes");
  std::memcpy(h.salt.data(), b.data() + 24, 16);
  std::memcpy(h.key_check.data(), b.data() + 40, 16);
  if (!h.encrypted() && key)
    throw Error(Errc::invalid, "key", "was given, but the snapshot is not encrypted (refused: a plain file must not stand in for an encrypted one)");
  if (!need_key) return h;
  if (h.encrypted() && !key) throw Error(Errc::invalid, "key", "is required: the snapshot is encrypted");
  if (h.encrypted()) {
    const auto check = key_check(*key, h.salt);
    if (CRYPTO_memcmp(check.data(), h.key_check.data(), check.size()) != 0)
      throw Error(Errc::invalid, "key", "does not open this snapshot (it was encrypted with another key)");
  }
  return h;
}

FrameWriter::FrameWriter(Sink sink, const std::optional<SnapshotKey>& key, std::uint32_t chunk) : sink_(std::move(sink)) {
  header_.chunk = std::clamp<std::uint32_t>(chunk, 1, kMaxChunk);
  if (key) {
    header_.flags |= kFlagEncrypted;
    if (RAND_bytes(header_.salt.data(), static_cast<int>(header_.salt.size())) != 1) crypto_failed("draw a salt");
    header_.key_check = key_check(*key, header_.salt);
    cipher_ = std::make_unique<Cipher>(*key, header_.salt);
  }
  encode_header(header_);
  buffer_.reserve(std::min<std::size_t>(header_.chunk, kDefaultChunk));
  sink_(header_.bytes);
}

FrameWriter::~FrameWriter() {
  if (!cipher_) return;  // the plaintext of an encrypted file does not stay in freed memory
  buffer_.resize(buffer_.capacity());
  OPENSSL_cleanse(buffer_.data(), buffer_.size());
}

void FrameWriter::write(const void* data, std::size_t n) {
  if (finished_) throw Error(Errc::internal, "snapshot", "written after its end");
  const auto* p = static_cast<const std::byte*>(data);
  while (n > 0) {
    const std::size_t take = std::min<std::size_t>(n, header_.chunk - buffer_.size());
    buffer_.insert(buffer_.end(), p, p + take);
    p += take;
    n -= take;
    if (buffer_.size() == header_.chunk) flush(false);
  }
}

void FrameWriter::finish() {
  flush(true);
  finished_ = true;
}

void FrameWriter::flush(bool last) {
  const auto length = static_cast<std::uint32_t>(buffer_.size());
  const std::uint32_t flags = last ? kChunkLast : 0;
  frame_.resize(kChunkHead + length + kTagBytes);
  put32(frame_.data(), length);
  put32(frame_.data() + 4, flags);
  std::byte* body = frame_.data() + kChunkHead;
  std::byte* tag = body + length;
  const auto position = chunk_position(index_, length, flags);
  if (cipher_) {
    std::vector<std::byte> aad(header_.bytes.begin(), header_.bytes.end());
    aad.insert(aad.end(), position.begin(), position.end());
    cipher_->run(true, index_, aad, buffer_, body, tag);
  } else {
    if (length > 0) std::memcpy(body, buffer_.data(), length);
    const Digest d = sha256({position, buffer_});
    std::memcpy(tag, d.data(), kTagBytes);
  }
  sink_(frame_);
  ++index_;
  buffer_.clear();
}

FrameReader::FrameReader(Source source, const std::optional<SnapshotKey>& key) : source_(std::move(source)) {
  std::array<std::byte, kHeaderBytes> b{};
  const std::size_t got = fill(b.data(), b.size());
  if (got == 0) throw Error(Errc::invalid, "snapshot", "is empty");
  if (got < b.size()) {
    if (std::memcmp(b.data(), kMagic.data(), std::min(got, kMagic.size())) == 0)
      corrupt("is truncated: " + std::to_string(got) + " bytes, shorter than its header");
    throw Error(Errc::invalid, "snapshot", "is not a firstvalue snapshot (" + std::to_string(got) + " bytes)");
  }
  header_ = read_header(b, key);
  if (header_.encrypted()) cipher_ = std::make_unique<Cipher>(*key, header_.salt);
}

FrameReader::~FrameReader() {
  if (!cipher_) return;
  chunk_.resize(chunk_.capacity());
  OPENSSL_cleanse(chunk_.data(), chunk_.size());
}

std::size_t FrameReader::fill(std::byte* at, std::size_t n) {
  std::size_t got = 0;
  while (got < n) {
    const std::size_t k = source_({at + got, n - got});
    if (k == 0) break;
    got += k;
  }
  return got;
}

bool FrameReader::next_chunk() {
  if (last_seen_) return false;
  std::array<std::byte, kChunkHead> head{};
  const std::size_t got = fill(head.data(), head.size());
  if (got < head.size())
    corrupt("is truncated: it ends " + std::string(got == 0 ? "before" : "inside") + " chunk " + std::to_string(index_) +
            ", and its last chunk is missing");
  const std::uint32_t length = get32(head.data()), flags = get32(head.data() + 4);
  if (length > header_.chunk)
    corrupt("chunk " + std::to_string(index_) + " claims " + std::to_string(length) + " bytes, more than the " +
            std::to_string(header_.chunk) + " of a chunk");
  if (flags & ~kChunkLast) corrupt("chunk " + std::to_string(index_) + " has unknown flags " + std::to_string(flags));
  frame_.resize(length + kTagBytes);
  if (fill(frame_.data(), frame_.size()) < frame_.size())
    corrupt("is truncated: it ends inside chunk " + std::to_string(index_));
  const auto position = chunk_position(index_, length, flags);
  const std::span<const std::byte> body(frame_.data(), length);
  std::byte* tag = frame_.data() + length;
  chunk_.resize(length);
  if (cipher_) {
    std::vector<std::byte> aad(header_.bytes.begin(), header_.bytes.end());
    aad.insert(aad.end(), position.begin(), position.end());
    if (!cipher_->run(false, index_, aad, body, chunk_.data(), tag))
      corrupt("chunk " + std::to_string(index_) + " fails authentication: the file was damaged or tampered with");
  } else {
    const Digest d = sha256({position, body});
    if (std::memcmp(d.data(), tag, kTagBytes) != 0)
      corrupt("chunk " + std::to_string(index_) + " fails its checksum: the file is damaged");
    if (length > 0) std::memcpy(chunk_.data(), body.data(), length);
  }
  pos_ = 0;
  ++index_;
  last_seen_ = flags & kChunkLast;
  if (!last_seen_ && length == 0) corrupt("chunk " + std::to_string(index_ - 1) + " is empty but not the last");
  return true;
}

void FrameReader::read(void* data, std::size_t n) {
  auto* out = static_cast<std::byte*>(data);
  while (n > 0) {
    if (pos_ == chunk_.size() && !next_chunk()) corrupt("ends in the middle of its content");
    const std::size_t take = std::min(n, chunk_.size() - pos_);
    if (take == 0) continue;  // an empty last chunk: the next turn says the content ended
    std::memcpy(out, chunk_.data() + pos_, take);
    out += take;
    pos_ += take;
    n -= take;
  }
}

void FrameReader::finish() {
  if (pos_ != chunk_.size()) corrupt("has content after its end record");
  // The writer ends with an empty last chunk when the content filled the one before.
  while (next_chunk())
    if (!chunk_.empty()) corrupt("has content after its end record");
  std::byte extra{};
  if (fill(&extra, 1) != 0) corrupt("has bytes after its last chunk");
}

}  // namespace firstvalue::snapshot_detail
