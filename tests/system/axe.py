"""axe-core in a page of the browser tests: WCAG 2.0 and 2.1, levels A and AA."""

from pathlib import Path
from typing import Any

AXE = Path(__file__).resolve().parents[1] / "data" / "axe" / "axe.min.js"
WCAG_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
_RUN = "tags => axe.run({runOnly: {type: 'tag', values: tags}})"


def violations(page: Any) -> list[tuple[str, Any]]:
    """axe's rules on the page as it is (which must let the script in: ``bypass_csp``): each rule
    violated, with the first three of its elements."""
    page.add_script_tag(path=str(AXE))
    result = page.evaluate(_RUN, WCAG_AA)
    assert len(result["passes"]) > 10  # axe did run its rules
    return [(v["id"], [n["target"] for n in v["nodes"]][:3]) for v in result["violations"]]
