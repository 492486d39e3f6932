// config_doc: the files generated from the configuration schema.
//   config_doc markdown TEMPLATE              prints docs/config.md (TEMPLATE: docs/config.md.in)
//   config_doc dictionary                     prints tests/fuzz/config.dict
//   config_doc write TEMPLATE MARKDOWN DICT   writes both
//   config_doc check TEMPLATE MARKDOWN DICT   exit 1 if either differs from what the schema gives
#include <cstdio>
#include <exception>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>

#include <ionrail/config/schema.hpp>

namespace {

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot open '" + path + "'");
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void put(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary);
  out << text;
  if (!out.flush()) throw std::runtime_error("cannot write '" + path + "'");
}

// The first line where two texts differ (1-based), for the failure message.
int first_difference(const std::string& a, const std::string& b) {
  std::istringstream x(a), y(b);
  std::string p, q;
  for (int line = 1;; ++line) {
    const bool more_x = static_cast<bool>(std::getline(x, p)), more_y = static_cast<bool>(std::getline(y, q));
    if (!more_x && !more_y) return 0;
    if (more_x != more_y || p != q) return line;
  }
}

bool check(const std::string& path, const std::string& wanted) {
  const std::string have = slurp(path);
  if (have == wanted) return true;
  std::cerr << path << " is not what the configuration schema gives (first difference at line "
            << first_difference(have, wanted) << "); regenerate it with\n  cmake --build " << IONRAIL_BINARY_DIR
            << " --target config_docs\n";
  return false;
}

int usage() {
  std::cerr << "usage: config_doc markdown TEMPLATE | dictionary | write TEMPLATE MARKDOWN DICT | "
               "check TEMPLATE MARKDOWN DICT\n";
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    const std::string mode = argc > 1 ? argv[1] : "";
    if (mode == "markdown" && argc == 3) {
      std::cout << ionrail::config::config_markdown(slurp(argv[2]));
      return 0;
    }
    if (mode == "dictionary" && argc == 2) {
      std::cout << ionrail::config::fuzz_dictionary();
      return 0;
    }
    if ((mode == "write" || mode == "check") && argc == 5) {
      const std::string markdown = ionrail::config::config_markdown(slurp(argv[2]));
      const std::string dictionary = ionrail::config::fuzz_dictionary();
      if (mode == "write") {
        put(argv[3], markdown);
        put(argv[4], dictionary);
        return 0;
      }
      const bool docs_ok = check(argv[3], markdown);
      const bool dict_ok = check(argv[4], dictionary);
      return docs_ok && dict_ok ? 0 : 1;
    }
    return usage();
  } catch (const std::exception& e) {
    std::cerr << "config_doc: " << e.what() << "\n";
    return 1;
  }
}
