"""strategy/search.py: random search and coarse to fine on objectives with a known optimum.

The objectives are top-level functions so that worker processes can unpickle them.
"""

import math
import pickle

import numpy as np
import pytest

from deepspec import strategy as st

SPACE = {"alpha": st.LogUniform(1e-4, 1.0), "beta": st.OneMinusLogUniform(0.9, 0.999),
         "units": st.IntUniform(50, 100), "activation": st.Choice(["relu", "tanh"])}


def bowl(params, seed):
    """Best at alpha = 0.01, beta = 0.99, units = 70, relu, measured on the scales the notes
    sample on; the seed adds a little reproducible noise, as training would."""
    noise = np.random.default_rng(seed).normal(0, 1e-4)
    loss = ((math.log10(params["alpha"]) + 2) ** 2 + (math.log10(1 - params["beta"]) + 2) ** 2
            + ((params["units"] - 70) / 50) ** 2 + (params["activation"] != "relu"))
    return {"dev_accuracy": 1 - loss + noise, "dev_loss": loss, "seed_used": seed}


def smooth(params, seed):
    return {"dev_accuracy": -((math.log10(params["alpha"]) + 2) ** 2)
            - (math.log10(1 - params["beta"]) + 2) ** 2}


def not_a_dict(params, seed):
    return 0.5


def without_the_metric(params, seed):
    return {"accuracy": 0.5}


def failing(params, seed):
    raise ArithmeticError("diverged")


def with_nan(params, seed):
    return {"dev_accuracy": float("nan") if params["alpha"] > 0.1 else params["alpha"]}


def test_same_seed_same_trials_and_different_seed_different_trials():
    a = st.random_search(bowl, SPACE, 12, seed=3, quiet=True)
    b = st.random_search(bowl, SPACE, 12, seed=3, quiet=True)
    c = st.random_search(bowl, SPACE, 12, seed=4, quiet=True)
    assert a.trials == b.trials
    assert [t.params for t in a.trials] != [t.params for t in c.trials]
    assert len({t.seed for t in a.trials}) == 12                     # one seed per trial
    assert all(t.metrics["seed_used"] == t.seed for t in a.trials)


def test_parallel_equals_sequential():
    sequential = st.random_search(bowl, SPACE, 10, seed=5, workers=1, quiet=True)
    parallel = st.random_search(bowl, SPACE, 10, seed=5, workers=2, quiet=True)
    assert parallel.trials == sequential.trials
    assert parallel.best.metrics["dev_accuracy"] == sequential.best.metrics["dev_accuracy"]


def test_coarse_to_fine_parallel_equals_sequential():
    kwargs = dict(rounds=2, n_trials=6, seed=1, quiet=True)
    assert (st.coarse_to_fine(bowl, SPACE, workers=2, **kwargs).trials
            == st.coarse_to_fine(bowl, SPACE, workers=1, **kwargs).trials)


def test_trials_are_sorted_best_first_with_plain_python_values():
    result = st.random_search(bowl, SPACE, 30, seed=0, quiet=True)
    scores = [t.metrics["dev_accuracy"] for t in result.trials]
    assert scores == sorted(scores, reverse=True)
    assert result.best is result.trials[0] and len(result) == 30
    assert sorted(t.index for t in result.trials) == list(range(30))
    params = result.best_params
    assert type(params["alpha"]) is float and type(params["units"]) is int
    assert type(params["activation"]) is str
    assert result.best.seconds >= 0


def test_minimize_ranks_the_other_way():
    result = st.random_search(bowl, SPACE, 15, seed=0, optimize="dev_loss", maximize=False,
                              quiet=True)
    losses = [t.metrics["dev_loss"] for t in result.trials]
    assert losses == sorted(losses)


def test_nan_scores_rank_last():
    result = st.random_search(with_nan, {"alpha": st.LogUniform(1e-4, 1.0)}, 20, seed=0,
                              quiet=True)
    scores = [t.metrics["dev_accuracy"] for t in result.trials]
    n_nan = sum(math.isnan(s) for s in scores)
    assert 0 < n_nan < 20
    assert all(math.isnan(s) for s in scores[-n_nan:])
    assert scores[:-n_nan] == sorted(scores[:-n_nan], reverse=True)


def test_random_search_samples_each_scale_as_the_notes():
    result = st.random_search(smooth, SPACE, 400, seed=0, quiet=True)
    r = np.log10([t.params["alpha"] for t in result.trials])
    assert np.histogram(r, bins=[-4, -3, -2, -1, 0])[0].min() > 70     # ~100 per decade
    one_minus = np.log10([1 - t.params["beta"] for t in result.trials])
    assert np.histogram(one_minus, bins=[-3, -2, -1])[0].min() > 170   # ~200 per decade


def test_coarse_to_fine_zooms_in_on_the_optimum():
    space = {"alpha": st.LogUniform(1e-4, 1.0), "beta": st.OneMinusLogUniform(0.9, 0.999)}
    result = st.coarse_to_fine(smooth, space, rounds=3, n_trials=20, keep=0.2, seed=0,
                               quiet=True)
    assert len(result) == 60 and len(result.spaces) == 3
    assert [sum(t.round == r for t in result.trials) for r in range(3)] == [20, 20, 20]
    widths = [math.log10(s["alpha"].high / s["alpha"].low) for s in result.spaces]
    assert widths[0] == pytest.approx(4) and widths[0] > widths[1] > widths[2]
    for space_r in result.spaces:                          # every round keeps the optimum
        assert space_r["alpha"].low <= 0.01 <= space_r["alpha"].high
        assert space_r["beta"].low <= 0.99 <= space_r["beta"].high
    for t in result.trials:                                # each trial inside its round's space
        s = result.spaces[t.round]
        assert s["alpha"].low <= t.params["alpha"] <= s["alpha"].high
    best = result.best_params
    assert abs(math.log10(best["alpha"]) + 2) < 0.1
    assert abs(math.log10(1 - best["beta"]) + 2) < 0.1
    # round 0 is the plain random search with the same seed
    plain = st.random_search(smooth, space, 20, seed=0, quiet=True)
    assert sorted(plain.trials, key=lambda t: t.index) == [t for t in sorted(
        result.trials, key=lambda t: t.index) if t.round == 0]
    # and zooming beats spending the same budget on one coarse search
    coarse = st.random_search(smooth, space, 60, seed=0, quiet=True)
    assert result.best.metrics["dev_accuracy"] > coarse.best.metrics["dev_accuracy"]


def test_coarse_to_fine_refines_int_and_choice_too():
    result = st.coarse_to_fine(bowl, SPACE, rounds=2, n_trials=[40, 10], keep=0.1, seed=2,
                               quiet=True)
    last = result.spaces[-1]
    assert last["activation"] == st.Choice(["relu"])       # the best 4 of 40 all use relu
    assert 50 <= last["units"].low <= 70 <= last["units"].high <= 100
    assert last["units"].high - last["units"].low < 50


def test_progress_bar_on_stderr_unless_quiet(capsys):
    st.random_search(smooth, SPACE, 3, seed=0)
    captured = capsys.readouterr()
    assert "random_search" in captured.err and captured.out == ""
    st.random_search(smooth, SPACE, 3, seed=0, quiet=True)
    assert capsys.readouterr().err == ""


def test_seed_none_draws_entropy_that_reproduces():
    first = st.random_search(smooth, SPACE, 5, seed=None, quiet=True)
    again = st.random_search(smooth, SPACE, 5, seed=first.seed, quiet=True)
    assert isinstance(first.seed, int) and again.trials == first.trials


def test_table_lists_ranges_params_and_metrics():
    result = st.random_search(bowl, SPACE, 12, seed=0, quiet=True)
    text = str(result)
    lines = text.splitlines()
    assert lines[0] == "random search: 12 trials, maximize dev_accuracy (seed 0)"
    assert "alpha ~ LogUniform(0.0001, 1)" in lines[1]
    assert "beta ~ OneMinusLogUniform(0.9, 0.999)" in lines[1]
    assert "activation ~ Choice(relu, tanh)" in lines[1]
    assert lines[2].split() == ["rank", "trial", "alpha", "beta", "units", "activation",
                                "dev_accuracy", "dev_loss", "seed_used"]
    assert lines[4].split()[0] == "1" and lines[-1] == "... 2 more trials"
    assert len(result.table().splitlines()) == 4 + 12
    assert f"{result.best.metrics['dev_accuracy']:.4g}" in lines[4]


def test_unpicklable_objective_is_refused_in_parallel():
    with pytest.raises(TypeError, match=r"random_search: with workers > 1 the objective .* "
                                        r"must be picklable.*Use workers=1"):
        st.random_search(lambda p, s: {"dev_accuracy": 1.0}, SPACE, 4, workers=2, quiet=True)
    result = st.random_search(lambda p, s: {"dev_accuracy": 1.0}, SPACE, 4, quiet=True)
    assert len(result) == 4                               # sequential needs no pickling
    pickle.dumps(result)                                  # results travel (e.g. to disk)


@pytest.mark.parametrize("workers", [1, 2])
def test_objective_errors_say_which_trial(workers):
    with pytest.raises(ArithmeticError, match="diverged") as info:
        st.random_search(failing, SPACE, 3, seed=0, workers=workers, quiet=True)
    notes = getattr(info.value, "__notes__", [])
    if hasattr(info.value, "add_note"):                   # Python >= 3.11
        assert any("in trial" in note and "params" in note for note in notes)


@pytest.mark.parametrize("call, error, message", [
    (lambda: st.random_search(not_a_dict, SPACE, 2, quiet=True), TypeError,
     "random_search: the objective should return a dict of metrics, got float in trial 0"),
    (lambda: st.random_search(without_the_metric, SPACE, 2, quiet=True), ValueError,
     r"metrics should include the optimizing metric 'dev_accuracy', got \['accuracy'\]"),
    (lambda: st.random_search(smooth, SPACE, 0), ValueError,
     "random_search: n_trials should be an int >= 1, got 0"),
    (lambda: st.random_search(smooth, SPACE, 2, workers=0), ValueError,
     "random_search: workers should be an int >= 1, got 0"),
    (lambda: st.random_search(smooth, {}, 2), TypeError,
     "random_search: space should be a non-empty dict"),
    (lambda: st.random_search(smooth, {"alpha": (1e-4, 1)}, 2), TypeError,
     r"random_search: space\['alpha'\] should be a Distribution .* got tuple"),
    (lambda: st.random_search(smooth, SPACE, 2, seed=-1), ValueError,
     "seed should be an int >= 0 or None, got -1"),
    (lambda: st.random_search("f", SPACE, 2), TypeError, "objective should be a function"),
    (lambda: st.coarse_to_fine(smooth, SPACE, keep=0), ValueError,
     r"coarse_to_fine: keep should be a fraction in \(0, 1\], got 0"),
    (lambda: st.coarse_to_fine(smooth, SPACE, rounds=3, n_trials=[5, 5]), ValueError,
     r"coarse_to_fine: n_trials should be an int or one count per round \(3\)"),
    (lambda: st.coarse_to_fine(smooth, SPACE, rounds=0), ValueError,
     "coarse_to_fine: rounds should be an int >= 1"),
])
def test_bad_input(call, error, message):
    with pytest.raises(error, match=message):
        call()


def test_distribution_is_an_abstract_base():
    with pytest.raises(TypeError, match="abstract"):
        st.Distribution()

    class Half(st.Distribution):  # one method only: still abstract
        def sample(self, rng, n):
            return np.zeros(n)

    with pytest.raises(TypeError, match="refine"):
        Half()
