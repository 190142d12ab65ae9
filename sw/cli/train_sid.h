#pragma once
// `train --method sid`: the SID options checked, the extractor and module
// cascade built from the network (sid_trainer.h), the run, and what the report
// and the statistics block add for it.
#include <vector>

#include <nlohmann/json.hpp>

#include "console.h"
#include "sheafsim/train/training.h"
#include "train_options.h"

namespace sheafsim::cli {

struct SidRun {
  TrainResult result;
  nlohmann::json settings;  // the report's "settings" (steps and log_every are added by train)
  nlohmann::json report;    // the report's "sid" object
  std::vector<StatRow> rows;
};

SidRun run_sid_training(const TrainOpts& o, const Network& net, const Dataset& train, const Dataset* test,
                        const TrainProgress& progress);

}  // namespace sheafsim::cli
