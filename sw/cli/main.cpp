// sheafsim: command-line front end. Every subcommand is a thin layer over the
// library in sw/lib; errors become one line on stderr and a non-zero exit:
//   0 success, 2 bad input (options, files, settings), 3 internal error.
#include <cstdio>

#include <fmt/format.h>

#include "commands.h"
#include "sheafsim/error.h"
#include "sheafsim/file_io.h"

namespace sheafsim::cli {

void write_json(const std::string& path, const nlohmann::json& j) {
  write_text_file(path, j.dump(1) + "\n");
}

}  // namespace sheafsim::cli

int main(int argc, char** argv) {
  CLI::App app{"sheafsim: sheaf-diffusion training of ReLU networks, float reference and hardware models"};
  app.require_subcommand(1, 1);
  app.set_version_flag("--version", "sheafsim 0.1.0");
  sheafsim::cli::register_init(app);
  sheafsim::cli::register_data(app);
  sheafsim::cli::register_infer(app);
  sheafsim::cli::register_train(app);
  sheafsim::cli::register_spectrum(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::Success& e) {
    return app.exit(e);  // --help, --version
  } catch (const CLI::ParseError& e) {
    fmt::print(stderr, "sheafsim: error: {}\n", e.what());
    return 2;
  } catch (const sheafsim::InputError& e) {
    fmt::print(stderr, "sheafsim: error: {}\n", e.what());
    return 2;
  } catch (const std::exception& e) {
    fmt::print(stderr, "sheafsim: internal error: {}\n", e.what());
    return 3;
  }
  return 0;
}
