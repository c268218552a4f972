"""DistributedDataParallel: one model replica per process; gradients are averaged across processes
during backward, bucket by bucket, so communication overlaps the rest of backward (as torch's DDP,
Li et al., VLDB 2020)."""
import contextlib
import time

import tinygrad_ext as tg
from tinygrad_ext import distributed as dist
from tinygrad_ext.distributed import distributed_c10d as c10d

from ..modules.module import Module

__all__ = ["DistributedDataParallel"]

_DEFAULT_FIRST_BUCKET_BYTES = 1024 * 1024  # torch's: a small first bucket starts communication early


def _find_tensors(obj):
    """The tensors inside a forward's output (nested lists, tuples, dicts)."""
    if isinstance(obj, tg.Tensor):
        return [obj]
    if isinstance(obj, (list, tuple)):
        return [t for o in obj for t in _find_tensors(o)]
    if isinstance(obj, dict):
        return [t for o in obj.values() for t in _find_tensors(o)]
    return []


def _reachable_leaves(outputs):
    """ids of the leaf tensors whose gradients backward from `outputs` would produce."""
    leaves = {id(t) for t in outputs if t.grad_fn is None and t.requires_grad}
    seen = {}  # id -> node, holding each node so its id stays its own
    stack = [t.grad_fn for t in outputs if t.grad_fn is not None]
    while stack:
        fn = stack.pop()
        if id(fn) in seen:
            continue
        seen[id(fn)] = fn
        if fn.name() == "AccumulateGrad":
            leaves.add(id(fn.variable))
        stack.extend(nxt for nxt, _ in fn.next_functions if nxt is not None)
    return leaves


class _Bucket:
    """Parameters whose gradients are averaged by one all-reduce of their concatenation."""

    def __init__(self, params):
        self.params = params
        self.pending = len(params)
        self.flat = None
        self.work = None


class _Reducer:
    """Assigns parameters to buckets, counts gradients as the post-accumulate-grad hooks report
    them, launches each bucket's asynchronous all-reduce in bucket order once all its gradients
    are in, and when the last bucket is launched waits for all of them and writes the averages
    back into .grad (before backward returns)."""

    def __init__(self, params, pg, bucket_bytes_cap, find_unused):
        self.pg = pg
        self.world = pg.size()
        self.find_unused = find_unused
        self.buckets = self._assign_buckets(params, bucket_bytes_cap)
        self.bucket_of = {}
        for b in self.buckets:
            for p in b.params:
                self.bucket_of[id(p)] = b
        self.expect_hooks = False
        self.ready = set()
        self.locally_used = set()
        self.next_bucket = 0
        self.comm_wait_s = 0.0  # time spent blocked on communication at the end of backward
        self.handles = [p.register_post_accumulate_grad_hook(self._grad_ready) for p in params]

    @staticmethod
    def _assign_buckets(params, cap):
        """Buckets in reverse registration order (backward produces the last layers' gradients
        first), one dtype per bucket, closed once they reach the cap (1 MiB for the first)."""
        buckets, open_ = [], {}
        limits = {}
        for p in reversed(params):
            cur = open_.setdefault(p.dtype, [])
            cur.append(p)
            limit = limits.setdefault(p.dtype, min(_DEFAULT_FIRST_BUCKET_BYTES, cap))
            if sum(q.numel() * q.element_size() for q in cur) >= limit:
                buckets.append(_Bucket(cur))
                open_[p.dtype] = []
                limits[p.dtype] = cap
        buckets.extend(_Bucket(cur) for cur in open_.values() if cur)
        return buckets

    def prepare_for_backward(self, outputs):
        """Called after each synchronizing forward: the next backward reduces every bucket."""
        if self.expect_hooks and self.ready:
            raise RuntimeError(
                "Expected to have finished reduction in the prior iteration before starting a new one. "
                "This error indicates that your module has parameters that were not used in producing "
                "loss. You can enable unused parameter detection by passing the keyword argument "
                "`find_unused_parameters=True` to `tinygrad_ext.nn.parallel.DistributedDataParallel`, "
                "and by making sure all `forward` function outputs participate in calculating loss.")
        self.expect_hooks = True
        self.ready = set()
        self.locally_used = set()
        self.next_bucket = 0
        for b in self.buckets:
            b.pending, b.flat, b.work = len(b.params), None, None
        if self.find_unused:
            reached = _reachable_leaves(outputs)
            for b in self.buckets:
                for p in b.params:
                    if id(p) not in reached:
                        self._mark_ready(p)

    def _grad_ready(self, param):
        if not self.expect_hooks:
            return  # a forward under no_sync(): gradients stay local
        self.locally_used.add(id(param))
        self._mark_ready(param)

    def _mark_ready(self, param):
        if id(param) in self.ready:
            raise RuntimeError(
                "Expected to mark a variable ready only once. This error is caused by one of the "
                "following reasons: 1) Use of a module parameter outside the `forward` function; "
                "2) Reused parameters in multiple reentrant backward passes.")
        self.ready.add(id(param))
        b = self.bucket_of[id(param)]
        b.pending -= 1
        while self.next_bucket < len(self.buckets) and self.buckets[self.next_bucket].pending == 0:
            self._launch(self.buckets[self.next_bucket])
            self.next_bucket += 1
        for other in self.buckets[:self.next_bucket]:
            other.work.is_completed()  # lets MPI progress the reductions in flight
        if self.next_bucket == len(self.buckets):
            self._finalize()

    def _launch(self, b):
        with tg.no_grad():
            parts = [p.grad.reshape(-1) if p.grad is not None else tg.zeros(p.numel(), dtype=p.dtype)
                     for p in b.params]
            b.flat = tg.cat(parts) if len(parts) > 1 else parts[0].clone()
            b.flat.div_(self.world)  # averaged like torch: each rank's share is divided first
        b.work = c10d._all_reduce(b.flat, dist.ReduceOp.SUM, "DistributedDataParallel all_reduce",
                                  self.pg, True)

    def _finalize(self):
        self.expect_hooks = False
        start = time.perf_counter()
        for b in self.buckets:
            b.work.wait()
        globally_used = self._globally_used() if self.find_unused else None
        self.comm_wait_s += time.perf_counter() - start
        with tg.no_grad():
            for b in self.buckets:
                offset = 0
                for p in b.params:
                    n = p.numel()
                    avg = b.flat[offset:offset + n].reshape(p.shape)
                    offset += n
                    if globally_used is not None and id(p) not in globally_used:
                        continue  # no rank used it: its .grad stays as it was
                    if p.grad is None:
                        p.grad = avg.clone()
                    else:
                        p.grad.copy_(avg)
            for b in self.buckets:
                b.flat = b.work = None

    def _globally_used(self):
        params = [p for b in self.buckets for p in b.params]
        used = tg.tensor([1 if id(p) in self.locally_used else 0 for p in params], dtype=tg.int64)
        c10d._all_reduce(used, dist.ReduceOp.MAX, "DistributedDataParallel unused-parameter map",
                         self.pg, False)
        return {id(p) for p, u in zip(params, used.tolist()) if u}


class DistributedDataParallel(Module):
    """Wraps `module` for data-parallel training, as torch.nn.parallel.DistributedDataParallel:
    rank 0's parameters and buffers are broadcast at construction, gradients are averaged across
    the process group during backward (asynchronously, in buckets of bucket_cap_mb), buffers are
    broadcast from rank 0 before each forward (broadcast_buffers). `no_sync()` skips the averaging
    so gradients accumulate locally; the first synchronizing backward averages the sum."""

    def __init__(self, module, device_ids=None, output_device=None, dim=0, broadcast_buffers=True,
                 process_group=None, bucket_cap_mb=None, find_unused_parameters=False,
                 check_reduction=False, gradient_as_bucket_view=False, static_graph=False):
        super().__init__()
        params = [p for p in module.parameters() if p.requires_grad]
        if not params:
            raise RuntimeError("DistributedDataParallel is not needed when a module doesn't have any "
                               "parameter that requires a gradient.")
        if device_ids is not None and len(device_ids) > 0:
            raise ValueError("device_ids can only be None or an empty list for CPU modules, "
                             f"but got device_ids {device_ids}")
        self.module = module
        self.process_group = c10d._group(process_group)
        self.dim = dim
        self.broadcast_buffers = broadcast_buffers
        self.find_unused_parameters = find_unused_parameters
        self.require_backward_grad_sync = True
        self.require_forward_param_sync = True
        self.bucket_bytes_cap = int((25 if bucket_cap_mb is None else bucket_cap_mb) * 1024 * 1024)
        self._verify_same_model(module)
        self._broadcast_from_rank0(list(module.parameters()) + list(module.buffers()))
        self.reducer = _Reducer(params, self.process_group, self.bucket_bytes_cap, find_unused_parameters)

    def _verify_same_model(self, module):
        mine = [(tuple(p.shape), p.dtype.name) for p in module.parameters()]
        everyone = self.process_group.comm.allgather(mine)
        rank = self.process_group.rank()
        for r, theirs in enumerate(everyone):
            if len(theirs) != len(mine):
                raise RuntimeError(f"DDP expects same model across all ranks, but Rank {rank} has "
                                   f"{len(mine)} params, while rank {r} has inconsistent {len(theirs)} params.")
            for i, (a, b) in enumerate(zip(mine, theirs)):
                if a != b:
                    raise RuntimeError(f"DDP expects same model across all ranks, but parameter {i} has "
                                       f"shape {list(a[0])} ({a[1]}) on rank {rank} and {list(b[0])} "
                                       f"({b[1]}) on rank {r}.")

    def _broadcast_from_rank0(self, tensors):
        root = self.process_group.ranks[0]
        with tg.no_grad():
            for t in tensors:
                if t.numel():
                    c10d.broadcast(t, src=root, group=self.process_group)

    def forward(self, *inputs, **kwargs):
        if self.broadcast_buffers and self.require_forward_param_sync:
            self._broadcast_from_rank0(list(self.module.buffers()))
        outputs = self.module(*inputs, **kwargs)
        if tg.is_grad_enabled() and self.require_backward_grad_sync:
            self.require_forward_param_sync = True
            self.reducer.prepare_for_backward(_find_tensors(outputs))
        else:
            self.require_forward_param_sync = False
        return outputs

    @contextlib.contextmanager
    def no_sync(self):
        """Within this context, backward keeps gradients local (they accumulate in .grad)."""
        old = self.require_backward_grad_sync
        self.require_backward_grad_sync = False
        try:
            yield
        finally:
            self.require_backward_grad_sync = old
