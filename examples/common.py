# Shared helpers for the examples: CLI options, Accumulator, Timer, Animator (PNG per epoch), data, train/eval.
import argparse
import os
import sys
import time

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))

import tinygrad_ext as tg  # noqa: E402

try:
    from tqdm import tqdm as _tqdm
except ImportError:  # plain prints instead of a progress bar
    _tqdm = None


def parse_args(description, epochs=10, data=False, argv=None):
    """The options every example takes: --epochs, --quick, --out (and --data for Fashion-MNIST)."""
    p = argparse.ArgumentParser(description=description)
    p.add_argument("--epochs", type=int, default=epochs, help=f"training epochs (default {epochs})")
    p.add_argument("--quick", action="store_true", help="tiny sizes so the run takes a few seconds")
    p.add_argument("--out", default=os.path.join(HERE, "out"), help="folder for the PNG figures")
    if data:
        # TG_DATA, else the shared copy beside the project, else data/ in the checkout (downloaded
        # there on first use).
        shared = os.path.join(HERE, "..", "..", "shared", "data", "fashion-mnist")
        default = os.environ.get("TG_DATA") or (shared if os.path.isdir(shared) else os.path.join(HERE, "..", "data"))
        p.add_argument("--data", default=default, help="Fashion-MNIST folder (env TG_DATA); downloaded if missing")
    args = p.parse_args(argv)
    os.makedirs(args.out, exist_ok=True)
    return args


def savefig(fig, out, name):
    path = os.path.join(out, name)
    fig.savefig(path, dpi=80, bbox_inches="tight")
    plt.close(fig)
    print(f"saved {path}")
    return path


def progress(iterable, desc, quick=False):
    """tqdm when installed and not in --quick mode (tests read stdout), else the iterable itself."""
    if _tqdm is not None and not quick and sys.stderr.isatty():
        return _tqdm(iterable, desc=desc, leave=False)
    return iterable


class Accumulator:
    """Sums n running totals (d2l's Accumulator)."""

    def __init__(self, n):
        self.data = [0.0] * n

    def add(self, *args):
        self.data = [a + float(b) for a, b in zip(self.data, args)]

    def reset(self):
        self.data = [0.0] * len(self.data)

    def __getitem__(self, i):
        return self.data[i]


class Timer:
    """Records several running times."""

    def __init__(self):
        self.times = []
        self.start()

    def start(self):
        self.tik = time.perf_counter()

    def stop(self):
        self.times.append(time.perf_counter() - self.tik)
        return self.times[-1]

    def sum(self):
        return sum(self.times)

    def avg(self):
        return self.sum() / len(self.times)


class Animator:
    """d2l's Animator without a notebook: add() points, and the figure is redrawn into one PNG file."""

    def __init__(self, path, xlabel=None, ylabel=None, legend=None, xlim=None, ylim=None, figsize=(4.5, 3.2)):
        self.path, self.legend = path, legend or []
        self.xlabel, self.ylabel, self.xlim, self.ylim, self.figsize = xlabel, ylabel, xlim, ylim, figsize
        self.X, self.Y = None, None

    def add(self, x, y):
        if not hasattr(y, "__len__"):
            y = [y]
        if self.X is None:
            self.X, self.Y = [[] for _ in y], [[] for _ in y]
        for i, v in enumerate(y):
            if v is not None:
                self.X[i].append(x)
                self.Y[i].append(v)
        self.draw()

    def draw(self):
        fig, ax = plt.subplots(figsize=self.figsize)
        fmts = ["-", "m--", "g-.", "r:"]
        for x, y, f in zip(self.X, self.Y, fmts):
            ax.plot(x, y, f)
        ax.set_xlabel(self.xlabel or "")
        ax.set_ylabel(self.ylabel or "")
        if self.xlim:
            ax.set_xlim(self.xlim)
        if self.ylim:
            ax.set_ylim(self.ylim)
        if self.legend:
            ax.legend(self.legend)
        ax.grid(True)
        fig.savefig(self.path, dpi=80, bbox_inches="tight")
        plt.close(fig)


def show_images(imgs, num_rows, num_cols, titles=None, scale=1.5, path=None):
    """A grid of images (tensors or arrays) with titles, saved to path."""
    fig, axes = plt.subplots(num_rows, num_cols, figsize=(num_cols * scale, num_rows * scale))
    axes = axes.flatten() if hasattr(axes, "flatten") else [axes]
    for i, (ax, img) in enumerate(zip(axes, imgs)):
        ax.imshow(img.numpy() if isinstance(img, tg.Tensor) else img, cmap="gray")
        ax.axes.get_xaxis().set_visible(False)
        ax.axes.get_yaxis().set_visible(False)
        if titles:
            ax.set_title(titles[i], fontsize=8)
    fig.savefig(path, dpi=80, bbox_inches="tight")
    plt.close(fig)
    return axes


def load_fashion_mnist(batch_size, data_dir, quick=False, n_train=2000, n_test=1000):
    """(train_iter, test_iter) over the real Fashion-MNIST files; --quick keeps the first samples only."""
    from tinygrad_ext import transforms as T
    from tinygrad_ext.utils.data import DataLoader, Subset
    trans = T.ToTensor()
    train = tg.datasets.FashionMNIST(data_dir, train=True, transform=trans, download=True)
    test = tg.datasets.FashionMNIST(data_dir, train=False, transform=trans, download=True)
    if quick:
        train, test = Subset(train, list(range(n_train))), Subset(test, list(range(n_test)))
    return (DataLoader(train, batch_size, shuffle=True), DataLoader(test, batch_size, shuffle=False))


def accuracy(y_hat, y):
    """Number of correct predictions."""
    if len(y_hat.shape) > 1 and y_hat.shape[1] > 1:
        y_hat = y_hat.argmax(dim=1)
    return float((y_hat == y).sum().item())


def evaluate_accuracy(net, data_iter):
    """Accuracy of net on a dataset (eval mode when net is a Module)."""
    if isinstance(net, tg.nn.Module):
        net.eval()
    metric = Accumulator(2)
    with tg.no_grad():
        for X, y in data_iter:
            metric.add(accuracy(net(X), y), y.numel())
    return metric[0] / metric[1]


def train_epoch(net, train_iter, loss, updater, quick=False):
    """One epoch; updater is a tg.optim optimizer or a function(batch_size). Returns (loss, acc)."""
    if isinstance(net, tg.nn.Module):
        net.train()
    metric = Accumulator(3)
    for X, y in progress(train_iter, "batches", quick):
        y_hat = net(X)
        l = loss(y_hat, y)
        if hasattr(updater, "step"):  # an optimizer: mean loss, as the concise lessons do
            updater.zero_grad()
            l.mean().backward()
            updater.step()
        else:  # a from-scratch updater: sum loss, divided by batch size inside
            l.sum().backward()
            updater(X.shape[0])
        metric.add(float(l.sum().item()), accuracy(y_hat, y), y.numel())
    return metric[0] / metric[2], metric[1] / metric[2]


def train(net, train_iter, test_iter, loss, num_epochs, updater, path, quick=False, scheduler=None):
    """d2l's train_ch3: prints each epoch and redraws the PNG at path. Returns the last metrics.

    A learning-rate scheduler, when given, steps once per epoch."""
    animator = Animator(path, xlabel="epoch", xlim=[1, num_epochs], ylim=[0.3, 0.95],
                        legend=["train loss", "train acc", "test acc"])
    timer = Timer()
    for epoch in range(num_epochs):
        timer.start()
        train_loss, train_acc = train_epoch(net, train_iter, loss, updater, quick)
        test_acc = evaluate_accuracy(net, test_iter)
        timer.stop()
        if scheduler is not None:
            scheduler.step()
        animator.add(epoch + 1, (train_loss, train_acc, test_acc))
        print(f"epoch {epoch + 1}: train loss {train_loss:.4f}, train acc {train_acc:.3f}, "
              f"test acc {test_acc:.3f} ({timer.times[-1]:.1f} s)")
    print(f"final: train loss {train_loss:.4f}, train acc {train_acc:.3f}, test acc {test_acc:.3f}")
    return train_loss, train_acc, test_acc


def predict(net, test_iter, n, path):
    """Shows the first n test images with true and predicted labels."""
    labels = tg.datasets.get_fashion_mnist_labels
    for X, y in test_iter:
        break
    with tg.no_grad():
        preds = labels(net(X).argmax(dim=1))
    trues = labels(y)
    titles = [t + "\n" + p for t, p in zip(trues, preds)]
    show_images(X[0:n].reshape(n, 28, 28), 1, n, titles=titles[0:n], path=path)
    print(f"saved {path}")
