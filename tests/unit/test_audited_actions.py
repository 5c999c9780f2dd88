"""The audit log's list of actions agrees with what the code records."""

from __future__ import annotations

import ast
from pathlib import Path

from domain.audit.actions import AUDITED_ACTIONS, audit_kinds, target_kind

ROOT = Path(__file__).resolve().parents[2]
LAYERS = ("domain", "gamification", "push", "webhooks", "api")


def recorded_changes() -> list[tuple[str, int, str, str]]:
    """Every `record_change(actor, "<action>", "<target kind>", ...)` in the code whose action
    and target kind are written out: (file, line, action, target kind)."""
    found = []
    for layer in LAYERS:
        for path in sorted((ROOT / layer).rglob("*.py")):
            for node in ast.walk(ast.parse(path.read_text(), str(path))):
                if not (
                    isinstance(node, ast.Call)
                    and isinstance(node.func, ast.Name)
                    and node.func.id == "record_change"
                    and len(node.args) >= 3
                ):
                    continue
                action, kind = node.args[1], node.args[2]
                if isinstance(action, ast.Constant) and isinstance(kind, ast.Constant):
                    found.append(
                        (str(path.relative_to(ROOT)), node.lineno, action.value, kind.value)
                    )
    return found


def test_each_recorded_change_names_the_target_kind_of_its_action() -> None:
    calls = recorded_changes()
    assert len(calls) >= 20  # the scan finds the use cases' calls
    wrong = [
        (where, line, action, kind)
        for where, line, action, kind in calls
        if AUDITED_ACTIONS.get(action) != kind
    ]
    assert wrong == []


def test_an_action_changes_the_kind_of_its_prefix_but_points_change_a_member() -> None:
    assert target_kind("reward.upsert") == "reward"
    assert target_kind("drop_claim.complete") == "drop_claim"
    assert target_kind("points.adjust") == "member"


def test_the_kinds_are_listed_by_name_with_their_actions_by_name() -> None:
    kinds = audit_kinds()
    assert list(kinds) == sorted(kinds)
    assert kinds["member"] == ["member.erase", "member.export", "points.adjust"]
    assert kinds["reward"] == ["reward.translate", "reward.upsert"]
    assert sorted(a for actions in kinds.values() for a in actions) == sorted(AUDITED_ACTIONS)
