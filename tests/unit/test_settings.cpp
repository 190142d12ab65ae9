// Step sizes and counts: absurd values are errors, risky ones are warnings.
#include <catch2/catch.hpp>

#include "sheafsim/base/error.h"
#include "sheafsim/reference/settings.h"
#include "sheafsim/reference/spectrum.h"

using namespace sheafsim;
using Catch::Matchers::Contains;

TEST_CASE("step sizes are checked against the stability bound", "[settings][bad-input]") {
  Network net = Network::he_init({2, 4, 1}, OutputKind::Identity, 1);
  net.W[1] = Matrix::Constant(1, 4, 2.0);  // |W_2|_2 = 4, so lambda_max <= 25
  CHECK(lambda_max_bound(net, false) == Approx(25.0));
  CHECK_FALSE(check_step_size(net, 1.0, 0.01, false).has_value());
  const auto w = check_step_size(net, 1.0, 0.1, false);  // 0.1 * 25 = 2.5 >= 2
  REQUIRE(w.has_value());
  CHECK_THAT(*w, Contains("exceeds the stability bound") && Contains("dt < 0.08"));
  CHECK_THROWS_WITH(check_step_size(net, 1.0, 2.0, false), Contains("unstable for every network"));
  CHECK_THROWS_WITH(check_step_size(net, 1.0, -0.1, false), Contains("--dt = -0.1 must be a finite number > 0"));
  CHECK_THROWS_WITH(check_step_size(net, 0.0, 0.1, false), Contains("--alpha = 0"));
  CHECK_THROWS_WITH(check_step_size(net, 1.0, std::nan(""), false), Contains("--dt = nan"));
  CHECK_THROWS_WITH(require_non_negative(-1.0, "--beta"), Contains("--beta = -1"));
  CHECK_THROWS_WITH(require_count(0, "--inner", 1, 10), Contains("--inner = 0 is outside 1..10"));
}
