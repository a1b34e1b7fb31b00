#pragma once
// A dictionary-encoded string column, read where the host keeps it. At a
// million accounts the users' dictionary holds 17M strings: a copy of their
// views alone (16 bytes each) would cost more than the accounts' states, so
// the values are read in the host's own layout instead: string_views,
// std::strings, C pointers with or without lengths, or any other through a
// reader function.

#include <concepts>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <iterator>
#include <span>
#include <string>
#include <string_view>

namespace firstvalue {

class DictionaryValues {
 public:
  // Value i of the host's layout. Called from several threads at once, with
  // no lock held: it must only read.
  using Reader = std::string_view (*)(const void* context, std::size_t i) noexcept;

  DictionaryValues() = default;
  DictionaryValues(std::span<const std::string_view> views) noexcept  // NOLINT(google-explicit-constructor)
      : kind_(Kind::views), data_(views.data()), size_(views.size()) {}
  DictionaryValues(std::span<const std::string> strings) noexcept  // NOLINT(google-explicit-constructor)
      : kind_(Kind::strings), data_(strings.data()), size_(strings.size()) {}
  template <class Range>
    requires std::convertible_to<const Range&, std::span<const std::string_view>>
  DictionaryValues(const Range& views) noexcept  // NOLINT(google-explicit-constructor)
      : DictionaryValues(std::span<const std::string_view>(views)) {}
  template <class Range>
    requires std::convertible_to<const Range&, std::span<const std::string>> &&
             (!std::convertible_to<const Range&, std::span<const std::string_view>>)
  DictionaryValues(const Range& strings) noexcept  // NOLINT(google-explicit-constructor)
      : DictionaryValues(std::span<const std::string>(strings)) {}

  // C strings: values[i] has lengths[i] bytes, or ends at its NUL when
  // `lengths` is null. A null values[i] reads as "".
  static DictionaryValues pointers(const char* const* values, const std::size_t* lengths, std::size_t n) noexcept {
    DictionaryValues d;
    d.kind_ = Kind::pointers;
    d.data_ = values;
    d.lengths_ = lengths;
    d.size_ = n;
    return d;
  }
  // Any other layout. `objects`, when the host has them, are where each value
  // lives (e.g. a Python list's str objects): they are fetched ahead of
  // `read`, which matters when rows name values in random order.
  static DictionaryValues read_by(Reader read, const void* context, std::size_t n,
                                  const void* const* objects = nullptr) noexcept {
    DictionaryValues d;
    d.kind_ = Kind::reader;
    d.read_ = read;
    d.context_ = context;
    d.data_ = objects;
    d.size_ = n;
    return d;
  }

  std::size_t size() const noexcept { return size_; }
  bool empty() const noexcept { return size_ == 0; }

  std::string_view operator[](std::size_t i) const noexcept {
    switch (kind_) {
      case Kind::views: return static_cast<const std::string_view*>(data_)[i];
      case Kind::strings: return static_cast<const std::string*>(data_)[i];
      case Kind::pointers: {
        const char* s = static_cast<const char* const*>(data_)[i];
        if (s == nullptr) return {};
        return {s, lengths_ ? lengths_[i] : std::strlen(s)};
      }
      case Kind::reader: return read_(context_, i);
    }
    return {};
  }

  // Hints for a value about to be read at random: first where its text is
  // recorded, then (once that has arrived) the text itself.
  void prefetch_slot(std::size_t i) const noexcept {
    switch (kind_) {
      case Kind::views: __builtin_prefetch(static_cast<const std::string_view*>(data_) + i); break;
      case Kind::strings: __builtin_prefetch(static_cast<const std::string*>(data_) + i); break;
      case Kind::pointers:
        __builtin_prefetch(static_cast<const char* const*>(data_) + i);
        if (lengths_) __builtin_prefetch(lengths_ + i);
        break;
      case Kind::reader:
        if (data_) __builtin_prefetch(static_cast<const void* const*>(data_) + i);
        break;
    }
  }
  void prefetch_text(std::size_t i) const noexcept {
    switch (kind_) {
      case Kind::views: __builtin_prefetch(static_cast<const std::string_view*>(data_)[i].data()); break;
      case Kind::strings: __builtin_prefetch(static_cast<const std::string*>(data_)[i].data()); break;
      case Kind::pointers: __builtin_prefetch(static_cast<const char* const*>(data_)[i]); break;
      case Kind::reader:
        if (data_) __builtin_prefetch(static_cast<const void* const*>(data_)[i]);
        break;
    }
  }

  // For range-for and copies of a dictionary.
  class iterator {
   public:
    using iterator_category = std::forward_iterator_tag;
    using value_type = std::string_view;
    using difference_type = std::ptrdiff_t;
    using pointer = void;
    using reference = std::string_view;
    iterator() = default;
    iterator(const DictionaryValues* d, std::size_t i) noexcept : d_(d), i_(i) {}
    std::string_view operator*() const noexcept { return (*d_)[i_]; }
    iterator& operator++() noexcept { return ++i_, *this; }
    iterator operator++(int) noexcept { return {d_, i_++}; }
    bool operator==(const iterator& o) const noexcept { return i_ == o.i_; }

   private:
    const DictionaryValues* d_ = nullptr;
    std::size_t i_ = 0;
  };
  iterator begin() const noexcept { return {this, 0}; }
  iterator end() const noexcept { return {this, size_}; }

 private:
  enum class Kind : std::uint8_t { views, strings, pointers, reader };
  Kind kind_ = Kind::views;
  const void* data_ = nullptr;
  const std::size_t* lengths_ = nullptr;
  Reader read_ = nullptr;
  const void* context_ = nullptr;
  std::size_t size_ = 0;
};

// One dictionary-encoded string column: codes[row] indexes values, and a
// negative code means "none" for that row. A dictionary of at most 127 values
// may give one-byte codes in `small_codes` instead (as pandas stores a small
// categorical's codes), which spares widening a column of 100M rows.
struct Dictionary {
  std::span<const std::int32_t> codes;
  DictionaryValues values;
  std::span<const std::int8_t> small_codes = {};  // used when `codes` is empty

  bool empty() const noexcept { return codes.empty() && small_codes.empty(); }
  std::size_t rows() const noexcept { return codes.empty() ? small_codes.size() : codes.size(); }
  std::int32_t code(std::size_t row) const noexcept { return codes.empty() ? small_codes[row] : codes[row]; }
};

}  // namespace firstvalue
