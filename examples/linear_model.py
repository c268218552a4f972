# Linear model by exhaustive search: y = w*x (MSE curve over w) and y = w*x + b (3-D loss surface).
import numpy as np

from common import parse_args, plt, savefig, tg


def forward(x, w, b=0.0):
    return x * w + b


def mse(x_data, y_data, w, b=0.0):
    """Mean of (y_hat - y)^2 over the samples."""
    return float(((forward(x_data, w, b) - y_data) ** 2).mean().item())


def main():
    args = parse_args("exhaustive search for y = w*x and y = w*x + b", epochs=1)
    x_data = tg.tensor([1.0, 2.0, 3.0])
    y_data = tg.tensor([2.0, 4.0, 6.0])

    # y = w * x: try every w in 0.0, 0.1, ..., 4.0
    w_list, mse_list = [], []
    for w in np.arange(0.0, 4.1, 0.1):
        w = round(float(w), 1)
        print(f"w={w:.1f}")
        for x, y in zip(x_data.tolist(), y_data.tolist()):
            y_pred = forward(x, w)
            print(f"\t{x} {y} {y_pred:.1f} {(y_pred - y) ** 2:.2f}")
        m = mse(x_data, y_data, w)
        print(f"MSE={m:.4f}")
        w_list.append(w)
        mse_list.append(m)
    best = w_list[int(np.argmin(mse_list))]
    print(f"best w = {best:.1f}, MSE = {min(mse_list):.4f}")
    fig, ax = plt.subplots(figsize=(4, 3))
    ax.plot(w_list, mse_list)
    ax.set_xlabel("w")
    ax.set_ylabel("loss")
    savefig(fig, args.out, "linear_model_w.png")

    # y = w * x + b: the loss surface over a grid of (w, b), all evaluated at once by broadcasting
    step = 0.5 if args.quick else 0.1
    ws = tg.arange(0.0, 4.0 + 1e-6, step)
    bs = tg.arange(-2.0, 2.0 + 1e-6, step)
    W = ws.reshape(-1, 1, 1)
    B = bs.reshape(1, -1, 1)
    loss = ((W * x_data + B - y_data) ** 2).mean(dim=2)  # (len(ws), len(bs))
    i, j = divmod(int(loss.argmin().item()), len(bs))
    print(f"best (w, b) = ({ws[i].item():.1f}, {bs[j].item():.1f}), MSE = {loss[i, j].item():.4f}")
    fig = plt.figure(figsize=(5, 4))
    ax = fig.add_subplot(projection="3d")
    gw, gb = np.meshgrid(ws.numpy(), bs.numpy(), indexing="ij")
    ax.plot_surface(gw, gb, loss.numpy(), cmap="viridis")
    ax.set_xlabel("w")
    ax.set_ylabel("b")
    ax.set_zlabel("loss")
    savefig(fig, args.out, "linear_model_wb.png")


if __name__ == "__main__":
    main()
