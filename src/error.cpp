#include "firstvalue/error.hpp"

#include "text.hpp"

namespace firstvalue {
namespace {

std::string render(const std::string& path, const std::string& detail) {
  return path.empty() ? detail : path + ": " + detail;
}

}  // namespace

const char* errc_name(Errc code) noexcept {
  switch (code) {
    case Errc::invalid: return "invalid";
    case Errc::not_found: return "not_found";
    case Errc::forbidden: return "forbidden";
    case Errc::io: return "io";
    case Errc::buffer_too_small: return "buffer_too_small";
    case Errc::cancelled: return "cancelled";
    case Errc::corrupt: return "corrupt";
    case Errc::unsupported: return "unsupported";
    case Errc::internal: return "internal";
  }
  return "unknown";
}

// An error's text crosses into JSON, Python and C hosts' logs, so any byte
// of outside input that is not UTF-8 is spelled \xNN, whatever quoted it.
Error::Error(Errc code, std::string path, std::string detail)
    : Error(code, firstvalue::detail::printable(path), firstvalue::detail::printable(detail), 0) {}

Error::Error(Errc code, std::string&& path, std::string&& detail, int)
    : std::runtime_error(render(path, detail)),
      code_(code),
      path_(std::move(path)),
      detail_(std::move(detail)) {}

Error Error::under(std::string_view parent) const {
  return Error(code_, join_path(parent, path_), detail_);
}

std::string join_path(std::string_view parent, std::string_view child) {
  if (parent.empty()) return std::string(child);
  if (child.empty()) return std::string(parent);
  std::string out(parent);
  if (child.front() != '[') out += '.';
  out += child;
  return out;
}

std::string index_path(std::string_view parent, std::size_t index) {
  return std::string(parent) + "[" + std::to_string(index) + "]";
}

void throw_invalid(std::string path, std::string detail) {
  throw Error(Errc::invalid, std::move(path), std::move(detail));
}

}  // namespace firstvalue
