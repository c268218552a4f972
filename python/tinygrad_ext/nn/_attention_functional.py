"""Attention in torch.nn.functional: scaled_dot_product_attention and multi_head_attention_forward,
composed of differentiable tg ops (matmul, softmax, linear, dropout); imported into nn.functional."""
import math
import struct

import tinygrad_ext as tg
from ._functional_extra import _check_tensor

__all__ = ["scaled_dot_product_attention", "multi_head_attention_forward"]


def _repeat_heads(x, repeats):
    """Each head of (..., H, S, E) repeated `repeats` times in place (repeat_interleave over dim -3)."""
    shape = list(x.shape)
    grown = x.unsqueeze(-3).expand(*shape[:-2], repeats, *shape[-2:])
    return grown.reshape(*shape[:-3], shape[-3] * repeats, *shape[-2:])


def scaled_dot_product_attention(query, key, value, attn_mask=None, dropout_p=0.0, is_causal=False, scale=None,
                                 enable_gqa=False):
    """softmax(q k^T * scale + mask) v over (..., L, E) queries and (..., S, E) keys; a boolean mask keeps
    the True positions, a float mask is added; rows with every position masked give 0, as torch's.
    float16/bfloat16 inputs follow the CPU kernel torch picks: its flash-attention kernel (below) or its
    math path, float32 throughout and rounded once."""
    for name, t in (("query", query), ("key", key), ("value", value)):
        _check_tensor(t, "scaled_dot_product_attention", name)
    if query.dim() < 2 or key.dim() < 2 or value.dim() < 2:
        raise RuntimeError("scaled_dot_product_attention: expected query, key and value of at least 2 dims, got "
                           f"{list(query.shape)}, {list(key.shape)}, {list(value.shape)}")
    if is_causal and attn_mask is not None:
        raise RuntimeError("_scaled_dot_product_attention: Explicit attn_mask should not be set when is_causal=True")
    dtype = query.dtype
    if enable_gqa and query.dim() >= 3 and key.shape[-3] != query.shape[-3]:
        if query.shape[-3] % key.shape[-3]:
            raise RuntimeError(f"scaled_dot_product_attention: {query.shape[-3]} query heads are not a multiple "
                               f"of {key.shape[-3]} key/value heads")
        repeats = query.shape[-3] // key.shape[-3]
        key, value = _repeat_heads(key, repeats), _repeat_heads(value, repeats)
    if dtype in (tg.float16, tg.bfloat16):
        if _takes_flash_kernel(query, key, value, attn_mask, dropout_p):
            return _flash_reduced(query, key, value, attn_mask, is_causal, scale)
        # torch's math path: float32 throughout, rounded once
        mask = attn_mask.float() if attn_mask is not None and attn_mask.dtype == dtype else attn_mask
        out = scaled_dot_product_attention(query.float(), key.float(), value.float(), mask, dropout_p, is_causal,
                                           scale)
        return out.to(dtype)
    length, source = query.shape[-2], key.shape[-2]
    scale = 1.0 / (query.shape[-1] ** 0.5) if scale is None else scale
    scores = query.matmul(key.transpose(-2, -1)) * scale
    neg_inf = float("-inf")
    if is_causal:
        keep = tg.ones(length, source, dtype=tg.bool).tril()
        scores = scores.masked_fill(keep.logical_not(), neg_inf)
    elif attn_mask is not None:
        if attn_mask.dtype == tg.bool:
            scores = scores.masked_fill(attn_mask.logical_not(), neg_inf)
        else:
            scores = scores + attn_mask
    attn = tg.nn.functional.softmax(scores, -1)
    if is_causal or attn_mask is not None:
        all_masked = (scores == neg_inf).all(-1, keepdim=True)
        attn = tg.where(all_masked, tg.zeros_like(attn), attn)
    if dropout_p > 0.0:
        attn = tg.nn.functional.dropout(attn, dropout_p, training=True)
    return attn.matmul(value)


_KV_BLOCK = 512  # keys per block in torch's CPU flash-attention kernel
_LANES = 8  # floats per vector in torch's AVX2 kernels (AVX-512 builds use 16: the last bits may differ there)


def _f32_bits(u):
    return struct.unpack("<f", struct.pack("<I", u))[0]


# torch's fast exp for softmax numerators bound for 16-bit storage (Vectorized<float>::fexp_u20): 2^(x log2 e)
# built in the float's bits, its fraction corrected by a cubic
_FEXP_LOG2E, _FEXP_LOW = _f32_bits(0x3fb8aa3b), _f32_bits(0xc2aeac50)  # log2(e), ln(FLT_MIN)
_FEXP_CUBIC = (0.00010703434948458272, 0.30354260500649682, -0.22433836478672356, -0.079204240219773236)


def _fma(a, b, c):
    """a * b + c rounded once to float32 (through float64, where a float32 product is exact)."""
    return (a.double() * b + c).float()


def _fast_exp(x):
    """torch's fexp_u20 of float32 x: t = x log2(e); the float whose bits are trunc(2^23 (t - q(frac t)) +
    127 2^23), q the cubic; 0 below ln(FLT_MIN). Values only: the gradient is exp's."""
    exact = x.exp()
    with tg.no_grad():
        c0, c1, c2, c3 = (float(tg.tensor(c, dtype=tg.float32)) for c in _FEXP_CUBIC)
        t = x * tg.tensor(_FEXP_LOG2E, dtype=tg.float32)
        frac = t - t.floor()
        poly = _fma(frac, _fma(frac, _fma(frac, c3, c2), c1), c0)
        bits = _fma(t - poly, 2.0 ** 23, 127 * 2.0 ** 23).to(tg.int32)
        fast = tg.where(x < _FEXP_LOW, 0.0, bits.view(tg.float32))
    return exact + (fast - exact).detach()  # fast's value exactly (the two differ by far less than 2x)


def _lane_sum(x):
    """Sum over the last dim in the order of torch's vectorized loop: per-lane running sums over whole
    vectors, the lanes folded in halves (4 + 4, 2 + 2, 1 + 1), then the leftover elements one by one."""
    n = x.shape[-1] - x.shape[-1] % _LANES
    total = None
    if n:
        lanes = x[..., 0:_LANES]
        for start in range(_LANES, n, _LANES):
            lanes = lanes + x[..., start:start + _LANES]
        width = _LANES
        while width > 1:
            width //= 2
            lanes = lanes[..., :width] + lanes[..., width:2 * width]
        total = lanes
    for i in range(n, x.shape[-1]):
        total = x[..., i:i + 1] if total is None else total + x[..., i:i + 1]
    return total


def _takes_flash_kernel(query, key, value, attn_mask, dropout_p):
    """Whether torch's CPU dispatcher runs its flash-attention kernel (else its math path): 4-D inputs of
    one batch size, one head count and one head size, unit last stride, non-empty sequences, no dropout,
    a 2-D or 4-D mask."""
    tensors = (query, key, value)
    return (dropout_p == 0.0 and all(t.dim() == 4 and t.stride(-1) == 1 for t in tensors)
            and len({t.shape[0] for t in tensors}) == 1 and len({t.shape[1] for t in tensors}) == 1
            and len({t.shape[-1] for t in tensors}) == 1 and query.shape[-2] > 0 and key.shape[-2] > 0
            and (attn_mask is None or attn_mask.dim() in (2, 4)))


def _flash_reduced(query, key, value, attn_mask, is_causal, scale):
    """torch's CPU flash-attention kernel on float16/bfloat16: scores, maxima and denominators in float32,
    but each softmax numerator exp(score - running max) (its fast exp on whole vectors) is rounded to the
    dtype before its product with value; keys go in blocks of _KV_BLOCK, a new maximum rescaling the
    earlier sums; the result is the accumulated product times the reciprocal of the denominator, rounded
    once."""
    dtype, length, source = query.dtype, query.shape[-2], key.shape[-2]
    scale = tg.tensor(1.0 / math.sqrt(query.shape[-1]) if scale is None else scale, dtype=tg.float32)
    scores = query.float().matmul(key.float().transpose(-2, -1))
    if is_causal:
        scores = scores.masked_fill(tg.ones(length, source, dtype=tg.bool).tril().logical_not(), float("-inf"))
    scores = scores * scale
    if attn_mask is not None:
        if attn_mask.dtype == tg.bool:
            scores = scores.masked_fill(attn_mask.logical_not(), float("-inf"))
        else:
            scores = scores + attn_mask.float()
    values = value.float()
    run_max = total = acc = None
    for start in range(0, source, _KV_BLOCK):
        block = scores[..., start:start + _KV_BLOCK]
        top = block.amax(-1, keepdim=True)
        top = top if run_max is None else tg.maximum(top, run_max)
        safe = tg.where(top == float("-inf"), 0.0, top)  # a row with nothing to attend to yet adds zeros
        # numerators: the whole vectors through torch's fast exp, the leftover keys through exp
        shifted, vec = block - safe, block.shape[-1] - block.shape[-1] % _LANES
        numer = tg.cat([_fast_exp(shifted[..., :vec]), shifted[..., vec:].exp()], -1) if vec else shifted.exp()
        part = _lane_sum(numer)
        product = numer.to(dtype).float().matmul(values[..., start:start + _KV_BLOCK, :])
        if run_max is None:
            total, acc = part, product
        else:
            shrink = (run_max - safe).exp()
            total, acc = part + shrink * total, acc * shrink + product
        run_max = top
    total = tg.where(total == 0, 1.0, total)  # fully masked rows give 0
    return (acc * (1.0 / total)).to(dtype)


# ---- multi_head_attention_forward (torch's functional form of nn.MultiheadAttention) ----

def _canonical_mask(mask, name, query_dtype):
    """A boolean mask (True = not allowed to attend) as an additive float mask of -inf; a float mask as is."""
    if mask is None:
        return None
    _check_tensor(mask, "multi_head_attention_forward", name)
    if mask.dtype == tg.bool:
        return tg.zeros(*mask.shape, dtype=query_dtype).masked_fill(mask, float("-inf"))
    if not mask.dtype.is_floating_point:
        raise AssertionError(f"only bool and floating types of {name} are supported")
    return mask


def _shape_check(query, key, value, key_padding_mask, attn_mask, num_heads):
    """Whether the inputs are batched (3-D query); AssertionError on a mix, as torch's _mha_shape_check."""
    d = query.dim()
    if d not in (2, 3):
        raise AssertionError(f"query should be unbatched 2D or batched 3D tensor but received {d}-D query tensor")
    kind = "batched (3-D)" if d == 3 else "unbatched (2-D)"
    if key.dim() != d or value.dim() != d:
        raise AssertionError(f"For {kind} `query`, expected `key` and `value` to be {d}-D but found "
                             f"{key.dim()}-D and {value.dim()}-D tensors respectively")
    if key_padding_mask is not None and key_padding_mask.dim() != d - 1:
        raise AssertionError(f"For {kind} `query`, expected `key_padding_mask` to be `None` or {d - 1}-D but "
                             f"found {key_padding_mask.dim()}-D tensor instead")
    if attn_mask is not None and attn_mask.dim() not in (2, 3):
        raise AssertionError(f"For {kind} `query`, expected `attn_mask` to be `None`, 2-D or 3-D but "
                             f"found {attn_mask.dim()}-D tensor instead")
    if d == 2 and attn_mask is not None and attn_mask.dim() == 3:
        expected = (num_heads, query.shape[0], key.shape[0])
        if tuple(attn_mask.shape) != expected:
            raise AssertionError(f"Expected `attn_mask` shape to be {expected} but got {tuple(attn_mask.shape)}")
    return d == 3


def _in_projection(query, key, value, weight, bias, weights):
    """q, k, v projected by the packed in_proj_weight (3E, E) and in_proj_bias, or by the separate
    (q, k, v) weights with the bias's thirds."""
    linear = tg.nn.functional.linear
    w = weights if weights is not None else weight.chunk(3)
    b = bias.chunk(3) if bias is not None else (None, None, None)
    return linear(query, w[0], b[0]), linear(key, w[1], b[1]), linear(value, w[2], b[2])


def multi_head_attention_forward(query, key, value, embed_dim_to_check, num_heads, in_proj_weight, in_proj_bias,
                                 bias_k, bias_v, add_zero_attn, dropout_p, out_proj_weight, out_proj_bias,
                                 training=True, key_padding_mask=None, need_weights=True, attn_mask=None,
                                 use_separate_proj_weight=False, q_proj_weight=None, k_proj_weight=None,
                                 v_proj_weight=None, static_k=None, static_v=None, average_attn_weights=True,
                                 is_causal=False):
    """Multi-head attention of (L, N, E) queries over (S, N, E) keys and values (or unbatched (L, E),
    (S, E)); returns (output, weights averaged over heads or per head, or None when not need_weights)."""
    F = tg.nn.functional
    op = "multi_head_attention_forward"
    for name, t in (("query", query), ("key", key), ("value", value)):
        _check_tensor(t, op, name)
    batched = _shape_check(query, key, value, key_padding_mask, attn_mask, num_heads)
    if not batched:
        query, key, value = query.unsqueeze(1), key.unsqueeze(1), value.unsqueeze(1)
        if key_padding_mask is not None:
            key_padding_mask = key_padding_mask.unsqueeze(0)
    tgt_len, bsz, embed_dim = query.shape
    src_len = key.shape[0]
    key_padding_mask = _canonical_mask(key_padding_mask, "key_padding_mask", query.dtype)
    if is_causal and attn_mask is None:
        raise RuntimeError("Need attn_mask if specifying the is_causal hint. You may use the Transformer module "
                           "method `generate_square_subsequent_mask` to create this mask.")
    if is_causal and key_padding_mask is None and not need_weights:
        attn_mask = None  # scaled_dot_product_attention applies the causal mask itself
    else:
        attn_mask = _canonical_mask(attn_mask, "attn_mask", query.dtype)
        if key_padding_mask is not None:
            is_causal = False  # the merged mask is used instead of the hint
    if embed_dim != embed_dim_to_check:
        raise AssertionError(f"was expecting embedding dimension of {embed_dim_to_check}, but got {embed_dim}")
    head_dim = embed_dim // num_heads
    if head_dim * num_heads != embed_dim:
        raise AssertionError(f"embed_dim {embed_dim} not divisible by num_heads {num_heads}")
    if use_separate_proj_weight:
        if tuple(key.shape[:2]) != tuple(value.shape[:2]):
            raise AssertionError(f"key's sequence and batch dims {tuple(key.shape[:2])} do not match value's "
                                 f"{tuple(value.shape[:2])}")
        if q_proj_weight is None or k_proj_weight is None or v_proj_weight is None:
            raise AssertionError("use_separate_proj_weight is True but q_proj_weight, k_proj_weight or "
                                 "v_proj_weight is None")
        q, k, v = _in_projection(query, key, value, None, in_proj_bias, (q_proj_weight, k_proj_weight, v_proj_weight))
    else:
        if tuple(key.shape) != tuple(value.shape):
            raise AssertionError(f"key shape {tuple(key.shape)} does not match value shape {tuple(value.shape)}")
        if in_proj_weight is None:
            raise AssertionError("use_separate_proj_weight is False but in_proj_weight is None")
        q, k, v = _in_projection(query, key, value, in_proj_weight, in_proj_bias, None)

    if attn_mask is not None:
        if attn_mask.dim() == 2:
            if tuple(attn_mask.shape) != (tgt_len, src_len):
                raise RuntimeError(f"The shape of the 2D attn_mask is {tuple(attn_mask.shape)}, but should be "
                                   f"{(tgt_len, src_len)}.")
            attn_mask = attn_mask.unsqueeze(0)
        elif attn_mask.dim() == 3:
            if tuple(attn_mask.shape) != (bsz * num_heads, tgt_len, src_len):
                raise RuntimeError(f"The shape of the 3D attn_mask is {tuple(attn_mask.shape)}, but should be "
                                   f"{(bsz * num_heads, tgt_len, src_len)}.")
        else:
            raise RuntimeError(f"attn_mask's dimension {attn_mask.dim()} is not supported")

    if bias_k is not None and bias_v is not None:  # one more key and value, learned
        if static_k is not None or static_v is not None:
            raise AssertionError("bias cannot be added to static key/value.")
        k = tg.cat([k, bias_k.repeat(1, bsz, 1)])
        v = tg.cat([v, bias_v.repeat(1, bsz, 1)])
        attn_mask = F.pad(attn_mask, (0, 1)) if attn_mask is not None else None
        key_padding_mask = F.pad(key_padding_mask, (0, 1)) if key_padding_mask is not None else None
    elif bias_k is not None or bias_v is not None:
        raise AssertionError("bias_k and bias_v must both be given or both be None")

    # heads into the batch: (N * H, L, head_dim)
    q = q.reshape(tgt_len, bsz * num_heads, head_dim).transpose(0, 1)
    k = _heads(k, static_k, bsz * num_heads, head_dim, "key")
    v = _heads(v, static_v, bsz * num_heads, head_dim, "value")
    if add_zero_attn:  # one more key and value, all zeros
        zero = tg.zeros(bsz * num_heads, 1, head_dim, dtype=k.dtype)
        k, v = tg.cat([k, zero], dim=1), tg.cat([v, zero.to(v.dtype)], dim=1)
        attn_mask = F.pad(attn_mask, (0, 1)) if attn_mask is not None else None
        key_padding_mask = F.pad(key_padding_mask, (0, 1)) if key_padding_mask is not None else None
    src_len = k.shape[1]

    if key_padding_mask is not None:  # merged into the attention mask, per head
        if tuple(key_padding_mask.shape) != (bsz, src_len):
            raise AssertionError(f"expecting key_padding_mask shape of {(bsz, src_len)}, but got "
                                 f"{tuple(key_padding_mask.shape)}")
        per_head = key_padding_mask.reshape(bsz, 1, 1, src_len).expand(bsz, num_heads, 1, src_len)
        per_head = per_head.reshape(bsz * num_heads, 1, src_len)
        attn_mask = per_head if attn_mask is None else attn_mask + per_head
    if not training:
        dropout_p = 0.0

    if need_weights:
        q_scaled = q * math.sqrt(1.0 / float(head_dim))
        if is_causal and attn_mask is None:
            raise AssertionError("FIXME: is_causal not implemented for need_weights")
        scores = q_scaled.bmm(k.transpose(-2, -1))
        if attn_mask is not None:
            scores = scores + attn_mask
        weights = F.softmax(scores, dim=-1)
        if dropout_p > 0.0:
            weights = F.dropout(weights, p=dropout_p)
        out = weights.bmm(v).transpose(0, 1).reshape(tgt_len * bsz, embed_dim)
        out = F.linear(out, out_proj_weight, out_proj_bias).reshape(tgt_len, bsz, -1)
        weights = weights.reshape(bsz, num_heads, tgt_len, src_len)
        if average_attn_weights:
            weights = weights.mean(dim=1)
        if not batched:
            out, weights = out.squeeze(1), weights.squeeze(0)
        return out, weights

    if attn_mask is not None:  # (1, L, S) broadcasts over batch and heads; else one mask per head
        attn_mask = attn_mask.unsqueeze(0) if attn_mask.shape[0] == 1 else attn_mask.reshape(bsz, num_heads, -1, src_len)
    q = q.reshape(bsz, num_heads, tgt_len, head_dim)
    k = k.reshape(bsz, num_heads, src_len, head_dim)
    v = v.reshape(bsz, num_heads, src_len, head_dim)
    out = scaled_dot_product_attention(q, k, v, attn_mask, dropout_p, is_causal)
    out = out.permute(2, 0, 1, 3).reshape(bsz * tgt_len, embed_dim)
    out = F.linear(out, out_proj_weight, out_proj_bias).reshape(tgt_len, bsz, -1)
    if not batched:
        out = out.squeeze(1)
    return out, None


def _heads(x, static, batch_heads, head_dim, name):
    """Keys or values (S, N, E) as (N * H, S, head_dim), or the given static ones (checked)."""
    if static is None:
        return x.reshape(x.shape[0], batch_heads, head_dim).transpose(0, 1)
    if static.shape[0] != batch_heads:
        raise AssertionError(f"expecting static_{name[0]}.size(0) of {batch_heads}, but got {static.shape[0]}")
    if static.shape[2] != head_dim:
        raise AssertionError(f"expecting static_{name[0]}.size(2) of {head_dim}, but got {static.shape[2]}")
    return static
