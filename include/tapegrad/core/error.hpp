#pragma once
// Errors, as in PyTorch two channels (Note [Check vs assert]):
//  - TAPEGRAD_CHECK: a user mistake. Throws a typed tapegrad::Error whose
//    message starts with the op, e.g.
//    "matmul: inner dimensions must match, got [2, 3] @ [4, 5] (3 != 4)".
//    The message is only built on failure and stays in release builds.
//  - TAPEGRAD_ASSERT: a library bug; checked in debug builds only.
#include <cassert>
#include <sstream>
#include <stdexcept>
#include <string>

namespace tapegrad {

/// Base of every exception tapegrad throws on bad input.
class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};
class ShapeError : public Error { public: using Error::Error; };
class DTypeError : public Error { public: using Error::Error; };
class IndexError : public Error { public: using Error::Error; };
class ValueError : public Error { public: using Error::Error; };
class IOError : public Error { public: using Error::Error; };

namespace detail {
template <class E, class... Parts>
[[noreturn]] [[gnu::cold]] [[gnu::noinline]] void throw_error(const Parts&... parts) {
  std::ostringstream os;
  (os << ... << parts);
  throw E(os.str());
}
}  // namespace detail
}  // namespace tapegrad

/// TAPEGRAD_CHECK(cond, ErrorType, message parts...): throw ErrorType with the
/// parts streamed together when cond is false.
#define TAPEGRAD_CHECK(cond, ErrorType, ...)                                  \
  do {                                                                        \
    if (!(cond)) [[unlikely]]                                                 \
      ::tapegrad::detail::throw_error<::tapegrad::ErrorType>(__VA_ARGS__);    \
  } while (0)

#define TAPEGRAD_ASSERT(cond) assert((cond) && "tapegrad internal error")
