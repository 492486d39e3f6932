#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ionrail/model_io/input_error.hpp>
#include <ionrail/model_io/input_file.hpp>
#include <filesystem>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

namespace ionrail::model_io {
namespace {

// A bound as people write it ("64 MiB", "16 GiB"), exact bytes otherwise.
std::string bound_text(std::uintmax_t bytes) {
  if (bytes >= (std::uintmax_t{1} << 30) && bytes % (std::uintmax_t{1} << 30) == 0)
    return std::to_string(bytes >> 30) + " GiB";
  if (bytes >= (std::uintmax_t{1} << 20) && bytes % (std::uintmax_t{1} << 20) == 0)
    return std::to_string(bytes >> 20) + " MiB";
  return std::to_string(bytes) + " bytes";
}

std::string too_large(std::uintmax_t size, std::uintmax_t max_bytes) {
  return std::to_string(size) + " bytes, more than the limit of " + bound_text(max_bytes);
}

// What a file that is not a regular file is, for the refusal.
std::string kind_of(mode_t mode) {
  if (S_ISDIR(mode)) return "is a directory";
  if (S_ISFIFO(mode)) return "a FIFO, not a regular file";
  if (S_ISCHR(mode)) return "a character device, not a regular file";
  if (S_ISBLK(mode)) return "a block device, not a regular file";
  if (S_ISSOCK(mode)) return "a socket, not a regular file";
  return "not a regular file";
}

// The files read so far (input_files_read).
std::mutex read_mutex;
std::vector<std::string>& read_files() {
  static std::vector<std::string> files;
  return files;
}
void note_read(const std::string& path) {
  std::error_code ec;
  const std::filesystem::path p = std::filesystem::weakly_canonical(std::filesystem::absolute(path, ec), ec);
  const std::string name = ec ? path : p.string();
  const std::lock_guard<std::mutex> hold(read_mutex);
  auto& files = read_files();
  for (const auto& f : files)
    if (f == name) return;
  files.push_back(name);
}

// Closes the descriptor on every path out.
struct descriptor {
  int fd = -1;
  ~descriptor() {
    if (fd >= 0) ::close(fd);
  }
};

}  // namespace

bool try_read_input_file(const std::string& path, std::uintmax_t max_bytes, std::string& bytes, std::string& why) {
  // The type first, by name: opening a FIFO for reading would wait for a
  // writer, and reading a device would never end.
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    why = errno == ENOENT ? "no such file" : std::strerror(errno);
    return false;
  }
  if (!S_ISREG(st.st_mode)) {
    why = kind_of(st.st_mode);
    return false;
  }
  if (static_cast<std::uintmax_t>(st.st_size) > max_bytes) {
    why = too_large(static_cast<std::uintmax_t>(st.st_size), max_bytes);
    return false;
  }
  // Non-blocking, and the type again on the descriptor: the name may have
  // been replaced by a FIFO or a device since the stat above.
  descriptor d;
  d.fd = ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  if (d.fd < 0) {
    why = errno == ENOENT ? "no such file" : std::strerror(errno);
    return false;
  }
  if (::fstat(d.fd, &st) != 0) {
    why = std::strerror(errno);
    return false;
  }
  if (!S_ISREG(st.st_mode)) {
    why = kind_of(st.st_mode);
    return false;
  }
  const auto size = static_cast<std::uintmax_t>(st.st_size);
  if (size > max_bytes) {
    why = too_large(size, max_bytes);
    return false;
  }
  std::string out;
  out.reserve(static_cast<std::size_t>(size));
  // Up to one byte past the bound, so a file that grew past it is refused
  // instead of read without end.
  char buffer[1 << 16];
  for (;;) {
    const std::uintmax_t room = max_bytes - out.size() + 1;
    const std::size_t want = room < sizeof buffer ? static_cast<std::size_t>(room) : sizeof buffer;
    const ssize_t got = ::read(d.fd, buffer, want);
    if (got < 0) {
      if (errno == EINTR) continue;
      why = std::strerror(errno);
      return false;
    }
    if (got == 0) break;
    out.append(buffer, static_cast<std::size_t>(got));
    if (out.size() > max_bytes) {
      why = "grew past the limit of " + bound_text(max_bytes) + " while it was read";
      return false;
    }
  }
  bytes = std::move(out);
  note_read(path);
  return true;
}

std::vector<std::string> input_files_read() {
  const std::lock_guard<std::mutex> hold(read_mutex);
  return read_files();
}

void forget_input_files_read() {
  const std::lock_guard<std::mutex> hold(read_mutex);
  read_files().clear();
}

std::string input_file_type_problem(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return errno == ENOENT ? "no such file" : std::strerror(errno);
  return S_ISREG(st.st_mode) ? std::string() : kind_of(st.st_mode);
}

std::string read_input_file(const std::string& path, std::uintmax_t max_bytes, const std::string& what) {
  std::string bytes, why;
  if (!try_read_input_file(path, max_bytes, bytes, why))
    throw input_error(path + ": cannot open " + what + " (" + why + ")");
  return bytes;
}

}  // namespace ionrail::model_io
