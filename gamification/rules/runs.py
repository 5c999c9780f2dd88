"""Runs of consecutive days or weeks: the compact record behind streaks and day counts."""

from __future__ import annotations

from gamification.rules.state import Run


def add_unit(
    runs: tuple[Run, ...], earlier: int, unit: int, horizon: int
) -> tuple[tuple[Run, ...], int]:
    """Record `unit` (a day or week number) in sorted, non-touching `runs`.

    Units more than `horizon` before the newest recorded one are ignored: whether they were
    already counted is no longer known. Runs ending before that horizon once `unit` is in are
    dropped, their lengths added to `earlier`. Recording a unit twice changes nothing.
    """
    if runs and unit < runs[-1][1] - horizon:
        return runs, earlier
    if any(first <= unit <= last for first, last in runs):
        return runs, earlier
    merged: list[list[int]] = []
    for first, last in sorted([*runs, (unit, unit)]):
        if merged and first <= merged[-1][1] + 1:
            merged[-1][1] = max(merged[-1][1], last)
        else:
            merged.append([first, last])
    cutoff = merged[-1][1] - horizon
    kept: list[Run] = []
    for first, last in merged:
        if last < cutoff:
            earlier += last - first + 1
        else:
            kept.append((first, last))
    return tuple(kept), earlier


def units_recorded(runs: tuple[Run, ...], earlier: int) -> int:
    """How many distinct units were recorded, including those dropped from `runs`."""
    return earlier + sum(last - first + 1 for first, last in runs)


def current_run_length(runs: tuple[Run, ...], current: int) -> int:
    """The length of the run ending at `current` or the unit before it, counted up to `current`.

    A run whose last unit is before `current - 1` is broken: 0. The current unit not yet done
    keeps the run alive.
    """
    for first, last in reversed(runs):
        if first > current:
            continue
        if last < current - 1:
            return 0
        return min(last, current) - first + 1
    return 0
