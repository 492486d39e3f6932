// Regenerates tests/kat/: the synthetic tables (with model_io::write_table) and
// the known-answer vector files, all from the C++ model (tests/support/kat.hpp).
// Usage: kat_write DIR   (normally tests/kat; test_kat checks the result)
#include <cstdio>
#include <exception>
#include <filesystem>
#include <fstream>

#include <ionrail/kat/kat.hpp>

int main(int argc, char** argv) {
  // A name that starts with "-" is an option mistaken for the output
  // (--help wrote a directory named "--help"): usage, exit 2.
  if (argc != 2 || argv[1][0] == '-') {
    std::fprintf(stderr, "usage: %s DIR\n", argv[0]);
    return 2;
  }
  try {
    const std::filesystem::path dir(argv[1]);
    for (const auto& t : ionrail::kat::synthetic_tables()) {
      std::filesystem::remove_all(dir / "tables" / t.name);
      ionrail::kat::write_synthetic(t, (dir / "tables" / t.name).string());
    }
    for (const auto& [name, text] : ionrail::kat::vector_files()) {
      std::ofstream out(dir / name, std::ios::binary | std::ios::trunc);
      out << text;
      if (!out) throw std::runtime_error((dir / name).string() + ": cannot write");
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "kat_write: %s\n", e.what());
    return 1;
  }
  return 0;
}
