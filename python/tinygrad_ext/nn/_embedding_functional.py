"""nn.functional.embedding with every option (max_norm, norm_type, scale_grad_by_freq, sparse),
embedding_bag (sum / mean / max bags from offsets or 2-D input, per_sample_weights, padding_idx)
and bilinear, composed of tg ops (gather, index_add, segment sums)."""
import tinygrad_ext as tg
from .._C import _nn as _k

__all__ = ["embedding", "embedding_bag", "bilinear"]


def _renorm_rows_(weight, indices, max_norm, norm_type):
    """In place, without autograd: the rows of weight named by indices get norm at most max_norm
    (scaled by max_norm / (norm + 1e-7)), as torch.embedding_renorm_. A repeated index writes the
    same row twice."""
    with tg.no_grad():
        rows = indices.reshape(-1)
        picked = weight.index_select(0, rows)
        norms = tg.linalg.vector_norm(picked, norm_type, 1, keepdim=True)
        scale = tg.where(norms > max_norm, max_norm / (norms + 1e-7), tg.ones_like(norms))
        weight[rows] = picked * scale


def _scaled_by_frequency(weight, indices):
    """weight unchanged in value, whose gradient rows are divided by how often each row is used."""
    counts = tg.bincount(indices.reshape(-1), minlength=weight.shape[0]).clamp(min=1).to(weight.dtype)
    scaled = weight / counts.unsqueeze(1)
    return weight.detach() + (scaled - scaled.detach())  # value: weight exactly; gradient: 1 / count


def _padding_index(padding_idx, n):
    if padding_idx is None:
        return None
    if not -n <= padding_idx < n:
        raise AssertionError("Padding_idx must be within num_embeddings")
    return padding_idx % n


def embedding(input, weight, padding_idx=None, max_norm=None, norm_type=2.0, scale_grad_by_freq=False, sparse=False):
    """weight[input]; the padding row gets no gradient. sparse gradients are not supported: sparse=True
    gives the same dense gradient."""
    if weight.dim() != 2:
        raise RuntimeError("'weight' must be 2-D")
    padding_idx = _padding_index(padding_idx, weight.shape[0])
    if max_norm is not None:
        _renorm_rows_(weight, input.contiguous(), max_norm, norm_type)
    if scale_grad_by_freq:
        weight = _scaled_by_frequency(weight, input)
    return _k.embedding(weight, input, padding_idx)


def _bag_membership(input, offsets, include_last_offset, padding_idx, op):
    """(indices as 1-D, the bag of each index or -1 for none (padding_idx, past the last offset), the
    number of bags)."""
    if input.dim() == 2:
        if offsets is not None:
            raise ValueError("if input is 2D, then offsets has to be None, as input is treated is a mini-batch of "
                             "fixed length sequences. However, found offsets of type Tensor")
        bags, length = input.shape
        flat = input.reshape(-1)
        bag_of = tg.arange(bags * length) // max(length, 1)
    elif input.dim() == 1:
        if offsets is None:
            raise ValueError("offsets has to be a 1D Tensor but got None")
        if offsets.dim() != 1:
            raise ValueError("offsets has to be a 1D Tensor")
        flat = input
        starts = offsets[:-1] if include_last_offset else offsets
        bags = starts.shape[0]
        bag_of = tg.searchsorted(starts.contiguous(), tg.arange(flat.shape[0]), right=True) - 1
        if include_last_offset:
            bag_of = tg.where(tg.arange(flat.shape[0]) >= offsets[-1], -1, bag_of)
    else:
        raise ValueError(f"input has to be 1D or 2D Tensor, but got Tensor of dimension {input.dim()}")
    if padding_idx is not None:
        bag_of = tg.where(flat == padding_idx, -1, bag_of)
    return flat, bag_of, bags


def _round_bf16_half_away(x):
    """float32 x to bfloat16 rounding halfway cases away from zero (add half an ulp to the bits, truncate),
    as the FBGEMM kernel behind torch's bfloat16 embedding_bag fast path does; the gradient is the cast's."""
    nearest = x.to(tg.bfloat16)
    with tg.no_grad():
        away = ((x.view(tg.int32) + 0x8000) & -0x10000).view(tg.float32).to(tg.bfloat16)
    return tg.where(away == nearest, nearest, away + (nearest - nearest.detach()))


def embedding_bag(input, weight, offsets=None, max_norm=None, norm_type=2, scale_grad_by_freq=False, mode="mean",
                  sparse=False, per_sample_weights=None, include_last_offset=False, padding_idx=None):
    """Sums, means or maxima of bags of embeddings: bags are the rows of a 2-D input, or the runs of a
    1-D input that start at offsets. Indices equal to padding_idx are left out; an empty bag gives 0."""
    if mode not in ("sum", "mean", "max"):
        raise ValueError(f"mode has to be one of sum, mean or max, but got {mode}")
    if per_sample_weights is not None:
        if mode != "sum":
            raise NotImplementedError(f"embedding_bag: per_sample_weights was not None. per_sample_weights is only "
                                      f"supported for mode='sum' (got mode='{mode}'). Please open a feature request on "
                                      "the Pytorch GitHub.")
        if tuple(per_sample_weights.shape) != tuple(input.shape):
            raise ValueError(f"embedding_bag: If per_sample_weights ({tuple(per_sample_weights.shape)}) is not None, "
                             f"then it must have the same shape as the input ({tuple(input.shape)})")
    padding_idx = _padding_index(padding_idx, weight.shape[0])
    flat, bag_of, bags = _bag_membership(input, offsets, include_last_offset, padding_idx, "embedding_bag")
    if max_norm is not None:
        _renorm_rows_(weight, flat.contiguous(), max_norm, norm_type)
    if scale_grad_by_freq:
        weight = _scaled_by_frequency(weight, flat)
    rows = _k.embedding(weight, flat, None)  # [len, dim]
    if mode == "max":
        member = bag_of.unsqueeze(0) == tg.arange(bags).unsqueeze(1)  # [bags, len]
        spread = tg.where(member.unsqueeze(-1), rows.unsqueeze(0), float("-inf"))  # [bags, len, dim]
        best = spread.amax(1) if flat.shape[0] else tg.zeros(bags, weight.shape[1], dtype=weight.dtype)
        return tg.where(member.any(1, keepdim=True), best, 0.0)
    # torch's CPU kernel: each bag summed in index order, float16/bfloat16 rows in float32 and rounded
    # once to the weight's dtype; a mean then divides that by the bag's size in the weight's dtype
    reduced = weight.dtype in (tg.float16, tg.bfloat16)
    if reduced:
        rows = rows.float()
    if per_sample_weights is not None:
        rows = rows * per_sample_weights.to(rows.dtype).reshape(-1, 1)
    spill = tg.where(bag_of < 0, bags, bag_of)  # indices in no bag go to an extra row, dropped after
    out = tg.zeros(bags + 1, weight.shape[1], dtype=rows.dtype).index_add(0, spill, rows)[:bags]
    if reduced:
        # FBGEMM's bfloat16 output rounds halfway cases away from zero; torch takes it without padding_idx
        # on rows (and per_sample_weights) of unit stride, else its own loop rounds to nearest even
        fbgemm = (padding_idx is None and weight.stride(1) == 1
                  and (per_sample_weights is None or per_sample_weights.reshape(-1).stride(0) == 1))
        out = _round_bf16_half_away(out) if weight.dtype == tg.bfloat16 and fbgemm else out.to(weight.dtype)
    if mode == "mean":
        count = tg.bincount(spill, minlength=bags + 1)[:bags].unsqueeze(1)
        out = out / count.clamp(min=1).to(out.dtype)
    return out


def bilinear(input1, input2, weight, bias=None):
    """out[..., o] = sum_ij input1[..., i] weight[o, i, j] input2[..., j] + bias[o]."""
    if input1.shape[:-1] != input2.shape[:-1]:
        raise RuntimeError(f"bilinear(): input batch dimensions do not match: got {list(input1.shape[:-1])} and "
                           f"{list(input2.shape[:-1])}")
    if weight.dim() != 3:
        raise RuntimeError(f"bilinear(): weight must be three-dimensional, but got {weight.dim()} dimensions")
    if input1.shape[-1] != weight.shape[1]:
        raise RuntimeError(f"bilinear(): input1 size does not match weight size: got {input1.shape[-1]} but "
                           f"expected {weight.shape[1]}")
    if input2.shape[-1] != weight.shape[2]:
        raise RuntimeError(f"bilinear(): input2 size does not match weight size: got {input2.shape[-1]} but "
                           f"expected {weight.shape[2]}")
    out = tg.einsum("...i,oij,...j->...o", input1, weight, input2)
    return out if bias is None else out + bias
