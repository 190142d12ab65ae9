#pragma once
// Portable, seedable random numbers. std::normal_distribution differs between
// standard libraries, so every random choice in the project goes through this
// class (xoshiro256** seeded by splitmix64, Box-Muller normals) and a seed
// gives the same numbers on every platform.
#include <cstdint>

namespace sheafsim {

class Rng {
 public:
  explicit Rng(std::uint64_t seed);

  std::uint64_t next_u64();
  double uniform();                      // [0, 1), 53 random bits
  double uniform(double lo, double hi);  // [lo, hi)
  double normal();                       // N(0, 1)
  double normal(double mean, double stddev) { return mean + stddev * normal(); }
  std::uint64_t below(std::uint64_t n);  // uniform integer in [0, n)

 private:
  std::uint64_t s_[4];
  double spare_ = 0.0;
  bool has_spare_ = false;
};

// splitmix64 finaliser: a good 64-bit mixing function, used for seeding.
std::uint64_t splitmix64(std::uint64_t x);

}  // namespace sheafsim
