# tg.datasets: Fashion-MNIST (file reading, verified download) and d2l-style loaders.
from .download import DownloadError, download_file, download_resources, md5sum
from .fashion_mnist import (FashionMNIST, get_fashion_mnist_labels, load_data_fashion_mnist,
                            load_fashion_mnist)
from .idx import IDXError, parse_idx, read_idx, write_idx

__all__ = ["FashionMNIST", "load_fashion_mnist", "load_data_fashion_mnist",
           "get_fashion_mnist_labels", "read_idx", "parse_idx", "write_idx", "IDXError",
           "download_file", "download_resources", "md5sum", "DownloadError"]
