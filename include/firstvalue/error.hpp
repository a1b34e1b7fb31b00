#pragma once
// One error type for the whole engine. Every rejection names the field path
// that caused it, e.g. `factors[1].curve.points[2]: x must be increasing`, so a
// user can find the offending line in a 300-line template without guessing.

#include <stdexcept>
#include <string>
#include <string_view>

namespace firstvalue {

// The values equal the C ABI's fv_status codes, so the translation is a cast.
enum class Errc : int {
  invalid = -1,     // bad input: malformed JSON, failed validation, bad argument
  not_found = -2,   // a named thing does not exist
  forbidden = -3,   // the caller may not touch this (another organization's data)
  io = -4,          // the file system failed
  buffer_too_small = -5,
  cancelled = -6,
  corrupt = -7,      // a snapshot is damaged or was tampered with
  unsupported = -8,  // a snapshot of a newer format than this library reads
  internal = -99,   // a bug in firstvalue
};

const char* errc_name(Errc code) noexcept;

class Error : public std::runtime_error {
 public:
  Error(Errc code, std::string path, std::string detail);

  Errc code() const noexcept { return code_; }
  // Field path such as `factors[1].weight`; empty when the error is about the whole input.
  const std::string& path() const noexcept { return path_; }
  // The message without the path.
  const std::string& detail() const noexcept { return detail_; }

  // The same error seen from one level up: `weight` under `factors[1]` becomes
  // `factors[1].weight`.
  Error under(std::string_view parent) const;

 private:
  Error(Errc code, std::string&& path, std::string&& detail, int);  // both already printable
  Errc code_;
  std::string path_;
  std::string detail_;
};

// Builds `parent.child` or `parent[3]`, leaving out empty pieces.
std::string join_path(std::string_view parent, std::string_view child);
std::string index_path(std::string_view parent, std::size_t index);

[[noreturn]] void throw_invalid(std::string path, std::string detail);

}  // namespace firstvalue
