#include "sheafsim/base/file_io.h"

#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <fmt/format.h>

#include "sheafsim/base/error.h"

namespace sheafsim {

// Inputs larger than this are refused rather than read into memory.
constexpr std::streamoff kMaxInputBytes = std::streamoff{1} << 30;

std::string read_text_file(const std::string& path) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) throw InputError(fmt::format("{}: is a folder, not a file", path));
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError(fmt::format("{}: cannot open file", path));
  in.seekg(0, std::ios::end);
  const std::streamoff size = in.tellg();
  if (size < 0) throw InputError(fmt::format("{}: cannot read file", path));
  if (size > kMaxInputBytes) throw InputError(fmt::format("{}: file is larger than 1 GiB", path));
  in.seekg(0, std::ios::beg);
  std::string content(static_cast<size_t>(size), '\0');
  in.read(content.data(), size);
  if (!in) throw InputError(fmt::format("{}: cannot read file", path));
  return content;
}

void write_text_file(const std::string& path, const std::string& content) {
  // The temporary name is unique per process and call: two runs (or two
  // threads) writing the same path must not rename each other's file away.
  static std::atomic<unsigned> serial{0};
  const std::string tmp = fmt::format("{}.{}.{}.tmp", path, ::getpid(), serial++);
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) throw InputError(fmt::format("{}: cannot open for writing", path));
    out << content;
    out.flush();
    if (!out) {
      std::remove(tmp.c_str());
      throw InputError(fmt::format("{}: write failed", path));
    }
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    std::remove(tmp.c_str());
    throw InputError(fmt::format("{}: cannot rename temporary file into place", path));
  }
}

void create_output_directory(const std::string& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) throw InputError(fmt::format("{}: cannot create the output folder: {}", dir, ec.message()));
  if (!std::filesystem::is_directory(dir, ec))
    throw InputError(fmt::format("{}: cannot create the output folder: a file of that name exists", dir));
}

}  // namespace sheafsim
