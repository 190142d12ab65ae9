#pragma once
// The driver: puts operations on the unit's request port (in_valid / in_ready
// and the operand, key and mode inputs). It holds one request until the unit
// accepts it, raises in_valid at the input-gap rate of the current
// back-pressure regime, and puts random junk on the inputs while in_valid is
// low (the unit must ignore it).
#include <cstdint>

#include "edge_txn.h"
#include "random_seq.h"
#include "stimulus_gen.h"

namespace tb {

template <typename P>
void put(P& port, std::uint64_t v, int width) {
  port = static_cast<P>(v & mask(width));
}
template <typename P>
void put(P& port, std::int64_t v, int width) {
  put(port, static_cast<std::uint64_t>(v), width);
}

// Every input of the unit but the handshake.
inline void drive(ps::Model& m, const Txn& t) {
  put(m.in_op, static_cast<std::uint64_t>(t.op), 3);
  put(m.in_tag, static_cast<std::uint64_t>(t.tag), ps::kTagW);
  put(m.in_acc, t.acc, ps::kAccW);
  put(m.in_w, t.w, ps::kWW);
  put(m.in_b, t.b, ps::kWB);
  put(m.in_a, t.a, ps::kWS);
  put(m.in_r, t.r, ps::kWR);
  put(m.in_eta, t.eta, ps::kWC);
  put(m.in_seed, t.seed, 64);
  put(m.in_step, t.step, ps::kStepW);
  put(m.in_layer, static_cast<std::uint64_t>(t.layer), 8);
  put(m.in_row, t.row, ps::kIdxW);
  put(m.in_col, t.col, ps::kIdxW);
  put(m.cfg_quant, static_cast<std::uint64_t>(t.quant), 3);
  put(m.cfg_ovf, static_cast<std::uint64_t>(t.ovf), 1);
}

class Driver {
 public:
  Driver(ps::Model& dut, Gen& g) : dut_(dut), gen_(g) {}

  // No request held: the next operation may be loaded.
  bool idle() const { return !have_; }
  // Loads the next request; its tag is its issue number modulo 2^TAG_W.
  const Txn& load(const Txn& t, std::uint64_t issued) {
    cur_ = t;
    cur_.tag = static_cast<std::uint32_t>(issued & mask(ps::kTagW));
    have_ = true;
    return cur_;
  }
  // Decides in_valid for this cycle: a held request is offered with the
  // regime's probability and stays valid until accepted.
  void offer(unsigned p_valid) {
    if (have_ && !valid_) valid_ = gen_.chance(p_valid);
  }
  // Drives the inputs and in_valid (the request, or junk when not valid).
  void apply() {
    if (valid_) {
      drive(dut_, cur_);
    } else {
      Txn junk = random_txn(gen_);  // the unit must ignore inputs while in_valid is low
      junk.tag = static_cast<std::uint32_t>(gen_.below(256));
      drive(dut_, junk);
    }
    dut_.in_valid = valid_;
  }
  bool valid() const { return valid_; }
  const Txn& current() const { return cur_; }
  // The input handshake happened: the request is gone.
  void accepted() { have_ = valid_ = false; }

 private:
  ps::Model& dut_;
  Gen& gen_;
  Txn cur_;
  bool have_ = false, valid_ = false;
};

}  // namespace tb
