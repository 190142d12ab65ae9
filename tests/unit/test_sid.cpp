// The float SID reference (sid_trainer.h, ../shared/docs/sid.md): the local
// error against finite differences, the step's gradient against finite
// differences of sum_k L_k with the teachers fixed, the ideal cascade of
// sid.md §5.1, one step by hand, the multiply-accumulates against
// `sheafsim ops --method sid`, learning on blobs and seeded determinism.
#include <cmath>
#include <functional>

#include <catch2/catch.hpp>

#include "sheafsim/reference/activation.h"
#include "sheafsim/base/error.h"
#include "sheafsim/cost/op_counts.h"
#include "sheafsim/base/rng.h"
#include "sheafsim/train/sid_trainer.h"
#include "sheafsim/reference/tasks.h"

using namespace sheafsim;
using Catch::Matchers::Contains;

namespace {

Matrix random_matrix(Rng& rng, Eigen::Index rows, Eigen::Index cols) {
  Matrix m(rows, cols);
  for (Eigen::Index i = 0; i < m.size(); ++i) m.data()[i] = rng.normal();
  return m;
}

// Random probability vectors as columns.
Matrix random_beliefs(Rng& rng, Eigen::Index C, Eigen::Index B) {
  return apply_output(OutputKind::Softmax, random_matrix(rng, C, B));
}

Matrix one_hot(Rng& rng, Eigen::Index C, Eigen::Index B) {
  Matrix Y = Matrix::Zero(C, B);
  for (Eigen::Index s = 0; s < B; ++s) Y(static_cast<Eigen::Index>(rng.below(static_cast<std::uint64_t>(C))), s) = 1.0;
  return Y;
}

// Central difference of f at every entry of x, compared with g.
void check_fd(Matrix& x, const Matrix& g, const std::function<double()>& f, double tol) {
  REQUIRE(g.rows() == x.rows());
  REQUIRE(g.cols() == x.cols());
  const double h = 1e-6;
  for (Eigen::Index i = 0; i < x.size(); ++i) {
    const double keep = x.data()[i];
    x.data()[i] = keep + h;
    const double up = f();
    x.data()[i] = keep - h;
    const double down = f();
    x.data()[i] = keep;
    CHECK((up - down) / (2 * h) == Approx(g.data()[i]).margin(tol));
  }
}

}  // namespace

TEST_CASE("the local error p - (alpha y~ + (1 - alpha) t) is dL/dz (finite differences)", "[sid][gradient]") {
  Rng rng(3);
  const Eigen::Index C = 5, B = 4;
  Matrix Z = 3.0 * random_matrix(rng, C, B);
  const Matrix Yt = sid_smoothed_targets(one_hot(rng, C, B), 0.1);
  const Matrix T = random_beliefs(rng, C, B);
  for (double alpha : {0.5, 0.2, 1.0}) {
    // The loss is a mean over samples, the error per sample: dL/dZ = error / B.
    const Matrix g = sid_local_error(Z, Yt, T, alpha) / static_cast<double>(B);
    check_fd(Z, g, [&] { return sid_local_loss(Z, Yt, T, alpha); }, 1e-8);
  }
  // KL(p || p) = 0: the loss vanishes where p = y~ = t.
  const Matrix logits = random_matrix(rng, C, 1);
  const Matrix p = apply_output(OutputKind::Softmax, logits);
  CHECK(sid_local_loss(logits, p, p, 0.5) == Approx(0.0).margin(1e-14));
  CHECK(sid_local_error(logits, p, p, 0.5).cwiseAbs().maxCoeff() < 1e-15);
  // Smoothing: (1 - eps) y + eps / C sums to 1 with eps / C on the wrong classes.
  const Matrix s = sid_smoothed_targets(Matrix::Identity(4, 4), 0.2);
  CHECK(s(0, 0) == Approx(0.85));
  CHECK(s(1, 0) == Approx(0.05));
  CHECK(s.colwise().sum().minCoeff() == Approx(1.0));
}

TEST_CASE("a SID step follows the gradient of sum_k L_k with the teachers fixed (finite differences)",
          "[sid][gradient]") {
  // [3,5,4,3]: phi = 3 -> 5 (ReLU) -> 4 (affine), 3 classes; and [3,3]: no phi (h = x).
  for (const std::vector<int>& layers : {std::vector<int>{3, 5, 4, 3}, std::vector<int>{3, 3}}) {
    DYNAMIC_SECTION("layers " << layers.size()) {
      const Network net = Network::he_init(layers, OutputKind::Softmax, 5);
      SidModel m = SidModel::from_network(net, 3, 6, 11);
      Rng rng(7);
      const Eigen::Index B = 6;
      const Matrix X = random_matrix(rng, layers.front(), B);
      const Matrix Yt = sid_smoothed_targets(one_hot(rng, layers.back(), B), 0.1);
      const double alpha = 0.3;
      SidTrainer trainer(m, B);
      const SidGradients g = trainer.compute_gradients(m, X, Yt, alpha);
      const std::vector<Matrix> T = trainer.teachers();
      REQUIRE(T.size() == 4);
      CHECK(T[0].isApproxToConstant(1.0 / 3.0));
      // Phase 2 recomputes phase 1's forward pass: the same logits, bit for bit.
      for (size_t k = 0; k < 3; ++k) CHECK(apply_output(OutputKind::Softmax, trainer.phase2_logits()[k]) == T[k + 1]);
      auto loss = [&] { return sid_total_loss(m, X, Yt, T, alpha); };
      for (size_t k = 0; k < m.W.size(); ++k) {
        check_fd(m.W[k], g.W[k], loss, 1e-7);
        Matrix b = m.b[k];
        check_fd(b, g.b[k], [&] { m.b[k] = b; return loss(); }, 1e-7);
        m.b[k] = b;
      }
      for (size_t k = 0; k < m.modules.size(); ++k) {
        SidModule& mod = m.modules[k];
        check_fd(mod.W1, g.modules[k].W1, loss, 1e-7);
        check_fd(mod.W2, g.modules[k].W2, loss, 1e-7);
        Matrix b1 = mod.b1, b2 = mod.b2;
        check_fd(b1, g.modules[k].b1, [&] { mod.b1 = b1; return loss(); }, 1e-7);
        mod.b1 = b1;
        check_fd(b2, g.modules[k].b2, [&] { mod.b2 = b2; return loss(); }, 1e-7);
        mod.b2 = b2;
      }
      // The stop-gradient matters: with the teachers recomputed from the
      // perturbed parameters the derivative differs (module 1's output bias moves t_1).
      Vector& w = m.modules[0].b2;
      const double keep = w(0), h = 1e-6;
      auto full = [&] {
        SidTrainer t2(m, B);
        t2.compute_gradients(m, X, Yt, alpha);
        return sid_total_loss(m, X, Yt, t2.teachers(), alpha);
      };
      w(0) = keep + h;
      const double up = full();
      w(0) = keep - h;
      const double down = full();
      w(0) = keep;
      CHECK(std::abs((up - down) / (2 * h) - g.modules[0].b2(0)) > 1e-4);
    }
  }
}

TEST_CASE("ideal modules give the forward-KL cascade of sid.md §5.1", "[sid][cascade]") {
  // Each module's logits minimise its own local loss exactly (free logits,
  // gradient descent on the local error), fed the previous belief: p_k[y] =
  // 1 - (1 - alpha)^k (1 - 1/C). alpha = 0.5, C = 10, one-hot target.
  const int C = 10;
  Matrix y = Matrix::Zero(C, 1);
  y(3, 0) = 1.0;
  Matrix t = Matrix::Constant(C, 1, 1.0 / C);
  const double table_p[] = {0.55, 0.775, 0.8875, 0.94375, 0.971875};
  const double table_ce[] = {0.5978, 0.2549, 0.1193, 0.0579, 0.0285};
  for (int k = 0; k < 5; ++k) {
    Matrix z = Matrix::Zero(C, 1);
    for (int it = 0; it < 20000; ++it) z -= 2.0 * sid_local_error(z, y, t, 0.5);
    t = apply_output(OutputKind::Softmax, z);
    CHECK(t(3, 0) == Approx(table_p[k]).epsilon(1e-9));
    CHECK(-std::log(t(3, 0)) == Approx(table_ce[k]).margin(5e-5));
  }
}

TEST_CASE("one SID step by hand on [1,1,2], two modules of one hidden unit", "[sid][hand]") {
  // phi: h = 0.5 x + 0.25; module k: r = ReLU(u . [t0, t1, h] + c), z = v r + b2.
  SidModel m;
  m.W = {Matrix::Constant(1, 1, 0.5)};
  m.b = {Vector::Constant(1, 0.25)};
  m.inputs = m.features = m.hidden = 1;
  m.classes = 2;
  SidModule m1, m2;
  m1.W1 = (Matrix(1, 3) << 0.4, -0.2, 0.8).finished();
  m1.b1 = Vector::Constant(1, 0.1);
  m1.W2 = (Matrix(2, 1) << 1.0, -0.5).finished();
  m1.b2 = (Vector(2) << 0.0, 0.2).finished();
  m2.W1 = (Matrix(1, 3) << 0.3, 0.6, -0.4).finished();
  m2.b1 = Vector::Constant(1, 0.9);
  m2.W2 = (Matrix(2, 1) << -0.7, 0.2).finished();
  m2.b2 = (Vector(2) << 0.1, -0.1).finished();
  m.modules = {m1, m2};
  const Matrix X = Matrix::Constant(1, 1, 2.0);
  const Matrix Y = (Matrix(2, 1) << 1.0, 0.0).finished();

  // By hand: h = 1.25. Module 1: pre = 0.2 - 0.1 + 1.0 + 0.1 = 1.2, z = (1.2, -0.4),
  // t1 = softmax(z), t1[0] = 1 / (1 + e^-1.6).
  const double h = 1.25, r1 = 1.2;
  const double t10 = 1.0 / (1.0 + std::exp(-1.6)), t11 = 1.0 - t10;
  REQUIRE(t10 == Approx(0.8320183851339245).epsilon(1e-15));
  // Module 2 reads t1: pre = 0.3 t1[0] + 0.6 t1[1] - 0.4 h + 0.9 > 0.
  const double r2 = 0.3 * t10 + 0.6 * t11 - 0.4 * h + 0.9;
  const double z20 = -0.7 * r2 + 0.1, z21 = 0.2 * r2 - 0.1;
  const double p20 = 1.0 / (1.0 + std::exp(z21 - z20)), p21 = 1.0 - p20;
  // Errors: e1 = t1 - (0.5 y + 0.5 t0) = t1 - (0.75, 0.25); e2 = p2 - (0.5 y + 0.5 t1).
  const double e10 = t10 - 0.75, e11 = t11 - 0.25;
  const double e20 = p20 - (0.5 + 0.5 * t10), e21 = p21 - 0.5 * t11;
  const double d1 = 1.0 * e10 - 0.5 * e11, d2 = -0.7 * e20 + 0.2 * e21;  // W2^T e, through ReLU' = 1
  const double gh = 0.8 * d1 - 0.4 * d2;                                 // W1_h^T delta summed over modules

  SidTrainer trainer(m, 1);
  const SidGradients g = trainer.compute_gradients(m, X, Y, 0.5);
  const double tol = 1e-14;
  CHECK(trainer.teachers()[1](0, 0) == Approx(t10).epsilon(tol));
  CHECK(trainer.teachers()[2](0, 0) == Approx(p20).epsilon(tol));
  CHECK(g.modules[0].W2(0, 0) == Approx(e10 * r1).epsilon(tol));
  CHECK(g.modules[0].W2(1, 0) == Approx(e11 * r1).epsilon(tol));
  CHECK(g.modules[0].b2(1) == Approx(e11).epsilon(tol));
  CHECK(g.modules[0].W1(0, 0) == Approx(0.5 * d1).epsilon(tol));
  CHECK(g.modules[0].W1(0, 2) == Approx(h * d1).epsilon(tol));
  CHECK(g.modules[0].b1(0) == Approx(d1).epsilon(tol));
  CHECK(g.modules[1].W2(0, 0) == Approx(e20 * r2).epsilon(tol));
  CHECK(g.modules[1].W1(0, 0) == Approx(t10 * d2).epsilon(tol));
  CHECK(g.modules[1].W1(0, 1) == Approx(t11 * d2).epsilon(tol));
  CHECK(g.modules[1].W1(0, 2) == Approx(h * d2).epsilon(tol));
  CHECK(g.W[0](0, 0) == Approx(gh * 2.0).epsilon(tol));
  CHECK(g.b[0](0) == Approx(gh).epsilon(tol));
  // The step: theta - lr g.
  trainer.step(m, X, Y, 0.5, 0.1);
  CHECK(m.W[0](0, 0) == Approx(0.5 - 0.1 * gh * 2.0).epsilon(tol));
  CHECK(m.modules[1].b2(0) == Approx(0.1 - 0.1 * e20).epsilon(tol));
  // Inference is the ordinary cascade: its last logits are module 2's.
  const std::vector<Matrix> zs = SidModel(m).cascade_logits(X);
  REQUIRE(zs.size() == 2);
}

TEST_CASE("the multiply-accumulates of a SID step equal `sheafsim ops --method sid`", "[sid][ops]") {
  struct Shape {
    std::vector<int> layers;
    int modules, hidden;
    Eigen::Index batch;
  };
  // [2,3,2] is ops' hand-checked case (880 MACs); [64,32,10] the digits network at ops' defaults;
  // [3,5,4,3] a two-layer phi; [3,2] no phi (h = x).
  const Shape shapes[] = {{{2, 3, 2}, 2, 4, 4}, {{64, 32, 10}, 4, 0, 5}, {{3, 5, 4, 3}, 3, 7, 6}, {{3, 2}, 1, 4, 3}};
  for (const Shape& s : shapes) {
    const Network net = Network::he_init(s.layers, OutputKind::Softmax, 1);
    const SidModel m = SidModel::from_network(net, s.modules, s.hidden, 2);
    Rng rng(4);
    const Matrix X = random_matrix(rng, s.layers.front(), s.batch);
    const Matrix Y = one_hot(rng, s.layers.back(), s.batch);
    SidTrainer trainer(m, s.batch);
    trainer.compute_gradients(m, X, Y, 0.5);
    const SidMacCount& got = trainer.last_step_macs();
    const ops::SidCounts want =
        ops::sid_step(s.layers, static_cast<std::uint64_t>(s.batch), ops::OpWidths{}, s.modules, s.hidden);
    INFO("layers " << s.layers.size() << " first width " << s.layers.front());
    CHECK(got.extractor_forward == want.extractor_forward.synapse_macs());
    CHECK(got.phase1 == want.phase1.synapse_macs());
    CHECK(got.phase2 == want.phase2.synapse_macs());
    CHECK(got.extractor_backward == want.extractor_backward.synapse_macs());
    CHECK(got.total() == want.total().synapse_macs());
    CHECK(got.softmax_evaluations == want.softmax_evaluations);
    CHECK(m.num_parameters() == want.parameters);
    CHECK(m.hidden == want.hidden);
    CHECK(m.features == want.features);
  }
  // The hand-checked count of tests/unit/test_ops.cpp.
  const SidModel m = SidModel::from_network(Network::he_init({2, 3, 2}, OutputKind::Softmax, 1), 2, 4, 2);
  SidTrainer trainer(m, 4);
  Rng rng(1);
  trainer.compute_gradients(m, random_matrix(rng, 2, 4), one_hot(rng, 2, 4), 0.5);
  CHECK(trainer.last_step_macs().total() == 880);
}

TEST_CASE("SID learns the blobs task", "[sid][training]") {
  // The command-line defaults of `train --task blobs --method sid`: [2,25,4]
  // softmax (weight seed 0), 300 training and 100 test samples (data seed 42).
  const Dataset all = make_task(Task::Blobs, 400, 42);
  const Dataset train = all.slice(0, 300), test = all.slice(300, 100);
  SidModel m = SidModel::from_network(Network::he_init({2, 25, 4}, OutputKind::Softmax, 0), 4, 0, 42);
  SidOptions opt;
  opt.lr = 0.5;
  opt.steps = 400;
  opt.log_every = 100;
  const TrainResult r = train_sid(m, train, &test, opt);
  REQUIRE(r.history.size() == 5);
  const TrainPoint& first = r.history.front();
  const TrainPoint& last = r.history.back();
  // Measured: test accuracy 0.28 -> 0.99, train cross-entropy 1.176 -> 0.0998.
  CHECK(first.test.accuracy < 0.5);
  CHECK(last.test.accuracy >= 0.95);
  CHECK(last.train.accuracy >= 0.95);
  CHECK(last.train.loss < 0.15 * first.train.loss);
  for (size_t i = 1; i < r.history.size(); ++i) CHECK(r.history[i].train.loss < r.history[i - 1].train.loss);
  // Deeper beliefs are closer to the labels (sid.md §5.1: the gap shrinks by 1 - alpha per module).
  const std::vector<Metrics> per = evaluate_per_module(m, train);
  REQUIRE(per.size() == 4);
  for (size_t k = 1; k < per.size(); ++k) CHECK(per[k].loss < 0.8 * per[k - 1].loss);  // measured 0.54, 0.54, 0.67
  CHECK(per.back().loss == Approx(last.train.loss));
  CHECK(r.steps == 400);
}

TEST_CASE("SID training is deterministic for a seed", "[sid][determinism]") {
  const Dataset train = make_task(Task::Blobs, 60, 9);
  const Network net = Network::he_init({2, 8, 4}, OutputKind::Softmax, 3);
  SidOptions opt;
  opt.lr = 0.3;
  opt.steps = 50;
  opt.log_every = 10;
  opt.smoothing = 0.05;
  SidModel a = SidModel::from_network(net, 3, 0, 17), b = SidModel::from_network(net, 3, 0, 17);
  const TrainResult ra = train_sid(a, train, nullptr, opt), rb = train_sid(b, train, nullptr, opt);
  REQUIRE(ra.history.size() == rb.history.size());
  for (size_t i = 0; i < ra.history.size(); ++i) {
    CHECK(ra.history[i].train.loss == rb.history[i].train.loss);
    CHECK(ra.history[i].train.accuracy == rb.history[i].train.accuracy);
  }
  CHECK(a.W[0] == b.W[0]);
  for (size_t k = 0; k < a.modules.size(); ++k) {
    CHECK(a.modules[k].W1 == b.modules[k].W1);
    CHECK(a.modules[k].W2 == b.modules[k].W2);
    CHECK(a.modules[k].b2 == b.modules[k].b2);
  }
  // Another seed draws other modules.
  const SidModel c = SidModel::from_network(net, 3, 0, 18);
  CHECK(c.modules[0].W1 != SidModel::from_network(net, 3, 0, 17).modules[0].W1);
  // phi starts from the network's first layer.
  CHECK(SidModel::from_network(net, 3, 0, 18).W[0] == net.W[0]);
}

TEST_CASE("bad SID settings are errors naming the option", "[sid][errors]") {
  SidOptions o;
  o.alpha = 0.0;
  CHECK_THROWS_WITH(validate(o), Contains("--sid-alpha = 0 must be a finite number in (0, 1]"));
  o.alpha = std::nan("");
  CHECK_THROWS_WITH(validate(o), Contains("--sid-alpha = nan"));
  o.alpha = 1.5;
  CHECK_THROWS_WITH(validate(o), Contains("--sid-alpha = 1.5"));
  o.alpha = 1.0;
  CHECK_NOTHROW(validate(o));
  o.smoothing = -0.1;
  CHECK_THROWS_WITH(validate(o), Contains("--sid-smoothing = -0.1 must be a finite number in [0, 1)"));
  o.smoothing = 0.0;
  o.lr = -1.0;
  CHECK_THROWS_WITH(validate(o), Contains("--lr = -1 must be a finite number > 0"));
  o.lr = 0.1;
  o.modules = 0;
  CHECK_THROWS_WITH(validate(o), Contains("--sid-modules = 0 is outside 1..100000"));
  o.modules = 2;
  o.hidden = -3;
  CHECK_THROWS_WITH(validate(o), Contains("--sid-hidden = -3"));
  CHECK_THROWS_WITH(SidModel::from_network(Network::he_init({2, 3, 1}, OutputKind::Identity, 0), 2, 0, 1),
                    Contains("needs a softmax output"));
}
