"""torch's Tensor surface on tg.Tensor: legacy constructors, x.type(), and the public attribute
names of torch.Tensor (each missing one listed below with its reason; the list only shrinks)."""
import math

import numpy as np
import pytest
import torch

import tinygrad_ext as tg

# Why each public torch.Tensor name tg lacks is missing. A name that starts to exist must leave the
# list; a missing name that is not listed fails the test.
MISSING = {
    "sparse": "ccol_indices coalesce col_indices crow_indices dense_dim indices is_coalesced resize_as_sparse_ "
              "row_indices smm sparse_dim sparse_mask sparse_resize_ sparse_resize_and_clear_ sspaddmm to_dense "
              "to_sparse to_sparse_bsc to_sparse_bsr to_sparse_coo to_sparse_csc to_sparse_csr values",
    "quantized": "dequantize int_repr q_per_channel_axis q_per_channel_scales q_per_channel_zero_points q_scale "
                 "q_zero_point qscheme",
    "complex": "angle cdouble cfloat chalf conj_physical conj_physical_ imag real",
    "named tensors": "name",
    "nested tensors": "to_padded_tensor",
    "CUDA and other accelerators": "ipu is_ipu is_maia is_mps is_mtia is_vulkan is_xla is_xpu mtia pin_memory "
                                   "record_stream to_mkldnn xpu is_distributed",
    "storage internals": "as_subclass module_load resize resize_as set_ share_memory_ storage "
                         "storage_type untyped_storage",
    "in-place view op not implemented yet (changes a tensor's geometry in C++)":
        "as_strided_",
    "autograd attribute not implemented yet": "grad_dtype output_nr",
    "removed or deprecated in torch (raises or warns there)": "eig lstsq reinforce symeig volatile",
    "op not implemented yet (#13 op breadth)":
        "cholesky cholesky_inverse cholesky_solve det fill_diagonal_ geqrf hash_tensor index inverse "
        "istft logdet lu lu_solve matrix_exp orgqr ormqr pinverse qr slice_inverse slogdet solve stft svd "
        "triangular_solve unsafe_split_with_sizes vdot",
}
# Names of these kinds do not count (issue #13): tg has no such tensors.
NOT_COUNTED = {"sparse", "quantized", "complex", "named tensors", "nested tensors", "CUDA and other accelerators",
               "storage internals"}
# Issue #13 asks for 90%; 93.7% of the counted names exist (the rest are mostly decompositions); raise this floor
# as they arrive, never lower it.
MIN_PRESENT = 0.93


def test_every_missing_tensor_attribute_is_explained():
    public = [n for n in dir(torch.Tensor) if not n.startswith("_")]
    reason = {n: cat for cat, names in MISSING.items() for n in names.split()}
    unexplained = [n for n in public if not hasattr(tg.Tensor, n) and n not in reason]
    assert unexplained == [], "missing without a reason in MISSING"
    now_present = [n for n in reason if hasattr(tg.Tensor, n)]
    assert now_present == [], "present now: remove from MISSING"
    counted = [n for n in public if reason.get(n) not in NOT_COUNTED]
    present = sum(hasattr(tg.Tensor, n) for n in counted)
    assert present / len(counted) >= MIN_PRESENT, (present, len(counted))


@pytest.mark.parametrize("args", [((),), ((2, 3),), ((0,),), (([1, 2.5],),), (([[1, 2], [3, 4]],),),
                                  (((2, 3),),), (([True, False],),), ((np.arange(3),),)])
@pytest.mark.parametrize("kind", ["Tensor", "FloatTensor", "DoubleTensor", "LongTensor", "BoolTensor"])
def test_legacy_constructors(kind, args):
    (a,) = args
    t, g = getattr(torch, kind)(*a), getattr(tg, kind)(*a)
    assert tuple(g.shape) == tuple(t.shape) and str(g.dtype).split(".")[1] == str(t.dtype).split(".")[1]
    if not (len(a) and all(isinstance(v, int) for v in a)):  # sizes give uninitialized memory
        np.testing.assert_array_equal(g.numpy(), t.numpy())
    assert isinstance(g, tg.Tensor) and isinstance(g, getattr(tg, kind))


def test_legacy_constructor_forms_and_errors():
    assert tg.Tensor(tg.Size([2, 3])).shape == (2, 3) and tg.Tensor(size=(4,)).shape == (4,)
    x = tg.ones(3, dtype=tg.int64)
    alias = tg.Tensor(x)  # an alias of any dtype, as torch.Tensor(t)
    assert alias.dtype == tg.int64 and alias.data_ptr() == x.data_ptr()
    for bad in [(2.5,), (None,), ("ab",), (1, -1)]:
        with pytest.raises((TypeError, RuntimeError)):
            torch.Tensor(*bad)
        with pytest.raises((TypeError, RuntimeError)):
            tg.Tensor(*bad)
    with pytest.raises(TypeError):
        tg.FloatTensor(x)  # torch: expected a float tensor
    assert not isinstance(tg.ones(2), tg.LongTensor) and isinstance(tg.nn.Parameter(tg.ones(2)), tg.FloatTensor)


def test_type():
    for dt in ["float32", "float64", "int64", "bool"]:
        t, g = torch.ones(2, dtype=getattr(torch, dt)), tg.ones(2, dtype=getattr(tg, dt))
        assert g.type() == t.type()
        for target in ["torch.FloatTensor", "torch.LongTensor", "torch.BoolTensor", "torch.DoubleTensor"]:
            assert str(g.type(target).dtype)[13:] == str(t.type(target).dtype)[6:]
        assert g.type(tg.float64).dtype == tg.float64 and g.type(tg.LongTensor).dtype == tg.int64
        assert g.type(dtype=tg.bool).dtype == tg.bool
    x = tg.ones(2)
    assert x.type(tg.float32) is x
    with pytest.raises(ValueError):
        x.type("float")
    assert [x.float().dtype, x.double().dtype, x.long().dtype, x.bool().dtype] == [tg.float32, tg.float64, tg.int64, tg.bool]


def _both(fn, data=((1.0, -2.0, 3.0), (4.0, 0.5, -6.0)), dtype="float32"):
    return fn(torch.tensor(data, dtype=getattr(torch, dtype))), fn(tg.tensor(data, dtype=getattr(tg, dtype)))


@pytest.mark.parametrize("fn", [
    lambda x: x.H, lambda x: x.mT, lambda x: x.mH, lambda x: x.adjoint(), lambda x: x.T,
    lambda x: x.softmax(dim=1), lambda x: x.log_softmax(1), lambda x: x.softmax(0, torch.float64 if isinstance(x, torch.Tensor) else tg.float64),
    lambda x: x.clone().relu_(), lambda x: x.clone().sigmoid_(), lambda x: x.clone().tanh_(), lambda x: x.clone().abs_(),
    lambda x: x.clone().neg_(), lambda x: x.clone().exp_(), lambda x: x.abs().log_(), lambda x: x.abs().sqrt_(),
    lambda x: x.clone().eq_(x[0]), lambda x: x.clone().lt_(0.7), lambda x: x.clone().clip_(-1, 1),
    lambda x: x.clone().multiply_(2), lambda x: x.clone().divide_(x), lambda x: x.clone().subtract_(1.5),
    lambda x: x.absolute(), lambda x: x.greater(0), lambda x: x.less_equal(x[1]), lambda x: x.not_equal(3.0),
    lambda x: x.swapdims(0, 1), lambda x: x.ravel(), lambda x: x.t().ravel(), lambda x: x.type_as(x.long()),
    lambda x: x.clone().apply_(lambda v: v * 2 + 1), lambda x: x.clone().map_(x[0], lambda a, b: a - b),
    lambda x: x.clone().map2_(x[0], x[1], lambda a, b, c: a * b + c),
    lambda x: x.new(2, 3).shape, lambda x: x.new([1, 2]), lambda x: x.new_full((2,), 7.0), lambda x: x.new_empty(2, 1).shape,
    lambda x: x.new_tensor([1, 2]),
])
def test_attribute_values_match_torch(fn):
    t, g = _both(fn)
    if isinstance(t, torch.Tensor):
        assert str(g.dtype)[13:] == str(t.dtype)[6:]
        np.testing.assert_allclose(g.numpy(), t.numpy(), rtol=1e-5, atol=1e-6)
    else:
        assert tuple(g) == tuple(t)


@pytest.mark.parametrize("fn", [
    lambda x: x.nbytes, lambda x: x.itemsize, lambda x: x.element_size(), lambda x: x.storage_offset(),
    lambda x: x[1:].storage_offset(), lambda x: x.ndim, lambda x: x.dim_order(), lambda x: x.t().dim_order(),
    lambda x: x.is_signed(), lambda x: x.is_complex(), lambda x: x.is_floating_point(), lambda x: x.is_conj(),
    lambda x: x.is_neg(), lambda x: x.is_inference(), lambda x: x.is_shared(), lambda x: x.is_pinned(),
    lambda x: x.is_quantized, lambda x: x.is_sparse, lambda x: x.is_meta, lambda x: x.is_nested,
    lambda x: x.is_contiguous(), lambda x: x.t().is_contiguous(), lambda x: x.is_leaf, lambda x: x.requires_grad,
    lambda x: x.is_same_size(x[0]), lambda x: x.is_set_to(x), lambda x: x.is_set_to(x.t()),
    lambda x: x[0, 0].is_nonzero(), lambda x: str(x.layout).split(".")[1],
    lambda x: x.data_ptr() == x.const_data_ptr(), lambda x: x[1].data_ptr() - x.data_ptr(),
])
@pytest.mark.parametrize("dtype", ["float32", "float64", "int64", "bool"])
def test_attribute_facts_match_torch(fn, dtype):
    t, g = _both(fn, dtype=dtype)
    assert g == t


def test_memory_format_numpy_force_and_autograd_attributes():
    x = tg.ones(2, 3, requires_grad=True)
    assert x.is_contiguous(memory_format=tg.contiguous_format)
    np.testing.assert_array_equal(x.numpy(force=True), np.ones((2, 3), np.float32))
    with pytest.raises(RuntimeError):
        x.numpy()
    y = (x * 2).sum()
    assert not y.is_leaf and y.grad_fn.next_functions[0][0].name() == "MulBackward0"
    assert x.requires_grad_(False) is x and not x.requires_grad
    with pytest.raises(RuntimeError):
        tg.ones(3).H  # noqa: B018  (1-D: torch raises too)
    with pytest.raises(RuntimeError):
        torch.ones(3).H  # noqa: B018
    assert math.isclose(tg.tensor([0.5]).is_nonzero(), torch.tensor([0.5]).is_nonzero())
