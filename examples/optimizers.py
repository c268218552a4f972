# Optimizers on loss = w**2 / 2 from w = 1: SGD momentum, Adagrad, RMSprop, Adam; per-step w and grad, trajectories.
from common import parse_args, plt, savefig, tg

from tinygrad_ext import optim

OPTIMIZERS = {
    "SGD momentum=0.9": lambda p: optim.SGD(p, lr=0.1, momentum=0.9),
    "Adagrad": lambda p: optim.Adagrad(p, lr=0.1),
    "RMSprop alpha=0.9": lambda p: optim.RMSprop(p, lr=0.01, alpha=0.9),
    "Adam betas=(0.9, 0.99)": lambda p: optim.Adam(p, lr=0.1, betas=(0.9, 0.99)),
}


def run(make, steps, verbose):
    w = tg.tensor([1.0], requires_grad=True)
    opt = make([w])
    path = [w.item()]
    for step in range(steps):
        opt.zero_grad()
        loss = (w ** 2 / 2).sum()  # dloss/dw = w
        loss.backward()
        if verbose:
            print(f"  step {step + 1}: w = {w.item():.6f}, grad = {w.grad.item():.6f}")
        opt.step()
        path.append(w.item())
    return path


def main():
    args = parse_args("optimizers on w**2/2", epochs=30)
    steps = 10 if args.quick else args.epochs
    fig, ax = plt.subplots(figsize=(5, 3.5))
    for name, make in OPTIMIZERS.items():
        print(name)
        path = run(make, steps, verbose=True)
        print(f"{name}: final w = {path[-1]:.6f}")
        ax.plot(range(len(path)), path, label=name)
    ax.set_xlabel("step")
    ax.set_ylabel("w")
    ax.legend()
    savefig(fig, args.out, "optimizers.png")


if __name__ == "__main__":
    main()
