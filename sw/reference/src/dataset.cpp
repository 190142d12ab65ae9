#include "sheafsim/reference/dataset.h"

#include <cerrno>
#include <cmath>
#include <algorithm>
#include <cstdlib>
#include <vector>

#include <fmt/format.h>

#include "sheafsim/base/error.h"
#include "sheafsim/base/file_io.h"

namespace sheafsim {

Dataset Dataset::slice(Eigen::Index begin, Eigen::Index count) const {
  Dataset d;
  d.X = X.middleCols(begin, count);
  d.Y = Y.rows() > 0 ? Matrix(Y.middleCols(begin, count)) : Matrix(0, count);
  return d;
}

namespace {

std::vector<std::string> split_fields(const std::string& line) {
  std::vector<std::string> out;
  size_t pos = 0;
  while (true) {
    const size_t comma = line.find(',', pos);
    std::string f = line.substr(pos, comma == std::string::npos ? std::string::npos : comma - pos);
    // Trim spaces and a trailing carriage return (files written on Windows).
    const auto first = f.find_first_not_of(" \t\r");
    const auto last = f.find_last_not_of(" \t\r");
    out.push_back(first == std::string::npos ? std::string() : f.substr(first, last - first + 1));
    if (comma == std::string::npos) break;
    pos = comma + 1;
  }
  return out;
}

// "x12" -> 12 for prefix 'x'; -1 if the name has another form.
long column_index(const std::string& name, char prefix) {
  if (name.size() < 2 || name[0] != prefix) return -1;
  for (size_t i = 1; i < name.size(); ++i)
    if (name[i] < '0' || name[i] > '9') return -1;
  if (name.size() > 8) return -1;
  return std::strtol(name.c_str() + 1, nullptr, 10);
}

}  // namespace

Dataset parse_csv(const std::string& text, const std::string& origin) {
  std::vector<std::string> lines;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t nl = text.find('\n', pos);
    if (nl == std::string::npos) nl = text.size();
    std::string line = text.substr(pos, nl - pos);
    if (!line.empty() && line.back() == '\r') line.pop_back();
    lines.push_back(std::move(line));
    pos = nl + 1;
  }
  while (!lines.empty() && lines.back().find_first_not_of(" \t") == std::string::npos) lines.pop_back();
  if (lines.empty()) throw InputError(fmt::format("{}: empty CSV file (expected a header x0,...,y0,...)", origin));

  const auto header = split_fields(lines[0]);
  int nx = 0, ny = 0;
  for (size_t c = 0; c < header.size(); ++c) {
    const long xi = column_index(header[c], 'x');
    const long yi = column_index(header[c], 'y');
    if (xi >= 0 && ny == 0 && xi == nx) {
      ++nx;
    } else if (yi >= 0 && yi == ny && nx > 0) {
      ++ny;
    } else {
      throw InputError(fmt::format("{}: header column {} is '{}'; expected x0..x(n0-1) then y0..y(nL-1)", origin,
                                   c + 1, header[c]));
    }
  }
  const Eigen::Index n = static_cast<Eigen::Index>(lines.size()) - 1;
  if (n < 1) throw InputError(fmt::format("{}: no data rows after the header", origin));
  const auto check_count = [&](Eigen::Index r, size_t count) {
    if (count != header.size())
      throw InputError(fmt::format("{}: line {} has {} fields, header has {}", origin, r + 2, count, header.size()));
  };
  // A row of k fields takes at least k - 1 bytes (its commas): with more
  // fields than bytes some row is short. Find it before allocating, or a wide
  // header over many blank lines (a 2 MB file) asks for terabytes.
  if (static_cast<double>(header.size()) * static_cast<double>(n) > static_cast<double>(text.size()))
    for (Eigen::Index r = 0; r < n; ++r) {
      const std::string& line = lines[static_cast<size_t>(r) + 1];
      check_count(r, static_cast<size_t>(std::count(line.begin(), line.end(), ',')) + 1);
    }
  Dataset d;
  d.X.resize(nx, n);
  d.Y.resize(ny, n);
  for (Eigen::Index r = 0; r < n; ++r) {
    const auto fields = split_fields(lines[static_cast<size_t>(r) + 1]);
    check_count(r, fields.size());
    for (size_t c = 0; c < fields.size(); ++c) {
      const std::string& f = fields[c];
      char* end = nullptr;
      errno = 0;
      const double v = std::strtod(f.c_str(), &end);
      if (f.empty() || *end != '\0')
        throw InputError(fmt::format("{}: line {} column {} ('{}') is not a number", origin, r + 2, header[c], f));
      if (!std::isfinite(v))
        throw InputError(fmt::format("{}: line {} column {} is not finite ('{}')", origin, r + 2, header[c], f));
      if (static_cast<int>(c) < nx)
        d.X(static_cast<Eigen::Index>(c), r) = v;
      else
        d.Y(static_cast<Eigen::Index>(c) - nx, r) = v;
    }
  }
  return d;
}

Dataset read_csv(const std::string& path) { return parse_csv(read_text_file(path), path); }

std::string to_csv(const Dataset& data) {
  std::string out;
  for (Eigen::Index i = 0; i < data.X.rows(); ++i) out += fmt::format("{}x{}", i ? "," : "", i);
  for (Eigen::Index i = 0; i < data.Y.rows(); ++i) out += fmt::format(",y{}", i);
  out += '\n';
  for (Eigen::Index r = 0; r < data.size(); ++r) {
    for (Eigen::Index i = 0; i < data.X.rows(); ++i) out += fmt::format("{}{:.17g}", i ? "," : "", data.X(i, r));
    for (Eigen::Index i = 0; i < data.Y.rows(); ++i) out += fmt::format(",{:.17g}", data.Y(i, r));
    out += '\n';
  }
  return out;
}

void write_csv(const std::string& path, const Dataset& data) { write_text_file(path, to_csv(data)); }

void check_compatible(const Network& net, const Dataset& data, bool need_targets, const std::string& origin) {
  if (data.X.rows() != net.inputs())
    throw InputError(fmt::format("{}: {} input columns, network expects n0 = {}", origin, data.X.rows(), net.inputs()));
  if (need_targets && !data.has_targets())
    throw InputError(fmt::format("{}: no target columns y0..y{} (needed for training)", origin, net.outputs() - 1));
  if (data.has_targets() && data.Y.rows() != net.outputs())
    throw InputError(fmt::format("{}: {} target columns, network expects nL = {}", origin, data.Y.rows(), net.outputs()));
  if (data.has_targets() && is_classification(net.output)) {
    if ((data.Y.array() < 0.0).any() || (data.Y.array() > 1.0).any())
      throw InputError(fmt::format("{}: {} output needs targets in [0, 1]", origin, to_string(net.output)));
    if (net.output == OutputKind::Softmax) {
      for (Eigen::Index c = 0; c < data.size(); ++c)
        if (std::fabs(data.Y.col(c).sum() - 1.0) > 1e-9)
          throw InputError(fmt::format("{}: sample {} targets do not sum to 1 (softmax needs one-hot or probability rows)",
                                       origin, c + 1));
    }
  }
}

}  // namespace sheafsim
