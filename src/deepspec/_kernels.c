/* Compiled loops for the few places where NumPy's whole-array passes are slow: max pooling
 * (forward with the winning offsets, backward), col2im's scatter-add and the LSTM's per-step
 * gate arithmetic. Each is the loop its docstring in deepspec/kernels.py writes out, over
 * C-contiguous float32 or float64 buffers; deepspec/kernels.py checks dtypes and layouts, and
 * every op keeps its NumPy path, which gives the same numbers (tests/test_kernels.py).
 *
 * No NumPy headers: arrays arrive through the buffer protocol, and each function checks that
 * every buffer holds at least the elements its geometry reads or writes.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

/* a data-dependent choice: a select (blend), not a branch that mispredicts half the time */
#if defined(__GNUC__) && (__GNUC__ >= 9 || defined(__clang__))
#define UNPREDICTABLE(c) __builtin_expect_with_probability((c), 1, 0.5)
#else
#define UNPREDICTABLE(c) (c)
#endif

typedef Py_ssize_t idx;

/* ---- argument checks ------------------------------------------------------------------ */
static int check_len(const Py_buffer *b, idx n, size_t item, const char *fn, const char *name)
{
    if (n < 0 || (size_t)b->len < (size_t)n * item) {
        PyErr_Format(PyExc_ValueError, "%s: %s holds %zd bytes, needs %zd", fn, name,
                     b->len, n * (idx)item);
        return 0;
    }
    return 1;
}

/* sizes, strides and offsets are counts: none may be negative */
static int counts(const idx *v, int n, const char *fn)
{
    for (int i = 0; i < n; i++)
        if (v[i] < 0) {
            PyErr_Format(PyExc_ValueError, "%s: argument %d is negative (%zd)", fn, i + 1, v[i]);
            return 0;
        }
    return 1;
}

static void release(Py_buffer *bufs, int n)
{
    for (int i = 0; i < n; i++)
        PyBuffer_Release(&bufs[i]);
}

/* ---- max pooling ------------------------------------------------------------------------
 * Z[n,h,w,c] = max over the window's in-range pixels of A[n, h s_h + i - top, w s_w + j - left, c],
 * argmax = its offset k = i f_w + j: the first (strict >) in row-major order; a NaN makes Z
 * NaN without taking the offset (NumPy's maximum and greater).
 */
#define MAXPOOL_FORWARD(T, NAME)                                                                  \
    static inline __attribute__((always_inline)) void NAME##_body(                                \
        const T *restrict A, T *restrict Z, uint8_t *restrict am, idx m, idx H, idx W, idx C,     \
        idx nH, idx nW, idx fh, idx fw, idx sh, idx sw, idx top, idx left)                        \
    {                                                                                             \
        for (idx n = 0; n < m; n++)                                                               \
            for (idx oh = 0; oh < nH; oh++) { /* one output row at a time */                      \
                T *restrict zr = Z + (n * nH + oh) * nW * C;                                      \
                uint8_t *restrict ar = am + (n * nH + oh) * nW * C;                               \
                for (idx q = 0; q < nW * C; q++) {                                                \
                    zr[q] = -INFINITY;                                                            \
                    ar[q] = 0;                                                                    \
                }                                                                                 \
                for (idx i = 0; i < fh; i++) {                                                    \
                    idx ih = oh * sh + i - top;                                                   \
                    if (ih < 0 || ih >= H)                                                        \
                        continue;                                                                 \
                    const T *restrict row = A + (n * H + ih) * W * C;                             \
                    for (idx j = 0; j < fw; j++) {                                                \
                        uint8_t k = (uint8_t)(i * fw + j);                                        \
                        idx lo = 0, hi = nW; /* outputs whose column iw is in [0, W) */           \
                        while (lo < hi && lo * sw + j - left < 0)                                 \
                            lo++;                                                                 \
                        while (hi > lo && (hi - 1) * sw + j - left >= W)                          \
                            hi--;                                                                 \
                        for (idx ow = lo; ow < hi; ow++) {                                        \
                            const T *restrict s = row + (ow * sw + j - left) * C;                 \
                            T *restrict z = zr + ow * C;                                          \
                            uint8_t *restrict a = ar + ow * C;                                    \
                            for (idx c = 0; c < C; c++) {                                         \
                                T v = s[c], cur = z[c];                                           \
                                int beats = v > cur, take = beats | (v != v);                     \
                                uint8_t keep = (uint8_t)(beats - 1); /* masks: no branch */       \
                                z[c] = UNPREDICTABLE(take) ? v : cur;                             \
                                a[c] = (uint8_t)((a[c] & keep) | (k & ~keep));                    \
                            }                                                                     \
                        }                                                                         \
                    }                                                                             \
                }                                                                                 \
            }                                                                                     \
    }                                                                                             \
    /* few channels: the channel loop compiled for the count (4x faster at C = 6) */              \
    static void NAME(const T *A, T *Z, uint8_t *am, idx m, idx H, idx W, idx C, idx nH,           \
                     idx nW, idx fh, idx fw, idx sh, idx sw, idx top, idx left)                   \
    {                                                                                             \
        switch (C) {                                                                              \
        case 1: NAME##_body(A, Z, am, m, H, W, 1, nH, nW, fh, fw, sh, sw, top, left); break;      \
        case 2: NAME##_body(A, Z, am, m, H, W, 2, nH, nW, fh, fw, sh, sw, top, left); break;      \
        case 3: NAME##_body(A, Z, am, m, H, W, 3, nH, nW, fh, fw, sh, sw, top, left); break;      \
        case 4: NAME##_body(A, Z, am, m, H, W, 4, nH, nW, fh, fw, sh, sw, top, left); break;      \
        case 6: NAME##_body(A, Z, am, m, H, W, 6, nH, nW, fh, fw, sh, sw, top, left); break;      \
        case 8: NAME##_body(A, Z, am, m, H, W, 8, nH, nW, fh, fw, sh, sw, top, left); break;      \
        default: NAME##_body(A, Z, am, m, H, W, C, nH, nW, fh, fw, sh, sw, top, left);            \
        }                                                                                         \
    }

/* dA = 0, then dA[n, h s_h + i - top, w s_w + j - left, c] += dZ[n,h,w,c] at each window's
 * argmax offset (i, j) (an offset in the padding, left by a window of -inf only, is dropped) */
#define MAXPOOL_BACKWARD(T, NAME)                                                                 \
    static void NAME(const T *dZ, const uint8_t *am, T *dA, idx m, idx H, idx W, idx C,           \
                         idx nH, idx nW, idx fw, idx sh, idx sw, idx top, idx left)               \
    {                                                                                             \
        memset(dA, 0, sizeof(T) * (size_t)(m * H * W * C));                                       \
        for (idx n = 0; n < m; n++)                                                               \
            for (idx oh = 0; oh < nH; oh++)                                                       \
                for (idx ow = 0; ow < nW; ow++) {                                                 \
                    idx o = ((n * nH + oh) * nW + ow) * C;                                        \
                    for (idx c = 0; c < C; c++) {                                                 \
                        idx k = am[o + c];                                                        \
                        idx ih = oh * sh + k / fw - top, iw = ow * sw + k % fw - left;            \
                        if (ih >= 0 && ih < H && iw >= 0 && iw < W)                               \
                            dA[((n * H + ih) * W + iw) * C + c] += dZ[o + c];                     \
                    }                                                                             \
                }                                                                                 \
    }

MAXPOOL_FORWARD(float, maxpool_forward_f32)
MAXPOOL_FORWARD(double, maxpool_forward_f64)
MAXPOOL_BACKWARD(float, maxpool_backward_f32)
MAXPOOL_BACKWARD(double, maxpool_backward_f64)

static PyObject *py_maxpool_forward(PyObject *self, PyObject *args)
{
    int f64;
    Py_buffer b[3];
    idx m, H, W, C, nH, nW, fh, fw, sh, sw, top, left;
    if (!PyArg_ParseTuple(args, "py*w*w*nnnnnnnnnnnn", &f64, &b[0], &b[1], &b[2], &m, &H, &W,
                          &C, &nH, &nW, &fh, &fw, &sh, &sw, &top, &left))
        return NULL;
    size_t item = f64 ? sizeof(double) : sizeof(float);
    const char *fn = "maxpool_forward";
    idx geometry[] = {m, H, W, C, nH, nW, fh, fw, sh, sw, top, left};
    int ok = counts(geometry, 12, fn) && fh * fw <= 256 &&
             check_len(&b[0], m * H * W * C, item, fn, "A") &&
             check_len(&b[1], m * nH * nW * C, item, fn, "Z") &&
             check_len(&b[2], m * nH * nW * C, 1, fn, "argmax");
    if (ok) {
        Py_BEGIN_ALLOW_THREADS
        if (f64)
            maxpool_forward_f64(b[0].buf, b[1].buf, b[2].buf, m, H, W, C, nH, nW, fh, fw, sh,
                                sw, top, left);
        else
            maxpool_forward_f32(b[0].buf, b[1].buf, b[2].buf, m, H, W, C, nH, nW, fh, fw, sh,
                                sw, top, left);
        Py_END_ALLOW_THREADS
    } else if (!PyErr_Occurred())
        PyErr_SetString(PyExc_ValueError, "maxpool_forward: a window over 256 pixels");
    release(b, 3);
    if (!ok)
        return NULL;
    Py_RETURN_NONE;
}

static PyObject *py_maxpool_backward(PyObject *self, PyObject *args)
{
    int f64;
    Py_buffer b[3];
    idx m, H, W, C, nH, nW, fw, sh, sw, top, left;
    if (!PyArg_ParseTuple(args, "py*y*w*nnnnnnnnnnn", &f64, &b[0], &b[1], &b[2], &m, &H, &W, &C,
                          &nH, &nW, &fw, &sh, &sw, &top, &left))
        return NULL;
    size_t item = f64 ? sizeof(double) : sizeof(float);
    const char *fn = "maxpool_backward";
    idx geometry[] = {m, H, W, C, nH, nW, fw, sh, sw, top, left};
    int ok = counts(geometry, 11, fn) && fw >= 1 &&
             check_len(&b[0], m * nH * nW * C, item, fn, "dZ") &&
             check_len(&b[1], m * nH * nW * C, 1, fn, "argmax") &&
             check_len(&b[2], m * H * W * C, item, fn, "dA");
    if (ok) {
        Py_BEGIN_ALLOW_THREADS
        if (f64)
            maxpool_backward_f64(b[0].buf, b[1].buf, b[2].buf, m, H, W, C, nH, nW, fw, sh, sw,
                                 top, left);
        else
            maxpool_backward_f32(b[0].buf, b[1].buf, b[2].buf, m, H, W, C, nH, nW, fw, sh, sw,
                                 top, left);
        Py_END_ALLOW_THREADS
    } else if (!PyErr_Occurred())
        PyErr_SetString(PyExc_ValueError, "maxpool_backward: f_w should be >= 1");
    release(b, 3);
    if (!ok)
        return NULL;
    Py_RETURN_NONE;
}

/* ---- col2im -----------------------------------------------------------------------------
 * dA[n0 + e, (h0 + r) s_h + i, w s_w + j, k] += dcols[(e, r, w), (i, j, k)] for the rows of
 * one tile: e < n examples, r < h_cnt output rows, w < n_W; dA is (N, H_p, W_d, C).
 */
#define COL2IM(T, NAME)                                                                           \
    static void NAME(const T *dcols, T *dA, idx n, idx h_cnt, idx nW, idx fh, idx fw,             \
                         idx C, idx sh, idx sw, idx Hp, idx Wd, idx n0, idx h0)                   \
    {                                                                                             \
        idx K = fh * fw * C, run = fw * C;                                                        \
        for (idx e = 0; e < n; e++)                                                               \
            for (idx r = 0; r < h_cnt; r++)                                                       \
                for (idx w = 0; w < nW; w++) {                                                    \
                    const T *src = dcols + ((e * h_cnt + r) * nW + w) * K;                        \
                    for (idx i = 0; i < fh; i++) {                                                \
                        T *dst = dA + (((n0 + e) * Hp + (h0 + r) * sh + i) * Wd + w * sw) * C;    \
                        const T *s = src + i * run;                                               \
                        if (sw == 1) { /* the f_w patch columns are adjacent: one run */          \
                            for (idx q = 0; q < run; q++)                                         \
                                dst[q] += s[q];                                                   \
                        } else {                                                                  \
                            for (idx j = 0; j < fw; j++)                                          \
                                for (idx k = 0; k < C; k++)                                       \
                                    dst[j * C + k] += s[j * C + k];                               \
                        }                                                                         \
                    }                                                                             \
                }                                                                                 \
    }

COL2IM(float, col2im_f32)
COL2IM(double, col2im_f64)

static PyObject *py_col2im(PyObject *self, PyObject *args)
{
    int f64;
    Py_buffer b[2];
    idx n, h_cnt, nW, fh, fw, C, sh, sw, N, Hp, Wd, n0, h0;
    if (!PyArg_ParseTuple(args, "py*w*nnnnnnnnnnnnn", &f64, &b[0], &b[1], &n, &h_cnt, &nW, &fh,
                          &fw, &C, &sh, &sw, &N, &Hp, &Wd, &n0, &h0))
        return NULL;
    size_t item = f64 ? sizeof(double) : sizeof(float);
    idx geometry[] = {n, h_cnt, nW, fh, fw, C, sh, sw, N, Hp, Wd, n0, h0};
    int ok = counts(geometry, 13, "col2im") &&
             check_len(&b[0], n * h_cnt * nW * fh * fw * C, item, "col2im", "dcols") &&
             check_len(&b[1], N * Hp * Wd * C, item, "col2im", "dA");
    if (ok && (n0 + n > N || (h0 + h_cnt - 1) * sh + fh > Hp || (nW - 1) * sw + fw > Wd)) {
        PyErr_SetString(PyExc_ValueError, "col2im: the tile reaches past dA");
        ok = 0;
    }
    if (ok) {
        Py_BEGIN_ALLOW_THREADS
        if (f64)
            col2im_f64(b[0].buf, b[1].buf, n, h_cnt, nW, fh, fw, C, sh, sw, Hp, Wd, n0, h0);
        else
            col2im_f32(b[0].buf, b[1].buf, n, h_cnt, nW, fh, fw, C, sh, sw, Hp, Wd, n0, h0);
        Py_END_ALLOW_THREADS
    }
    release(b, 2);
    if (!ok)
        return NULL;
    Py_RETURN_NONE;
}

/* ---- LSTM step ---------------------------------------------------------------------------
 * Column layout: each (n, m) block is n_a rows of m examples; Z (4 n, m) holds the blocks
 * (u, f, o, c~).
 *
 * lstm_cell: Z already holds tanh of the pre-activations (the σ rows halved, so
 * σ(z) = (1 + tanh(z / 2)) / 2); makes the σ gates, and c = Γu c~ + Γf c_prev.
 */
#define LSTM_CELL(T, NAME)                                                                        \
    static void NAME(T *restrict Z, const T *restrict c_prev, T *restrict c, idx nm)              \
    {                                                                                             \
        T *restrict U = Z, *restrict F = Z + nm, *restrict O = Z + 2 * nm;                        \
        const T *restrict G = Z + 3 * nm;                                                         \
        for (idx q = 0; q < nm; q++) {                                                            \
            T u = (T)0.5 * U[q] + (T)0.5, f = (T)0.5 * F[q] + (T)0.5;                             \
            U[q] = u;                                                                             \
            F[q] = f;                                                                             \
            O[q] = (T)0.5 * O[q] + (T)0.5;                                                        \
            c[q] = u * G[q] + f * c_prev[q];                                                      \
        }                                                                                         \
    }

/* lstm_output: a = Γo tanh(c) (n, m), written twice: as the next step's operand columns,
 * S[j * s_stride + b], and as the output's rows, Y[b * y_stride + j] (a transposition, in
 * blocks of 16 rows of a so that each example's 16 values land in one cache line) */
#define LSTM_OUTPUT(T, NAME)                                                                      \
    static void NAME(const T *restrict O, const T *restrict tc, T *restrict S, T *restrict Y,     \
                     idx n, idx m, idx s_stride, idx y_stride)                                    \
    {                                                                                             \
        for (idx j = 0; j < n; j++)                                                               \
            for (idx b = 0; b < m; b++)                                                           \
                S[j * s_stride + b] = O[j * m + b] * tc[j * m + b];                               \
        for (idx j0 = 0; j0 < n; j0 += 16) {                                                      \
            idx j1 = j0 + 16 < n ? j0 + 16 : n;                                                   \
            for (idx b = 0; b < m; b++)                                                           \
                for (idx j = j0; j < j1; j++)                                                     \
                    Y[b * y_stride + j] = S[j * s_stride + b];                                    \
        }                                                                                         \
    }

/* lstm_backward_step: one step of BPTT before its recurrent GEMM.
 *   h = dh + dy (dy read from the output's gradient rows, dy[j, b] = dY[b * dy_stride + j]);
 *   dΓo = h tanh(c);  dc += h Γo (1 - tanh(c)^2)
 *   dΓu = dc c~, dc~ = dc Γu, dΓf = dc c_prev;  dc_prev = dc Γf
 *   dZ = dΓ σ'(gate) (σ gates) or dc~ (1 - c~^2)
 * written into the columns of step t of dZ (4 n, T, m): dZ[r, t, b], r < 4 n, b < m.
 */
#define LSTM_BACKWARD(T, NAME)                                                                    \
    static void NAME(const T *restrict dh, const T *restrict dy, T *restrict dc,                  \
                     const T *restrict Z, const T *restrict tc, const T *restrict c_prev,         \
                     T *restrict dZ, idx n, idx m, idx stride, idx dy_stride)                     \
    {                                                                                             \
        idx nm = n * m;                                                                           \
        for (idx j = 0; j < n; j++) {                                                             \
            T *restrict du = dZ + j * stride, *restrict df = du + n * stride;                     \
            T *restrict dO = df + n * stride, *restrict dg = dO + n * stride;                     \
            for (idx b = 0; b < m; b++) {                                                         \
                idx q = j * m + b;                                                                \
                T u = Z[q], f = Z[nm + q], o = Z[2 * nm + q], g = Z[3 * nm + q];                  \
                T h = dh[q] + dy[b * dy_stride + j], t = tc[q];                                   \
                T d = dc[q] + h * o * ((T)1 - t * t);                                             \
                dc[q] = d * f;                                                                    \
                du[b] = d * g * (u * ((T)1 - u));                                                 \
                df[b] = d * c_prev[q] * (f * ((T)1 - f));                                         \
                dO[b] = h * t * (o * ((T)1 - o));                                                 \
                dg[b] = d * u * ((T)1 - g * g);                                                   \
            }                                                                                     \
        }                                                                                         \
    }

LSTM_CELL(float, lstm_cell_f32)
LSTM_CELL(double, lstm_cell_f64)
LSTM_OUTPUT(float, lstm_output_f32)
LSTM_OUTPUT(double, lstm_output_f64)
LSTM_BACKWARD(float, lstm_backward_f32)
LSTM_BACKWARD(double, lstm_backward_f64)

static PyObject *py_lstm_cell(PyObject *self, PyObject *args)
{
    int f64;
    Py_buffer b[3];
    idx nm;
    if (!PyArg_ParseTuple(args, "pw*y*w*n", &f64, &b[0], &b[1], &b[2], &nm))
        return NULL;
    size_t item = f64 ? sizeof(double) : sizeof(float);
    int ok = counts(&nm, 1, "lstm_cell") && check_len(&b[0], 4 * nm, item, "lstm_cell", "Z") &&
             check_len(&b[1], nm, item, "lstm_cell", "c_prev") &&
             check_len(&b[2], nm, item, "lstm_cell", "c");
    if (ok) {
        if (f64)
            lstm_cell_f64(b[0].buf, b[1].buf, b[2].buf, nm);
        else
            lstm_cell_f32(b[0].buf, b[1].buf, b[2].buf, nm);
    }
    release(b, 3);
    if (!ok)
        return NULL;
    Py_RETURN_NONE;
}

static PyObject *py_lstm_output(PyObject *self, PyObject *args)
{
    int f64;
    Py_buffer b[4];
    idx n, m, t, T, T_y;
    if (!PyArg_ParseTuple(args, "py*y*w*w*nnnnn", &f64, &b[0], &b[1], &b[2], &b[3], &n, &m, &t, &T,
                          &T_y))
        return NULL;
    size_t item = f64 ? sizeof(double) : sizeof(float);
    static const char *names[] = {"O", "tc", "S", "Y"};
    idx need[] = {n * m, n * m, n * (T + 1) * m, m * T_y * n};
    idx geometry[] = {n, m, t, T, T_y};
    int ok = counts(geometry, 5, "lstm_output");
    if (ok && (t >= T || t >= T_y)) {
        PyErr_SetString(PyExc_ValueError, "lstm_output: need t < T and t < T_y");
        ok = 0;
    }
    for (int i = 0; i < 4 && ok; i++)
        ok = check_len(&b[i], need[i], item, "lstm_output", names[i]);
    if (ok) {
        if (f64)
            lstm_output_f64(b[0].buf, b[1].buf, (double *)b[2].buf + (t + 1) * m,
                            (double *)b[3].buf + t * n, n, m, (T + 1) * m, T_y * n);
        else
            lstm_output_f32(b[0].buf, b[1].buf, (float *)b[2].buf + (t + 1) * m,
                            (float *)b[3].buf + t * n, n, m, (T + 1) * m, T_y * n);
    }
    release(b, 4);
    if (!ok)
        return NULL;
    Py_RETURN_NONE;
}

static PyObject *py_lstm_backward(PyObject *self, PyObject *args)
{
    int f64;
    Py_buffer b[7];
    idx n, m, t, T, T_y;
    if (!PyArg_ParseTuple(args, "py*y*w*y*y*y*w*nnnnn", &f64, &b[0], &b[1], &b[2], &b[3], &b[4],
                          &b[5], &b[6], &n, &m, &t, &T, &T_y))
        return NULL;
    size_t item = f64 ? sizeof(double) : sizeof(float);
    static const char *names[] = {"dh", "dY", "dc", "Z", "tc", "c_prev", "dZ"};
    idx need[] = {n * m, m * T_y * n, n * m, 4 * n * m, n * m, n * m, 4 * n * T * m};
    idx geometry[] = {n, m, t, T, T_y};
    int ok = counts(geometry, 5, "lstm_backward");
    if (ok && (t >= T || t >= T_y)) {
        PyErr_SetString(PyExc_ValueError, "lstm_backward: need t < T and t < T_y");
        ok = 0;
    }
    for (int i = 0; i < 7 && ok; i++)
        ok = check_len(&b[i], need[i], item, "lstm_backward", names[i]);
    if (ok) {
        if (f64)
            lstm_backward_f64(b[0].buf, (double *)b[1].buf + t * n, b[2].buf, b[3].buf, b[4].buf,
                              b[5].buf, (double *)b[6].buf + t * m, n, m, T * m, T_y * n);
        else
            lstm_backward_f32(b[0].buf, (float *)b[1].buf + t * n, b[2].buf, b[3].buf, b[4].buf,
                              b[5].buf, (float *)b[6].buf + t * m, n, m, T * m, T_y * n);
    }
    release(b, 7);
    if (!ok)
        return NULL;
    Py_RETURN_NONE;
}

static PyMethodDef methods[] = {
    {"maxpool_forward", py_maxpool_forward, METH_VARARGS, "max pooling forward with argmax"},
    {"maxpool_backward", py_maxpool_backward, METH_VARARGS, "max pooling backward"},
    {"col2im", py_col2im, METH_VARARGS, "scatter-add a tile's column gradients"},
    {"lstm_cell", py_lstm_cell, METH_VARARGS, "LSTM gates and new cell"},
    {"lstm_output", py_lstm_output, METH_VARARGS, "LSTM output a = o tanh(c), twice"},
    {"lstm_backward", py_lstm_backward, METH_VARARGS, "one LSTM BPTT step's gate gradients"},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_kernels",
                                    "deepspec's compiled loops (see deepspec.kernels)", -1,
                                    methods, NULL, NULL, NULL, NULL};

PyMODINIT_FUNC PyInit__kernels(void) { return PyModule_Create(&module); }
