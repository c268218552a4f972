// Exposes the threading cost model (how many threads a loop of a given size gets), the detected
// cache sizes and the GEMM blocks; tests check the choices without timing anything.
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <stdexcept>
#include <string>
#include <vector>

#include "ops/gather_rows.h"
#include "tg/cpu_caches.h"
#include "tg/gemm.h"
#include "tg/parallel.h"

namespace py = pybind11;

namespace {

int64_t size_at(const std::vector<int64_t>& sizes, size_t i, const std::string& kind) {
  if (i >= sizes.size())
    throw py::value_error("_planned_threads('" + kind + "'): expected " + std::to_string(i + 1) +
                          " sizes, got " + std::to_string(sizes.size()));
  return sizes[i];
}

// Threads the loop of `kind` gets for `sizes` under the current setting.
int planned_threads(const std::string& kind, const std::vector<int64_t>& sizes, bool f64) {
  auto at = [&](size_t i) { return size_at(sizes, i, kind); };
  if (kind == "elementwise" || kind == "optimizer") return tg::plan_threads(at(0), tg::kGrainSize);
  if (kind == "reduce_rows") return tg::plan_threads(at(0), tg::rows_grain(at(1)));
  if (kind == "gather") return tg::copy_rows_threads(at(0), at(1));
  if (kind == "gemm") return tg::kernels::gemm_threads(f64, at(0), at(1), at(2));
  if (kind == "bmm") return tg::kernels::gemm_batch_threads(f64, at(0), at(1), at(2), at(3));
  throw py::value_error("_planned_threads: unknown kind '" + kind +
                        "' (elementwise, optimizer, reduce_rows, gather, gemm, bmm)");
}

}  // namespace

void bind_parallel(py::module_& m) {
  m.def("_planned_threads", &planned_threads, py::arg("kind"), py::arg("sizes"), py::arg("f64") = false,
        "Threads a parallel loop gets: 'elementwise' / 'optimizer' [n], 'reduce_rows' [rows, row_len], "
        "'gather' [rows, row_elems], 'gemm' [M, N, K], 'bmm' [batch, M, N, K] (batch split when > 1).");
  m.def("_hardware_threads", &tg::hardware_threads, "CPUs this process may run on.");
  m.def("_set_allow_oversubscription", &tg::set_allow_oversubscription, py::arg("allow"),
        "Lets loops use more threads than CPUs (tests run 7-thread partitions on small machines).");
  m.def("_cache_sizes", [] {
    const tg::CacheSizes& c = tg::cache_sizes();
    py::dict d;
    d["l1d"] = c.l1d, d["l2"] = c.l2, d["l3"] = c.l3, d["l3_sharing"] = c.l3_sharing;
    d["source"] = std::string(c.source);
    return d;
  });
  m.def("_gemm_blocks", [](bool f64) {
    tg::kernels::GemmBlocks b = tg::kernels::gemm_blocks(f64);
    return py::make_tuple(b.mc, b.kc, b.nc);
  }, py::arg("f64") = false, "(mc, kc, nc) of the GEMM for float32 (float64 with f64=True).");
}
