// Prints the machine's single-core float32 peak as JSON: clock (dependent-add chain), the widest
// FMA and its measured throughput, and the peak = f32 lanes x 2 flops x FMA units x clock, with
// the FMA units per core rounded from the measured flops/cycle. benchmarks/run.py compiles and
// runs this:  c++ -O2 -std=c++17 benchmarks/peak.cpp -o peak
#include <cmath>
#include <cstdio>

#include "peak.h"

int main() {
  const double ghz = peak::measure_clock_ghz();
  const peak::FmaPeak f = peak::measure_fma(ghz);
  // FMA units per core: measured flops/cycle over (lanes x 2 flops), at least one.
  const double units = std::max(1.0, std::round(f.flops_per_cycle / (2.0 * f.lanes)));
  std::printf(
      "{\"clock_ghz\": %.3f, \"isa\": \"%s\", \"f32_lanes\": %d, \"fma_units\": %.0f, "
      "\"measured_flops_per_cycle\": %.2f, \"peak_f32_gflops_per_core\": %.1f}\n",
      ghz, f.isa, f.lanes, units, f.flops_per_cycle, f.lanes * 2 * units * ghz);
  return 0;
}
