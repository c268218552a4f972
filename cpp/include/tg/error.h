// Exception types that the bindings turn into the matching Python exceptions.
#pragma once
#include <sstream>
#include <stdexcept>
#include <string>

namespace tg {

struct RuntimeError : std::runtime_error { using std::runtime_error::runtime_error; };  // RuntimeError
struct TypeError : std::runtime_error { using std::runtime_error::runtime_error; };     // TypeError
struct ValueError : std::runtime_error { using std::runtime_error::runtime_error; };    // ValueError
struct IndexError : std::runtime_error { using std::runtime_error::runtime_error; };    // IndexError
// "op" not implemented for a dtype: NotImplementedError (a RuntimeError subclass, in Python too)
struct NotImplementedError : RuntimeError { using RuntimeError::RuntimeError; };

namespace detail {
inline void append(std::ostringstream&) {}
template <typename A, typename... R>
void append(std::ostringstream& os, const A& a, const R&... r) {
  os << a;
  append(os, r...);
}
}  // namespace detail

template <typename... A>
std::string str(const A&... a) {
  std::ostringstream os;
  detail::append(os, a...);
  return os.str();
}

}  // namespace tg

// TG_CHECK(cond, ErrorType, message parts...): throws ErrorType(str(parts...)) unless cond.
#define TG_CHECK(cond, Err, ...) \
  do {                           \
    if (!(cond)) throw ::tg::Err(::tg::str(__VA_ARGS__)); \
  } while (0)
