"""HTML's tokens as the standard reads them: where each tag, comment and stretch of
raw text begins and ends.

The page scan and the table tree both read through here, so the two never disagree
with each other, nor with a browser, about what is markup: a tag ends at the first
``>`` outside a quoted value, and a value is quoted only where the standard's
states say so (``title=it"s`` is one unquoted value; in ``a"b="c"`` the quotes
belong to the name); comments end as browsers end them (``<!-->`` is a whole one);
the text of ``<script>``, ``<style>``, ``<textarea>``, ``<title>`` and the other
raw-text elements runs to their own end tag (a script's ``<!--<script>`` escapes
included) and is never read as markup.

One regular expression, written so that it has exactly one way to match each
input: it cannot backtrack into a reading the standard would not make.
"""

from __future__ import annotations

import html
import re
import string
from html.entities import html5 as _ENTITIES

_WS = "\t\n\f\r "
_NAME = rf"[^{_WS}/>][^{_WS}/>=]*"
#: A quoted value runs to its closing quote or to the end of the input (where the
#: standard drops the tag); an unquoted one cannot start with a quote; an empty
#: one only before the tag's end.
_VALUE = rf"""(?:"[^"]*(?:"|\Z)|'[^']*(?:'|\Z)|[^{_WS}>"'][^{_WS}>]*|(?=>|\Z))"""
_ATTRIBUTE = rf"(?:{_NAME}(?:[{_WS}]*=[{_WS}]*{_VALUE})?)"
_ATTRIBUTES = rf"(?:[{_WS}/]+|{_ATTRIBUTE})*"

#: Elements whose text the tokenizer reads as text up to their own end tag (in
#: HTML's namespace): ``<noscript>`` too, as browsers with scripting read it.
RAW_TEXT_ELEMENTS = frozenset(
    {
        "script",
        "style",
        "textarea",
        "title",
        "xmp",
        "iframe",
        "noembed",
        "noframes",
        "noscript",
        "plaintext",
    }
)
#: Where SVG and MathML begin: inside them the raw-text elements above are markup.
FOREIGN_ELEMENTS = frozenset({"svg", "math"})

_TAG_NAME = rf"[a-zA-Z][^{_WS}/>]*"
_COMMENT = r"<!--(?:-?>|.*?(?:--!?>|\Z))"  # "<!-->" and "<!--->" end at once
_BOGUS = r"</>|<[!?/][^>]*(?:>|\Z)"  # dropped, or a comment to the first ">"
_TAG_END = rf"{_ATTRIBUTES}(?:>|\Z)"

TOKEN = re.compile(
    rf"""(?P<comment>{_COMMENT})
      | (?P<cdata><!\[CDATA\[)
      | <(?P<start>{_TAG_NAME})(?P<attrs>{_ATTRIBUTES})(?:>|\Z)
      | </(?P<end>{_TAG_NAME}){_TAG_END}
      | (?P<bogus>{_BOGUS})""",
    re.DOTALL | re.VERBOSE,
)
#: The same tokens, with only the ones a page scan acts on captured: the page scan
#: passes over every other tag in C (a match without a group). Names are matched
#: in ASCII only, as the standard lower-cases them.
_WATCHED = "|".join(
    sorted(RAW_TEXT_ELEMENTS | FOREIGN_ELEMENTS | {"table", "template"})
)
_ENDS_WATCHED = "|".join(sorted(FOREIGN_ELEMENTS | {"table", "template"}))
LANDMARK = re.compile(
    rf"""(?P<comment>{_COMMENT})
      | (?P<cdata><!\[CDATA\[)
      | <(?P<start>(?ai:{_WATCHED}))(?=[{_WS}/>]|\Z)(?P<attrs>{_ATTRIBUTES})(?:>|\Z)
      | </(?P<end>(?ai:{_ENDS_WATCHED}))(?=[{_WS}/>]|\Z){_TAG_END}
      | </?{_TAG_NAME}{_TAG_END}
      | {_BOGUS}""",
    re.DOTALL | re.VERBOSE,
)
ATTRIBUTE = re.compile(
    rf"""(?P<name>{_NAME})(?:[{_WS}]*=[{_WS}]*(?P<value>{_VALUE}))?""", re.VERBOSE
)

_RAW_TEXT_END = {
    name: re.compile(rf"</{name}(?=[{_WS}/>])", re.IGNORECASE)
    for name in RAW_TEXT_ELEMENTS
}
_SCRIPT_STATES = re.compile(rf"<!--|-->|<(/?)script(?=[{_WS}/>])", re.IGNORECASE)
_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


def lower(name: str) -> str:
    """A tag or attribute name as the standard lower-cases it: ASCII only."""
    return name.translate(_LOWER)


def raw_text_end(html: str, name: str, position: int) -> int:
    """Where the text of a raw-text element ``name`` that starts at ``position``
    ends: at its end tag, or at the end of the input."""
    if name == "plaintext":
        return len(html)
    if name == "script":
        return _script_end(html, position)
    found = _RAW_TEXT_END[name].search(html, position)
    return found.start() if found else len(html)


def _script_end(html: str, position: int) -> int:
    """A script's text, through the standard's escaped and double-escaped states:
    in ``<!--<script>…</script>…-->`` the inner end tag does not end it."""
    state = "data"  # "escaped" after "<!--", "double" after "<!--<script"
    while found := _SCRIPT_STATES.search(html, position):
        token = found[0]
        position = found.end()
        if token == "<!--":
            if state == "data":
                state = "escaped"
                position -= 2  # its dashes may close it at once: "<!-->"
        elif token == "-->":
            state = "data"
        elif found[1]:  # </script
            if state == "double":
                state = "escaped"
            else:
                return found.start()
        elif state == "escaped":  # <script
            state = "double"
    return len(html)


def attributes(start_tag: str) -> dict[str, str]:
    """A start tag's attributes as a browser reads them: names lower-cased, values
    decoded, the first of a repeated name kept."""
    found = TOKEN.match(start_tag)
    if found is None or found["attrs"] is None:
        return {}
    attrs: dict[str, str] = {}
    for attribute in ATTRIBUTE.finditer(found["attrs"]):
        value = attribute["value"] or ""
        if value[:1] in ('"', "'"):
            value = value[1:-1] if len(value) > 1 and value[-1] == value[0] else ""
        attrs.setdefault(lower(attribute["name"]), unescape_attribute(value))
    return attrs


_CHARACTER_REFERENCE = re.compile(
    r"&(#[0-9]+;?|#[xX][0-9a-fA-F]+;?|[^\t\n\f <&#;]{1,32};?)"
)
_ALPHANUMERIC = frozenset(string.ascii_letters + string.digits)


def unescape_attribute(value: str) -> str:
    """Character references decoded as in an attribute value, where a legacy name
    without its ";" stays as written before "=" or a letter (``?a=1&copy=2``)."""
    if "&" not in value:
        return value
    return _CHARACTER_REFERENCE.sub(_attribute_reference, value)


def _attribute_reference(found: re.Match[str]) -> str:
    reference = found[1]
    if reference[0] == "#" or reference in _ENTITIES:
        return html.unescape(found[0])
    for length in range(len(reference) - 1, 1, -1):
        if reference[:length] in _ENTITIES:
            if reference[length] == "=" or reference[length] in _ALPHANUMERIC:
                return found[0]
            return _ENTITIES[reference[:length]] + reference[length:]
    return found[0]


def escape_text(text: str) -> str:
    """Text written into HTML: no "<", ">" or "&" that could start markup, end a
    comment or a script, or change a character reference."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def escape_attribute(value: str) -> str:
    """A value written between double quotes."""
    return escape_text(value).replace('"', "&quot;")
