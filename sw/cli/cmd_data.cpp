// `sheafsim data`: the options checked, the samples made by the library
// (data_run.h), the CSV files written and the statistics block printed.
#include <fmt/format.h>

#include "commands.h"
#include "console.h"
#include "sheafsim/run/data_run.h"
#include "sheafsim/base/error.h"
#include "sheafsim/reference/tasks.h"

namespace sheafsim::cli {

void register_data(CLI::App& app) {
  struct Opts {
    std::string task, out, test_out, val_out, digits_file;
    long n = 0, test_n = 0, val_n = 0;
    std::uint64_t seed = 42;
  };
  auto o = std::make_shared<Opts>();
  CLI::App* sub = app.add_subcommand("data", "Generate a synthetic dataset, or write the digits splits, as CSV");
  sub->add_option("--task", o->task, "paraboloid, saddle, circular, blobs or digits")->required();
  sub->add_option("--n-train,--n", o->n,
                  "Number of samples (digits: the first N of the split's permutation; --n: deprecated alias)")
      ->required();
  sub->add_option("--data-seed,--seed", o->seed,
                  "Data seed (digits: the split's permutation; --seed: deprecated alias)")
      ->capture_default_str();
  sub->add_option("--out", o->out, "CSV file to write")->required();
  sub->add_option("--n-test,--test-n", o->test_n,
                  "Also draw this many more samples from the same stream (digits: from the test split; --test-n: "
                  "deprecated alias) ...");
  sub->add_option("--test-out", o->test_out, "... and write them here (a test split)");
  sub->add_option("--n-val,--val-n", o->val_n,
                  "Also draw this many samples after the test samples (digits: from the validation split; --val-n: "
                  "deprecated alias) ...");
  sub->add_option("--val-out", o->val_out, "... and write them here (a validation split, for tuning)");
  sub->add_option("--digits-file", o->digits_file,
                  "digits.csv.gz for --task digits (default: $SHEAFSIM_DIGITS, then python3-sklearn's copy)");
  sub->callback([o] {
    const Task task = parse_task(o->task);
    if (o->n < 1) throw InputError(fmt::format("--n-train = {} must be >= 1", o->n));
    if (o->test_n < 0) throw InputError(fmt::format("--n-test = {} must be >= 0", o->test_n));
    if (o->val_n < 0) throw InputError(fmt::format("--n-val = {} must be >= 0", o->val_n));
    if ((o->test_n > 0) != !o->test_out.empty()) throw InputError("--n-test and --test-out go together");
    if ((o->val_n > 0) != !o->val_out.empty()) throw InputError("--n-val and --val-out go together");
    if (!o->digits_file.empty() && task != Task::Digits) throw InputError("--digits-file goes with --task digits");
    const DataRun run = make_data({task, o->digits_file, o->n, o->test_n, o->val_n, o->seed});
    std::vector<StatRow> rows = {{"task", o->task}};
    if (run.digits) {
      const DigitsSource& d = *run.digits;
      rows.push_back({"digits_file", d.path});
      rows.push_back({"images", fmt::format("{}", d.images)});
      rows.push_back({"split_train_validation_test", fmt::format("{}/{}/{}", d.train, d.validation, d.test)});
    }
    write_csv(o->out, run.train);
    if (o->test_n > 0) write_csv(o->test_out, run.test);
    if (o->val_n > 0) write_csv(o->val_out, run.validation);
    rows.push_back({"samples", fmt::format("{}", o->n)});
    rows.push_back({"test_samples", fmt::format("{}", o->test_n)});
    rows.push_back({"validation_samples", fmt::format("{}", o->val_n)});
    rows.push_back({"seed", fmt::format("{}", o->seed)});
    rows.push_back({"file", o->out});
    if (o->test_n > 0) rows.push_back({"test_file", o->test_out});
    if (o->val_n > 0) rows.push_back({"validation_file", o->val_out});
    print_statistics("sheafsim data", rows);
  });
}

}  // namespace sheafsim::cli
