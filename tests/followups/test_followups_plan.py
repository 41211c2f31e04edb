"""The plan in rules/followups/plan.yaml loads, cites real leaflet statements, and a broken plan
is refused with the file, the item and the field named."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from cds.errors import PlanError
from cds.followups.plan import load_plan

RULES = Path(__file__).resolve().parents[2] / "rules"


def test_the_shipped_plan() -> None:
    plan = load_plan(RULES)
    assert [(i.id, i.offset) for i in plan.items] == [
        ("pelvic-floor-call-2d", "P2D"), ("pelvic-floor-check-6w", "P6W"),
        ("pelvic-floor-check-3m", "P3M"),
    ]
    first, six_weeks, _ = plan.items
    assert {"E1", "E2", "E3", "E6", "K1", "K4"} <= set(first.leaflet)
    assert set(six_weeks.leaflet) == {"C1", "C2", "C3", "C4", "C5"}
    # Everything not from the leaflet cites a source: the timings and the referral rule.
    assert all(set(i.sources) - {"leaflet"} for i in plan.items)
    assert plan.cancel_on_override == {"already-referred", "patient-declines"}
    assert plan.advice(six_weeks, "nl")[0]["text"] == plan.statements["C1"]["nl"]


def _broken(tmp_path: Path, change: object) -> Path:
    rules = tmp_path / "rules"
    shutil.copytree(RULES / "leaflet", rules / "leaflet")
    (rules / "followups").mkdir()
    doc = yaml.safe_load((RULES / "followups" / "plan.yaml").read_text())
    change(doc)  # type: ignore[operator]
    (rules / "followups" / "plan.yaml").write_text(yaml.safe_dump(doc))
    return rules


@pytest.mark.parametrize(("change", "message"), [
    (lambda d: d["items"][1].update(colour="red"),
     "rules/followups/plan.yaml: item pelvic-floor-check-6w: field colour: Unknown field."),
    (lambda d: d["items"][0].update(offset="two days"),
     "item pelvic-floor-call-2d: field offset: not an ISO 8601 duration: 'two days'"),
    (lambda d: d["items"][0].update(offset="-P2D"),
     "item pelvic-floor-call-2d: field offset: must be a positive ISO 8601 duration"),
    (lambda d: d["items"][2]["leaflet"].append("Z9"),
     "item pelvic-floor-check-3m: field leaflet: unknown leaflet statement Z9"),
    (lambda d: d["items"][2]["sources"].append("hearsay"),
     "item pelvic-floor-check-3m: field sources: unknown source hearsay"),
    (lambda d: d["items"][1].update(id="pelvic-floor-call-2d"),
     "item pelvic-floor-call-2d: field id: duplicate item id"),
    (lambda d: d["items"][0]["title"].pop("en"),
     "item pelvic-floor-call-2d: field title.en: Missing data for required field."),
    (lambda d: d.update(extra=1), "rules/followups/plan.yaml: field extra: Unknown field."),
])
def test_a_broken_plan_is_refused_naming_file_item_and_field(
    tmp_path: Path, change: object, message: str,
) -> None:
    with pytest.raises(PlanError) as err:
        load_plan(_broken(tmp_path, change))
    assert message in str(err.value)


def test_a_missing_plan(tmp_path: Path) -> None:
    with pytest.raises(PlanError, match=r"plan\.yaml: file not found"):
        load_plan(tmp_path)
