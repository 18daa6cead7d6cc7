"""A parsed table written back out as HTML: attributes in the author's order, only
what must be escaped escaped, and the plugin's own markup as it was written."""

from __future__ import annotations

from bs4 import (
    CData,
    Comment,
    Declaration,
    Doctype,
    NavigableString,
    ProcessingInstruction,
    Tag,
)

#: Elements that have no end tag, and those whose text is written as it is.
VOID_ELEMENTS = frozenset(
    {
        "area",
        "base",
        "br",
        "col",
        "embed",
        "hr",
        "img",
        "input",
        "link",
        "meta",
        "param",
        "source",
        "track",
        "wbr",
    }
)
RAW_TEXT_ELEMENTS = frozenset(("script", "style"))


class RawHTML(NavigableString):
    """Markup this plugin wrote itself, its values already escaped: written out as
    it is. Building a caption as text costs a fifth of building it as elements."""


def serialize(node: Tag) -> str:
    """HTML5 as the author wrote it: attributes in their order, only ``& < >`` (and
    ``"`` in attributes) escaped.

    bs4's own ``decode`` does this too, through formatters that sort attributes or
    name entities unless told not to, at three times the cost; a cold build spends
    a quarter of its annotating time here.
    """
    out: list[str] = []
    _write_children(node, out)
    return "".join(out)


def _write_children(node: Tag, out: list[str]) -> None:
    for child in node.contents:
        if isinstance(child, Tag):
            _write_tag(child, out)
        elif type(child) is NavigableString:  # most of what is not a tag
            out.append(escape_text(child))
        elif isinstance(child, Comment):
            out.append(f"<!--{child}-->")
        elif isinstance(child, Doctype):
            out.append(f"<!DOCTYPE {child}>")
        elif isinstance(child, CData):
            out.append(f"<![CDATA[{child}]]>")
        elif isinstance(child, ProcessingInstruction):
            out.append(f"<?{child}>")
        elif isinstance(child, Declaration):
            out.append(f"<!{child}>")
        elif isinstance(child, RawHTML):
            out.append(child)
        else:
            out.append(escape_text(child))


def _write_tag(tag: Tag, out: list[str]) -> None:
    out.append("<" + tag.name)
    for key, value in tag.attrs.items():
        if isinstance(value, list):
            value = " ".join(value)
        out.append(f' {key}="{escape_attribute(value)}"' if value != "" else " " + key)
    out.append(">")
    if tag.name in VOID_ELEMENTS and not tag.contents:
        return
    if tag.name in RAW_TEXT_ELEMENTS:
        out.append("".join(str(child) for child in tag.contents))
    else:
        _write_children(tag, out)
    out.append(f"</{tag.name}>")


def escape_text(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def escape_attribute(value: str) -> str:
    return escape_text(value).replace('"', "&quot;")
