#pragma once
// The handwritten-digits data set: 1797 images of 8x8 pixels (integers 0..16),
// 10 classes; the test set of the UCI "Optical Recognition of Handwritten
// Digits" data as scikit-learn ships it. It is read at run time from the copy
// that Debian's python3-sklearn installs (sklearn/datasets/data/digits.csv.gz):
// a gzipped CSV without header, one image per line, 64 pixel values row by row
// and the label as the 65th field. Nothing of it is stored in this repository.
//
// As a Dataset: X = pixel / 16 (64 x N, in [0, 1]), Y one-hot (10 x N).
// The split (docs/file-formats.md, "Digits"): a permutation of the N images
// seeded by the data seed; the last kTest positions are the test split, the
// kValidation before them the validation split, the rest the training split
// (1197 / 300 / 300 for the 1797 images).
#include <cstdint>
#include <string>
#include <vector>

#include "sheafsim/reference/dataset.h"

namespace sheafsim::digits {

constexpr int kPixels = 64;  // 8 x 8
constexpr int kClasses = 10;
constexpr int kMaxPixel = 16;
constexpr Eigen::Index kImages = 1797;  // rows of scikit-learn's copy
constexpr Eigen::Index kValidation = 300;
constexpr Eigen::Index kTest = 300;
constexpr Eigen::Index kTrain = kImages - kValidation - kTest;  // 1197
inline constexpr const char* kEnvVar = "SHEAFSIM_DIGITS";
inline constexpr const char* kFileName = "digits.csv.gz";

// Where Debian (and pip on Debian) put the file, in search order, existing or
// not: /usr/lib/python3/dist-packages/..., then the versioned directories
// /usr/lib/python3.*/, /usr/local/lib/python3.*/ (dist- and site-packages).
std::vector<std::string> system_paths();

// The file to read: `explicit_path` (--digits-file) if not empty, else the
// value of $SHEAFSIM_DIGITS if set and not empty, else the first existing of
// system_paths(). Throws InputError naming python3-sklearn when none exists.
std::string locate(const std::string& explicit_path);
// The same with the environment value and the candidates given (for tests);
// `env_value` may be null (unset).
std::string locate(const std::string& explicit_path, const char* env_value, const std::vector<std::string>& candidates);

// The decompressed content of a gzip file (a plain file passes through
// unchanged). Throws InputError for a file that cannot be opened and for
// truncated or corrupt gzip data (naming the last complete line).
std::string read_gzip(const std::string& path);

// Parses the CSV text: every non-blank line 64 integers 0..16 then a label
// 0..9 (trailing blank lines and CR line ends accepted). Throws InputError
// naming the line for a wrong field count, a non-number, a pixel or label out
// of range, or no rows.
Dataset parse(const std::string& text, const std::string& origin);
Dataset load(const std::string& path);  // read_gzip + parse

// The class of every column of a one-hot Y (the index of its largest entry).
std::vector<int> labels(const Dataset& data);

// Positions 0..n-1 shuffled by Fisher-Yates with Rng(seed): for i = n-1 down
// to 1, swap p[i] and p[below(i + 1)].
std::vector<Eigen::Index> permutation(Eigen::Index n, std::uint64_t seed);

struct Split {
  Dataset train, validation, test;
  // Row numbers (0-based, in file order) of each split's columns.
  std::vector<Eigen::Index> train_rows, validation_rows, test_rows;
};
// Throws InputError when `all` has no more than kValidation + kTest images.
Split split(const Dataset& all, std::uint64_t seed);

// The first n images of the permutation: the training split, then (n above
// its size) the validation split; throws InputError when n is outside
// 1..train + validation, naming `option`.
Dataset training_samples(const Split& s, Eigen::Index n, const std::string& option);
// The first n images of the validation (test) split; throws InputError when n
// is outside 0..its size, naming `option`.
Dataset validation_samples(const Split& s, Eigen::Index n, const std::string& option);
Dataset test_samples(const Split& s, Eigen::Index n, const std::string& option);

}  // namespace sheafsim::digits
