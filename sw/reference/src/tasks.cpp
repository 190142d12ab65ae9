#include "sheafsim/reference/tasks.h"

#include <cmath>

#include <fmt/format.h>

#include "sheafsim/reference/digits.h"
#include "sheafsim/base/error.h"
#include "sheafsim/base/rng.h"

namespace sheafsim {

// Generator parameters the spec leaves open (choice, recorded in docs/file-formats.md).
namespace blobs {
constexpr double kCentres[4][2] = {{-1.5, -1.5}, {1.5, -1.5}, {-1.5, 1.5}, {1.5, 1.5}};
// Anisotropy: x = centre + A n with n ~ N(0, I).
constexpr double kA[2][2] = {{0.6, -0.4}, {-0.2, 0.8}};
}  // namespace blobs

Task parse_task(const std::string& name) {
  if (name == "paraboloid") return Task::Paraboloid;
  if (name == "saddle") return Task::Saddle;
  if (name == "circular") return Task::Circular;
  if (name == "blobs") return Task::Blobs;
  if (name == "digits") return Task::Digits;
  throw InputError(fmt::format("unknown task '{}' (expected paraboloid, saddle, circular, blobs or digits)", name));
}

std::string to_string(Task task) {
  switch (task) {
    case Task::Paraboloid: return "paraboloid";
    case Task::Saddle: return "saddle";
    case Task::Circular: return "circular";
    case Task::Blobs: return "blobs";
    case Task::Digits: return "digits";
  }
  return "paraboloid";
}

std::vector<std::string> task_names() { return {"paraboloid", "saddle", "circular", "blobs", "digits"}; }

bool is_synthetic(Task task) { return task != Task::Digits; }

std::vector<int> default_layers(Task task) {
  switch (task) {
    case Task::Paraboloid:
    case Task::Saddle: return {2, 30, 1};
    case Task::Circular: return {2, 25, 1};
    case Task::Blobs: return {2, 25, 4};
    case Task::Digits: return {digits::kPixels, 32, digits::kClasses};
  }
  return {2, 30, 1};
}

OutputKind default_output(Task task) {
  switch (task) {
    case Task::Circular: return OutputKind::Sigmoid;
    case Task::Blobs:
    case Task::Digits: return OutputKind::Softmax;
    default: return OutputKind::Identity;
  }
}

Dataset make_task(Task task, Eigen::Index n, std::uint64_t seed) {
  if (!is_synthetic(task))
    throw InputError(fmt::format("task '{}' is read from a file, not generated", to_string(task)));
  if (n < 1 || n > (Eigen::Index{1} << 26))
    throw InputError(fmt::format("sample count {} is outside 1..{}", n, Eigen::Index{1} << 26));
  Rng rng(seed);
  Dataset d;
  d.X.resize(2, n);
  const int ny = task == Task::Blobs ? 4 : 1;
  d.Y = Matrix::Zero(ny, n);
  for (Eigen::Index s = 0; s < n; ++s) {
    switch (task) {
      case Task::Paraboloid: {
        const double x1 = rng.uniform(-2, 2), x2 = rng.uniform(-2, 2);
        d.X.col(s) << x1, x2;
        d.Y(0, s) = x1 * x1 + x2 * x2 - 2.0 / 3.0 + rng.normal(0.0, 0.02);
        break;
      }
      case Task::Saddle: {
        const double x1 = rng.uniform(0, 2), x2 = rng.uniform(0, 2);
        d.X.col(s) << x1, x2;
        d.Y(0, s) = x1 * x1 - x2 * x2 + 0.5 * std::sin(2 * x1);
        break;
      }
      case Task::Circular: {
        // Alternate classes so every prefix is balanced; angle uniform; the noise
        // (N(0, 0.1)) is added to the radius of both classes.
        const int cls = static_cast<int>(s % 2);
        const double r = cls == 0 ? std::sqrt(rng.uniform()) : rng.uniform(1.5, 2.5);
        const double t = rng.uniform(0, 2 * M_PI);
        const double rr = r + rng.normal(0.0, 0.1);
        d.X.col(s) << rr * std::cos(t), rr * std::sin(t);
        d.Y(0, s) = cls;
        break;
      }
      case Task::Digits: break;  // rejected above
      case Task::Blobs: {
        const int cls = static_cast<int>(s % 4);
        const double n1 = rng.normal(), n2 = rng.normal();
        d.X(0, s) = blobs::kCentres[cls][0] + blobs::kA[0][0] * n1 + blobs::kA[0][1] * n2;
        d.X(1, s) = blobs::kCentres[cls][1] + blobs::kA[1][0] * n1 + blobs::kA[1][1] * n2;
        d.Y(cls, s) = 1.0;
        break;
      }
    }
  }
  return d;
}

}  // namespace sheafsim
