#pragma once
// The arithmetic of a vertex unit in an SGD step (docs/architecture.md,
// "Backprop SGD on the mesh"), over its group of neurons and the whole batch:
// the forward reduction z_l = round(sum of the forward partial sums) and
// a_l = relu(z_l); the output error d_L (identity: z - y; sigmoid, softmax:
// the output unit's lookup force); the backward reduction
// d_l = 1[z_l > 0] round(sum of the backward partial sums). Every register
// write is a function of sgd_datapath.h (or output_force.h), the functions
// the bit-accurate model FixedSgd calls. VertexUnit does the timing.
#include <cstdint>
#include <vector>

#include "sheafsim/arch/mesh_counters.h"
#include "sheafsim/mesh/mailbox.h"
#include "sheafsim/mesh/mesh_context.h"

namespace sheafsim::mesh {

class SgdVertexDatapath {
 public:
  SgdVertexDatapath(int group, MeshContext& ctx, UnitCounters& unit);
  // Layer 0: the group's rows of the input X, as a message (a view, valid for the step).
  Message input();
  // A hidden group: z_l and a_l from the forward sums; returns a_l. The output
  // group: z_L and d_L; returns d_L.
  Message forward(const Mailbox& fwd);
  // A hidden group, after forward(): d_l from the backward sums; returns d_l.
  Message backward(const Mailbox& bwd);

 private:
  const VertexGroup& group() const { return ctx_.map->groups()[static_cast<size_t>(group_)]; }
  int n() const { return group().n1 - group().n0; }
  int batch() const { return static_cast<int>(ctx_.batch); }
  // The sum of a mailbox's messages, [s * ld + i], exact.
  void reduce(const Mailbox& box);
  // out[s * ld + i] as the message of the group: 64-bit integers, and doubles when exact.
  Message publish(const std::vector<std::int64_t>& v, std::vector<double>& d, long width);
  void count(bool saturated, FxClass cls, int layer);
  void count_wrap(int layer);

  int group_;
  MeshContext& ctx_;
  UnitCounters& unit_;
  size_t ld_ = 0;  // leading dimension of the blocks (xd::padded(n))
  std::vector<fx::wide> sum_;
  // The group's registers of the batch: z (kept for the backward wave), the
  // value sent (a_l, or x for the input) and the error d.
  std::vector<std::int64_t> z_, a_, d_;
  std::vector<double> a_d_, d_d_;
  IMatrix z_out_;                 // the output group's z_L, n x B (the output unit's input)
  std::vector<std::int64_t> g_;   // the output unit's force [s * n + i]
};

}  // namespace sheafsim::mesh
