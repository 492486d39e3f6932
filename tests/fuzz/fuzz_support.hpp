#pragma once
// What the fuzz targets share: a scratch directory of this process (the
// loaders read files) and writing the fuzzer's bytes into it.
#include <unistd.h>

#include <cstddef>
#include <cstdlib>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>

namespace ionrail::fuzz {

// In memory (/dev/shm) where there is one: a file per input on a disk
// would make the fuzzer 30 times slower. Removed at exit.
inline const std::filesystem::path& scratch() {
  static const std::filesystem::path dir = [] {
    std::error_code ec;
    const std::filesystem::path shm("/dev/shm");
    const auto base = std::filesystem::is_directory(shm, ec) && ::access("/dev/shm", W_OK) == 0
                          ? shm
                          : std::filesystem::temp_directory_path();
    const auto d = base / ("ionrail_fuzz_" + std::to_string(::getpid()));
    std::filesystem::remove_all(d);
    std::filesystem::create_directories(d);
    std::atexit([] {
      std::error_code ignored;
      std::filesystem::remove_all(scratch(), ignored);
    });
    return d;
  }();
  return dir;
}

inline std::string put(const std::string& name, const char* data, std::size_t size) {
  const auto p = scratch() / name;
  std::ofstream(p, std::ios::binary | std::ios::trunc).write(data, static_cast<std::streamsize>(size));
  return p.string();
}

}  // namespace ionrail::fuzz
