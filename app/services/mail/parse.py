"""Read an inbound RFC 5322 message strictly enough to trust it, or say why it cannot be trusted.

Parsing uses `email.policy.default`. Text is decoded strictly with the declared charset (Turkish
mail in windows-1254 or ISO-8859-9 is fine); bytes that do not fit their charset, unknown charsets,
8-bit header bytes and broken MIME structure raise `Unreadable`, and the caller quarantines the
message rather than guessing.
"""

from __future__ import annotations

import base64
import hashlib
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email import errors as email_errors
from email import message_from_bytes
from email import policy as email_policy
from email.header import decode_header, make_header
from email.message import EmailMessage
from email.utils import parsedate_to_datetime
from html.parser import HTMLParser

# MIME damage that means we cannot tell the body from the attachments.
_FATAL_DEFECTS = (
    email_errors.NoBoundaryInMultipartDefect,
    email_errors.StartBoundaryNotFoundDefect,
    email_errors.MultipartInvariantViolationDefect,
    email_errors.MissingHeaderBodySeparatorDefect,
    email_errors.InvalidMultipartContentTransferEncodingDefect,
)
_REPLY_MARKERS = re.compile(
    r"^(on .+ wrote:|.+ tarihinde .+ yazdı:|.+ yazdı:|-+ ?(original message|orijinal ileti|özgün ileti) ?-+|"
    r"(from|kimden): .+|-- ?)$",
    re.IGNORECASE,
)
_ENCODED_WORD = re.compile(r"=\?[^?\s]+\?[bBqQ]\?[^?\s]*\?=")
# A Message-ID we may repeat in our own In-Reply-To: one <left@right> token, nothing else.
_MESSAGE_ID = re.compile(r"<[^<>\s\"@]+@[^<>\s\"@]+>")


class Unreadable(Exception):
    """The message cannot be processed as it is; `kind` names why (malformed, undecodable)."""

    def __init__(self, kind: str, detail: str):
        self.kind, self.detail = kind, detail
        super().__init__(f"{kind}: {detail}")


@dataclass
class MailPart:
    filename: str
    content_type: str
    content: bytes

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.content).hexdigest()


@dataclass
class InboundMail:
    from_name: str
    from_address: str
    subject: str
    message_id: str | None  # None when absent or not a well-formed <id@host>
    thread_headers: str  # In-Reply-To and References, for finding a registration number
    text: str
    language: str
    attachments: list[MailPart] = field(default_factory=list)
    # Authentication-Results headers as our MTA added them (RFC 8601), for trusting a reply's sender.
    authentication_results: list[str] = field(default_factory=list)
    sent_at: datetime | None = None  # the Date header, when it can be read

    def content_hash(self) -> str:
        """What the sender said: text and attachments, independent of transfer encoding and headers."""
        digest = hashlib.sha256(self.text.encode("utf-8"))
        for part in self.attachments:
            digest.update(b"\0" + part.filename.encode("utf-8", "replace") + b"\0" + part.sha256.encode())
        return digest.hexdigest()


class _TextOfHtml(HTMLParser):
    """Visible text of an HTML body: script/style dropped, block elements on their own lines."""

    _BLOCKS = {"p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "blockquote", "table", "ul", "ol"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style", "head"):
            self._skip += 1
        elif tag in self._BLOCKS:
            self.parts.append("\n")

    def handle_endtag(self, tag):
        if tag in ("script", "style", "head"):
            self._skip = max(self._skip - 1, 0)
        elif tag in self._BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data):
        if not self._skip:
            self.parts.append(data)


def html_to_text(html: str) -> str:
    parser = _TextOfHtml()
    parser.feed(html)
    parser.close()
    lines = [" ".join(line.split()) for line in "".join(parser.parts).splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def _has_raw_bytes(value: str) -> bool:
    return any("\udc80" <= ch <= "\udcff" for ch in value)


def single_line(value: str) -> str:
    """A header-bound value without control or format characters (CR/LF, NUL, bidi overrides)."""
    kept = "".join(" " if unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp") else ch
                   for ch in value if not "\udc80" <= ch <= "\udcff")
    return " ".join(kept.split())


def _defang_encoded_words(value: str) -> str:
    """Decode each RFC 2047 encoded word ourselves and re-encode it without control characters.

    An encoded word can carry a CR/LF into a display name (`=?UTF-8?B?QWxpDQpCY2M6...?=`): the
    standard parser then refuses the whole From header, and a name that kept it would break every
    later e-mail to the customer. Words we cannot decode are left for the strict checks below.
    """
    def clean(match: re.Match) -> str:
        try:
            decoded = str(make_header(decode_header(match.group(0))))
        except (LookupError, UnicodeError, ValueError, email_errors.HeaderParseError):
            return match.group(0)
        cleaned = single_line(decoded)
        if cleaned == decoded:
            return match.group(0)
        return "=?utf-8?b?" + base64.b64encode(cleaned.encode("utf-8")).decode("ascii") + "?="

    return _ENCODED_WORD.sub(clean, value)


def _raw_values(msg: EmailMessage, name: str) -> list[str]:
    """A header's values as written (unfolded), topmost first, without the header parser's opinions."""
    return [re.sub(r"[\r\n]", "", value).strip() for key, value in msg.raw_items() if key.lower() == name]


def _sender(msg: EmailMessage) -> tuple[str, str]:
    values = _raw_values(msg, "from")
    if len(values) != 1:
        raise Unreadable("malformed", f"{len(values)} From headers (exactly one expected)")
    header = email_policy.default.header_factory("From", _defang_encoded_words(values[0]))
    addresses = getattr(header, "addresses", ())
    if len(addresses) != 1 or not addresses[0].username or not addresses[0].domain:
        raise Unreadable("malformed", "no single valid sender address in From")
    address = addresses[0]
    if _has_raw_bytes(address.display_name or "") or _has_raw_bytes(address.addr_spec):
        raise Unreadable("undecodable", "sender name is not valid text")
    return single_line(address.display_name or ""), single_line(address.addr_spec)


def _message_id(msg: EmailMessage) -> str | None:
    values = _raw_values(msg, "message-id")
    found = _MESSAGE_ID.fullmatch(values[0]) if values else None
    return found.group(0)[:255] if found else None


def _sent_at(msg: EmailMessage) -> datetime | None:
    values = _raw_values(msg, "date")
    try:
        sent = parsedate_to_datetime(values[0]) if values else None
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if sent is None:
        return None
    return sent if sent.tzinfo else sent.replace(tzinfo=UTC)


def _decode(part: EmailMessage) -> str:
    payload = part.get_payload(decode=True) or b""
    charset = part.get_content_charset() or "us-ascii"
    try:
        return payload.decode(charset)
    except LookupError as exc:
        raise Unreadable("undecodable", f"unknown charset {charset!r}") from exc
    except UnicodeDecodeError as exc:
        if charset.lower() in ("us-ascii", "ascii"):
            try:  # undeclared 8-bit text: UTF-8 is the only guess we make
                return payload.decode("utf-8")
            except UnicodeDecodeError:
                pass
        raise Unreadable("undecodable", f"body is not valid {charset}") from exc


def _attachments(msg: EmailMessage) -> list[MailPart]:
    found = []
    for number, part in enumerate(msg.iter_attachments(), start=1):
        if part.is_multipart():
            continue
        content = part.get_payload(decode=True)
        if content is None:
            content = part.as_bytes()
        filename = part.get_filename() or f"ek-{number}"
        if _has_raw_bytes(filename):
            raise Unreadable("undecodable", "attachment name is not valid text")
        filename = single_line(filename) or f"ek-{number}"
        found.append(MailPart(filename=filename, content_type=part.get_content_type(), content=content))
    return found


def parse(raw: bytes) -> InboundMail:
    """The message as we use it, or `Unreadable` (never another exception: the caller quarantines)."""
    try:
        return _parse(raw)
    except Unreadable:
        raise
    except Exception as exc:  # noqa: BLE001 - the parser choked on hostile input: say what, keep the bytes
        raise Unreadable("unparseable", f"{type(exc).__name__}: {exc}") from exc


def _parse(raw: bytes) -> InboundMail:
    msg = message_from_bytes(raw, policy=email_policy.default)
    defects = list(msg.defects) + [d for part in msg.walk() if part is not msg for d in part.defects]
    fatal = [d for d in defects if isinstance(d, _FATAL_DEFECTS)]
    if fatal:
        raise Unreadable("malformed", ", ".join(sorted({type(d).__name__ for d in fatal})))
    for name, value in msg.raw_items():
        if _has_raw_bytes(value):
            raise Unreadable("undecodable", f"header {name} has 8-bit bytes that are not declared")
    from_name, from_address = _sender(msg)

    body = msg.get_body(preferencelist=("plain", "html"))
    text = ""
    if body is not None:
        text = _decode(body)
        if body.get_content_subtype() == "html":
            text = html_to_text(text)
    text = text.replace("\r\n", "\n").replace("\x00", "").strip()
    language = "en" if str(msg.get("Content-Language", "")).lower().startswith("en") else "tr"
    return InboundMail(
        from_name=from_name,
        from_address=from_address,
        subject=single_line(str(msg.get("Subject", ""))),
        message_id=_message_id(msg),
        thread_headers=" ".join(_raw_values(msg, "in-reply-to") + _raw_values(msg, "references")),
        authentication_results=[" ".join(v.split()) for v in _raw_values(msg, "authentication-results")],
        text=text,
        language=language,
        attachments=_attachments(msg),
        sent_at=_sent_at(msg),
    )


def reply_text(text: str) -> str:
    """The customer's new words: everything above the quoted message or signature."""
    kept = []
    for line in text.splitlines():
        if line.startswith(">") or _REPLY_MARKERS.match(line.strip()):
            break
        kept.append(line)
    return "\n".join(kept).strip() or text.strip()


def _fold(value: str) -> str:
    return value.replace("İ", "i").lower().replace("ı", "i")


ACCEPT_WORDS = ("kabul ediyorum", "kabul", "evet", "memnunum", "onaylıyorum", "accept", "accepted", "yes")
REJECT_WORDS = ("kabul etmiyorum", "kabul etmem", "kabul edemiyorum", "kabul edilemez", "memnun değilim",
                "memnun kalmadım", "yeterli bulmuyorum", "yeterli değil", "hayır", "reject", "rejected",
                "not satisfied", "not accepted", "no")


def answer_in(text: str) -> bool | None:
    """True / False when the reply clearly opens with an accept / reject word; None otherwise."""
    start = _fold(text.lstrip())
    for words, verdict in ((REJECT_WORDS, False), (ACCEPT_WORDS, True)):
        for word in words:
            folded = _fold(word)
            if start.startswith(folded) and (len(start) == len(folded) or not start[len(folded)].isalnum()):
                return verdict
    return None
