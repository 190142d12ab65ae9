// The verilated RTL processing element (rtl/pe_core.sv) on its own: every
// chunk takes exactly the cycles the mesh's timing annotation gives
// (pe_chunk_cycles of pe_phase_cost.h, with the RTL's parameters as the
// MeshConfig defaults), and its sums and writes equal edge_datapath.h's.
#include <catch2/catch.hpp>

#include <vector>

#include "sheafsim/arch/pe_phase_cost.h"
#include "sheafsim/base/rng.h"
#include "sheafsim/cosim/pe_core_driver.h"
#include "sheafsim/fixed/edge_datapath.h"

using namespace sheafsim;
using namespace sheafsim::mesh;

namespace {

std::int64_t random_raw(Rng& rng, int width) {
  const std::uint64_t span = std::uint64_t{1} << width;
  return static_cast<std::int64_t>(rng.below(span)) - static_cast<std::int64_t>(span / 2);
}

// The low acc_bits of an exact sum, sign-extended (what the PE returns).
std::int64_t wrap(fx::wide v, int bits) {
  bool w = false;
  return static_cast<std::int64_t>(fx::fit_width<fx::wide>(v, bits, fx::Overflow::Wrap, &w));
}

}  // namespace

TEST_CASE("the PE's parameters are the mesh timing model's defaults", "[pe_core]") {
  const MeshConfig m;
  REQUIRE(PeCoreDriver::lanes() == m.lanes);
  REQUIRE(PeCoreDriver::sram_latency() == m.sram_latency);
  REQUIRE(PeCoreDriver::mac_pipeline() == m.mac_pipeline);
  REQUIRE(PeCoreDriver::update_pipeline() == m.update_pipeline);
  REQUIRE(PeCoreDriver::formats().acc_bits == FixedConfig{}.acc_bits);
}

TEST_CASE("every chunk shape takes the annotated cycles", "[pe_core]") {
  PeCoreDriver pe;
  pe.set_constants({FixedConfig{}, 1, 0});
  const MeshConfig m;
  const PeOp ops[] = {PeOp::Forward, PeOp::Backward, PeOp::Hebbian, PeOp::Merge, PeOp::Update};
  int shapes = 0;
  for (PeOp op : ops)
    for (std::uint64_t outputs = 1; outputs <= 13; ++outputs)
      for (std::uint64_t terms = 1; terms <= (op == PeOp::Update ? 1U : 6U); ++terms)
        for (bool sram : {false, true}) {
          PeCommand c;
          c.op = op;
          c.outputs = outputs;
          c.terms = terms;
          c.sram = sram;
          c.bias = op == PeOp::Forward && outputs % 2 == 0;
          c.hsum = op == PeOp::Hebbian ? outputs / 2 : 0;
          std::uint64_t results = 0;
          const std::uint64_t cycles =
              pe.run(c, [](std::uint64_t, std::uint64_t, PeLaneOperands&) {}, [&](const PeLaneResult&) { ++results; });
          INFO("op " << static_cast<int>(op) << " outputs " << outputs << " terms " << terms << " sram " << sram);
          REQUIRE(results == outputs);
          REQUIRE(cycles == pe_chunk_cycles(m, PeChunkShape{outputs, terms, sram, op == PeOp::Update}));
          ++shapes;
        }
  REQUIRE(shapes == 3 * 13 * 6 * 2 + 13 * 6 * 2 + 13 * 2);
}

TEST_CASE("forward and Hebbian chains equal edge::mac, bias path and bias sums included", "[pe_core]") {
  PeCoreDriver pe;
  const FixedConfig f = PeCoreDriver::formats();
  pe.set_constants({f, 1, 0});
  Rng rng(11);
  const std::uint64_t outputs = 11, terms = 7;
  std::vector<std::int64_t> x(outputs * terms), y(outputs * terms), b(outputs);
  for (auto& v : x) v = random_raw(rng, f.weight.width());
  for (auto& v : y) v = random_raw(rng, f.stalk.width());
  for (auto& v : b) v = random_raw(rng, f.bias.width());
  x[0] = y[0] = -(std::int64_t{1} << 15);  // the largest product
  const int sb = f.weight.frac_bits + f.stalk.frac_bits - f.bias.frac_bits;

  PeCommand c;
  c.op = PeOp::Forward;
  c.outputs = outputs;
  c.terms = terms;
  c.bias = true;
  std::vector<std::int64_t> got(outputs, -1);
  pe.run(
      c,
      [&](std::uint64_t o, std::uint64_t t, PeLaneOperands& d) {
        d.x = x[o * terms + t];
        d.y = y[o * terms + t];
        d.bias = b[o];
      },
      [&](const PeLaneResult& r) {
        got[r.index] = r.sum;
        REQUIRE_FALSE(r.wrapped);
      });
  for (std::uint64_t o = 0; o < outputs; ++o) {
    fx::wide acc = fx::shl(b[o], sb);
    bool w = false;
    for (std::uint64_t t = 0; t < terms; ++t) acc = edge::mac(acc, x[o * terms + t], y[o * terms + t], f.acc_bits, &w);
    REQUIRE(got[o] == static_cast<std::int64_t>(acc));
  }

  // Hebbian: chains 0..4 also sum their x (the residuals u): the bias sums.
  c.op = PeOp::Hebbian;
  c.bias = false;
  c.hsum = 5;
  c.sram = false;
  std::vector<std::int64_t> h(outputs, 0);
  pe.run(
      c,
      [&](std::uint64_t o, std::uint64_t t, PeLaneOperands& d) {
        d.x = x[o * terms + t];
        d.y = y[o * terms + t];
      },
      [&](const PeLaneResult& r) {
        got[r.index] = r.sum;
        h[r.index] = r.hsum;
      });
  for (std::uint64_t o = 0; o < outputs; ++o) {
    fx::wide acc = 0, hs = 0;
    bool w = false;
    for (std::uint64_t t = 0; t < terms; ++t) {
      acc = edge::mac(acc, x[o * terms + t], y[o * terms + t], f.acc_bits, &w);
      hs += x[o * terms + t];
    }
    REQUIRE(got[o] == static_cast<std::int64_t>(acc));
    if (o < 5) REQUIRE(h[o] == static_cast<std::int64_t>(hs));
  }
}

TEST_CASE("a final sum outside the accumulator wraps and is flagged, one that comes back is not", "[pe_core]") {
  PeCoreDriver pe;
  const int acc = PeCoreDriver::formats().acc_bits;
  pe.set_constants({FixedConfig{}, 1, 0});
  const std::int64_t top = (std::int64_t{1} << (acc - 1)) - 1;
  // Merge chains: start at the own sum, add the passing sums.
  struct Case {
    std::int64_t init, a, b;
  };
  const Case cases[] = {{top, 1, 0},      // 2^(acc-1): out of range, wraps to the minimum
                        {top, 1, -1},     // leaves the range on the way, ends in it
                        {-top - 1, -1, 0},
                        {5, -7, 3}};
  PeCommand c;
  c.op = PeOp::Merge;
  c.outputs = 4;
  c.terms = 2;
  c.sram = false;
  std::vector<PeLaneResult> res(4);
  pe.run(
      c,
      [&](std::uint64_t o, std::uint64_t t, PeLaneOperands& d) {
        d.init = cases[o].init;
        d.wide = t == 0 ? cases[o].a : cases[o].b;
      },
      [&](const PeLaneResult& r) { res[r.index] = r; });
  for (int o = 0; o < 4; ++o) {
    const fx::wide exact = fx::wide{cases[o].init} + cases[o].a + cases[o].b;
    INFO("case " << o);
    REQUIRE(res[static_cast<size_t>(o)].sum == wrap(exact, acc));
  }
  REQUIRE(res[0].wrapped);
  REQUIRE_FALSE(res[1].wrapped);
  REQUIRE(res[2].wrapped);
  REQUIRE_FALSE(res[3].wrapped);
  REQUIRE(res[0].sum == -top - 1);
}

TEST_CASE("the write lanes equal edge::update_weight and update_bias in every mode", "[pe_core]") {
  PeCoreDriver pe;
  const fx::Quant quant = GENERATE(fx::Quant::Trn, fx::Quant::RndConv, fx::Quant::Stoch);
  const fx::Overflow ovf = GENERATE(fx::Overflow::Sat, fx::Overflow::Wrap);
  FixedConfig f = PeCoreDriver::formats();
  f.quant = quant;
  f.overflow = ovf;
  f.seed = 77;
  const std::int64_t eta = std::int64_t{1} << 26;
  const std::uint64_t step = 5;
  const int layer = 2;
  pe.set_constants({f, eta, step});
  Rng rng(3);
  const std::uint64_t writes = 23, biases = 6;
  std::vector<std::int64_t> old(writes), acc(writes);
  for (std::uint64_t k = 0; k < writes; ++k) {
    old[k] = random_raw(rng, k < writes - biases ? f.weight.width() : f.bias.width());
    acc[k] = random_raw(rng, 36);
  }
  acc[1] = std::int64_t{1} << 40;  // saturates or wraps
  acc[2] = 1;                      // below an LSB: lost
  PeCommand c;
  c.op = PeOp::Update;
  c.outputs = writes;
  c.terms = 1;
  c.layer = layer;
  std::vector<PeLaneResult> res(writes);
  pe.run(
      c,
      [&](std::uint64_t k, std::uint64_t, PeLaneOperands& d) {
        const bool bias = k >= writes - biases;
        (bias ? d.bias : d.x) = old[k];
        d.wide = acc[k];
        d.upd_bias = bias;
        d.row = static_cast<std::uint32_t>(k);
        d.col = static_cast<std::uint32_t>(bias ? 0 : 3 * k);
      },
      [&](const PeLaneResult& r) { res[r.index] = r; });
  int flagged = 0;
  for (std::uint64_t k = 0; k < writes; ++k) {
    const bool bias = k >= writes - biases;
    const std::uint64_t rnd =
        quant == fx::Quant::Stoch
            ? fx::stoch_bits(f.seed, step, bias ? 0 : 3 * k, edge::site(bias ? FxClass::Bias : FxClass::Weight, layer, k))
            : 0;
    const edge::Write want = bias ? edge::update_bias(old[k], acc[k], eta, f, rnd) : edge::update_weight(old[k], acc[k], eta, f, rnd);
    INFO("write " << k);
    REQUIRE(res[k].reg == want.value);
    REQUIRE(res[k].saturated == want.saturated);
    REQUIRE(res[k].lost == want.lost);
    flagged += want.saturated + want.lost;
  }
  REQUIRE(flagged >= 2);
}
