#include <fmt/format.h>

#include "commands.h"
#include "console.h"
#include "sheafsim/error.h"
#include "sheafsim/tasks.h"

namespace sheafsim::cli {

void register_data(CLI::App& app) {
  struct Opts {
    std::string task, out, test_out;
    long n = 0, test_n = 0;
    std::uint64_t seed = 42;
  };
  auto o = std::make_shared<Opts>();
  CLI::App* sub = app.add_subcommand("data", "Generate a synthetic dataset as CSV");
  sub->add_option("--task", o->task, "paraboloid, saddle, circular or blobs")->required();
  sub->add_option("--n", o->n, "Number of samples")->required();
  sub->add_option("--seed", o->seed, "Data seed")->capture_default_str();
  sub->add_option("--out", o->out, "CSV file to write")->required();
  sub->add_option("--test-n", o->test_n, "Also draw this many more samples from the same stream ...");
  sub->add_option("--test-out", o->test_out, "... and write them here (a test split)");
  sub->callback([o] {
    const Task task = parse_task(o->task);
    if (o->n < 1) throw InputError(fmt::format("--n = {} must be at least 1", o->n));
    if (o->test_n < 0) throw InputError(fmt::format("--test-n = {} must be >= 0", o->test_n));
    if ((o->test_n > 0) != !o->test_out.empty()) throw InputError("--test-n and --test-out go together");
    const Dataset all = make_task(task, o->n + o->test_n, o->seed);
    write_csv(o->out, all.slice(0, o->n));
    if (o->test_n > 0) write_csv(o->test_out, all.slice(o->n, o->test_n));
    print_statistics("sheafsim data", {{"task", o->task},
                                       {"samples", fmt::format("{}", o->n)},
                                       {"test_samples", fmt::format("{}", o->test_n)},
                                       {"seed", fmt::format("{}", o->seed)},
                                       {"file", o->out}});
  });
}

}  // namespace sheafsim::cli
