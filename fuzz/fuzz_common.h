#pragma once
// Shared by the fuzz targets: run a parser and accept only a value or the
// documented sheafsim::InputError. Any other exception aborts, which libFuzzer
// records as a crash with the input that caused it.
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <typeinfo>

#include "sheafsim/base/error.h"

namespace sheafsim_fuzz {

[[noreturn]] inline void fail(const char* what) {
  std::fprintf(stderr, "fuzz: property violated: %s\n", what);
  std::abort();
}

template <class F>
void expect_value_or_input_error(F&& parse) {
  try {
    parse();
  } catch (const sheafsim::InputError&) {
    // the documented refusal
  } catch (const std::exception& e) {
    std::fprintf(stderr, "fuzz: undocumented exception %s: %s\n", typeid(e).name(), e.what());
    std::abort();
  } catch (...) {
    std::fprintf(stderr, "fuzz: undocumented non-std exception\n");
    std::abort();
  }
}

}  // namespace sheafsim_fuzz
