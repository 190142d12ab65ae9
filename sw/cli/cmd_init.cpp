#include <fmt/format.h>

#include "commands.h"
#include "console.h"
#include "sheafsim/reference/network_io.h"

namespace sheafsim::cli {

void register_init(CLI::App& app) {
  struct Opts {
    std::string layers, output = "identity", out;
    std::uint64_t seed = 0;
  };
  auto o = std::make_shared<Opts>();
  CLI::App* sub = app.add_subcommand("init", "Create a network with He-initialised weights and zero biases");
  sub->add_option("--layers", o->layers, "Layer widths n0,n1,...,nL, e.g. 2,30,1")->required();
  sub->add_option("--output", o->output, "Output nonlinearity: identity, sigmoid or softmax")->capture_default_str();
  sub->add_option("--weight-seed,--seed", o->seed, "Weight seed (--seed: deprecated alias)")->capture_default_str();
  sub->add_option("--out", o->out, "Network JSON file to write")->required();
  sub->callback([o] {
    const Network net = Network::he_init(parse_layers(o->layers), parse_output_kind(o->output), o->seed);
    write_network(o->out, net);
    print_statistics("sheafsim init", {{"layers", o->layers},
                                       {"output", to_string(net.output)},
                                       {"weights", fmt::format("{}", net.num_weights())},
                                       {"free_stalks_per_sample", fmt::format("{}", net.num_free_stalks())},
                                       {"seed", fmt::format("{}", o->seed)},
                                       {"file", o->out}});
  });
}

}  // namespace sheafsim::cli
