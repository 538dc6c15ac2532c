#pragma once
// Errors, as in PyTorch two channels (Note [Check vs assert]):
//  - TAPEGRAD_CHECK: a user mistake. Throws a typed tapegrad::Error whose
//    message starts with the op, e.g.
//    "matmul: inner dimensions must match, got [2, 3] @ [4, 5] (3 != 4)".
//    The message is only built on failure and stays in release builds.
//  - TAPEGRAD_ASSERT: a library bug; checked in debug builds only.
//
// Note [Check vs assert]: what decides is who can break the condition. If a
// caller can (a shape, a dtype, an index, a value, a file), it is a
// TAPEGRAD_CHECK in every build: the caller gets a typed error it can catch,
// naming the op and the offending values, never an abort or a silent wrong
// answer, and the tests assert its text. The check costs one predictable
// branch; the message is built only on failure (Note [Error message parts]).
// If only a bug in tapegrad can break it (an invariant of a kernel, a
// pointer a checked caller already validated), it is a TAPEGRAD_ASSERT:
// documented and checked in debug builds, free in release builds, so inner
// loops can state their invariants without paying for them. A condition
// that user input might reach after all is a CHECK.
#include <cassert>
#include <initializer_list>
#include <ostream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <type_traits>

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

// Note [Error message parts]: TAPEGRAD_CHECK sites stream many combinations
// of argument types (and string literals of many lengths), so the formatting
// must not be a template on them: each part is passed as a pointer plus a
// function that streams its type, instantiated once per type; the message is
// built and thrown out of line, once per error class. TAPEGRAD_CHECK builds
// the parts at the check site; a variadic template (with its own
// ostringstream, at first) was instantiated ~130 times in a program such as
// examples/mnist_mlp.cpp, a noticeable part of its -O2 compile.
struct MsgPart {
  const void* value;
  void (*put)(std::ostream&, const void*);

  template <class T>
    requires(!std::is_array_v<T>)
  MsgPart(const T& v) : value(&v), put(&put_value<T>) {}
  MsgPart(const char* s) : value(s), put(&put_cstr) {}

 private:
  // A type with a message_type prints as that (a Size as a Shape, "[2, 3]").
  template <class T>
  static void put_value(std::ostream& os, const void* v) {
    if constexpr (requires { typename T::message_type; })
      os << static_cast<const typename T::message_type&>(*static_cast<const T*>(v));
    else
      os << *static_cast<const T*>(v);
  }
  static void put_cstr(std::ostream& os, const void* v) { os << static_cast<const char*>(v); }
};

template <class E>
[[noreturn]] [[gnu::cold]] [[gnu::noinline]] void throw_parts(std::initializer_list<MsgPart> parts) {
  std::ostringstream os;
  for (const MsgPart& p : parts) p.put(os, p.value);
  throw E(os.str());
}

/// Throws E with the parts streamed together (Note [Error message parts]).
template <class E, class... Parts>
[[noreturn]] [[gnu::cold]] inline void throw_error(const Parts&... parts) {
  throw_parts<E>({MsgPart(parts)...});
}
}  // namespace detail
}  // namespace tapegrad

/// TAPEGRAD_CHECK(cond, ErrorType, message parts...): throw ErrorType with the
/// parts streamed together when cond is false.
#define TAPEGRAD_CHECK(cond, ErrorType, ...)                                  \
  do {                                                                        \
    if (!(cond)) [[unlikely]]                                                 \
      ::tapegrad::detail::throw_parts<::tapegrad::ErrorType>({__VA_ARGS__});  \
  } while (0)

#define TAPEGRAD_ASSERT(cond) assert((cond) && "tapegrad internal error")
