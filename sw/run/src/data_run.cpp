#include "sheafsim/run/data_run.h"

#include <fmt/format.h>

#include "sheafsim/reference/digits.h"
#include "sheafsim/base/error.h"

namespace sheafsim {

DataRun make_data(const DataSpec& spec) {
  DataRun run;
  if (spec.task == Task::Digits) {
    const std::string path = digits::locate(spec.digits_file);
    const Dataset all = digits::load(path);
    const digits::Split s = digits::split(all, spec.seed);
    run.train = digits::training_samples(s, spec.n, "--n-train");
    if (spec.val_n > 0 && spec.n > s.train.size())
      throw InputError(fmt::format("--n-train = {} reaches into the validation split (the training split has {} images); "
                                   "with --n-val use --n-train <= {}",
                                   spec.n, s.train.size(), s.train.size()));
    run.test = digits::test_samples(s, spec.test_n, "--n-test");
    run.validation = digits::validation_samples(s, spec.val_n, "--n-val");
    run.digits = DigitsSource{path, all.size(), s.train.size(), s.validation.size(), s.test.size()};
    return run;
  }
  // One stream: train, then test, then validation (so adding a validation
  // split leaves the train and test files unchanged).
  const Dataset all = make_task(spec.task, spec.n + spec.test_n + spec.val_n, spec.seed);
  run.train = all.slice(0, spec.n);
  run.test = all.slice(spec.n, spec.test_n);
  run.validation = all.slice(spec.n + spec.test_n, spec.val_n);
  return run;
}

}  // namespace sheafsim
