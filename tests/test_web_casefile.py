"""Internal notes and attachments: staff only, size limit, type allow-list by content, SHA-256, download."""

from __future__ import annotations

import hashlib
import io
from pathlib import Path

import pytest

from app.extensions import db
from app.models import Attachment, ComplaintNote
from app.services.complaints.casefile import sniff

from .helpers import register

pytestmark = pytest.mark.usefixtures("live_version")
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def _upload(client, number, content, name):
    return client.post(f"/complaints/{number}/attachments", data={"files": (io.BytesIO(content), name)},
                       content_type="multipart/form-data", follow_redirects=True)


def test_notes_are_added_by_staff_and_shown_in_the_history(as_user):
    complaint = register("telefon")
    client = as_user("handler")
    response = client.post(f"/complaints/{complaint.registration_number}/notes",
                           data={"body": "Müşteri akşam aranmak istiyor <i>"}, follow_redirects=True)
    page = response.get_data(as_text=True)
    assert "Not eklendi." in page and "Müşteri akşam aranmak istiyor &lt;i&gt;" in page
    assert db.session.query(ComplaintNote).one().author == "uzman"
    assert as_user("analyst").post(f"/complaints/{complaint.registration_number}/notes",
                                   data={"body": "x"}).status_code == 403
    assert as_user("quality_manager").get(f"/complaints/{complaint.registration_number}").status_code == 200


def test_attachment_is_stored_outside_the_web_root_with_its_sha256_and_downloaded(app, as_user):
    complaint = register("faks")
    client = as_user("intake")
    page = _upload(client, complaint.registration_number, PNG, "../../etc/ekran görüntüsü.png").get_data(as_text=True)
    assert "1 dosya eklendi." in page
    row = db.session.query(Attachment).one()
    assert row.sha256 == hashlib.sha256(PNG).hexdigest() and row.size == len(PNG)
    assert row.content_type == "image/png" and row.original_filename == "ekran görüntüsü.png"
    stored = Path(app.config["ATTACHMENT_DIR"]) / row.storage_path
    assert stored.read_bytes() == PNG and "static" not in str(stored)
    download = as_user("handler").get(f"/attachments/{row.id}")
    assert download.status_code == 200 and download.data == PNG
    assert download.headers["Content-Disposition"].startswith("attachment;")
    assert download.headers["Content-Type"] == "image/png"
    assert as_user("analyst").get(f"/attachments/{row.id}").status_code == 403
    assert app.test_client().get(f"/attachments/{row.id}").status_code == 302


def test_type_is_checked_by_content_not_by_name(as_user):
    complaint = register("faks")
    client = as_user("intake")
    page = _upload(client, complaint.registration_number, b"MZ\x90\x00binary\x00", "fatura.pdf").get_data(as_text=True)
    assert "bu dosya türü kabul edilmiyor" in page
    page = _upload(client, complaint.registration_number, b"%PDF-1.7\n...", "scan.exe").get_data(as_text=True)
    assert "1 dosya eklendi." in page
    assert db.session.query(Attachment).one().content_type == "application/pdf"


def test_size_limit(app, as_user):
    app.config["MAX_ATTACHMENT_BYTES"] = 100
    complaint = register("faks")
    page = _upload(as_user("intake"), complaint.registration_number, b"a" * 101, "uzun.txt").get_data(as_text=True)
    assert "en fazla 100 bayt" in page
    assert db.session.query(Attachment).count() == 0


@pytest.mark.parametrize(("content", "expected"), [
    (b"%PDF-1.4", "application/pdf"), (PNG, "image/png"), (b"\xff\xd8\xff\xe0JFIF", "image/jpeg"),
    (b"II*\x00....", "image/tiff"), (b"MM\x00*....", "image/tiff"), (b"GIF89a..", "image/gif"),
    ("Düz metin, ğüşıöç\n".encode(), "text/plain"), (b"PK\x03\x04zip", None), (b"\x00\x01\x02", None),
    (b"<html>\x07</html>", None),
])
def test_sniffing(content, expected):
    assert sniff(content) == expected
