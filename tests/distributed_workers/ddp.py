"""Run under mpiexec: DistributedDataParallel against one process training on the concatenated
batches of all ranks (1e-6), with no_sync accumulation, several buckets, unused parameters,
buffers and state_dict keys. Prints 'OK <rank>'; a failure aborts the job."""
import sys

import numpy as np

import tinygrad_ext as tg
import tinygrad_ext.distributed as dist
import tinygrad_ext.nn as nn
from tinygrad_ext.nn.parallel import DistributedDataParallel as DDP

dist.init_process_group("mpi", timeout=60)
rank, world = dist.get_rank(), dist.get_world_size()
BATCH, STEPS = 4, 3


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.body = nn.Sequential(nn.Linear(5, 16), nn.ReLU(), nn.Linear(16, 3))
        self.side = nn.Linear(5, 3)    # used only where the forward asks for it
        self.never = nn.Linear(2, 2)   # used by no rank
        self.register_buffer("seen", tg.zeros(2))

    def forward(self, x, use_side=True):
        out = self.body(x)
        return out + self.side(x) if use_side else out


def make_net(seed, all_used=False):
    tg.manual_seed(seed)
    net = Net()
    net.seen.fill_(seed)
    if all_used:
        net.never.requires_grad_(False)  # outside DDP's reduction altogether
    return net


def batch(step, r):
    rs = np.random.RandomState(1000 * step + r)
    return (tg.from_numpy(rs.randn(BATCH, 5).astype(np.float32)),
            tg.from_numpy(rs.randint(0, 3, BATCH).astype(np.int64)))


loss_fn = nn.CrossEntropyLoss()


def uses_side(step, r, all_used):
    return all_used or (step + r) % 2 == 0


def params_close(a, b, what):
    for (name, p), q in zip(a.named_parameters(), b.parameters()):
        diff = float((p.detach() - q.detach()).abs().max())
        assert diff <= 1e-6, f"rank {rank}: {what}: {name} differs by {diff}"


def train_ddp(accumulate, **ddp_kwargs):
    all_used = not ddp_kwargs.get("find_unused_parameters")
    net = make_net(rank, all_used)  # every rank starts elsewhere: DDP broadcasts rank 0's weights
    model = DDP(net, **ddp_kwargs)
    assert model.module is net
    assert net.seen.tolist() == [0.0, 0.0], "buffers broadcast from rank 0"
    opt = tg.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    for step in range(STEPS):
        opt.zero_grad()
        if accumulate:
            with model.no_sync():
                x, y = batch(10 + step, rank)
                loss_fn(model(x, uses_side(step, rank, all_used)), y).backward()
        x, y = batch(step, rank)
        loss_fn(model(x, uses_side(step, rank, all_used)), y).backward()
        opt.step()
    return net, model


def train_reference(accumulate, all_used):
    """One process: the mean loss over all ranks' batches (each rank's part with its own flag)."""
    net = make_net(0, all_used)
    opt = tg.optim.SGD(net.parameters(), lr=0.1, momentum=0.9)
    for step in range(STEPS):
        opt.zero_grad()
        for s in ([10 + step] if accumulate else []) + [step]:
            total = 0
            for r in range(world):
                x, y = batch(s, r)
                total = total + loss_fn(net(x, uses_side(step, r, all_used)), y)
            (total / world).backward()
        opt.step()
    return net


for accumulate in (False, True):
    for kwargs in ({}, {"find_unused_parameters": True}, {"find_unused_parameters": True, "bucket_cap_mb": 0.00005}):
        net, model = train_ddp(accumulate, **kwargs)
        ref = train_reference(accumulate, not kwargs)
        what = f"accumulate={accumulate} {kwargs}"
        params_close(net, ref, what)
        assert net.never.weight.grad is None, "a parameter no rank used keeps grad None"
        # every replica holds the same bits
        flat = tg.cat([p.detach().reshape(-1) for p in net.parameters()])
        gathered = [tg.empty(flat.numel()) for _ in range(world)]
        dist.all_gather(gathered, flat)
        assert all(g.tolist() == flat.tolist() for g in gathered), what
        if kwargs.get("bucket_cap_mb"):
            assert len(model.reducer.buckets) > 3, len(model.reducer.buckets)

keys = list(model.state_dict())
assert keys == ["module." + k for k in net.state_dict()] and "module.body.0.weight" in keys, keys
model.load_state_dict(model.state_dict())

# without find_unused_parameters, a parameter that got no gradient is reported at the next forward
model = DDP(make_net(0))
x, y = batch(0, rank)
loss_fn(model(x, True), y).backward()  # every parameter but `never` gets a gradient
try:
    model(x, True)
    raise AssertionError("expected the unfinished-reduction error")
except RuntimeError as e:
    assert "Expected to have finished reduction in the prior iteration" in str(e), e

# a model that differs across ranks is refused at construction
try:
    DDP(nn.Linear(2 + rank, 2))
    raise AssertionError("expected the model mismatch error")
except RuntimeError as e:
    assert "DDP expects same model across all ranks" in str(e), e

dist.barrier()
sys.stdout.write(f"OK {rank}\n")
sys.stdout.flush()
