#pragma once
// Whole-file reads and crash-safe writes (temporary file, then rename), so a
// report is either complete or absent, never truncated.
#include <string>

namespace sheafsim {

std::string read_text_file(const std::string& path);  // throws InputError
void write_text_file(const std::string& path, const std::string& content);  // throws InputError

}  // namespace sheafsim
