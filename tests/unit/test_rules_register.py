"""The rules register names real tests: every `tests/...py::test_name` it cites exists."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CITED = re.compile(r"(tests/[\w/]+\.py)::(\w+)")


def test_every_test_the_register_cites_exists():
    text = (ROOT / "docs" / "rules.md").read_text()
    missing = []
    for path, name in sorted(set(CITED.findall(text))):
        file = ROOT / path
        if not file.exists() or not re.search(rf"^\s*(?:async )?def {name}\(", file.read_text(), re.M):
            missing.append(f"{path}::{name}")
    assert missing == [], "docs/rules.md cites tests that do not exist: " + ", ".join(missing)
