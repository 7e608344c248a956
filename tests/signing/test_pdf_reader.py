"""The indexed object-stream reader finds exactly what pyHanko's own reader finds."""

from __future__ import annotations

import datetime as dt
import io

from govern.report.pdf import render_pdf
from govern.signing.pdf_read import _indexed_reader_class, _reader

HTML = "<html lang='en'><title>t</title>" + "".join(
    f"<h2>Part {i}</h2><p>Paragraph {i} with <em>tagged</em> text.</p><ul><li>a</li><li>b</li></ul>"
    for i in range(40)
)


def test_every_object_in_an_object_stream_is_the_same_as_pyhankos() -> None:
    from pyhanko.pdf_utils import generic
    from pyhanko.pdf_utils.reader import PdfFileReader

    data = render_pdf(HTML, created=dt.datetime(2026, 12, 3, tzinfo=dt.UTC))
    ours = _reader(data, "t.pdf")
    assert isinstance(ours, _indexed_reader_class())
    theirs = PdfFileReader(io.BytesIO(data), strict=False)
    numbers = sorted(ref.idnum for ref in ours.xrefs.explicit_refs_in_revision(0))
    compared = 0
    for number in numbers:
        reference = generic.Reference(number, 0, ours)
        mine = ours.get_object(reference)
        reference_theirs = generic.Reference(number, 0, theirs)
        expected = theirs.get_object(reference_theirs)
        out_mine, out_theirs = io.BytesIO(), io.BytesIO()
        mine.write_to_stream(out_mine)
        expected.write_to_stream(out_theirs)
        assert out_mine.getvalue() == out_theirs.getvalue(), number
        compared += 1
    assert compared > 200  # a tagged PDF: hundreds of dictionaries, most in one object stream
    [(stream, _, offsets)] = ours._govern_index.values()  # one stream, its header read once
    assert len(offsets) > 200
    # a number the stream does not hold is the null object, as pyHanko's non-strict reader gives
    number = stream.container_ref.idnum
    assert isinstance(ours._get_object_from_stream(10**6, number, 0), generic.NullObject)
