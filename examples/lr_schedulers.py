# Learning-rate schedules: StepLR, MultiStepLR, ExponentialLR over 200 epochs with SGD(lr=0.1, momentum=0.9).
from common import parse_args, plt, savefig, tg

from tinygrad_ext import nn, optim
from tinygrad_ext.optim import lr_scheduler

SCHEDULERS = {
    "StepLR": lambda o: lr_scheduler.StepLR(o, step_size=50, gamma=0.5),
    "MultiStepLR": lambda o: lr_scheduler.MultiStepLR(o, milestones=[50, 100, 160], gamma=0.5),
    "ExponentialLR": lambda o: lr_scheduler.ExponentialLR(o, gamma=0.9),
}


def lrs(make, epochs):
    net = nn.Linear(2, 1)
    opt = optim.SGD(net.parameters(), lr=0.1, momentum=0.9)
    sched = make(opt)
    out = []
    for _ in range(epochs):
        out.append(sched.get_last_lr()[0])
        opt.zero_grad()
        net(tg.ones(1, 2)).sum().backward()
        opt.step()
        sched.step()
    return out


def main():
    args = parse_args("learning-rate schedulers", epochs=200)
    fig, ax = plt.subplots(figsize=(5, 3.5))
    for name, make in SCHEDULERS.items():
        values = lrs(make, args.epochs)
        marks = sorted({0, 49, 50, 99, 100, 159, 160, len(values) - 1} & set(range(len(values))))
        print(f"{name}: " + ", ".join(f"epoch {i}: {values[i]:.6g}" for i in marks))
        print(f"{name} lrs: {values}")
        ax.plot(range(len(values)), values, label=name)
    ax.set_xlabel("epoch")
    ax.set_ylabel("learning rate")
    ax.legend()
    savefig(fig, args.out, "lr_schedulers.png")


if __name__ == "__main__":
    main()
