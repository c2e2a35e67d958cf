"""Read an inbound RFC 5322 message strictly enough to trust it, or say why it cannot be trusted.

Parsing uses `email.policy.default`. Text is decoded strictly with the declared charset (Turkish
mail in windows-1254 or ISO-8859-9 is fine); bytes that do not fit their charset, unknown charsets,
8-bit header bytes and broken MIME structure raise `Unreadable`, and the caller quarantines the
message rather than guessing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from email import errors as email_errors
from email import message_from_bytes
from email import policy as email_policy
from email.message import EmailMessage
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


@dataclass
class InboundMail:
    from_name: str
    from_address: str
    subject: str
    message_id: str | None
    thread_headers: str  # In-Reply-To and References, for finding a registration number
    text: str
    language: str
    attachments: list[MailPart] = field(default_factory=list)
    # Authentication-Results headers as our MTA added them (RFC 8601), for trusting a reply's sender.
    authentication_results: list[str] = field(default_factory=list)


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
        found.append(MailPart(filename=filename, content_type=part.get_content_type(), content=content))
    return found


def parse(raw: bytes) -> InboundMail:
    msg = message_from_bytes(raw, policy=email_policy.default)
    defects = list(msg.defects) + [d for part in msg.walk() if part is not msg for d in part.defects]
    fatal = [d for d in defects if isinstance(d, _FATAL_DEFECTS)]
    if fatal:
        raise Unreadable("malformed", ", ".join(sorted({type(d).__name__ for d in fatal})))
    for name, value in msg.raw_items():
        if _has_raw_bytes(value):
            raise Unreadable("undecodable", f"header {name} has 8-bit bytes that are not declared")
    sender = msg["From"]
    addresses = getattr(sender, "addresses", ()) if sender is not None else ()
    if len(addresses) != 1 or not addresses[0].username or not addresses[0].domain:
        raise Unreadable("malformed", "no single valid sender address in From")
    address = addresses[0]

    body = msg.get_body(preferencelist=("plain", "html"))
    text = ""
    if body is not None:
        text = _decode(body)
        if body.get_content_subtype() == "html":
            text = html_to_text(text)
    text = text.replace("\r\n", "\n").strip()
    language = "en" if str(msg.get("Content-Language", "")).lower().startswith("en") else "tr"
    return InboundMail(
        from_name=str(address.display_name or "").strip(),
        from_address=address.addr_spec,
        subject=" ".join(str(msg.get("Subject", "")).split()),
        message_id=str(msg["Message-ID"]).strip() if msg["Message-ID"] else None,
        thread_headers=" ".join(str(msg.get(h, "")) for h in ("In-Reply-To", "References")),
        authentication_results=[" ".join(str(v).split()) for v in msg.get_all("Authentication-Results", [])],
        text=text,
        language=language,
        attachments=_attachments(msg),
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
