#include "sheafsim/train/training.h"

#include "sheafsim/reference/activation.h"

namespace sheafsim {

Metrics evaluate(const Network& net, const Dataset& data) {
  Metrics m;
  if (data.size() == 0 || !data.has_targets()) return m;
  const ForwardPass fp = forward(net, data.X);
  m.loss = loss_from_logits(net.output, fp.z.back(), data.Y);
  if (is_classification(net.output)) m.accuracy = accuracy_from_logits(net.output, fp.z.back(), data.Y);
  return m;
}

}  // namespace sheafsim
