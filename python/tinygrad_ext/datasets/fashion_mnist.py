# Fashion-MNIST: finding or downloading the IDX files, the dataset class and the d2l-style loaders.
import os

import numpy as np

import tinygrad_ext as tg

from .. import transforms as T
from ..utils.data import DataLoader, Dataset
from .download import download_resources
from .idx import IDXError, read_idx

__all__ = ["FashionMNIST", "load_fashion_mnist", "load_data_fashion_mnist", "get_fashion_mnist_labels"]

# Transformed data is kept whole (so a batch is one gather) when it fits in this many bytes;
# larger results (e.g. Resize(224)) are transformed batch by batch instead.
_PRECOMPUTE_LIMIT = 256 << 20


class FashionMNIST(Dataset):
    """Zalando's Fashion-MNIST (torchvision.datasets.FashionMNIST's interface).

    `data` is the raw images as a uint8 tensor N x 28 x 28 and `targets` an int64 tensor, as
    torchvision's. `ds[i]` is `(image, label)`: the image transformed by `transform`
    (a numpy uint8 28 x 28 array when there is none), the label an int (or target_transform's
    result). Files are looked up in root/FashionMNIST/raw, root/FashionMNIST, root, then in
    $TG_DATA (and its FashionMNIST/raw and fashion-mnist subfolders), gzip or uncompressed.
    """

    classes = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker",
               "Bag", "Ankle boot"]
    # Public mirrors, tried in order (tests replace them with a local server).
    mirrors = [
        "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
        "https://github.com/zalandoresearch/fashion-mnist/raw/master/data/fashion/",
    ]
    # (file name, published MD5)
    resources = [
        ("train-images-idx3-ubyte.gz", "8d4fb7e6c68d591d4c3dfef9ec88bf0d"),
        ("train-labels-idx1-ubyte.gz", "25c81989df183df01b3e8a0aad5dffbe"),
        ("t10k-images-idx3-ubyte.gz", "bef4ecab320f06d8554ea6380940ec79"),
        ("t10k-labels-idx1-ubyte.gz", "bb300cfdad3c16e7a12a480ee83cd310"),
    ]
    download_timeout = 30.0

    def __init__(self, root, train=True, transform=None, target_transform=None, download=False):
        if root is None:
            raise TypeError("FashionMNIST: root should be a folder path, got None")
        self.root = os.path.expanduser(os.fspath(root))
        self.train = train
        self.transform = transform
        self.target_transform = target_transform
        folder = self._find_folder()
        if folder is None:
            if not download:
                raise RuntimeError(self._not_found_message())
            self.download()
            folder = self.raw_folder
        self.folder = folder
        images, labels = self._load(folder)
        self._images = images  # numpy, what the transforms take; `data` shares its memory
        self.data = tg.from_numpy(images)
        self._labels = labels.astype(np.int64)
        self.targets = tg.from_numpy(self._labels)
        self._transformed = None
        if transform is not None and T.is_batchable(transform):
            first = T.apply_batched(transform, images[:1])
            per_sample = first.numpy().nbytes if isinstance(first, tg.Tensor) else first.nbytes
            nbytes = per_sample * len(images)
            if nbytes <= _PRECOMPUTE_LIMIT:
                self._transformed = T.apply_batched(transform, images)

    # ---- files ----
    @property
    def raw_folder(self):
        return os.path.join(self.root, type(self).__name__, "raw")

    def _candidates(self):
        folders = [self.raw_folder, os.path.join(self.root, type(self).__name__), self.root]
        env = os.environ.get("TG_DATA")
        if env:
            env = os.path.expanduser(env)
            folders += [env, os.path.join(env, type(self).__name__, "raw"),
                        os.path.join(env, "fashion-mnist")]
        return folders

    def _file_in(self, folder, gz_name):
        for name in (gz_name, gz_name[:-3] if gz_name.endswith(".gz") else gz_name):
            path = os.path.join(folder, name)
            if os.path.isfile(path):
                return path
        return None

    def _find_folder(self):
        for folder in self._candidates():
            if all(self._file_in(folder, name) for name, _ in self.resources):
                return folder
        return None

    def _not_found_message(self):
        names = ", ".join(name for name, _ in self.resources)
        where = "\n  ".join(self._candidates())
        return (f"Dataset not found: {type(self).__name__} needs {names} (gzip or uncompressed) "
                f"in one of:\n  {where}\nUse download=True, or put the four files into "
                f"{self.raw_folder}, or set the TG_DATA environment variable to a folder holding them.")

    def download(self):
        """Downloads the missing files into root/FashionMNIST/raw (MD5-checked, atomic)."""
        download_resources(self.resources, self.mirrors, self.raw_folder,
                           timeout=self.download_timeout, dataset=type(self).__name__)

    def _load(self, folder):
        img_name, lbl_name = (self.resources[0][0], self.resources[1][0]) if self.train else \
            (self.resources[2][0], self.resources[3][0])
        img_path, lbl_path = self._file_in(folder, img_name), self._file_in(folder, lbl_name)
        images = read_idx(img_path, expect_ndim=3)
        labels = read_idx(lbl_path, expect_ndim=1)
        if images.dtype != np.uint8 or labels.dtype != np.uint8:
            raise IDXError(f"{img_path}, {lbl_path}: expected uint8 images and labels, got "
                           f"{images.dtype} and {labels.dtype}")
        if len(images) != len(labels):
            raise IDXError(f"{img_path} holds {len(images)} images but {lbl_path} holds "
                           f"{len(labels)} labels")
        if labels.size and labels.max() >= len(self.classes):
            raise IDXError(f"{lbl_path}: label {labels.max()} out of range for "
                           f"{len(self.classes)} classes")
        return images, labels

    # ---- samples ----
    @property
    def class_to_idx(self):
        return {c: i for i, c in enumerate(self.classes)}

    def __len__(self):
        return len(self._images)

    def __getitem__(self, index):
        index = int(index)
        if self._transformed is not None:
            img = self._transformed[index]
        else:
            img = self._images[index]
            if self.transform is not None:
                img = self.transform(img)
        target = int(self._labels[index])
        if self.target_transform is not None:
            target = self.target_transform(target)
        return img, target

    def _fetch_batch(self, index):
        """What default_collate gives for these samples, without a per-sample loop (or None)."""
        from ..utils.data._fetch import gather_rows
        if self.target_transform is not None:
            return None
        if self._transformed is not None:
            images = gather_rows(self._transformed, index)
        elif self.transform is None or T.is_batchable(self.transform):
            images = T.apply_batched(self.transform, self._images[index])
        else:
            return None
        if not isinstance(images, tg.Tensor):
            images = tg.from_numpy(np.ascontiguousarray(images))  # uint8, as default_collate gives
        return [images, gather_rows(self.targets, index)]

    def __repr__(self):
        lines = [f"Dataset {type(self).__name__}", f"    Number of datapoints: {len(self)}",
                 f"    Root location: {self.root}", f"    Split: {'Train' if self.train else 'Test'}"]
        if self.transform is not None:
            lines.append(f"    StandardTransform\n    Transform: {self.transform!r}")
        return "\n".join(lines)


def load_fashion_mnist(batch_size, resize=None, root=None, num_workers=0, download=True):
    """(train_iter, test_iter) DataLoaders over Fashion-MNIST, as d2l's load_data_fashion_mnist:
    images ToTensor'd (after Resize when `resize` is given), training data shuffled.

    root defaults to d2l's "../data"; $TG_DATA is searched too before anything is downloaded.
    """
    trans = [T.ToTensor()]
    if resize:
        trans.insert(0, T.Resize(resize))
    trans = T.Compose(trans)
    root = "../data" if root is None else root
    train = FashionMNIST(root, train=True, transform=trans, download=download)
    test = FashionMNIST(root, train=False, transform=trans, download=download)
    return (DataLoader(train, batch_size, shuffle=True, num_workers=num_workers),
            DataLoader(test, batch_size, shuffle=False, num_workers=num_workers))


load_data_fashion_mnist = load_fashion_mnist


def get_fashion_mnist_labels(labels):
    """Text labels for numeric labels (a tensor, array or sequence of ints)."""
    if isinstance(labels, tg.Tensor):
        labels = labels.tolist()
    elif isinstance(labels, np.ndarray):
        labels = labels.tolist()
    if isinstance(labels, (int, np.integer)):
        labels = [labels]
    return [FashionMNIST.classes[int(i)] for i in labels]
