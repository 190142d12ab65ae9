#pragma once
// The force of a sigmoid or softmax output edge (sheaf-math.md §6.3, the
// cross-entropy force), written once for the bit-accurate model (FixedArith)
// and the mesh's output vertex unit. The output nonlinearity is a lookup in
// hardware: phi is evaluated in double on the exact stalk value and the
// difference is rounded once into the residual format
// (docs/architecture.md, "Output unit", prices that unit).
#include <cstdint>

#include "sheafsim/bitacc/arith_fixed.h"
#include "sheafsim/bitacc/fixed_pins.h"
#include "sheafsim/reference/step_params.h"

namespace sheafsim {

struct OutputForceResult {
  std::uint64_t saturated = 0;  // FxClass::Output saturations (force and a_out writes)
  std::uint64_t lost = 0;       // a_out writes that did not move (FxClass::Output)
  std::int64_t max_change = 0;  // the largest |change| of a_out, raw stalk LSBs (inference)
};

// The output force g_out of every output neuron and sample, raw in the residual
// format, g_out[s * n + i] for z (n x B, raw stalk):
//   training (Y given, a_out null): g_out = round_r(phi(z) - y);
//   inference with an output vertex (a_out given, Y null): D = phi(z) - a_out,
//   g_out = round_r(J^T D) (OutputMode::Exact) or round_r(D), and
//   a_out = round_s(a_out + s round_r(D)).
// The stochastic bits of a rounding are those of register (step, sample,
// FxClass::Output, layer, row | salt << 32) with salt 0 (the force or D),
// 1 (J^T D) and 2 (a_out); deterministic modes ignore them. `layer` is L.
// `pins`: a_out's pins (soft: the pull enters the a_out write, §4.3; hard:
// the write is discarded by the caller, so not counted here).
OutputForceResult output_lookup_force(OutputKind kind, OutputMode mode, const IMatrix& z, const IMatrix* Y,
                                      IMatrix* a_out, std::int64_t s_raw, const FixedConfig& cfg, std::uint64_t step,
                                      int layer, fx::wide* g_out, const FixedStalkPins* pins = nullptr);
OutputForceResult output_lookup_force(OutputKind kind, OutputMode mode, const IMatrix& z, const IMatrix* Y,
                                      IMatrix* a_out, std::int64_t s_raw, const FixedConfig& cfg, std::uint64_t step,
                                      int layer, std::int64_t* g_out, const FixedStalkPins* pins = nullptr);

}  // namespace sheafsim
