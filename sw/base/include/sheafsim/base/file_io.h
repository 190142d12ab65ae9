#pragma once
// Whole-file reads and crash-safe writes (temporary file, then rename), so a
// report is either complete or absent, never truncated.
#include <string>

namespace sheafsim {

std::string read_text_file(const std::string& path);  // throws InputError
void write_text_file(const std::string& path, const std::string& content);  // throws InputError
// An output folder and its parents, created when missing; a path that is a
// file, or a folder that cannot be created, throws InputError naming it.
void create_output_directory(const std::string& dir);

}  // namespace sheafsim
