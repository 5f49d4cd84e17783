"""The school feed as Atom 1.0 (RFC 4287), so parents can follow it without a network.

Built with ElementTree so that every string is escaped by the serializer rather
than by hand; entry content is HTML (the text, then each photo with its alt text).
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from xml.etree import ElementTree as ET

ATOM_NS = "http://www.w3.org/2005/Atom"
# Characters XML 1.0 cannot carry at all, even escaped.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")
TITLE_CHARS = 80


@dataclass(frozen=True)
class AtomImage:
    """A photo as the feed page serves it."""

    url: str
    alt: str
    width: int
    height: int


@dataclass(frozen=True)
class AtomEntry:
    """One post; ``url`` is its permanent absolute address and doubles as the Atom id."""

    key: str
    text: str
    published: datetime
    url: str
    images: Sequence[AtomImage] = ()
    updated: datetime | None = None


def atom_feed(school_name: str, school_url: str, entries: Iterable[AtomEntry], *,
              self_url: str | None = None, updated: datetime | None = None) -> str:
    """Render the feed as an Atom 1.0 document (a str starting with the XML declaration)."""
    entries = sorted(entries, key=lambda e: e.published, reverse=True)
    school_url = school_url.rstrip("/")
    self_url = self_url or f"{school_url}/feed.atom"
    stamps = [e.updated or e.published for e in entries]
    newest = updated or max(stamps, default=datetime(2000, 1, 1, tzinfo=UTC))
    # Unqualified tags under a default xmlns: no global ElementTree prefix registry.
    feed = ET.Element("feed", {"xmlns": ATOM_NS})
    _text(feed, "id", self_url)
    _text(feed, "title", school_name)
    _text(feed, "updated", _rfc3339(newest))
    _link(feed, school_url, "alternate", "text/html")
    _link(feed, self_url, "self", "application/atom+xml")
    _text(ET.SubElement(feed, "author"), "name", school_name)
    for entry in entries:
        _entry(feed, entry)
    return ET.tostring(feed, encoding="unicode", xml_declaration=True)


def _entry(feed: ET.Element, entry: AtomEntry) -> None:
    node = ET.SubElement(feed, "entry")
    _text(node, "id", entry.url)
    _text(node, "title", _title(entry.text))
    _text(node, "published", _rfc3339(entry.published))
    _text(node, "updated", _rfc3339(entry.updated or entry.published))
    _link(node, entry.url, "alternate", "text/html")
    _text(node, "content", entry_html(entry)).set("type", "html")


def entry_html(entry: AtomEntry) -> str:
    """The entry as HTML: paragraphs of text, then each photo with its alt text."""
    paragraphs = [p for p in _clean(entry.text).split("\n\n") if p.strip()]
    parts = [f"<p>{html.escape(p).replace(chr(10), '<br>')}</p>" for p in paragraphs]
    parts += [f'<p><img src="{html.escape(i.url)}" alt="{html.escape(_clean(i.alt))}" '
              f'width="{int(i.width)}" height="{int(i.height)}"></p>' for i in entry.images]
    return "\n".join(parts)


def _title(text: str) -> str:
    line = " ".join(_clean(text).split())
    return line if len(line) <= TITLE_CHARS else line[: TITLE_CHARS - 1].rstrip() + "…"


def _text(parent: ET.Element, tag: str, value: str) -> ET.Element:
    node = ET.SubElement(parent, tag)
    node.text = _clean(value)
    return node


def _link(parent: ET.Element, href: str, rel: str, media_type: str) -> None:
    ET.SubElement(parent, "link", {"href": _clean(href), "rel": rel, "type": media_type})


def _clean(value: str) -> str:
    return _NOT_XML.sub("", value)


def _rfc3339(moment: datetime) -> str:
    if moment.tzinfo is None:
        msg = "Atom times need a time zone; pass an aware datetime"
        raise ValueError(msg)
    return moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
