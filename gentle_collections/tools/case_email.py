"""Reading the e-mail that opens a collection case: plain functions, no ORM.

Anyone can write to the case alias, so only the start of a message is read
(as for a reply, see :mod:`.reply_parser`): ``REPLY_HTML_CHARS`` of its HTML,
then ``REPLY_SCAN_CHARS`` of subject and text.
"""

import re

from odoo.tools import html2plaintext

from .reply_parser import REPLY_HTML_CHARS, REPLY_SCAN_CHARS

# An invoice number named in an e-mail: a token of letters, digits and
# / _ . - ending with a digit, at most 42 characters. It only starts where a
# token starts, so that a long run is not rescanned from each of its positions.
INVOICE_NUMBER = re.compile(
    r"(?<![A-Za-z0-9/_.-])[A-Za-z0-9][A-Za-z0-9/_.-]{0,40}[0-9](?![A-Za-z0-9])"
)
# At most this many distinct numbers of an e-mail are looked up.
INVOICE_NUMBERS_READ = 100
# How much of the subject is read at all, and kept as the case's subject.
SUBJECT_READ_CHARS = 1000
SUBJECT_CHARS = 200


def case_email_text(subject, body):
    """``(subject, text)``: the start of the e-mail's ``subject`` and the text
    that is read for invoice numbers (subject, then the start of the HTML
    ``body`` as plain text). The HTML is cut before it is parsed, the text
    before it is scanned."""
    plain = html2plaintext(str(body or "")[:REPLY_HTML_CHARS])
    subject = (subject or "")[:SUBJECT_READ_CHARS]
    return subject, f"{subject}\n{plain}"[:REPLY_SCAN_CHARS]


def invoice_numbers(text):
    """The distinct tokens of ``text`` that may be invoice numbers, in the
    order they appear: at most ``INVOICE_NUMBERS_READ``, read in the first
    ``REPLY_SCAN_CHARS`` characters."""
    tokens = []
    for match in INVOICE_NUMBER.finditer((text or "")[:REPLY_SCAN_CHARS]):
        if match[0] not in tokens:
            tokens.append(match[0])
            if len(tokens) >= INVOICE_NUMBERS_READ:
                break
    return tokens


def case_subject(subject):
    """``subject`` as one line of at most ``SUBJECT_CHARS`` printable
    characters (empty when nothing printable is left)."""
    printable = "".join(c if c.isprintable() else " " for c in subject or "")
    return " ".join(printable.split())[:SUBJECT_CHARS]
