#pragma once
// The safe expression language of template conditions, entry/exit criteria and
// milestone completion criteria, e.g.
//   lifecycle == "new_customer" and arr >= 100000
//   tier in ["enterprise", "mid_market"] and not has_sso
// It can only compare attributes with literals and combine the results: there
// is no arithmetic, no function call and nothing that could run code, so a
// template author cannot hurt the engine. Size and nesting are bounded so that
// neither parsing nor evaluation can exhaust the stack.
//
// An expression is parsed once and then evaluated for millions of accounts, so
// it is compiled to postfix code over variable slots: evaluation looks no name
// up and allocates nothing unless the result itself is a string.

#include <cstddef>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace firstvalue {

// An attribute value; monostate means the attribute is unknown for the account.
using Value = std::variant<std::monostate, bool, double, std::string>;

namespace detail {
struct ExprProgram;  // the compiled form, private to src/expr.cpp
}

inline constexpr std::size_t kExprMaxSourceBytes = 64 * 1024;
inline constexpr int kExprMaxDepth = 64;  // nested parentheses

class Expr {
 public:
  // Throws Error(Errc::invalid, "", "column N: ...") naming the 1-based byte
  // column of the offending token; callers add the field path with Error::under.
  static Expr parse(std::string_view source);

  const std::string& source() const noexcept;
  // Distinct variable names in order of first appearance; `goal.meetings_per_sdr`
  // is one name.
  const std::vector<std::string>& variables() const noexcept;

  // values[i] is the value of variables()[i]. Throws Error(invalid) for an
  // unknown attribute that matters (`and`/`or` short-circuit), a type mismatch,
  // or a values span of the wrong size.
  Value evaluate(std::span<const Value> values) const;
  // As evaluate, and the result must be true or false.
  bool test(std::span<const Value> values) const;

  // Convenience for one-off use: each variable is looked up through `lookup`,
  // which returns monostate for an unknown attribute.
  Value evaluate(const std::function<Value(std::string_view)>& lookup) const;
  bool test(const std::function<Value(std::string_view)>& lookup) const;

  // Two expressions are equal when their sources are byte-for-byte equal.
  bool operator==(const Expr& other) const noexcept;

 private:
  explicit Expr(std::shared_ptr<const detail::ExprProgram> program) noexcept;

  // Immutable once parsed, so copies share it.
  std::shared_ptr<const detail::ExprProgram> program_;
};

}  // namespace firstvalue
