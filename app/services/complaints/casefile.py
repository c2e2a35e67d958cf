"""Internal notes, attachments and the e-mails filed on a complaint (staff only).

Attachments are checked by their content (magic bytes), never by the name or the browser's claimed
type, and stored under ATTACHMENT_DIR (outside the web root) by complaint and SHA-256.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path, PurePath
from typing import BinaryIO

import sqlalchemy as sa
from flask import current_app

from app.extensions import db
from app.i18n import gettext
from app.models import Attachment, Complaint, ComplaintNote, MailMessage
from app.services import audit, context
from app.services.errors import NotFound, ValidationFailed
from app.services.text_rules import multi_line_problem, normalise_newlines

_SIGNATURES = (
    (b"%PDF-", "application/pdf"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"II*\x00", "image/tiff"),
    (b"MM\x00*", "image/tiff"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
)
ALLOWED_TYPES = ("application/pdf", "image/png", "image/jpeg", "image/tiff", "image/gif", "text/plain")
_TEXT_CONTROLS = set(range(32)) - {9, 10, 12, 13}
MAX_NOTE_LENGTH = 10000


@dataclass(frozen=True)
class Upload:
    """A checked file, held in memory until the complaint it belongs to exists."""

    filename: str
    content_type: str
    content: bytes
    sha256: str


def sniff(content: bytes) -> str | None:
    """The content type by magic bytes; UTF-8 text without control characters is text/plain."""
    for signature, content_type in _SIGNATURES:
        if content.startswith(signature):
            return content_type
    try:
        text = content.decode("utf-8")
    except UnicodeDecodeError:
        return None
    if text and not any(ord(ch) in _TEXT_CONTROLS for ch in text[:65536]):
        return "text/plain"
    return None


def _safe_name(filename: str | None) -> str:
    name = PurePath((filename or "").replace("\\", "/")).name.strip()
    name = "".join(ch for ch in name if ch.isprintable() and ch not in '"<>')
    return name[:255] or "ek"


def check_upload(filename: str | None, stream: BinaryIO) -> Upload:
    """Read and check one uploaded file; raises ValidationFailed (field "attachments")."""
    limit = current_app.config["MAX_ATTACHMENT_BYTES"]
    content = stream.read(limit + 1)
    name = _safe_name(filename)
    if not content:
        raise ValidationFailed({"attachments": gettext("%(name)s: dosya boş.", name=name)})
    if len(content) > limit:
        if limit >= 1024 * 1024:
            too_big = gettext("%(name)s: dosya en fazla %(n)d MB olabilir.", name=name, n=limit // (1024 * 1024))
        else:
            too_big = gettext("%(name)s: dosya en fazla %(n)d bayt olabilir.", name=name, n=limit)
        raise ValidationFailed({"attachments": too_big})
    content_type = sniff(content)
    if content_type not in ALLOWED_TYPES:
        raise ValidationFailed({"attachments": gettext(
            "%(name)s: bu dosya türü kabul edilmiyor (PDF, PNG, JPEG, TIFF, GIF veya düz metin).", name=name)})
    return Upload(name, content_type, content, hashlib.sha256(content).hexdigest())


def _root() -> Path:
    return Path(current_app.config["ATTACHMENT_DIR"]).resolve()


def _write(relative: str, content: bytes) -> None:
    target = _root() / relative
    target.parent.mkdir(parents=True, exist_ok=True)
    if target.exists():
        return
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".upload-")
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(content)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, target)
    except OSError:
        Path(tmp).unlink(missing_ok=True)  # no half-written file is left behind (disk full, I/O error)
        raise


def _refuse_if_anonymised(complaint_id: int) -> None:
    """KVKK: personal data erased from a complaint must not come back through a note or a file."""
    if db.session.scalar(sa.select(Complaint.anonymised_at).where(Complaint.id == complaint_id)) is not None:
        raise ValidationFailed({"": gettext("Bu şikâyetin kişisel verileri silindi (KVKK); not veya dosya eklenemez.")})


def add_attachments(complaint_id: int, uploads: list[Upload], *, actor: str,
                    at: datetime | None = None) -> list[Attachment]:
    """Write checked files and add their rows to the caller's transaction (no commit).

    A file already kept with the complaint (same SHA-256) is not stored twice. If a write fails, the
    files written by this call are removed and ValidationFailed is raised: the caller rolls back.
    """
    at = context.utc(at)
    _refuse_if_anonymised(complaint_id)
    stored, written = [], []
    for upload in uploads:
        existing = db.session.scalar(sa.select(Attachment).where(
            Attachment.complaint_id == complaint_id, Attachment.sha256 == upload.sha256))
        if existing is not None:
            stored.append(existing)
            continue
        relative = f"{complaint_id}/{upload.sha256}"
        try:
            if not (_root() / relative).exists():
                _write(relative, upload.content)
                written.append(relative)
        except OSError as exc:
            for path in written:
                (_root() / path).unlink(missing_ok=True)
            raise ValidationFailed({"attachments": gettext(
                "%(name)s: dosya kaydedilemedi (disk dolu veya yazılamıyor); hiçbir dosya eklenmedi.",
                name=upload.filename)}) from exc
        row = Attachment(complaint_id=complaint_id, original_filename=upload.filename,
                         content_type=upload.content_type, size=len(upload.content), sha256=upload.sha256,
                         storage_path=relative, uploaded_by=actor, created_at=at)
        db.session.add(row)
        db.session.flush()
        audit.record(complaint_id, "attachment_added", actor=actor, at=at,
                     data={"attachment_id": row.id, "filename": upload.filename, "sha256": upload.sha256})
        stored.append(row)
    return stored


def store_attachments(complaint_id: int, uploads: list[Upload], *, actor: str,
                      at: datetime | None = None) -> list[Attachment]:
    """Keep checked files with an existing complaint, in one transaction of their own."""
    try:
        stored = add_attachments(complaint_id, uploads, actor=actor, at=at)
    except Exception:
        db.session.rollback()
        raise
    db.session.commit()
    return stored


def attachments_of(complaint_id: int) -> list[Attachment]:
    return list(db.session.scalars(
        sa.select(Attachment).where(Attachment.complaint_id == complaint_id).order_by(Attachment.id)))


def mail_messages_of(complaint_id: int) -> list[MailMessage]:
    """Every e-mail filed on the complaint, oldest first, with its sender check."""
    return list(db.session.scalars(
        sa.select(MailMessage).where(MailMessage.complaint_id == complaint_id).order_by(MailMessage.id)))


def get_attachment(attachment_id: int) -> tuple[Attachment, Path]:
    """The row and the file on disk; the path is checked to stay inside ATTACHMENT_DIR."""
    row = db.session.get(Attachment, attachment_id)
    if row is None:
        raise NotFound(f"no attachment {attachment_id}")
    root = _root()
    path = (root / row.storage_path).resolve()
    if root not in path.parents or not path.is_file():
        raise NotFound(f"attachment {attachment_id} has no file")
    return row, path


def add_note(complaint_id: int, body: str, *, actor: str, at: datetime | None = None) -> ComplaintNote:
    at = context.utc(at)
    body = normalise_newlines((body or "").strip())
    if not body:
        raise ValidationFailed({"body": gettext("Not boş olamaz.")})
    if len(body) > MAX_NOTE_LENGTH:
        raise ValidationFailed({"body": gettext("En fazla %(n)d karakter girilebilir.", n=MAX_NOTE_LENGTH)})
    if multi_line_problem(body):
        raise ValidationFailed({"body": multi_line_problem(body)})
    _refuse_if_anonymised(complaint_id)
    note = ComplaintNote(complaint_id=complaint_id, author=actor, body=body, created_at=at)
    db.session.add(note)
    db.session.flush()
    audit.record(complaint_id, "note_added", actor=actor, at=at, data={"note_id": note.id})
    db.session.commit()
    return note


def notes_of(complaint_id: int) -> list[ComplaintNote]:
    return list(db.session.scalars(
        sa.select(ComplaintNote).where(ComplaintNote.complaint_id == complaint_id).order_by(ComplaintNote.id)))
