"""The `cds` command as a user runs it: a real subprocess, exit codes, stdout and stderr."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SYN = ROOT / "tests" / "fixtures" / "synthea"
CASES = ROOT / "rules" / "findings"


def cds(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "cds.cli", *args], capture_output=True, text=True, cwd=ROOT, timeout=60
    )


def test_evaluate_json_at_discharge() -> None:
    run = cds(
        "evaluate",
        str(SYN / "1398230-bundle.json"),
        "--encounter",
        "5898bff8-d38a-9943-9bf5-53691338c805",
        "--format",
        "json",
        "--lang",
        "en",
    )
    assert run.returncode == 0, run.stderr
    doc = json.loads(run.stdout)
    assert set(doc) >= {"patient", "asOf", "delivery", "findings", "cards"}
    assert doc["asOf"].startswith("2017-06-22")
    r6 = next(f for f in doc["findings"] if f["rule"] == "R6-instrumental-delivery")
    assert r6["status"] == "present" and r6["leaflet"] == ["R6"] and r6["evidence"][0]["code"]["code"] == "236974004"
    assert [c["indicator"] for c in doc["cards"]] == ["warning", "info"]


def test_evaluate_text_is_readable() -> None:
    run = cds(
        "evaluate",
        str(CASES / "R7-total-rupture" / "cases" / "present-nl-fourth-degree.json"),
        "--encounter",
        "enc-delivery",
    )
    assert run.returncode == 0, run.stderr
    assert "[+] R7" in run.stdout and "Totaalruptuur" in run.stdout and "Kaarten" in run.stdout


def test_as_of_overrides_and_hides_later_data() -> None:
    path = str(CASES / "R9-overweight" / "cases" / "present-synthea-bmi-before.json")
    run = cds("evaluate", path, "--as-of", "2022-12-01", "--format", "json")
    doc = json.loads(run.stdout)
    assert doc["delivery"] is None and doc["findings"] == []


@pytest.mark.parametrize(
    "args,message",
    [
        (["evaluate", "/nonexistent.json"], "no such file"),
        (["evaluate", str(ROOT / "pyproject.toml")], "not valid JSON"),
        (["evaluate", str(ROOT / "rules")], "is a directory"),
        (["evaluate", str(SYN / "842479-bundle.json"), "--as-of", "yesterday"], "--as-of"),
        (["evaluate", str(SYN / "842479-bundle.json"), "--encounter", "nope"], "encounter nope is not in the input"),
        (["evaluate", str(SYN / "842479-bundle.json"), "--lang", "de"], "invalid choice"),
        (["frobnicate"], "invalid choice"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(args: list[str], message: str) -> None:
    run = cds(*args)
    assert run.returncode == 2
    assert run.stdout == ""
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1 and message in lines[0] and "Traceback" not in run.stderr


def test_not_fhir_and_broken_bundle(tmp_path: Path) -> None:
    for body in ('{"hello": "world"}', '{"resourceType": "Bundle", "type": "collection", "entry": [3]}'):
        path = tmp_path / "in.json"
        path.write_text(body)
        run = cds("evaluate", str(path))
        assert run.returncode == 2 and len(run.stderr.strip().splitlines()) == 1


def test_invalid_resource_in_good_bundle_is_a_note(tmp_path: Path) -> None:
    doc = json.loads((CASES / "R6-instrumental-delivery" / "cases" / "present-us-forceps.json").read_text())
    broken = {
        "resourceType": "Condition",
        "id": "bad",
        "subject": {"reference": "Patient/pat-1"},
        "code": {"coding": [{"system": "http://snomed.info/sct", "code": "165232002"}]},
        "onsetDateTime": "2024-03-11",
        "clinicalStatus": "active-as-a-string",
    }
    doc["entry"].append({"resource": broken})
    path = tmp_path / "in.json"
    path.write_text(json.dumps(doc))
    run = cds("evaluate", str(path), "--encounter", "enc-delivery", "--format", "json")
    assert run.returncode == 0, run.stderr
    out = json.loads(run.stdout)
    assert any("Condition/bad skipped: not valid FHIR R4" in n for n in out["dataQuality"])
    r3 = next(f for f in out["findings"] if f["rule"] == "R3-involuntary-loss")
    assert r3["status"] == "unknown"


def test_rules_check_passes_and_fails_precisely(tmp_path: Path) -> None:
    ok = cds("rules", "check")
    assert ok.returncode == 0 and "rules OK" in ok.stdout
    rules = tmp_path / "rules"
    shutil.copytree(ROOT / "rules", rules)
    path = rules / "findings" / "R9-overweight" / "rule.yaml"
    path.write_text(path.read_text().replace('op: ">"', 'op: "~"'))
    bad = cds("rules", "check", "--rules-dir", str(rules))
    assert bad.returncode == 2
    assert bad.stderr.strip() == (
        "cds: error: rules/findings/R9-overweight/rule.yaml: rule R9-overweight: "
        "field criteria[0].threshold.op: Must be one of: >, >=, <, <=."
    )


def test_output_is_the_same_in_every_process() -> None:
    """String hashing differs per process (PYTHONHASHSEED); evidence order must not follow it."""
    outputs = set()
    args = ["evaluate", str(SYN / "1071287-bundle.json"), "--as-of", "2030-01-01", "--format", "json"]
    for seed in ("1", "2", "3", "4", "5"):
        run = subprocess.run(
            [sys.executable, "-m", "cds.cli", *args],
            capture_output=True,
            text=True,
            cwd=ROOT,
            timeout=60,
            env={**os.environ, "PYTHONHASHSEED": seed},
        )
        assert run.returncode == 0, run.stderr
        outputs.add(run.stdout)
    assert len(outputs) == 1
