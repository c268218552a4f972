// Exposes the CPU level the kernels run at (tests check that TG_CPU_LEVEL took effect).
#include <pybind11/pybind11.h>

#include "tg/cpu_features.h"

namespace py = pybind11;

void bind_simd(py::module_& m) {
  m.def("_cpu_level", [] { return std::string(tg::cpu_level_name(tg::cpu_level())); },
        "The SIMD level kernels use: 'baseline', 'avx2' or 'avx512' (lowered by TG_CPU_LEVEL).");
}
