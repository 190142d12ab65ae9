#pragma once
// Partial clamping (sheaf-math.md §6.1 rule 4, §6.3 "Soft pins"): pins on
// chosen coordinates of any stalk, read from a pins file (docs/file-formats.md,
// "Pins"). A hard pin sets coordinates to its values in the initial state and
// again after every step; a soft pin adds gamma (v - target) to the force on
// each of its coordinates, from the old state; a free pin lets inference move
// coordinates of the input a_0 (which the data otherwise pins). The input and,
// in training, the target stay pinned as always.
#include <string>
#include <vector>

#include "sheafsim/reference/network.h"
#include "sheafsim/reference/settings.h"

namespace sheafsim {

enum class PinKind { Hard, Soft, Free };
enum class PinStalk { Z, A, AOut };

struct Pin {
  PinKind kind = PinKind::Hard;
  PinStalk stalk = PinStalk::Z;
  int layer = 1;                // z_l: 1..L; a_l: 0 (free only)..L-1; a_out: L
  std::vector<int> coords;      // "all" expanded
  std::vector<double> values;   // one per coordinate (a scalar expanded); empty for free
  double gamma = 0;             // soft pins: the strength
  int index = 0;                // 1-based position in the file, for messages
  std::string name() const;     // "pin 2 (soft a_1)"
};

// The pins of one stalk, per coordinate (the same for every sample).
struct StalkPins {
  std::vector<double> hard;    // the hard value, NaN where not hard-pinned
  std::vector<double> gamma;   // the summed soft strength (0: none)
  std::vector<double> target;  // the strength-weighted mean of the soft targets
  bool any_hard() const;
  bool any_soft() const;
};

enum class PinUse { Inference, Training };

struct PinSet {
  std::vector<Pin> pins;
  std::vector<StalkPins> z, a;  // z_l at z[l - 1], a_l at a[l - 1] (l = 1..L-1); empty when unpinned
  StalkPins a_out;
  std::vector<int> free_inputs;  // coordinates of a_0 that inference moves
  std::vector<std::string> warnings;  // a hard pin over soft pins on a coordinate
  bool empty() const { return pins.empty(); }
  bool has_free_inputs() const { return !free_inputs.empty(); }
  int soft_coordinates() const;  // pinned coordinates with a soft force (per sample)
  // The largest summed gamma on one soft coordinate (hard-pinned ones excluded; gamma 0
  // without): it adds to the diagonal of the free Laplacian, so to lambda_max (settings.h).
  SoftPull strongest_pull() const;
};

// Parses and checks a pins file's JSON text for a network; throws InputError
// with one line naming the file and the pin (unknown kind or stalk, layer or
// coordinate out of range, values of the wrong length, non-finite values,
// negative gamma, a pin on the input or the training target, not JSON).
PinSet parse_pins(const std::string& text, const std::string& origin, const std::vector<int>& layers,
                  OutputKind output, PinUse use);
PinSet read_pins(const std::string& path, const Network& net, PinUse use);

}  // namespace sheafsim
