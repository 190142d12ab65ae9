// The operands and results of a PE's tile (pe_datapath.h): partial sums and
// the tile's inputs assembled from its mailbox.
#include <algorithm>
#include <cmath>

#include "sheafsim/fixed/exact_bounds.h"
#include "sheafsim/fixed/exact_kernels.h"
#include "sheafsim/mesh/pe_datapath.h"

namespace sheafsim::mesh {

void PartialSums::measure_bound() {
  bound = 0;
  switch (kind) {
    case Kind::Double:
      for (const double v : dbl) bound = std::max(bound, static_cast<fx::uwide>(std::fabs(v)));
      break;
    case Kind::Narrow:
      bound = bounds::max_abs(narrow.data(), narrow.size());
      break;
    case Kind::Wide:
      for (const fx::wide v : wide) bound = std::max(bound, bounds::mag(v));
      break;
  }
}

Message PartialSums::view(int n0, int n1, int base, int n) const {
  Message m;
  m.n0 = n0;
  m.n1 = n1;
  m.bound = bound;
  const auto off = static_cast<size_t>(n0 - base);
  switch (kind) {
    case Kind::Double:
      m.dbl = dbl.data() + off;
      m.dstride = ld;
      m.zero_pad = n0 == base && n1 == base + n;  // the whole block: lanes [n, ld) of every row are 0
      break;
    case Kind::Narrow:
      m.narrow = narrow.data() + off;
      m.stride = static_cast<size_t>(n);
      break;
    case Kind::Wide:
      m.wide = wide.data() + off;
      m.stride = static_cast<size_t>(n);
      break;
  }
  return m;
}

void TileOperand::set(const Mailbox& box, int base, int n, int batch) {
  msgs_ = &box.messages();
  base_ = base;
  n_ = n;
  batch_ = batch;
  have_raw_ = have_dbl_ = false;
  all_dbl_ = box.all_double();
  bound_ = box.bound_max();
}

const std::vector<std::int64_t>& TileOperand::raw() {
  if (!have_raw_) {
    const auto ld = static_cast<size_t>(n_);
    raw_.resize(ld * static_cast<size_t>(batch_));
    for (const Message& m : *msgs_) {
      if (m.narrow != nullptr || m.dbl != nullptr)
        assemble<std::int64_t>(m, base_, ld, batch_, raw_.data());
      else
        for_each_value(m, base_, ld, batch_, [&](size_t i, fx::wide v) { raw_[i] = static_cast<std::int64_t>(v); });
    }
    have_raw_ = true;
  }
  return raw_;
}

TileOperand::Doubles TileOperand::dbl() {
  if (!all_dbl_) return {};
  if (msgs_->size() == 1 && msgs_->front().n0 == base_ && msgs_->front().size() == n_)
    return {msgs_->front().dbl, msgs_->front().dstride};  // one message covers the block: read it in place
  const size_t ld = xd::padded(n_);
  if (!have_dbl_) {
    dbl_.resize(xd::padded_size(n_, batch_));
    for (const Message& m : *msgs_) assemble<double>(m, base_, ld, batch_, dbl_.data());
    have_dbl_ = true;
  }
  return {dbl_.data(), ld};
}

}  // namespace sheafsim::mesh
