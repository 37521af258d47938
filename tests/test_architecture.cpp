// The parts of the code stand in one order (docs/architecture.md, its
// "Order:" line) and each may include only the parts before it.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <utility>
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
  for (const std::string top : {"src/", "include/handgrad/"}) {
    if (s.rfind(top, 0) != 0) continue;
    const auto slash = s.find('/', top.size());
    if (slash != std::string::npos) return s.substr(top.size(), slash - top.size());
  }
  return s.rfind("app/", 0) == 0 ? "app" : "";
}

// The first path segment of every quoted #include ("handgrad/" dropped):
// (segment, the whole include line). std::regex is avoided on purpose: GCC
// 12 warns inside <regex> under -O2, and warnings are errors here.
std::vector<std::pair<std::string, std::string>> quoted_includes(const std::string& text) {
  std::vector<std::pair<std::string, std::string>> out;
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    const std::string key = "#include \"";
    if (line.rfind(key, 0) != 0) continue;
    std::string path = line.substr(key.size(), line.find('"', key.size()) - key.size());
    if (path.rfind("handgrad/", 0) == 0) path = path.substr(9);
    const auto slash = path.find('/');
    if (slash == std::string::npos) continue;  // a header beside the file
    out.emplace_back(path.substr(0, slash), line);
  }
  return out;
}

TEST(ArchitectureTest, PartsDependOnlyOnEarlierParts) {
  const auto order = documented_order();
  ASSERT_GE(order.size(), 8u) << "docs/architecture.md has no 'Order:' line";
  auto rank = [&](const std::string& p) {
    return static_cast<int>(std::find(order.begin(), order.end(), p) - order.begin());
  };
  int files = 0;
  for (const char* top : {"src", "include/handgrad", "app"}) {
    for (const auto& e : fs::recursive_directory_iterator(kRoot / top)) {
      if (!e.is_regular_file()) continue;
      const fs::path rel = fs::relative(e.path(), kRoot);
      const std::string from = part_of(rel);
      if (from.empty()) continue;
      ++files;
      EXPECT_LT(rank(from), static_cast<int>(order.size()))
          << rel << ": part '" << from << "' is not in the documented order";
      const std::string text = read(e.path());
      for (const auto& [to, line] : quoted_includes(text)) {
        if (rank(to) >= static_cast<int>(order.size())) continue;  // not a part: a local header
        EXPECT_LE(rank(to), rank(from))
            << rel << " (" << from << ") includes " << line << ", a later part";
      }
    }
  }
  EXPECT_GT(files, 100);
}

}  // namespace
