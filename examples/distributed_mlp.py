# The Fashion-MNIST MLP (784-256-10, ReLU, dropout) trained data-parallel over N processes:
#   mpiexec -n 2 python examples/distributed_mlp.py
#   python -m tinygrad_ext.distributed.run --nproc 2 examples/distributed_mlp.py
# Each process reads its own share of every epoch (DistributedSampler), DistributedDataParallel
# averages the gradients during backward, and rank 0 reports the test accuracy.
import argparse
import os
import time

import tinygrad_ext as tg
import tinygrad_ext.distributed as dist
from tinygrad_ext import nn, optim
from tinygrad_ext import transforms as T
from tinygrad_ext.nn.parallel import DistributedDataParallel
from tinygrad_ext.utils.data import DataLoader, DistributedSampler, Subset

HERE = os.path.dirname(os.path.abspath(__file__))


def parse_args():
    p = argparse.ArgumentParser(description="data-parallel MLP on Fashion-MNIST")
    p.add_argument("--epochs", type=int, default=10)
    p.add_argument("--batch-size", type=int, default=256, help="global batch, split over the processes")
    p.add_argument("--quick", action="store_true", help="the first 2000/1000 images only")
    shared = os.path.join(HERE, "..", "..", "shared", "data", "fashion-mnist")
    default = os.environ.get("TG_DATA") or (shared if os.path.isdir(shared) else os.path.join(HERE, "..", "data"))
    p.add_argument("--data", default=default, help="Fashion-MNIST folder (env TG_DATA); downloaded if missing")
    return p.parse_args()


def datasets(data_dir, quick):
    trans = T.ToTensor()
    if dist.get_rank() == 0:  # one process downloads; the others wait, then read the files
        tg.datasets.FashionMNIST(data_dir, train=True, download=True)
        tg.datasets.FashionMNIST(data_dir, train=False, download=True)
    dist.barrier()
    train = tg.datasets.FashionMNIST(data_dir, train=True, transform=trans)
    test = tg.datasets.FashionMNIST(data_dir, train=False, transform=trans)
    if quick:
        train, test = Subset(train, list(range(2000))), Subset(test, list(range(1000)))
    return train, test


def main():
    args = parse_args()
    dist.init_process_group("mpi")
    rank, world = dist.get_rank(), dist.get_world_size()
    train_set, test_set = datasets(args.data, args.quick)
    sampler = DistributedSampler(train_set, shuffle=True, seed=0)
    train_iter = DataLoader(train_set, args.batch_size // world, sampler=sampler)
    tg.manual_seed(rank)  # DDP starts every replica from rank 0's weights; dropout differs per rank
    net = nn.Sequential(nn.Flatten(), nn.Linear(784, 256), nn.ReLU(), nn.Dropout(0.2), nn.Linear(256, 10))
    model = DistributedDataParallel(net)
    loss_fn = nn.CrossEntropyLoss()
    opt = optim.Adam(model.parameters(), lr=2e-3, weight_decay=1e-5)
    scheduler = optim.lr_scheduler.CosineAnnealingLR(opt, T_max=args.epochs)
    for epoch in range(args.epochs):
        sampler.set_epoch(epoch)  # a new order each epoch, the same on every rank
        model.train()
        start, waited = time.perf_counter(), model.reducer.comm_wait_s
        totals = tg.zeros(3, dtype=tg.float64)  # loss sum, correct, samples of this rank
        for X, y in train_iter:
            opt.zero_grad()
            y_hat = model(X)
            loss = loss_fn(y_hat, y)
            loss.backward()
            opt.step()
            totals += tg.tensor([float(loss) * y.numel(), float((y_hat.argmax(1) == y).sum()), y.numel()],
                                dtype=tg.float64)
        scheduler.step()
        seconds = time.perf_counter() - start
        dist.all_reduce(totals)  # the whole epoch, over all ranks
        loss_sum, correct, n = totals.tolist()
        if rank == 0:
            acc = evaluate(net, test_set)
            share = (model.reducer.comm_wait_s - waited) / seconds
            print(f"epoch {epoch + 1}: train loss {loss_sum / n:.3f}, train acc {correct / n:.3f}, "
                  f"test acc {acc:.3f}, {seconds:.2f} s ({share:.0%} waiting on communication)", flush=True)
    if rank == 0:
        print(f"final: {world} processes, test acc {evaluate(net, test_set):.3f}", flush=True)
    dist.destroy_process_group()


def evaluate(net, test_set):
    net.eval()
    correct = n = 0
    with tg.no_grad():
        for X, y in DataLoader(test_set, 1000):
            correct += float((net(X).argmax(1) == y).sum())
            n += y.numel()
    return correct / n


if __name__ == "__main__":
    main()
