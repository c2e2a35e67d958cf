"""Browser libraries installed by npm, served from node_modules by an allow-list (no CDN at run time)."""

from __future__ import annotations

from flask import abort, send_from_directory

from ..access import ALL_STAFF, roles_required
from ..config import PROJECT_ROOT
from . import vendor_bp

NODE_MODULES = PROJECT_ROOT / "node_modules"
ALLOWED = frozenset({
    "bpmn-js/dist/bpmn-modeler.production.min.js",
    "bpmn-js/dist/bpmn-navigated-viewer.production.min.js",
    "bpmn-js/dist/assets/diagram-js.css",
    "bpmn-js/dist/assets/bpmn-js.css",
    "bpmn-js/dist/assets/bpmn-font/css/bpmn-embedded.css",
    "dmn-js/dist/dmn-modeler.production.min.js",
    "dmn-js/dist/assets/diagram-js.css",
    "dmn-js/dist/assets/dmn-js-shared.css",
    "dmn-js/dist/assets/dmn-js-drd.css",
    "dmn-js/dist/assets/dmn-js-decision-table.css",
    "dmn-js/dist/assets/dmn-js-decision-table-controls.css",
    "dmn-js/dist/assets/dmn-js-literal-expression.css",
    "dmn-js/dist/assets/dmn-font/css/dmn-embedded.css",
    "@bpmn-io/properties-panel/dist/assets/properties-panel.css",
    "chart.js/dist/chart.umd.js",
    "chart.js/dist/chart.umd.min.js",
})


@vendor_bp.get("/vendor/<path:name>")
@roles_required(*ALL_STAFF)
def vendor_file(name: str):
    """Only listed files: node_modules holds far more than the browser should see."""
    if name not in ALLOWED or not (NODE_MODULES / name).is_file():
        abort(404)
    return send_from_directory(NODE_MODULES, name, max_age=3600)
