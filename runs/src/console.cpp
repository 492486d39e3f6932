#include <ionrail/runs/console.hpp>

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>

namespace ionrail::runs {

namespace {

// fopencookie's writer for stderr: every byte reported written, so that
// neither stdio nor fmt sees an error (which fmt turns into an exception).
ssize_t write_best_effort(void*, const char* data, size_t size) {
  size_t done = 0;
  while (done < size) {
    const ssize_t n = ::write(STDERR_FILENO, data + done, size - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    done += static_cast<size_t>(n);
  }
  return static_cast<ssize_t>(size);
}

}  // namespace

void prepare_standard_streams() {
  for (int fd = 0; fd <= 2; ++fd)
    if (::fcntl(fd, F_GETFD) == -1 && errno == EBADF) {
      // open() returns the lowest free descriptor: this one.
      const int opened = ::open("/dev/null", fd == 0 ? O_RDONLY : O_WRONLY);
      if (opened >= 0 && opened != fd) ::close(opened);
    }
  ::signal(SIGPIPE, SIG_IGN);
  cookie_io_functions_t io{};
  io.write = write_best_effort;
  if (FILE* best_effort = ::fopencookie(nullptr, "w", io)) {
    ::setvbuf(best_effort, nullptr, _IONBF, 0);  // unbuffered, like stderr
    stderr = best_effort;
  }
}

}  // namespace ionrail::runs
