#include "firstvalue/expr.hpp"

#include <array>
#include <charconv>
#include <cstdint>
#include <string>
#include <system_error>
#include <type_traits>
#include <unordered_map>
#include <utility>

#include "firstvalue/error.hpp"
#include "text.hpp"

namespace firstvalue {
namespace {

// ---------------------------------------------------------------------------
// Tokens

enum class Tok : std::uint8_t {
  end, number, string, name,
  kw_true, kw_false, kw_and, kw_or, kw_not, kw_in,
  eq, ne, lt, le, gt, ge,
  lparen, rparen, lbracket, rbracket, comma,
};

struct Token {
  Tok kind = Tok::end;
  std::uint32_t begin = 0;  // byte offsets into the source
  std::uint32_t end = 0;
  double number = 0;
  std::string text;  // a string literal's decoded contents

  std::size_t column() const noexcept { return std::size_t{begin} + 1; }
};

bool is_comparison(Tok t) noexcept { return t >= Tok::eq && t <= Tok::ge; }
bool is_name_start(char c) noexcept {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_';
}
bool is_digit(char c) noexcept { return c >= '0' && c <= '9'; }
bool is_name_char(char c) noexcept { return is_name_start(c) || is_digit(c); }

[[noreturn]] void fail_at(std::size_t column, const std::string& what) {
  throw_invalid("", "column " + std::to_string(column) + ": " + what);
}

// Keeps a message readable when the offending token is a 60 KiB name.
std::string shorten(std::string_view text) {
  constexpr std::size_t kShown = 32;
  return text.size() > kShown ? std::string(text.substr(0, kShown)) + "..." : std::string(text);
}

std::string quoted(std::string_view text) {
  std::string out(1, '"');
  out += shorten(text);
  out += '"';
  return out;
}

std::string byte_text(char c) {
  const auto u = static_cast<unsigned char>(c);
  if (u >= 0x20 && u < 0x7f) return quoted(std::string_view(&c, 1));
  static constexpr char kHex[] = "0123456789abcdef";
  return std::string("byte 0x") + kHex[u >> 4] + kHex[u & 0xf];
}

// ---------------------------------------------------------------------------
// Lexer: the whole source becomes a token vector first, so the parser can look
// one token ahead for `not in`.

class Lexer {
 public:
  explicit Lexer(std::string_view source) : src_(source) {}

  std::vector<Token> run() {
    std::vector<Token> out;
    for (;;) {
      skip_space();
      out.push_back(next());
      if (out.back().kind == Tok::end) return out;
    }
  }

 private:
  void skip_space() {
    while (pos_ < src_.size() &&
           (src_[pos_] == ' ' || src_[pos_] == '\t' || src_[pos_] == '\n' || src_[pos_] == '\r'))
      ++pos_;
  }

  Token make(Tok kind, std::size_t begin, std::size_t end) const {
    Token t;
    t.kind = kind;
    t.begin = static_cast<std::uint32_t>(begin);
    t.end = static_cast<std::uint32_t>(end);
    return t;
  }

  Token punct(Tok kind, std::size_t length) {
    const std::size_t begin = pos_;
    pos_ += length;
    return make(kind, begin, pos_);
  }

  char peek(std::size_t ahead = 0) const noexcept {
    return pos_ + ahead < src_.size() ? src_[pos_ + ahead] : '\0';
  }

  Token next() {
    if (pos_ >= src_.size()) return make(Tok::end, pos_, pos_);
    const char c = src_[pos_];
    const char d = peek(1);
    switch (c) {
      case '(': return punct(Tok::lparen, 1);
      case ')': return punct(Tok::rparen, 1);
      case '[': return punct(Tok::lbracket, 1);
      case ']': return punct(Tok::rbracket, 1);
      case ',': return punct(Tok::comma, 1);
      case '<': return d == '=' ? punct(Tok::le, 2) : punct(Tok::lt, 1);
      case '>': return d == '=' ? punct(Tok::ge, 2) : punct(Tok::gt, 1);
      case '=':
        if (d == '=') return punct(Tok::eq, 2);
        fail_at(pos_ + 1, "unexpected \"=\" (did you mean \"==\"?)");
      case '!':
        if (d == '=') return punct(Tok::ne, 2);
        fail_at(pos_ + 1, "unexpected \"!\" (did you mean \"not\" or \"!=\"?)");
      case '&': fail_at(pos_ + 1, "unexpected \"&\" (did you mean \"and\"?)");
      case '|': fail_at(pos_ + 1, "unexpected \"|\" (did you mean \"or\"?)");
      case '"':
      case '\'': return string_literal();
      default: break;
    }
    if (is_digit(c) || c == '-' || (c == '.' && is_digit(d))) return number();
    if (is_name_start(c)) return name();
    fail_at(pos_ + 1, "unexpected " + byte_text(c));
  }

  Token string_literal() {
    const std::size_t begin = pos_;
    const char quote = src_[pos_++];
    std::string text;
    while (pos_ < src_.size() && src_[pos_] != quote) {
      if (src_[pos_] != '\\') {
        text += src_[pos_++];
        continue;
      }
      if (pos_ + 1 >= src_.size()) fail_at(begin + 1, "unterminated string");
      const char e = src_[pos_ + 1];
      switch (e) {
        case '"': text += '"'; break;
        case '\'': text += '\''; break;
        case '\\': text += '\\'; break;
        case 'n': text += '\n'; break;
        case 't': text += '\t'; break;
        default:
          fail_at(pos_ + 1, "unknown escape \"\\" + std::string(1, e) +
                                "\" in string (use \\\", \\', \\\\, \\n or \\t)");
      }
      pos_ += 2;
    }
    if (pos_ >= src_.size()) fail_at(begin + 1, "unterminated string");
    ++pos_;  // the closing quote
    Token t = make(Tok::string, begin, pos_);
    t.text = std::move(text);
    return t;
  }

  void digits() {
    while (is_digit(peek())) ++pos_;
  }

  Token number() {
    const std::size_t begin = pos_;
    if (peek() == '-') {
      ++pos_;
      if (!is_digit(peek()) && !(peek() == '.' && is_digit(peek(1))))
        fail_at(begin + 1, "expected a number after \"-\"");
    }
    digits();
    if (peek() == '.') {
      ++pos_;
      digits();
    }
    if ((peek() == 'e' || peek() == 'E') &&
        (is_digit(peek(1)) || ((peek(1) == '+' || peek(1) == '-') && is_digit(peek(2))))) {
      pos_ += 2;
      digits();
    }
    if (is_name_char(peek()) || peek() == '.') {
      while (is_name_char(peek()) || peek() == '.') ++pos_;
      fail_at(begin + 1, "invalid number " + quoted(src_.substr(begin, pos_ - begin)));
    }
    const std::string_view text = src_.substr(begin, pos_ - begin);
    double value = 0;
    const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec == std::errc::result_out_of_range)
      fail_at(begin + 1, "number out of range " + quoted(text));
    if (ec != std::errc() || ptr != text.data() + text.size())
      fail_at(begin + 1, "invalid number " + quoted(text));
    Token t = make(Tok::number, begin, pos_);
    t.number = value;
    return t;
  }

  Token name() {
    const std::size_t begin = pos_;
    for (;;) {
      while (is_name_char(peek())) ++pos_;
      if (peek() != '.') break;
      if (!is_name_start(peek(1))) fail_at(pos_ + 2, "expected a name after \".\"");
      ++pos_;
    }
    const std::string_view text = src_.substr(begin, pos_ - begin);
    return make(keyword(text), begin, pos_);
  }

  static Tok keyword(std::string_view text) noexcept {
    if (text == "and") return Tok::kw_and;
    if (text == "or") return Tok::kw_or;
    if (text == "not") return Tok::kw_not;
    if (text == "in") return Tok::kw_in;
    if (text == "true") return Tok::kw_true;
    if (text == "false") return Tok::kw_false;
    return Tok::name;
  }

  std::string_view src_;
  std::size_t pos_ = 0;
};

// ---------------------------------------------------------------------------
// Compiled form

enum class Op : std::uint8_t {
  push_var,    // a = variable index
  push_const,  // a = constant index
  compare,     // cmp = operator; pops two, pushes a boolean
  member,      // a = first list item, b = item count, negate = `not in`
  negate,      // `not`
  and_jump,    // top must be boolean: false jumps to a keeping it, true pops it
  or_jump,     // top must be boolean: true jumps to a keeping it, false pops it
  check_bool,  // the last operand of an and/or chain must be boolean
  // Fused forms of the most common shapes, `arr >= 100000` and `tier in [...]`,
  // which skip the operand pushes.
  compare_var_const,  // a = variable, b = constant; pushes a boolean
  member_var,         // as member, for variable c
};

enum class Cmp : std::uint8_t { eq, ne, lt, le, gt, ge };

struct Instr {
  Op op;
  Cmp cmp = Cmp::eq;
  bool negate = false;  // member: `not in`; check_bool: the chain is `or`
  std::uint32_t a = 0;
  std::uint32_t b = 0;
  std::uint32_t column = 0;  // of the operator, for evaluation errors
  std::uint32_t c = 0;       // member_var: the variable
};

const char* cmp_text(Cmp c) noexcept {
  switch (c) {
    case Cmp::eq: return "==";
    case Cmp::ne: return "!=";
    case Cmp::lt: return "<";
    case Cmp::le: return "<=";
    case Cmp::gt: return ">";
    case Cmp::ge: return ">=";
  }
  return "?";
}

Cmp to_cmp(Tok t) noexcept {
  switch (t) {
    case Tok::ne: return Cmp::ne;
    case Tok::lt: return Cmp::lt;
    case Tok::le: return Cmp::le;
    case Tok::gt: return Cmp::gt;
    case Tok::ge: return Cmp::ge;
    default: return Cmp::eq;
  }
}

// Deep enough for kExprMaxDepth nested comparisons, each holding a pending left
// operand; the parser measures the real need and refuses anything beyond.
constexpr std::size_t kStackCapacity = 2 * static_cast<std::size_t>(kExprMaxDepth) + 8;

}  // namespace

namespace detail {
struct ExprProgram {
  std::string source;
  std::vector<std::string> variables;
  std::vector<Instr> code;
  std::vector<Value> constants;
  std::vector<Value> list_items;  // every `in` list, back to back
};
}  // namespace detail
using detail::ExprProgram;

namespace {

// ---------------------------------------------------------------------------
// Parser: recursive descent that emits postfix code as it goes. Recursion only
// happens through parentheses, which are capped at kExprMaxDepth; chains of
// `and`, `or` and `not` are loops.

class Parser {
 public:
  Parser(std::string_view source, std::vector<Token> tokens, ExprProgram& out)
      : src_(source), toks_(std::move(tokens)), out_(out) {}

  void run() {
    if (peek().kind == Tok::end) fail_at(1, "empty expression");
    parse_or();
    const Token& t = peek();
    if (t.kind == Tok::rparen) fail_at(t.column(), "unexpected \")\" (no matching \"(\")");
    if (t.kind != Tok::end)
      fail_at(t.column(), "unexpected " + describe(t) +
                              " (expected \"and\", \"or\", a comparison or the end)" +
                              keyword_hint(t));
  }

 private:
  const Token& peek(std::size_t ahead = 0) const noexcept {
    const std::size_t i = pos_ + ahead;
    return i < toks_.size() ? toks_[i] : toks_.back();
  }
  const Token& advance() noexcept { return toks_[pos_++]; }

  std::string_view text(const Token& t) const { return src_.substr(t.begin, t.end - t.begin); }

  std::string describe(const Token& t) const {
    switch (t.kind) {
      case Tok::end: return "end of expression";
      case Tok::name: return "name " + quoted(text(t));
      case Tok::number: return "number " + std::string(text(t));
      case Tok::string: return "string " + shorten(text(t));
      default: return quoted(text(t));
    }
  }

  // `AND`, `True`: a name that is a keyword in the wrong case.
  std::string keyword_hint(const Token& t) const {
    if (t.kind != Tok::name) return "";
    std::string lower(text(t));
    for (char& c : lower)
      if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    for (const char* kw : {"and", "or", "not", "in", "true", "false"})
      if (lower == kw) return std::string(" (keywords are lowercase: \"") + kw + "\")";
    return "";
  }

  void emit(Instr in, int stack_effect) {
    out_.code.push_back(in);
    depth_now_ += stack_effect;
    if (depth_now_ > static_cast<int>(kStackCapacity))
      throw Error(Errc::internal, "", "expression needs too deep an evaluation stack");
  }

  std::uint32_t here() const noexcept { return static_cast<std::uint32_t>(out_.code.size()); }

  // An and/or chain: every operand but the last is followed by a jump that
  // short-circuits to the end of the chain.
  void parse_chain(Tok op_token, Op jump) {
    parse_chain_operand(op_token);
    if (peek().kind != op_token) return;
    std::vector<std::uint32_t> jumps;
    std::uint32_t op_column = static_cast<std::uint32_t>(peek().column());
    bool first = true;
    while (peek().kind == op_token) {
      const std::uint32_t column = static_cast<std::uint32_t>(advance().column());
      // Operand 0 is the left operand of the first operator; operand i the right of operator i.
      jumps.push_back(here());
      emit({jump, Cmp::eq, false, 0, 0, first ? column : op_column}, -1);
      op_column = column;
      first = false;
      parse_chain_operand(op_token);
    }
    emit({Op::check_bool, Cmp::eq, op_token == Tok::kw_or, 0, 0, op_column}, 0);
    for (const std::uint32_t j : jumps) out_.code[j].a = here();
  }

  void parse_chain_operand(Tok op_token) {
    if (op_token == Tok::kw_or)
      parse_chain(Tok::kw_and, Op::and_jump);
    else
      parse_not();
  }

  void parse_or() { parse_chain(Tok::kw_or, Op::or_jump); }

  void parse_not() {
    std::vector<std::uint32_t> columns;
    while (peek().kind == Tok::kw_not) columns.push_back(static_cast<std::uint32_t>(advance().column()));
    parse_comparison();
    for (auto it = columns.rbegin(); it != columns.rend(); ++it)
      emit({Op::negate, Cmp::eq, false, 0, 0, *it}, 0);
  }

  bool at_comparison() const noexcept {
    const Tok k = peek().kind;
    return is_comparison(k) || k == Tok::kw_in ||
           (k == Tok::kw_not && peek(1).kind == Tok::kw_in);
  }

  void parse_comparison() {
    parse_primary();
    if (!at_comparison()) {
      if (peek().kind == Tok::kw_not)
        fail_at(peek(1).column(), "expected \"in\" after \"not\", got " + describe(peek(1)));
      return;
    }
    const Token& op = advance();
    const std::uint32_t column = static_cast<std::uint32_t>(op.column());
    if (is_comparison(op.kind)) {
      parse_primary();
      emit({Op::compare, to_cmp(op.kind), false, 0, 0, column}, -1);
      fuse_compare();
    } else {
      const bool negated = op.kind == Tok::kw_not;
      if (negated) advance();  // `in`
      parse_list(column, negated);
    }
    if (at_comparison())
      fail_at(peek().column(), "comparisons cannot be chained; join them with \"and\"");
  }

  void parse_list(std::uint32_t column, bool negated) {
    const Token& open = peek();
    if (open.kind != Tok::lbracket)
      fail_at(open.column(), "expected \"[\" after \"in\", got " + describe(open));
    advance();
    const auto first = static_cast<std::uint32_t>(out_.list_items.size());
    if (peek().kind != Tok::rbracket) {
      for (;;) {
        const Token& item = peek();
        if (!is_literal(item.kind))
          fail_at(item.column(), "expected a literal in the list, got " + describe(item) +
                                     (item.kind == Tok::name ? " (list elements must be literals)" : ""));
        out_.list_items.push_back(literal(advance()));
        if (peek().kind == Tok::rbracket) break;
        if (peek().kind != Tok::comma)
          fail_at(peek().column(), "expected \",\" or \"]\" in the list, got " + describe(peek()));
        advance();
      }
    }
    advance();  // `]`
    const auto count = static_cast<std::uint32_t>(out_.list_items.size()) - first;
    emit({Op::member, Cmp::eq, negated, first, count, column}, 0);
    fuse_member();
  }

  // push_var, push_const, compare  ->  compare_var_const
  void fuse_compare() {
    auto& code = out_.code;
    const std::size_t n = code.size();
    if (n < 3 || code[n - 3].op != Op::push_var || code[n - 2].op != Op::push_const) return;
    Instr fused = code[n - 1];
    fused.op = Op::compare_var_const;
    fused.a = code[n - 3].a;
    fused.b = code[n - 2].a;
    code.resize(n - 3);
    code.push_back(fused);
  }

  // push_var, member  ->  member_var
  void fuse_member() {
    auto& code = out_.code;
    const std::size_t n = code.size();
    if (n < 2 || code[n - 2].op != Op::push_var) return;
    Instr fused = code[n - 1];
    fused.op = Op::member_var;
    fused.c = code[n - 2].a;
    code.resize(n - 2);
    code.push_back(fused);
  }

  static bool is_literal(Tok k) noexcept {
    return k == Tok::number || k == Tok::string || k == Tok::kw_true || k == Tok::kw_false;
  }

  static Value literal(const Token& t) {
    switch (t.kind) {
      case Tok::number: return t.number;
      case Tok::kw_true: return true;
      case Tok::kw_false: return false;
      default: return t.text;
    }
  }

  void parse_primary() {
    const Token& t = peek();
    if (is_literal(t.kind)) {
      out_.constants.push_back(literal(advance()));
      emit({Op::push_const, Cmp::eq, false, static_cast<std::uint32_t>(out_.constants.size() - 1), 0, 0}, 1);
      return;
    }
    if (t.kind == Tok::name) {
      emit({Op::push_var, Cmp::eq, false, variable(text(advance())), 0, 0}, 1);
      return;
    }
    if (t.kind == Tok::lparen) {
      parse_group();
      return;
    }
    std::string what = "expected a value";
    if (pos_ > 0) what += " after " + quoted(text(toks_[pos_ - 1]));
    if (t.kind != Tok::end) what += ", got " + describe(t);
    fail_at(t.column(), what);
  }

  void parse_group() {
    const Token& open = advance();
    if (nesting_ == kExprMaxDepth)
      fail_at(open.column(), "nesting deeper than " + std::to_string(kExprMaxDepth) + " levels");
    ++nesting_;
    parse_or();
    const Token& close = peek();
    if (close.kind != Tok::rparen)
      fail_at(close.column(), "expected \")\" to close \"(\" at column " +
                                  std::to_string(open.column()) + ", got " + describe(close) +
                                  keyword_hint(close));
    advance();
    --nesting_;
  }

  std::uint32_t variable(std::string_view name) {
    const auto [it, inserted] =
        index_.try_emplace(std::string(name), static_cast<std::uint32_t>(out_.variables.size()));
    if (inserted) out_.variables.emplace_back(name);
    return it->second;
  }

  std::string_view src_;
  std::vector<Token> toks_;
  ExprProgram& out_;
  std::size_t pos_ = 0;
  int nesting_ = 0;
  int depth_now_ = 0;
  std::unordered_map<std::string, std::uint32_t> index_;
};

// ---------------------------------------------------------------------------
// Evaluation

enum class Kind : std::uint8_t { unknown, boolean, number, string };

// One stack entry. Strings point into the caller's values or the program's
// constants, both of which outlive the evaluation. Raw pointer and size rather
// than a string_view keep the type trivial, so the stack array costs nothing to
// set up.
struct Slot {
  Kind kind;
  bool boolean;
  std::uint32_t var;  // which variable an unknown came from, for the message
  double number;
  const char* chars;
  std::size_t size;

  std::string_view text() const noexcept { return {chars, size}; }
};
static_assert(std::is_trivially_default_constructible_v<Slot>);

constexpr std::uint32_t kNoVariable = ~std::uint32_t{0};

Slot load(const Value& v, std::uint32_t var) noexcept {
  Slot s{Kind::unknown, false, var, 0.0, nullptr, 0};
  switch (v.index()) {
    case 1: s.kind = Kind::boolean; s.boolean = *std::get_if<bool>(&v); break;
    case 2: s.kind = Kind::number; s.number = *std::get_if<double>(&v); break;
    case 3: {
      const std::string& t = *std::get_if<std::string>(&v);
      s.kind = Kind::string;
      s.chars = t.data();
      s.size = t.size();
      break;
    }
    default: break;
  }
  return s;
}

Slot boolean_slot(bool b) noexcept { return Slot{Kind::boolean, b, kNoVariable, 0.0, nullptr, 0}; }

const char* kind_name(Kind k) noexcept {
  switch (k) {
    case Kind::boolean: return "boolean";
    case Kind::number: return "number";
    case Kind::string: return "string";
    case Kind::unknown: break;
  }
  return "unknown";
}

[[noreturn]] void fail_unknown(const ExprProgram& p, const Slot& s) {
  const std::string& name = p.variables.at(s.var);  // only variables can be unknown
  throw_invalid("", "unknown attribute " + detail::quoted(name));
}

[[noreturn]] void fail_not_boolean(const ExprProgram& p, const Slot& s, const char* op,
                                   std::uint32_t column) {
  if (s.kind == Kind::unknown) fail_unknown(p, s);
  fail_at(column, std::string("\"") + op + "\" needs true/false, got " + kind_name(s.kind));
}

template <class T>
bool ordered(Cmp c, const T& l, const T& r) noexcept {
  switch (c) {
    case Cmp::eq: return l == r;
    case Cmp::ne: return l != r;
    case Cmp::lt: return l < r;
    case Cmp::le: return l <= r;
    case Cmp::gt: return l > r;
    case Cmp::ge: return l >= r;
  }
  return false;
}

bool compare(const ExprProgram& p, const Slot& l, const Slot& r, const Instr& in) {
  if (l.kind == Kind::number && r.kind == Kind::number) return ordered(in.cmp, l.number, r.number);
  if (l.kind == Kind::string && r.kind == Kind::string) return ordered(in.cmp, l.text(), r.text());
  if (l.kind == Kind::unknown) fail_unknown(p, l);
  if (r.kind == Kind::unknown) fail_unknown(p, r);
  if (l.kind != r.kind)
    fail_at(in.column, std::string("cannot compare ") + kind_name(l.kind) + " with " + kind_name(r.kind));
  if (in.cmp == Cmp::eq) return l.boolean == r.boolean;
  if (in.cmp == Cmp::ne) return l.boolean != r.boolean;
  fail_at(in.column, std::string("\"") + cmp_text(in.cmp) + "\" needs numbers or strings, got boolean");
}

bool equals(const Slot& s, const Value& item) noexcept {
  switch (s.kind) {
    case Kind::number: {
      const double* d = std::get_if<double>(&item);
      return d && *d == s.number;
    }
    case Kind::string: {
      const std::string* t = std::get_if<std::string>(&item);
      return t && *t == s.text();
    }
    case Kind::boolean: {
      const bool* b = std::get_if<bool>(&item);
      return b && *b == s.boolean;
    }
    case Kind::unknown: break;
  }
  return false;
}

bool member(const ExprProgram& p, const Slot& x, const Instr& in) {
  if (x.kind == Kind::unknown) fail_unknown(p, x);
  bool found = false;
  for (std::uint32_t i = 0; i < in.b && !found; ++i) found = equals(x, p.list_items[in.a + i]);
  return found != in.negate;
}

using Stack = std::array<Slot, kStackCapacity>;

// Returns the result in place: reading back only the fields the caller needs
// avoids copying a freshly written slot, which costs more than small programs.
const Slot& run(const ExprProgram& p, std::span<const Value> values, Stack& stack) {
  std::size_t sp = 0;
  const Instr* code = p.code.data();
  const std::size_t n = p.code.size();
  std::size_t pc = 0;
  while (pc < n) {
    const Instr& in = code[pc];
    switch (in.op) {
      case Op::push_var:
        stack[sp++] = load(values[in.a], in.a);
        break;
      case Op::push_const:
        stack[sp++] = load(p.constants[in.a], kNoVariable);
        break;
      case Op::compare: {
        Slot& l = stack[sp - 2];
        l = boolean_slot(compare(p, l, stack[sp - 1], in));
        --sp;
        break;
      }
      case Op::member: {
        Slot& x = stack[sp - 1];
        x = boolean_slot(member(p, x, in));
        break;
      }
      case Op::compare_var_const: {
        const Value& v = values[in.a];
        const Value& k = p.constants[in.b];
        const double* x = std::get_if<double>(&v);
        const double* y = std::get_if<double>(&k);
        const bool r = x && y ? ordered(in.cmp, *x, *y)
                              : compare(p, load(v, in.a), load(k, kNoVariable), in);
        stack[sp++] = boolean_slot(r);
        break;
      }
      case Op::member_var:
        stack[sp++] = boolean_slot(member(p, load(values[in.c], in.c), in));
        break;
      case Op::negate: {
        Slot& x = stack[sp - 1];
        if (x.kind != Kind::boolean) fail_not_boolean(p, x, "not", in.column);
        x.boolean = !x.boolean;
        break;
      }
      case Op::and_jump:
      case Op::or_jump: {
        const Slot& x = stack[sp - 1];
        const bool is_and = in.op == Op::and_jump;
        if (x.kind != Kind::boolean) fail_not_boolean(p, x, is_and ? "and" : "or", in.column);
        if (x.boolean != is_and) {
          pc = in.a;
          continue;
        }
        --sp;
        break;
      }
      case Op::check_bool: {
        const Slot& x = stack[sp - 1];
        if (x.kind != Kind::boolean) fail_not_boolean(p, x, in.negate ? "or" : "and", in.column);
        break;
      }
    }
    ++pc;
  }
  return stack[0];
}

Value to_value(const Slot& s) {
  switch (s.kind) {
    case Kind::boolean: return s.boolean;
    case Kind::number: return s.number;
    case Kind::string: return std::string(s.text());
    case Kind::unknown: break;
  }
  return std::monostate{};
}

void check_count(const ExprProgram& p, std::size_t got) {
  if (got != p.variables.size())
    throw_invalid("", "expected " + std::to_string(p.variables.size()) + " values, got " +
                          std::to_string(got));
}

}  // namespace

// ---------------------------------------------------------------------------

Expr::Expr(std::shared_ptr<const ExprProgram> program) noexcept : program_(std::move(program)) {}

Expr Expr::parse(std::string_view source) {
  if (source.size() > kExprMaxSourceBytes)
    throw_invalid("", "expression is " + std::to_string(source.size()) + " bytes; the limit is " +
                          std::to_string(kExprMaxSourceBytes));
  auto program = std::make_shared<ExprProgram>();
  program->source = std::string(source);
  Parser(program->source, Lexer(program->source).run(), *program).run();
  return Expr(std::move(program));
}

const std::string& Expr::source() const noexcept { return program_->source; }

const std::vector<std::string>& Expr::variables() const noexcept { return program_->variables; }

Value Expr::evaluate(std::span<const Value> values) const {
  check_count(*program_, values.size());
  Stack stack;
  const Slot& result = run(*program_, values, stack);
  if (result.kind == Kind::unknown) fail_unknown(*program_, result);
  return to_value(result);
}

bool Expr::test(std::span<const Value> values) const {
  check_count(*program_, values.size());
  Stack stack;
  const Slot& result = run(*program_, values, stack);
  if (result.kind == Kind::boolean) return result.boolean;
  if (result.kind == Kind::unknown) fail_unknown(*program_, result);
  throw_invalid("", std::string("condition must be true or false, got ") + kind_name(result.kind));
}

Value Expr::evaluate(const std::function<Value(std::string_view)>& lookup) const {
  std::vector<Value> values;
  values.reserve(program_->variables.size());
  for (const std::string& name : program_->variables) values.push_back(lookup(name));
  return evaluate(std::span<const Value>(values));
}

bool Expr::test(const std::function<Value(std::string_view)>& lookup) const {
  std::vector<Value> values;
  values.reserve(program_->variables.size());
  for (const std::string& name : program_->variables) values.push_back(lookup(name));
  return test(std::span<const Value>(values));
}

bool Expr::operator==(const Expr& other) const noexcept { return source() == other.source(); }

}  // namespace firstvalue
