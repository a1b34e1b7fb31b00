#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "firstvalue/error.hpp"
#include "firstvalue/pii.hpp"

namespace fv = firstvalue;

namespace {

std::vector<std::string> lines_of(const std::string& name) {
  std::ifstream in(std::string(FV_TEST_DATA_DIR) + "/pii/" + name);
  EXPECT_TRUE(in) << name;
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);)
    if (!line.empty() && line[0] != '#') lines.push_back(line);
  return lines;
}

std::vector<std::string> split_tabs(const std::string& line) {
  std::vector<std::string> parts;
  std::stringstream ss(line);
  for (std::string part; std::getline(ss, part, '\t');) parts.push_back(part);
  return parts;
}

std::vector<std::string> found_texts(const std::string& text) {
  std::vector<std::string> out;
  for (const fv::PiiMatch& m : fv::find_pii(text)) out.push_back(text.substr(m.begin, m.end - m.begin));
  return out;
}

}  // namespace

// The corpus (tests/data/pii): every value of the positive lines is found
// with exactly its extent, and nothing of the negative lines is.
TEST(Pii, CorpusRecallAndPrecision) {
  const auto positives = lines_of("positive.tsv");
  const auto negatives = lines_of("negative.txt");
  ASSERT_GE(positives.size(), 200u);
  ASSERT_GE(negatives.size(), 200u);
  std::size_t expected = 0, hits = 0, false_hits = 0;
  for (const std::string& line : positives) {
    const auto parts = split_tabs(line);
    const std::vector<std::string> want(parts.begin() + 1, parts.end());
    const auto got = found_texts(parts[0]);
    expected += want.size();
    // Matched in order: a value counts when it is found with exactly its extent.
    std::size_t w = 0;
    for (const std::string& g : got) {
      if (w < want.size() && g == want[w]) {
        ++hits;
        ++w;
      } else {
        ++false_hits;
        ADD_FAILURE() << "in \"" << parts[0] << "\": masked \"" << g << "\", not a value of the line";
      }
    }
    if (w < want.size()) ADD_FAILURE() << "in \"" << parts[0] << "\": missed \"" << want[w] << "\"";
  }
  for (const std::string& text : negatives)
    for (const std::string& g : found_texts(text)) {
      ++false_hits;
      ADD_FAILURE() << "in \"" << text << "\": masked \"" << g << "\"";
    }
  const double recall = static_cast<double>(hits) / static_cast<double>(expected);
  const double precision = static_cast<double>(hits) / static_cast<double>(hits + false_hits);
  std::printf("pii corpus: %zu positive lines (%zu values), %zu negative lines: recall %.4f, precision %.4f\n",
              positives.size(), expected, negatives.size(), recall, precision);
  EXPECT_EQ(recall, 1.0);
  EXPECT_GE(precision, 0.99);
}

TEST(Pii, TokensAreStablePerValueAndNumberedPerKind) {
  fv::PiiMasker m;
  EXPECT_EQ(m.mask("Ana (ana@acme.com, +1 415 555 0100) and Bob (bob@acme.com)."),
            "Ana (<email:1>, <phone:1>) and Bob (<email:2>).");
  // The same value, spelled differently, in a later text: the same token.
  EXPECT_EQ(m.mask("ANA@Acme.com or ana [at] acme [dot] com; +1-415-555-0100 or (415) 555-0100"),
            "<email:1> or <email:1>; <phone:1> or <phone:2>");
  // "+44 (0)20 ..." and "+44 20 ..." dial the same number.
  EXPECT_EQ(m.mask("+44 (0)20 7946 0958 / +44 20 7946 0958"), "<phone:3> / <phone:3>");
  // An extension is part of the number, and makes another one.
  EXPECT_EQ(m.mask("+44 20 7946 0958 ext. 12"), "<phone:4>");
  ASSERT_EQ(m.entries().size(), 6u);
  EXPECT_EQ(m.entries()[0].value, "ana@acme.com");
  EXPECT_EQ(m.entries()[2].value, "bob@acme.com");
  EXPECT_EQ(m.entries()[5].value, "+44 20 7946 0958 ext. 12");
  EXPECT_EQ(m.entries()[5].kind, fv::PiiKind::phone);
  // A fresh masker per call numbers from 1.
  EXPECT_EQ(fv::mask_pii("bob@acme.com"), "<email:1>");
}

TEST(Pii, UnmaskAndTheMapStayWithTheHost) {
  fv::PiiMasker m;
  const std::string text = "Sponsor jane.doe@bigco.com, cell +33 6 12 34 56 78, ticket #4821 on 2026-11-24.";
  const std::string masked = m.mask(text);
  EXPECT_EQ(masked, "Sponsor <email:1>, cell <phone:1>, ticket #4821 on 2026-11-24.");
  EXPECT_EQ(m.unmask(masked), text);
  EXPECT_EQ(m.unmask("<email:9> stays, <phone:1> returns"), "<email:9> stays, +33 6 12 34 56 78 returns");
  EXPECT_EQ(m.unmask("<<email:1>>, a < b > c, <email:x>, <email:1"), "<jane.doe@bigco.com>, a < b > c, <email:x>, <email:1");
  EXPECT_EQ(m.map_json(-1), R"({"<email:1>":"jane.doe@bigco.com","<phone:1>":"+33 6 12 34 56 78"})");
}

// Keys are field names (and account keys), kept as they are, in their order.
TEST(Pii, JsonStringsAreMaskedKeysAndNumbersKept) {
  fv::PiiMasker m;
  const std::string json =
      R"({"cause":"ana@acme.com has not replied","arr":120000,"ana@acme.com":["+1 415 555 0100",2026],"n":null})";
  EXPECT_EQ(m.mask_json(json),
            R"({"cause":"<email:1> has not replied","arr":120000,"ana@acme.com":["<phone:1>",2026],"n":null})");
  EXPECT_THROW(m.mask_json("{\"a\": "), fv::Error);
}

TEST(Pii, UnicodeAroundAndInsideValues) {
  EXPECT_EQ(fv::mask_pii("連絡先：tanaka@example.jp。電話 03-1234-5678"), "連絡先：<email:1>。電話 <phone:1>");
  EXPECT_EQ(fv::mask_pii("« élodie@société.fr » — +33\u202f1\u202f23\u202f45\u202f67\u202f89"),
            "« <email:1> » — <phone:1>");
  EXPECT_EQ(fv::mask_pii("Schreiben Sie müller@bücher.de!"), "Schreiben Sie <email:1>!");
  // CJK text has no spaces: a number or an address may touch its words.
  EXPECT_EQ(fv::mask_pii("電話03-1234-5678までお願いします"), "電話<phone:1>までお願いします");
  fv::PiiMasker m;
  EXPECT_EQ(m.mask("担当はyamada@example.co.jpです"), "担当は<email:1>です");
  EXPECT_EQ(m.mask("yamada@example.co.jp"), "<email:1>");  // the same address, the same token
  EXPECT_EQ(fv::mask_pii("用户@例子.广告"), "<email:1>");   // a local part all in CJK stays whole
  // Lead bytes 0xF5-0xFF are not UTF-8: no letter, no match, and the map stays printable.
  fv::PiiMasker bad;
  EXPECT_EQ(bad.mask("\xF5\x80\x80@acme.com"), "\xF5\x80\x80@acme.com");
  EXPECT_EQ(bad.map_json(-1), "{}");
}

TEST(Pii, InvalidUtf8AndEdgesNeverCrashOrMatchAcrossBytes) {
  const std::string bad = std::string("a\xC3") + "@acme.com \xFF\xFE +1 415 555 0100 \xE2\x82";
  const std::string masked = fv::mask_pii(bad);
  EXPECT_NE(masked.find("<phone:1>"), std::string::npos);
  EXPECT_EQ(fv::mask_pii(""), "");
  EXPECT_EQ(fv::mask_pii("@"), "@");
  EXPECT_EQ(fv::mask_pii("+"), "+");
  EXPECT_EQ(fv::mask_pii("[at]"), "[at]");
  EXPECT_EQ(fv::mask_pii("(((((((("), "((((((((");
  EXPECT_EQ(fv::mask_pii(std::string(100000, '1')), std::string(100000, '1'));
  // Long runs that would make a naive scan quadratic.
  std::string runs = std::string(300000, 'a') + std::string(300000, '@');
  EXPECT_EQ(fv::mask_pii(runs), runs);
  std::string groups;
  for (int k = 0; k < 100000; ++k) groups += "12 ";
  EXPECT_EQ(fv::mask_pii(groups), groups);
  std::string labels = "a@";
  for (int k = 0; k < 100000; ++k) labels += "b.";
  EXPECT_EQ(fv::find_pii(labels).size(), 0u);
  // An address longer than any allowed is not cut to its last 64 characters.
  EXPECT_EQ(fv::mask_pii(std::string(70, 'x') + "@acme.com"), std::string(70, 'x') + "@acme.com");
}

// Masking and printing recurse over a document: a million brackets must be
// refused, not overflow the stack (they did, through Python, before).
TEST(Pii, DeeplyNestedJsonIsRefusedNotRecursedInto) {
  fv::PiiMasker m;
  const std::string deep = std::string(1000000, '[') + std::string(1000000, ']');
  try {
    (void)m.mask_json(deep);
    ADD_FAILURE() << "a million levels accepted";
  } catch (const fv::Error& e) {
    EXPECT_EQ(std::string(e.what()), "json: nested deeper than 256 levels");
  }
  const std::string fine = std::string(200, '[') + "\"ana@acme.com\"" + std::string(200, ']');
  EXPECT_EQ(m.mask_json(fine), std::string(200, '[') + "\"<email:1>\"" + std::string(200, ']'));
}
