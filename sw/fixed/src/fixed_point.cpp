#include "sheafsim/fixed/fixed_point.h"

#include <cmath>
#include <cstdlib>

#include <fmt/format.h>

#include "sheafsim/base/error.h"

namespace sheafsim::fx {

double FixedFormat::lsb() const { return std::ldexp(1.0, -frac_bits); }

std::string FixedFormat::str() const { return fmt::format("Q{}.{}", int_bits, frac_bits); }

FixedFormat parse_format(const std::string& text, const std::string& setting) {
  auto bad = [&](const std::string& why) {
    return InputError(fmt::format("{} '{}': {} (expected Q<i>.<f>, e.g. Q4.12: i >= 1 integer bits including "
                                  "the sign, f >= 0 fractional bits, i + f <= {})",
                                  setting, text, why, kMaxOperandBits));
  };
  if (text.size() < 4 || (text[0] != 'Q' && text[0] != 'q')) throw bad("not of the form Q<i>.<f>");
  const auto dot = text.find('.');
  if (dot == std::string::npos) throw bad("missing '.'");
  auto number = [&](const std::string& s) {
    if (s.empty() || s.size() > 4 || s.find_first_not_of("0123456789") != std::string::npos)
      throw bad("not of the form Q<i>.<f>");
    return std::atoi(s.c_str());
  };
  FixedFormat f;
  f.int_bits = number(text.substr(1, dot - 1));
  f.frac_bits = number(text.substr(dot + 1));
  if (f.int_bits < 1) throw bad("needs at least 1 integer bit (the sign)");
  if (f.width() > kMaxOperandBits) throw bad(fmt::format("{} bits is wider than {}", f.width(), kMaxOperandBits));
  return f;
}

Quant parse_quant(const std::string& name) {
  if (name == "trn") return Quant::Trn;
  if (name == "trn_zero") return Quant::TrnZero;
  if (name == "rnd") return Quant::Rnd;
  if (name == "rnd_zero") return Quant::RndZero;
  if (name == "rnd_conv") return Quant::RndConv;
  if (name == "stoch") return Quant::Stoch;
  throw InputError(fmt::format("unknown rounding mode '{}' (expected trn, trn_zero, rnd, rnd_zero, rnd_conv or stoch)", name));
}

Overflow parse_overflow(const std::string& name) {
  if (name == "sat") return Overflow::Sat;
  if (name == "wrap") return Overflow::Wrap;
  throw InputError(fmt::format("unknown overflow mode '{}' (expected sat or wrap)", name));
}

std::string to_string(Quant q) {
  switch (q) {
    case Quant::Trn: return "trn";
    case Quant::TrnZero: return "trn_zero";
    case Quant::Rnd: return "rnd";
    case Quant::RndZero: return "rnd_zero";
    case Quant::RndConv: return "rnd_conv";
    case Quant::Stoch: return "stoch";
  }
  return "trn";
}

std::string to_string(Overflow o) { return o == Overflow::Sat ? "sat" : "wrap"; }

std::int64_t from_double(double x, const FixedFormat& f, Quant q, Overflow o, bool* overflowed, std::uint64_t rnd) {
  // A double is m * 2^e with a 53-bit integer m: exact as a wide integer with
  // -e fractional bits, then one quantisation. Values beyond 2^70 saturate or
  // wrap as if they were +-2^70 (far outside every operand format).
  int e = 0;
  const double m = std::frexp(x, &e);  // x = m * 2^e, 0.5 <= |m| < 1
  if (x == 0.0) {
    *overflowed = false;
    return 0;
  }
  const wide mant = static_cast<wide>(std::ldexp(m, 53));  // exact
  const int frac_in = 53 - e;
  if (frac_in < 0) {
    const int clamp_shift = -frac_in > 70 ? 70 : -frac_in;
    return quantize(shl(mant, clamp_shift), 0, f, q, o, overflowed, rnd);
  }
  if (frac_in > 120) {  // far below the LSB of any format: round the tiny value
    return quantize(mant >= 0 ? 1 : -1, 126, f, q, o, overflowed, rnd);
  }
  return quantize(mant, frac_in, f, q, o, overflowed, rnd);
}

}  // namespace sheafsim::fx
