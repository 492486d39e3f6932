#include <ionrail/model_io/atomic_file.hpp>

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <string>
#include <system_error>

namespace fs = std::filesystem;

namespace ionrail::model_io {
namespace {
// A std::system_error carrying errno, so that callers (the Python module:
// OSError) can tell a full disk from a missing directory.
[[noreturn]] void write_failed(const fs::path& file, const std::string& what) {
  const int code = errno;
  throw std::system_error(code, std::generic_category(), file.string() + ": cannot " + what);
}
}  // namespace

void write_file_atomic(const fs::path& file, std::string_view bytes) {
  const fs::path tmp = file.string() + ".tmp-" + std::to_string(::getpid());
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) write_failed(tmp, "create");
  std::size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      const int saved = errno;
      ::close(fd);
      ::unlink(tmp.c_str());
      errno = saved;
      write_failed(tmp, "write");
    }
    done += static_cast<std::size_t>(n);
  }
  if (::fsync(fd) != 0 || ::close(fd) != 0) {
    const int saved = errno;
    ::unlink(tmp.c_str());
    errno = saved;
    write_failed(tmp, "flush");
  }
  if (::rename(tmp.c_str(), file.c_str()) != 0) {
    const int saved = errno;
    ::unlink(tmp.c_str());
    errno = saved;
    write_failed(file, "rename " + tmp.string() + " to");
  }
  // The rename itself reaches the disk with the directory.
  const fs::path parent = file.parent_path().empty() ? fs::path(".") : file.parent_path();
  const int dir = ::open(parent.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir >= 0) {
    ::fsync(dir);
    ::close(dir);
  }
}

}  // namespace ionrail::model_io
