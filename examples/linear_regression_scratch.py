"""Linear regression from scratch: synthetic data, minibatch SGD, and the learned w and b."""
import argparse
import random

import tinygrad_ext as tg


def synthetic_data(w, b, num_examples):
    """y = Xw + b + noise."""
    X = tg.normal(0, 1, (num_examples, len(w)))
    y = tg.matmul(X, w) + b
    y += tg.normal(0, 0.01, y.shape)
    return X, y.reshape((-1, 1))


def data_iter(batch_size, features, labels):
    num_examples = len(features)
    indices = list(range(num_examples))
    random.shuffle(indices)  # read the examples in random order
    for i in range(0, num_examples, batch_size):
        batch_indices = tg.tensor(indices[i:min(i + batch_size, num_examples)])
        yield features[batch_indices], labels[batch_indices]


def linreg(X, w, b):
    return tg.matmul(X, w) + b


def squared_loss(y_hat, y):
    return (y_hat - y.reshape(y_hat.shape)) ** 2 / 2


def sgd(params, lr, batch_size):
    with tg.no_grad():
        for param in params:
            param -= lr * param.grad / batch_size
            param.grad.zero_()


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    tg.manual_seed(args.seed)
    random.seed(args.seed)

    true_w = tg.tensor([2, -3.4])
    true_b = 4.2
    features, labels = synthetic_data(true_w, true_b, 1000)

    w = tg.normal(0, 0.01, size=(2, 1), requires_grad=True)
    b = tg.zeros(1, requires_grad=True)
    lr, batch_size = 0.03, 10
    for epoch in range(args.epochs):
        for X, y in data_iter(batch_size, features, labels):
            loss = squared_loss(linreg(X, w, b), y)
            loss.sum().backward()
            sgd([w, b], lr, batch_size)
        with tg.no_grad():
            train_l = squared_loss(linreg(features, w, b), labels)
            print(f"epoch {epoch + 1}, loss {float(train_l.mean()):f}")
    print(f"error in estimating w: {true_w - w.reshape(true_w.shape)}")
    print(f"error in estimating b: {true_b - b}")
    print(f"w = {w.reshape(-1).tolist()}, b = {b.item()}")


if __name__ == "__main__":
    main()
