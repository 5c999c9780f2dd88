"""The command line: every command and option explains itself, the top-level help lists
every command, and progress bars draw on a terminal only."""

from __future__ import annotations

import argparse
import io
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from api.cli import build_parser
from api.progress import ProgressBar, render

ROOT = Path(__file__).resolve().parents[2]


def commands(
    parser: argparse.ArgumentParser, path: tuple[str, ...] = ()
) -> Iterator[tuple[tuple[str, ...], argparse.ArgumentParser, str | None]]:
    """Every (sub)command: its path, its parser and the help its parent lists it with."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            listed = {choice.dest: choice.help for choice in action._choices_actions}
            for name, child in action.choices.items():
                yield (*path, name), child, listed.get(name)
                yield from commands(child, (*path, name))


def test_every_command_has_a_help_text() -> None:
    found = list(commands(build_parser()))
    assert len(found) >= 13
    for path, parser, listed in found:
        assert listed and listed.strip(), path
        assert parser.description and parser.description.strip(), path


def test_every_option_and_argument_has_a_help_text() -> None:
    for path, parser, _ in commands(build_parser()):
        for action in parser._actions:
            if isinstance(action, (argparse._HelpAction, argparse._SubParsersAction)):
                continue
            assert action.help and action.help.strip(), (path, action.dest)


def test_the_top_level_help_lists_every_command() -> None:
    text = build_parser().format_help()
    for path, _, _ in commands(build_parser()):
        if len(path) == 1:
            assert f"    {path[0]}" in text, path
    assert build_parser().description


def test_a_progress_bar_draws_nothing_off_a_terminal() -> None:
    stream = io.StringIO()
    with ProgressBar("rebuild", stream) as bar:
        for done in range(1, 11):
            bar.update(done, 10)
    assert stream.getvalue() == ""


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_a_progress_bar_redraws_one_line_on_a_terminal_and_ends_it() -> None:
    stream = Terminal()
    with ProgressBar("rebuild", stream, redraw_seconds=0) as bar:
        for done in range(1, 5):
            bar.update(done, 4)
    text = stream.getvalue()
    assert text.count("\r") == 4 and text.endswith("\n") and text.count("\n") == 1
    assert text.rstrip("\n").rsplit("\r", 1)[1] == render("rebuild", 4, 4)
    assert "4/4" in text and "100%" in text


def test_redraws_are_throttled_but_the_last_step_always_shows() -> None:
    stream = Terminal()
    bar = ProgressBar("jobs", stream, redraw_seconds=3600)
    for done in range(1, 101):
        bar.update(done, 100)
    bar.close()
    text = stream.getvalue()
    assert text.count("\r") == 2 and "100/100" in text


def test_render_without_a_total_shows_the_count() -> None:
    assert render("seed", 3, 0) == "seed 3"
    assert render("seed", 0, 4).endswith("0/4   0%")


@pytest.mark.slow
def test_a_long_command_writes_only_its_answer_when_piped(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite://{tmp_path / 'cli.sqlite3'}",
        "REDIS_URL": "",
        "FIDELIO_ENV": "development",
    }
    run = [sys.executable, "-m", "api.cli"]
    subprocess.run([*run, "migrate"], cwd=ROOT, env=env, check=True, capture_output=True)
    done = subprocess.run(
        [*run, "leaderboards", "rebuild"], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout == "leaderboards rebuilt: 0 entries\n"
    assert "\r" not in done.stderr and "[" not in done.stderr
