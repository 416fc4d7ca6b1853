"""Edge detection with hand-set filters, the notes' first convolution.   notes §4.1
(course 4, week 1: "Edge detection example", "More edge detection", "Padding", "Strided
convolutions"; the formula sheet's vertical, horizontal, Sobel and Scharr filters)

``deepspec run edge-detection`` runs deepspec's ``conv2d`` with the notes' 3 x 3 filters:

* the worked example: the 6 x 6 image with 10s on its left half and 0s on its right, times
  the vertical-edge filter [[1, 0, -1]] x 3, is the 4 x 4 [[0, 30, 30, 0]] x 4 (a bright
  band where the edge is), and the flipped image (0s left, 10s right) gives -30s. The recipe
  checks both against the notes' numbers (``worked_example_exact``). It also reports two more
  of the lecture's examples; where the notes' text lost a minus sign, ``notes_misprints``
  lists the entry, the number printed and the sum (the numbers example prints 4 and 3 where
  the sums are -4 and -3; the horizontal example prints 30 where it is -30);
* a real photo, scikit-image's ``camera`` (512 x 512 grayscale, inside the scikit-image
  wheel; pixels / 255), through the vertical filter, Sobel's [[1, 0, -1], [2, 0, -2],
  [1, 0, -1]] and Scharr's [[3, 0, -3], [10, 0, -10], [3, 0, -3]], and their transposes, the
  horizontal ones. Per filter: the mean |Z| over the photo, the same per unit step (|Z| / the
  filter's response to a step of 1: 3, 4 and 16), and its selectivity, the mean |Z| on the
  photo's edges of the filter's orientation over that on edges of the other one. Edge pixels
  are the 10% with the largest central-difference gradient; an edge is vertical where
  |dI/dx| > 2 |dI/dy|, horizontal where |dI/dy| > 2 |dI/dx|;
* output sizes: floor((n + 2p - f) / s) + 1 beside the shape conv2d returns, for valid
  (p = 0) and same (p = (f - 1) / 2) padding, strides 1 and 2, on the photo and the notes'
  examples (6 x 6 valid -> 4, same -> 6; 7 x 7, f = 3, s = 2 -> 3).

Nothing is trained or drawn at random: ``seed`` changes nothing, and ``epochs`` or ``save``
raise a ValueError. ``plot=PATH`` saves a PNG: the photo, each filter's |Z| and the worked
example's 4 x 4. Needs scikit-image (the photo) and, for the plot, matplotlib.
"""

from __future__ import annotations

import numpy as np

from ..ops.conv import conv2d
from ..tensor import Tensor, no_grad
from .base import Recipe
from .plots import check_plot

VERTICAL = np.array([[1, 0, -1], [1, 0, -1], [1, 0, -1]], dtype=np.float64)
SOBEL = np.array([[1, 0, -1], [2, 0, -2], [1, 0, -1]], dtype=np.float64)
SCHARR = np.array([[3, 0, -3], [10, 0, -10], [3, 0, -3]], dtype=np.float64)
FILTERS = {  # the horizontal filters are the vertical ones transposed
    "vertical": VERTICAL, "horizontal": VERTICAL.T,
    "sobel-vertical": SOBEL, "sobel-horizontal": SOBEL.T,
    "scharr-vertical": SCHARR, "scharr-horizontal": SCHARR.T,
}

# the notes' worked example (course 4, week 1, "Edge detection example")
STEP = np.array([[10, 10, 10, 0, 0, 0]] * 6, dtype=np.float64)
NOTES_STEP = [[0, 30, 30, 0]] * 4            # STEP * VERTICAL
NOTES_FLIPPED = [[0, -30, -30, 0]] * 4       # STEP[:, ::-1] * VERTICAL
# the lecture's first 6 x 6 and its 4 x 4 as the notes print them (two minus signs lost)
NUMBERS = np.array([[3, 0, 1, 2, 7, 4], [1, 5, 8, 9, 3, 1], [2, 7, 2, 5, 1, 3],
                    [0, 1, 3, 1, 7, 8], [4, 2, 1, 6, 2, 8], [2, 4, 5, 2, 3, 9]], dtype=np.float64)
NOTES_NUMBERS = [[-5, -4, 0, 8], [-10, -2, 2, 3], [0, -2, 4, -7], [-3, -2, 3, -16]]
# "More edge detection": 10s top left and bottom right, through the horizontal filter
CHECKER = np.kron([[1, 0], [0, 1]], np.full((3, 3), 10.0))
NOTES_CHECKER = [[0, 0, 0, 0], [30, 10, -10, 30], [30, 10, -10, 30], [0, 0, 0, 0]]

EDGE_QUANTILE = 0.9     # edge pixels: the top 10% of the gradient's magnitude
ORIENTATION_RATIO = 2   # vertical edge: |dI/dx| > 2 |dI/dy| (within ~27 degrees of the axis)


def convolve(images, filters, *, stride: int = 1, pad: int = 0) -> np.ndarray:
    """Every filter (f, f) over every grayscale image (m, n_H, n_W), with deepspec's conv2d:
    (m, n_H', n_W', number of filters), n_H' = floor((n_H + 2 pad - f) / stride) + 1."""
    images = np.asarray(images, dtype=np.float64)
    W = np.stack([np.asarray(F, dtype=np.float64) for F in filters], axis=-1)[:, :, None, :]
    with no_grad():
        return conv2d(Tensor(images[..., None]), Tensor(W), stride=stride, padding=pad).data


def load_photo() -> np.ndarray:
    """scikit-image's ``camera`` photo as float64 in [0, 1], (512, 512)."""
    try:
        from skimage import data as skimage_data
    except ImportError:
        raise ImportError("edge-detection reads its photo from scikit-image: "
                          "pip install deepspec[data]") from None
    return skimage_data.camera().astype(np.float64) / 255.0


def _misprints(ours: np.ndarray, printed) -> list[list[int]]:
    """[row, column, printed, ours] (from 0) wherever the notes' matrix differs from ours."""
    return [[int(i), int(j), int(printed[i][j]), int(ours[i, j])]
            for i, j in zip(*np.nonzero(ours != np.asarray(printed)))]


def worked_examples() -> dict:
    """The notes' 6 x 6 examples through conv2d, and whether they are the notes' numbers."""
    step, flipped, numbers = convolve([STEP, STEP[:, ::-1], NUMBERS], [VERTICAL])[..., 0]
    checker = convolve([CHECKER], [VERTICAL.T])[0, :, :, 0]
    return {
        "worked_example_exact": bool(np.array_equal(step, NOTES_STEP)
                                     and np.array_equal(flipped, NOTES_FLIPPED)),
        "worked_example": step.astype(int).tolist(),
        "worked_example_flipped": flipped.astype(int).tolist(),
        "numbers_example": numbers.astype(int).tolist(),
        "horizontal_example": checker.astype(int).tolist(),
        "notes_misprints": {"numbers_example": _misprints(numbers, NOTES_NUMBERS),
                            "horizontal_example": _misprints(checker, NOTES_CHECKER)},
    }


def edge_masks(photo: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(vertical, horizontal): boolean masks of the photo's strong edges of each orientation,
    from central differences (independent of the filters), cropped to the valid output."""
    dy, dx = np.gradient(photo)
    magnitude = np.hypot(dx, dy)
    strong = magnitude >= np.quantile(magnitude, EDGE_QUANTILE)
    vertical = strong & (np.abs(dx) > ORIENTATION_RATIO * np.abs(dy))
    horizontal = strong & (np.abs(dy) > ORIENTATION_RATIO * np.abs(dx))
    return vertical[1:-1, 1:-1], horizontal[1:-1, 1:-1]


def output_sizes(photo: np.ndarray) -> list[dict]:
    """floor((n + 2p - f) / s) + 1 beside conv2d's output size, f = 3."""
    f, rows = 3, []
    cases = [(photo, p, s) for s in (1, 2) for p in (0, (f - 1) // 2)]
    cases += [(STEP, 0, 1), (STEP, 1, 1), (np.zeros((7, 7)), 0, 2)]
    for image, p, s in cases:
        n = image.shape[0]
        Z = convolve([image], [VERTICAL], stride=s, pad=p)
        rows.append({"n": n, "f": f, "p": p, "s": s, "formula": (n + 2 * p - f) // s + 1,
                     "conv2d": list(Z.shape[1:3])})
    return rows



def run(seed: int = 0, epochs: int | None = None, quiet: bool = False, save=None,
        plot=None) -> dict:
    """The notes' edge filters on the worked examples and on a photo (see the module)."""
    if epochs is not None:
        raise ValueError("edge-detection trains nothing: --epochs does not apply")
    if save is not None:
        raise ValueError("edge-detection trains nothing: there is no model to --save")
    check_plot(plot)
    results = worked_examples()
    photo = load_photo()
    Z = convolve([photo], list(FILTERS.values()))[0]
    vertical, horizontal = edge_masks(photo)
    filters = {}
    for k, (name, F) in enumerate(FILTERS.items()):
        R = np.abs(Z[..., k])
        on_vertical, on_horizontal = R[vertical].mean(), R[horizontal].mean()
        own = on_vertical / on_horizontal if name.endswith("vertical") else (
            on_horizontal / on_vertical)
        filters[name] = {"filter": F.astype(int).tolist(), "mean_abs": round(float(R.mean()), 6),
                         "mean_abs_per_unit_step": round(float(R.mean() / F[F > 0].sum()), 6),
                         "selectivity": round(float(own), 4)}
    sizes = output_sizes(photo)
    results.update({
        "photo": f"scikit-image camera, {photo.shape[0]}x{photo.shape[1]}, pixels / 255",
        "filters": filters,
        "edge_pixels": {"vertical": int(vertical.sum()), "horizontal": int(horizontal.sum())},
        "output_sizes": sizes,
        "output_sizes_agree": all(r["conv2d"] == [r["formula"]] * 2 for r in sizes),
    })
    if not quiet:
        _print(results)
    if plot is not None:
        _plot(plot, photo, Z, results)
    return results


def _print(results: dict) -> None:
    exact = "exact" if results["worked_example_exact"] else "NOT the notes' numbers"
    print(f"edge-detection: {results['photo']}; 3x3 filters, valid convolution (conv2d)\n")
    print(f"{'filter':<20}{'mean |Z|':>10}{'per unit step':>15}{'selectivity':>13}")
    for name, r in results["filters"].items():
        print(f"{name:<20}{r['mean_abs']:>10.4f}{r['mean_abs_per_unit_step']:>15.4f}"
              f"{r['selectivity']:>12.2f}x")
    print("(selectivity: mean |Z| on the photo's edges of the filter's orientation / on the "
          "others)\n")
    print(f"notes' 6x6 (10s | 0s) * vertical filter: {exact}")
    for name in ("worked_example", "worked_example_flipped"):
        print(f"  {name:<24}" + "  ".join(str(row) for row in results[name]))
    print("\noutput size floor((n + 2p - f) / s) + 1:")
    for r in results["output_sizes"]:
        print(f"  n={r['n']:<4} f={r['f']} p={r['p']} s={r['s']}: formula {r['formula']:<4}"
              f" conv2d {r['conv2d'][0]}x{r['conv2d'][1]}")


def _plot(path, photo: np.ndarray, Z: np.ndarray, results: dict) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(2, 4, figsize=(14, 7.5))
    axes[0, 0].imshow(photo, cmap="gray", vmin=0, vmax=1)
    axes[0, 0].set_title("photo (scikit-image camera)")
    step = np.array(results["worked_example"])
    axes[1, 0].imshow(step, cmap="gray")
    for (i, j), v in np.ndenumerate(step):
        axes[1, 0].text(j, i, str(v), ha="center", va="center", color="red")
    axes[1, 0].set_title("notes' 6x6 (10s | 0s) * vertical")
    for k, name in enumerate(FILTERS):
        ax = axes[k % 2, 1 + k // 2]  # vertical filters on top, horizontal below
        R = np.abs(Z[..., k])
        ax.imshow(R, cmap="gray", vmin=0, vmax=np.quantile(R, 0.99))
        ax.set_title(f"|{name}|, selectivity {results['filters'][name]['selectivity']:.1f}x")
    for ax in axes.flat:
        ax.set_xticks([])
        ax.set_yticks([])
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def headline(results: dict) -> str:
    exact = "exact" if results["worked_example_exact"] else "WRONG"
    return f"6x6 {exact}; selectivity {results['filters']['vertical']['selectivity']:.1f}x"


RECIPES = (
    Recipe(
        name="edge-detection",
        run=run,
        summary="the notes' vertical/horizontal, Sobel and Scharr filters through conv2d on "
                "the 6x6 worked example and a real photo",
        metric="worked_example_exact",
        course="notes: 6x6 (10s left, 0s right) * [[1, 0, -1] x 3] = 4x4 [[0, 30, 30, 0] x "
               "4], 30s in the middle; flipped: -30s",
        fast=True,
        headline=headline,
        data=(),
    ),
)
