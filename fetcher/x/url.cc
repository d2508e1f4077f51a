// X URL recognition and the syndication token.
#include <boost/url/parse.hpp>
#include <boost/url/url_view.hpp>
#include <cmath>
#include <cstring>
#include <limits>

#include "common/post_ref.h"
#include "fetcher/x/x.h"

namespace stillpost::fetcher::x {
namespace {

// The flags react-tweet sends (packages/react-tweet/src/api/fetch-tweet.ts).
constexpr const char* kFeatures =
    "tfw_timeline_list:;tfw_follower_count_sunset:true;tfw_tweet_edit_backend:on;"
    "tfw_refsrc_session:on;tfw_fosnr_soft_interventions_enabled:on;"
    "tfw_show_birdwatch_pivots_enabled:on;tfw_show_business_verified_badge:on;"
    "tfw_duplicate_scribes_to_settings:on;tfw_use_profile_image_shape_enabled:on;"
    "tfw_show_blue_verified_badge:on;tfw_legacy_timeline_sunset:true;"
    "tfw_show_gov_verified_badge:on;tfw_show_business_affiliate_badge:on;"
    "tfw_tweet_edit_frontend:on";

}  // namespace

// V8's DoubleToRadixCString (src/numbers/conversions.cc), which Number.prototype.toString(radix)
// uses: fraction digits are produced only up to the precision of the input double, with
// round-half-even and carry propagation.
std::string DoubleToRadix(double value, int radix) {
  static constexpr char kChars[] = "0123456789abcdefghijklmnopqrstuvwxyz";
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value < 0 ? "-Infinity" : "Infinity";
  if (value == 0) return "0";
  constexpr int kBufferSize = 2200;
  char buffer[kBufferSize];
  int integer_cursor = kBufferSize / 2;
  int fraction_cursor = integer_cursor;
  const bool negative = value < 0;
  if (negative) value = -value;

  double integer = std::floor(value);
  double fraction = value - integer;
  // Digits are computed only while they say something about the input double.
  double delta = 0.5 * (std::nextafter(value, std::numeric_limits<double>::infinity()) - value);
  delta = std::max(std::nextafter(0.0, 1.0), delta);
  if (fraction >= delta) {
    buffer[fraction_cursor++] = '.';
    do {
      fraction *= radix;
      delta *= radix;
      const int digit = static_cast<int>(fraction);
      buffer[fraction_cursor++] = kChars[digit];
      fraction -= digit;
      if (fraction > 0.5 || (fraction == 0.5 && (digit & 1))) {
        if (fraction + delta > 1) {
          // Round up, carrying through digits already written.
          for (;;) {
            fraction_cursor--;
            if (fraction_cursor == kBufferSize / 2) {
              integer += 1;
              break;
            }
            const char c = buffer[fraction_cursor];
            const int d = c > '9' ? (c - 'a' + 10) : (c - '0');
            if (d + 1 < radix) {
              buffer[fraction_cursor++] = kChars[d + 1];
              break;
            }
          }
          break;
        }
      }
    } while (fraction >= delta);
  }
  // Integer digits. Beyond 2^53 the low digits are not represented: V8 writes zeros for them.
  auto exponent = [](double d) {
    int e = 0;
    std::frexp(d, &e);
    return e - 53;  // the exponent of the double as significand * 2^e, significand 53 bits
  };
  while (exponent(integer / radix) > 0) {
    integer /= radix;
    buffer[--integer_cursor] = '0';
  }
  do {
    const double remainder = std::fmod(integer, radix);
    buffer[--integer_cursor] = kChars[static_cast<int>(remainder)];
    integer = (integer - remainder) / radix;
  } while (integer > 0);
  if (negative) buffer[--integer_cursor] = '-';
  return std::string(buffer + integer_cursor, buffer + fraction_cursor);
}

std::string SyndicationToken(std::string_view id) {
  const double n = std::strtod(std::string(id).c_str(), nullptr);
  const std::string s = DoubleToRadix((n / 1e15) * M_PI, 36);
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    if (c != '0' && c != '.') out += c;
  }
  return out;
}

std::string TweetResultUrl(std::string_view id) {
  std::string url = "https://cdn.syndication.twimg.com/tweet-result?id=";
  url += id;
  url += "&lang=en&features=";
  // The features value is sent percent-encoded (':' and ';' are reserved in a query).
  for (const char* p = kFeatures; *p != '\0'; ++p) {
    if (*p == ':') {
      url += "%3A";
    } else if (*p == ';') {
      url += "%3B";
    } else {
      url += *p;
    }
  }
  url += "&token=";
  url += SyndicationToken(id);
  return url;
}

std::string OEmbedUrl(std::string_view id) {
  return "https://publish.twitter.com/oembed?url=https%3A%2F%2Ftwitter.com%2Fi%2Fstatus%2F" +
         std::string(id) + "&omit_script=true&dnt=true";
}

std::string CanonicalUrl(std::string_view id, std::string_view screen_name) {
  // A screen name is 1-15 of [A-Za-z0-9_]; anything else from upstream does not go into a URL.
  const bool valid = !screen_name.empty() && screen_name.size() <= 15 &&
                     screen_name.find_first_not_of(
                         "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_") ==
                         std::string_view::npos;
  if (!valid) return "https://x.com/i/status/" + std::string(id);
  return "https://x.com/" + std::string(screen_name) + "/status/" + std::string(id);
}

}  // namespace stillpost::fetcher::x
