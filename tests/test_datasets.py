# Tests for tg.datasets: the IDX reader, verified downloads from a local server, FashionMNIST.
import gzip
import hashlib
import http.server
import os
import socket
import struct
import threading
import time
from pathlib import Path

import numpy as np
import pytest

import tinygrad_ext as tg
from tinygrad_ext import datasets as tds
from tinygrad_ext import transforms as T
from tinygrad_ext.utils.data import DataLoader

NAMES = ["train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz", "t10k-images-idx3-ubyte.gz",
         "t10k-labels-idx1-ubyte.gz"]
REAL = Path(__file__).resolve().parents[2] / "shared/data/fashion-mnist"


def _idx_bytes(array, code=0x08):
    """IDX encoding written independently of the library (struct, big-endian)."""
    a = np.asarray(array)
    header = struct.pack(">BBBB", 0, 0, code, a.ndim) + struct.pack(f">{a.ndim}I", *a.shape)
    return header + a.astype(a.dtype.newbyteorder(">")).tobytes()


def _write(path, payload, gz):
    Path(path).write_bytes(gzip.compress(payload) if gz else payload)


def _fake_split(n, seed):
    rng = np.random.default_rng(seed)
    images = rng.integers(0, 256, size=(n, 28, 28), dtype=np.uint8)
    labels = (np.arange(n) % 10).astype(np.uint8)
    rng.shuffle(labels)
    return images, labels


def _fake_folder(folder, gz=True, n_train=60, n_test=20):
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    tr_x, tr_y = _fake_split(n_train, 0)
    te_x, te_y = _fake_split(n_test, 1)
    for name, arr in zip(NAMES, [tr_x, tr_y, te_x, te_y]):
        _write(folder / (name if gz else name[:-3]), _idx_bytes(arr), gz)
    return tr_x, tr_y, te_x, te_y


# ---- IDX ----

@pytest.mark.parametrize("gz", [True, False])
def test_idx_images_and_labels_roundtrip(tmp_path, gz):
    images = np.arange(2 * 3 * 4, dtype=np.uint8).reshape(2, 3, 4)
    labels = np.array([3, 9], dtype=np.uint8)
    _write(tmp_path / "im", _idx_bytes(images), gz)
    _write(tmp_path / "lb", _idx_bytes(labels), gz)
    got = tds.read_idx(tmp_path / "im", expect_ndim=3)
    assert got.dtype == np.uint8 and got.shape == (2, 3, 4)
    np.testing.assert_array_equal(got, images)
    np.testing.assert_array_equal(tds.read_idx(tmp_path / "lb"), labels)


def test_idx_other_types_and_writer(tmp_path):
    a = np.array([[1.5, -2.0], [3.25, 4.0]], dtype=np.float32)
    _write(tmp_path / "f", _idx_bytes(a, code=0x0D), False)
    np.testing.assert_array_equal(tds.read_idx(tmp_path / "f"), a)
    b = np.array([-7, 70000], dtype=np.int32)
    tds.write_idx(tmp_path / "i.gz", b)
    assert (tmp_path / "i.gz").read_bytes()[:2] == b"\x1f\x8b"
    np.testing.assert_array_equal(tds.read_idx(tmp_path / "i.gz"), b)


@pytest.mark.parametrize("gz", [True, False])
def test_idx_truncated(tmp_path, gz):
    payload = _idx_bytes(np.zeros((5, 28, 28), np.uint8))
    _write(tmp_path / "t", payload[:-10], gz)
    with pytest.raises(tds.IDXError, match="truncated"):
        tds.read_idx(tmp_path / "t")
    _write(tmp_path / "h", payload[:9], gz)  # cut inside the dims
    with pytest.raises(tds.IDXError, match="truncated IDX header"):
        tds.read_idx(tmp_path / "h")


def test_idx_wrong_magic_trailing_bytes_and_bad_gzip(tmp_path):
    payload = _idx_bytes(np.zeros((2, 2), np.uint8))
    _write(tmp_path / "m", b"\x12\x34" + payload[2:], False)
    with pytest.raises(tds.IDXError, match="magic"):
        tds.read_idx(tmp_path / "m")
    _write(tmp_path / "c", payload[:2] + b"\x07" + payload[3:], False)  # unknown type code
    with pytest.raises(tds.IDXError, match="magic"):
        tds.read_idx(tmp_path / "c")
    _write(tmp_path / "x", payload + b"\x00", False)
    with pytest.raises(tds.IDXError, match="trailing"):
        tds.read_idx(tmp_path / "x")
    (tmp_path / "g").write_bytes(gzip.compress(payload)[:-12])
    with pytest.raises(tds.IDXError, match="gzip"):
        tds.read_idx(tmp_path / "g")
    _write(tmp_path / "d", payload, False)
    with pytest.raises(tds.IDXError, match="expected an IDX file with 3 dims"):
        tds.read_idx(tmp_path / "d", expect_ndim=3)


# ---- a local HTTP server for the download tests ----

class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture
def server(tmp_path):
    served = tmp_path / "served"
    served.mkdir()
    handler = lambda *a, **k: _Quiet(*a, directory=str(served), **k)
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield served, f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()
    thread.join()


def _closed_port_url():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return f"http://127.0.0.1:{port}/"


def _md5(path):
    return hashlib.md5(Path(path).read_bytes()).hexdigest()


def _leftovers(folder):
    return [p.name for p in Path(folder).iterdir()] if Path(folder).exists() else []


def _dataset_class(mirrors, resources):
    return type("FashionMNIST", (tds.FashionMNIST,),
                {"mirrors": mirrors, "resources": resources, "download_timeout": 5.0})


def test_download_success_then_load(server, tmp_path, monkeypatch):
    monkeypatch.delenv("TG_DATA", raising=False)
    served, base = server
    _fake_folder(served / "fm")
    resources = [(n, _md5(served / "fm" / n)) for n in NAMES]
    cls = _dataset_class([base + "/fm/"], resources)
    ds = cls(tmp_path / "root", train=True, download=True)
    raw = tmp_path / "root" / "FashionMNIST" / "raw"
    assert sorted(_leftovers(raw)) == sorted(NAMES)  # no temporary files left
    for n in NAMES:
        assert _md5(raw / n) == _md5(served / "fm" / n)
    assert len(ds) == 60 and ds.data.shape == (60, 28, 28)
    # a second construction finds the files and downloads nothing
    (served / "fm" / NAMES[0]).unlink()
    assert len(cls(tmp_path / "root", train=False, download=True)) == 20


def test_download_checksum_mismatch_leaves_no_file(server, tmp_path):
    served, base = server
    (served / "f.bin").write_bytes(b"not what you expected" * 100)
    dest = tmp_path / "out" / "f.bin"
    with pytest.raises(tds.DownloadError, match="MD5 mismatch"):
        tds.download_file(base + "/f.bin", dest, md5="0" * 32, progress=False)
    assert _leftovers(tmp_path / "out") == []
    with pytest.raises(tds.DownloadError, match="from any mirror"):
        tds.download_resources([("f.bin", "0" * 32)], [base], tmp_path / "out", progress=False)
    assert _leftovers(tmp_path / "out") == []


def test_first_mirror_fails_over_to_second(server, tmp_path):
    served, base = server
    (served / "good").mkdir()
    (served / "bad").mkdir()
    content = os.urandom(5000)
    (served / "good" / "a.bin").write_bytes(content)
    (served / "bad" / "a.bin").write_bytes(b"corrupted")  # wrong checksum on the first mirror
    md5 = hashlib.md5(content).hexdigest()
    for first in [base + "/missing/", _closed_port_url(), base + "/bad/"]:
        out = tmp_path / f"out{abs(hash(first))}"
        tds.download_resources([("a.bin", md5)], [first, base + "/good/"], out, progress=False)
        assert (out / "a.bin").read_bytes() == content
        assert _leftovers(out) == ["a.bin"]


def test_no_network_error_says_where_to_put_files(tmp_path, monkeypatch):
    monkeypatch.delenv("TG_DATA", raising=False)
    cls = _dataset_class([_closed_port_url()], tds.FashionMNIST.resources)
    with pytest.raises(tds.DownloadError) as e:
        cls(tmp_path, download=True)
    msg = str(e.value)
    assert str(tmp_path / "FashionMNIST" / "raw") in msg and "TG_DATA" in msg
    assert _leftovers(tmp_path / "FashionMNIST" / "raw") == []
    with pytest.raises(RuntimeError, match="(?s)Dataset not found.*TG_DATA"):
        tds.FashionMNIST(tmp_path / "elsewhere", download=False)


def test_progress_text_without_tqdm(server, tmp_path, monkeypatch, capsys):
    import builtins
    real_import = builtins.__import__

    def no_tqdm(name, *a, **k):
        if name.startswith("tqdm"):
            raise ImportError("no tqdm")
        return real_import(name, *a, **k)

    served, base = server
    (served / "p.bin").write_bytes(b"x" * 3000)
    monkeypatch.setattr(builtins, "__import__", no_tqdm)
    tds.download_file(base + "/p.bin", tmp_path / "p.bin", progress=True)
    assert "3000/3000 bytes (100.0%)" in capsys.readouterr().err


# ---- FashionMNIST over small files ----

@pytest.mark.parametrize("gz", [True, False])
def test_fashion_mnist_from_files(tmp_path, monkeypatch, gz):
    monkeypatch.delenv("TG_DATA", raising=False)
    tr_x, tr_y, te_x, te_y = _fake_folder(tmp_path / "FashionMNIST" / "raw", gz=gz)
    ds = tds.FashionMNIST(tmp_path)
    assert len(ds) == 60 and ds.data.dtype == tg.uint8 and tuple(ds.data.shape) == (60, 28, 28)
    np.testing.assert_array_equal(ds.data.numpy(), tr_x)
    to_tensor = tg.transforms.ToTensor()
    np.testing.assert_array_equal(to_tensor(ds.data[4]).numpy(), to_tensor(tr_x[4]).numpy())
    assert str(ds.targets.dtype).split(".")[-1] == "int64"
    np.testing.assert_array_equal(ds.targets.numpy(), tr_y)
    img, label = ds[4]
    assert isinstance(img, np.ndarray) and img.shape == (28, 28) and label == int(tr_y[4])
    assert len(ds.classes) == 10 and ds.class_to_idx["Ankle boot"] == 9
    test = tds.FashionMNIST(tmp_path, train=False, transform=T.ToTensor())
    img, label = test[3]
    assert tuple(img.shape) == (1, 28, 28)
    np.testing.assert_allclose(img.numpy()[0], te_x[3] / np.float32(255), rtol=0, atol=0)
    assert isinstance(label, int) and label == int(te_y[3])


def test_tg_data_env_variable(tmp_path, monkeypatch):
    _fake_folder(tmp_path / "shared")
    monkeypatch.setenv("TG_DATA", str(tmp_path / "shared"))
    ds = tds.FashionMNIST(tmp_path / "empty_root", train=False)
    assert len(ds) == 20 and ds.folder == str(tmp_path / "shared")


def test_corrupt_files_raise(tmp_path, monkeypatch):
    monkeypatch.delenv("TG_DATA", raising=False)
    folder = tmp_path / "FashionMNIST" / "raw"
    _fake_folder(folder)
    _write(folder / NAMES[1], _idx_bytes(np.zeros(59, np.uint8)), True)
    with pytest.raises(tds.IDXError, match="60 images but .* 59 labels"):
        tds.FashionMNIST(tmp_path)
    _write(folder / NAMES[1], _idx_bytes(np.zeros((60, 2), np.uint8)), True)
    with pytest.raises(tds.IDXError, match="1 dims"):
        tds.FashionMNIST(tmp_path)


@pytest.mark.parametrize("transform", [None, T.ToTensor(), T.Compose([T.Resize(32), T.ToTensor()]),
                                       T.Compose([T.ToTensor(), T.Normalize([0.5], [0.25])]),
                                       T.Compose([T.ToTensor(), T.Lambda(lambda t: t * 2)])])
@pytest.mark.parametrize("precompute", [True, False])
def test_fashion_mnist_loader_fast_path_equals_per_sample(tmp_path, monkeypatch, transform, precompute):
    monkeypatch.delenv("TG_DATA", raising=False)
    if not precompute:  # too big to keep transformed: the batch is transformed per batch instead
        monkeypatch.setattr("tinygrad_ext.datasets.fashion_mnist._PRECOMPUTE_LIMIT", 0)
    _fake_folder(tmp_path / "FashionMNIST" / "raw")
    ds = tds.FashionMNIST(tmp_path, transform=transform)
    assert (ds._transformed is not None) == (precompute and transform is not None
                                             and T.is_batchable(transform))
    per_sample = lambda batch: __import__("tinygrad_ext").utils.data.default_collate(batch)
    tg.manual_seed(3)
    fast = list(DataLoader(ds, batch_size=16, shuffle=True))
    tg.manual_seed(3)
    slow = list(DataLoader(ds, batch_size=16, shuffle=True, collate_fn=per_sample))
    assert [tuple(x.shape) for x, _ in fast] == [tuple(x.shape) for x, _ in slow]
    for (fx, fy), (sx, sy) in zip(fast, slow):
        assert str(fx.dtype) == str(sx.dtype) and str(fy.dtype) == str(sy.dtype)
        np.testing.assert_allclose(fx.numpy(), sx.numpy(), rtol=1e-6, atol=1e-6)
        np.testing.assert_array_equal(fy.numpy(), sy.numpy())


def test_labels_text():
    assert tds.get_fashion_mnist_labels(tg.tensor([0, 9, 3])) == ["T-shirt/top", "Ankle boot", "Dress"]
    assert tds.get_fashion_mnist_labels([5]) == ["Sandal"]
    assert tds.load_data_fashion_mnist is tds.load_fashion_mnist


def test_load_fashion_mnist_small(tmp_path, monkeypatch):
    monkeypatch.delenv("TG_DATA", raising=False)
    _fake_folder(tmp_path / "FashionMNIST" / "raw")
    train_iter, test_iter = tds.load_fashion_mnist(16, resize=40, root=tmp_path)
    shapes = [tuple(x.shape) for x, _ in train_iter]
    assert shapes == [(16, 1, 40, 40)] * 3 + [(12, 1, 40, 40)]
    assert [tuple(y.shape) for _, y in test_iter] == [(16,), (4,)]


# ---- the real files, when present ----

@pytest.mark.skipif(not REAL.is_dir(), reason=f"real Fashion-MNIST files not found at {REAL}")
def test_real_fashion_mnist(monkeypatch):
    monkeypatch.delenv("TG_DATA", raising=False)
    train = tds.FashionMNIST(REAL, train=True, transform=T.ToTensor())
    test = tds.FashionMNIST(REAL, train=False)
    assert len(train) == 60000 and len(test) == 10000
    assert np.bincount(train.targets.numpy()).tolist() == [6000] * 10
    assert np.bincount(test.targets.numpy()).tolist() == [1000] * 10
    pixels = train.data.numpy().astype(np.float64) / 255  # a uint8 tensor, as torchvision's
    assert abs(pixels.mean() - 0.2860) < 5e-4 and abs(pixels.std() - 0.3530) < 5e-4

    train_iter, test_iter = tds.load_fashion_mnist(256, root=REAL)
    assert len(train_iter) == 235 and len(test_iter) == 40
    for _ in train_iter:  # warm-up
        pass
    start = time.perf_counter()
    for _ in train_iter:
        pass
    elapsed = time.perf_counter() - start
    batches = list(train_iter)
    assert len(batches) == 235
    assert all(tuple(x.shape) == (256, 1, 28, 28) for x, _ in batches[:-1])
    x, y = batches[-1]
    assert tuple(x.shape) == (96, 1, 28, 28) and tuple(y.shape) == (96,)
    assert str(x.dtype).split(".")[-1] == "float32" and str(y.dtype).split(".")[-1] == "int64"
    labels = np.concatenate([y.numpy() for _, y in batches])
    assert np.bincount(labels).tolist() == [6000] * 10
    assert elapsed < 0.5, f"one shuffled epoch took {elapsed:.3f} s (target 0.2 s)"
