#pragma once
// Byte serialisation of engine state for checkpoints: trivially copyable
// values and vectors of them in the machine's own byte order (a checkpoint is
// resumed by the same build on the same kind of machine). The reader checks
// every length against what is left and against the size the caller expects,
// so a truncated or foreign state is refused with state_error, never read
// past its end.
#include <cstdint>
#include <cstring>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

namespace ionrail::kmc {

// A state that cannot be loaded (truncated, from another configuration).
class state_error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class state_writer {
 public:
  template <class T>
  void put(const T& v) {
    static_assert(std::is_trivially_copyable_v<T> && !std::is_same_v<T, bool>, "use put_bool");
    append(&v, sizeof(T));
  }
  void put_bool(bool b) { put<std::uint8_t>(b ? 1 : 0); }
  template <class T>
  void put_vector(const std::vector<T>& v) {
    static_assert(std::is_trivially_copyable_v<T> && !std::is_same_v<T, bool>);
    put<std::uint64_t>(v.size());
    if (!v.empty()) append(v.data(), v.size() * sizeof(T));
  }
  void put_string(std::string_view s) {
    put<std::uint64_t>(s.size());
    bytes_.append(s.data(), s.size());
  }
  // A tag checked by the reader: catches a state read with the wrong layout.
  void put_tag(std::string_view tag) { put_string(tag); }

  const std::string& bytes() const { return bytes_; }
  std::string take() { return std::move(bytes_); }

 private:
  void append(const void* p, std::size_t n) { bytes_.append(static_cast<const char*>(p), n); }
  std::string bytes_;
};

class state_reader {
 public:
  // `what` names the source in messages (a file, "engine state").
  state_reader(std::string_view bytes, std::string what) : bytes_(bytes), what_(std::move(what)) {}

  [[noreturn]] void fail(const std::string& why) const { throw state_error(what_ + ": " + why); }

  template <class T>
  T get() {
    static_assert(std::is_trivially_copyable_v<T> && !std::is_same_v<T, bool>, "use get_bool");
    T v;
    std::memcpy(&v, take(sizeof(T)), sizeof(T));
    return v;
  }
  bool get_bool() {
    const auto b = get<std::uint8_t>();
    if (b > 1) fail("a flag holds " + std::to_string(b) + " (expected 0 or 1)");
    return b == 1;
  }
  // A vector of exactly `expected` entries (the size the configuration implies).
  template <class T>
  void get_vector(std::vector<T>& out, std::size_t expected, const char* name) {
    const std::uint64_t n = get<std::uint64_t>();
    if (n != expected)
      fail(std::string(name) + " has " + std::to_string(n) + " entries, this configuration has " +
           std::to_string(expected) + " (a checkpoint of another configuration?)");
    read_into(out, n);
  }
  // A vector of at most `limit` entries.
  template <class T>
  void get_vector_up_to(std::vector<T>& out, std::size_t limit, const char* name) {
    const std::uint64_t n = get<std::uint64_t>();
    if (n > limit) fail(std::string(name) + " has " + std::to_string(n) + " entries, at most " + std::to_string(limit));
    read_into(out, n);
  }
  std::string get_string(std::size_t limit) {
    const std::uint64_t n = get<std::uint64_t>();
    if (n > limit) fail("a string of " + std::to_string(n) + " bytes, at most " + std::to_string(limit));
    return std::string(take(static_cast<std::size_t>(n)), static_cast<std::size_t>(n));
  }
  void expect_tag(std::string_view tag) {
    const std::string got = get_string(256);
    if (got != tag) fail("expected section '" + std::string(tag) + "', found '" + got + "'");
  }
  std::size_t left() const { return bytes_.size() - at_; }
  void expect_end() const {
    if (left() != 0) fail(std::to_string(left()) + " unread bytes at the end");
  }
  const std::string& what() const { return what_; }

 private:
  template <class T>
  void read_into(std::vector<T>& out, std::uint64_t n) {
    static_assert(std::is_trivially_copyable_v<T> && !std::is_same_v<T, bool>);
    if (n > left() / sizeof(T)) fail("truncated (a vector of " + std::to_string(n) + " entries runs past the end)");
    out.resize(static_cast<std::size_t>(n));
    if (n) std::memcpy(out.data(), take(static_cast<std::size_t>(n) * sizeof(T)), static_cast<std::size_t>(n) * sizeof(T));
  }
  const char* take(std::size_t n) {
    if (n > left()) fail("truncated (" + std::to_string(left()) + " bytes left, " + std::to_string(n) + " needed)");
    const char* p = bytes_.data() + at_;
    at_ += n;
    return p;
  }
  std::string_view bytes_;
  std::size_t at_ = 0;
  std::string what_;
};

}  // namespace ionrail::kmc
