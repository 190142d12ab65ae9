// The handwritten-digits data set (sheafsim/reference/digits.h): the loader on small
// gzip files this test writes itself (exact values, one error per kind of
// malformed content), the search for the file, the fixed split and the task.
// Nothing here needs python3-sklearn: the one test that reads the real file
// warns and passes when it is absent.
#include <catch2/catch.hpp>

#include <zlib.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <set>
#include <string>

#include <unistd.h>

#include <fmt/format.h>

#include "sheafsim/reference/digits.h"
#include "sheafsim/base/error.h"
#include "sheafsim/reference/tasks.h"

using namespace sheafsim;
using Catch::Matchers::Contains;
using Catch::Matchers::Equals;

namespace {

// A path in the temporary directory, unique per process.
std::string temp_path(const std::string& name) {
  return (std::filesystem::temp_directory_path() / fmt::format("sheafsim_digits_{}_{}", ::getpid(), name)).string();
}

// Writes `text` gzip-compressed (as python3-sklearn ships the file).
void write_gz(const std::string& path, const std::string& text) {
  gzFile f = gzopen(path.c_str(), "wb9");
  REQUIRE(f != nullptr);
  REQUIRE(gzwrite(f, text.data(), static_cast<unsigned>(text.size())) == static_cast<int>(text.size()));
  REQUIRE(gzclose(f) == Z_OK);
}

std::string read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

void write_bytes(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << bytes;
}

// One line of the file: pixel p of image `row` is (row * 7 + p * 3) % 17, label row % 10.
std::string image_line(int row) {
  std::string s;
  for (int p = 0; p < 64; ++p) s += fmt::format("{},", (row * 7 + p * 3) % 17);
  return s + fmt::format("{}\n", row % 10);
}

std::string image_lines(int n) {
  std::string s;
  for (int r = 0; r < n; ++r) s += image_line(r);
  return s;
}

// An in-memory data set of n images whose pixel 0 holds the row number, to
// follow images through the split.
Dataset numbered(Eigen::Index n) {
  Dataset d;
  d.X = Matrix::Zero(64, n);
  d.Y = Matrix::Zero(10, n);
  for (Eigen::Index c = 0; c < n; ++c) {
    d.X(0, c) = static_cast<double>(c);
    d.Y(c % 10, c) = 1.0;
  }
  return d;
}

std::vector<Eigen::Index> rows_of(const Dataset& d) {
  std::vector<Eigen::Index> out;
  for (Eigen::Index c = 0; c < d.size(); ++c) out.push_back(static_cast<Eigen::Index>(d.X(0, c)));
  return out;
}

// The error message of parse(text), "" if it does not throw.
std::string parse_error(const std::string& text) {
  try {
    digits::parse(text, "d.csv");
  } catch (const InputError& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST_CASE("a generated gzip file loads to exact pixels / 16 and one-hot labels", "[digits][io]") {
  const std::string path = temp_path("valid.csv.gz");
  write_gz(path, image_lines(12));
  const Dataset d = digits::load(path);
  std::remove(path.c_str());
  REQUIRE(d.X.rows() == 64);
  REQUIRE(d.Y.rows() == 10);
  REQUIRE(d.size() == 12);
  for (int r = 0; r < 12; ++r) {
    for (int p = 0; p < 64; ++p) CHECK(d.X(p, r) == ((r * 7 + p * 3) % 17) / 16.0);
    for (int k = 0; k < 10; ++k) CHECK(d.Y(k, r) == (k == r % 10 ? 1.0 : 0.0));
  }
  CHECK(d.X.minCoeff() == 0.0);
  CHECK(d.X.maxCoeff() == 1.0);  // pixel 16
  const std::vector<int> labels = digits::labels(d);
  CHECK(labels == std::vector<int>{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1});
  // Every column is one-hot: a single 1, the rest 0.
  for (Eigen::Index c = 0; c < d.size(); ++c) {
    CHECK(d.Y.col(c).sum() == 1.0);
    CHECK(d.Y.col(c).maxCoeff() == 1.0);
    CHECK((d.Y.col(c).array() == 0.0).count() == 9);
  }
}

TEST_CASE("plain text, CR line ends, spaces and trailing blank lines are accepted", "[digits][io]") {
  const std::string path = temp_path("plain.csv");
  std::string text = image_line(3);
  text.insert(text.size() - 1, "\r");  // CRLF
  text += " 16" + image_line(4).substr(image_line(4).find(',')) + "\n\n";
  write_bytes(path, text);
  const Dataset d = digits::load(path);
  std::remove(path.c_str());
  REQUIRE(d.size() == 2);
  CHECK(d.X(0, 1) == 1.0);  // " 16"
  CHECK(d.X(1, 0) == ((3 * 7 + 3) % 17) / 16.0);
  CHECK(digits::labels(d) == std::vector<int>{3, 4});
  // Integer values written as floats (numpy's savetxt) are integers too.
  std::string floats;
  for (int p = 0; p < 64; ++p) floats += p == 5 ? "16.0," : "0,";
  CHECK(digits::parse(floats + "7.0\n", "f.csv").X(5, 0) == 1.0);
}

TEST_CASE("malformed content gives one line naming the line and the problem", "[digits][io][bad-input]") {
  const std::string good = image_line(0) + image_line(1);
  std::string row = image_line(2);
  row.pop_back();  // no newline
  const auto with_field = [&](int field, const std::string& value) {
    // Replaces field `field` (0-based) of line 3.
    std::string fields = row;
    size_t start = 0;
    for (int k = 0; k < field; ++k) start = fields.find(',', start) + 1;
    const size_t end = fields.find(',', start);
    fields.replace(start, (end == std::string::npos ? fields.size() : end) - start, value);
    return good + fields + "\n" + image_line(3);
  };
  CHECK_THAT(parse_error(good + "1,2,3\n"),
             Equals("d.csv: line 3 has 3 fields, expected 65 (64 pixels 0..16 and a label 0..9)"));
  CHECK_THAT(parse_error(good + row + ",0\n"), Contains("line 3 has 66 fields, expected 65"));
  CHECK_THAT(parse_error(good + "\n" + image_line(3)), Contains("line 3 has 1 fields"));  // blank line inside
  CHECK_THAT(parse_error(with_field(10, "abc")), Equals("d.csv: line 3 field 11 ('abc') is not a number"));
  CHECK_THAT(parse_error(with_field(10, "")), Equals("d.csv: line 3 field 11 ('') is not a number"));
  CHECK_THAT(parse_error(with_field(10, "nan")), Contains("line 3 field 11 ('nan') is not a number"));
  CHECK_THAT(parse_error(with_field(10, "17")), Equals("d.csv: line 3 pixel 10 ('17') is not an integer 0..16"));
  CHECK_THAT(parse_error(with_field(0, "-1")), Equals("d.csv: line 3 pixel 0 ('-1') is not an integer 0..16"));
  CHECK_THAT(parse_error(with_field(63, "2.5")), Equals("d.csv: line 3 pixel 63 ('2.5') is not an integer 0..16"));
  CHECK_THAT(parse_error(with_field(64, "10")), Equals("d.csv: line 3 label '10' is not an integer 0..9"));
  CHECK_THAT(parse_error(with_field(64, "-1")), Equals("d.csv: line 3 label '-1' is not an integer 0..9"));
  CHECK_THAT(parse_error(with_field(64, "x")), Equals("d.csv: line 3 field 65 ('x') is not a number"));
  CHECK_THAT(parse_error(""), Contains("d.csv: no images"));
  CHECK_THAT(parse_error("\n \n"), Contains("d.csv: no images"));
  CHECK(parse_error(good).empty());
}

TEST_CASE("truncated or corrupt gzip data is an error naming the last complete line", "[digits][io][bad-input]") {
  const std::string full = temp_path("full.csv.gz"), cut = temp_path("cut.csv.gz"), bad = temp_path("crc.csv.gz");
  write_gz(full, image_lines(200));
  const std::string bytes = read_bytes(full);
  REQUIRE(bytes.size() > 100);
  // Cut in the middle of the deflate stream.
  write_bytes(cut, bytes.substr(0, bytes.size() / 2));
  try {
    digits::load(cut);
    FAIL("a truncated gzip file loaded");
  } catch (const InputError& e) {
    const std::string msg = e.what();
    INFO(msg);
    CHECK_THAT(msg, Contains(cut + ": truncated or corrupt gzip data after line "));
    CHECK_THAT(msg, Contains("unexpected end of file"));
    CHECK(msg.find('\n') == std::string::npos);
  }
  // Only the 8-byte trailer (CRC, length) missing: every line decompresses.
  write_bytes(cut, bytes.substr(0, bytes.size() - 8));
  CHECK_THROWS_WITH(digits::load(cut), Contains("truncated or corrupt gzip data after line 200"));
  // A wrong CRC (zlib withholds the last buffer it decompressed, so the line
  // named is the last one delivered before it).
  std::string corrupt = bytes;
  corrupt[corrupt.size() - 8] = static_cast<char>(corrupt[corrupt.size() - 8] ^ 0x5a);
  write_bytes(bad, corrupt);
  CHECK_THROWS_WITH(digits::load(bad), Contains(bad + ": truncated or corrupt gzip data after line ") &&
                                           Contains("(incorrect data check)"));
  CHECK(digits::load(full).size() == 200);
  std::remove(full.c_str());
  std::remove(cut.c_str());
  std::remove(bad.c_str());
  CHECK_THROWS_WITH(digits::load(temp_path("absent.csv.gz")), Contains("absent.csv.gz: cannot open file (No such file"));
  CHECK_THROWS_WITH(digits::load(std::filesystem::temp_directory_path().string()), Contains("cannot open file"));
}

TEST_CASE("the file is found by --digits-file, then $SHEAFSIM_DIGITS, then the system paths", "[digits][io]") {
  const std::string real = temp_path("found.csv.gz");
  write_gz(real, image_line(0));
  const std::vector<std::string> none = {temp_path("nope1.csv.gz"), temp_path("nope2.csv.gz")};
  const std::vector<std::string> some = {temp_path("nope1.csv.gz"), real, temp_path("nope2.csv.gz")};
  CHECK(digits::locate("/explicit.csv.gz", "/env.csv.gz", some) == "/explicit.csv.gz");
  CHECK(digits::locate("", "/env.csv.gz", some) == "/env.csv.gz");
  CHECK(digits::locate("", "", some) == real);  // an empty variable counts as unset
  CHECK(digits::locate("", nullptr, some) == real);
  // Absent everywhere: one line naming the file and the Debian package.
  CHECK_THROWS_WITH(digits::locate("", nullptr, none),
                    Equals("digits: cannot find digits.csv.gz; install Debian's python3-sklearn (or pass --digits-file)"));
  CHECK_THROWS_WITH(digits::locate("", nullptr, {}), Contains("python3-sklearn"));
  // A directory of that name is not the file.
  CHECK_THROWS_WITH(digits::locate("", nullptr, {std::filesystem::temp_directory_path().string()}),
                    Contains("cannot find digits.csv.gz"));
  std::remove(real.c_str());
  // The Debian path comes first.
  const auto sys = digits::system_paths();
  REQUIRE(!sys.empty());
  CHECK(sys[0] == "/usr/lib/python3/dist-packages/sklearn/datasets/data/digits.csv.gz");
  for (const auto& p : sys) CHECK_THAT(p, Contains("/sklearn/datasets/data/digits.csv.gz"));
}

TEST_CASE("the permutation is Fisher-Yates from the seed", "[digits][split]") {
  const auto p = digits::permutation(1797, 42);
  REQUIRE(p.size() == 1797);
  std::vector<Eigen::Index> sorted = p;
  std::sort(sorted.begin(), sorted.end());
  for (Eigen::Index i = 0; i < 1797; ++i) CHECK(sorted[static_cast<size_t>(i)] == i);
  CHECK(digits::permutation(1797, 42) == p);
  CHECK(digits::permutation(1797, 43) != p);
  // Pinned: the split of docs/validation.md depends on these.
  CHECK(std::vector<Eigen::Index>(p.begin(), p.begin() + 5) == std::vector<Eigen::Index>{405, 1128, 1180, 1226, 1114});
  CHECK(digits::permutation(1, 7) == std::vector<Eigen::Index>{0});
  CHECK(digits::permutation(0, 7).empty());
}

TEST_CASE("the split is 1197 / 300 / 300, disjoint, complete and fixed by the seed", "[digits][split]") {
  STATIC_REQUIRE(digits::kTrain == 1197);
  STATIC_REQUIRE(digits::kValidation == 300);
  STATIC_REQUIRE(digits::kTest == 300);
  const Dataset all = numbered(digits::kImages);
  const digits::Split s = digits::split(all, 42);
  REQUIRE(s.train.size() == 1197);
  REQUIRE(s.validation.size() == 300);
  REQUIRE(s.test.size() == 300);
  // The rows recorded are the rows taken.
  CHECK(rows_of(s.train) == s.train_rows);
  CHECK(rows_of(s.validation) == s.validation_rows);
  CHECK(rows_of(s.test) == s.test_rows);
  // Targets travel with their images.
  for (Eigen::Index c = 0; c < s.test.size(); ++c) CHECK(s.test.Y(s.test_rows[static_cast<size_t>(c)] % 10, c) == 1.0);
  // Disjoint and together every image exactly once.
  std::set<Eigen::Index> seen;
  for (const auto* rows : {&s.train_rows, &s.validation_rows, &s.test_rows})
    for (Eigen::Index r : *rows) CHECK(seen.insert(r).second);
  CHECK(seen.size() == 1797);
  CHECK(*seen.begin() == 0);
  CHECK(*seen.rbegin() == 1796);
  // The permutation order: train, validation, test.
  const auto p = digits::permutation(1797, 42);
  CHECK(s.train_rows == std::vector<Eigen::Index>(p.begin(), p.begin() + 1197));
  CHECK(s.test_rows == std::vector<Eigen::Index>(p.begin() + 1497, p.end()));
  // Same seed, same split; another seed, another split.
  const digits::Split again = digits::split(all, 42);
  CHECK(again.train_rows == s.train_rows);
  CHECK(again.validation_rows == s.validation_rows);
  CHECK(again.test_rows == s.test_rows);
  CHECK(again.train.X == s.train.X);
  const digits::Split other = digits::split(all, 7);
  CHECK(other.test_rows != s.test_rows);
  // Too few images for a validation and a test split.
  CHECK_THROWS_WITH(digits::split(numbered(600), 42),
                    Equals("digits: 600 images; the split needs more than 600 (300 validation + 300 test)"));
  const digits::Split small = digits::split(numbered(601), 42);
  CHECK(small.train.size() == 1);
}

TEST_CASE("train --n-train takes train then validation images, never test ones", "[digits][split]") {
  const digits::Split s = digits::split(numbered(digits::kImages), 42);
  CHECK(rows_of(digits::training_samples(s, 10, "--n-train")) ==
        std::vector<Eigen::Index>(s.train_rows.begin(), s.train_rows.begin() + 10));
  CHECK(rows_of(digits::training_samples(s, 1197, "--n-train")) == s.train_rows);
  // Train + validation: 1497 images, the test split untouched.
  std::vector<Eigen::Index> tv = s.train_rows;
  tv.insert(tv.end(), s.validation_rows.begin(), s.validation_rows.end());
  const Dataset both = digits::training_samples(s, 1497, "--n-train");
  CHECK(rows_of(both) == tv);
  CHECK(both.Y.rows() == 10);
  CHECK(rows_of(digits::training_samples(s, 1200, "--n-train")) == std::vector<Eigen::Index>(tv.begin(), tv.begin() + 1200));
  CHECK_THROWS_WITH(digits::training_samples(s, 1498, "--n-train"),
                    Contains("--n-train = 1498 is outside 1..1497: the digits split has 1197 train + 300 validation + 300 test images"));
  CHECK_THROWS_WITH(digits::training_samples(s, 1797, "--n-train"), Contains("is outside 1..1497"));
  CHECK_THROWS_WITH(digits::training_samples(s, 0, "--n-train"), Contains("--n-train = 0 is outside 1..1497"));
  CHECK(rows_of(digits::test_samples(s, 300, "--n-test")) == s.test_rows);
  CHECK(digits::test_samples(s, 0, "--n-test").size() == 0);
  CHECK(rows_of(digits::validation_samples(s, 5, "--val-n")) ==
        std::vector<Eigen::Index>(s.validation_rows.begin(), s.validation_rows.begin() + 5));
  CHECK_THROWS_WITH(digits::test_samples(s, 301, "--n-test"),
                    Equals("--n-test = 301 is outside 0..300: the digits test split has 300 images"));
  CHECK_THROWS_WITH(digits::validation_samples(s, -1, "--val-n"), Contains("--val-n = -1 is outside 0..300"));
}

TEST_CASE("the task's name, network and output", "[digits]") {
  CHECK(parse_task("digits") == Task::Digits);
  CHECK(to_string(Task::Digits) == "digits");
  CHECK(default_layers(Task::Digits) == std::vector<int>{64, 32, 10});
  CHECK(default_output(Task::Digits) == OutputKind::Softmax);
  CHECK(!is_synthetic(Task::Digits));
  CHECK(is_synthetic(Task::Blobs));
  const std::vector<std::string> names = task_names();
  CHECK(std::count(names.begin(), names.end(), "digits") == 1);
  CHECK_THROWS_WITH(make_task(Task::Digits, 10, 1), Contains("task 'digits' is read from a file, not generated"));
  CHECK_THROWS_WITH(parse_task("mnist"), Contains("paraboloid, saddle, circular, blobs or digits"));
}

TEST_CASE("the real file from python3-sklearn (skipped when absent)", "[digits][real]") {
  std::string path;
  try {
    path = digits::locate("");
  } catch (const InputError& e) {
    WARN("skipped: " << e.what());
    SUCCEED("python3-sklearn is not installed");
    return;
  }
  INFO(path);
  const Dataset d = digits::load(path);
  REQUIRE(d.size() == 1797);
  std::vector<int> count(10, 0);
  for (int k : digits::labels(d)) ++count[static_cast<size_t>(k)];
  CHECK(count == std::vector<int>{178, 182, 177, 183, 181, 182, 181, 179, 174, 180});
  // The first image (a 0): row 0 of the file is 0,0,5,13,9,1,0,0,...
  CHECK(d.X(2, 0) == 5.0 / 16);
  CHECK(d.X(3, 0) == 13.0 / 16);
  CHECK(d.X(4, 0) == 9.0 / 16);
  CHECK(digits::labels(d)[0] == 0);
  CHECK(d.X.minCoeff() == 0.0);
  CHECK(d.X.maxCoeff() == 1.0);
  const digits::Split s = digits::split(d, 42);
  CHECK(s.train.size() == 1197);
  CHECK(s.test.size() == 300);
}
