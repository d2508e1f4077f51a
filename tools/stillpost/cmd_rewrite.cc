// stillpost rewrite: the page with X's widgets.js swapped for our embed.js (or, with --iframes,
// each recognised post embed replaced by our iframe); every other byte as it was.
#include <gumbo.h>

#include <algorithm>
#include <fstream>
#include <iostream>
#include <sstream>

#include "common/post_ref.h"
#include "tools/stillpost/commands.h"

namespace stillpost::cli {
namespace {

struct Edit {
  size_t begin;
  size_t end;
  std::string text;
};

bool HasClass(const GumboNode* n, std::string_view cls) {
  const GumboAttribute* a = gumbo_get_attribute(&n->v.element.attributes, "class");
  if (a == nullptr) return false;
  std::string_view all(a->value);
  size_t pos = 0;
  while (pos < all.size()) {
    size_t end = all.find_first_of(" \t\n\r\f", pos);
    if (end == std::string_view::npos) end = all.size();
    if (all.substr(pos, end - pos) == cls) return true;
    pos = end + 1;
  }
  return false;
}

void LastStatus(const GumboNode* n, std::string& id) {
  if (n->type != GUMBO_NODE_ELEMENT) return;
  if (n->v.element.tag == GUMBO_TAG_A) {
    if (const GumboAttribute* href = gumbo_get_attribute(&n->v.element.attributes, "href")) {
      if (auto r = ParseXPostRef(href->value)) id = *r;
    }
  }
  const GumboVector& kids = n->v.element.children;
  for (unsigned i = 0; i < kids.length; ++i)
    LastStatus(static_cast<const GumboNode*>(kids.data[i]), id);
}

void Collect(const GumboNode* n, const RewriteOptions& o, std::vector<Edit>& edits) {
  if (n->type != GUMBO_NODE_ELEMENT) return;
  const GumboElement& e = n->v.element;
  if (e.tag == GUMBO_TAG_SCRIPT) {
    const GumboAttribute* src = gumbo_get_attribute(&e.attributes, "src");
    if (src != nullptr) {
      std::string_view v(src->value);
      if (v.find("platform.twitter.com/widgets.js") != std::string_view::npos &&
          src->original_value.length > 0) {
        edits.push_back({src->value_start.offset,
                         src->value_start.offset + src->original_value.length,
                         "\"" + o.base + "/embed.js\""});
      }
    }
    return;
  }
  if (o.iframes && e.tag == GUMBO_TAG_BLOCKQUOTE && HasClass(n, "twitter-tweet") &&
      e.original_end_tag.length > 0) {
    std::string id;
    LastStatus(n, id);
    if (!id.empty()) {
      const GumboAttribute* theme = gumbo_get_attribute(&e.attributes, "data-theme");
      const GumboAttribute* conv = gumbo_get_attribute(&e.attributes, "data-conversation");
      std::string query;
      if (theme != nullptr &&
          (std::string_view(theme->value) == "dark" || std::string_view(theme->value) == "light")) {
        query += std::string(query.empty() ? "?" : "&") + "theme=" + theme->value;
      }
      if (conv != nullptr && std::string_view(conv->value) == "none") {
        query += std::string(query.empty() ? "?" : "&") + "hide_thread=1";
      }
      edits.push_back({e.start_pos.offset, e.end_pos.offset + e.original_end_tag.length,
                       "<iframe src=\"" + o.base + "/embed/x/" + id + query +
                           "\" width=\"550\" height=\"400\" style=\"border:0;max-width:100%\" "
                           "loading=\"lazy\" title=\"Archived post\"></iframe>"});
      return;
    }
  }
  for (unsigned i = 0; i < e.children.length; ++i) {
    Collect(static_cast<const GumboNode*>(e.children.data[i]), o, edits);
  }
}

}  // namespace

int RunRewrite(const GlobalOptions&, const RewriteOptions& options) {
  std::ifstream in(options.page, std::ios::binary);
  if (!in) return Fail(NotFoundError("cannot read " + options.page));
  std::ostringstream buf;
  buf << in.rdbuf();
  const std::string page = buf.str();
  if (options.base.rfind("http://", 0) != 0 && options.base.rfind("https://", 0) != 0) {
    std::cerr << "stillpost: --base takes the archive's http(s) origin, not '" << options.base
              << "'\n";
    return kExitUsage;
  }
  RewriteOptions o = options;
  while (!o.base.empty() && o.base.back() == '/') o.base.pop_back();
  GumboOutput* doc = gumbo_parse_with_options(&kGumboDefaultOptions, page.data(), page.size());
  std::vector<Edit> edits;
  Collect(doc->root, o, edits);
  gumbo_destroy_output(&kGumboDefaultOptions, doc);
  std::sort(edits.begin(), edits.end(),
            [](const Edit& a, const Edit& b) { return a.begin < b.begin; });
  std::string out;
  size_t pos = 0;
  for (const Edit& e : edits) {
    if (e.begin < pos || e.end > page.size()) continue;
    out.append(page, pos, e.begin - pos);
    out += e.text;
    pos = e.end;
  }
  out.append(page, pos, std::string::npos);
  std::cout << out;
  return kExitOk;
}

}  // namespace stillpost::cli
