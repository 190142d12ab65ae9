// Uses the installed layers without SystemC: trains [2,8,1] on the
// paraboloid task in float and in the bit-accurate 16-bit model, and counts
// a training step's operations. Exit 0 only if the numbers are as expected.
#include <cmath>
#include <cstdio>

#include "sheafsim/cost/op_counts.h"
#include "sheafsim/reference/tasks.h"
#include "sheafsim/train/sheaf_trainer.h"

using namespace sheafsim;
namespace ops = sheafsim::ops;

int main() {
  const Dataset data = make_task(Task::Paraboloid, 40, 7);
  SheafTrainOptions opt;
  opt.steps = 400;
  opt.dt = 0.05;
  opt.beta = 0.02;
  opt.log_every = 400;

  Network fnet = Network::he_init({2, 8, 1}, OutputKind::Identity, 3);
  Network qnet = fnet;
  const TrainResult f = train_sheaf(fnet, data, nullptr, opt);
  const TrainResult q = train_sheaf_fixed(qnet, data, nullptr, opt, FixedConfig{});
  const double f0 = f.history.front().train.loss, f1 = f.history.back().train.loss;
  const double q1 = q.history.back().train.loss;
  std::printf("float loss %.6g -> %.6g, fixed (Q4.12) %.6g\n", f0, f1, q1);

  // [2,8,1]: 24 weights; an SGD step on 40 samples does (3P - n0 n1) B MACs.
  const ops::OpCounts sgd = ops::sgd_step({2, 8, 1}, 40, ops::OpWidths{});
  std::printf("weights %llu, sgd synapse MACs per step %llu\n",
              static_cast<unsigned long long>(ops::num_weights({2, 8, 1})),
              static_cast<unsigned long long>(sgd.synapse_macs()));

  bool ok = f1 < f0 && std::isfinite(q1) && q1 < f0;
  ok = ok && ops::num_weights({2, 8, 1}) == 24 && sgd.synapse_macs() == (3 * 24 - 2 * 8) * 40;
  std::printf("%s\n", ok ? "consumer train_fixed: ok" : "consumer train_fixed: FAILED");
  return ok ? 0 : 1;
}
