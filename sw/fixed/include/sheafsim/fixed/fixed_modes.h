#pragma once
// The rounding and overflow modes as compile-time constants: the hot loops of
// the bit-accurate model and of the mesh dispatch once per chunk and then
// round in straight-line code.
#include <type_traits>

#include "sheafsim/fixed/fixed_point.h"

namespace sheafsim::fx {

template <Quant Q>
using QuantTag = std::integral_constant<Quant, Q>;
template <Overflow O>
using OverflowTag = std::integral_constant<Overflow, O>;

// f(QuantTag) with the run's rounding mode.
template <typename F>
decltype(auto) with_quant(Quant q, F&& f) {
  switch (q) {
    case Quant::Trn: return f(QuantTag<Quant::Trn>{});
    case Quant::TrnZero: return f(QuantTag<Quant::TrnZero>{});
    case Quant::Rnd: return f(QuantTag<Quant::Rnd>{});
    case Quant::RndZero: return f(QuantTag<Quant::RndZero>{});
    case Quant::RndConv: return f(QuantTag<Quant::RndConv>{});
    case Quant::Stoch: break;
  }
  return f(QuantTag<Quant::Stoch>{});
}

// f(QuantTag, OverflowTag) with the run's modes.
template <typename F>
decltype(auto) with_modes(Quant q, Overflow o, F&& f) {
  return with_quant(q, [&](auto qt) -> decltype(auto) {
    if (o == Overflow::Sat) return f(qt, OverflowTag<Overflow::Sat>{});
    return f(qt, OverflowTag<Overflow::Wrap>{});
  });
}

// The same for the deterministic modes only: for the exact-double kernels,
// whose callers have excluded Stoch (it would run as RndConv; never reached).
template <typename F>
decltype(auto) with_det_modes(Quant q, Overflow o, F&& f) {
  return with_modes(q == Quant::Stoch ? Quant::RndConv : q, o, [&](auto qt, auto ot) -> decltype(auto) {
    if constexpr (decltype(qt)::value == Quant::Stoch) {
      return f(QuantTag<Quant::RndConv>{}, ot);  // not instantiated for Stoch
    } else {
      return f(qt, ot);
    }
  });
}

// Calls f(std::bool_constant<b>).
template <typename F>
decltype(auto) with_bool(bool b, F&& f) {
  if (b) return f(std::true_type{});
  return f(std::false_type{});
}

}  // namespace sheafsim::fx
