"""GeoReport v2's XML form, written and read with the standard library.

Every response is built once as plain data (what the JSON form returns) and written here as
XML: a list becomes a root element with one child per item, a dict one element per key, a
list inside an item (``attributes``, ``values``, ``formats``) a wrapper with singular children,
``None`` an empty element, booleans ``true``/``false``. ``parse`` reads such a document (ours
or another deployment's) back into the same plain data, so both can be compared."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import Any

# The element name of an item inside each kind of list.
ITEM_NAMES = {
    "services": "service",
    "service_requests": "request",
    "attributes": "attribute",
    "values": "value",
    "errors": "error",
    "endpoints": "endpoint",
    "formats": "format",
}


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _fill(element: ET.Element, value: Any, name: str) -> None:
    if isinstance(value, dict):
        for key, sub in value.items():
            _fill(ET.SubElement(element, key), sub, key)
    elif isinstance(value, list):
        child_name = ITEM_NAMES.get(name, "item")
        for item in value:
            _fill(ET.SubElement(element, child_name), item, child_name)
    else:
        element.text = _text(value)


def dumps(root: str, value: Any) -> bytes:
    """``value`` (a list of items or a dict) as an XML document whose root is ``root``."""
    element = ET.Element(root)
    _fill(element, value, root)
    ET.indent(element)
    body: bytes = ET.tostring(element, encoding="utf-8", xml_declaration=True)
    return body


def _read(element: ET.Element) -> Any:
    children = list(element)
    if not children:
        return (element.text or "").strip()
    names = [child.tag for child in children]
    singular = ITEM_NAMES.get(element.tag)
    if singular is not None and all(n == singular for n in names):
        return [_read(child) for child in children]
    if len(set(names)) == 1 and len(names) > 1:
        return [_read(child) for child in children]
    return {child.tag: _read(child) for child in children}


def parse(document: bytes | str) -> tuple[str, Any]:
    """The root element's name and its content as plain data (all leaves are strings). A
    document carrying an HTTP status line before the declaration (some fixtures do) is read
    from its first ``<``."""
    text = document.decode("utf-8") if isinstance(document, bytes) else document
    text = text[text.index("<") :]
    root = ET.fromstring(text.encode("utf-8"))
    children = list(root)
    item = ITEM_NAMES.get(root.tag)
    if item is not None:
        return root.tag, [_read(child) for child in children if child.tag == item]
    return root.tag, _read(root)
