# Autograd basics: activation derivatives, tg.autograd.grad, backward, softmax Jacobian, chain rule checks.
from common import parse_args, plt, savefig, tg

import tinygrad_ext.nn.functional as F


def check(name, auto, manual):
    err = (auto - manual).abs().max().item()
    print(f"{name}: max |autograd - formula| = {err:.2e} {'OK' if err < 1e-5 else 'MISMATCH'}")
    return err


def activations(out):
    x = tg.linspace(-6, 6, 121, requires_grad=True)
    fig, axes = plt.subplots(1, 3, figsize=(10, 3))
    for ax, (name, fn) in zip(axes, [("sigmoid", tg.sigmoid), ("tanh", tg.tanh), ("relu", tg.relu)]):
        y = fn(x)
        (dy,) = tg.autograd.grad(y.sum(), x)
        ax.plot(x.detach().numpy(), y.detach().numpy(), label=name)
        ax.plot(x.detach().numpy(), dy.numpy(), "--", label=f"d {name}/dx")
        ax.legend()
        print(f"{name}'(0) = {dy[60].item():.4f}")
    savefig(fig, out, "autograd_activations.png")


def main():
    args = parse_args("autograd basics", epochs=1)
    activations(args.out)

    # tg.autograd.grad of an MSE loss: dL/dw = 2/n sum(x (x w - y))
    x, y = tg.tensor([1.0, 2.0, 3.0]), tg.tensor([2.0, 4.0, 6.0])
    w = tg.tensor(1.0, requires_grad=True)
    loss = ((x * w - y) ** 2).mean()
    (g,) = tg.autograd.grad(loss, w)
    print(f"MSE loss = {loss.item():.4f}, dL/dw by autograd.grad = {g.item():.4f}")
    loss = ((x * w - y) ** 2).mean()
    loss.backward()
    print(f"after loss.backward(): w.grad = {w.grad.item():.4f}")
    check("MSE dL/dw", w.grad, (2 * x * (x * w - y)).mean().detach())

    # softmax Jacobian, row by row, reusing the graph: J = diag(s) - s s^T
    z = tg.tensor([1.0, 2.0, 0.5], requires_grad=True)
    s = F.softmax(z, dim=0)
    rows = [tg.autograd.grad(s[i], z, retain_graph=True)[0] for i in range(3)]
    J = tg.stack(rows) if hasattr(tg, "stack") else tg.tensor([r.tolist() for r in rows])
    sd = s.detach()
    print(f"softmax Jacobian: {J.tolist()}")
    check("softmax Jacobian", J, tg.eye(3) * sd - sd.reshape(3, 1) * sd.reshape(1, 3))

    # single-layer perceptron o = sigmoid(w.x + b), L = (o - t)^2: dL/dw = 2 (o - t) o (1 - o) x
    tg.manual_seed(0)
    xv, t = tg.randn(4), tg.tensor(1.0)
    w1, b1 = tg.randn(4, requires_grad=True), tg.tensor(0.1, requires_grad=True)
    o = tg.sigmoid((w1 * xv).sum() + b1)
    ((o - t) ** 2).backward()
    od = o.detach()
    check("perceptron dL/dw", w1.grad, 2 * (od - t) * od * (1 - od) * xv)
    check("perceptron dL/db", b1.grad, 2 * (od - t) * od * (1 - od))

    # multi-output perceptron O = sigmoid(x W), L = sum (O - T)^2 / 2: dL/dW_jk = (O_k - T_k) O_k (1 - O_k) x_j
    W = tg.randn(4, 3, requires_grad=True)
    T = tg.tensor([0.0, 1.0, 0.0])
    O = tg.sigmoid(xv.reshape(1, 4) @ W).reshape(3)
    (((O - T) ** 2).sum() / 2).backward()
    Od = O.detach()
    check("multi-output dL/dW", W.grad, xv.reshape(4, 1) * ((Od - T) * Od * (1 - Od)).reshape(1, 3))

    # two-layer MLP h = relu(x W1), y = h W2, L = sum (y - T)^2 / 2
    # dL/dW2 = h^T (y - T); dL/dW1 = x^T [((y - T) W2^T) * 1(h > 0)]
    X = tg.randn(5, 4)
    A = tg.randn(4, 6, requires_grad=True)
    B = tg.randn(6, 3, requires_grad=True)
    Tt = tg.randn(5, 3)
    h = tg.relu(X @ A)
    out = h @ B
    (((out - Tt) ** 2).sum() / 2).backward()
    hd, d = h.detach(), (out - Tt).detach()
    check("MLP dL/dW2", B.grad, hd.t() @ d)
    check("MLP dL/dW1", A.grad, X.t() @ ((d @ B.detach().t()) * (hd > 0).float()))


if __name__ == "__main__":
    main()
