"""Parse BPMN into specs, convert specs to/from JSON, and keep parsed specs cached by content hash."""

from __future__ import annotations

import hashlib
import json
import threading
from collections import OrderedDict
from dataclasses import dataclass, field

from lxml import etree
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.spiff.parser.process import VALIDATOR, SpiffBpmnParser

from .serialization import SERIALIZER

MAX_BPMN_BYTES = 2 * 1024 * 1024
_BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"


class ProcessDefinitionError(Exception):
    """The BPMN cannot be used; `problems` lists what is wrong, tied to elements where possible."""

    def __init__(self, problems: list[dict]):
        self.problems = problems
        super().__init__("; ".join(p["message"] for p in problems))


@dataclass(frozen=True)
class ProcessBundle:
    """A parsed process: top-level spec plus the specs of its sub-processes, ready to run."""

    process_id: str
    spec: object
    subprocess_specs: dict = field(default_factory=dict)


def content_hash(bpmn_xml: str, forms: dict[str, dict]) -> str:
    """Identity of a version: the diagram and its forms together."""
    digest = hashlib.sha256(bpmn_xml.encode("utf-8"))
    digest.update(json.dumps(forms, sort_keys=True, ensure_ascii=False).encode("utf-8"))
    return digest.hexdigest()


def _safe_tree(bpmn_xml: str | bytes):
    raw = bpmn_xml.encode("utf-8") if isinstance(bpmn_xml, str) else bpmn_xml
    if len(raw) > MAX_BPMN_BYTES:
        raise ProcessDefinitionError(
            [{"element": None, "message": f"file is larger than {MAX_BPMN_BYTES // 1024} KB"}]
        )
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)
    try:
        tree = etree.fromstring(raw, parser=parser)
    except etree.XMLSyntaxError as exc:
        raise ProcessDefinitionError([{"element": None, "message": f"not well-formed XML: {exc}"}]) from exc
    if tree.getroottree().docinfo.internalDTD or tree.getroottree().docinfo.doctype:
        raise ProcessDefinitionError([{"element": None, "message": "DOCTYPE declarations are not allowed"}])
    return tree


safe_tree = _safe_tree


def _executable_process_id(tree) -> str:
    processes = tree.findall(f"{{{_BPMN_NS}}}process")
    executable = [p for p in processes if p.get("isExecutable") == "true"] or processes
    if not executable:
        raise ProcessDefinitionError([{"element": None, "message": "the file contains no process"}])
    return executable[0].get("id")


def parse_bpmn(bpmn_xml: str | bytes) -> ProcessBundle:
    """Parse and validate a diagram; raises ProcessDefinitionError with the problems found."""
    tree = _safe_tree(bpmn_xml)
    process_id = _executable_process_id(tree)
    parser = SpiffBpmnParser(validator=VALIDATOR)
    try:
        parser.add_bpmn_xml(tree)
        spec = parser.get_spec(process_id)
        subprocess_specs = parser.get_subprocess_specs(process_id)
    except ValidationException as exc:
        element = exc.id or None
        raise ProcessDefinitionError(
            [{"element": element, "message": str(exc), "line": exc.line_number or None}]
        ) from exc
    return ProcessBundle(process_id, spec, subprocess_specs)


def bundle_to_json(bundle: ProcessBundle) -> str:
    registry = SERIALIZER.registry
    return json.dumps(
        {
            "process_id": bundle.process_id,
            "spec": registry.convert(bundle.spec),
            "subprocess_specs": {k: registry.convert(v) for k, v in bundle.subprocess_specs.items()},
        }
    )


def bundle_from_json(text: str) -> ProcessBundle:
    registry = SERIALIZER.registry
    dct = json.loads(text)
    return ProcessBundle(
        dct["process_id"],
        registry.restore(dct["spec"]),
        {k: registry.restore(v) for k, v in dct["subprocess_specs"].items()},
    )


class SpecCache:
    """Parsed specs by content hash; specs are read-only at run time, so instances share them."""

    def __init__(self, size: int = 32):
        self._size = size
        self._items: OrderedDict[str, ProcessBundle] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: str, spec_json_loader) -> ProcessBundle:
        with self._lock:
            bundle = self._items.get(key)
            if bundle is not None:
                self._items.move_to_end(key)
                return bundle
        bundle = bundle_from_json(spec_json_loader())
        with self._lock:
            self._items[key] = bundle
            while len(self._items) > self._size:
                self._items.popitem(last=False)
        return bundle


SPEC_CACHE = SpecCache()
