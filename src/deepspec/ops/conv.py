"""Convolution, channels last: output size, zero padding, conv2d.   notes §4.1

Output size (notes §4.1, strided convolution): n_out = floor((n + 2p - f) / s) + 1.
Images are (m, n_H, n_W, n_C_prev); filters keep the notes' layout (f_h, f_w, n_C_prev, n_C).

conv2d is im2col + GEMM: the (f_h, f_w, n_C_prev) patch under every output pixel is copied
(stride tricks) into a row of a column matrix, and Z = cols @ W.reshape(-1, n_C) + b. For few
input channels the matrix is stored offset-major (its transpose), where the copy runs along
image rows. Backward is closed form: dW = cols^T dZ, db = sum dZ, and dA_prev is either
col2im of dcols = dZ W^T, a scatter-add of f_h * ceil(f_w / s_w) strided adds, or, at stride
1 on near-'same' shapes, the convolution of the zero-padded dZ with the flipped filters (a
copy and a GEMM, no scatter). The work runs in tiles of whole examples (or bands of output
rows, for big images) so each column matrix stays in cache; it is never kept for backward,
which rebuilds it (cheaper than holding f_h f_w copies of the input; keeping it measured
slower even for LeNet-5's small layers). Grouped filters are one GEMM per group (numpy's
batched matmul, no Python loop); depthwise filters (one channel per group) skip the column
matrix: an einsum over the window view, per depth multiplier. A 1x1 filter without padding
is a plain GEMM on the (m n_H n_W, n_C_prev) view.
"""

from __future__ import annotations

from .. import kernels
from ..backend import xp
from ..tensor import Function, Tensor

# elements per column-matrix tile, 2**20 (4 MiB in float32): the tile stays in cache while
# its GEMMs and scatter-adds run (on an idle machine 2**21 is ~10% slower, 2**22 ~20%), and
# the buffer, below glibc's 32 MiB mmap threshold, is recycled from the heap rather than
# page-faulted afresh on every call. Each tile makes three BLAS calls; on a machine whose
# cores are oversubscribed every call waits for the BLAS threads, and bigger tiles do better.
TILE_ELEMS = 1 << 20


# ---- shapes and padding -------------------------------------------------------------------
def _is_int(v) -> bool:
    return isinstance(v, (int, xp.integer)) and not isinstance(v, bool)


def conv_output_size(n: int, f: int, stride: int = 1, pad: int | tuple[int, int] = 0) -> int:
    """floor((n + 2p - f) / s) + 1, the output size along one axis.   notes §4.1

    ``pad`` is the padding on each side, or a pair (before, after) for asymmetric padding
    (then n + before + after replaces n + 2p).
    """
    if not (_is_int(pad) or isinstance(pad, (tuple, list)) and len(pad) == 2):
        raise TypeError(f"conv_output_size: pad should be an int or a pair (before, after), "
                        f"got {pad!r}")
    before, after = (pad, pad) if _is_int(pad) else tuple(pad)
    for name, v in (("n", n), ("f", f), ("stride", stride), ("padding", before),
                    ("padding", after)):
        if not _is_int(v):
            raise TypeError(f"conv_output_size: {name} should be an int, got {v!r}")
    if f < 1 or stride < 1 or n < 0 or before < 0 or after < 0:
        raise ValueError(f"conv_output_size: need f >= 1, stride >= 1, n >= 0 and padding >= "
                         f"0, got n={n}, f={f}, stride={stride}, padding={pad}")
    padded = n + before + after
    if f > padded:
        raise ValueError(f"conv_output_size: the filter (f={f}) is bigger than the padded "
                         f"input (n={n} + padding {pad} = {padded}), stride={stride}")
    return (padded - f) // stride + 1


def _pair(op: str, name: str, v) -> tuple[int, int]:
    """An int, or a pair of ints, as a pair of positive ints (kernel sizes, strides)."""
    pair = (v, v) if _is_int(v) else tuple(v) if isinstance(v, (tuple, list)) else None
    if pair is None or len(pair) != 2 or not all(_is_int(p) and p >= 1 for p in pair):
        raise ValueError(f"{op}: {name} should be a positive int or a pair of them, got {v!r}")
    return int(pair[0]), int(pair[1])


def _pads(op: str, padding) -> tuple[tuple[int, int], tuple[int, int]]:
    """int p, (p_h, p_w) or ((top, bottom), (left, right)) -> ((top, bottom), (left, right))."""
    if _is_int(padding):
        pads = ((padding, padding), (padding, padding))
    elif isinstance(padding, (tuple, list)) and len(padding) == 2:
        pads = tuple((p, p) if _is_int(p) else tuple(p) if isinstance(p, (tuple, list)) else ()
                     for p in padding)
    else:
        pads = ()
    if len(pads) != 2 or not all(len(p) == 2 and all(_is_int(v) and v >= 0 for v in p)
                                 for p in pads):
        raise ValueError(f"{op}: padding should be 'valid', 'same', an int >= 0, a pair "
                         f"(p_h, p_w) or ((top, bottom), (left, right)), got {padding!r}")
    return tuple((int(a), int(b)) for a, b in pads)


def _same_pads(n: int, f: int, s: int) -> tuple[int, int]:
    """TensorFlow's 'same': n_out = ceil(n / s); the odd pixel of padding goes bottom/right."""
    total = max((-(-n // s) - 1) * s + f - n, 0)
    return total // 2, total - total // 2


def resolve_padding(op: str, padding, size: tuple[int, int], kernel: tuple[int, int],
                    stride: tuple[int, int]) -> tuple[tuple[int, int], tuple[int, int]]:
    """'valid' | 'same' | int | (p_h, p_w) | ((top, bottom), (left, right)) -> explicit pads."""
    if isinstance(padding, str):
        if padding == "valid":
            return (0, 0), (0, 0)
        if padding == "same":
            return tuple(_same_pads(n, f, s) for n, f, s in zip(size, kernel, stride))
        raise ValueError(f"{op}: padding should be 'valid', 'same', an int or a pair, "
                         f"got {padding!r}")
    return _pads(op, padding)


# ---- zero padding ---------------------------------------------------------------------------
class ZeroPad(Function):
    """Pad n_H and n_W with zeros (the notes' zero_pad); backward crops.   notes §4.1

    Shapes: x (m, n_H, n_W, n_C) -> (m, n_H + top + bottom, n_W + left + right, n_C).
    """

    def forward(self, x, *, pads):
        if x.ndim != 4:
            raise ValueError(f"zero_pad: x should be 4-D (m, n_H, n_W, n_C), got shape "
                             f"{x.shape}")
        (top, bottom), (left, right) = pads
        m, n_H, n_W, n_C = x.shape
        self.pads, self.n_H, self.n_W = pads, n_H, n_W
        out = xp.zeros((m, n_H + top + bottom, n_W + left + right, n_C), dtype=x.dtype)
        out[:, top:top + n_H, left:left + n_W] = x
        return out

    def backward(self, dout):
        (top, _), (left, _) = self.pads
        return dout[:, top:top + self.n_H, left:left + self.n_W]


def zero_pad(x: Tensor, pad) -> Tensor:
    """Zero-pad the height and width of x (m, n_H, n_W, n_C).   notes §4.1

    ``pad``: an int (all four sides), (p_h, p_w), or ((top, bottom), (left, right)).
    """
    return ZeroPad.apply(x, pads=_pads("zero_pad", pad))


# ---- conv2d ---------------------------------------------------------------------------------
def _tiles(m: int, n_H: int, row_elems: int) -> list[tuple[int, int, int, int]]:
    """(n0, n1, h0, h1) blocks of examples x output rows of about TILE_ELEMS elements each:
    whole examples when one fits, otherwise bands of rows of one example (large images)."""
    per_example = n_H * row_elems
    if per_example <= TILE_ELEMS:
        k = TILE_ELEMS // per_example
        return [(n0, min(n0 + k, m), 0, n_H) for n0 in range(0, m, k)]
    rows = max(1, TILE_ELEMS // row_elems)
    return [(n, n + 1, h0, min(h0 + rows, n_H)) for n in range(m) for h0 in range(0, n_H, rows)]


def _windows(A, f_h: int, f_w: int, s_h: int, s_w: int):
    """(m, n_H, n_W, n_C, f_h, f_w): the patch under every output pixel, a view (no copy)."""
    windows = xp.lib.stride_tricks.sliding_window_view(A, (f_h, f_w), axis=(1, 2))
    return windows[:, ::s_h, ::s_w]


def _hit(k: int, before: int, n_in: int, s: int, lo: int, hi: int):
    """Along one axis, the outputs o in [lo, hi) whose input o s + k - before lies in [0, n_in):
    (their slice, counted from lo; the input slice they hit), or None if there are none."""
    a = max(lo, -((k - before) // s))  # ceil((before - k) / s)
    b = min(hi, (n_in - 1 + before - k) // s + 1)
    if b <= a:
        return None
    start = a * s + k - before
    return slice(a - lo, b - lo), slice(start, start + (b - a - 1) * s + 1, s)


class Conv2D(Function):
    """Z[n,h,w,c] = sum_{i,j,k} A_pad[n, h s_h + i, w s_w + j, k] W[i,j,k,c] + b[c].   notes §4.1

    Shapes: A_prev (m, n_H_prev, n_W_prev, n_C_prev), W (f_h, f_w, n_C_prev // groups, n_C),
    b (n_C,) -> Z (m, n_H, n_W, n_C). With ``groups`` the channels and the filters split into
    that many blocks; filter block g sees only channel block g (depthwise: one channel each).
    Backward: dW = cols^T dZ, db = sum dZ, dA_prev = col2im(dZ W^T), tile by tile.
    """

    def forward(self, A_prev, W, b=None, *, stride, padding, groups):
        if A_prev.ndim != 4:
            raise ValueError(f"conv2d: x should be 4-D (m, n_H_prev, n_W_prev, n_C_prev), got "
                             f"shape {A_prev.shape}")
        if W.ndim != 4:
            raise ValueError(f"conv2d: W should be 4-D (f_h, f_w, n_C_prev // groups, n_C), "
                             f"got shape {W.shape}")
        m, n_H_prev, n_W_prev, n_C_prev = A_prev.shape
        f_h, f_w, n_Cg, n_C = W.shape
        shapes = f"x {A_prev.shape}, W {W.shape}"
        if not _is_int(groups) or groups < 1:
            raise ValueError(f"conv2d: groups should be a positive int, got {groups!r}")
        if n_C_prev % groups or n_C % groups:
            raise ValueError(f"conv2d: groups={groups} should divide both n_C_prev={n_C_prev} "
                             f"and n_C={n_C}: {shapes}")
        if n_Cg * groups != n_C_prev:
            raise ValueError(f"conv2d: x has n_C_prev={n_C_prev} channels but W expects "
                             f"{n_Cg} per group x groups={groups} = {n_Cg * groups}: {shapes}")
        if b is not None and b.shape != (n_C,):
            raise ValueError(f"conv2d: b should have shape ({n_C},), got {b.shape} ({shapes})")
        s_h, s_w = _pair("conv2d", "stride", stride)
        pads = resolve_padding("conv2d", padding, (n_H_prev, n_W_prev), (f_h, f_w), (s_h, s_w))
        H_pad, W_pad = n_H_prev + sum(pads[0]), n_W_prev + sum(pads[1])
        if f_h > H_pad or f_w > W_pad:
            raise ValueError(f"conv2d: the filter {f_h}x{f_w} is bigger than the padded input "
                             f"{H_pad}x{W_pad} (padding {pads}): {shapes}")
        dtype = xp.result_type(A_prev.dtype, W.dtype)
        A_prev, W = A_prev.astype(dtype, copy=False), W.astype(dtype, copy=False)
        n_H, n_W = (H_pad - f_h) // s_h + 1, (W_pad - f_w) // s_w + 1
        self.A_prev, self.W, self.pads, self.stride = A_prev, W, pads, (s_h, s_w)
        self.groups, self.n_H, self.n_W, self.W_pad = groups, n_H, n_W, W_pad

        Z = xp.empty((m, n_H, n_W, n_C), dtype=dtype)
        if f_h == f_w == 1 and groups == 1 and pads == ((0, 0), (0, 0)):
            self.path = "1x1"  # a plain GEMM on the (m n_H n_W, n_C_prev) view
            self.A2 = _subsample(A_prev, s_h, s_w).reshape(-1, n_C_prev)  # a view at stride 1
            xp.matmul(self.A2, W.reshape(n_C_prev, n_C), out=Z.reshape(-1, n_C))
            if b is not None:
                _add_bias(Z, b)
            return Z
        self.path = "depthwise" if groups == n_C_prev > 1 else "im2col"
        tiles, pad_buf, buf = self._workspace()
        W_g = self._grouped()[2] if self.path == "im2col" else None
        for tile in tiles:
            n0, n1, h0, h1 = tile
            A_t, Z_t = self._padded_tile(pad_buf, tile), Z[n0:n1, h0:h1]
            if self.path == "depthwise":
                self._depthwise_forward(A_t, Z_t)
            else:  # Z = cols @ W, one GEMM per group (one in all when groups == 1)
                rows = Z_t.size // n_C
                Z_g = Z_t.reshape(rows, groups, n_C // groups).transpose(1, 0, 2)
                xp.matmul(self._im2col(A_t, self._col_store(buf, rows)), W_g, out=Z_g)
            if b is not None:
                _add_bias(Z_t, b)
        return Z

    def backward(self, dZ):
        dZ = xp.ascontiguousarray(dZ, dtype=self.W.dtype)
        need_A, need_W = self.needs_grad[0], self.needs_grad[1]
        has_b = len(self.needs_grad) == 3
        db = _bias_grad(dZ) if has_b and self.needs_grad[2] else None
        if self.path == "1x1":
            dA_prev, dW = self._1x1_backward(dZ, need_A, need_W)
        elif self.path == "depthwise":
            dA_prev, dW = self._depthwise_backward(dZ, need_A, need_W)
        else:
            dA_prev, dW = self._im2col_backward(dZ, need_A, need_W)
        return (dA_prev, dW, db) if has_b else (dA_prev, dW)

    def _1x1_backward(self, dZ, need_A, need_W):
        (s_h, s_w), W = self.stride, self.W
        W2, dZ2 = W.reshape(W.shape[2:]), dZ.reshape(-1, W.shape[3])
        dW = (self.A2.T @ dZ2).reshape(W.shape) if need_W else None
        if not need_A:
            return None, dW
        dA2 = (dZ2 @ W2.T).reshape(dZ.shape[:3] + (W.shape[2],))
        if (s_h, s_w) == (1, 1):
            return dA2, dW
        dA_prev = xp.zeros(self.A_prev.shape, dtype=dA2.dtype)
        dA_prev[:, ::s_h, ::s_w] = dA2
        return dA_prev, dW

    # ---- tiles ----------------------------------------------------------------------------
    def _workspace(self):
        """The tiles, a buffer for one padded input tile and one for a column matrix."""
        f_h, f_w, _, n_C = self.W.shape
        m, _, _, n_C_prev = self.A_prev.shape
        per_row = self.n_W * (n_C if self.path == "depthwise" else f_h * f_w * n_C_prev)
        tiles = _tiles(m, self.n_H, per_row)
        s_h = self.stride[0]
        pad_elems = 0 if self.pads == ((0, 0), (0, 0)) else max(
            ((n1 - n0) * ((h1 - h0 - 1) * s_h + f_h) * self.W_pad * n_C_prev
             for n0, n1, h0, h1 in tiles), default=0)
        buf_elems = 0 if self.path == "depthwise" else max(
            ((n1 - n0) * (h1 - h0) * per_row for n0, n1, h0, h1 in tiles), default=0)
        return tiles, xp.empty(pad_elems, self.W.dtype), xp.empty(buf_elems, self.W.dtype)

    def _padded_tile(self, buf, tile):
        """The zero-padded input rows that output rows h0:h1 of examples n0:n1 read."""
        n0, n1, h0, h1 = tile
        A_prev, ((top, _), (left, right)) = self.A_prev, self.pads
        n_H_prev, n_W_prev, n_C_prev = A_prev.shape[1:]
        f_h, s_h = self.W.shape[0], self.stride[0]
        r0, r1 = h0 * s_h - top, (h1 - 1) * s_h + f_h - top  # input rows, maybe in the padding
        lo = min(max(r0, 0), n_H_prev)
        hi = max(min(r1, n_H_prev), lo)
        if (lo, hi) == (r0, r1) and not (left or right):
            return A_prev[n0:n1, r0:r1]
        A_t = buf[:(n1 - n0) * (r1 - r0) * self.W_pad * n_C_prev]
        A_t = A_t.reshape(n1 - n0, r1 - r0, self.W_pad, n_C_prev)
        A_t[:, :lo - r0], A_t[:, hi - r0:] = 0, 0
        inner = A_t[:, lo - r0:hi - r0]
        inner[:, :, :left], inner[:, :, left + n_W_prev:] = 0, 0
        inner[:, :, left:left + n_W_prev] = A_prev[n0:n1, lo:hi]
        return A_t

    # ---- im2col + GEMM (batched over groups) -----------------------------------------------
    def _grouped(self):
        """groups, K_g = f_h f_w n_C_prev / groups, and W as (groups, K_g, n_C / groups)."""
        f_h, f_w, n_Cg, n_C = self.W.shape
        g, K_g = self.groups, f_h * f_w * n_Cg
        W_g = self.W.reshape(f_h, f_w, n_Cg, g, n_C // g).transpose(3, 0, 1, 2, 4)
        return g, K_g, W_g.reshape(g, K_g, n_C // g)  # a view when groups == 1

    def _col_store(self, buf, rows):
        """Storage for the column matrix of ``rows`` output pixels at the start of the flat
        buffer buf: (groups, rows, K_g), or (groups, K_g, rows) when offset-major."""
        g, K_g, _ = self._grouped()
        shape = (g, K_g, rows) if self.offset_major else (g, rows, K_g)
        return buf[:g * K_g * rows].reshape(shape)

    def _as_cols(self, store):
        """A column store as the (groups, rows, K_g) column matrix (a transposed view when
        offset-major: the GEMMs read it transposed)."""
        return store.transpose(0, 2, 1) if self.offset_major else store

    def _im2col(self, A_t, store):
        """Copy every patch of a padded tile into store (from _col_store) and
        return it as the column matrix (groups, rows, K_g), K_g = f_h f_w n_C_prev / groups.
        Rows follow (n, h, w), columns the filter layout (i, j, k): cols @ W is the conv.

        The copy runs fastest along whatever both sides hold contiguously: a patch row, f_w
        n_C_prev / groups values, in the row-major layout; an image row, n_W values, in the
        offset-major one, (groups, i, j, k, rows), which the GEMMs read transposed. The
        latter wins for few channels (a first layer on gray or RGB images): see
        offset_major.
        """
        f_h, f_w, n_Cg, _ = self.W.shape
        g = self.groups
        windows = _windows(A_t, f_h, f_w, *self.stride)  # (n, h, w, k, i, j)
        n, h, w = windows.shape[:3]
        windows = windows.reshape(n, h, w, g, n_Cg, f_h, f_w)
        if self.offset_major:  # views: the store's axes only split
            xp.copyto(store.reshape(g, f_h, f_w, n_Cg, n, h, w),
                      windows.transpose(3, 5, 6, 4, 0, 1, 2))
        else:
            xp.copyto(store.reshape(g, n, h, w, f_h, f_w, n_Cg),
                      windows.transpose(3, 0, 1, 2, 5, 6, 4))
        return self._as_cols(store)

    @property
    def offset_major(self) -> bool:
        """Whether _im2col uses the offset-major layout: when a patch row (f_w n_C_prev /
        groups values) is short, under 10 values and shorter than an image row; measured:
        3x faster for one channel and f = 5, 1.5x for 3 channels and f = 3, and slower
        from about 10 values on."""
        f_w, n_Cg = self.W.shape[1], self.W.shape[2]
        return f_w * n_Cg < min(10, self.n_W)

    def _im2col_backward(self, dZ, need_A, need_W):
        f_h, f_w, n_Cg, n_C = self.W.shape
        g = self.groups
        m, n_H_prev, n_W_prev, n_C_prev = self.A_prev.shape
        (top, bottom), (left, _) = self.pads
        dA_pad, gather_pads = None, self._gather_pads() if need_A else None
        if gather_pads is not None:  # dA_prev as a convolution of dZ: no scatter-add
            dA_pad, need_A = self._dA_by_gather(dZ, gather_pads), False
        elif need_A:  # the gradient of the padded input, wide enough for _col2im's views
            dA_pad = xp.zeros((m, n_H_prev + top + bottom, self._col2im_width(), n_C_prev),
                              dtype=dZ.dtype)
        _, K_g, W_g = self._grouped()
        dW = xp.zeros((g, K_g, n_C // g), dtype=dZ.dtype) if need_W else None
        tiles, pad_buf, buf = self._workspace()
        for tile in tiles if need_W or need_A else ():
            n0, n1, h0, h1 = tile
            rows = (n1 - n0) * (h1 - h0) * self.n_W
            dZ_g = dZ[n0:n1, h0:h1].reshape(rows, g, n_C // g).transpose(1, 0, 2)
            if need_W:  # dW = cols^T dZ, per group, the columns rebuilt
                cols = self._im2col(self._padded_tile(pad_buf, tile), self._col_store(buf, rows))
                dW += xp.matmul(cols.transpose(0, 2, 1), dZ_g)
            if need_A:  # dcols = dZ W^T, one GEMM per group, into the buffer of cols
                dcols = buf[:g * rows * K_g].reshape(g, rows, K_g)
                xp.matmul(dZ_g, W_g.transpose(0, 2, 1), out=dcols)
                self._col2im(dcols, dA_pad, tile)
        if dW is not None:
            dW = dW.reshape(g, f_h, f_w, n_Cg, n_C // g).transpose(1, 2, 3, 0, 4)
            dW = dW.reshape(self.W.shape)
        if need_A and dA_pad.shape != self.A_prev.shape:  # crop the padding: a view, no copy
            dA_pad = dA_pad[:, top:top + n_H_prev, left:left + n_W_prev]
        return dA_pad, dW

    def _gather_pads(self):
        """The zero padding of dZ that makes dA_prev a 'valid' convolution of it (f - 1 - p
        on each side), or None where the scatter-add of _col2im is used instead: at a
        stride above 1 (dZ would need zeros between its pixels), with groups, with padding
        beyond f - 1, or where the convolution does clearly more work. Its GEMM runs over
        the input's pixels (the scatter's over the output's) and it copies f_h f_w n_C
        values per pixel (the scatter adds f_h f_w n_C_prev): so only near-'same' shapes
        (at most 1.25x the pixels) with n_C <= 4 n_C_prev. Measured on such shapes it is
        0.75-1.0x the time of the scatter; a 'valid' 5x5 on 14 x 14 (twice the pixels)
        takes 1.5x."""
        f_h, f_w, n_C_prev, n_C = self.W.shape
        if self.stride != (1, 1) or self.groups != 1 or n_C > 4 * n_C_prev:
            return None
        _, n_H_prev, n_W_prev, _ = self.A_prev.shape
        if 4 * n_H_prev * n_W_prev > 5 * self.n_H * self.n_W:
            return None
        pads = tuple((f - 1 - a, f - 1 - b) for f, (a, b) in zip((f_h, f_w), self.pads))
        return None if min(min(p) for p in pads) < 0 else pads

    def _dA_by_gather(self, dZ, pads):
        """dA_prev[n, y, x, k] = sum_{i, j, c} dZ_pad[n, y + i, x + j, c] W[f_h - 1 - i,
        f_w - 1 - j, k, c]: at stride 1 the input gradient is the 'valid' convolution of
        dZ, zero-padded by f - 1 - p, with the filters flipped in space and their channel
        axes swapped. It runs as a forward pass (copy-based im2col and one GEMM per tile),
        the same multiply-adds as dcols = dZ W^T without the scatter-add of col2im."""
        W_flip = xp.ascontiguousarray(self.W[::-1, ::-1].transpose(0, 1, 3, 2))
        return Conv2D().forward(dZ, W_flip, stride=1, padding=pads, groups=1)

    def _col2im_width(self) -> int:
        """Columns of the padded input gradient: W_pad, plus what the last block of _col2im's
        views may reach past it when s_w does not divide f_w."""
        f_w, s_w = self.W.shape[1], self.stride[1]
        q = -(-f_w // s_w)
        reach = max((r * s_w + q * s_w * len(range(r, self.n_W, q)) for r in range(q)),
                    default=0)
        return max(self.W_pad, reach)

    def _col2im(self, dcols, dA_pad, tile):
        """Scatter-add one tile's column gradients onto the padded input gradient.

        Output pixel (h, w) read input rows h s_h + i and columns w s_w + j. For one kernel
        row i and the outputs w = r, r + q, r + 2q, ... of one residue r (q = ceil(f_w / s_w))
        those columns are disjoint blocks of q s_w >= f_w: a reshape of a plain slice of
        dA_pad, so one add moves all their f_w * n_C_prev values, in runs that are
        contiguous on both sides. f_h * q adds in all (f_h * f_w at stride 1), each with
        f_w times longer runs than an add per kernel offset (n_C_prev-long runs: slow for
        the few channels of first layers).
        """
        f_h, f_w, n_Cg, _ = self.W.shape
        g, (s_h, s_w) = self.groups, self.stride
        if g == 1 and kernels.usable(dcols, dA_pad):  # one compiled pass, pixel by pixel
            kernels.col2im(dcols, dA_pad, tile, self.n_W, (f_h, f_w), (s_h, s_w))
            return
        n0, n1, h0, h1 = tile
        n = n1 - n0
        dcols = dcols.reshape(g, n, h1 - h0, self.n_W, f_h, f_w, n_Cg)
        q = -(-f_w // s_w)
        block = q * s_w  # input columns between the windows of outputs w and w + q
        for i in range(f_h):
            rows = slice(h0 * s_h + i, (h1 - 1) * s_h + i + 1, s_h)
            for r in range(min(q, self.n_W)):
                src = dcols[:, :, :, r::q, i]  # (g, n, h, w', f_w, n_Cg)
                n_w = src.shape[3]
                dst = dA_pad[n0:n1, rows, r * s_w:r * s_w + block * n_w]
                dst = dst.reshape(n, h1 - h0, n_w, block, g, n_Cg)[:, :, :, :f_w]
                dst = dst.transpose(4, 0, 1, 2, 3, 5)  # (g, n, h, w', f_w, n_Cg)
                xp.add(dst, src, out=dst)

    # ---- depthwise (groups = n_C_prev): one einsum over the window view, no copies ---------
    def _depthwise_forward(self, A_t, Z_t):
        f_h, f_w, _, n_C = self.W.shape
        n_C_prev = A_t.shape[3]
        W_d = self.W.reshape(f_h, f_w, n_C_prev, n_C // n_C_prev)
        windows = _windows(A_t, f_h, f_w, *self.stride)  # (n, h, w, c, i, j)
        Z_d = Z_t.reshape(*Z_t.shape[:3], n_C_prev, n_C // n_C_prev)
        for q in range(W_d.shape[3]):  # the depth multiplier, usually 1
            xp.einsum("nhwcij,ijc->nhwc", windows, W_d[..., q], out=Z_d[..., q])

    def _depthwise_backward(self, dZ, need_A, need_W):
        f_h, f_w, _, n_C = self.W.shape
        m, n_H_prev, n_W_prev, n_C_prev = self.A_prev.shape
        k = n_C // n_C_prev
        W_d = self.W.reshape(f_h, f_w, n_C_prev, k)
        dZ_d = dZ.reshape(*dZ.shape[:3], n_C_prev, k)
        dW = None
        if need_W:  # dW[i, j, c] = sum over pixels of A_ij[..., c] dZ[..., c]
            dW = xp.zeros((f_h, f_w, n_C_prev, k), dtype=dZ.dtype)
            tiles, pad_buf, _ = self._workspace()
            for tile in tiles:
                n0, n1, h0, h1 = tile
                windows = _windows(self._padded_tile(pad_buf, tile), f_h, f_w, *self.stride)
                for q in range(k):
                    dW[..., q] += xp.einsum("nhwcij,nhwc->ijc", windows, dZ_d[n0:n1, h0:h1, ..., q])
            dW = dW.reshape(self.W.shape)
        return (self._depthwise_dA(dZ_d, W_d) if need_A else None), dW

    def _depthwise_dA(self, dZ_d, W_d):
        """dA_prev for depthwise filters: at stride 1 a gather (the depthwise correlation of
        the zero-padded dZ with the flipped filters), else a scatter-add per kernel offset."""
        f_h, f_w, n_C_prev, k = W_d.shape
        m, n_H_prev, n_W_prev, _ = self.A_prev.shape
        (s_h, s_w), ((top, _), (left, _)) = self.stride, self.pads
        if (s_h, s_w) == (1, 1):
            # dZ_pad[t] = dZ[t - (f - 1 - top)], then dA[r] = sum_i dZ_pad[r + i] W[f - 1 - i]
            H_full, W_full = n_H_prev + f_h - 1, n_W_prev + f_w - 1
            dZ_pad = xp.zeros((m, H_full, W_full, n_C_prev, k), dtype=dZ_d.dtype)
            hit_h = _hit(f_h - 1, top, H_full, 1, 0, self.n_H)
            hit_w = _hit(f_w - 1, left, W_full, 1, 0, self.n_W)
            if hit_h and hit_w:
                dZ_pad[:, hit_h[1], hit_w[1]] = dZ_d[:, hit_h[0], hit_w[0]]
            windows = _windows(dZ_pad, f_h, f_w, 1, 1)  # (m, n_H_prev, n_W_prev, c, q, i, j)
            W_flip = W_d[::-1, ::-1]
            dA_prev = xp.einsum("nhwcij,ijc->nhwc", windows[..., 0, :, :], W_flip[..., 0])
            for q in range(1, k):
                dA_prev += xp.einsum("nhwcij,ijc->nhwc", windows[..., q, :, :], W_flip[..., q])
            return dA_prev
        hits = [[_hit(i, top, n_H_prev, s_h, 0, self.n_H) for i in range(f_h)],
                [_hit(j, left, n_W_prev, s_w, 0, self.n_W) for j in range(f_w)]]
        dA_prev = xp.zeros(self.A_prev.shape, dtype=dZ_d.dtype)
        for i, hit_h in enumerate(hits[0]):
            for j, hit_w in enumerate(hits[1]):
                if hit_h and hit_w:
                    dst = dA_prev[:, hit_h[1], hit_w[1]]
                    for q in range(k):
                        dst += dZ_d[:, hit_h[0], hit_w[0], :, q] * W_d[i, j, :, q]
        return dA_prev


def _add_bias(Z, b) -> None:
    """Z += b over the channels of a C-contiguous (n, h, w, n_C) block, in rows of n_W
    pixels: adds run n_W n_C values at a time, not n_C (3-4x faster for few channels)."""
    n_W = Z.shape[2]
    rows = Z.reshape(-1, n_W * len(b))
    rows += xp.tile(b, n_W)


def _bias_grad(dZ):
    """db = the sum of dZ (m, n_H, n_W, n_C) over all but the channels, in two stages: over
    the examples (long contiguous runs), then over the pixels. 10-20x faster than one
    reduction down n_C-wide rows when n_C is small, and more accurate in float32 (sums of
    m then n_H n_W terms instead of one running sum of m n_H n_W)."""
    m, n_C = dZ.shape[0], dZ.shape[-1]
    per_pixel = dZ.reshape(m, -1).sum(axis=0) if m > 1 else dZ.reshape(-1)
    return per_pixel.reshape(-1, n_C).sum(axis=0)


def _subsample(A, s_h: int, s_w: int):
    return A if (s_h, s_w) == (1, 1) else xp.ascontiguousarray(A[:, ::s_h, ::s_w])


def conv2d(x: Tensor, W: Tensor, b: Tensor | None = None, *, stride=1, padding="valid",
           groups: int = 1) -> Tensor:
    """Z = W * x + b, a 2-D convolution (cross-correlation), channels last.   notes §4.1

    Shapes: x (m, n_H_prev, n_W_prev, n_C_prev), W (f_h, f_w, n_C_prev // groups, n_C),
    b (n_C,) -> Z (m, n_H, n_W, n_C), n_H = floor((n_H_prev + 2p - f_h) / s_h) + 1.

    Args:
        stride: s, or (s_h, s_w).
        padding: "valid" (p = 0); "same" (n_H = ceil(n_H_prev / s_h), as TensorFlow: an odd
            total padding puts the extra row/column at the bottom/right, so even f works);
            an int p; (p_h, p_w); or ((top, bottom), (left, right)).
        groups: split channels and filters into this many blocks (PyTorch's ``groups``);
            groups = n_C_prev is a depthwise convolution.
    """
    args = (x, W) if b is None else (x, W, b)
    return Conv2D.apply(*args, stride=stride, padding=padding, groups=groups)
