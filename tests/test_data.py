# Tests for tg.utils.data: datasets, samplers, collate and the DataLoader (compared with torch's).
import collections

import numpy as np
import pytest
import torch
import torch.utils.data as tud

import tinygrad_ext as tg
from tinygrad_ext.utils import data as tgd


def _np(t):
    return t.numpy() if isinstance(t, tg.Tensor) else np.asarray(t)


def _xy(n=100, d=3):
    x = np.arange(n * d, dtype=np.float32).reshape(n, d)
    y = np.arange(n, dtype=np.int64)
    return x, y


def _tg_ds(n=100, d=3):
    x, y = _xy(n, d)
    return tgd.TensorDataset(tg.from_numpy(x), tg.from_numpy(y))


def _torch_ds(n=100, d=3):
    x, y = _xy(n, d)
    return tud.TensorDataset(torch.from_numpy(x), torch.from_numpy(y))


class PlainDataset(tgd.Dataset):
    """A map-style dataset without the fast path (samples built in Python)."""

    def __init__(self, n):
        self.n = n

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        return tg.tensor([float(i), 2.0 * i]), i


def _labels(loader):
    return [_np(y).tolist() for _, y in loader]


# ---- datasets ----

def test_tensor_dataset_items_and_length_mismatch():
    ds = _tg_ds(10, 2)
    assert len(ds) == 10
    x, y = ds[3]
    assert x.tolist() == [6.0, 7.0] and y.item() == 3
    with pytest.raises(ValueError, match="Size mismatch"):
        tgd.TensorDataset(tg.zeros(3, 2), tg.zeros(4))
    # torch raises AssertionError; ours is both a ValueError and an AssertionError
    with pytest.raises(AssertionError):
        tgd.TensorDataset(tg.zeros(3, 2), tg.zeros(4))
    with pytest.raises(AssertionError):
        tud.TensorDataset(torch.zeros(3, 2), torch.zeros(4))


def test_subset_concat_and_add():
    ds = _tg_ds(10, 2)
    sub = tgd.Subset(ds, [7, 2, 5])
    assert len(sub) == 3 and sub[0][1].item() == 7
    cat = tgd.ConcatDataset([ds, sub])
    assert len(cat) == 13 and cat[10][1].item() == 7 and cat[-1][1].item() == 5
    assert cat.cumulative_sizes == [10, 13]
    with pytest.raises(IndexError):
        cat[13]
    assert len(ds + sub) == 13


@pytest.mark.parametrize("lengths", [[3, 7], [0.3, 0.7], [0.25, 0.25, 0.5], [0.34, 0.33, 0.33]])
def test_random_split_lengths_match_torch(lengths):
    n = 10
    ours = tgd.random_split(_tg_ds(n), lengths, generator=tg.Generator().manual_seed(0))
    theirs = tud.random_split(_torch_ds(n), lengths, generator=torch.Generator().manual_seed(0))
    assert [len(s) for s in ours] == [len(s) for s in theirs]
    seen = sorted(i for s in ours for i in s.indices)
    assert seen == list(range(n))


def test_random_split_errors_and_reproducible():
    with pytest.raises(ValueError, match="Sum of input lengths"):
        tgd.random_split(_tg_ds(10), [3, 3])
    a = tgd.random_split(_tg_ds(10), [5, 5], generator=tg.Generator().manual_seed(3))
    b = tgd.random_split(_tg_ds(10), [5, 5], generator=tg.Generator().manual_seed(3))
    assert a[0].indices == b[0].indices


# ---- samplers ----

def test_batch_sampler_matches_torch():
    for bs, drop in [(3, False), (3, True), (5, False), (20, False), (20, True)]:
        ours = list(tgd.BatchSampler(tgd.SequentialSampler(range(10)), bs, drop))
        theirs = list(tud.BatchSampler(tud.SequentialSampler(range(10)), bs, drop))
        assert ours == theirs
        assert len(tgd.BatchSampler(range(10), bs, drop)) == len(tud.BatchSampler(range(10), bs, drop))
    with pytest.raises(ValueError, match="batch_size should be a positive integer"):
        tgd.BatchSampler(range(10), 0, False)


def test_random_sampler_permutation_and_replacement():
    tg.manual_seed(0)
    perm = list(tgd.RandomSampler(range(20)))
    assert sorted(perm) == list(range(20)) and perm != list(range(20))
    draws = list(tgd.RandomSampler(range(5), replacement=True, num_samples=50))
    assert len(draws) == 50 and set(draws) <= set(range(5))
    more = list(tgd.RandomSampler(range(5), num_samples=12))  # more than n without replacement
    assert len(more) == 12 and sorted(more[:5]) == list(range(5)) and sorted(more[5:10]) == list(range(5))
    with pytest.raises(ValueError, match="num_samples should be a positive integer"):
        tgd.RandomSampler(range(5), num_samples=0)


# ---- DataLoader ----

@pytest.mark.parametrize("n,bs,drop", [(100, 32, False), (100, 32, True), (96, 32, False),
                                       (5, 10, False), (5, 10, True)])
def test_loader_batch_shapes_and_len_match_torch(n, bs, drop):
    ours = tgd.DataLoader(_tg_ds(n), batch_size=bs, drop_last=drop)
    theirs = tud.DataLoader(_torch_ds(n), batch_size=bs, drop_last=drop)
    assert len(ours) == len(theirs)
    ob, tb = list(ours), list(theirs)
    assert len(ob) == len(tb)
    for (ox, oy), (tx, ty) in zip(ob, tb):
        assert tuple(ox.shape) == tuple(tx.shape) and tuple(oy.shape) == tuple(ty.shape)
        np.testing.assert_array_equal(_np(ox), tx.numpy())
        np.testing.assert_array_equal(_np(oy), ty.numpy())
        assert str(ox.dtype).split(".")[-1] == "float32" and str(oy.dtype).split(".")[-1] == "int64"
    # a tuple sample collates to a list, as in torch
    if ob:
        assert type(ob[0]) is type(tb[0]) is list


def test_shuffle_covers_every_sample_once_per_epoch():
    loader = tgd.DataLoader(_tg_ds(103), batch_size=10, shuffle=True)
    first = [i for b in _labels(loader) for i in b]
    second = [i for b in _labels(loader) for i in b]
    assert sorted(first) == sorted(second) == list(range(103))
    assert first != second and first != list(range(103))
    # the rows stay aligned with their labels
    for x, y in loader:
        np.testing.assert_array_equal(_np(x)[:, 0], _np(y) * 3)


def test_shuffle_reproducible_with_seed_and_generator():
    ds = _tg_ds(50)
    tg.manual_seed(123)
    a = _labels(tgd.DataLoader(ds, batch_size=8, shuffle=True))
    tg.manual_seed(123)
    b = _labels(tgd.DataLoader(ds, batch_size=8, shuffle=True))
    tg.manual_seed(124)
    c = _labels(tgd.DataLoader(ds, batch_size=8, shuffle=True))
    assert a == b and a != c
    g1, g2 = tg.Generator(), tg.Generator()
    g1.manual_seed(7)
    g2.manual_seed(7)
    d = _labels(tgd.DataLoader(ds, batch_size=8, shuffle=True, generator=g1))
    e = _labels(tgd.DataLoader(ds, batch_size=8, shuffle=True, generator=g2))
    assert d == e


def test_fast_path_equals_sample_by_sample_path():
    ds = _tg_ds(70)
    slow = lambda samples: tgd.default_collate(samples)  # a custom collate disables the fast path
    tg.manual_seed(5)
    fast_batches = list(tgd.DataLoader(ds, batch_size=16, shuffle=True))
    tg.manual_seed(5)
    slow_batches = list(tgd.DataLoader(ds, batch_size=16, shuffle=True, collate_fn=slow))
    assert len(fast_batches) == len(slow_batches) == 5
    for (fx, fy), (sx, sy) in zip(fast_batches, slow_batches):
        np.testing.assert_array_equal(_np(fx), _np(sx))
        np.testing.assert_array_equal(_np(fy), _np(sy))


@pytest.mark.parametrize("make", [lambda: _tg_ds(77), lambda: PlainDataset(77)])
def test_workers_give_the_same_batches_as_main_thread(make):
    ds = make()
    tg.manual_seed(11)
    a = list(tgd.DataLoader(ds, batch_size=8, shuffle=True, num_workers=0))
    tg.manual_seed(11)
    b = list(tgd.DataLoader(ds, batch_size=8, shuffle=True, num_workers=2))
    assert len(a) == len(b) == 10
    for (ax, ay), (bx, by) in zip(a, b):
        np.testing.assert_array_equal(_np(ax), _np(bx))
        np.testing.assert_array_equal(_np(ay), _np(by))


def test_workers_early_break_and_worker_info():
    seen = []

    class Recording(PlainDataset):
        def __getitem__(self, i):
            info = tgd.get_worker_info()
            seen.append(None if info is None else (info.id, info.num_workers))
            return super().__getitem__(i)

    loader = tgd.DataLoader(Recording(40), batch_size=4, num_workers=2)
    for k, _ in enumerate(loader):
        if k == 2:
            break
    assert seen and all(s is not None and s[1] == 2 and s[0] in (0, 1) for s in seen)
    assert tgd.get_worker_info() is None
    seen.clear()
    list(tgd.DataLoader(Recording(4), batch_size=2))
    assert seen == [None] * 4


def test_default_collate_nested_structures_like_torch():
    Point = collections.namedtuple("Point", "x y")

    def sample(lib, i):
        t = lib.tensor([float(i), float(i + 1)])
        return {"t": t, "pair": (i, float(i) / 2), "arr": np.full((2, 2), i, dtype=np.float64),
                "name": f"s{i}", "pt": Point(i, [i, i + 1]), "flag": i % 2 == 0}

    ours = tgd.default_collate([sample(tg, i) for i in range(3)])
    theirs = tud.default_collate([sample(torch, i) for i in range(3)])

    def compare(o, t):
        if isinstance(t, torch.Tensor):
            assert isinstance(o, tg.Tensor)
            assert tuple(o.shape) == tuple(t.shape)
            assert str(o.dtype).split(".")[-1] == str(t.dtype).split(".")[-1]
            np.testing.assert_array_equal(_np(o), t.numpy())
        elif isinstance(t, dict):
            assert type(o) is type(t) and o.keys() == t.keys()
            for k in t:
                compare(o[k], t[k])
        elif isinstance(t, (list, tuple)):
            assert type(o) is type(t) and len(o) == len(t)
            for a, b in zip(o, t):
                compare(a, b)
        else:
            assert o == t

    compare(ours, theirs)
    with pytest.raises(RuntimeError, match="equal size"):
        tgd.default_collate([[1, 2], [3]])
    with pytest.raises(TypeError, match="default_collate"):
        tgd.default_collate([object(), object()])


def test_loader_argument_errors_like_torch():
    ds = _tg_ds(10)
    with pytest.raises(ValueError, match="mutually exclusive with shuffle"):
        tgd.DataLoader(ds, sampler=tgd.SequentialSampler(ds), shuffle=True)
    with pytest.raises(ValueError, match="batch_sampler option is mutually exclusive"):
        tgd.DataLoader(ds, batch_size=4, batch_sampler=tgd.BatchSampler(range(10), 2, False))
    with pytest.raises(ValueError, match="num_workers option should be non-negative"):
        tgd.DataLoader(ds, num_workers=-1)
    with pytest.raises(ValueError, match="drop_last"):
        tgd.DataLoader(ds, batch_size=None, drop_last=True)


def test_custom_batch_sampler_and_no_auto_batching():
    ds = _tg_ds(10, 2)
    loader = tgd.DataLoader(ds, batch_sampler=[[0, 9], [4, 5, 6]])
    got = _labels(loader)
    assert got == [[0, 9], [4, 5, 6]] and len(loader) == 2
    single = list(tgd.DataLoader(ds, batch_size=None))
    assert len(single) == 10 and tuple(single[0][0].shape) == (2,)
    theirs = list(tud.DataLoader(_torch_ds(10, 2), batch_size=None))
    assert type(single[0]) is type(theirs[0])


def test_subset_through_loader_uses_parent_rows():
    ds = _tg_ds(20)
    sub = tgd.Subset(ds, list(range(19, -1, -2)))
    got = [i for b in _labels(tgd.DataLoader(sub, batch_size=4)) for i in b]
    assert got == list(range(19, -1, -2))


class Stream(tgd.IterableDataset):
    def __init__(self, n):
        self.n = n

    def __iter__(self):
        return iter(range(self.n))

    def __len__(self):
        return self.n


class TorchStream(tud.IterableDataset):
    def __init__(self, n):
        self.n = n

    def __iter__(self):
        return iter(range(self.n))

    def __len__(self):
        return self.n


@pytest.mark.parametrize("workers", [0, 2])
def test_iterable_dataset_batches_like_torch(workers):
    for bs, drop in [(4, False), (4, True)]:
        ours = tgd.DataLoader(Stream(10), batch_size=bs, drop_last=drop, num_workers=workers)
        theirs = tud.DataLoader(TorchStream(10), batch_size=bs, drop_last=drop)
        assert len(ours) == len(theirs)
        assert [b.tolist() for b in ours] == [b.tolist() for b in theirs]
    with pytest.raises(ValueError, match="expected unspecified shuffle"):
        tgd.DataLoader(Stream(3), shuffle=True)


def test_index_out_of_range_in_custom_batch_sampler():
    loader = tgd.DataLoader(_tg_ds(5), batch_sampler=[[0, 7]])
    with pytest.raises(IndexError):
        list(loader)


def test_batches_of_a_tensor_requiring_grad_stay_on_the_graph():
    x = tg.from_numpy(np.arange(12, dtype=np.float32).reshape(6, 2)).requires_grad_()
    loader = tgd.DataLoader(tgd.TensorDataset(x, tg.arange(6)), batch_size=4)
    xb, _ = next(iter(loader))
    xb.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [[1, 1]] * 4 + [[0, 0]] * 2)
