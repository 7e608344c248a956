"""Reading a PDF report: the input checks, and the signature boxes its template left.

The half of :mod:`govern.signing.pdf` that both signing and verifying stand on: the file
(:func:`read_pdf`, at most :data:`MAX_PDF`), pyHanko's reader of it (refusing what is not an
unencrypted PDF with :class:`PdfInputError`), the page tree and named destinations, the
signature boxes the anchors ``govern-signature-N`` and ``govern-signature-N-end`` mark
(:func:`find_signature_boxes`), and a certificate as pyHanko takes it.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from govern.errors import GovernError
from govern.fileio import Unreadable, read_regular

if TYPE_CHECKING:
    from pyhanko.pdf_utils import generic
    from pyhanko.pdf_utils.reader import PdfFileReader

__all__ = [
    "ANCHOR_PREFIX",
    "MAX_PDF",
    "PdfInputError",
    "SignatureBox",
    "find_signature_boxes",
    "read_pdf",
]

#: The anchor (named destination) prefix of the signature boxes in the report template.
ANCHOR_PREFIX: Final = "govern-signature-"

#: The largest PDF govern signs or verifies.
MAX_PDF: Final = 512 << 20


class PdfInputError(GovernError):
    """A file to sign or verify is not a PDF govern can sign or read (bad input, exit 2)."""


@dataclass(frozen=True)
class SignatureBox:
    """Where a signature field goes: a page (0-based) and a rectangle in PDF points."""

    page: int
    box: tuple[int, int, int, int]


def read_pdf(path: Path) -> bytes:
    """The bytes of the PDF file at ``path`` (a regular file, at most :data:`MAX_PDF`)."""

    def refuse(problem: Unreadable) -> PdfInputError:
        return PdfInputError(
            f"{path} cannot be read: {problem.reason}.", hint="Give the path of a PDF file."
        )

    data, size = read_regular(path, error=refuse, limit=MAX_PDF + 1)
    if size > MAX_PDF:
        raise PdfInputError(f"{path} is {size} bytes, larger than govern reads as a PDF.")
    return data


@cache
def _indexed_reader_class() -> type[PdfFileReader]:
    """The PDF reader: pyHanko's, finding objects in an object stream through an index built once.

    pyHanko 0.38 reads an object stream's header from its start for every object it looks up
    in it: quadratic in the objects of the stream. WeasyPrint writes all of a report's
    dictionaries (thousands in a tagged PDF) into one object stream, so validating a report
    signed twice (the diff analysis looks up every object of every revision) took 80 s for 23
    pages. Here the header of each stream is read once into ``object number -> offset`` and a
    lookup seeks straight to the object: the same objects, found the same way (the first
    entry with the number; a number the header does not hold, or an index outside it, is the
    null object, as pyHanko's non-strict reader gives). Strict readers keep pyHanko's method.
    """
    from io import BytesIO

    from pyhanko.pdf_utils import generic as generic_module
    from pyhanko.pdf_utils import misc as misc_module
    from pyhanko.pdf_utils.reader import PdfFileReader

    # pyHanko's reading helpers are untyped
    generic: Any = generic_module
    misc: Any = misc_module

    class IndexedReader(PdfFileReader):
        _govern_index: dict[int, tuple[Any, bytes, dict[int, int]]]

        def _get_object_from_stream(self, idnum: int, stmnum: int, idx: int) -> Any:
            parent: Any = super()
            if self.strict:
                return parent._get_object_from_stream(idnum, stmnum, idx)
            stream = generic.Reference(stmnum, 0, self).get_object()
            if not isinstance(stream, generic.StreamObject) or stream.get("/Type") != "/ObjStm":
                return parent._get_object_from_stream(idnum, stmnum, idx)
            cache = self.__dict__.setdefault("_govern_index", {})
            entry = cache.get(id(stream))
            if entry is None or entry[0] is not stream:
                data = stream.read_data(generic.DecodePurpose.OBJECT_STREAM)
                buffer, offsets = BytesIO(data), dict[int, int]()
                try:
                    for _ in range(int(stream["/N"])):
                        misc.read_non_whitespace(buffer, seek_back=True)
                        number = generic.NumberObject.read_from_stream(buffer)
                        misc.read_non_whitespace(buffer, seek_back=True)
                        offset = generic.NumberObject.read_from_stream(buffer)
                        offsets.setdefault(int(number), int(offset))
                except ValueError:
                    pass  # a damaged header: the entries before the damage still count
                entry = (stream, data, offsets)
                cache[id(stream)] = entry
            _, data, offsets = entry
            if not 0 <= idx < int(stream["/N"]) or idnum not in offsets:
                return generic.NullObject()
            buffer = BytesIO(data)
            buffer.seek(int(stream["/First"]) + offsets[idnum])
            try:
                return generic.read_object(buffer, generic.Reference(idnum, 0, self))
            except (misc.PdfStreamError, misc.PdfReadError):
                return generic.NullObject()

    return IndexedReader


def _reader(data: bytes, source: Path | str) -> PdfFileReader:
    from pyhanko.pdf_utils.misc import PdfError

    reader_class = _indexed_reader_class()

    if not data.lstrip()[:5] == b"%PDF-":
        raise PdfInputError(
            f"{source} is not a PDF (it does not start with %PDF-).",
            hint="Give a PDF report, e.g. the one `govern report --format pdf` wrote.",
        )
    try:
        reader = reader_class(io.BytesIO(data), strict=False)
        _ = reader.root
    except (PdfError, ValueError, KeyError, TypeError, IndexError) as exc:
        raise PdfInputError(
            f"{source} cannot be read as a PDF ({exc}).",
            hint="Give an intact PDF file.",
        ) from None
    if reader.encrypted:
        raise PdfInputError(
            f"{source} is encrypted; govern signs and verifies unencrypted PDFs only.",
            hint="Sign the report as govern wrote it.",
        )
    return reader


def _get(node: object, key: str, default: object = None) -> Any:
    """``node[key]`` resolved (pyHanko's ``get`` leaves indirect references unresolved)."""
    from pyhanko.pdf_utils import generic

    if isinstance(node, generic.DictionaryObject) and key in node:
        return node[key]
    return default


def _page_numbers(reader: PdfFileReader) -> dict[int, int]:
    """Object number of each page -> its 0-based index."""
    refs = _page_refs(reader.root.raw_get("/Pages"), 0)
    return {ref.idnum: index for index, ref in enumerate(refs)}


def _page_refs(ref: generic.PdfObject, depth: int) -> list[generic.IndirectObject]:
    """The references of the pages under a page tree node, in order."""
    from pyhanko.pdf_utils import generic

    node = ref.get_object() if isinstance(ref, generic.IndirectObject) else ref  # type: ignore[no-untyped-call]
    if not isinstance(node, generic.DictionaryObject) or depth > 64:
        return []
    if _get(node, "/Type") == "/Page" or "/Kids" not in node:
        return [ref] if isinstance(ref, generic.IndirectObject) else []
    kids = node.raw_get("/Kids")
    kids = kids.get_object() if isinstance(kids, generic.IndirectObject) else kids  # type: ignore[no-untyped-call]
    if not isinstance(kids, generic.ArrayObject):
        return []
    return [page for kid in kids for page in _page_refs(kid, depth + 1)]


def _named_destinations(reader: PdfFileReader) -> dict[str, generic.PdfObject]:
    """The document's named destinations (``/Names /Dests`` tree and the older ``/Dests``)."""
    from pyhanko.pdf_utils import generic

    found: dict[str, generic.PdfObject] = {}
    root = reader.root

    def walk(node: generic.DictionaryObject, depth: int) -> None:
        if depth > 32:  # a malformed, cyclic name tree
            return
        names = _get(node, "/Names")
        if isinstance(names, generic.ArrayObject):
            for i in range(0, len(names) - 1, 2):
                key, value = names[i], names[i + 1]
                if isinstance(value, generic.DictionaryObject):
                    value = _get(value, "/D")
                found[str(key)] = value
        for kid in _get(node, "/Kids", ()):
            kid_node = kid.get_object() if isinstance(kid, generic.IndirectObject) else kid  # type: ignore[no-untyped-call]
            if isinstance(kid_node, generic.DictionaryObject):
                walk(kid_node, depth + 1)

    names_dict = _get(root, "/Names")
    if isinstance(names_dict, generic.DictionaryObject):
        tree = _get(names_dict, "/Dests")
        if isinstance(tree, generic.DictionaryObject):
            walk(tree, 0)
    old = _get(root, "/Dests")
    if isinstance(old, generic.DictionaryObject):
        for key, value in old.items():
            found.setdefault(str(key).lstrip("/"), value)
    return found


def find_signature_boxes(data: bytes, *, source: Path | str = "PDF") -> dict[int, SignatureBox]:
    """The signature boxes the report template left: box number -> page and rectangle.

    Box 0 is the issuer's, 1, 2, ... the sign-off roles' in order. A box whose two anchors
    are missing, on different pages or not ``/XYZ`` destinations is left out.
    """
    reader = _reader(data, source)
    return _boxes(reader)


def _boxes(reader: PdfFileReader) -> dict[int, SignatureBox]:
    from pyhanko.pdf_utils import generic

    pages = _page_numbers(reader)
    destinations = _named_destinations(reader)

    def point(name: str) -> tuple[int, float, float] | None:
        dest = destinations.get(name)
        if not isinstance(dest, generic.ArrayObject) or len(dest) < 4 or dest[1] != "/XYZ":
            return None
        page_ref = dest.raw_get(0)
        if not isinstance(page_ref, generic.IndirectObject) or page_ref.idnum not in pages:
            return None
        try:
            return pages[page_ref.idnum], float(dest[2]), float(dest[3])
        except (TypeError, ValueError):
            return None

    boxes: dict[int, SignatureBox] = {}
    for name in destinations:
        if not name.startswith(ANCHOR_PREFIX) or name.endswith("-end"):
            continue
        number = name.removeprefix(ANCHOR_PREFIX)
        if not number.isdigit():
            continue
        start, end = point(name), point(f"{name}-end")
        if start is None or end is None or start[0] != end[0]:
            continue
        left, right = sorted((start[1], end[1]))
        bottom, top = sorted((start[2], end[2]))
        if right - left < 10 or top - bottom < 10:
            continue
        boxes[int(number)] = SignatureBox(
            page=start[0], box=(round(left), round(bottom), round(right), round(top))
        )
    return boxes


def _der(certificate: x509.Certificate) -> bytes:
    return certificate.public_bytes(serialization.Encoding.DER)


def _asn1_certificate(certificate: x509.Certificate) -> Any:
    from asn1crypto import x509 as asn1_x509  # type: ignore[import-untyped]

    return asn1_x509.Certificate.load(_der(certificate))
