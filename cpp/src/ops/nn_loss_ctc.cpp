// CTC loss (Graves et al. 2006): per sequence, the negative log-likelihood of a target under all
// alignments of the input frames, by the forward (alpha) recursion in log space; the backward pass
// runs the beta recursion and returns torch's gradient convention (see ctc_grad).
#include <algorithm>
#include <cmath>
#include <limits>

#include "tg/nn_ctc.h"
#include "tg/parallel.h"

namespace tg::nn {
namespace {

// The sizes, the lengths, and where sequence b's targets start in the contiguous targets (2-D padded
// rows or 1-D concatenated).
struct CtcLayout {
  int64_t T = 0, N = 0, C = 0, S = 0;  // frames, batch, classes, longest target
  std::vector<int64_t> il, tl, offset;
};

// The extended label l'(s): blank at even s, target (s - 1) / 2 at odd s.
inline int64_t label_at(const int64_t* tgt, int64_t s, int64_t blank) {
  return s % 2 == 0 ? blank : tgt[s / 2];
}

// log(exp(a) + exp(b) + exp(c)) with the largest factored out (all -inf gives -inf).
template <typename T>
T log_add3(T a, T b, T c) {
  const T ninf = -std::numeric_limits<T>::infinity();
  T m = std::max(a, std::max(b, c));
  if (m == ninf) m = 0;
  return std::log(std::exp(a - m) + std::exp(b - m) + std::exp(c - m)) + m;
}

CtcLayout ctc_layout(const Tensor& lp, const Tensor& targets, const std::vector<int64_t>& il,
                     const std::vector<int64_t>& tl, int64_t blank) {
  const char* op = "ctc_loss";
  TG_CHECK(lp->dim() == 3, RuntimeError, "Expected 3-dimensional tensor, but got ", lp->dim(),
           "-dimensional tensor for argument #1 'log_probs' (while checking arguments for ", op, ")");
  if (lp->dtype != DType::Float32 && lp->dtype != DType::Float64) throw_not_implemented("ctc_loss_cpu", lp->dtype);
  CtcLayout L;
  L.T = lp->shape[0], L.N = lp->shape[1], L.C = lp->shape[2];
  TG_CHECK(blank >= 0 && blank < L.C, RuntimeError, "blank must be in label range");
  TG_CHECK(static_cast<int64_t>(il.size()) == L.N, RuntimeError, "input_lengths must be of size batch_size");
  TG_CHECK(static_cast<int64_t>(tl.size()) == L.N, RuntimeError, "target_lengths must be of size batch_size");
  TG_CHECK(targets->dim() == 1 || targets->dim() == 2, RuntimeError, "Expected 1 to 2 dimensions, but got ",
           targets->dim(), "-dimensional tensor for argument #2 'targets' (while checking arguments for ", op, ")");
  for (int64_t b = 0; b < L.N; ++b)
    TG_CHECK(tl[b] >= 0, RuntimeError, "Expected target_lengths to have value at least 0, but got value ", tl[b],
             " (while checking arguments for ", op, ")");
  L.il = il, L.tl = tl, L.offset.assign(L.N, 0);
  if (targets->dim() == 1) {
    int64_t pos = 0;
    for (int64_t b = 0; b < L.N; ++b) L.offset[b] = pos, pos += tl[b];
    TG_CHECK(targets->shape[0] == pos, RuntimeError, "Expected tensor to have size ", pos,
             " at dimension 0, but got size ", targets->shape[0], " for argument #2 'targets' (while checking arguments for ",
             op, ")");
  } else {
    TG_CHECK(targets->shape[0] == L.N, RuntimeError, "Expected tensor to have size ", L.N,
             " at dimension 0, but got size ", targets->shape[0], " for argument #2 'targets' (while checking arguments for ",
             op, ")");
    for (int64_t b = 0; b < L.N; ++b) L.offset[b] = b * targets->shape[1];
    int64_t longest = L.N ? *std::max_element(tl.begin(), tl.end()) : 0;
    TG_CHECK(longest <= targets->shape[1], RuntimeError, "Expected tensor to have size at least ", longest,
             " at dimension 1, but got size ", targets->shape[1], " for argument #2 'targets' (while checking arguments for ",
             op, ")");
  }
  for (int64_t b = 0; b < L.N; ++b) {
    TG_CHECK(il[b] >= 0, RuntimeError, "Expected input_lengths to have value at least 0, but got value ", il[b],
             " (while checking arguments for ", op, ")");
    TG_CHECK(il[b] <= L.T, RuntimeError, "Expected input_lengths to have value at most ", L.T, ", but got value ",
             il[b], " (while checking arguments for ", op, ")");
  }
  L.S = L.N ? *std::max_element(tl.begin(), tl.end()) : 0;
  return L;
}

// alpha[b][t][s] for t < il[b], s <= 2 tl[b] (the rest -inf); returns nll[b] = -log p(target | input).
template <typename T>
void ctc_alpha(const T* lp, const int64_t* tgt, const CtcLayout& L, int64_t blank, T* alpha, T* nll) {
  const T ninf = -std::numeric_limits<T>::infinity();
  int64_t width = 2 * L.S + 1;
  parallel_for(L.N, 1, [&](int64_t b0, int64_t b1) {
    for (int64_t b = b0; b < b1; ++b) {
      const int64_t* tb = tgt + L.offset[b];
      int64_t n = L.il[b], m = L.tl[b], ext = 2 * m + 1;
      T* a = alpha + b * L.T * width;
      std::fill(a, a + L.T * width, ninf);
      auto lpt = [&](int64_t t, int64_t c) { return lp[(t * L.N + b) * L.C + c]; };
      if (n == 0) {  // no frames: only the empty target has an alignment
        nll[b] = m == 0 ? T(-0.0) : std::numeric_limits<T>::infinity();
        continue;
      }
      a[0] = lpt(0, blank);
      if (m > 0) a[1] = lpt(0, label_at(tb, 1, blank));
      for (int64_t t = 1; t < n; ++t) {
        T* prev = a + (t - 1) * width;
        T* cur = a + t * width;
        for (int64_t s = 0; s < ext; ++s) {
          int64_t l = label_at(tb, s, blank);
          // stay on s, advance from s - 1, or skip a blank from s - 2 between two different labels
          T a2 = s > 0 ? prev[s - 1] : ninf;
          T a3 = s > 1 && label_at(tb, s - 2, blank) != l ? prev[s - 2] : ninf;
          cur[s] = log_add3(prev[s], a2, a3) + lpt(t, l);
        }
      }
      const T* last = a + (n - 1) * width;
      nll[b] = -log_add3(last[2 * m], m > 0 ? last[2 * m - 1] : ninf, ninf);
    }
  });
}

// torch's gradient with respect to log_probs: for t < il[b],
//   grad[t, b, c] = g[b] (exp(lp[t, b, c]) - exp(log(sum_{s: l'(s) = c} alpha beta) + nll - lp[t, b, c])),
// the gradient with respect to the logits when log_probs = log_softmax(logits) (the exp(lp) term
// vanishes through log_softmax's backward); 0 for t >= il[b], and for the whole sequence when
// zero_infinity and its loss is infinite.
template <typename T>
void ctc_grad(const T* lp, const int64_t* tgt, const CtcLayout& L, int64_t blank, const T* alpha, const T* nll,
              const T* g, bool zero_infinity, T* grad) {
  const T ninf = -std::numeric_limits<T>::infinity();
  int64_t width = 2 * L.S + 1;
  parallel_for(L.N, 1, [&](int64_t b0, int64_t b1) {
    std::vector<T> beta(L.T * width), lcab(L.T * L.C);
    for (int64_t b = b0; b < b1; ++b) {
      const int64_t* tb = tgt + L.offset[b];
      int64_t n = L.il[b], m = L.tl[b], ext = 2 * m + 1;
      const T* a = alpha + b * L.T * width;
      auto at = [&](int64_t t, int64_t c) { return (t * L.N + b) * L.C + c; };
      for (int64_t t = 0; t < L.T; ++t)
        for (int64_t c = 0; c < L.C; ++c) grad[at(t, c)] = 0;
      if (n == 0 || (zero_infinity && nll[b] == std::numeric_limits<T>::infinity())) continue;
      std::fill(beta.begin(), beta.end(), ninf);
      std::fill(lcab.begin(), lcab.end(), ninf);
      // lcab[t][c] = log sum over s with l'(s) = c of alpha[t][s] beta[t][s]
      auto accumulate = [&](int64_t t, int64_t s, int64_t l) {
        T ab = a[t * width + s] + beta[t * width + s];
        T& acc = lcab[t * L.C + l];
        acc = acc == ninf ? ab : log_add3(acc, ab, ninf);
      };
      T* last = beta.data() + (n - 1) * width;
      last[2 * m] = lp[at(n - 1, blank)];
      accumulate(n - 1, 2 * m, blank);
      if (m > 0) {
        int64_t l = label_at(tb, 2 * m - 1, blank);
        last[2 * m - 1] = lp[at(n - 1, l)];
        accumulate(n - 1, 2 * m - 1, l);
      }
      for (int64_t t = n - 2; t >= 0; --t) {
        const T* next = beta.data() + (t + 1) * width;
        T* cur = beta.data() + t * width;
        for (int64_t s = ext - 1; s >= 0; --s) {
          int64_t l = label_at(tb, s, blank);
          T b2 = s < 2 * m ? next[s + 1] : ninf;
          T b3 = s < 2 * m - 1 && label_at(tb, s + 2, blank) != l ? next[s + 2] : ninf;
          cur[s] = log_add3(next[s], b2, b3) + lp[at(t, l)];
          accumulate(t, s, l);
        }
      }
      for (int64_t t = 0; t < n; ++t)
        for (int64_t c = 0; c < L.C; ++c) {
          T v = lp[at(t, c)];
          grad[at(t, c)] = (std::exp(v) - std::exp(lcab[t * L.C + c] + nll[b] - v)) * g[b];
        }
    }
  });
}

}  // namespace

Tensor ctc_loss(const Tensor& log_probs, const Tensor& targets, const std::vector<int64_t>& input_lengths,
                const std::vector<int64_t>& target_lengths, int64_t blank, bool zero_infinity) {
  check_same_device("ctc_loss", log_probs, targets);
  CtcLayout L = ctc_layout(log_probs, targets, input_lengths, target_lengths, blank);
  Tensor lp = contiguous(detach(log_probs));
  Tensor tgt = contiguous(to_dtype(detach(targets), DType::Int64));
  const int64_t* ts = tgt->data<int64_t>();
  for (int64_t b = 0; b < L.N; ++b)
    for (int64_t k = 0; k < L.tl[b]; ++k) {
      int64_t v = ts[L.offset[b] + k];
      TG_CHECK(v >= 0 && v < L.C, IndexError, "ctc_loss: target ", v, " of sequence ", b,
               " is out of range for ", L.C, " classes (log_probs of shape ", shape_str(log_probs->shape), ")");
    }
  Tensor alpha = empty({L.N, L.T, 2 * L.S + 1}, lp->dtype);
  Tensor nll = empty({L.N}, lp->dtype);
  dispatch_floating(lp->dtype, "ctc_loss", [&](auto z) {
    using T = decltype(z);
    ctc_alpha<T>(lp->data<T>(), ts, L, blank, alpha->data<T>(), nll->data<T>());
  });
  // the loss returned: an infinite loss (no alignment) is 0 with zero_infinity
  Tensor out = clone(nll);
  if (zero_infinity)
    dispatch_floating(lp->dtype, "ctc_loss", [&](auto z) {
      using T = decltype(z);
      T* o = out->data<T>();
      for (int64_t b = 0; b < L.N; ++b)
        if (o[b] == std::numeric_limits<T>::infinity()) o[b] = 0;
    });
  record("CtcLossBackward0", {log_probs}, {out}, [&] {
    return [slp = save(log_probs), tgt, alpha, nll, L, blank, zero_infinity](const Grads& g) -> Grads {
      Tensor x = contiguous(slp.get());
      Tensor gout = contiguous(to_dtype(g[0], x->dtype));
      Tensor grad = empty(x->shape, x->dtype);
      dispatch_floating(x->dtype, "ctc_loss_backward", [&](auto z) {
        using T = decltype(z);
        ctc_grad<T>(x->data<T>(), tgt->data<int64_t>(), L, blank, alpha->data<T>(), nll->data<T>(),
                    gout->data<T>(), zero_infinity, grad->data<T>());
      });
      return {grad};
    };
  });
  return out;
}

}  // namespace tg::nn
