#include "sheafsim/mesh/mesh_engine.h"

#include <algorithm>
#include <chrono>
#include <cmath>

#include <fmt/format.h>

#include "sheafsim/base/error.h"
#include "sheafsim/mesh/edge_pe.h"
#include "sheafsim/mesh/vertex_unit.h"

namespace sheafsim::mesh {

MeshEngine::MeshEngine(const MeshConfig& mesh, const FixedNetwork& net, Eigen::Index batch, const FixedConfig& cfg,
                       const FixedCounters& loads, PeDatapathFactory datapath, const MeshTraceOptions& trace,
                       MeshMethod method)
    : kernel_(std::make_unique<KernelScope>()) {
  cfg.validate();
  ctx_.method = method;
  ctx_.mesh = mesh;
  ctx_.fx = cfg;
  ctx_.L = net.depth();
  ctx_.batch = batch;
  ctx_.n_chunks = static_cast<int>(mesh.chunks(static_cast<std::uint64_t>(batch)));
  ctx_.chunk_samples = mesh.chunk_samples(static_cast<std::uint64_t>(batch));
  ctx_.counters = loads;
  ctx_.datapath = std::move(datapath);
  if (ctx_.counters.saturations[0].size() != static_cast<size_t>(ctx_.L)) ctx_.counters.resize(ctx_.L);
  // One cycle is one nanosecond of simulated time; clock_mhz only scales reported times.
  ctx_.period = sc_core::sc_time(1, sc_core::SC_NS);
  output_ = net.output;
  map_ = std::make_unique<MeshMapping>(mesh, net.layers, cfg, net.output != OutputKind::Identity);
  buffers_ = mesh_buffers(*map_, mesh, cfg, static_cast<std::uint64_t>(batch), ctx_.L, method);
  check_buffers(buffers_, *map_, mesh, method);
  const auto B = static_cast<std::uint64_t>(batch);
  // The bound of a training step: a joint step, or an SGD step.
  bound_joint_ = method == MeshMethod::Sgd ? mesh_sgd_step_counts(*map_, mesh, cfg, B, ctx_.L, net.output)
                                           : mesh_step_counts(*map_, mesh, cfg, B, ctx_.L, true, net.output);
  bound_diffusion_ = mesh_step_counts(*map_, mesh, cfg, B, ctx_.L, false, net.output);
  noc_ = std::make_unique<MeshNoc>(*map_, mesh);
  ctx_.map = map_.get();
  ctx_.noc = noc_.get();
  for (int p = 0; p < map_->pes(); ++p)
    pes_.push_back(std::make_unique<EdgePe>(fmt::format("pe_{}_{}", p / mesh.cols, p % mesh.cols).c_str(), p, ctx_));
  ctx_.tile_owner.resize(map_->tiles().size());
  for (size_t t = 0; t < map_->tiles().size(); ++t) ctx_.tile_owner[t] = pes_[static_cast<size_t>(map_->tiles()[t].pe)].get();
  for (size_t g = 0; g < map_->groups().size(); ++g) {
    const VertexGroup& grp = map_->groups()[g];
    units_.push_back(std::make_unique<VertexUnit>(fmt::format("vu_l{}_n{}", grp.layer, grp.n0).c_str(), static_cast<int>(g), ctx_));
  }
  for (auto& u : units_) ctx_.group_unit.push_back(u.get());
  ctx_.release.assign(units_.size(), 0);
  ctx_.finish.assign(pes_.size() + units_.size(), 0);
  trace_opt_ = trace;
  if (trace.enabled()) {  // opens the file before the first step: a bad path fails at once
    trace_ = std::make_unique<MeshTrace>(trace, *map_);
    ctx_.trace = trace_.get();
    noc_->set_trace(trace_.get());
  }
  sc_core::sc_start(sc_core::SC_ZERO_TIME);  // end of elaboration: every thread waits for its first step
}

MeshEngine::~MeshEngine() = default;

std::uint64_t MeshEngine::next_origin() const {
  const std::uint64_t last = *std::max_element(ctx_.finish.begin(), ctx_.finish.end());
  if (ctx_.mesh.schedule == Schedule::Barrier) return last;
  std::uint64_t o = last;
  if (ctx_.method == MeshMethod::Sgd) {
    // The next SGD step's first work: a forward chunk of W_1, once its tile's write-back is done.
    for (size_t t = 0; t < map_->tiles().size(); ++t)
      if (map_->tiles()[t].layer == 1) o = std::min(o, ctx_.tile_owner[t]->written_at(static_cast<int>(t)));
    return o;
  }
  for (size_t g = 0; g < units_.size(); ++g)
    if (map_->groups()[g].layer > 0 || ctx_.free_input) o = std::min(o, ctx_.release[g]);
  return o;
}

void MeshEngine::check_finished() const {
  // A unit still waiting means a schedule that can never finish: a defect of the model, not of the input.
  for (const auto& pe : pes_)
    if (pe->steps_done() != ctx_.step + 1)
      throw std::logic_error(fmt::format("mesh: PE {} did not finish step {}", pe->basename(), ctx_.step));
  for (const auto& u : units_)
    if (u->steps_done() != ctx_.step + 1)
      throw std::logic_error(fmt::format("mesh: vertex unit {} did not finish step {}", u->basename(), ctx_.step));
}

double MeshEngine::step(FixedNetwork& net, FixedState& st, const IMatrix& X, const IMatrix* Y, const StepParams& p,
                        bool update_params) {
  if (ctx_.method != MeshMethod::Sheaf) throw std::logic_error("mesh: a sheaf step on an SGD engine");
  if (p.s != s_cached_) {
    ctx_.s_raw = quantize_constant(p.s, ctx_.fx, "alpha*dt");
    s_cached_ = p.s;
  }
  if (p.eta != eta_cached_) {
    ctx_.eta_raw = p.eta > 0 ? quantize_constant(p.eta, ctx_.fx, "beta*dt") : 0;
    eta_cached_ = p.eta;
  }
  if (ctx_.pins != nullptr) {
    pins_.set_step(p.s, ctx_.fx);
    // The vertex units' soft pulls: one multiply-add kp (v - t) per soft coordinate and sample.
    soft_pin_ops_ += static_cast<std::uint64_t>(pin_source_->soft_coordinates()) * static_cast<std::uint64_t>(ctx_.batch);
  }
  if (p.phase == Phase::Training && Y == nullptr) throw InputError("a training step needs targets");
  ctx_.net = &net;
  ctx_.st = &st;
  ctx_.X = &X;
  ctx_.Y = p.phase == Phase::Training ? Y : nullptr;
  ctx_.joint = update_params;
  ctx_.output_mode = p.output_mode;
  run_step(update_params);
  if (!p.track_change) return 0.0;
  std::int64_t change = 0;
  for (const auto& u : units_) change = std::max(change, u->max_change());
  return static_cast<double>(change) * ctx_.fx.stalk.lsb();
}

void MeshEngine::sgd_step(FixedNetwork& net, const IMatrix& X, const IMatrix& Y, std::int64_t eta_raw) {
  if (ctx_.method != MeshMethod::Sgd) throw std::logic_error("mesh: an SGD step on a sheaf engine");
  ctx_.eta_raw = eta_raw;
  ctx_.s_raw = 0;
  ctx_.net = &net;
  ctx_.st = nullptr;
  ctx_.X = &X;
  ctx_.Y = &Y;
  ctx_.joint = true;  // the PEs: every weight edge gets its errors back, gradient and write-back
  run_step(true);
}

void MeshEngine::run_step(bool update_params) {
  for (auto& pe : pes_) pe->expect_step();
  for (auto& u : units_) u->expect_step();
  // Where this step's kernel run starts: under the barrier schedule when the
  // last unit has finished the previous step; under dataflow when the first
  // chunk of the next step can start anywhere: the earliest stalk update of
  // a chunk of the previous step (every unit fills the gaps the previous step
  // left from there on, and finds its inputs by their arrival).
  const std::uint64_t prev_end = *std::max_element(ctx_.finish.begin(), ctx_.finish.end());
  const std::uint64_t origin = next_origin();
  // The kernel's clock never goes back: this run's first cycle (origin) is its current time.
  ctx_.offset = static_cast<std::int64_t>(origin) - static_cast<std::int64_t>(sc_core::sc_time_stamp() / ctx_.period);
  noc_->forget_before(origin);
  for (auto& pe : pes_) pe->forget_before(origin);
  for (auto& u : units_) u->forget_before(origin);
  const auto w0 = std::chrono::steady_clock::now();
  ctx_.start.notify(sc_core::SC_ZERO_TIME);
  sc_core::sc_start();  // runs until every unit has finished the step
  timing_.wall_s += std::chrono::duration<double>(std::chrono::steady_clock::now() - w0).count();
  check_finished();
  const std::uint64_t end = *std::max_element(ctx_.finish.begin(), ctx_.finish.end());
  const std::uint64_t cycles = end - prev_end;  // how far the step moved the mesh's last unit
  // Nothing before the next run's first cycle changes any more: waits before it are final.
  const std::uint64_t settled = next_origin();
  for (auto& pe : pes_) pe->settle(settled);
  for (auto& u : units_) u->settle(settled);
  if (trace_) trace_->step(ctx_.step, prev_end, end, update_params, settled);
  timing_.total_cycles += cycles;
  ++timing_.steps;
  if (update_params) {
    ++timing_.joint_steps;
    timing_.joint_cycles += cycles;
  } else {
    timing_.stalk_cycles += cycles;
  }
  ++ctx_.step;
}

void MeshEngine::set_pins(const PinSet* pins, FixedState& st, const IMatrix& X) {
  const bool free_input = pins != nullptr && !pins->empty() && pins->has_free_inputs();
  if (free_input != ctx_.free_input) {
    // Free input coordinates: the layer-1 tiles send W_1^T u_1 back and the input
    // groups store its sums; the bound and the buffers of a diffusion step change.
    ctx_.free_input = free_input;
    const auto B = static_cast<std::uint64_t>(ctx_.batch);
    buffers_ = mesh_buffers(*map_, ctx_.mesh, ctx_.fx, B, ctx_.L, ctx_.method, free_input);
    check_buffers(buffers_, *map_, ctx_.mesh, ctx_.method);
    bound_diffusion_ = mesh_step_counts(*map_, ctx_.mesh, ctx_.fx, B, ctx_.L, false, output_, free_input);
    if (trace_) {  // the trace declares the links of the run's traffic: reopened before the first step
      if (ctx_.step > 0) throw std::logic_error("mesh: free input pins set after the traced run's first step");
      trace_.reset();
      trace_ = std::make_unique<MeshTrace>(trace_opt_, *map_, free_input);
      ctx_.trace = trace_.get();
      noc_->set_trace(trace_.get());
    }
  }
  if (pins == nullptr || pins->empty()) {
    ctx_.pins = nullptr;
    pin_source_ = nullptr;
    return;
  }
  if (free_input) st.x = X;  // the state's own copy of the input, which the steps move (SheafEngine::set_pins)
  if (pins != pin_source_) {  // quantised once per run, as FixedArith::set_pins
    pins_ = plan_pins(*pins, ctx_.fx, ctx_.counters);
    pin_source_ = pins;
  }
  ctx_.pins = &pins_;
  apply_hard_pins(pins_, st);
}

FixedRunInfo MeshEngine::run_info() const {
  FixedRunInfo info;
  info.config = ctx_.fx;
  info.counters = ctx_.counters;
  info.s_raw = ctx_.s_raw;
  info.eta_raw = ctx_.eta_raw;
  info.s_used = static_cast<double>(ctx_.s_raw) * ctx_.fx.constant.lsb();
  info.eta_used = static_cast<double>(ctx_.eta_raw) * ctx_.fx.constant.lsb();
  return info;
}

namespace {
// A quotient, or null when it does not apply (a zero denominator: no step of that kind, no cycles).
nlohmann::json ratio(double a, double b) {
  if (!(b > 0)) return nullptr;
  return a / b;
}
// A mean number of cycles, or null: integral means are written as integers (equal steps).
nlohmann::json mean_cycles(double a, double b) {
  if (!(b > 0)) return nullptr;
  const double q = a / b;
  if (q == std::floor(q) && std::fabs(q) < 9.0e15) return static_cast<std::int64_t>(q);
  return q;
}
// A statistics-block value: "n/a" for null, integers as integers, else 6 significant digits.
std::string stat(const nlohmann::json& v) {
  if (v.is_null()) return "n/a";
  if (v.is_number_integer() || v.is_number_unsigned()) return v.dump();
  const double d = v.get<double>();
  if (d == std::floor(d) && std::fabs(d) < 9.0e15) return fmt::format("{}", static_cast<std::int64_t>(d));
  // Large values in fixed notation (no exponent), with 10 significant digits so that a
  // mean like 11424.0002 does not read as a whole number.
  if (std::fabs(d) >= 1e10) return fmt::format("{:.1f}", d);
  if (std::fabs(d) >= 1e4) return fmt::format("{:.10g}", d);
  return fmt::format("{:.6g}", d);
}
}  // namespace

nlohmann::json MeshEngine::step_figures(const MeshStepCounts& counts, std::uint64_t cycles, std::uint64_t steps) const {
  if (steps == 0) return nullptr;
  // Links are resources too: a link carries one flit per cycle.
  const std::uint64_t bound = counts.busy_cycles_max_unit(), link_bound = counts.link_flits_max();
  const double per_step = static_cast<double>(cycles) / static_cast<double>(steps);
  const double macs = static_cast<double>(counts.pe_totals().macs());
  const double hops = static_cast<double>(counts.link_flits_total());
  return {{"cycles", mean_cycles(static_cast<double>(cycles), static_cast<double>(steps))},
          {"bound_cycles", bound},
          {"cycles_over_bound", ratio(per_step, static_cast<double>(bound))},
          {"busiest_link_flits", link_bound},
          {"cycles_over_resource_bound", ratio(per_step, static_cast<double>(std::max(bound, link_bound)))},
          {"macs", counts.pe_totals().macs()},
          {"mac_utilisation", ratio(macs, per_step * map_->pes() * ctx_.mesh.lanes)},
          {"flit_hops", counts.link_flits_total()},
          {"link_utilisation", ratio(hops, per_step * map_->existing_links())},
          {"time_us", per_step / ctx_.mesh.clock_mhz}};
}

TraceSummary MeshEngine::finish_trace() {
  if (!trace_) return TraceSummary{};
  for (auto& pe : pes_) pe->settle(TraceWindow::kOpen);
  for (auto& u : units_) u->settle(TraceWindow::kOpen);
  return trace_->finish();
}

UnitCounters MeshEngine::pe_totals() const {
  UnitCounters t;
  for (const auto& p : pes_) t += p->counters();
  return t;
}

UnitCounters MeshEngine::vertex_totals() const {
  UnitCounters t;
  for (const auto& u : units_) t += u->counters();
  return t;
}

nlohmann::json MeshEngine::report() const {
  const UnitCounters pe = pe_totals(), vu = vertex_totals();
  const double cyc = static_cast<double>(timing_.total_cycles);
  std::uint64_t link_busy = 0, link_wait = 0, link_flits = 0;
  for (const LinkCounters& l : noc_->links()) {
    link_busy += l.busy_cycles;
    link_wait += l.wait_cycles;
    link_flits += l.flits;
  }
  long sram_max = 0;
  for (int p = 0; p < map_->pes(); ++p) sram_max = std::max(sram_max, map_->sram_bits_used(p));
  const double peak_macs = cyc * map_->pes() * ctx_.mesh.lanes;
  const double us_per_cycle = 1.0 / ctx_.mesh.clock_mhz;
  nlohmann::json j;
  j["method"] = to_string(ctx_.method);
  j["mesh"] = ctx_.mesh.to_json();
  j["mapping"] = {{"tile_rows", map_->tile_rows()},
                  {"tile_cols", map_->tile_cols()},
                  {"tiles", map_->tiles().size()},
                  {"tile_order_used", to_string(map_->order_used())},
                  {"vertex_groups", map_->groups().size()},
                  {"pes", map_->pes()},
                  {"links", map_->existing_links()},
                  {"sram_bits_used_max", sram_max},
                  {"sram_bits_per_pe", map_->sram_bits()}};
  j["mapping"]["chunk_samples"] = ctx_.mesh.chunk_samples(static_cast<std::uint64_t>(ctx_.batch));
  j["mapping"]["chunks"] = ctx_.chunks();
  // Peak SRAM of a PE: parameters, accumulators, the batch's stored activations
  // and residuals (SGD: a_{l-1} and the errors d_l the gradient reads) and chunk buffers.
  j["mapping"]["pe_sram_bits_needed_max"] = buffers_.pe_max();
  j["mapping"]["vertex_sram_bits_needed_max"] = buffers_.vertex_max();
  j["mapping"]["vertex_sram_bits_per_unit"] = buffers_.vertex_capacity_bits;

  j["training_step"] = step_figures(bound_joint_, timing_.joint_cycles, timing_.joint_steps);
  j["diffusion_step"] =
      step_figures(bound_diffusion_, timing_.stalk_cycles, timing_.steps - timing_.joint_steps);
  j["total_cycles"] = timing_.total_cycles;
  j["steps"] = timing_.steps;
  j["joint_steps"] = timing_.joint_steps;
  j["diffusion_steps"] = timing_.steps - timing_.joint_steps;
  // Means per kind of step; null when the run has no step of that kind (inference has no
  // training step; inner = 1 has no stalk-only step).
  j["cycles_per_step"] = mean_cycles(cyc, static_cast<double>(timing_.steps));
  j["cycles_per_training_step"] =
      mean_cycles(static_cast<double>(timing_.joint_cycles), static_cast<double>(timing_.joint_steps));
  j["cycles_per_diffusion_step"] =
      mean_cycles(static_cast<double>(timing_.stalk_cycles), static_cast<double>(timing_.steps - timing_.joint_steps));
  j["simulated_time_us"] = cyc * us_per_cycle;
  j["mac_utilisation"] = ratio(static_cast<double>(pe.macs()), peak_macs);
  j["link_utilisation"] = ratio(static_cast<double>(link_busy), cyc * map_->existing_links());
  j["sim_cycles_per_wall_second"] = ratio(cyc, timing_.wall_s);
  j["kernel_wall_s"] = timing_.wall_s;
  // Network traffic of the whole run: flits injected by the senders, and link traversals
  // (a flit crossing h links is h flit-hops; the links' flit counts add up to these).
  j["macs"] = pe.macs();
  j["register_writes"] = pe.register_writes + vu.register_writes;
  j["flits"] = pe.flits_sent + vu.flits_sent;
  j["flit_hops"] = link_flits;
  j["messages"] = pe.messages_sent + vu.messages_sent;
  j["soft_pin_multiply_adds"] = soft_pin_ops_;
  auto unit_json = [](const UnitCounters& c) {
    return nlohmann::json{{"macs_forward", c.macs_forward},   {"macs_backward", c.macs_backward},
                          {"macs_hebbian", c.macs_hebbian},   {"adds", c.adds},
                          {"register_writes", c.register_writes}, {"sram_read_bits", c.sram_read_bits},
                          {"sram_write_bits", c.sram_write_bits}, {"flits_sent", c.flits_sent},
                          {"flit_hops", c.flit_hops},         {"messages_sent", c.messages_sent},
                          {"busy_cycles", c.busy_cycles},     {"stall_cycles", c.stall_cycles},
                          {"saturations", c.saturations},     {"lost_updates", c.lost_updates}};
  };
  j["pe_totals"] = unit_json(pe);
  j["vertex_totals"] = unit_json(vu);
  j["link_totals"] = {{"flit_hops", link_flits}, {"busy_cycles", link_busy}, {"wait_cycles", link_wait}};
  return j;
}

std::string MeshEngine::counters_csv() const {
  std::string out =
      "kind,name,pe_row,pe_col,macs_forward,macs_backward,macs_hebbian,adds,register_writes,sram_read_bits,"
      "sram_write_bits,flits,flit_hops,messages,busy_cycles,stall_cycles,idle_cycles,wait_cycles,saturations,"
      "lost_updates\n";
  const std::uint64_t total = timing_.total_cycles;
  auto unit = [&](const char* kind, const std::string& name, int pe, const UnitCounters& c) {
    const std::uint64_t idle = total > c.busy_cycles + c.stall_cycles ? total - c.busy_cycles - c.stall_cycles : 0;
    // wait_cycles is a link's (empty: does not apply to a unit)
    out += fmt::format("{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},,{},{}\n", kind, name, pe / ctx_.mesh.cols,
                       pe % ctx_.mesh.cols, c.macs_forward, c.macs_backward, c.macs_hebbian, c.adds, c.register_writes,
                       c.sram_read_bits, c.sram_write_bits, c.flits_sent, c.flit_hops, c.messages_sent, c.busy_cycles,
                       c.stall_cycles, idle, c.saturations, c.lost_updates);
  };
  for (const auto& p : pes_) unit("pe", p->basename(), p->pe(), p->counters());
  for (const auto& u : units_) unit("vertex", u->basename(), u->pe(), u->counters());
  for (int l = 0; l < map_->links(); ++l) {
    const LinkCounters& c = noc_->links()[static_cast<size_t>(l)];
    if (c.flits == 0 && c.wait_cycles == 0) continue;
    const int pe = l / 4;
    const std::uint64_t idle = total > c.busy_cycles ? total - c.busy_cycles : 0;
    // A link carries flits (each a flit-hop) and waits; the unit columns do not apply (empty).
    out += fmt::format("link,\"{}\",{},{},,,,,,,,,{},,{},,{},{},,\n", map_->link_name(l), pe / ctx_.mesh.cols,
                       pe % ctx_.mesh.cols, c.flits, c.busy_cycles, idle, c.wait_cycles);
  }
  return out;
}

std::vector<std::pair<std::string, std::string>> MeshEngine::statistics() const {
  const nlohmann::json j = report();
  // A figure of the training step, null without one.
  auto training = [&j](const char* key) { return j["training_step"].is_null() ? nlohmann::json() : j["training_step"][key]; };
  const std::uint64_t joint = timing_.joint_steps, diffusion = timing_.steps - timing_.joint_steps;
  return {{"mesh", fmt::format("{}x{} PEs, {} lanes, {} tiles of {}x{}", ctx_.mesh.rows, ctx_.mesh.cols, ctx_.mesh.lanes,
                               map_->tiles().size(), map_->tile_rows(), map_->tile_cols())},
          {"schedule", fmt::format("{}, {} reduction, {} chunk(s) of {} samples", to_string(ctx_.mesh.schedule),
                                   to_string(ctx_.mesh.reduction), ctx_.chunks(),
                                   ctx_.mesh.chunk_samples(static_cast<std::uint64_t>(ctx_.batch)))},
          {"mesh_steps", ctx_.method == MeshMethod::Sgd
                             ? fmt::format("{} (training (SGD: forward, backward, update))", timing_.steps)
                             : fmt::format("{} ({} training (joint), {} diffusion (stalk-only))", timing_.steps, joint,
                                           diffusion)},
          {"total_cycles", fmt::format("{}", timing_.total_cycles)},
          {"cycles_per_step", stat(j["cycles_per_step"])},
          {"cycles_per_training_step", stat(j["cycles_per_training_step"])},
          {"bound_cycles_per_training_step", stat(training("bound_cycles"))},
          {"cycles_over_bound_training", stat(training("cycles_over_bound"))},
          {"mac_utilisation_training", stat(training("mac_utilisation"))},
          {"cycles_per_diffusion_step", stat(j["cycles_per_diffusion_step"])},
          {"simulated_time_us", stat(j["simulated_time_us"])},
          {"macs_total", fmt::format("{}", pe_totals().macs())},
          {"mac_utilisation", stat(j["mac_utilisation"])},
          {"link_utilisation", stat(j["link_utilisation"])},
          {"flits", fmt::format("{}", j["flits"].get<std::uint64_t>())},
          {"flit_hops", fmt::format("{}", j["flit_hops"].get<std::uint64_t>())},
          {"messages", fmt::format("{}", j["messages"].get<std::uint64_t>())},
          {"sim_cycles_per_wall_second", stat(j["sim_cycles_per_wall_second"])}};
}

namespace {
// Forwards to an engine whose lifetime the caller shares.
class SharedStepper final : public FixedStepper {
 public:
  explicit SharedStepper(std::shared_ptr<MeshEngine> e) : e_(std::move(e)) {}
  double step(FixedNetwork& net, FixedState& st, const IMatrix& X, const IMatrix* Y, const StepParams& p,
              bool update_params) override {
    return e_->step(net, st, X, Y, p, update_params);
  }
  FixedCounters& counters() override { return e_->counters(); }
  FixedRunInfo run_info() const override { return e_->run_info(); }
  void set_pins(const PinSet* pins, FixedState& st, const IMatrix& X) override { e_->set_pins(pins, st, X); }

 private:
  std::shared_ptr<MeshEngine> e_;
};
}  // namespace

namespace {
// An SGD stepper on an engine whose lifetime the caller shares.
class SharedSgdStepper final : public FixedSgdStepper {
 public:
  explicit SharedSgdStepper(std::shared_ptr<MeshEngine> e) : e_(std::move(e)) {}
  void step(FixedNetwork& net, const IMatrix& X, const IMatrix& Y, std::int64_t eta_raw) override {
    e_->sgd_step(net, X, Y, eta_raw);
  }
  FixedCounters& counters() override { return e_->counters(); }
  FixedRunInfo run_info() const override { return e_->run_info(); }

 private:
  std::shared_ptr<MeshEngine> e_;
};
}  // namespace

FixedSgdStepperFactory mesh_sgd_stepper(const MeshConfig& mesh, std::shared_ptr<MeshEngine>* out,
                                        PeDatapathFactory datapath, const MeshTraceOptions& trace) {
  return [mesh, out, datapath, trace](const FixedNetwork& net, Eigen::Index batch, const FixedConfig& cfg,
                                      const FixedCounters& loads) -> std::unique_ptr<FixedSgdStepper> {
    auto e = std::make_shared<MeshEngine>(mesh, net, batch, cfg, loads, datapath, trace, MeshMethod::Sgd);
    if (out != nullptr) *out = e;
    return std::make_unique<SharedSgdStepper>(e);
  };
}

FixedStepperFactory mesh_stepper(const MeshConfig& mesh, std::shared_ptr<MeshEngine>* out, PeDatapathFactory datapath,
                                 const MeshTraceOptions& trace) {
  return [mesh, out, datapath, trace](const FixedNetwork& net, Eigen::Index batch, const FixedConfig& cfg,
                                      const FixedCounters& loads) -> std::unique_ptr<FixedStepper> {
    auto e = std::make_shared<MeshEngine>(mesh, net, batch, cfg, loads, datapath, trace);
    if (out != nullptr) *out = e;
    return std::make_unique<SharedStepper>(e);
  };
}

}  // namespace sheafsim::mesh
