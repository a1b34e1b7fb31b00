// The expression language: grammar, precedence, comparison semantics, every
// error message with its column, the safety limits, and agreement with a
// reference evaluator written independently here over random expressions.

#include <gtest/gtest.h>

#include <cmath>
#include <iterator>
#include <limits>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "firstvalue/error.hpp"
#include "firstvalue/expr.hpp"
#include "firstvalue/random.hpp"

namespace fv = firstvalue;

namespace {

using Env = std::map<std::string, fv::Value, std::less<>>;

const double kNaN = std::numeric_limits<double>::quiet_NaN();

// The detail of the Error that parse() throws, or "<parsed>".
std::string parse_error(std::string_view source) {
  try {
    fv::Expr::parse(source);
  } catch (const fv::Error& e) {
    EXPECT_EQ(e.code(), fv::Errc::invalid) << source;
    EXPECT_EQ(e.path(), "") << source;
    return e.detail();
  }
  return "<parsed>";
}

fv::Value lookup_in(const Env& env, std::string_view name) {
  const auto it = env.find(name);
  return it == env.end() ? fv::Value{} : it->second;
}

fv::Value eval(std::string_view source, const Env& env = {}) {
  return fv::Expr::parse(source).evaluate(
      [&env](std::string_view name) { return lookup_in(env, name); });
}

bool test(std::string_view source, const Env& env = {}) {
  return fv::Expr::parse(source).test([&env](std::string_view name) { return lookup_in(env, name); });
}

// The detail of the Error that evaluation throws, through both overloads.
std::string eval_error(std::string_view source, const Env& env = {}) {
  const fv::Expr e = fv::Expr::parse(source);
  std::vector<fv::Value> values;
  for (const auto& name : e.variables()) values.push_back(lookup_in(env, name));
  std::string by_span = "<evaluated>";
  std::string by_lookup = "<evaluated>";
  try {
    e.evaluate(values);
  } catch (const fv::Error& err) {
    EXPECT_EQ(err.code(), fv::Errc::invalid);
    EXPECT_EQ(err.path(), "");
    by_span = err.detail();
  }
  try {
    e.evaluate([&env](std::string_view name) { return lookup_in(env, name); });
  } catch (const fv::Error& err) {
    by_lookup = err.detail();
  }
  EXPECT_EQ(by_span, by_lookup) << source;
  return by_span;
}

std::string test_error(std::string_view source, const Env& env = {}) {
  try {
    test(source, env);
  } catch (const fv::Error& err) {
    return err.detail();
  }
  return "<tested>";
}

}  // namespace

// ---------------------------------------------------------------------------
// Parsing

TEST(ExprParse, LiteralsEvaluateToThemselves) {
  EXPECT_EQ(eval("12"), fv::Value(12.0));
  EXPECT_EQ(eval("-3.5"), fv::Value(-3.5));
  EXPECT_EQ(eval("1e5"), fv::Value(100000.0));
  EXPECT_EQ(eval("2.5E-1"), fv::Value(0.25));
  EXPECT_EQ(eval("0.25"), fv::Value(0.25));
  EXPECT_EQ(eval(".5"), fv::Value(0.5));
  EXPECT_EQ(eval("-.5"), fv::Value(-0.5));
  EXPECT_EQ(eval("true"), fv::Value(true));
  EXPECT_EQ(eval("false"), fv::Value(false));
  EXPECT_EQ(eval("\"enterprise\""), fv::Value(std::string("enterprise")));
  EXPECT_EQ(eval("'mid_market'"), fv::Value(std::string("mid_market")));
  EXPECT_EQ(eval("\"\""), fv::Value(std::string()));
}

TEST(ExprParse, StringEscapes) {
  EXPECT_EQ(eval(R"("a\"b")"), fv::Value(std::string("a\"b")));
  EXPECT_EQ(eval(R"('it\'s')"), fv::Value(std::string("it's")));
  EXPECT_EQ(eval(R"("back\\slash")"), fv::Value(std::string("back\\slash")));
  EXPECT_EQ(eval(R"("line\nbreak\ttab")"), fv::Value(std::string("line\nbreak\ttab")));
  EXPECT_EQ(eval(R"("it's")"), fv::Value(std::string("it's")));
  EXPECT_EQ(eval(R"('say "hi"')"), fv::Value(std::string("say \"hi\"")));
  EXPECT_TRUE(test(R"(name == "O\'Brien \\ \"Co\"")", {{"name", std::string("O'Brien \\ \"Co\"")}}));
}

TEST(ExprParse, DottedIdentifiersAreOneVariable) {
  const auto e = fv::Expr::parse("goal.meetings_per_sdr >= 7 and a.b_2.C3 == 'x'");
  EXPECT_EQ(e.variables(), (std::vector<std::string>{"goal.meetings_per_sdr", "a.b_2.C3"}));
  EXPECT_TRUE(test("goal.meetings_per_sdr >= 7", {{"goal.meetings_per_sdr", 7.0}}));
  EXPECT_FALSE(test("goal.meetings_per_sdr >= 7", {{"goal.meetings_per_sdr", 6.5}}));
}

TEST(ExprParse, VariablesInOrderOfFirstAppearanceWithoutDuplicates) {
  const auto e = fv::Expr::parse("b and a or b and goal.x > 1 and a and not c in [1]");
  EXPECT_EQ(e.variables(), (std::vector<std::string>{"b", "a", "goal.x", "c"}));
  EXPECT_TRUE(fv::Expr::parse("1 < 2").variables().empty());
}

TEST(ExprParse, KeywordsAreLowercaseOnly) {
  // `True` and `AND` are ordinary names.
  EXPECT_EQ(fv::Expr::parse("True").variables(), std::vector<std::string>{"True"});
  EXPECT_EQ(fv::Expr::parse("x.and == 1").variables(), std::vector<std::string>{"x.and"});
  EXPECT_EQ(parse_error("a AND b"),
            "column 3: unexpected name \"AND\" (expected \"and\", \"or\", a comparison or the end) "
            "(keywords are lowercase: \"and\")");
}

TEST(ExprParse, WhitespaceAroundSymbolsIsOptional) {
  EXPECT_TRUE(test("arr>=100000 and(tier=='x')and\tx<-1\n", {{"arr", 1e6}, {"tier", std::string("x")}, {"x", -2.0}}));
  EXPECT_TRUE(test("x in[1,2]", {{"x", 2.0}}));
}

TEST(ExprParse, SourceAndEquality) {
  const auto a = fv::Expr::parse("arr >= 5");
  EXPECT_EQ(a.source(), "arr >= 5");
  EXPECT_TRUE(a == fv::Expr::parse("arr >= 5"));
  EXPECT_FALSE(a == fv::Expr::parse("arr>=5"));
  EXPECT_FALSE(a == fv::Expr::parse("arr >= 6"));
  const fv::Expr copy = a;
  EXPECT_TRUE(copy == a);
  EXPECT_EQ(copy.variables(), a.variables());
}

TEST(ExprParse, ErrorMessagesNameTheColumn) {
  EXPECT_EQ(parse_error(""), "column 1: empty expression");
  EXPECT_EQ(parse_error("   \t "), "column 1: empty expression");
  EXPECT_EQ(parse_error("lifecycle=="), "column 12: expected a value after \"==\"");
  EXPECT_EQ(parse_error("tier == and x"), "column 9: expected a value after \"==\", got \"and\"");
  EXPECT_EQ(parse_error("== 3"), "column 1: expected a value, got \"==\"");
  EXPECT_EQ(parse_error("a and"), "column 6: expected a value after \"and\"");
  EXPECT_EQ(parse_error("not"), "column 4: expected a value after \"not\"");
  EXPECT_EQ(parse_error("()"), "column 2: expected a value after \"(\", got \")\"");
  EXPECT_EQ(parse_error("a < \"abc"), "column 5: unterminated string");
  EXPECT_EQ(parse_error("a < 'abc\\'"), "column 5: unterminated string");
  EXPECT_EQ(parse_error("a == 'x\\"), "column 6: unterminated string");
  EXPECT_EQ(parse_error("segment = \"smb\""), "column 9: unexpected \"=\" (did you mean \"==\"?)");
  EXPECT_EQ(parse_error("a ! b"), "column 3: unexpected \"!\" (did you mean \"not\" or \"!=\"?)");
  EXPECT_EQ(parse_error("a && b"), "column 3: unexpected \"&\" (did you mean \"and\"?)");
  EXPECT_EQ(parse_error("a || b"), "column 3: unexpected \"|\" (did you mean \"or\"?)");
  EXPECT_EQ(parse_error("a # b"), "column 3: unexpected \"#\"");
  EXPECT_EQ(parse_error(std::string("a\x01")), "column 2: unexpected byte 0x01");
  EXPECT_EQ(parse_error("s == \"a\\qb\""),
            "column 8: unknown escape \"\\q\" in string (use \\\", \\', \\\\, \\n or \\t)");
  EXPECT_EQ(parse_error("12abc > 1"), "column 1: invalid number \"12abc\"");
  EXPECT_EQ(parse_error("x > 1.2.3"), "column 5: invalid number \"1.2.3\"");
  EXPECT_EQ(parse_error("x > 1e"), "column 5: invalid number \"1e\"");
  EXPECT_EQ(parse_error("arr>=100000and x"), "column 6: invalid number \"100000and\"");
  EXPECT_EQ(parse_error("a == 1e999"), "column 6: number out of range \"1e999\"");
  EXPECT_EQ(parse_error("a == -x"), "column 6: expected a number after \"-\"");
  EXPECT_EQ(parse_error("goal. x"), "column 6: expected a name after \".\"");
  EXPECT_EQ(parse_error("goal.7 > 1"), "column 6: expected a name after \".\"");
  EXPECT_EQ(parse_error("a < b < c"), "column 7: comparisons cannot be chained; join them with \"and\"");
  EXPECT_EQ(parse_error("a in [1] == true"),
            "column 10: comparisons cannot be chained; join them with \"and\"");
  EXPECT_EQ(parse_error("a b"),
            "column 3: unexpected name \"b\" (expected \"and\", \"or\", a comparison or the end)");
  EXPECT_EQ(parse_error("a == 1)"), "column 7: unexpected \")\" (no matching \"(\")");
  EXPECT_EQ(parse_error("(a == 1"),
            "column 8: expected \")\" to close \"(\" at column 1, got end of expression");
  EXPECT_EQ(parse_error("x and (a == 1 b)"),
            "column 15: expected \")\" to close \"(\" at column 7, got name \"b\"");
  EXPECT_EQ(parse_error("x in \"a\""), "column 6: expected \"[\" after \"in\", got string \"a\"");
  EXPECT_EQ(parse_error("x in [\"a\", b]"),
            "column 12: expected a literal in the list, got name \"b\" (list elements must be literals)");
  EXPECT_EQ(parse_error("x in [1 2]"), "column 9: expected \",\" or \"]\" in the list, got number 2");
  EXPECT_EQ(parse_error("x in [1,]"), "column 9: expected a literal in the list, got \"]\"");
  EXPECT_EQ(parse_error("x in [1"), "column 8: expected \",\" or \"]\" in the list, got end of expression");
  EXPECT_EQ(parse_error("a not b"), "column 7: expected \"in\" after \"not\", got name \"b\"");
  EXPECT_EQ(parse_error("a == not b"), "column 6: expected a value after \"==\", got \"not\"");
}

TEST(ExprParse, LongTokensAreShortenedInMessages) {
  const std::string name(1000, 'x');
  EXPECT_EQ(parse_error("a " + name),
            "column 3: unexpected name \"" + std::string(32, 'x') +
                "...\" (expected \"and\", \"or\", a comparison or the end)");
}

TEST(ExprParse, NestingUpToTheLimit) {
  const std::string deepest = std::string(64, '(') + "a" + std::string(64, ')');
  EXPECT_TRUE(fv::Expr::parse(deepest).test([](std::string_view) { return fv::Value(true); }));
  EXPECT_EQ(parse_error(std::string(65, '(') + "a" + std::string(65, ')')),
            "column 65: nesting deeper than 64 levels");
  EXPECT_EQ(parse_error("x == 1 and " + std::string(70, '(')),
            "column 76: nesting deeper than 64 levels");
  // Unbalanced deep openings are rejected at the limit, never by exhausting the stack.
  EXPECT_EQ(parse_error(std::string(60000, '(')), "column 65: nesting deeper than 64 levels");
}

TEST(ExprParse, DeepestComparisonsEvaluate) {
  // Every level holds a pending left operand: the evaluation stack's worst case.
  std::string s = "b";
  for (int i = 0; i < 64; ++i) s = "b == (" + s + ")";
  const auto e = fv::Expr::parse(s);
  const std::vector<fv::Value> values{fv::Value(true)};
  EXPECT_TRUE(e.test(values));
  // Each `!= b` with b true flips the value.
  std::string t = "b";
  for (int i = 0; i < 63; ++i) t = "(" + t + ") != b";
  EXPECT_FALSE(fv::Expr::parse(t).test(values));
  t = "(" + t + ") != b";
  EXPECT_TRUE(fv::Expr::parse(t).test(values));
}

TEST(ExprParse, LongFlatChainsNeedNoRecursion) {
  std::string ands = "a";
  while (ands.size() < 60000) ands += " and a";
  EXPECT_TRUE(fv::Expr::parse(ands).test(std::vector<fv::Value>{fv::Value(true)}));
  std::string nots;
  for (int i = 0; i < 15001; ++i) nots += "not ";
  nots += "a";
  EXPECT_FALSE(fv::Expr::parse(nots).test(std::vector<fv::Value>{fv::Value(true)}));
  nots = "not " + nots;
  EXPECT_TRUE(fv::Expr::parse(nots).test(std::vector<fv::Value>{fv::Value(true)}));
}

TEST(ExprParse, SourceLengthIsLimited) {
  EXPECT_NO_THROW(fv::Expr::parse("a" + std::string(64 * 1024 - 1, ' ')));
  EXPECT_EQ(parse_error("a" + std::string(64 * 1024, ' ')),
            "expression is 65537 bytes; the limit is 65536");
  std::string big;
  while (big.size() < 100 * 1024) big += "a and ";
  big += "a";
  EXPECT_EQ(parse_error(big), "expression is " + std::to_string(big.size()) + " bytes; the limit is 65536");
}

// ---------------------------------------------------------------------------
// Evaluation

TEST(ExprEval, Precedence) {
  // or < and: `a or b and c` is `a or (b and c)`.
  EXPECT_TRUE(test("a or b and c", {{"a", true}, {"b", false}, {"c", false}}));
  EXPECT_FALSE(test("(a or b) and c", {{"a", true}, {"b", false}, {"c", false}}));
  EXPECT_TRUE(test("b and c or a", {{"a", true}, {"b", false}, {"c", false}}));
  // and < not: `not a and b` is `(not a) and b`.
  EXPECT_FALSE(test("not a and b", {{"a", false}, {"b", false}}));
  EXPECT_TRUE(test("not (a and b)", {{"a", false}, {"b", false}}));
  // not < comparison: `not x == 1` is `not (x == 1)`; `(not x)` would be a type error.
  EXPECT_FALSE(test("not x == 1", {{"x", 1.0}}));
  EXPECT_TRUE(test("not x in [1, 2] and y", {{"x", 3.0}, {"y", true}}));
  EXPECT_TRUE(test("not not a", {{"a", true}}));
  EXPECT_TRUE(test("lifecycle == \"new_customer\" and arr >= 100000",
                   {{"lifecycle", std::string("new_customer")}, {"arr", 100000.0}}));
  EXPECT_TRUE(test("tier in [\"enterprise\", \"mid_market\"] and not has_sso",
                   {{"tier", std::string("mid_market")}, {"has_sso", false}}));
  EXPECT_FALSE(test("tier in [\"enterprise\", \"mid_market\"] and not has_sso",
                    {{"tier", std::string("smb")}, {"has_sso", false}}));
}

TEST(ExprEval, NumberComparisons) {
  const Env env{{"x", 5.0}};
  EXPECT_TRUE(test("x == 5", env));
  EXPECT_FALSE(test("x == 5.5", env));
  EXPECT_TRUE(test("x != 4", env));
  EXPECT_FALSE(test("x != 5", env));
  EXPECT_TRUE(test("x < 6", env));
  EXPECT_FALSE(test("x < 5", env));
  EXPECT_TRUE(test("x <= 5", env));
  EXPECT_FALSE(test("x <= 4.999", env));
  EXPECT_TRUE(test("x > -5", env));
  EXPECT_FALSE(test("x > 5", env));
  EXPECT_TRUE(test("x >= 5", env));
  EXPECT_FALSE(test("x >= 5.001", env));
  EXPECT_TRUE(test("5e0 == x", env));
  EXPECT_TRUE(test("4 < x", env));
  EXPECT_TRUE(test("x == y", {{"x", 1.0}, {"y", 1.0}}));
}

TEST(ExprEval, NaNComparesFalseExceptNotEqual) {
  const Env env{{"x", kNaN}, {"y", 1.0}};
  for (const char* op : {"==", "<", "<=", ">", ">="}) {
    EXPECT_FALSE(test(std::string("x ") + op + " 1", env)) << op;
    EXPECT_FALSE(test(std::string("x ") + op + " x", env)) << op;
    EXPECT_FALSE(test(std::string("y ") + op + " x", env)) << op;
  }
  EXPECT_TRUE(test("x != 1", env));
  EXPECT_TRUE(test("x != x", env));
  EXPECT_FALSE(test("x in [1, 2]", env));
  EXPECT_TRUE(test("x not in [1, 2]", env));
  EXPECT_TRUE(std::isnan(std::get<double>(eval("x", env))));
}

TEST(ExprEval, StringComparisonsAreBytewise) {
  const Env env{{"s", std::string("beta")}, {"u", std::string("\xc3\xa9")}};
  EXPECT_TRUE(test("s == 'beta'", env));
  EXPECT_FALSE(test("s == 'Beta'", env));
  EXPECT_TRUE(test("s != 'Beta'", env));
  EXPECT_FALSE(test("s != \"beta\"", env));
  EXPECT_TRUE(test("s < 'gamma'", env));
  EXPECT_FALSE(test("s < 'beta'", env));
  EXPECT_TRUE(test("s <= 'beta'", env));
  EXPECT_TRUE(test("s > 'Zeta'", env));  // 'b' (0x62) sorts after 'Z' (0x5a)
  EXPECT_FALSE(test("s > 'betas'", env));
  EXPECT_TRUE(test("s >= 'bet'", env));
  EXPECT_TRUE(test("u > 'z'", env));  // bytes, not locale: 0xc3 > 'z'
  EXPECT_TRUE(test("'' < s", env));
}

TEST(ExprEval, BooleanEquality) {
  const Env env{{"a", true}, {"b", false}};
  EXPECT_TRUE(test("a == true", env));
  EXPECT_FALSE(test("a == b", env));
  EXPECT_TRUE(test("a != b", env));
  EXPECT_FALSE(test("b != false", env));
  EXPECT_TRUE(test("(x > 1) == a", {{"x", 2.0}, {"a", true}}));
  for (const char* op : {"<", "<=", ">", ">="})
    EXPECT_EQ(eval_error(std::string("a ") + op + " b", env),
              std::string("column 3: \"") + op + "\" needs numbers or strings, got boolean");
}

TEST(ExprEval, Membership) {
  EXPECT_TRUE(test("tier in ['a', 'b']", {{"tier", std::string("b")}}));
  EXPECT_FALSE(test("tier in ['a', 'b']", {{"tier", std::string("c")}}));
  EXPECT_TRUE(test("tier not in ['a', 'b']", {{"tier", std::string("c")}}));
  EXPECT_FALSE(test("tier not in ['a', 'b']", {{"tier", std::string("a")}}));
  EXPECT_FALSE(test("x in []", {{"x", 1.0}}));
  EXPECT_TRUE(test("x not in []", {{"x", 1.0}}));
  // Mixed lists: an element of another type never matches, and is no error.
  const char* mixed = "x in [1, \"1\", true, -2.5]";
  EXPECT_TRUE(test(mixed, {{"x", 1.0}}));
  EXPECT_TRUE(test(mixed, {{"x", -2.5}}));
  EXPECT_TRUE(test(mixed, {{"x", std::string("1")}}));
  EXPECT_TRUE(test(mixed, {{"x", true}}));
  EXPECT_FALSE(test(mixed, {{"x", false}}));
  EXPECT_FALSE(test(mixed, {{"x", 2.0}}));
  EXPECT_FALSE(test(mixed, {{"x", std::string("true")}}));
  EXPECT_TRUE(test("x not in [1, 'a']", {{"x", std::string("b")}}));
  EXPECT_EQ(eval_error("x in [1]"), "unknown attribute \"x\"");
  EXPECT_EQ(eval_error("x not in [1]"), "unknown attribute \"x\"");
}

TEST(ExprEval, ShortCircuit) {
  EXPECT_FALSE(test("has_sso and unknown_attr > 3", {{"has_sso", false}}));
  EXPECT_TRUE(test("has_sso or unknown_attr > 3", {{"has_sso", true}}));
  EXPECT_FALSE(test("a and 5 and b", {{"a", false}}));  // neither 5 nor b is looked at
  EXPECT_TRUE(test("a or 'x' or b", {{"a", true}}));
  EXPECT_EQ(eval_error("has_sso and unknown_attr > 3", {{"has_sso", true}}),
            "unknown attribute \"unknown_attr\"");
  EXPECT_EQ(eval_error("has_sso or unknown_attr > 3", {{"has_sso", false}}),
            "unknown attribute \"unknown_attr\"");
}

TEST(ExprEval, UnknownAttributes) {
  EXPECT_EQ(eval_error("arr >= 100000"), "unknown attribute \"arr\"");
  EXPECT_EQ(eval_error("100000 <= arr"), "unknown attribute \"arr\"");
  EXPECT_EQ(eval_error("arr"), "unknown attribute \"arr\"");
  EXPECT_EQ(eval_error("not has_sso"), "unknown attribute \"has_sso\"");
  EXPECT_EQ(eval_error("has_sso and true"), "unknown attribute \"has_sso\"");
  EXPECT_EQ(eval_error("true and has_sso"), "unknown attribute \"has_sso\"");
  EXPECT_EQ(eval_error("false or has_sso"), "unknown attribute \"has_sso\"");
  EXPECT_EQ(eval_error("goal.x == 1", {{"goal.y", 1.0}}), "unknown attribute \"goal.x\"");
  EXPECT_EQ(test_error("arr"), "unknown attribute \"arr\"");
  // A value that is known but unused elsewhere does not hide the unknown one.
  EXPECT_EQ(eval_error("a == b", {{"b", 1.0}}), "unknown attribute \"a\"");
  EXPECT_EQ(eval_error("a == b", {{"a", 1.0}}), "unknown attribute \"b\"");
}

TEST(ExprEval, TypeErrors) {
  EXPECT_EQ(eval_error("tier == 5", {{"tier", std::string("smb")}}),
            "column 6: cannot compare string with number");
  EXPECT_EQ(eval_error("tier != 5", {{"tier", std::string("smb")}}),
            "column 6: cannot compare string with number");
  EXPECT_EQ(eval_error("5 < tier", {{"tier", std::string("smb")}}),
            "column 3: cannot compare number with string");
  EXPECT_EQ(eval_error("has_sso == 1", {{"has_sso", true}}),
            "column 9: cannot compare boolean with number");
  EXPECT_EQ(eval_error("'true' == true"), "column 8: cannot compare string with boolean");
  EXPECT_EQ(eval_error("5 and true"), "column 3: \"and\" needs true/false, got number");
  EXPECT_EQ(eval_error("true and 5"), "column 6: \"and\" needs true/false, got number");
  EXPECT_EQ(eval_error("true and true and 5"), "column 15: \"and\" needs true/false, got number");
  EXPECT_EQ(eval_error("true and 5 and true"), "column 6: \"and\" needs true/false, got number");
  EXPECT_EQ(eval_error("false or 'x'"), "column 7: \"or\" needs true/false, got string");
  EXPECT_EQ(eval_error("x or false", {{"x", 1.0}}), "column 3: \"or\" needs true/false, got number");
  EXPECT_EQ(eval_error("not \"x\""), "column 1: \"not\" needs true/false, got string");
  EXPECT_EQ(eval_error("a and not not x", {{"a", true}, {"x", 2.0}}),
            "column 11: \"not\" needs true/false, got number");
}

TEST(ExprEval, TestRequiresABoolean) {
  EXPECT_EQ(test_error("arr", {{"arr", 5.0}}), "condition must be true or false, got number");
  EXPECT_EQ(test_error("'x'"), "condition must be true or false, got string");
  EXPECT_EQ(eval("arr", {{"arr", 5.0}}), fv::Value(5.0));
  EXPECT_EQ(eval("tier", {{"tier", std::string("smb")}}), fv::Value(std::string("smb")));
  EXPECT_TRUE(test("has_sso", {{"has_sso", true}}));
}

TEST(ExprEval, SpanOverloadChecksTheCount) {
  const auto e = fv::Expr::parse("a and b > 1");
  const std::vector<fv::Value> one{fv::Value(true)};
  try {
    e.evaluate(one);
    FAIL() << "no error";
  } catch (const fv::Error& err) {
    EXPECT_EQ(err.code(), fv::Errc::invalid);
    EXPECT_EQ(err.detail(), "expected 2 values, got 1");
  }
  EXPECT_THROW(e.test(std::vector<fv::Value>(3, fv::Value(true))), fv::Error);
  EXPECT_TRUE(e.test(std::vector<fv::Value>{fv::Value(true), fv::Value(2.0)}));
  EXPECT_FALSE(e.test(std::vector<fv::Value>{fv::Value(true), fv::Value(1.0)}));
  EXPECT_TRUE(fv::Expr::parse("1 < 2").test(std::span<const fv::Value>()));
}

TEST(ExprEval, LookupIsByName) {
  const auto e = fv::Expr::parse("tier == 'smb' and seats > 3");
  std::vector<std::string> asked;
  const bool r = e.test([&asked](std::string_view name) -> fv::Value {
    asked.emplace_back(name);
    if (name == "tier") return std::string("smb");
    if (name == "seats") return 4.0;
    return {};
  });
  EXPECT_TRUE(r);
  EXPECT_EQ(asked, (std::vector<std::string>{"tier", "seats"}));
}

TEST(ExprEval, ErrorsGoUnderAFieldPath) {
  try {
    fv::Expr::parse("a = 1");
    FAIL() << "no error";
  } catch (const fv::Error& err) {
    EXPECT_STREQ(err.under("milestones[2].done_when").what(),
                 "milestones[2].done_when: column 3: unexpected \"=\" (did you mean \"==\"?)");
  }
}

// ---------------------------------------------------------------------------
// Properties

namespace {

// A well-typed boolean expression over b0..b2 (booleans) and n0..n2 (numbers),
// evaluated directly by the tree: the reference the compiled code must match.
struct Node {
  enum Kind { bool_var, bool_lit, num_cmp, member, bool_eq, negate, conj, disj } kind;
  int var = 0;                    // bool_var; num_cmp/member left variable
  bool lit = false;               // bool_lit
  int op = 0;                     // num_cmp/bool_eq: index into kOps; member: 1 = `not in`
  std::optional<double> right;    // num_cmp: a literal, else variable `var2`
  int var2 = 0;
  std::vector<fv::Value> items;   // member
  std::vector<Node> kids;         // bool_eq (2), negate (1), conj/disj (2+)
};

const char* const kOps[] = {"==", "!=", "<", "<=", ">", ">="};

struct Assignment {
  fv::Value b[3];
  fv::Value n[3];
};

bool ieee(int op, double l, double r) {
  switch (op) {
    case 0: return l == r;
    case 1: return l != r;
    case 2: return l < r;
    case 3: return l <= r;
    case 4: return l > r;
    default: return l >= r;
  }
}

// nullopt: evaluation must fail (an unknown attribute reached an operator).
std::optional<bool> reference(const Node& n, const Assignment& a) {
  switch (n.kind) {
    case Node::bool_var:
      if (const bool* v = std::get_if<bool>(&a.b[n.var])) return *v;
      return std::nullopt;
    case Node::bool_lit: return n.lit;
    case Node::num_cmp: {
      const double* l = std::get_if<double>(&a.n[n.var]);
      const double* r = n.right ? &*n.right : std::get_if<double>(&a.n[n.var2]);
      if (!l || !r) return std::nullopt;
      return ieee(n.op, *l, *r);
    }
    case Node::member: {
      const double* x = std::get_if<double>(&a.n[n.var]);
      if (!x) return std::nullopt;
      bool found = false;
      for (const auto& item : n.items)
        if (const double* d = std::get_if<double>(&item); d && *d == *x) found = true;
      return found != (n.op == 1);
    }
    case Node::bool_eq: {
      const auto l = reference(n.kids[0], a);
      const auto r = reference(n.kids[1], a);
      if (!l || !r) return std::nullopt;
      return n.op == 0 ? *l == *r : *l != *r;
    }
    case Node::negate: {
      const auto v = reference(n.kids[0], a);
      if (!v) return std::nullopt;
      return !*v;
    }
    case Node::conj:
    case Node::disj: {
      const bool stop_on = n.kind == Node::disj;
      for (const Node& k : n.kids) {
        const auto v = reference(k, a);
        if (!v) return std::nullopt;
        if (*v == stop_on) return stop_on;
      }
      return !stop_on;
    }
  }
  return std::nullopt;
}

class Generator {
 public:
  explicit Generator(std::uint64_t seed) : rng_(seed) {}

  Node node(int depth) {
    const std::uint64_t pick = depth <= 0 ? rng_.below(4) : rng_.below(8);
    Node n{};
    switch (pick) {
      case 0: n.kind = Node::bool_var; n.var = var(); break;
      case 1:
        n.kind = Node::num_cmp;
        n.var = var();
        n.op = static_cast<int>(rng_.below(6));
        if (rng_.chance(0.6)) n.right = number();
        else n.var2 = var();
        break;
      case 2:
        n.kind = Node::member;
        n.var = var();
        n.op = static_cast<int>(rng_.below(2));
        for (std::uint64_t i = rng_.below(4); i > 0; --i) n.items.push_back(item());
        break;
      case 3: n.kind = Node::bool_lit; n.lit = rng_.chance(0.5); break;
      case 4:
        n.kind = Node::bool_eq;
        n.op = static_cast<int>(rng_.below(2));
        n.kids = {node(depth - 1), node(depth - 1)};
        break;
      case 5: n.kind = Node::negate; n.kids = {node(depth - 1)}; break;
      default:
        n.kind = rng_.chance(0.5) ? Node::conj : Node::disj;
        for (std::uint64_t i = 2 + rng_.below(3); i > 0; --i) n.kids.push_back(node(depth - 1));
        break;
    }
    return n;
  }

  Assignment assignment() {
    Assignment a;
    for (auto& v : a.b) v = rng_.chance(0.1) ? fv::Value{} : fv::Value(rng_.chance(0.5));
    for (auto& v : a.n) {
      const double r = rng_.uniform();
      v = r < 0.08 ? fv::Value{} : r < 0.14 ? fv::Value(kNaN) : fv::Value(number());
    }
    return a;
  }

  // Source text with the fewest parentheses the precedence allows, plus some
  // redundant ones. Returns the text and its precedence level: 1 or, 2 and,
  // 3 not, 4 comparison, 5 primary.
  std::pair<std::string, int> render(const Node& n) {
    switch (n.kind) {
      case Node::bool_var: return {"b" + std::to_string(n.var), 5};
      case Node::bool_lit: return {n.lit ? "true" : "false", 5};
      case Node::num_cmp:
        return {"n" + std::to_string(n.var) + space() + kOps[n.op] + space() +
                    (n.right ? number_text(*n.right) : "n" + std::to_string(n.var2)),
                4};
      case Node::member: {
        std::string s = "n" + std::to_string(n.var) + (n.op == 1 ? " not in [" : " in [");
        for (std::size_t i = 0; i < n.items.size(); ++i) {
          if (i) s += "," + space();
          s += item_text(n.items[i]);
        }
        return {s + "]", 4};
      }
      case Node::bool_eq:
        return {wrap(n.kids[0], 5) + space() + kOps[n.op] + space() + wrap(n.kids[1], 5), 4};
      case Node::negate: return {"not " + wrap(n.kids[0], 3), 3};
      case Node::conj:
      case Node::disj: {
        const bool is_and = n.kind == Node::conj;
        std::string s;
        for (std::size_t i = 0; i < n.kids.size(); ++i) {
          if (i) s += is_and ? " and " : " or ";
          s += wrap(n.kids[i], is_and ? 3 : 2);
        }
        return {s, is_and ? 2 : 1};
      }
    }
    return {"", 5};
  }

 private:
  std::string wrap(const Node& n, int need) {
    auto [s, level] = render(n);
    if (level >= need && !rng_.chance(0.1)) return s;
    std::string out(1, '(');
    out += space();
    out += s;
    out += space();
    out += ')';
    return out;
  }
  std::string space() { return rng_.chance(0.7) ? " " : rng_.chance(0.5) ? "" : "  "; }
  int var() { return static_cast<int>(rng_.below(3)); }
  double number() { return static_cast<double>(rng_.below(7)) - 3.0 + (rng_.chance(0.2) ? 0.5 : 0.0); }
  fv::Value item() {
    const std::uint64_t r = rng_.below(5);
    if (r == 0) return std::string("s");
    if (r == 1) return rng_.chance(0.5);
    return number();
  }
  static std::string number_text(double d) {
    std::string s = std::to_string(d);  // e.g. "-2.500000"
    return s;
  }
  static std::string item_text(const fv::Value& v) {
    if (const double* d = std::get_if<double>(&v)) return number_text(*d);
    if (const bool* b = std::get_if<bool>(&v)) return *b ? "true" : "false";
    return "'" + std::get<std::string>(v) + "'";
  }

  fv::SplitMix64 rng_;
};

}  // namespace

TEST(ExprProperty, AgreesWithAReferenceEvaluator) {
  Generator gen(20240611);
  int checked = 0, failed = 0;
  int outcomes[3] = {0, 0, 0};  // error, false, true
  for (int trial = 0; trial < 3000; ++trial) {
    const Node tree = gen.node(1 + trial % 5);
    const std::string source = gen.render(tree).first;
    const fv::Expr e = fv::Expr::parse(source);
    std::vector<fv::Value> values(e.variables().size());
    for (int k = 0; k < 40; ++k) {
      const Assignment a = gen.assignment();
      for (std::size_t i = 0; i < values.size(); ++i) {
        const std::string& name = e.variables()[i];
        const int index = name[1] - '0';
        values[i] = name[0] == 'b' ? a.b[index] : a.n[index];
      }
      const std::optional<bool> want = reference(tree, a);
      std::optional<bool> got;
      try {
        got = e.test(values);
      } catch (const fv::Error& err) {
        EXPECT_EQ(err.detail().rfind("unknown attribute \"", 0), 0u) << source << ": " << err.what();
      }
      ++checked;
      ++outcomes[want ? (*want ? 2 : 1) : 0];
      if (got != want) {
        ++failed;
        ADD_FAILURE() << source << "\nwant " << (want ? (*want ? "true" : "false") : "error")
                      << ", got " << (got ? (*got ? "true" : "false") : "error");
      }
      if (failed > 5) return;
    }
  }
  EXPECT_EQ(checked, 3000 * 40);
  // Every outcome must be common, or the comparison would prove little.
  for (const int count : outcomes) EXPECT_GT(count, checked / 10) << outcomes[0] << " " << outcomes[1] << " " << outcomes[2];
}

TEST(ExprProperty, RandomBytesEitherParseOrThrowError) {
  fv::SplitMix64 rng(7);
  const std::string alphabet = "ab_.01e-+ ()[]=!<>\"'\\,tnorfaluisd#&|\t\n";
  for (int trial = 0; trial < 30000; ++trial) {
    std::string s;
    for (std::uint64_t i = rng.below(24); i > 0; --i)
      s += rng.chance(0.9) ? alphabet[rng.below(alphabet.size())] : static_cast<char>(rng.below(256));
    try {
      const auto e = fv::Expr::parse(s);
      EXPECT_TRUE(e == fv::Expr::parse(s));
    } catch (const fv::Error& err) {
      EXPECT_EQ(err.code(), fv::Errc::invalid) << s;
    } catch (...) {
      ADD_FAILURE() << "unexpected exception type for " << s;
    }
  }
}

TEST(ExprProperty, RandomTokenSoupsEitherWorkOrThrowError) {
  fv::SplitMix64 rng(11);
  const char* const tokens[] = {"a",  "b.c", "1",  "-2.5", "1e3", "\"s\"", "'t'", "true", "false",
                                "and", "or", "not", "in",   "==",  "!=",    "<",   "<=",   ">",
                                ">=", "(",   ")",   "[",    "]",   ",",     "nan", "a"};
  const fv::Value kinds[] = {fv::Value{}, fv::Value(true), fv::Value(false), fv::Value(1.0),
                             fv::Value(kNaN), fv::Value(std::string("s"))};
  int parsed = 0;
  for (int trial = 0; trial < 30000; ++trial) {
    std::string s;
    for (std::uint64_t i = 1 + rng.below(12); i > 0; --i) {
      s += tokens[rng.below(std::size(tokens))];
      if (rng.chance(0.8)) s += ' ';
    }
    try {
      const auto e = fv::Expr::parse(s);
      ++parsed;
      std::vector<fv::Value> values(e.variables().size());
      for (int k = 0; k < 4; ++k) {
        for (auto& v : values) v = kinds[rng.below(std::size(kinds))];
        try {
          e.evaluate(values);
          (void)e.test(values);
        } catch (const fv::Error& err) {
          EXPECT_EQ(err.code(), fv::Errc::invalid) << s;
        }
      }
    } catch (const fv::Error& err) {
      EXPECT_EQ(err.code(), fv::Errc::invalid) << s;
    } catch (...) {
      ADD_FAILURE() << "unexpected exception type for " << s;
    }
  }
  EXPECT_GT(parsed, 100);  // the soup must exercise evaluation, not only parse errors
}
