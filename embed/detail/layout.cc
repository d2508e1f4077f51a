#include "embed/detail/layout.h"

#include <utf8.h>

#include <algorithm>
#include <cstdint>
#include <iterator>

namespace stillpost::embed::detail {
namespace {

struct GlyphAdvance {
  uint32_t cp;
  uint16_t regular;
  uint16_t bold;
};
#include "embed/detail/font_metrics.inc"

constexpr double kEmojiEm = 1.245;  // Noto Color Emoji, Apple Color Emoji: about 1.25 em
constexpr double kOtherEm = 0.6;    // a glyph from some other font: an average Latin width

bool IsCjk(uint32_t c) {
  return (c >= 0x1100 && c <= 0x11FF) || (c >= 0x2E80 && c <= 0x303F) ||
         (c >= 0x3040 && c <= 0x9FFF) || (c >= 0xAC00 && c <= 0xD7AF) ||
         (c >= 0xF900 && c <= 0xFAFF) || (c >= 0xFF00 && c <= 0xFF60) ||
         (c >= 0xFFE0 && c <= 0xFFE6) || (c >= 0x20000 && c <= 0x3FFFF);
}

bool IsEmoji(uint32_t c) {
  return (c >= 0x1F000 && c <= 0x1FAFF) || (c >= 0x2600 && c <= 0x27BF) ||
         (c >= 0x2B00 && c <= 0x2BFF) || c == 0x2122 || c == 0x2139 || (c >= 0x2190 && c <= 0x21FF);
}

// Code points that draw nothing of their own: joiners, variation selectors, skin tones, tags.
bool IsZeroWidth(uint32_t c) {
  return c == 0x200B || c == 0x200C || c == 0x200D || c == 0x2060 || c == 0xFEFF ||
         (c >= 0xFE00 && c <= 0xFE0F) || (c >= 0x1F3FB && c <= 0x1F3FF) ||
         (c >= 0xE0020 && c <= 0xE007F) || (c >= 0x0300 && c <= 0x036F) || c == 0x20E3;
}

const GlyphAdvance* Find(uint32_t cp) {
  const auto* end = std::end(kAdvances);
  const auto* it = std::lower_bound(std::begin(kAdvances), end, cp,
                                    [](const GlyphAdvance& g, uint32_t c) { return g.cp < c; });
  return it != end && it->cp == cp ? it : nullptr;
}

// One code point's advance in em; `prev` is the code point before (ZWJ sequences and flags draw
// as one glyph).
double AdvanceEm(uint32_t c, uint32_t prev, bool bold) {
  if (IsZeroWidth(c)) return 0;
  if (prev == 0x200D && (IsEmoji(c) || c == 0x2640 || c == 0x2642)) return 0;  // joined
  if (c >= 0x1F1E6 && c <= 0x1F1FF) {
    return prev >= 0x1F1E6 && prev <= 0x1F1FF ? 0 : kEmojiEm;  // a flag is two indicators
  }
  if (const GlyphAdvance* g = Find(c)) {
    return static_cast<double>(bold ? g->bold : g->regular) / kFontUnitsPerEm;
  }
  if (IsCjk(c)) return 1.0;
  if (IsEmoji(c)) return kEmojiEm;
  return kOtherEm;
}

// Whether a line may break before `c` whatever precedes it, or after `prev` (CJK and emoji are
// broken around; closing punctuation never starts a line, opening never ends one).
bool BreakBetween(uint32_t prev, uint32_t c) {
  auto closing = [](uint32_t x) {
    return x == 0x3001 || x == 0x3002 || x == 0xFF0C || x == 0xFF0E || x == 0xFF01 || x == 0xFF1F ||
           x == 0xFF09 || x == 0x300D || x == 0x300F || x == 0x3011 || x == 0xFF1A || x == 0xFF1B ||
           x == '.' || x == ',' || x == '!' || x == '?' || x == ')' || x == ':' || x == ';';
  };
  auto opening = [](uint32_t x) {
    return x == 0xFF08 || x == 0x300C || x == 0x300E || x == 0x3010 || x == '(' || x == '"';
  };
  if (IsZeroWidth(c) || prev == 0x200D || prev == 0) return false;
  if (closing(c) || opening(prev)) return false;
  if (prev == '-' || prev == 0x2010 || prev == 0x2013) return !(c >= '0' && c <= '9') && c != ' ';
  if (prev == 0x2014 || c == 0x2014) return true;
  const bool wide_prev = IsCjk(prev) || IsEmoji(prev), wide = IsCjk(c) || IsEmoji(c);
  if (c >= 0x1F1E6 && c <= 0x1F1FF && prev >= 0x1F1E6 && prev <= 0x1F1FF) return false;
  return wide_prev || wide;
}

// The paragraph as pieces between break opportunities.
struct Piece {
  double width = 0;           // of the piece without its trailing spaces
  double space = 0;           // trailing spaces (they hang at a line's end)
  bool newline = false;       // a forced break follows
  std::vector<double> chars;  // advances, for breaking a piece anywhere
};

std::vector<Piece> Pieces(const std::vector<Run>& runs) {
  std::vector<Piece> out(1);
  uint32_t prev = 0;
  for (const Run& run : runs) {
    if (run.box_width > 0 || run.nowrap) {
      const double w = run.box_width > 0 ? run.box_width : TextWidth(run.text, run.px, run.bold);
      // An inline box or an unbreakable run: breakable on both sides.
      if (out.back().width > 0 || out.back().space > 0) out.emplace_back();
      out.back().width = w;
      out.back().chars = {w};
      out.emplace_back();
      prev = 0;
      continue;
    }
    const std::string_view t = run.text;
    for (auto it = t.begin(); it != t.end();) {
      const uint32_t c = utf8::unchecked::next(it);
      if (c == '\n') {
        out.back().newline = true;
        out.emplace_back();
        prev = 0;
        continue;
      }
      const double adv = AdvanceEm(c, prev, run.bold) * run.px;
      Piece& p = out.back();
      if (c == ' ' || c == '\t') {
        p.space += c == '\t' ? 8 * AdvanceEm(' ', 0, run.bold) * run.px : adv;
        prev = c;
        continue;
      }
      if (p.space > 0 || BreakBetween(prev, c)) {
        if (p.width > 0 || p.space > 0) out.emplace_back();
      }
      out.back().width += adv;
      out.back().chars.push_back(adv);
      prev = c;
    }
  }
  return out;
}

}  // namespace

double TextWidth(std::string_view text, double px, bool bold) {
  double em = 0;
  uint32_t prev = 0;
  for (auto it = text.begin(); it != text.end();) {
    const uint32_t c = utf8::unchecked::next(it);
    em += AdvanceEm(c, prev, bold);
    prev = c;
  }
  return em * px;
}

int LineCount(const std::vector<Run>& runs, double width) {
  constexpr double kSlack = 0.01;  // Chromium's layout units are 1/64 px
  int lines = 1;
  double x = 0;
  for (const Piece& p : Pieces(runs)) {
    if (p.width > 0) {
      if (x > 0 && x + p.width > width + kSlack) {
        ++lines;
        x = 0;
      }
      if (p.width <= width + kSlack) {
        x += p.width;
      } else {
        // Wider than a line: broken anywhere, at least one character a line.
        for (double c : p.chars) {
          if (x > 0 && x + c > width + kSlack) {
            ++lines;
            x = 0;
          }
          x += c;
        }
      }
    }
    x += p.space;  // hangs when the line ends here
    if (p.newline) {
      ++lines;
      x = 0;
    }
  }
  return lines;
}

}  // namespace stillpost::embed::detail
