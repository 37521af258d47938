// The parts of the code stand in one order (docs/architecture.md, its
// "Order:" line) and each may include only the parts before it.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

namespace {

namespace fs = std::filesystem;
const fs::path kRoot(HANDGRAD_SOURCE_DIR);

std::string read(const fs::path& p) {
  std::ifstream f(p);
  std::stringstream s;
  s << f.rdbuf();
  return s.str();
}

std::vector<std::string> documented_order() {
  std::vector<std::string> parts;
  const std::string doc = read(kRoot / "docs/architecture.md");
  const auto at = doc.find("\nOrder: ");
  if (at == std::string::npos) return parts;
  std::istringstream line(doc.substr(at + 8, doc.find('\n', at + 1) - at - 8));
  for (std::string w; line >> w;) {
    if (w != "→") parts.push_back(w);
  }
  return parts;
}

// The part a file belongs to ("" for files outside the parts).
std::string part_of(const fs::path& rel) {
  const std::string s = rel.generic_string();
  static const std::regex part(R"(^(?:src|include/handgrad)/([a-z]+)/)");
  std::smatch m;
  if (std::regex_search(s, m, part)) return m[1];
  return s.rfind("app/", 0) == 0 ? "app" : "";
}

TEST(ArchitectureTest, PartsDependOnlyOnEarlierParts) {
  const auto order = documented_order();
  ASSERT_GE(order.size(), 8u) << "docs/architecture.md has no 'Order:' line";
  auto rank = [&](const std::string& p) {
    return static_cast<int>(std::find(order.begin(), order.end(), p) - order.begin());
  };
  static const std::regex include(R"re(#include "(?:handgrad/)?([a-z]+)/[^"]+")re");
  int files = 0;
  for (const char* top : {"src", "include/handgrad", "app"}) {
    for (const auto& e : fs::recursive_directory_iterator(kRoot / top)) {
      if (!e.is_regular_file()) continue;
      const fs::path rel = fs::relative(e.path(), kRoot);
      const std::string from = part_of(rel);
      if (from.empty()) continue;
      ++files;
      EXPECT_LT(rank(from), static_cast<int>(order.size())) << rel << ": part '" << from
                                                            << "' is not in the documented order";
      const std::string text = read(e.path());
      for (std::sregex_iterator it(text.begin(), text.end(), include), end; it != end; ++it) {
        const std::string to = (*it)[1];
        if (rank(to) >= static_cast<int>(order.size())) continue;  // not a part: a local header
        EXPECT_LE(rank(to), rank(from)) << rel << " (" << from << ") includes " << (*it)[0]
                                        << ", a later part";
      }
    }
  }
  EXPECT_GT(files, 100);
}

}  // namespace
