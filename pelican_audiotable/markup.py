"""A parsed table written back out as HTML: attributes in the author's order, only
what must be escaped escaped, and the plugin's own markup as it was written."""

from __future__ import annotations

from bs4.element import (
    CData,
    Comment,
    Declaration,
    Doctype,
    NavigableString,
    PageElement,
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
    a quarter of its annotating time here. Written with a stack, not recursion:
    tables nested hundreds deep are HTML too.
    """
    out: list[str] = []
    # Each entry is a node to write, or the end tag to close once its children are.
    pending: list[PageElement | str] = list(reversed(node.contents))
    while pending:
        child = pending.pop()
        if isinstance(child, Tag):
            out.append(_start_tag(child))
            if child.name in VOID_ELEMENTS and not child.contents:
                continue
            if child.name in RAW_TEXT_ELEMENTS:
                out.append("".join(str(c) for c in child.contents))
                out.append(f"</{child.name}>")
                continue
            pending.append(_EndTag(child.name))
            pending.extend(reversed(child.contents))
        elif type(child) is _EndTag:
            out.append(f"</{child}>")
        else:
            out.append(_text_of(child))
    return "".join(out)


class _EndTag(str):
    """An element's name, on the stack: its end tag comes next."""


def _text_of(child: PageElement | str) -> str:
    if type(child) is NavigableString:  # most of what is not a tag
        return escape_text(child)
    if isinstance(child, Comment):
        return f"<!--{child}-->"
    if isinstance(child, Doctype):
        return f"<!DOCTYPE {child}>"
    if isinstance(child, CData):
        return f"<![CDATA[{child}]]>"
    if isinstance(child, ProcessingInstruction):
        return f"<?{child}>"
    if isinstance(child, Declaration):
        return f"<!{child}>"
    if isinstance(child, RawHTML):
        return str(child)
    return escape_text(str(child))


def _start_tag(tag: Tag) -> str:
    parts = ["<" + tag.name]
    for key, value in tag.attrs.items():
        if isinstance(value, list):
            value = " ".join(value)
        parts.append(
            f' {key}="{escape_attribute(value)}"' if value != "" else " " + key
        )
    parts.append(">")
    return "".join(parts)


def escape_text(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def escape_attribute(value: str) -> str:
    return escape_text(value).replace('"', "&quot;")
