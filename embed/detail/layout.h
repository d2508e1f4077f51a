// How much room text takes in an embed, for the height oEmbed answers before a browser has drawn
// the embed. The embed's CSS sets text in Helvetica / Arial / Liberation Sans (one set of advance
// widths, embed/detail/font_metrics.inc) with kerning and ligatures off, so a width is a sum of
// advances; CJK takes 1 em and emoji 1.245 em (their usual fonts). Lines are broken the way
// Chromium breaks `white-space: pre-wrap; overflow-wrap: anywhere` text: at spaces (which hang),
// after a hyphen not before a digit, around CJK and emoji, at newlines; a piece wider than the
// line is broken anywhere. An estimate, exact for the text it was checked against; embed.js and
// the embed's height message correct what a reader's own fonts change.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace stillpost::embed::detail {

// Width in CSS px of valid UTF-8 `text` at `px`, regular or bold.
double TextWidth(std::string_view text, double px, bool bold = false);

// A piece of a paragraph: text in one style, or a fixed-width inline box (an emoji image).
struct Run {
  std::string text;
  double px = 15;
  bool bold = false;
  bool nowrap = false;   // one unbreakable piece (a date, "View on X")
  double box_width = 0;  // > 0: an inline box of this width instead of text
};

// The lines a paragraph of runs takes in a box `width` px wide.
int LineCount(const std::vector<Run>& runs, double width);

}  // namespace stillpost::embed::detail
