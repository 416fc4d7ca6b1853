"""The README's examples run as written and print what they say."""

import pathlib
import re

README = pathlib.Path(__file__).resolve().parents[1] / "README.md"


def python_blocks() -> list[str]:
    return re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.S)


def test_readme_quick_start_and_fit_run(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    blocks = python_blocks()
    assert len(blocks) >= 2
    namespace: dict = {}
    exec(blocks[0], namespace)  # the hand-written loop
    printed = capsys.readouterr().out
    claimed = re.search(r"# (cost [0-9.]+, accuracy [0-9.]+%)", blocks[0]).group(1)
    assert printed.strip() == claimed  # the number in the README is the number it prints
    exec(blocks[1], namespace)  # the same with fit, then a checkpoint
    out = capsys.readouterr().out
    fit_accuracy = float(re.search(r"accuracy ([0-9.]+)%", out).group(1))
    assert fit_accuracy >= 89.0  # the course reports 90%
    assert (tmp_path / "flower.npz").exists()
