"""Parse BPMN into specs, convert specs to/from JSON, and keep parsed specs cached by content hash."""

from __future__ import annotations

import hashlib
import json
import os
import re
import threading
from collections import OrderedDict
from dataclasses import dataclass, field

from lxml import etree
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.spiff.parser.process import VALIDATOR, SpiffBpmnParser

from .lint import reference_findings
from .scripting import syntax_error
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


def content_hash(bpmn_xml: str, forms: dict[str, dict], decisions: dict[str, str] | None = None) -> str:
    """Identity of a version: the diagram, its forms and its decision tables together (a version
    without tables keeps the hash it had before tables existed)."""
    digest = hashlib.sha256(bpmn_xml.encode("utf-8"))
    digest.update(json.dumps(forms, sort_keys=True, ensure_ascii=False).encode("utf-8"))
    if decisions:
        digest.update(json.dumps(decisions, sort_keys=True, ensure_ascii=False).encode("utf-8"))
    return digest.hexdigest()


_DECLARATION = re.compile(r"^\s*<\?xml[^>]*\?>")
_ENCODING = re.compile(r"""encoding\s*=\s*(["'])[^"']*\1""")
_ENGINE_REFERENCES = frozenset({"unique-ids", "sequence-flow-reference", "data-reference"})
_ADDRESS = re.compile(r"<[^<>]* at 0x[0-9a-fA-F]+>")


def _utf8_bytes(text: str) -> bytes:
    """A str is already decoded: its declaration must not make the parser decode it a second time."""
    text = text.lstrip("\ufeff")
    declaration = _DECLARATION.match(text)
    if declaration:
        text = _ENCODING.sub('encoding="UTF-8"', declaration.group(0), count=1) + text[declaration.end():]
    return text.encode("utf-8")


def _safe_tree(bpmn_xml: str | bytes):
    """Parse without entities, DTDs or network. Bytes go to the parser as they are, so it reads the
    encoding from the byte-order mark or the XML declaration (ISO-8859-9, UTF-16 ...)."""
    raw = _utf8_bytes(bpmn_xml) if isinstance(bpmn_xml, str) else bpmn_xml
    if len(raw) > MAX_BPMN_BYTES:
        raise ProcessDefinitionError(
            [{"element": None, "message": f"file is larger than {MAX_BPMN_BYTES // 1024} KB"}]
        )
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)
    try:
        tree = etree.fromstring(raw, parser=parser)
    except (etree.XMLSyntaxError, LookupError, ValueError) as exc:
        raise ProcessDefinitionError([{"element": None, "message": f"not well-formed XML: {exc}"}]) from exc
    if tree.getroottree().docinfo.internalDTD or tree.getroottree().docinfo.doctype:
        raise ProcessDefinitionError([{"element": None, "message": "DOCTYPE declarations are not allowed"}])
    return tree


safe_tree = _safe_tree


def decode_bpmn(raw: bytes) -> str:
    """The text of an uploaded diagram in whatever encoding it declares, stored and deployed as UTF-8.

    Raises ProcessDefinitionError when the bytes are not well-formed XML in their declared encoding.
    """
    tree = _safe_tree(raw)
    encoding = tree.getroottree().docinfo.encoding or "UTF-8"
    try:
        text = raw.decode(encoding)
    except (LookupError, UnicodeDecodeError) as exc:
        raise ProcessDefinitionError(
            [{"element": None, "message": f"the file is not valid {encoding} text: {exc}"}]) from exc
    text = text.lstrip("\ufeff")
    declaration = _DECLARATION.match(text)
    if declaration:
        text = _ENCODING.sub('encoding="UTF-8"', declaration.group(0), count=1) + text[declaration.end():]
    return text


def _stable(message: str) -> str:
    """SpiffWorkflow sometimes prints lxml objects; their memory address changes every run."""
    return _ADDRESS.sub("<element>", message).strip()


def _executable_process_id(tree) -> str:
    """The process the app runs: the one pool's processRef, else the only executable process that no
    call activity calls. Anything ambiguous is refused rather than guessed by file order."""
    processes = tree.findall(f"{{{_BPMN_NS}}}process")
    if not processes:
        raise ProcessDefinitionError([{"element": None, "message": "the file contains no process"}])
    executable = [p for p in processes if p.get("isExecutable") == "true"] or processes
    if len(executable) == 1:
        return executable[0].get("id")
    ids = {p.get("id") for p in executable}
    pools = [p.get("processRef") for p in tree.iter(f"{{{_BPMN_NS}}}participant") if p.get("processRef") in ids]
    called = {c.get("calledElement") for c in tree.iter(f"{{{_BPMN_NS}}}callActivity")}
    roots = pools or [i for i in (p.get("id") for p in executable) if i not in called]
    if len(roots) == 1:
        return roots[0]
    names = ", ".join(sorted(roots or ids))
    raise ProcessDefinitionError([{"element": sorted(roots or ids)[0], "message": (
        f"the file has more than one executable process ({names}); mark only the one to run as executable "
        "(isExecutable) or give it the only pool, so the gate checks the process that will run")}])


def _add_decisions(parser, decisions: dict[str, str]) -> None:
    """Each DMN file through the same safe XML parser, then SpiffWorkflow's DMN parser (schema-checked)."""
    for name, text in sorted(decisions.items()):
        try:
            tree = _safe_tree(text)
        except ProcessDefinitionError as exc:
            raise ProcessDefinitionError([{**p, "element": p.get("element") or name,
                                           "message": f"{name}: {p['message']}"} for p in exc.problems]) from exc
        try:
            parser.add_dmn_xml(tree, filename=name)
        except ValidationException as exc:
            raise ProcessDefinitionError([{"element": exc.id or name, "message": _stable(f"{name}: {exc}")}]) from exc
        except (AttributeError, IndexError, KeyError, TypeError, ValueError) as exc:
            raise ProcessDefinitionError([{"element": name, "message": _stable(
                f"{name}: the engine cannot read this decision table ({type(exc).__name__}: {exc})")}]) from exc


def _comparison(cell: str) -> bool:
    """A cell SpiffWorkflow appends to the input expression rather than compares with `==` (`> 5`,
    `in ("a", "b")`): one that does not parse alone but does after a name (the engine's own test)."""
    return syntax_error(cell) is not None and syntax_error(f"v {cell}") is None


def space_comparisons(table) -> None:
    """Put a space in front of each comparison cell of a SpiffWorkflow decision table.

    The engine glues a comparison to the input expression as written: `in ("a", "b")` under the input
    `service_impact` became `service_impactin ("a", "b")`, an unknown name. With the space it reads
    `service_impact in ("a", "b")`, as the analyst meant; `> 5` is unchanged in meaning."""
    for rule in table.rules:
        for entry in rule.inputEntries:
            entry.lhs = [f" {cell.lstrip()}" if cell is not None and _comparison(cell.strip()) else cell
                         for cell in entry.lhs]


def _decision_tables_of(bundle_specs) -> list:
    return [spec.dmnEngine.decision_table for process in bundle_specs for spec in process.task_specs.values()
            if getattr(spec, "dmnEngine", None) is not None]


def parse_bpmn(bpmn_xml: str | bytes, decisions: dict[str, str] | None = None) -> ProcessBundle:
    """Parse and validate a diagram with its DMN decision tables (file name → XML); raises
    ProcessDefinitionError with the problems found. A business rule task carries its table in the spec."""
    tree = _safe_tree(bpmn_xml)
    process_id = _executable_process_id(tree)
    # SpiffWorkflow misreports these ("perhaps a form has the same ID", a memory address): name them first.
    dangling = [f for f in reference_findings(tree) if f.rule in _ENGINE_REFERENCES]
    if dangling:
        raise ProcessDefinitionError([finding.as_problem() for finding in dangling])
    parser = SpiffBpmnParser(validator=VALIDATOR)
    _add_decisions(parser, decisions or {})
    try:
        parser.add_bpmn_xml(tree)
        spec = parser.get_spec(process_id)
        subprocess_specs = parser.get_subprocess_specs(process_id)
    except ValidationException as exc:
        element = exc.id or None
        raise ProcessDefinitionError(
            [{"element": element, "message": _stable(str(exc)), "line": exc.line_number or None}]
        ) from exc
    except (AttributeError, IndexError, KeyError, TypeError, ValueError) as exc:
        raise ProcessDefinitionError([{"element": process_id, "message": _stable(
            f"the engine cannot read this diagram ({type(exc).__name__}: {exc})")}]) from exc
    for table in _decision_tables_of([spec, *subprocess_specs.values()]):
        space_comparisons(table)
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
        # A process forked while another thread held the lock (the incident job's workers are forked from the
        # scheduler, whose timer-sweep threads read this cache) would inherit it held, for ever.
        os.register_at_fork(after_in_child=self._after_fork)

    def _after_fork(self) -> None:
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
