"""nn.functional.embedding's options, embedding_bag, bilinear, normalize (python/tinygrad_ext/nn/
_embedding_functional.py) and tg.linalg's vecdot, vander, matrix_power, against torch with float64
gradchecks."""
import numpy as np
import pytest
import torch
import torch.nn.functional as TF

import tinygrad_ext as tg
from helpers import Input, compare, gradcheck_inputs

F = tg.nn.functional
rng = np.random.default_rng(0)


def rand(*shape):
    return rng.standard_normal(shape)


def idx(*values):
    return Input(np.array(values, dtype=np.int64), requires_grad=False)


@pytest.mark.parametrize("kwargs", [{}, {"padding_idx": 2}, {"padding_idx": -1}, {"scale_grad_by_freq": True},
                                    {"max_norm": 1.0}, {"max_norm": 0.5, "norm_type": 1.0}, {"sparse": True}])
def test_embedding_options(kwargs):
    i = Input(np.array([[0, 2, 2], [4, 1, 2]]), requires_grad=False)
    # max_norm rewrites weight in place: both libraries start from the same copy
    compare(lambda w, x: F.embedding(x, w * 1, **kwargs), lambda w, x: TF.embedding(x, w * 1, **kwargs), rand(5, 3), i,
            check_grad=not kwargs.get("sparse"))  # torch gives a sparse gradient there


@pytest.mark.parametrize("mode", ["sum", "mean", "max"])
def test_embedding_bag_modes(mode):
    w = rand(6, 3)
    flat, offsets = idx(1, 2, 4, 5, 4, 3, 2, 0), idx(0, 3, 3, 6)
    compare(lambda a, x, o: F.embedding_bag(x, a, o, mode=mode),
            lambda a, x, o: TF.embedding_bag(x, a, o, mode=mode), w, flat, offsets)
    rows = Input(np.array([[1, 2, 0], [3, 3, 5]]), requires_grad=False)
    compare(lambda a, x: F.embedding_bag(x, a, mode=mode, padding_idx=3),
            lambda a, x: TF.embedding_bag(x, a, mode=mode, padding_idx=3), w, rows)
    ends = idx(0, 3, 3, 8)  # include_last_offset: the last offset closes the last bag
    compare(lambda a, x, o: F.embedding_bag(x, a, o, mode=mode, include_last_offset=True),
            lambda a, x, o: TF.embedding_bag(x, a, o, mode=mode, include_last_offset=True), w, flat, ends)


def test_embedding_bag_per_sample_weights_and_gradcheck():
    w, flat, offsets = rand(6, 3), idx(1, 2, 4, 5, 4), idx(0, 2)
    psw = rand(5)
    compare(lambda a, x, o, p: F.embedding_bag(x, a, o, mode="sum", per_sample_weights=p),
            lambda a, x, o, p: TF.embedding_bag(x, a, o, mode="sum", per_sample_weights=p), w, flat, offsets, psw)
    i, o = tg.tensor([1, 2, 4, 5, 4]), tg.tensor([0, 2])
    gradcheck_inputs(lambda a, p: F.embedding_bag(i, a, o, mode="sum", per_sample_weights=p), Input(w), Input(psw))
    with pytest.raises(NotImplementedError):
        F.embedding_bag(i, tg.tensor(w), o, mode="max", per_sample_weights=tg.tensor(psw))


@pytest.mark.parametrize("dtype", ["float16", "bfloat16"])
@pytest.mark.parametrize("case", ["sum", "mean", "weighted", "padding", "strided"])
def test_embedding_bag_reduced_float_bit_exact(dtype, case):
    """16-bit bags equal torch's bit for bit: sums in float32 in index order, rounded once (bfloat16:
    halfway cases away from zero on FBGEMM's path, to nearest even with padding_idx or strided rows),
    a mean divides the rounded sum in the dtype. Many random bags, so ties and carries occur."""
    g = torch.Generator().manual_seed(5)
    td = getattr(torch, dtype)
    w = (torch.randn(30, 40, generator=g) * 3).to(td)
    if case == "strided":
        w = (torch.randn(40, 30, generator=g) * 3).to(td).t()
    i = torch.randint(0, 30, (200,), generator=g)
    offsets = torch.sort(torch.randint(0, 200, (24,), generator=g)).values
    offsets[0] = 0
    kw = {"mode": "mean" if case == "mean" else "sum"}
    if case == "weighted":
        kw["per_sample_weights"] = torch.randn(200, generator=g).to(td)
    if case == "padding":
        kw["padding_idx"] = 3
    want = TF.embedding_bag(i, w, offsets, **kw)
    tkw = {k: tg.tensor(v.float().numpy()).to(getattr(tg, dtype)) if torch.is_tensor(v) else v for k, v in kw.items()}
    tw = tg.tensor(w.float().numpy()).to(getattr(tg, dtype))
    if case == "strided":
        tw = tg.tensor(w.t().float().numpy()).to(getattr(tg, dtype)).t()
    got = F.embedding_bag(tg.tensor(i.numpy()), tw, tg.tensor(offsets.numpy()), **tkw)
    assert got.dtype == getattr(tg, dtype)
    assert torch.equal(torch.tensor(got.float().numpy()), want.float())


def test_bilinear_and_normalize():
    compare(lambda a, b, w, c: F.bilinear(a, b, w, c), lambda a, b, w, c: TF.bilinear(a, b, w, c),
            rand(2, 3, 4), rand(2, 3, 5), rand(6, 4, 5), rand(6))
    gradcheck_inputs(lambda a, b, w: F.bilinear(a, b, w), Input(rand(3, 2)), Input(rand(3, 4)), Input(rand(2, 2, 4)))
    for p in (0.0, 1.0, 2.0, 0.5, float("inf")):
        compare(lambda a: F.normalize(a, p=p, dim=1), lambda a: TF.normalize(a, p=p, dim=1), rand(3, 4))


def test_linalg_vecdot_vander_matrix_power():
    compare(lambda a, b: tg.linalg.vecdot(a, b, dim=0), lambda a, b: torch.linalg.vecdot(a, b, dim=0),
            rand(4, 3), rand(4, 1))
    compare(lambda a: tg.linalg.vander(a, N=4), lambda a: torch.linalg.vander(a, N=4), rand(2, 3))
    ints = Input(np.array([1, 2, 3]), requires_grad=False)
    compare(lambda a: tg.linalg.vander(a), lambda a: torch.linalg.vander(a), ints)
    for n in (0, 1, 2, 5):
        compare(lambda a: tg.linalg.matrix_power(a, n), lambda a: torch.linalg.matrix_power(a, n), rand(2, 3, 3))
    gradcheck_inputs(lambda a: tg.linalg.matrix_power(a, 3), Input(rand(3, 3)))
    with pytest.raises(RuntimeError, match="square matrices"):
        tg.linalg.matrix_power(tg.tensor(rand(2, 3)), 2)
