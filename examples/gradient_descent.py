# Gradient descent on y = w*x: full-batch GD, SGD (one sample per update), mini-batch SGD, EWMA, divergence.
from common import parse_args, plt, savefig, tg

X = [1.0, 2.0, 3.0]
Y = [2.0, 4.0, 6.0]


def loss_fn(w, xs, ys):
    """MSE of x*w against y over the given samples."""
    x, y = tg.tensor(xs), tg.tensor(ys)
    return ((x * w - y) ** 2).mean()


def fit(batches, epochs, lr):
    """Trains w from 1.0; batches(epoch) yields lists of sample indices per update. Returns (w, losses)."""
    w = tg.tensor(1.0, requires_grad=True)
    losses = []
    for epoch in range(epochs):
        for idx in batches(epoch):
            l = loss_fn(w, [X[i] for i in idx], [Y[i] for i in idx])
            l.backward()  # dl/dw = mean(2 x (x w - y))
            with tg.no_grad():
                w -= lr * w.grad
            w.grad.zero_()
        with tg.no_grad():
            losses.append(loss_fn(w, X, Y).item())  # cost over all samples after the epoch
    return w, losses


def ewma(values, beta=0.9):
    """Exponentially weighted moving average v_t = beta v_{t-1} + (1 - beta) x_t, bias-corrected."""
    out, v = [], 0.0
    for t, x in enumerate(values, 1):
        v = beta * v + (1 - beta) * x
        out.append(v / (1 - beta ** t))
    return out


def main():
    args = parse_args("GD, SGD and mini-batch SGD on y = w*x", epochs=100)
    lr = 0.01
    n = len(X)
    print(f"predict (before training) x=4: y={4 * 1.0:.4f}")
    methods = {
        "GD": lambda e: [list(range(n))],
        "SGD": lambda e: [[i] for i in range(n)],
        "mini-batch SGD": lambda e: [[0, 1], [2]],
    }
    curves = {}
    for name, batches in methods.items():
        w, losses = fit(batches, args.epochs, lr)
        curves[name] = losses
        with tg.no_grad():
            pred = (4 * w).item()
        print(f"{name}: w={w.item():.6f} loss={losses[-1]:.3e} predict (after training) x=4: y={pred:.4f}")

    fig, axes = plt.subplots(1, 2, figsize=(9, 3.2))
    for name, losses in curves.items():
        axes[0].plot(range(1, args.epochs + 1), losses, label=name)
    axes[0].set_xlabel("epoch")
    axes[0].set_ylabel("cost")
    axes[0].legend()
    # SGD's per-update losses are noisy; their EWMA shows the trend
    w = tg.tensor(1.0, requires_grad=True)
    raw = []
    for epoch in range(args.epochs):
        for i in range(n):
            l = loss_fn(w, [X[i]], [Y[i]])
            l.backward()
            with tg.no_grad():
                w -= lr * w.grad
            w.grad.zero_()
            raw.append(l.item())
    smooth = ewma(raw)
    print(f"SGD per-update loss: last raw {raw[-1]:.3e}, EWMA {smooth[-1]:.3e}")
    axes[1].plot(raw, alpha=0.5, label="SGD loss per update")
    axes[1].plot(smooth, label="EWMA (beta=0.9)")
    axes[1].set_yscale("log")
    axes[1].set_xlabel("update")
    axes[1].legend()
    savefig(fig, args.out, "gradient_descent.png")

    # GD contracts w - 2 by |1 - lr * 2 * mean(x^2)| = |1 - lr * 28/3| per step: lr > 3/14 diverges
    big = 0.25
    w, losses = fit(methods["GD"], min(args.epochs, 20), big)
    print(f"GD lr={big}: w={w.item():.4f} loss={losses[-1]:.4g} (diverges)")
    fig, ax = plt.subplots(figsize=(4, 3))
    ax.semilogy(range(1, len(losses) + 1), losses)
    ax.set_title(f"GD with lr={big}")
    ax.set_xlabel("epoch")
    ax.set_ylabel("cost")
    savefig(fig, args.out, "gradient_descent_diverge.png")


if __name__ == "__main__":
    main()
