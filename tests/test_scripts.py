"""The tuning scripts stay in step with the decision they replay."""

from dataclasses import fields

from actions import decision
from actions.decision import Thresholds
from scripts import ablate


def test_ablation_switches_off_only_rules_that_exist() -> None:
    """A rule removed from the decision must leave the ablation too (it once named five gone)."""
    names = {f.name for f in fields(Thresholds)}
    for off in ablate.OFF.values():
        assert set(off) <= names
    for module, name, _ in ablate.PATCHES.values():
        assert callable(getattr(module, name))


def test_ablation_covers_every_threshold_but_the_score_floor() -> None:
    """Each threshold can be switched off to see whether it earns its place."""
    switched = {name for off in ablate.OFF.values() for name in off}
    assert {f.name for f in fields(Thresholds)} - switched == {"min_score"}
    assert ablate.PATCHES["first passage chosen by the question (ordered)"][0] is decision
