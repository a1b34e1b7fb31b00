#include "firstvalue/pii.hpp"

#include <algorithm>
#include <array>
#include <nlohmann/json.hpp>

#include "firstvalue/error.hpp"
#include "json_reader.hpp"

namespace firstvalue {
namespace {

// ---- UTF-8 ---------------------------------------------------------------------

struct CodePoint {
  char32_t cp = 0;
  std::size_t len = 1;
};
constexpr char32_t kInvalid = 0xFFFD;

CodePoint decode(std::string_view s, std::size_t i) {
  const auto b = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
  const unsigned char c = b(i);
  if (c < 0x80) return {c, 1};
  const std::size_t len = c >= 0xF0 && c < 0xF5 ? 4 : c >= 0xE0 && c < 0xF0 ? 3 : c >= 0xC2 && c < 0xE0 ? 2 : 0;
  if (len == 0 || i + len > s.size()) return {kInvalid, 1};
  char32_t cp = c & (0x7F >> len);
  for (std::size_t k = 1; k < len; ++k) {
    if ((b(i + k) & 0xC0) != 0x80) return {kInvalid, 1};
    cp = (cp << 6) | (b(i + k) & 0x3F);
  }
  // Overlong forms, surrogates and values past U+10FFFF are not text.
  if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10FFFF)) || (cp >= 0xD800 && cp < 0xE000))
    return {kInvalid, 1};
  return {cp, len};
}

// The start of the code point that ends at `i` (i > 0).
std::size_t previous(std::string_view s, std::size_t i) {
  std::size_t k = i - 1;
  for (int back = 0; back < 3 && k > 0 && (static_cast<unsigned char>(s[k]) & 0xC0) == 0x80; ++back) --k;
  return decode(s, k).len == i - k ? k : i - 1;
}

bool ascii_alnum(char32_t c) { return (c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'z'); }
bool ascii_digit(char32_t c) { return c >= '0' && c <= '9'; }

// A letter or digit of some script: anything past ASCII that is not a space,
// punctuation, a symbol or an emoji.
bool unicode_letter(char32_t c) {
  if (c < 0x80 || c == kInvalid) return false;
  constexpr std::array<std::pair<char32_t, char32_t>, 16> kNotLetters{{{0x80, 0xBF},
                                                                        {0xD7, 0xD7},
                                                                        {0xF7, 0xF7},
                                                                        {0x2000, 0x206F},
                                                                        {0x20A0, 0x20CF},
                                                                        {0x2190, 0x2BFF},
                                                                        {0x3000, 0x303F},
                                                                        {0xFE30, 0xFE6F},
                                                                        {0xFEFF, 0xFEFF},
                                                                        {0xFF00, 0xFF0F},
                                                                        {0xFF1A, 0xFF20},
                                                                        {0xFF3B, 0xFF40},
                                                                        {0xFF5B, 0xFF65},
                                                                        {0xFFF0, 0xFFFF},
                                                                        {0x1F000, 0x1FAFF},
                                                                        {0xE0000, 0x10FFFF}}};
  return std::none_of(kNotLetters.begin(), kNotLetters.end(),
                      [c](const auto& r) { return c >= r.first && c <= r.second; });
}
bool word_char(char32_t c) { return ascii_alnum(c) || c == '_' || unicode_letter(c); }
// Scripts written without spaces between words (Chinese, Japanese, Korean):
// a number or an address may follow or precede their words directly.
bool unspaced_script(char32_t c) {
  return (c >= 0x3040 && c <= 0x30FF) || (c >= 0x3400 && c <= 0x4DBF) || (c >= 0x4E00 && c <= 0x9FFF) ||
         (c >= 0xAC00 && c <= 0xD7AF) || (c >= 0xF900 && c <= 0xFAFF);
}
// A character that glues a number to a word ("ID4155550100"), unlike a CJK
// word, which may sit right against one ("電話03-1234-5678").
bool glued(char32_t c) { return word_char(c) && !unspaced_script(c); }

char lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c | 0x20) : c; }
bool starts_with_nocase(std::string_view s, std::size_t i, std::string_view word) {
  if (i + word.size() > s.size()) return false;
  for (std::size_t k = 0; k < word.size(); ++k)
    if (lower(s[i + k]) != word[k]) return false;
  return true;
}
std::size_t skip_spaces(std::string_view s, std::size_t i, std::size_t most) {
  for (std::size_t n = 0; n < most && i < s.size() && s[i] == ' '; ++n) ++i;
  return i;
}

// ---- email addresses -------------------------------------------------------------

// A marker written for "@" or ".": the symbol itself, or a bracketed word
// (`[at]`, `(dot)`, `{at}`, `<at>`, `[@]`, `[.]`) with spaces around it.
struct Marker {
  std::size_t begin = 0, end = 0;
  bool found = false;
  bool obfuscated = false;
};

Marker bracketed(std::string_view s, std::size_t i, std::string_view word, std::string_view symbol) {
  const std::size_t start = i;
  i = skip_spaces(s, i, 2);
  if (i >= s.size()) return {};
  const std::string_view opens = "[({<", closes = "])}>";
  const std::size_t kind = opens.find(s[i]);
  if (kind == std::string_view::npos) return {};
  std::size_t k = skip_spaces(s, i + 1, 1);
  if (starts_with_nocase(s, k, word))
    k += word.size();
  else if (s.substr(k, symbol.size()) == symbol)
    k += symbol.size();
  else
    return {};
  k = skip_spaces(s, k, 1);
  if (k >= s.size() || s[k] != closes[kind]) return {};
  return {start, skip_spaces(s, k + 1, 2), true, true};
}

// An "@" at i (i at its first byte or at spaces before a bracketed form).
Marker at_marker(std::string_view s, std::size_t i) {
  if (s[i] == '@') return {i, i + 1, true, false};
  if (s.substr(i, 3) == "\xEF\xBC\xA0") return {i, i + 3, true, false};  // fullwidth ＠
  // "ana @ acme.com", spaced on both sides; "Slack @john.doe" is a mention.
  if (s[i] == ' ' && i + 2 < s.size() && s[i + 1] == '@' && s[i + 2] == ' ') return {i, i + 3, true, false};
  return bracketed(s, i, "at", "@");
}

Marker dot_marker(std::string_view s, std::size_t i, bool obfuscated) {
  if (i >= s.size()) return {};
  if (s[i] == '.') return {i, i + 1, true, false};
  if (s.substr(i, 3) == "\xEF\xBC\x8E") return {i, i + 3, true, false};  // fullwidth ．
  if (Marker m = bracketed(s, i, "dot", "."); m.found) return m;
  // "name [at] acme dot com": the plain word only once the address is obfuscated.
  if (obfuscated && s[i] == ' ' && starts_with_nocase(s, i + 1, "dot ")) return {i, i + 5, true, true};
  return {};
}

bool local_char(char32_t c) {
  return ascii_alnum(c) || c == '.' || c == '_' || c == '%' || c == '+' || c == '-' || c == '\'' ||
         unicode_letter(c);
}
bool label_char(char32_t c) { return ascii_alnum(c) || c == '-' || unicode_letter(c); }

// The address around the "@" marker m, if there is one; `floor` is where the
// previous match ended.
bool email_at(std::string_view s, const Marker& m, std::size_t floor, PiiMatch& out) {
  // The local part, back from the marker.
  // At most 64 characters (RFC 5321), which also bounds the work per marker.
  // A local part in Latin letters ends where CJK text runs into it
  // ("担当はyamada@…" is yamada's address).
  std::size_t begin = m.begin;
  bool ascii_seen = false, boundary = false;
  for (int n = 0; begin > floor && n < 64; ++n) {
    const std::size_t p = previous(s, begin);
    const char32_t c = decode(s, p).cp;
    if (!local_char(c)) break;
    if (ascii_seen && unspaced_script(c)) {
      boundary = true;
      break;
    }
    ascii_seen = ascii_seen || c < 0x80;
    begin = p;
  }
  if (!boundary && begin > floor && local_char(decode(s, previous(s, begin)).cp)) return false;  // longer than any address
  while (begin < m.begin && (s[begin] == '.' || s[begin] == '\'' || s[begin] == '-' || s[begin] == '+')) ++begin;
  if (begin == m.begin || s[m.begin - 1] == '.') return false;
  // The domain: labels joined by dots, the last one letters only.
  std::vector<std::pair<std::size_t, std::size_t>> labels;
  std::size_t i = m.end;
  bool obfuscated = m.obfuscated;
  while (true) {
    std::size_t end = i;
    bool ascii_label = false;
    while (end < s.size()) {
      const CodePoint c = decode(s, end);
      // "…@example.co.jpです": CJK text runs on after a Latin label.
      if (!label_char(c.cp) || (ascii_label && unspaced_script(c.cp))) break;
      ascii_label = ascii_label || c.cp < 0x80;
      end += c.len;
    }
    if (end == i || s[i] == '-' || s[end - 1] == '-' || end - i > 63 || labels.size() >= 127) break;
    labels.emplace_back(i, end);
    const Marker dot = dot_marker(s, end, obfuscated);
    if (!dot.found || dot.end >= s.size() || !label_char(decode(s, dot.end).cp)) break;
    obfuscated = obfuscated || dot.obfuscated;
    i = dot.end;
  }
  if (labels.size() < 2) return false;
  const auto [tld_begin, tld_end] = labels.back();
  std::size_t letters = 0;
  for (std::size_t k = tld_begin; k < tld_end;) {
    const CodePoint c = decode(s, k);
    if (ascii_digit(c.cp) || c.cp == '-') return false;
    ++letters;
    k += c.len;
  }
  if (letters < 2) return false;
  // "img@2x.png" is a file, "git@github.com:org/repo" a remote: neither is an address.
  constexpr std::array<std::string_view, 24> kFileTypes{"png", "jpg",  "jpeg", "gif",  "svg",  "webp", "bmp", "ico",
                                                        "tif", "tiff", "pdf",  "csv",  "txt",  "json", "xml", "yaml",
                                                        "yml", "log",  "gz",   "tgz",  "css",  "js",   "html", "git"};
  std::string tld;
  for (std::size_t k = tld_begin; k < tld_end; ++k) tld += lower(s[k]);
  if (std::find(kFileTypes.begin(), kFileTypes.end(), tld) != kFileTypes.end()) return false;
  if (tld_end + 1 < s.size() && s[tld_end] == ':' && s[tld_end + 1] != ' ') return false;
  out.begin = begin;
  out.end = tld_end;
  out.kind = PiiKind::email;
  out.key.clear();
  for (std::size_t k = begin; k < m.begin; ++k) out.key += lower(s[k]);
  while (!out.key.empty() && out.key.back() == ' ') out.key.pop_back();
  out.key += '@';
  for (std::size_t l = 0; l < labels.size(); ++l) {
    if (l > 0) out.key += '.';
    for (std::size_t k = labels[l].first; k < labels[l].second; ++k) out.key += lower(s[k]);
  }
  return true;
}

std::vector<PiiMatch> find_emails(std::string_view s) {
  std::vector<PiiMatch> found;
  std::size_t floor = 0;
  for (std::size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    if (c != '@' && c != ' ' && c != '[' && c != '(' && c != '{' && c != '<' && c != '\xEF') continue;
    const Marker m = at_marker(s, i);
    if (!m.found) continue;
    PiiMatch e;
    if (email_at(s, m, floor, e)) {
      found.push_back(std::move(e));
      floor = found.back().end;
      i = floor - 1;
    }
  }
  return found;
}

// ---- phone numbers ---------------------------------------------------------------

// Words that say the next number is a phone's, and words that say it is not.
constexpr std::array<std::string_view, 20> kPhoneWords{
    "tel",      "phone", "call",    "mobile", "cell", "fax",        "whatsapp", "sms",  "ring", "portable",
    "telefon", "handy", "t\xC3\xA9l", "mob",    "dial", "\xE9\x9B\xBB\xE8\xA9\xB1" /* 電話 */, "\xE2\x98\x8E" /* ☎ */,
    "\xF0\x9F\x93\x9E" /* 📞 */, "contact", "reach"};
constexpr std::array<std::string_view, 37> kNotPhoneWords{
    "version", "v",        "build",   "release", "ticket",  "order",         "invoice",         "po",
    "ref",     "case",     "id",      "ip",      "sku",     "serial",        "account",         "acct",
    "contract", "iban",    "siren",   "siret",   "vat",     "tax",           "isbn",            "ean",
    "lot",     "batch",    "part",    "rma",     "ein",     "duns",          "bestellnummer",   "rechnungsnummer",
    "kundennummer", "auftragsnummer", "artikelnummer", "commande", "facture"};

// The lower-case ASCII word that ends just before i, skipping spaces, '#', ':'
// and '.'; `start` is where it begins.
std::string word_before(std::string_view s, std::size_t i, std::size_t* start = nullptr) {
  while (i > 0 && (s[i - 1] == ' ' || s[i - 1] == '#' || s[i - 1] == ':' || s[i - 1] == '.')) --i;
  std::size_t b = i;
  while (b > 0 && ascii_alnum(static_cast<unsigned char>(s[b - 1]))) --b;
  std::string w;
  for (std::size_t k = b; k < i; ++k) w += lower(s[k]);
  if (start) *start = b;
  return w;
}

// "Order 4155550100", "Part number 123-4567-890": one of the two words before
// says the number is not a phone's.
bool not_phone_word_before(std::string_view s, std::size_t i) {
  auto listed = [](const std::string& w) {
    return std::find(kNotPhoneWords.begin(), kNotPhoneWords.end(), w) != kNotPhoneWords.end();
  };
  std::size_t start = 0;
  const std::string last = word_before(s, i, &start);
  if (listed(last)) return true;
  return (last == "number" || last == "no" || last == "nr" || last == "num") && listed(word_before(s, start));
}

bool phone_word_before(std::string_view s, std::size_t i) {
  const std::size_t from = i > 32 ? i - 32 : 0;
  std::string window;
  for (std::size_t k = from; k < i; ++k) window += lower(s[k]);
  return std::any_of(kPhoneWords.begin(), kPhoneWords.end(),
                     [&](std::string_view w) { return window.find(w) != std::string::npos; });
}

struct Groups {
  std::vector<std::size_t> begin, len;
  std::vector<char> sep;  // before each group after the first: ' ', '-', '.', '/', or ')' / '(' alone
  std::size_t end = 0;
  bool plus = false;
  std::size_t digits() const {
    std::size_t n = 0;
    for (std::size_t l : len) n += l;
    return n;
  }
};

std::size_t digits_at(std::string_view s, std::size_t i) {
  std::size_t k = i;
  while (k < s.size() && ascii_digit(static_cast<unsigned char>(s[k]))) ++k;
  return k - i;
}

// Digit groups from i: "+33 1 23 45", "(415) 555-0100", "+44 (0)20 7946".
bool read_groups(std::string_view s, std::size_t i, Groups& g) {
  bool open = false;
  if (s[i] == '(') {
    open = true;
    ++i;
  }
  if (i < s.size() && s[i] == '+') {
    g.plus = true;
    ++i;
  }
  std::size_t n = digits_at(s, i);
  if (n == 0) return false;
  g.begin.push_back(i);
  g.len.push_back(n);
  i += n;
  // A bracket before the number belongs to it only around its first group,
  // "(415) 555-0100" or "(+33) 1 23…"; "(415-555-0100)" is a number in brackets.
  if (open && (i >= s.size() || s[i] != ')')) return false;
  while (i < s.size()) {
    std::size_t k = i;
    char sep = 0;
    if (open && s[k] == ')') {
      open = false;
      sep = ')';
      ++k;
    }
    if (k < s.size() && (s[k] == ' ' || s[k] == '-' || s[k] == '.' || s[k] == '/')) {
      sep = s[k];
      ++k;
    } else if (s.substr(k, 2) == "\xC2\xA0") {  // no-break space
      sep = ' ';
      k += 2;
    } else if (s.substr(k, 3) == "\xE2\x80\xAF") {  // narrow no-break space, as French typography spaces numbers
      sep = ' ';
      k += 3;
    }
    if (!open && k < s.size() && s[k] == '(' && k + 1 < s.size() && ascii_digit(static_cast<unsigned char>(s[k + 1]))) {
      open = true;
      if (sep == 0) sep = '(';
      ++k;
    }
    n = sep == 0 ? 0 : digits_at(s, k);
    // Past 15 digits no prefix needs more groups; reading on would make a
    // long run of numbers cost its length squared.
    if (n == 0 || g.digits() > 15) break;
    g.sep.push_back(sep);
    g.begin.push_back(k);
    g.len.push_back(n);
    i = k + n;
  }
  if (open && i < s.size() && s[i] == ')') ++i;
  g.end = i;
  return true;
}

std::size_t number(std::string_view s, std::size_t begin, std::size_t len) {
  std::size_t v = 0;
  for (std::size_t k = begin; k < begin + len; ++k) v = v * 10 + static_cast<std::size_t>(s[k] - '0');
  return v;
}

// Shapes of digit groups that are not phones.
bool date_shape(std::string_view s, const Groups& g) {
  if (g.len.size() < 2 || (g.sep[0] != '-' && g.sep[0] != '/' && g.sep[0] != '.')) return false;
  auto year = [&](std::size_t k) { return g.len[k] == 4 && number(s, g.begin[k], 4) >= 1900 && number(s, g.begin[k], 4) <= 2199; };
  auto small = [&](std::size_t k) { return g.len[k] <= 2 && number(s, g.begin[k], g.len[k]) <= 31; };
  // "2024-03-0015" (a lot of March 2024) starts as a date does.
  if (year(0) && g.len[1] == 2 && number(s, g.begin[1], 2) >= 1 && number(s, g.begin[1], 2) <= 12) return true;
  if (g.len.size() < 3 || g.sep[0] != g.sep[1]) return false;
  return (year(0) && small(1) && small(2)) || (small(0) && small(1) && year(2));
}
bool ip_shape(std::string_view s, const Groups& g) {
  if (g.len.size() != 4) return false;
  for (std::size_t k = 0; k < 4; ++k)
    if (g.len[k] > 3 || number(s, g.begin[k], g.len[k]) > 255 || (k > 0 && g.sep[k - 1] != '.')) return false;
  return true;
}
bool thousands_shape(const Groups& g) {
  if (g.len.size() < 3 || g.len[0] > 3) return false;
  for (std::size_t k = 1; k < g.len.size(); ++k)
    if (g.len[k] != 3 || g.sep[k - 1] != g.sep[0] || (g.sep[0] != ' ' && g.sep[0] != '.')) return false;
  return true;
}

// An extension after a number: "ext. 12", "x12", "#12", "extension 204", "poste 12".
std::size_t extension(std::string_view s, std::size_t i, std::string& digits) {
  std::size_t k = skip_spaces(s, i, 2);
  std::size_t word = 0;
  for (const std::string_view w : {std::string_view("extension"), std::string_view("ext"), std::string_view("poste"),
                                   std::string_view("ex"), std::string_view("x"), std::string_view("#")})
    if (starts_with_nocase(s, k, w)) {
      word = w.size();
      break;
    }
  if (word == 0) return i;
  k += word;
  if (k < s.size() && (s[k] == '.' || s[k] == ':')) ++k;
  k = skip_spaces(s, k, 1);
  const std::size_t n = digits_at(s, k);
  if (n == 0 || n > 6) return i;
  if (k + n < s.size() && word_char(decode(s, k + n).cp)) return i;
  digits.assign(s.substr(k, n));
  return k + n;
}

// The first k groups of g, as if the number ended there.
Groups prefix(std::string_view s, const Groups& g, std::size_t k) {
  Groups h = g;
  h.begin.resize(k);
  h.len.resize(k);
  h.sep.resize(k - 1);
  h.end = g.begin[k - 1] + g.len[k - 1];
  if (k < g.len.size() && h.end < s.size() && s[h.end] == ')') ++h.end;
  return h;
}

// Whether these digit groups have a phone number's shape (the words around
// them aside).
bool phone_shape(std::string_view s, const Groups& g, bool cue) {
  const std::size_t digits = g.digits();
  if (g.plus) return digits >= 8 && digits <= 15;
  // National numbers have at most 12 digits; "00" dials out, as "+" does.
  const bool international = s.substr(g.begin[0], 2) == "00";
  const std::size_t most = international ? 15 : 12;
  // Nine digits in four or more small groups are a national number too
  // ("612 34 56 78", "91 123 45 67").
  const bool nine = digits == 9 && g.len.size() >= 4 &&
                    std::all_of(g.len.begin(), g.len.end(), [](std::size_t l) { return l <= 3; });
  const bool shaped = (digits >= 10 && digits <= most && g.len.size() >= 2) || nine;
  if (!shaped && !(cue && digits >= 7 && digits <= most)) return false;
  if (date_shape(s, g) || ip_shape(s, g) || thousands_shape(g)) return false;
  const bool bracketed = g.begin[0] > 0 && s[g.begin[0] - 1] == '(';
  // "01 23 45 67 89" is a national number; "10 20 30 40 50" is a list.
  if (!bracketed && s[g.begin[0]] != '0' &&
      std::all_of(g.len.begin(), g.len.end(), [](std::size_t l) { return l <= 2; }))
    return false;
  // "415.555.0100" and "01.23.45.67.89", but not "10.0.19045.2965" (a version).
  if (std::find(g.sep.begin(), g.sep.end(), '.') != g.sep.end() &&
      std::any_of(g.len.begin(), g.len.end(), [](std::size_t l) { return l < 2 || l > 4; }))
    return false;
  // Dashed groups of a phone have at most four digits: "978-3-16-148410-0" is
  // a book. An area code and the number ("06-12345678", "020-1234567") are one.
  const bool area_and_number = g.len.size() == 2 && s[g.begin[0]] == '0' && g.len[0] <= 4;
  if (!area_and_number && std::find(g.sep.begin(), g.sep.end(), '-') != g.sep.end() &&
      std::any_of(g.len.begin(), g.len.end(), [](std::size_t l) { return l > 4; }))
    return false;
  return true;
}

// Whatever follows the number's last digit (at i) rules it out: more of a
// word, a time, a percentage, an amount or the local part of an address.
bool ends_cleanly(std::string_view s, std::size_t i) {
  if (i >= s.size()) return true;
  const CodePoint c = decode(s, i);
  const bool digit_next = i + 1 < s.size() && ascii_digit(static_cast<unsigned char>(s[i + 1]));
  return !(glued(c.cp) || c.cp == '@' || c.cp == '%' || c.cp == 0x20AC || c.cp == '$' ||
           ((c.cp == ':' || c.cp == ',' || c.cp == '.') && digit_next));
}

bool phone_at(std::string_view s, std::size_t i, PiiMatch& out, std::size_t& skip_to) {
  Groups all;
  if (!read_groups(s, i, all) || all.digits() < 7) return false;  // the common case: a short number
  // What comes before: not a word, an amount, a ticket or a version.
  const bool cue = phone_word_before(s, i);
  if (i > 0) {
    const std::size_t p = previous(s, i);
    const char32_t c = decode(s, p).cp;
    if (glued(c) || c == '$' || c == 0x20AC || c == 0xA3 || c == 0xA5 || c == '#' || c == '-' || c == '.' ||
        c == '/' || c == '@' || c == '+' || c == ',' || (c == ':' && s[i] != '+' && !cue))
      return false;
  }
  if (!all.plus && not_phone_word_before(s, i)) {
    skip_to = all.end;  // "SIRET 732 829 320 00074": no part of it is a phone either
    return false;
  }
  // Two numbers in a row ("415 555 0100 415 555 0101") read as one run of
  // groups: the longest leading part with a phone's shape is the first.
  for (std::size_t k = all.len.size(); k >= 1; --k) {
    const Groups g = k == all.len.size() ? all : prefix(s, all, k);
    if (!phone_shape(s, g, cue)) continue;
    std::string ext;
    const std::size_t end = extension(s, g.end, ext);
    // Glued to what follows ("89 (9h)" reads on into "(9"): a shorter part may still be the number.
    if (end == g.end && k == all.len.size() && !ends_cleanly(s, g.end)) continue;
    out.begin = i;
    out.end = end;
    out.kind = PiiKind::phone;
    out.key = g.plus ? "+" : "";
    for (std::size_t j = 0; j < g.len.size(); ++j) {
      // "+44 (0)20": the trunk zero in brackets is not dialled from abroad.
      if (g.plus && j > 0 && g.len[j] == 1 && s[g.begin[j]] == '0' && s[g.begin[j] - 1] == '(') continue;
      out.key.append(s.substr(g.begin[j], g.len[j]));
    }
    if (!ext.empty()) out.key += "x" + ext;
    return true;
  }
  return false;
}

std::vector<PiiMatch> find_phones(std::string_view s, const std::vector<PiiMatch>& emails) {
  std::vector<PiiMatch> found;
  auto email = emails.begin();
  for (std::size_t i = 0; i < s.size(); ++i) {
    while (email != emails.end() && email->end <= i) ++email;
    if (email != emails.end() && i >= email->begin) {
      i = email->end - 1;
      continue;
    }
    const char c = s[i];
    if (!(ascii_digit(static_cast<unsigned char>(c)) || c == '+' || c == '(')) continue;
    PiiMatch m;
    std::size_t skip_to = 0;
    if (phone_at(s, i, m, skip_to) && (email == emails.end() || m.end <= email->begin)) {
      found.push_back(std::move(m));
      i = found.back().end - 1;
      continue;
    }
    if (skip_to > i) {
      i = skip_to - 1;
      continue;
    }
    // Not a phone: the rest of this run of digits is not the start of one either.
    if (ascii_digit(static_cast<unsigned char>(c)))
      while (i + 1 < s.size() && ascii_digit(static_cast<unsigned char>(s[i + 1]))) ++i;
  }
  return found;
}

nlohmann::ordered_json masked(nlohmann::ordered_json j, PiiMasker& masker) {
  if (j.is_string()) return masker.mask(j.get_ref<const std::string&>());
  if (j.is_array() || j.is_object())
    for (auto& v : j) v = masked(std::move(v), masker);
  return j;
}

}  // namespace

std::string_view to_string(PiiKind kind) noexcept { return kind == PiiKind::email ? "email" : "phone"; }

std::vector<PiiMatch> find_pii(std::string_view text) {
  std::vector<PiiMatch> emails = find_emails(text);
  std::vector<PiiMatch> phones = find_phones(text, emails);
  std::vector<PiiMatch> all(emails.size() + phones.size());
  std::merge(std::make_move_iterator(emails.begin()), std::make_move_iterator(emails.end()),
             std::make_move_iterator(phones.begin()), std::make_move_iterator(phones.end()), all.begin(),
             [](const PiiMatch& a, const PiiMatch& b) { return a.begin < b.begin; });
  return all;
}

std::string PiiMasker::mask(std::string_view text) {
  const std::vector<PiiMatch> found = find_pii(text);
  std::string out;
  out.reserve(text.size());
  std::size_t at = 0;
  for (const PiiMatch& m : found) {
    out.append(text.substr(at, m.begin - at));
    auto& index = by_key_[static_cast<int>(m.kind)];
    auto it = index.find(m.key);
    if (it == index.end()) {
      // The entry first, then its index: an allocation failing leaves neither.
      const std::size_t number = issued_[static_cast<int>(m.kind)] + 1;
      entries_.push_back({"<" + std::string(to_string(m.kind)) + ":" + std::to_string(number) + ">", m.kind,
                          std::string(text.substr(m.begin, m.end - m.begin))});
      try {
        it = index.emplace(m.key, entries_.size() - 1).first;
      } catch (...) {
        entries_.pop_back();
        throw;
      }
      issued_[static_cast<int>(m.kind)] = number;
    }
    out += entries_[it->second].token;
    at = m.end;
  }
  out.append(text.substr(at));
  return out;
}

std::string PiiMasker::mask_json(std::string_view json, int indent) {
  // Masking and printing recurse over the document: its depth is bounded first.
  bool too_deep = false;
  const auto depth_guard = [&](int depth, nlohmann::ordered_json::parse_event_t event, nlohmann::ordered_json&) {
    if ((event == nlohmann::ordered_json::parse_event_t::object_start ||
         event == nlohmann::ordered_json::parse_event_t::array_start) &&
        static_cast<std::size_t>(depth) >= json_detail::kMaxJsonDepth)
      too_deep = true;
    return !too_deep;
  };
  nlohmann::ordered_json j = nlohmann::ordered_json::parse(json, depth_guard, false);
  if (too_deep)
    throw Error(Errc::invalid, "json", "nested deeper than " + std::to_string(json_detail::kMaxJsonDepth) + " levels");
  if (j.is_discarded()) throw Error(Errc::invalid, "json", "is not valid JSON");
  return masked(std::move(j), *this).dump(indent);
}

std::string PiiMasker::unmask(std::string_view text) const {
  std::unordered_map<std::string_view, std::string_view> value_of;
  for (const Entry& e : entries_) value_of.emplace(e.token, e.value);
  std::string out;
  out.reserve(text.size());
  std::size_t at = 0;
  for (std::size_t open = text.find('<'); open != std::string_view::npos; open = text.find('<', open + 1)) {
    // A token is "<email:N>" or "<phone:N>"; any other '<' is text.
    std::size_t k = open + 1;
    if (text.substr(k, 6) != "email:" && text.substr(k, 6) != "phone:") continue;
    k += 6;
    const std::size_t digits = digits_at(text, k);
    if (digits == 0 || k + digits >= text.size() || text[k + digits] != '>') continue;
    const auto it = value_of.find(text.substr(open, k + digits + 1 - open));
    if (it == value_of.end()) continue;
    out.append(text.substr(at, open - at));
    out.append(it->second);
    at = k + digits + 1;
    open = at - 1;
  }
  out.append(text.substr(at));
  return out;
}

std::string PiiMasker::map_json(int indent) const {
  nlohmann::ordered_json j = nlohmann::ordered_json::object();
  for (const Entry& e : entries_) j[e.token] = e.value;
  return j.dump(indent);
}

std::string mask_pii(std::string_view text) {
  PiiMasker masker;
  return masker.mask(text);
}

}  // namespace firstvalue
