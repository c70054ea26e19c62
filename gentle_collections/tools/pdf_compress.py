"""Making an invoice PDF smaller before it is mailed (pure: bytes in, bytes out).

Mail providers refuse messages of about 20 MB; PDFs whose page content is stored
uncompressed, or that carry the same font or image several times, shrink by
compressing every page's content stream and writing shared objects once. A PDF
that cannot be read, or that does not get smaller, is returned as it was.
"""

import io
import logging

from odoo.tools.pdf import PdfReaderBase, PdfWriter

_logger = logging.getLogger(__name__)


def compress_pdf(data):
    """``data`` (the bytes of a PDF) made smaller, or ``data`` itself when it
    does not get smaller or is not a PDF this can read."""
    try:
        reader = PdfReaderBase(io.BytesIO(data), strict=False)
        writer = PdfWriter()
        for page in reader.pages:
            writer.add_page(page)
        for page in writer.pages:
            page.compress_content_streams()
        if reader.metadata:
            writer.add_metadata(
                {key: str(value) for key, value in reader.metadata.items()}
            )
        out = io.BytesIO()
        writer.write(out)
    except Exception as error:  # noqa: BLE001 - any unreadable PDF stays as it is
        _logger.info("PDF left uncompressed: %s", error)
        return data
    compressed = out.getvalue()
    return compressed if len(compressed) < len(data) else data
