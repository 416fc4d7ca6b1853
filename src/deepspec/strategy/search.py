"""Random hyperparameter search and the coarse-to-fine scheme.   notes course 2 week 3

"Try random values: don't use a grid": 16 trials on a 4 x 4 grid of (alpha, epsilon) try
only 4 values of alpha, the hyperparameter that matters, while 16 random trials try 16.
"Coarse to fine": find the best samples, then sample again, more densely, in the smaller
region around them. The notes' two ways to spend compute: babysitting one model (panda)
or training many models in parallel (caviar); ``workers > 1`` is the caviar approach, one
trial per process.

Reproducible: the trials' values and seeds come from ``numpy.random.SeedSequence(seed)``
(values drawn at once per hyperparameter, one spawned seed per trial), so the same seed
gives the same trials and, for an objective that uses its seed, the same results, whether
the trials run one after the other or in parallel.
"""

from __future__ import annotations

import math
import numbers
import pickle
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field

import numpy as np
from tqdm import tqdm

from ._table import format_table, number
from .distributions import Distribution


@dataclass(frozen=True)
class Trial:
    """One run of the objective: its hyperparameters, seed and metrics.

    ``index`` counts trials in sampling order across the whole search; ``round`` is the
    coarse-to-fine round (0 for a plain random search). ``seconds`` (wall time) does not
    take part in comparisons.
    """

    index: int
    params: dict
    seed: int
    metrics: dict
    round: int = 0
    seconds: float = field(default=0.0, compare=False)


@dataclass(frozen=True)
class SearchResult:
    """Trials sorted by the optimizing metric, best first (NaN last), and the spaces searched
    (one per round)."""

    trials: tuple[Trial, ...]
    optimize: str
    maximize: bool
    spaces: tuple[dict, ...]
    seed: int

    @property
    def best(self) -> Trial:
        return self.trials[0]

    @property
    def best_params(self) -> dict:
        return dict(self.best.params)

    def __len__(self) -> int:
        return len(self.trials)

    def table(self, top: int | None = None) -> str:
        """One row per trial, best first (the first ``top`` rows when given)."""
        shown = self.trials if top is None else self.trials[:top]
        names = list(self.spaces[0])
        metrics = [self.optimize, *sorted({m for t in self.trials for m in t.metrics}
                                          - {self.optimize})]
        rounds = len(self.spaces) > 1
        header = ["rank", *(["round"] if rounds else []), "trial", *names, *metrics]
        rows = []
        for rank, t in enumerate(shown, 1):
            rows.append([str(rank), *([str(t.round)] if rounds else []), str(t.index),
                         *[number(t.params[n]) for n in names],
                         *[number(t.metrics.get(m)) for m in metrics]])
        goal = "maximize" if self.maximize else "minimize"
        kind = f"coarse to fine, {len(self.spaces)} rounds" if rounds else "random search"
        lines = [f"{kind}: {len(self.trials)} trials, {goal} {self.optimize} (seed {self.seed})"]
        for r, space in enumerate(self.spaces):
            ranges = ", ".join(f"{n} ~ {_short(d)}" for n, d in space.items())
            lines.append(f"  {'round ' + str(r) if rounds else 'space'}: {ranges}")
        lines.append(format_table(header, rows))
        if len(shown) < len(self.trials):
            lines.append(f"... {len(self.trials) - len(shown)} more trials")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.table(top=10)


def _short(dist: Distribution) -> str:
    """LogUniform(0.0001, 1) rather than the dataclass repr's full precision."""
    if hasattr(dist, "options"):
        return f"Choice({', '.join(number(o) for o in dist.options)})"
    return f"{type(dist).__name__}({number(dist.low)}, {number(dist.high)})"


# ---- checks ---------------------------------------------------------------------------------
def _check_space(op: str, space) -> dict:
    if not isinstance(space, Mapping) or not space:
        raise TypeError(f"{op}: space should be a non-empty dict name -> Distribution, got "
                        f"{space!r}")
    for name, dist in space.items():
        if not isinstance(name, str):
            raise TypeError(f"{op}: space keys should be hyperparameter names (str), got "
                            f"{name!r}")
        if not isinstance(dist, Distribution):
            raise TypeError(f"{op}: space[{name!r}] should be a Distribution (LogUniform, "
                            f"OneMinusLogUniform, Uniform, IntUniform, Choice), got "
                            f"{type(dist).__name__}")
    return dict(space)


def _positive_int(op: str, name: str, value) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
        raise ValueError(f"{op}: {name} should be an int >= 1, got {value!r}")
    return int(value)


def _check_picklable(op: str, objective) -> None:
    try:
        pickle.dumps(objective)
    except Exception as error:  # pickling raises several types; all mean the same here
        raise TypeError(
            f"{op}: with workers > 1 the objective runs in other processes and must be "
            f"picklable: a function defined at the top level of a module (not a lambda, a "
            f"nested function or a bound method of an unpicklable object), or an instance of "
            f"a top-level class. {objective!r} is not: {error}. Use workers=1 to run it here"
        ) from None


def _root(seed) -> np.random.SeedSequence:
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, numbers.Integral)
                             or seed < 0):
        raise ValueError(f"random_search: seed should be an int >= 0 or None, got {seed!r}")
    return np.random.SeedSequence(seed)


# ---- one round --------------------------------------------------------------------------
def _sample(space: dict, n: int, entropy: int, round_: int) -> tuple[list, list]:
    """n trials' hyperparameters (each drawn at once) and seeds, for round ``round_``."""
    sampling, per_trial = np.random.SeedSequence(entropy, spawn_key=(round_,)).spawn(2)
    rng = np.random.default_rng(sampling)
    columns = {name: dist.sample(rng, n).tolist() for name, dist in space.items()}
    params = [{name: columns[name][i] for name in space} for i in range(n)]
    seeds = [int(child.generate_state(1)[0]) for child in per_trial.spawn(n)]
    return params, seeds


def _call(objective, params: dict, seed: int, optimize: str, index: int):
    """Run one trial (here or in a worker process) and check what it returns."""
    start = time.perf_counter()
    try:
        metrics = objective(dict(params), seed)
    except Exception as error:
        if hasattr(error, "add_note"):  # Python >= 3.11: say which trial failed
            error.add_note(f"in trial {index} of the search, params {params}, seed {seed}")
        raise
    seconds = time.perf_counter() - start
    if not isinstance(metrics, Mapping):
        raise TypeError(f"random_search: the objective should return a dict of metrics, got "
                        f"{type(metrics).__name__} in trial {index} (params {params})")
    if optimize not in metrics:
        raise ValueError(f"random_search: the objective's metrics should include the "
                         f"optimizing metric {optimize!r}, got {sorted(metrics)} in trial "
                         f"{index}")
    value = metrics[optimize]
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"random_search: metric {optimize!r} should be a number, got "
                        f"{value!r} in trial {index}")
    plain = {k: float(v) if isinstance(v, numbers.Real) and not isinstance(v, bool)
             and not isinstance(v, numbers.Integral) else v for k, v in metrics.items()}
    return plain, seconds


def _run(objective, space, n, *, entropy, round_, first_index, workers, optimize, maximize,
         quiet, mp_context, op, desc) -> list[Trial]:
    if workers > 1:
        _check_picklable(op, objective)
    params, seeds = _sample(space, n, entropy, round_)
    results: list = [None] * n
    sign = 1.0 if maximize else -1.0
    best = -math.inf
    with tqdm(total=n, desc=desc, unit="trial", file=sys.stderr, disable=quiet,
              leave=False) as bar:

        def done(i, outcome):
            nonlocal best
            results[i] = outcome
            value = outcome[0][optimize]
            if not math.isnan(value) and sign * value > best:
                best = sign * value
                bar.set_postfix_str(f"best {optimize}={sign * best:.4g}")
            bar.update(1)

        if workers == 1:
            for i in range(n):
                done(i, _call(objective, params[i], seeds[i], optimize, first_index + i))
        else:
            pool = ProcessPoolExecutor(max_workers=min(workers, n), mp_context=mp_context)
            try:
                futures = {pool.submit(_call, objective, params[i], seeds[i], optimize,
                                       first_index + i): i for i in range(n)}
                for future in as_completed(futures):
                    done(futures[future], future.result())
            finally:
                pool.shutdown(wait=True, cancel_futures=True)
    return [Trial(first_index + i, params[i], seeds[i], results[i][0], round_, results[i][1])
            for i in range(n)]


def _ranked(trials: list, optimize: str, maximize: bool) -> tuple:
    sign = -1.0 if maximize else 1.0

    def key(t):
        value = float(t.metrics[optimize])
        return (math.isnan(value), sign * value if not math.isnan(value) else 0.0, t.index)

    return tuple(sorted(trials, key=key))


# ---- public -------------------------------------------------------------------------------
def random_search(objective: Callable[[dict, int], Mapping], space: Mapping[str, Distribution],
                  n_trials: int, *, seed: int | None = 0, workers: int = 1,
                  optimize: str = "dev_accuracy", maximize: bool = True, quiet: bool = False,
                  mp_context=None) -> SearchResult:
    """Try ``n_trials`` random points of ``space`` and rank them by one metric.

    ``objective(params, seed) -> dict of metrics`` trains and evaluates one model with the
    hyperparameters ``params`` (name -> value) and the trial's ``seed`` (an int for its
    initialization and shuffling); the metrics must include ``optimize``. ``workers > 1``
    runs trials in that many processes (``concurrent.futures.ProcessPoolExecutor``, with
    ``mp_context`` if given): the objective must then be picklable (a top-level function).
    ``seed=None`` draws fresh entropy, kept in ``result.seed``. A tqdm bar on stderr counts
    the trials unless ``quiet``.
    """
    op = "random_search"
    space = _check_space(op, space)
    n_trials = _positive_int(op, "n_trials", n_trials)
    workers = _positive_int(op, "workers", workers)
    if not callable(objective):
        raise TypeError(f"{op}: objective should be a function (params, seed) -> metrics, got "
                        f"{type(objective).__name__}")
    entropy = _root(seed).entropy
    trials = _run(objective, space, n_trials, entropy=entropy, round_=0, first_index=0,
                  workers=workers, optimize=optimize, maximize=maximize, quiet=quiet,
                  mp_context=mp_context, op=op, desc=op)
    return SearchResult(_ranked(trials, optimize, maximize), optimize, bool(maximize),
                        (space,), entropy)


def coarse_to_fine(objective: Callable[[dict, int], Mapping], space: Mapping[str, Distribution],
                   *, rounds: int = 2, n_trials: int | Sequence[int] = 20, keep: float = 0.25,
                   margin: float = 0.1, seed: int | None = 0, workers: int = 1,
                   optimize: str = "dev_accuracy", maximize: bool = True, quiet: bool = False,
                   mp_context=None) -> SearchResult:
    """Random search in rounds, each zoomed on the best trials of the round before.

    Round 0 is ``random_search(objective, space, n_trials, seed=seed)`` (the same trials).
    After each round, the best ``keep`` fraction of its trials (at least one) sets the next
    space: every distribution narrows to the region their values span in its own scale (log
    for ``LogUniform``, log of 1 - beta for ``OneMinusLogUniform``), widened by ``margin``
    times the old span on each side (``Distribution.refine``). ``n_trials`` is per round (an
    int, or one per round). Returns every trial of every round, best first, and
    ``result.spaces``, the space of each round.
    """
    op = "coarse_to_fine"
    space = _check_space(op, space)
    rounds = _positive_int(op, "rounds", rounds)
    workers = _positive_int(op, "workers", workers)
    counts = [n_trials] * rounds if isinstance(n_trials, numbers.Integral) else list(n_trials)
    if len(counts) != rounds:
        raise ValueError(f"{op}: n_trials should be an int or one count per round ({rounds}), "
                         f"got {n_trials!r}")
    counts = [_positive_int(op, "n_trials", n) for n in counts]
    if isinstance(keep, bool) or not isinstance(keep, numbers.Real) or not 0 < keep <= 1:
        raise ValueError(f"{op}: keep should be a fraction in (0, 1], got {keep!r}")
    if not callable(objective):
        raise TypeError(f"{op}: objective should be a function (params, seed) -> metrics, got "
                        f"{type(objective).__name__}")
    entropy = _root(seed).entropy
    trials: list[Trial] = []
    spaces = [space]
    for r, n in enumerate(counts):
        found = _run(objective, spaces[-1], n, entropy=entropy, round_=r, first_index=len(trials),
                     workers=workers, optimize=optimize, maximize=maximize, quiet=quiet,
                     mp_context=mp_context, op=op, desc=f"{op} round {r}")
        trials += found
        if r + 1 < rounds:
            best = _ranked(found, optimize, maximize)[:max(1, math.ceil(keep * n))]
            spaces.append({name: dist.refine([t.params[name] for t in best], margin=margin)
                           for name, dist in spaces[-1].items()})
    return SearchResult(_ranked(trials, optimize, maximize), optimize, bool(maximize),
                        tuple(spaces), entropy)
