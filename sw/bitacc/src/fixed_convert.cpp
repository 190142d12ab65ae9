#include "sheafsim/bitacc/arith_fixed.h"

namespace sheafsim {

// ---- Conversions ------------------------------------------------------------

IMatrix to_fixed(const Matrix& m, const fx::FixedFormat& f, const FixedConfig& cfg, FixedCounters& counters) {
  IMatrix out(m.rows(), m.cols());
  for (Eigen::Index i = 0; i < m.size(); ++i) {
    bool ovf = false;
    out.data()[i] = fx::from_double(m.data()[i], f, fx::Quant::RndConv, cfg.overflow, &ovf);
    if (ovf) counters.saturated(FxClass::Input, 1);
  }
  return out;
}

Matrix to_float(const IMatrix& m, const fx::FixedFormat& f) {
  return m.cast<double>() * f.lsb();  // exact: a power-of-two scale of an integer below 2^53
}

FixedNetwork to_fixed(const Network& net, const FixedConfig& cfg, FixedCounters& counters) {
  FixedNetwork fn;
  fn.layers = net.layers;
  fn.output = net.output;
  for (size_t k = 0; k < net.W.size(); ++k) {
    fn.W.push_back(to_fixed(net.W[k], cfg.weight, cfg, counters));
    fn.b.push_back(to_fixed(Matrix(net.b[k]), cfg.bias, cfg, counters));
  }
  return fn;
}

Network to_float(const FixedNetwork& fn, const FixedConfig& cfg) {
  Network net;
  net.layers = fn.layers;
  net.output = fn.output;
  for (size_t k = 0; k < fn.W.size(); ++k) {
    net.W.push_back(to_float(fn.W[k], cfg.weight));
    net.b.push_back(to_float(IMatrix(fn.b[k]), cfg.bias));
  }
  return net;
}

SheafState to_float(const FixedState& st, const FixedConfig& cfg) {
  SheafState out;
  for (const auto& z : st.z) out.z.push_back(to_float(z, cfg.stalk));
  for (const auto& a : st.a) out.a.push_back(to_float(a, cfg.stalk));
  if (st.has_output_vertex()) out.a_out = to_float(st.a_out, cfg.stalk);
  if (st.x.size() > 0) out.x = to_float(st.x, cfg.stalk);
  return out;
}

FixedState to_fixed(const SheafState& st, const FixedConfig& cfg, FixedCounters& counters) {
  FixedState out;
  for (const auto& z : st.z) out.z.push_back(to_fixed(z, cfg.stalk, cfg, counters));
  for (const auto& a : st.a) out.a.push_back(to_fixed(a, cfg.stalk, cfg, counters));
  if (st.has_output_vertex()) out.a_out = to_fixed(st.a_out, cfg.stalk, cfg, counters);
  if (st.x.size() > 0) out.x = to_fixed(st.x, cfg.stalk, cfg, counters);
  return out;
}

FixedRunInfo FixedArith::run_info() const {
  FixedRunInfo info;
  info.config = cfg_;
  info.counters = counters_;
  info.s_raw = s_raw_;
  info.eta_raw = eta_raw_;
  info.s_used = static_cast<double>(s_raw_) * cfg_.constant.lsb();
  info.eta_used = static_cast<double>(eta_raw_) * cfg_.constant.lsb();
  return info;
}

FixedProblem quantise_problem(const Network& net, const Dataset& data, const FixedConfig& cfg) {
  FixedProblem p;
  p.loads.resize(net.depth());
  p.net = to_fixed(net, cfg, p.loads);
  p.X = to_fixed(data.X, cfg.stalk, cfg, p.loads);
  p.Y = to_fixed(data.Y, cfg.stalk, cfg, p.loads);
  return p;
}

Dataset pinned_values(const Dataset& data, const FixedConfig& cfg, FixedCounters& counters) {
  return {to_float(to_fixed(data.X, cfg.stalk, cfg, counters), cfg.stalk),
          to_float(to_fixed(data.Y, cfg.stalk, cfg, counters), cfg.stalk)};
}

nlohmann::json FixedRunInfo::to_json() const {
  nlohmann::json j = config.to_json();
  j["s_used"] = s_used;
  j["s_raw"] = s_raw;
  j["eta_used"] = eta_used;
  j["eta_raw"] = eta_raw;
  j["counters"] = counters.to_json();
  return j;
}

}  // namespace sheafsim
