#include "sheafsim/reference/digits.h"

#include <glob.h>
#include <sys/stat.h>
#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <memory>

#include <fmt/format.h>

#include "sheafsim/base/error.h"
#include "sheafsim/base/rng.h"

namespace sheafsim::digits {

namespace {

// Decompressed inputs larger than this are refused (the real file is 260 kB).
constexpr size_t kMaxBytes = size_t{1} << 28;

constexpr const char* kSubPath = "sklearn/datasets/data/digits.csv.gz";

bool is_regular_file(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

std::vector<std::string> glob_sorted(const std::string& pattern) {
  std::vector<std::string> out;
  glob_t g{};
  if (::glob(pattern.c_str(), 0, nullptr, &g) == 0)
    for (size_t i = 0; i < g.gl_pathc; ++i) out.emplace_back(g.gl_pathv[i]);
  ::globfree(&g);
  // Newest Python first (python3.11 before python3.9): reverse natural order.
  std::sort(out.begin(), out.end(), [](const std::string& a, const std::string& b) {
    if (a.size() != b.size()) return a.size() > b.size();
    return a > b;
  });
  return out;
}

size_t count_lines(const std::string& text) { return static_cast<size_t>(std::count(text.begin(), text.end(), '\n')); }

std::string trim(const std::string& f) {
  const auto first = f.find_first_not_of(" \t\r");
  if (first == std::string::npos) return {};
  const auto last = f.find_last_not_of(" \t\r");
  return f.substr(first, last - first + 1);
}

}  // namespace

std::vector<std::string> system_paths() {
  std::vector<std::string> out = {std::string("/usr/lib/python3/dist-packages/") + kSubPath};
  for (const char* root : {"/usr/lib/python3.*/dist-packages/", "/usr/lib/python3.*/site-packages/",
                           "/usr/local/lib/python3.*/dist-packages/", "/usr/local/lib/python3.*/site-packages/"}) {
    const auto found = glob_sorted(std::string(root) + kSubPath);
    out.insert(out.end(), found.begin(), found.end());
  }
  return out;
}

std::string locate(const std::string& explicit_path) {
  return locate(explicit_path, std::getenv(kEnvVar), system_paths());
}

std::string locate(const std::string& explicit_path, const char* env_value, const std::vector<std::string>& candidates) {
  // An explicit choice is used as given: read_gzip reports it if it cannot be opened.
  if (!explicit_path.empty()) return explicit_path;
  if (env_value != nullptr && env_value[0] != '\0') return env_value;
  for (const std::string& c : candidates)
    if (is_regular_file(c)) return c;
  throw InputError(fmt::format("digits: cannot find {}; install Debian's python3-sklearn (or pass --digits-file)",
                               kFileName));
}

std::string read_gzip(const std::string& path) {
  errno = 0;
  std::unique_ptr<gzFile_s, int (*)(gzFile)> f(::gzopen(path.c_str(), "rb"), ::gzclose);
  if (!f) {
    const int e = errno;
    throw InputError(fmt::format("{}: cannot open file ({})", path, e != 0 ? std::strerror(e) : "out of memory"));
  }
  if (!is_regular_file(path)) throw InputError(fmt::format("{}: cannot open file (not a regular file)", path));
  std::string out;
  char buf[1 << 16];
  while (true) {
    const int got = ::gzread(f.get(), buf, sizeof buf);
    int err = Z_OK;
    const char* msg = ::gzerror(f.get(), &err);
    if (got < 0 || err != Z_OK) {
      if (got > 0) out.append(buf, static_cast<size_t>(got));
      std::string why = err == Z_ERRNO ? std::strerror(errno) : (msg != nullptr ? msg : "error");
      if (why.rfind(path + ": ", 0) == 0) why.erase(0, path.size() + 2);  // zlib prefixes the path
      throw InputError(fmt::format("{}: truncated or corrupt gzip data after line {} ({})", path, count_lines(out), why));
    }
    if (got == 0) break;
    out.append(buf, static_cast<size_t>(got));
    if (out.size() > kMaxBytes) throw InputError(fmt::format("{}: more than {} bytes decompressed", path, kMaxBytes));
  }
  // gzclose reports a stream that ended before its trailer (Z_BUF_ERROR).
  const int closed = ::gzclose(f.release());
  if (closed != Z_OK)
    throw InputError(fmt::format("{}: truncated or corrupt gzip data after line {} (gzclose: {})", path,
                                 count_lines(out), closed == Z_BUF_ERROR ? "unexpected end of file" : "error"));
  return out;
}

Dataset parse(const std::string& text, const std::string& origin) {
  std::vector<std::string> lines;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t nl = text.find('\n', pos);
    if (nl == std::string::npos) nl = text.size();
    lines.push_back(text.substr(pos, nl - pos));
    pos = nl + 1;
  }
  while (!lines.empty() && trim(lines.back()).empty()) lines.pop_back();
  if (lines.empty()) throw InputError(fmt::format("{}: no images (expected lines of 64 pixels 0..16 and a label 0..9)", origin));
  const auto n = static_cast<Eigen::Index>(lines.size());
  Dataset d;
  d.X.resize(kPixels, n);
  d.Y = Matrix::Zero(kClasses, n);
  for (Eigen::Index r = 0; r < n; ++r) {
    const std::string& line = lines[static_cast<size_t>(r)];
    const long lineno = static_cast<long>(r) + 1;
    std::vector<std::string> fields;
    size_t p = 0;
    while (true) {
      const size_t comma = line.find(',', p);
      fields.push_back(trim(line.substr(p, comma == std::string::npos ? std::string::npos : comma - p)));
      if (comma == std::string::npos) break;
      p = comma + 1;
    }
    if (fields.size() != kPixels + 1)
      throw InputError(fmt::format("{}: line {} has {} fields, expected 65 (64 pixels 0..16 and a label 0..9)", origin,
                                   lineno, fields.size()));
    for (size_t c = 0; c < fields.size(); ++c) {
      const std::string& f = fields[c];
      const bool is_label = c == kPixels;
      char* end = nullptr;
      const double v = std::strtod(f.c_str(), &end);
      if (f.empty() || *end != '\0' || !std::isfinite(v))
        throw InputError(fmt::format("{}: line {} field {} ('{}') is not a number", origin, lineno, c + 1, f));
      const double hi = is_label ? kClasses - 1 : kMaxPixel;
      if (v != std::floor(v) || v < 0 || v > hi) {
        if (is_label)
          throw InputError(fmt::format("{}: line {} label '{}' is not an integer 0..9", origin, lineno, f));
        throw InputError(fmt::format("{}: line {} pixel {} ('{}') is not an integer 0..16", origin, lineno, c, f));
      }
      if (is_label)
        d.Y(static_cast<Eigen::Index>(v), r) = 1.0;
      else
        d.X(static_cast<Eigen::Index>(c), r) = v / kMaxPixel;
    }
  }
  return d;
}

Dataset load(const std::string& path) { return parse(read_gzip(path), path); }

std::vector<int> labels(const Dataset& data) {
  std::vector<int> out(static_cast<size_t>(data.size()));
  for (Eigen::Index c = 0; c < data.size(); ++c) {
    Eigen::Index k = 0;
    data.Y.col(c).maxCoeff(&k);
    out[static_cast<size_t>(c)] = static_cast<int>(k);
  }
  return out;
}

std::vector<Eigen::Index> permutation(Eigen::Index n, std::uint64_t seed) {
  std::vector<Eigen::Index> p(static_cast<size_t>(n));
  for (Eigen::Index i = 0; i < n; ++i) p[static_cast<size_t>(i)] = i;
  Rng rng(seed);
  for (Eigen::Index i = n - 1; i >= 1; --i) {
    const auto j = static_cast<Eigen::Index>(rng.below(static_cast<std::uint64_t>(i) + 1));
    std::swap(p[static_cast<size_t>(i)], p[static_cast<size_t>(j)]);
  }
  return p;
}

namespace {

Dataset gather(const Dataset& all, const std::vector<Eigen::Index>& rows) {
  Dataset d;
  const auto n = static_cast<Eigen::Index>(rows.size());
  d.X.resize(all.X.rows(), n);
  d.Y.resize(all.Y.rows(), n);
  for (Eigen::Index c = 0; c < n; ++c) {
    d.X.col(c) = all.X.col(rows[static_cast<size_t>(c)]);
    d.Y.col(c) = all.Y.col(rows[static_cast<size_t>(c)]);
  }
  return d;
}

}  // namespace

Split split(const Dataset& all, std::uint64_t seed) {
  const Eigen::Index n = all.size();
  if (n <= kValidation + kTest)
    throw InputError(fmt::format("digits: {} images; the split needs more than {} ({} validation + {} test)", n,
                                 kValidation + kTest, kValidation, kTest));
  const auto p = permutation(n, seed);
  const Eigen::Index n_train = n - kValidation - kTest;
  Split s;
  s.train_rows.assign(p.begin(), p.begin() + n_train);
  s.validation_rows.assign(p.begin() + n_train, p.begin() + n_train + kValidation);
  s.test_rows.assign(p.begin() + n_train + kValidation, p.end());
  s.train = gather(all, s.train_rows);
  s.validation = gather(all, s.validation_rows);
  s.test = gather(all, s.test_rows);
  return s;
}

Dataset training_samples(const Split& s, Eigen::Index n, const std::string& option) {
  const Eigen::Index nt = s.train.size(), nv = s.validation.size();
  if (n < 1 || n > nt + nv)
    throw InputError(fmt::format("{} = {} is outside 1..{}: the digits split has {} train + {} validation + {} test "
                                 "images (values above {} add validation images; the test split is never trained on)",
                                 option, n, nt + nv, nt, nv, s.test.size(), nt));
  if (n <= nt) return s.train.slice(0, n);
  Dataset d;
  d.X.resize(s.train.X.rows(), n);
  d.Y.resize(s.train.Y.rows(), n);
  d.X << s.train.X, s.validation.X.leftCols(n - nt);
  d.Y << s.train.Y, s.validation.Y.leftCols(n - nt);
  return d;
}

namespace {

Dataset part_samples(const Dataset& part, const char* name, Eigen::Index n, const std::string& option) {
  if (n < 0 || n > part.size())
    throw InputError(fmt::format("{} = {} is outside 0..{}: the digits {} split has {} images", option, n, part.size(),
                                 name, part.size()));
  return part.slice(0, n);
}

}  // namespace

Dataset validation_samples(const Split& s, Eigen::Index n, const std::string& option) {
  return part_samples(s.validation, "validation", n, option);
}

Dataset test_samples(const Split& s, Eigen::Index n, const std::string& option) {
  return part_samples(s.test, "test", n, option);
}

}  // namespace sheafsim::digits
