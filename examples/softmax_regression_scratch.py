# Softmax regression from scratch on Fashion-MNIST: softmax, cross_entropy by y_hat[range(n), y], minibatch SGD.
from common import load_fashion_mnist, parse_args, predict, tg, train

W = b = None


def softmax(X):
    """exp(X_ij) / sum_k exp(X_ik), stabilised by subtracting each row's max."""
    X_exp = (X - X.max(dim=1, keepdim=True)[0]).exp()
    return X_exp / X_exp.sum(dim=1, keepdim=True)


def net(X):
    return softmax(tg.matmul(X.reshape((-1, W.shape[0])), W) + b)


def cross_entropy(y_hat, y):
    return -(y_hat[range(len(y_hat)), y]).log()


def sgd(params, lr, batch_size):
    with tg.no_grad():
        for param in params:
            param -= lr * param.grad / batch_size
            param.grad.zero_()


def main():
    global W, b
    args = parse_args("softmax regression from scratch", epochs=10, data=True)
    tg.manual_seed(0)
    train_iter, test_iter = load_fashion_mnist(256, args.data, args.quick)
    W = tg.normal(0, 0.01, size=(784, 10), requires_grad=True)
    b = tg.zeros(10, requires_grad=True)
    lr = 0.1
    train(net, train_iter, test_iter, cross_entropy, args.epochs, lambda n: sgd([W, b], lr, n),
          f"{args.out}/softmax_regression_scratch.png", args.quick)
    predict(net, test_iter, 6, f"{args.out}/softmax_regression_scratch_predict.png")


if __name__ == "__main__":
    main()
