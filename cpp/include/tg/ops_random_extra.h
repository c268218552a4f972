// More random ops (cpp/src/ops/random_extra.cpp): in-place fills from the exponential, geometric,
// Cauchy, log-normal, discrete uniform and Bernoulli distributions, bernoulli and multinomial.
#pragma once
#include <optional>

#include "tg/ops.h"

namespace tg {

void exponential_(const Tensor& t, double lambd, Generator* gen);
void geometric_(const Tensor& t, double p, Generator* gen);
void cauchy_(const Tensor& t, double median, double sigma, Generator* gen);
void log_normal_(const Tensor& t, double mean, double std, Generator* gen);
void random_(const Tensor& t, int64_t from, std::optional<int64_t> to, Generator* gen);
void bernoulli_(const Tensor& t, double p, Generator* gen);
void bernoulli_(const Tensor& t, const Tensor& p, Generator* gen);
Tensor bernoulli(const Tensor& probs, Generator* gen);
Tensor multinomial(const Tensor& probs, int64_t num_samples, bool replacement, Generator* gen);

}  // namespace tg
