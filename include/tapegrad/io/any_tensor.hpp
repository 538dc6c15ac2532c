#pragma once
// AnyTensor: a tensor whose dtype is known only at run time (files hold
// several dtypes), and the byte-level helpers the file formats share.
#include <bit>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <variant>
#include <vector>

#if defined(__unix__) || defined(__APPLE__)
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>
#endif

#include "../tensor/factory.hpp"

namespace tapegrad::io {

using AnyTensor = std::variant<Tensor<bool>, Tensor<uint8_t>, Tensor<int8_t>, Tensor<int16_t>,
                               Tensor<int32_t>, Tensor<int64_t>, Tensor<float>, Tensor<double>>;

/// The dtype name ("float32") of whatever an AnyTensor holds.
inline const char* dtype_name(const AnyTensor& t) {
  return std::visit([](const auto& x) { return tapegrad::dtype_name<typename std::decay_t<decltype(x)>::value_type>(); }, t);
}
inline Shape sizes(const AnyTensor& t) {
  return std::visit([](const auto& x) { return x.sizes(); }, t);
}

/// The Tensor<T> inside, or a DTypeError naming `what` and both dtypes.
template <Element T>
Tensor<T> get_as(const AnyTensor& t, const std::string& what) {
  const auto* p = std::get_if<Tensor<T>>(&t);
  TAPEGRAD_CHECK(p != nullptr, DTypeError, what, " has dtype ", dtype_name(t), ", expected ",
                 tapegrad::dtype_name<T>());
  return *p;
}

namespace detail {
inline std::vector<char> read_file(const std::string& path, const char* op) {
  std::ifstream in(path, std::ios::binary);
  TAPEGRAD_CHECK(in.good(), IOError, op, ": cannot open '", path, "'");
  // a directory opens, and then reports a size near 2^63
  std::error_code ec;
  TAPEGRAD_CHECK(std::filesystem::is_regular_file(path, ec), IOError, op, ": '", path, "' is not a regular file");
  in.seekg(0, std::ios::end);
  const auto size = static_cast<std::streamoff>(in.tellg());
  TAPEGRAD_CHECK(size >= 0, IOError, op, ": cannot read '", path, "'");
  in.seekg(0);
  std::vector<char> bytes(static_cast<size_t>(size));
  in.read(bytes.data(), size);
  TAPEGRAD_CHECK(in.gcount() == size, IOError, op, ": short read from '", path, "'");
  return bytes;
}

// Note [Durable saves]: a save writes a temporary file in the target's
// directory, named <target>.tmp-tapegrad-<pid>-<random>, fsyncs it, renames
// it over the target (atomic: readers see the old file or the new one, never
// half a file) and fsyncs the directory, so that once save returns the new
// file survives an OS crash or power loss. Saving over an existing file
// keeps its permission bits. A crash mid-save leaves the temporary behind;
// the next save to the same target removes those whose process is no longer
// running (on this machine). Every failure names the OS's reason
// (strerror). Platforms without POSIX files get the atomic rename only.
#if defined(__unix__) || defined(__APPLE__)
inline std::string os_reason() { return std::strerror(errno); }

// Remove <target>.tmp-tapegrad-<pid>-* left by processes that have exited.
inline void remove_stale_temps(const std::filesystem::path& target) {
  namespace fs = std::filesystem;
  const std::string prefix = target.filename().string() + ".tmp-tapegrad-";
  std::error_code ec;
  const fs::path dir = target.parent_path().empty() ? fs::path(".") : target.parent_path();
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (name.compare(0, prefix.size(), prefix) != 0) continue;
    const char* p = name.c_str() + prefix.size();
    char* stop = nullptr;
    errno = 0;
    const long pid = std::strtol(p, &stop, 10);
    if (stop == p || *stop != '-' || errno != 0 || pid <= 0 || pid == static_cast<long>(::getpid())) continue;
    if (::kill(static_cast<pid_t>(pid), 0) != 0 && errno == ESRCH) {
      std::error_code rm;
      fs::remove(it->path(), rm);
    }
  }
}

inline void write_file_atomic(const std::string& path, const std::vector<char>& bytes, const char* op) {
  namespace fs = std::filesystem;
  const fs::path target(path);
  remove_stale_temps(target);
  const std::string tmp = path + ".tmp-tapegrad-" + std::to_string(::getpid()) + "-" +
                          std::to_string(std::random_device{}() % 1000000000);
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
  TAPEGRAD_CHECK(fd >= 0, IOError, op, ": cannot create '", tmp, "': ", os_reason());
  auto fail = [&](const std::string& what) {
    const std::string reason = os_reason();
    ::close(fd);
    ::unlink(tmp.c_str());
    tapegrad::detail::throw_error<IOError>(op, ": ", what, ": ", reason);
  };
  struct stat old{};
  if (::stat(path.c_str(), &old) == 0 && S_ISREG(old.st_mode) && ::fchmod(fd, old.st_mode & 07777) != 0)
    fail("cannot keep the permissions of '" + path + "'");
  for (size_t done = 0; done < bytes.size();) {
    const ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) fail("writing '" + path + "' failed");
    done += static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0) fail("writing '" + path + "' failed (fsync)");
  if (::close(fd) != 0) {
    const std::string reason = os_reason();
    ::unlink(tmp.c_str());
    tapegrad::detail::throw_error<IOError>(op, ": writing '", path, "' failed (close): ", reason);
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    const std::string reason = os_reason();
    ::unlink(tmp.c_str());
    tapegrad::detail::throw_error<IOError>(op, ": cannot rename the temporary file to '", path, "': ", reason);
  }
  // The rename itself is durable once the directory is synced; file systems
  // that cannot sync a directory (EINVAL) persist renames on their own.
  const fs::path dir = target.parent_path().empty() ? fs::path(".") : target.parent_path();
  const int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    const int rc = ::fsync(dfd);
    const int err = errno;
    ::close(dfd);
    if (rc != 0 && err != EINVAL && err != ENOTSUP)
      tapegrad::detail::throw_error<IOError>(op, ": '", path, "' was written, but syncing its directory failed: ",
                                             std::strerror(err));
  }
}
#else
/// Write `bytes` to path atomically (Note [Durable saves]): a temporary file
/// in the same directory, renamed over the target once complete.
inline void write_file_atomic(const std::string& path, const std::vector<char>& bytes, const char* op) {
  namespace fs = std::filesystem;
  const fs::path target(path);
  const fs::path tmp = target.string() + ".tmp-tapegrad-0-" + std::to_string(std::random_device{}() % 1000000000);
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    TAPEGRAD_CHECK(out.good(), IOError, op, ": cannot create '", tmp.string(), "': ", std::strerror(errno));
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    out.flush();
    if (!out.good()) {
      const std::string reason = std::strerror(errno);
      out.close();
      std::error_code ec;
      fs::remove(tmp, ec);
      throw IOError(std::string(op) + ": writing '" + path + "' failed: " + reason);
    }
  }
  std::error_code ec;
  fs::rename(tmp, target, ec);
  if (ec) {
    const std::string reason = ec.message();
    fs::remove(tmp, ec);
    throw IOError(std::string(op) + ": cannot rename the temporary file to '" + path + "': " + reason);
  }
}
#endif

// Element bytes in little-endian order, whatever the host.
template <Element T>
void append_le(std::vector<char>& out, const Tensor<T>& t) {
  // unrecorded copy: saving needs no autograd, and t.contiguous() would
  // compile a recorded clone for each of the eight dtypes
  const Tensor<T> c = t.is_contiguous() ? t : tapegrad::detail::copy_of(t);
  const size_t n = static_cast<size_t>(c.numel()) * sizeof(T);
  const size_t at = out.size();
  out.resize(at + n);
  if (n) std::memcpy(out.data() + at, c.data_ptr(), n);
  if constexpr (std::endian::native == std::endian::big && sizeof(T) > 1)
    for (size_t i = at; i < at + n; i += sizeof(T)) std::reverse(out.begin() + static_cast<long>(i), out.begin() + static_cast<long>(i + sizeof(T)));
}
template <Element T>
Tensor<T> from_le(const char* data, const Shape& shape) {
  auto t = empty<T>(shape);
  const size_t n = static_cast<size_t>(t.numel()) * sizeof(T);
  if (n) std::memcpy(static_cast<void*>(t.data_ptr()), data, n);
  if constexpr (std::is_same_v<T, bool>) {
    // Any byte other than 0/1 is not a valid bool: normalise it.
    auto* raw = reinterpret_cast<unsigned char*>(t.data_ptr());
    for (size_t i = 0; i < n; ++i) raw[i] = raw[i] != 0;
  }
  if constexpr (std::endian::native == std::endian::big && sizeof(T) > 1) {
    auto* b = reinterpret_cast<char*>(t.data_ptr());
    for (size_t i = 0; i < n; i += sizeof(T)) std::reverse(b + i, b + i + sizeof(T));
  }
  return t;
}

inline int64_t itemsize(const AnyTensor& t) {
  return std::visit([](const auto& x) { return static_cast<int64_t>(sizeof(typename std::decay_t<decltype(x)>::value_type)); }, t);
}
}  // namespace detail
}  // namespace tapegrad::io
