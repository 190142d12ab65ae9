// The fixed-point library against SystemC's own fixed-point types: for every
// deterministic quantisation/overflow pair, bit-exact results for casts,
// products and sums, exhaustively for narrow formats and on 10^6 random
// operands for 16- and 24-bit formats.
#include <catch2/catch.hpp>

#include <systemc>

#include "sheafsim/fixed/fixed_point.h"
#include "sheafsim/base/rng.h"

using namespace sheafsim;
using fx::FixedFormat;

namespace {

sc_dt::sc_q_mode sc_quant(fx::Quant q) {
  switch (q) {
    case fx::Quant::Trn: return sc_dt::SC_TRN;
    case fx::Quant::TrnZero: return sc_dt::SC_TRN_ZERO;
    case fx::Quant::Rnd: return sc_dt::SC_RND;
    case fx::Quant::RndZero: return sc_dt::SC_RND_ZERO;
    case fx::Quant::RndConv: return sc_dt::SC_RND_CONV;
    default: break;
  }
  FAIL("stochastic rounding has no SystemC twin");
  return sc_dt::SC_TRN;
}

sc_dt::sc_o_mode sc_overflow(fx::Overflow o) { return o == fx::Overflow::Sat ? sc_dt::SC_SAT : sc_dt::SC_WRAP; }

// An sc_fix holding raw * 2^-f exactly.
sc_dt::sc_fix sc_value(std::int64_t raw, const FixedFormat& f) {
  sc_dt::sc_fix v(f.width(), f.int_bits, sc_dt::SC_TRN, sc_dt::SC_WRAP);
  v = std::ldexp(static_cast<double>(raw), -f.frac_bits);
  return v;
}

std::int64_t sc_raw(const sc_dt::sc_fix& v, const FixedFormat& f) {
  return static_cast<std::int64_t>(std::ldexp(v.to_double(), f.frac_bits));
}

struct ModePair {
  fx::Quant q;
  fx::Overflow o;
};

const std::vector<ModePair>& mode_pairs() {
  static const std::vector<ModePair> pairs = [] {
    std::vector<ModePair> v;
    for (auto q : {fx::Quant::Trn, fx::Quant::TrnZero, fx::Quant::Rnd, fx::Quant::RndZero, fx::Quant::RndConv})
      for (auto o : {fx::Overflow::Sat, fx::Overflow::Wrap}) v.push_back({q, o});
    return v;
  }();
  return pairs;
}

enum class Op { Cast, Mul, Add };

// Our library: exact intermediate, then one quantisation.
std::int64_t ours(Op op, std::int64_t a, const FixedFormat& fa, std::int64_t b, const FixedFormat& fb,
                  const FixedFormat& out, ModePair m) {
  bool ovf = false;
  switch (op) {
    case Op::Cast: return fx::quantize(a, fa.frac_bits, out, m.q, m.o, &ovf);
    case Op::Mul: return fx::quantize(fx::wide{a} * b, fa.frac_bits + fb.frac_bits, out, m.q, m.o, &ovf);
    case Op::Add: {
      const int f = std::max(fa.frac_bits, fb.frac_bits);
      return fx::quantize(fx::shl(a, f - fa.frac_bits) + fx::shl(b, f - fb.frac_bits), f, out, m.q, m.o, &ovf);
    }
  }
  return 0;
}

std::int64_t systemc(Op op, std::int64_t a, const FixedFormat& fa, std::int64_t b, const FixedFormat& fb,
                     const FixedFormat& out, ModePair m) {
  sc_dt::sc_fix r(out.width(), out.int_bits, sc_quant(m.q), sc_overflow(m.o));
  switch (op) {
    case Op::Cast: r = sc_value(a, fa); break;
    case Op::Mul: r = sc_value(a, fa) * sc_value(b, fb); break;
    case Op::Add: r = sc_value(a, fa) + sc_value(b, fb); break;
  }
  return sc_raw(r, out);
}

// Compares one operation on every (a, b) pair the generator yields; returns the mismatch count.
template <typename Gen>
long compare(Op op, const FixedFormat& fa, const FixedFormat& fb, const FixedFormat& out, ModePair m, Gen&& gen,
             long count, long* checked) {
  long mismatches = 0;
  for (long i = 0; i < count; ++i) {
    std::int64_t a, b;
    gen(i, a, b);
    const std::int64_t x = ours(op, a, fa, b, fb, out, m), y = systemc(op, a, fa, b, fb, out, m);
    if (x != y && ++mismatches <= 3)
      UNSCOPED_INFO("mismatch: op " << static_cast<int>(op) << " a " << a << " " << fa.str() << " b " << b << " "
                                    << fb.str() << " -> " << out.str() << " q " << fx::to_string(m.q) << " o "
                                    << fx::to_string(m.o) << ": ours " << x << " SystemC " << y);
  }
  *checked += count;
  return mismatches;
}

}  // namespace

TEST_CASE("casts agree with sc_fix exhaustively for inputs up to 10 bits", "[fixed][systemc]") {
  const std::vector<FixedFormat> inputs = {{1, 3}, {3, 5}, {5, 5}, {2, 8}, {10, 0}};
  const std::vector<FixedFormat> outputs = {{1, 1}, {2, 2}, {3, 3}, {4, 1}, {2, 6}, {6, 6}};
  long checked = 0, mismatches = 0;
  for (const auto& m : mode_pairs())
    for (const auto& fi : inputs)
      for (const auto& fo : outputs) {
        const long n = 1L << fi.width();
        mismatches += compare(
            Op::Cast, fi, fi, fo, m, [&](long i, std::int64_t& a, std::int64_t& b) { a = fi.min_raw() + i; b = 0; },
            n, &checked);
      }
  INFO("checked " << checked);
  CHECK(checked == 10 * 6 * (16 + 256 + 1024 + 1024 + 1024));
  CHECK(mismatches == 0);
}

TEST_CASE("products and sums agree with sc_fix exhaustively for operands up to 10 bits", "[fixed][systemc]") {
  struct Case {
    FixedFormat a, b, out;
  };
  // Every operand pair of the two formats; outputs narrower than the exact
  // result, so rounding and overflow both happen.
  const std::vector<Case> cases = {{{2, 3}, {3, 2}, {2, 2}}, {{4, 6}, {1, 9}, {3, 5}}, {{5, 5}, {5, 5}, {4, 4}}};
  long checked = 0, mismatches = 0;
  for (const auto& m : mode_pairs())
    for (const auto& c : cases)
      for (Op op : {Op::Mul, Op::Add}) {
        const long nb = 1L << c.b.width();
        const long n = (1L << c.a.width()) * nb;
        const long stride = 1;
        mismatches += compare(
            op, c.a, c.b, c.out, m,
            [&](long i, std::int64_t& a, std::int64_t& b) {
              const long k = (i * stride) % n;
              a = c.a.min_raw() + k / nb;
              b = c.b.min_raw() + k % nb;
            },
            n / stride, &checked);
      }
  INFO("checked " << checked);
  CHECK(checked == 10 * 2 * ((1L << 10) + (1L << 20) + (1L << 20)));
  CHECK(mismatches == 0);
}

TEST_CASE("16- and 24-bit formats agree with sc_fix on 10^6 random operands", "[fixed][systemc]") {
  struct Case {
    FixedFormat a, b, out;
  };
  const std::vector<Case> cases = {{{4, 12}, {4, 12}, {4, 12}}, {{8, 16}, {6, 18}, {8, 16}}, {{4, 12}, {8, 16}, {2, 14}}};
  Rng rng(2024);
  long checked = 0, mismatches = 0;
  for (const auto& m : mode_pairs())
    for (const auto& c : cases)
      for (Op op : {Op::Mul, Op::Add, Op::Cast}) {
        const FixedFormat in_b = c.b;
        mismatches += compare(
            op, c.a, in_b, c.out, m,
            [&](long, std::int64_t& a, std::int64_t& b) {
              a = c.a.min_raw() + static_cast<std::int64_t>(rng.below(static_cast<std::uint64_t>(1) << c.a.width()));
              b = in_b.min_raw() + static_cast<std::int64_t>(rng.below(static_cast<std::uint64_t>(1) << in_b.width()));
            },
            12000, &checked);
      }
  INFO("checked " << checked);
  CHECK(checked >= 1000000);
  CHECK(mismatches == 0);
}

TEST_CASE("sc_fixed templates agree with the library on a sample", "[fixed][systemc]") {
  // The template types (compile-time formats), as a user of SystemC writes them.
  const FixedFormat fa{4, 4}, out{3, 3};
  long mismatches = 0;
  for (std::int64_t a = fa.min_raw(); a <= fa.max_raw(); ++a)
    for (std::int64_t b = fa.min_raw(); b <= fa.max_raw(); ++b) {
      const sc_dt::sc_fixed<8, 4> x = std::ldexp(static_cast<double>(a), -4), y = std::ldexp(static_cast<double>(b), -4);
      const sc_dt::sc_fixed<6, 3, sc_dt::SC_RND_CONV, sc_dt::SC_SAT> p = x * y;
      const sc_dt::sc_fixed<6, 3, sc_dt::SC_TRN, sc_dt::SC_WRAP> s = x + y;
      mismatches += ours(Op::Mul, a, fa, b, fa, out, {fx::Quant::RndConv, fx::Overflow::Sat}) !=
                    static_cast<std::int64_t>(std::ldexp(p.to_double(), 3));
      mismatches += ours(Op::Add, a, fa, b, fa, out, {fx::Quant::Trn, fx::Overflow::Wrap}) !=
                    static_cast<std::int64_t>(std::ldexp(s.to_double(), 3));
    }
  CHECK(mismatches == 0);
}

TEST_CASE("rounding modes on hand-picked ties and overflows", "[fixed]") {
  using fx::Quant;
  // 2.5, -2.5, 3.5, -3.5 LSB (d = 1) under each mode
  auto r = [](fx::wide v, Quant q) { return static_cast<long>(fx::round_shift<fx::wide>(v, 1, q)); };
  CHECK(r(5, Quant::Trn) == 2);
  CHECK(r(-5, Quant::Trn) == -3);
  CHECK(r(-5, Quant::TrnZero) == -2);
  CHECK(r(5, Quant::Rnd) == 3);
  CHECK(r(-5, Quant::Rnd) == -2);
  CHECK(r(5, Quant::RndZero) == 2);
  CHECK(r(-5, Quant::RndZero) == -2);
  CHECK(r(5, Quant::RndConv) == 2);
  CHECK(r(7, Quant::RndConv) == 4);
  CHECK(r(-5, Quant::RndConv) == -2);
  CHECK(r(-7, Quant::RndConv) == -4);
  bool ovf = false;
  const FixedFormat q44{4, 4};
  CHECK(fx::quantize(200, 4, q44, Quant::Trn, fx::Overflow::Sat, &ovf) == 127);
  CHECK(ovf);
  CHECK(fx::quantize(-200, 4, q44, Quant::Trn, fx::Overflow::Sat, &ovf) == -128);
  CHECK(fx::quantize(200, 4, q44, Quant::Trn, fx::Overflow::Wrap, &ovf) == 200 - 256);
  CHECK(fx::quantize(100, 4, q44, Quant::Trn, fx::Overflow::Wrap, &ovf) == 100);
  CHECK_FALSE(ovf);
  CHECK(fx::from_double(1.25, FixedFormat{2, 1}, Quant::Rnd, fx::Overflow::Sat, &ovf) == 3);    // 1.5
  CHECK(fx::from_double(-1.25, FixedFormat{2, 1}, Quant::Rnd, fx::Overflow::Sat, &ovf) == -2);  // -1.0
  CHECK(fx::from_double(19, FixedFormat{4, 0}, Quant::Rnd, fx::Overflow::Sat, &ovf) == 7);
  CHECK(fx::from_double(-19, FixedFormat{4, 0}, Quant::Rnd, fx::Overflow::Sat, &ovf) == -8);
}

TEST_CASE("stochastic rounding is unbiased and reproducible", "[fixed]") {
  // 0.3 LSB (d = 10: rem = 307 of 1024) rounds up with probability 307/1024.
  long ups = 0;
  const int n = 200000;
  for (int i = 0; i < n; ++i) ups += fx::round_shift<fx::wide>(307, 10, fx::Quant::Stoch, fx::stoch_bits(7, 1, 2, static_cast<std::uint64_t>(i))) == 1;
  const double p = static_cast<double>(ups) / n;
  CHECK(p == Approx(307.0 / 1024).margin(4 * std::sqrt(0.3 * 0.7 / n)));
  // Same key, same bits: order-independent and reproducible.
  CHECK(fx::stoch_bits(1, 2, 3, 4) == fx::stoch_bits(1, 2, 3, 4));
  CHECK(fx::stoch_bits(1, 2, 3, 4) != fx::stoch_bits(1, 2, 3, 5));
  CHECK(fx::stoch_bits(0, 0, 0, 0) == 0x2130748aaac80268ULL);  // the documented test vectors
  CHECK(fx::stoch_bits(1, 2, 3, 4) == 0xd55ccd4aeb3ccafbULL);
  // Exact values never move.
  CHECK(fx::round_shift<fx::wide>(1024, 10, fx::Quant::Stoch, ~0ULL) == 1);
}

TEST_CASE("the 64-bit and 128-bit rounding paths agree", "[fixed]") {
  // quantize() rounds in int64 when the exact value fits and in __int128
  // otherwise; both must give the same bits for every mode.
  Rng rng(99);
  long mismatches = 0, checked = 0;
  for (int i = 0; i < 200000; ++i) {
    const std::int64_t v = static_cast<std::int64_t>(rng.next_u64()) >> rng.below(60);
    const int d = static_cast<int>(rng.below(62));
    const std::uint64_t bits = rng.next_u64();
    for (auto q : {fx::Quant::Trn, fx::Quant::TrnZero, fx::Quant::Rnd, fx::Quant::RndZero, fx::Quant::RndConv,
                   fx::Quant::Stoch}) {
      const std::int64_t a = fx::round_shift<std::int64_t>(v, d, q, bits);
      const std::int64_t b = static_cast<std::int64_t>(fx::round_shift<fx::wide>(v, d, q, bits));
      mismatches += a != b;
      ++checked;
      for (auto o : {fx::Overflow::Sat, fx::Overflow::Wrap}) {
        bool oa = false, ob = false;
        const int w = 1 + static_cast<int>(rng.below(63));
        mismatches += fx::fit_width<std::int64_t>(a, w, o, &oa) != static_cast<std::int64_t>(fx::fit_width<fx::wide>(a, w, o, &ob));
        mismatches += oa != ob;
      }
    }
  }
  CHECK(checked == 1200000);
  CHECK(mismatches == 0);
}
