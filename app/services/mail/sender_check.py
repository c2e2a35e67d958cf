"""Is a reply's From believable? Our own MTA's Authentication-Results header (RFC 8601) decides.

Anyone can write an `Authentication-Results` header into a message, including one naming our MTA.
Our MTA prepends its own above whatever the message carried, so only the topmost header is ours,
and only if it names our authserv-id (MAIL_TRUSTED_AUTHSERV_ID). Inside it the sender counts as
authenticated when DMARC passed for the From domain, or when a DKIM signature passed whose signing
domain (header.d, or the domain of header.i) is aligned with the From domain.

Alignment is "relaxed" by a simple rule: the two domains are equal, or one is a subdomain of the
other. Without the Public Suffix List this is slightly wider than DMARC's "same organisational
domain" (it also aligns `a.example.com` with `b.a.example.com` across a registry boundary such as
`blogspot.com`), which is harmless here: a reply decides only when From is also the exact address
on record, and a signer can only sign for a domain whose DNS it controls.
"""

from __future__ import annotations

from dataclasses import dataclass, field

OFF = "off"


@dataclass
class Verdict:
    """Whether the sender is authenticated, and a short reason an operator can read."""

    authenticated: bool
    reason: str


@dataclass
class ResultInfo:
    method: str
    result: str
    properties: dict[str, str] = field(default_factory=dict)


def _tokens(value: str) -> list[str]:
    """Split a header value into words and ';' separators, dropping (comments) and unquoting "strings"."""
    tokens, word, depth, quoted, escaped = [], [], 0, False, False
    for ch in value:
        if escaped:
            if depth == 0:
                word.append(ch)
            escaped = False
        elif ch == "\\" and (quoted or depth):
            escaped = True
        elif quoted:
            if ch == '"':
                quoted = False
            else:
                word.append(ch)
        elif depth:
            depth += {"(": 1, ")": -1}.get(ch, 0)
        elif ch == "(":
            depth = 1
        elif ch == '"':
            quoted = True
        elif ch == ";" or ch.isspace():
            if word:
                tokens.append("".join(word))
                word = []
            if ch == ";":
                tokens.append(";")
        else:
            word.append(ch)
    if word:
        tokens.append("".join(word))
    return tokens


def parse_header(value: str) -> tuple[str, list[ResultInfo]]:
    """The authserv-id and the method results of one Authentication-Results value."""
    statements: list[list[str]] = [[]]
    for token in _tokens(value):
        if token == ";":
            statements.append([])
        else:
            statements[-1].append(token)
    head = statements[0]
    authserv_id = head[0] if head else ""
    results = []
    for statement in statements[1:]:
        if not statement or "=" not in statement[0]:
            continue  # "none", or something we do not understand: it proves nothing
        method, _, result = statement[0].partition("=")
        info = ResultInfo(method.split("/")[0].strip().lower(), result.strip().lower())
        for word in statement[1:]:
            key, eq, val = word.partition("=")
            if eq and key.lower() not in info.properties:
                info.properties[key.lower()] = val
        results.append(info)
    return authserv_id, results


def _domain(value: str) -> str:
    return value.rpartition("@")[2].strip().strip(".").lower()


def aligned(signer: str, from_domain: str) -> bool:
    """Relaxed alignment, simple rule: equal, or one a subdomain of the other (two labels at least)."""
    signer, from_domain = _domain(signer), _domain(from_domain)
    if not signer or not from_domain or "." not in signer or "." not in from_domain:
        return False
    return (signer == from_domain or from_domain.endswith("." + signer)
            or signer.endswith("." + from_domain))


def verdict(headers: list[str], from_address: str, trusted_authserv_id: str) -> Verdict:
    """Our MTA's verdict on `from_address`, read from the topmost Authentication-Results only."""
    if not headers:
        return Verdict(False, "no Authentication-Results header")
    authserv_id, results = parse_header(headers[0])
    if authserv_id.casefold() != trusted_authserv_id.casefold():
        return Verdict(False, f"topmost Authentication-Results is not from {trusted_authserv_id}")
    from_domain = _domain(from_address)
    for info in results:
        if info.method == "dmarc" and info.result == "pass":
            header_from = info.properties.get("header.from")
            if header_from is None or _domain(header_from) == from_domain:
                return Verdict(True, "dmarc=pass")
    for info in results:
        if info.method == "dkim" and info.result == "pass":
            signer = info.properties.get("header.d") or info.properties.get("header.i") or ""
            if aligned(signer, from_domain):
                return Verdict(True, f"dkim=pass d={_domain(signer)}")
    return Verdict(False, "neither DMARC nor a DKIM signature aligned with the From domain passed")
