#pragma once
// The one fixed-point arithmetic definition of the project (docs/fixed-point.md).
// Header-only: the bit-accurate model, the SystemC mesh model and the RTL
// testbench's scoreboard all call these functions.
//
// A value of format Q<i>.<f> is a signed two's-complement integer `raw` of
// w = i + f bits standing for raw * 2^-f (the meaning of SystemC
// sc_fixed<i+f, i>). Intermediate results are exact wide integers (__int128)
// carrying their number of fractional bits; a value is rounded once, when it
// is written to a register of a given format, by `quantize`.
#include <cstdint>
#include <string>

namespace sheafsim::fx {

__extension__ typedef __int128 wide;            // exact intermediates
__extension__ typedef unsigned __int128 uwide;

// Quantisation modes, one to one with SystemC's SC_TRN, SC_TRN_ZERO, SC_RND,
// SC_RND_ZERO, SC_RND_CONV; Stoch is stochastic rounding (no SystemC twin).
enum class Quant { Trn, TrnZero, Rnd, RndZero, RndConv, Stoch };
// Overflow modes: SC_SAT and SC_WRAP (with n_bits = 0).
enum class Overflow { Sat, Wrap };

constexpr int kMaxOperandBits = 64;

struct FixedFormat {
  int int_bits = 4;   // i, including the sign bit (>= 1)
  int frac_bits = 12; // f (>= 0)

  constexpr int width() const { return int_bits + frac_bits; }
  constexpr std::int64_t max_raw() const {
    return static_cast<std::int64_t>((uwide{1} << (width() - 1)) - 1);
  }
  constexpr std::int64_t min_raw() const { return -max_raw() - 1; }
  double lsb() const;
  double max_value() const { return static_cast<double>(max_raw()) * lsb(); }
  double min_value() const { return static_cast<double>(min_raw()) * lsb(); }
  double to_double(std::int64_t raw) const { return static_cast<double>(raw) * lsb(); }
  std::string str() const;  // "Q4.12"
  bool operator==(const FixedFormat& o) const { return int_bits == o.int_bits && frac_bits == o.frac_bits; }
  bool operator!=(const FixedFormat& o) const { return !(*this == o); }
};

// Parses "Q<i>.<f>" with 1 <= i, 0 <= f, i + f <= 64; throws InputError naming
// `setting` and the problem.
FixedFormat parse_format(const std::string& text, const std::string& setting);
Quant parse_quant(const std::string& name);        // trn, trn_zero, rnd, rnd_zero, rnd_conv, stoch
Overflow parse_overflow(const std::string& name);  // sat, wrap
std::string to_string(Quant q);
std::string to_string(Overflow o);

// Left shift that is defined for negative values.
inline wide shl(wide v, int n) { return static_cast<wide>(static_cast<uwide>(v) << n); }

// Counter-based random bits for stochastic rounding (docs/fixed-point.md §5):
// mix64 is splitmix64 (add the golden-ratio constant, then the finaliser);
// the key chains seed, step, sample and site.
inline std::uint64_t mix64(std::uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ULL;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebULL;
  x ^= x >> 31;
  return x;
}
// The chain in three links, so that a loop computes the common prefix once:
// stoch_step_key(seed, step), then stoch_sample_key once per sample, then
// stoch_site_bits per register.
inline std::uint64_t stoch_step_key(std::uint64_t seed, std::uint64_t step) { return mix64(mix64(seed) ^ step); }
inline std::uint64_t stoch_sample_key(std::uint64_t step_key, std::uint64_t sample) { return mix64(step_key ^ sample); }
inline std::uint64_t stoch_site_bits(std::uint64_t sample_key, std::uint64_t site) { return mix64(sample_key ^ site); }
inline std::uint64_t stoch_bits(std::uint64_t seed, std::uint64_t step, std::uint64_t sample, std::uint64_t site) {
  return stoch_site_bits(stoch_sample_key(stoch_step_key(seed, step), sample), site);
}

// The unsigned twin of the two integer types the model computes in (std::make_unsigned
// does not know __int128 in strict ISO mode).
template <typename T> struct Unsigned;
template <> struct Unsigned<std::int64_t> { using type = std::uint64_t; };
template <> struct Unsigned<wide> { using type = uwide; };

// v * 2^-d rounded to an integer by mode q (0 <= d < bits of T; d = 0 returns v).
// `rnd` supplies the random bits of Stoch and is ignored otherwise. The model
// calls it on int64 when the exact value fits and on __int128 otherwise; both
// give the same result.
template <typename T>
inline T round_shift(T v, int d, Quant q, std::uint64_t rnd = 0) {
  using U = typename Unsigned<T>::type;
  if (d <= 0) return v;
  const T floor = v >> d;  // arithmetic shift: toward minus infinity
  const U rem = static_cast<U>(v) & ((U{1} << d) - 1);  // v - floor * 2^d, in [0, 2^d)
  const U half = U{1} << (d - 1);
  // Branch-free: the round-up decisions are data-dependent and unpredictable.
  // (rem = 0 never rounds up: half >= 1, and v < 0 with rem = 0 is exact.)
  switch (q) {
    case Quant::Trn: return floor;
    case Quant::TrnZero: return floor + static_cast<T>((v < 0) & (rem != 0));
    case Quant::Rnd: return floor + static_cast<T>(rem >= half);
    case Quant::RndZero: return floor + static_cast<T>((rem > half) | ((rem == half) & (v < 0)));
    case Quant::RndConv: return floor + static_cast<T>((rem > half) | ((rem == half) & ((floor & 1) != 0)));
    case Quant::Stoch: {
      // Round up with probability rem / 2^d: compare the top (up to 64) bits of
      // the remainder with as many random bits.
      const int k = d < 64 ? d : 64;
      const std::uint64_t r = k == 64 ? rnd : rnd >> (64 - k);
      const std::uint64_t top = static_cast<std::uint64_t>(rem >> (d - k));
      return floor + static_cast<T>(r < top);
    }
  }
  return floor;
}

// Fits an integer into `width` bits by the overflow mode; `*overflowed` is set
// when the value was out of range (saturated or wrapped).
template <typename T>
inline T fit_width(T v, int width, Overflow o, bool* overflowed) {
  using U = typename Unsigned<T>::type;
  const T hi = static_cast<T>((U{1} << (width - 1)) - 1), lo = -hi - 1;
  if (v >= lo && v <= hi) {
    *overflowed = false;
    return v;
  }
  *overflowed = true;
  if (o == Overflow::Sat) return v > hi ? hi : lo;
  const int sh = static_cast<int>(sizeof(T)) * 8 - width;
  return static_cast<T>(static_cast<U>(v) << sh) >> sh;  // keep the low bits, sign-extend
}

// The one rounding point: an exact value v with `frac_in` fractional bits is
// written to a register of format `f`.
inline std::int64_t quantize(wide v, int frac_in, const FixedFormat& f, Quant q, Overflow o, bool* overflowed,
                             std::uint64_t rnd = 0) {
  const int d = frac_in - f.frac_bits;
  const std::int64_t narrow = static_cast<std::int64_t>(v);
  if (narrow == v && d >= 0 && d < 63) {  // the common case, in 64-bit arithmetic
    return fit_width<std::int64_t>(round_shift<std::int64_t>(narrow, d, q, rnd), f.width(), o, overflowed);
  }
  const wide aligned = d >= 0 ? round_shift<wide>(v, d, q, rnd) : shl(v, -d);
  return static_cast<std::int64_t>(fit_width<wide>(aligned, f.width(), o, overflowed));
}

// The same for a value known to fit in 64 bits. A register with more
// fractional bits than the value (frac_in < f.frac_bits) takes an exact left
// shift, which may leave 64 bits: that case goes through the wide path.
inline std::int64_t quantize64(std::int64_t v, int frac_in, const FixedFormat& f, Quant q, Overflow o,
                               bool* overflowed, std::uint64_t rnd = 0) {
  const int d = frac_in - f.frac_bits;
  if (d < 0) return quantize(wide{v}, frac_in, f, q, o, overflowed, rnd);
  return fit_width<std::int64_t>(round_shift<std::int64_t>(v, d, q, rnd), f.width(), o, overflowed);
}

// Left shift of a 64-bit value that is defined for negative values.
inline std::int64_t shl64(std::int64_t v, int n) {
  return static_cast<std::int64_t>(static_cast<std::uint64_t>(v) << n);
}

// A double into format f (for inputs, targets and initial weights): exact
// scaling by 2^f, then the rounding and overflow modes (`rnd`: Stoch bits).
// NaN is not accepted by callers.
std::int64_t from_double(double x, const FixedFormat& f, Quant q, Overflow o, bool* overflowed,
                         std::uint64_t rnd = 0);

}  // namespace sheafsim::fx
