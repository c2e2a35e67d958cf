"""Step and event names in the reader's language, read from the diagrams of every process version.

Inbox rows, audit events and figures keep the Turkish name a step had when it ran; the English name
comes from the diagram (`name_en`, see app/bilingual.py). A version's diagram never changes, so its
names are read once per process and kept by content hash. Lookups go by element id first (the
newest version that names it wins), then by the Turkish name (audit events record only the name).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlalchemy.orm import load_only

from app.bilingual import diagram_names, is_english
from app.engine import ProcessDefinitionError, safe_tree
from app.extensions import db
from app.models import ProcessVersion

_by_hash: dict[str, dict[str, tuple[str, str | None]]] = {}


@dataclass
class NameBook:
    """English names by element id and by Turkish name, over all versions (newest last wins)."""

    by_id: dict[str, str] = field(default_factory=dict)
    by_name: dict[str, str] = field(default_factory=dict)

    def add(self, names: dict[str, tuple[str, str | None]]) -> None:
        for element_id, (turkish, english) in names.items():
            if english:
                self.by_id[element_id] = english
                self.by_name[turkish] = english

    def name(self, turkish: str | None, element_id: str | None = None, locale=None) -> str:
        """The name to show: English for English readers when the diagram has it, else the Turkish one."""
        turkish = turkish or ""
        if not is_english(locale):
            return turkish
        return self.by_id.get(element_id or "") or self.by_name.get(turkish) or turkish


def names_of(bpmn_xml: str, key: str | None = None) -> dict[str, tuple[str, str | None]]:
    """(Turkish, English) names of one diagram by element id; cached under `key` (a content hash)."""
    if key is not None and key in _by_hash:
        return _by_hash[key]
    try:
        names = diagram_names(safe_tree(bpmn_xml))
    except ProcessDefinitionError:
        names = {}
    if key is not None:
        _by_hash[key] = names
    return names


def name_book() -> NameBook:
    """The names of every stored version; the live one is added last so its English names win."""
    book = NameBook()
    rows = db.session.execute(sa.select(ProcessVersion.id, ProcessVersion.content_hash)
                              .order_by(ProcessVersion.is_live, ProcessVersion.number)).all()
    for version_id, content_hash in rows:
        if content_hash not in _by_hash:
            version = db.session.scalar(sa.select(ProcessVersion).where(ProcessVersion.id == version_id)
                                        .options(load_only(ProcessVersion.bpmn_xml)))
            names_of(version.bpmn_xml, content_hash)
        book.add(_by_hash[content_hash])
    return book
