// Network JSON and data CSV: exact round trips, and one clear error per kind
// of malformed input.
#include <catch2/catch.hpp>

#include <cstdio>
#include <filesystem>

#include "sheafsim/reference/dataset.h"
#include "sheafsim/base/error.h"
#include "sheafsim/base/file_io.h"
#include "sheafsim/reference/network_io.h"
#include "sheafsim/reference/sheaf_state.h"
#include "sheafsim/reference/tasks.h"

using namespace sheafsim;
using Catch::Matchers::Contains;

TEST_CASE("network JSON round trip is bit-exact", "[io]") {
  const Network net = Network::he_init({3, 7, 5, 2}, OutputKind::Softmax, 99);
  const std::string path = "test_io_net.json";
  write_network(path, net);
  const Network back = read_network(path);
  std::remove(path.c_str());
  CHECK(back.layers == net.layers);
  CHECK(back.output == OutputKind::Softmax);
  for (size_t k = 0; k < net.W.size(); ++k) {
    CHECK(back.W[k] == net.W[k]);
    CHECK(back.b[k] == net.b[k]);
  }
}

TEST_CASE("data CSV round trip is bit-exact (17 significant digits)", "[io]") {
  const Dataset d = make_task(Task::Blobs, 50, 3);
  const Dataset back = parse_csv(to_csv(d), "mem");
  CHECK(back.X == d.X);
  CHECK(back.Y == d.Y);
  CHECK(to_csv(d).substr(0, 18) == "x0,x1,y0,y1,y2,y3\n");
}

TEST_CASE("malformed CSV is rejected with a message naming the problem", "[io][bad-input]") {
  CHECK_THROWS_WITH(parse_csv("", "f.csv"), Contains("empty CSV"));
  CHECK_THROWS_WITH(parse_csv("x0,x1,y0\n", "f.csv"), Contains("no data rows"));
  CHECK_THROWS_WITH(parse_csv("x0,y0,x1\n1,2,3\n", "f.csv"), Contains("header column 3 is 'x1'"));
  CHECK_THROWS_WITH(parse_csv("a,b\n1,2\n", "f.csv"), Contains("header column 1 is 'a'"));
  CHECK_THROWS_WITH(parse_csv("x0,x1\n1,2\n3\n", "f.csv"), Contains("line 3 has 1 fields, header has 2"));
  CHECK_THROWS_WITH(parse_csv("x0,x1\n1,2\n3,4,5\n", "f.csv"), Contains("line 3 has 3 fields"));
  CHECK_THROWS_WITH(parse_csv("x0,x1\n1,nan\n", "f.csv"), Contains("line 2 column x1 is not finite"));
  CHECK_THROWS_WITH(parse_csv("x0,x1\n1,inf\n", "f.csv"), Contains("not finite"));
  CHECK_THROWS_WITH(parse_csv("x0,x1\n1,1e999\n", "f.csv"), Contains("not finite"));
  CHECK_THROWS_WITH(parse_csv("x0,x1\n1,2x\n", "f.csv"), Contains("('2x') is not a number"));
  CHECK_THROWS_WITH(parse_csv("x0,x1\n1,\n", "f.csv"), Contains("is not a number"));
  // Windows line endings and a trailing blank line are fine.
  const Dataset ok = parse_csv("x0,y0\r\n1.5,2\r\n\n", "f.csv");
  CHECK(ok.X(0, 0) == 1.5);
  CHECK(ok.Y(0, 0) == 2.0);
}

TEST_CASE("malformed network JSON is rejected with a message naming the problem", "[io][bad-input]") {
  const std::string good =
      R"({"layers":[2,2,1],"output":"identity","weights":[[[1,2],[3,4]],[[5,6]]],"biases":[[0,0],[0]]})";
  CHECK_NOTHROW(network_from_json(parse_json_text(good, "n.json"), "n.json"));
  auto load = [](const std::string& text) { return network_from_json(parse_json_text(text, "n.json"), "n.json"); };
  CHECK_THROWS_WITH(load(good.substr(0, 40)), Contains("malformed JSON"));
  CHECK_THROWS_WITH(load("[1,2]"), Contains("top level is not a JSON object"));
  CHECK_THROWS_WITH(load(R"({"layers":[2,1]})"), Contains("missing field \"weights\""));
  CHECK_THROWS_WITH(load(R"({"layers":[2,1],"weights":[[[1,2]]],"biases":[[0]],"output":"relu"})"),
                    Contains("unknown output 'relu'"));
  CHECK_THROWS_WITH(load(R"({"layers":[2,1],"weights":[[[1]]],"biases":[[0]]})"), Contains("W_1 row 0 must have 2 entries"));
  CHECK_THROWS_WITH(load(R"({"layers":[2,1],"weights":[[[1,"a"]]],"biases":[[0]]})"), Contains("W_1[0][1] is not a number"));
  CHECK_THROWS_WITH(load(R"({"layers":[2,1],"weights":[[[1,1e999]]],"biases":[[0]]})"), Contains("not finite"));
  CHECK_THROWS_WITH(load(R"({"layers":[2,1],"weights":[[[1,2]]],"biases":[[0,1]]})"), Contains("b_1 must have 1 entries"));
  CHECK_THROWS_WITH(load(R"({"layers":[2,0],"weights":[],"biases":[]})"), Contains("layers[1] = 0"));
  CHECK_THROWS_WITH(load(R"({"layers":[2,1],"weights":[],"biases":[]})"), Contains("list of 1 matrices"));
  CHECK_THROWS_WITH(load(R"({"layers":[2,1],"output":"softmax","weights":[[[1,2]]],"biases":[[0]]})"),
                    Contains("softmax output needs at least 2"));
  CHECK_THROWS_WITH(read_network("no-such-file.json"), Contains("no-such-file.json: cannot open file"));
}

TEST_CASE("data must fit the network", "[io][bad-input]") {
  const Network net = Network::he_init({2, 3, 1}, OutputKind::Identity, 1);
  const Dataset d3 = parse_csv("x0,x1,x2,y0\n1,2,3,4\n", "d.csv");
  CHECK_THROWS_WITH(check_compatible(net, d3, true, "d.csv"), Contains("3 input columns, network expects n0 = 2"));
  const Dataset dx = parse_csv("x0,x1\n1,2\n", "d.csv");
  CHECK_THROWS_WITH(check_compatible(net, dx, true, "d.csv"), Contains("no target columns"));
  CHECK_NOTHROW(check_compatible(net, dx, false, "d.csv"));
  const Dataset dy2 = parse_csv("x0,x1,y0,y1\n1,2,3,4\n", "d.csv");
  CHECK_THROWS_WITH(check_compatible(net, dy2, true, "d.csv"), Contains("2 target columns, network expects nL = 1"));
  const Network soft = Network::he_init({2, 3, 2}, OutputKind::Softmax, 1);
  CHECK_THROWS_WITH(check_compatible(soft, dy2, true, "d.csv"), Contains("targets in [0, 1]"));
  const Dataset half = parse_csv("x0,x1,y0,y1\n1,2,0.5,0.25\n", "d.csv");
  CHECK_THROWS_WITH(check_compatible(soft, half, true, "d.csv"), Contains("do not sum to 1"));
}

TEST_CASE("layer lists and names are validated", "[io][bad-input]") {
  CHECK(parse_layers("2,30,1") == std::vector<int>{2, 30, 1});
  CHECK_THROWS_WITH(parse_layers("2"), Contains("at least 2"));
  CHECK_THROWS_WITH(parse_layers("2,,1"), Contains("bad layer width ''"));
  CHECK_THROWS_WITH(parse_layers("2,-3,1"), Contains("bad layer width '-3'"));
  CHECK_THROWS_WITH(parse_layers("2,99999999,1"), Contains("bad layer width"));
  CHECK_THROWS_WITH(parse_task("mnist"), Contains("unknown task 'mnist'"));
  CHECK_THROWS_WITH(parse_stalk_init("ones"), Contains("unknown stalk init"));
  CHECK_THROWS_WITH(make_task(Task::Paraboloid, 0, 1), Contains("sample count 0"));
}

TEST_CASE("reports are written atomically", "[io]") {
  const std::string path = "test_io_atomic.txt";
  write_text_file(path, "first");
  write_text_file(path, "second");
  CHECK(read_text_file(path) == "second");
  int temporaries = 0;  // no "<path>.<pid>.<n>.tmp" left behind
  for (const auto& e : std::filesystem::directory_iterator("."))
    if (e.path().filename().string().rfind(path + ".", 0) == 0) ++temporaries;
  CHECK(temporaries == 0);
  std::remove(path.c_str());
  CHECK_THROWS_WITH(write_text_file("no-such-dir/x.json", "x"), Contains("cannot open for writing"));
}
