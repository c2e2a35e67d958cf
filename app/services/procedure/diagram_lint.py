"""The modeler's live check: the gate's structural rules (engine/lint.py) on a diagram being edited.

Same rules, same sentences as the deploy gate, so what the analyst sees while drawing is what the gate
will say; warnings (style rules) are shown here and never refuse a deploy.
"""

from __future__ import annotations

from app.engine import ProcessDefinitionError, lint, safe_tree


def lint_diagram(bpmn_xml: str) -> list[dict]:
    """Findings as {rule, element, message, severity}; a file that is not XML gives one error."""
    try:
        tree = safe_tree(bpmn_xml)
    except ProcessDefinitionError as exc:
        return [{"rule": "xml", "element": p.get("element"), "message": p["message"], "severity": "error"}
                for p in exc.problems]
    return [finding.as_dict() for finding in lint(tree)]
