# Himmelblau's function f = (x^2 + y - 11)^2 + (x + y^2 - 7)^2: Adam from several starts finds its four minima.
import numpy as np

from common import parse_args, plt, savefig, tg

from tinygrad_ext import optim

STARTS = [(0.0, 0.0), (-1.0, 0.0), (-4.0, 0.0), (4.0, -4.0)]


def himmelblau(p):
    x, y = p[0], p[1]
    return (x ** 2 + y - 11) ** 2 + (x + y ** 2 - 7) ** 2


def descend(start, steps, lr=0.05):
    p = tg.tensor(list(start), requires_grad=True)
    opt = optim.Adam([p], lr=lr)
    path = [p.tolist()]
    for _ in range(steps):
        loss = himmelblau(p)
        opt.zero_grad()
        loss.backward()
        opt.step()
        path.append(p.tolist())
    return p.detach(), himmelblau(p.detach()).item(), np.array(path)


def main():
    args = parse_args("Adam on Himmelblau's function", epochs=2000)
    steps = 500 if args.quick else args.epochs
    xs = np.arange(-6, 6, 0.1)
    X, Y = np.meshgrid(xs, xs)
    Z = himmelblau(tg.tensor(np.stack([X, Y]).astype(np.float32))).numpy()
    fig, ax = plt.subplots(figsize=(5, 4.5))
    ax.contour(X, Y, np.log1p(Z), levels=30, cmap="viridis")
    for start in STARTS:
        p, f, path = descend(start, steps)
        print(f"start {start}: minimum at ({p[0].item():.4f}, {p[1].item():.4f}), f = {f:.3e}")
        ax.plot(path[:, 0], path[:, 1], "r.-", markersize=2)
    ax.set_xlabel("x")
    ax.set_ylabel("y")
    savefig(fig, args.out, "himmelblau.png")


if __name__ == "__main__":
    main()
