"""Mail, with the standard library's `email` parser: headers (From, To, Date, Subject) kept as the mail's first
block and its heading, the text/plain body (else the HTML body, as the HTML loader reads it), and attachments
that are themselves a supported format. An .mbox is one document whose sections are its mails."""

from __future__ import annotations

import email
import email.policy
from collections.abc import Callable
from email.message import EmailMessage, MIMEPart
from pathlib import PurePath

from scent.ingest.extracted import Extracted, LoadError, TextBuilder, paragraph_blocks

HEADERS = ("From", "To", "Cc", "Date", "Subject")
MAX_ATTACHMENTS = 20
# reads an attachment (bytes, file name) → its text, or None for a type not read (given by scent.ingest.loaders,
# which this module must not import: it registers these loaders)
Attach = Callable[[bytes, str], Extracted | None]


def _add_mail(builder: TextBuilder, message: EmailMessage, attach: Attach | None, depth: int = 0) -> str:
    subject = str(message.get("Subject", "") or "").strip() or "(no subject)"
    heading = (subject,)
    headers = "\n".join(f"{h}: {message[h]}" for h in HEADERS if message.get(h))
    builder.add(headers, heading)
    body = message.get_body(preferencelist=("plain", "html"))
    if body is not None:
        content = _text_of(body)
        if body.get_content_subtype() == "html":
            from scent.ingest.html import load_html

            try:
                page = load_html(content.encode("utf-8"), "mail.html")
                content = page.text
            except LoadError:
                content = ""
        for block in paragraph_blocks(content):
            builder.add(content[block.start:block.end], heading)
    for n, part in enumerate(message.iter_attachments()):
        if n >= MAX_ATTACHMENTS or depth > 1:
            break
        _add_attachment(builder, part, heading, attach, depth)
    return subject


def _text_of(part: MIMEPart) -> str:
    try:
        return str(part.get_content())
    except (LookupError, ValueError, AssertionError):
        payload = part.get_payload(decode=True)
        return payload.decode("utf-8", errors="replace") if isinstance(payload, bytes) else ""


def _add_attachment(builder: TextBuilder, part: MIMEPart, heading: tuple[str, ...], attach: Attach | None,
                    depth: int) -> None:
    filename = part.get_filename() or ""
    if part.get_content_type() == "message/rfc822":
        inner = part.get_payload(0) if part.is_multipart() else None
        if isinstance(inner, EmailMessage):
            _add_mail(builder, inner, attach, depth + 1)
        return
    if attach is None or not filename or filename.lower().endswith((".eml", ".mbox", ".jsonl")):
        return
    payload = part.get_payload(decode=True)
    if not isinstance(payload, bytes):
        return
    attached = attach(payload, filename)
    if attached is None:
        return
    for block in attached.blocks:
        builder.add(attached.text[block.start:block.end], (*heading, f"attachment: {filename}", *block.headings),
                    page=block.page)


def _parse(data: bytes) -> EmailMessage:
    message = email.message_from_bytes(data, policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    return message


def load_eml(data: bytes, name: str, attach: Attach | None = None) -> Extracted:
    if not data.strip():
        raise LoadError("empty", "the file holds no mail")
    builder = TextBuilder()
    subject = _add_mail(builder, _parse(data), attach)
    if not builder.blocks:
        raise LoadError("empty", "the mail holds no text")
    return Extracted(builder.text(), subject, builder.blocks)


def load_mbox(data: bytes, name: str, attach: Attach | None = None) -> Extracted:
    """Every mail of the mailbox in order (split at its `From ` lines), each under its own subject."""
    builder = TextBuilder()
    mails = [m for m in _split_mbox(data) if m.strip()]
    for raw in mails:
        _add_mail(builder, _parse(raw), attach)
    if not builder.blocks:
        raise LoadError("empty", "the mailbox holds no mail")
    return Extracted(builder.text(), PurePath(name).stem, builder.blocks)


def _split_mbox(data: bytes) -> list[bytes]:
    out: list[bytes] = []
    current: list[bytes] = []
    for line in data.splitlines(keepends=True):
        if line.startswith(b"From ") and (current or not out):
            if current:
                out.append(b"".join(current))
            current = []
            continue
        current.append(line[1:] if line.startswith(b">From ") else line)
    if current:
        out.append(b"".join(current))
    return out
