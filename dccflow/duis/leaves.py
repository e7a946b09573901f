"""What the DUIS 5.4 schema says about the elements of a request, so that a body is read as typed values.

``dccflow.duis.tree.to_data`` cannot tell ``<sr:DeviceManufacturer></sr:DeviceManufacturer>`` (a blank
string, which ``xs:string`` allows) from ``<sr:DeleteDevice/>`` (an empty complex element): both have no
children and no text. The schema can: an element declared with a complex type of element-only or empty
content is a container; every other element is a leaf and reads as text (``""`` when blank). Elements
declared as ``sr:EUI`` are read in the one form EUI-64s are compared and stored in
(``dccflow.domain.ids.normalise_eui64``).

Names are local names in the sr namespace. A name declared both ways in different places (e.g. ``StartDate``)
is a leaf when it has no children; a name is an EUI only if every declaration of it is ``sr:EUI``.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

from lxml import etree

from dccflow.duis.schema import schema_document

_XS = "{http://www.w3.org/2001/XMLSchema}"


@dataclass(frozen=True)
class ElementKinds:
    #: declared only with element-only or empty complex content: a container even when it has no children
    containers: frozenset[str]
    #: declared only as ``sr:EUI``: an EUI-64 identifier
    eui: frozenset[str]


def _kind(el: etree._Element, simple: set[str], simple_content: set[str]) -> str:
    declared = el.get("type")
    if declared is not None:
        local = declared.split(":")[-1]
        if declared.startswith("xs:") or local in simple or local in simple_content:
            return "EUI" if local == "EUI" else "leaf"
        return "container"
    if el.find(f"{_XS}simpleType") is not None or el.find(f"{_XS}complexType/{_XS}simpleContent") is not None:
        return "leaf"
    return "container" if el.find(f"{_XS}complexType") is not None else "leaf"


@functools.cache
def _kinds(doc: etree._ElementTree) -> ElementKinds:
    root = doc.getroot()
    simple = {t.get("name") for t in root.iter(f"{_XS}simpleType") if t.get("name")}
    simple_content = {t.get("name") for t in root.iter(f"{_XS}complexType")
                      if t.get("name") and t.find(f"{_XS}simpleContent") is not None}
    declared: dict[str, set[str]] = {}
    for el in root.iter(f"{_XS}element"):
        if el.get("name"):
            declared.setdefault(el.get("name"), set()).add(_kind(el, simple, simple_content))
    return ElementKinds(containers=frozenset(n for n, k in declared.items() if k == {"container"}),
                        eui=frozenset(n for n, k in declared.items() if k == {"EUI"}))


def element_kinds() -> ElementKinds:
    """The kinds of the DUIS schema's elements (read once from the schema in use)."""
    return _kinds(schema_document())
