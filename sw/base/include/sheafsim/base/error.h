#pragma once
// Every problem with user input is reported by throwing InputError with a
// one-line message that names the file, field or option at fault. The CLI
// turns it into "sheafsim: error: <message>" and a non-zero exit.
#include <stdexcept>
#include <string>

namespace sheafsim {

class InputError : public std::runtime_error {
 public:
  explicit InputError(const std::string& what) : std::runtime_error(what) {}
};

}  // namespace sheafsim
