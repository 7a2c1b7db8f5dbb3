"""Which characters text from people and files may hold: one place for every input path and every export.

Control characters have no business in a title, a note or a setting: a NUL typed or pasted into a title used to be
stored, and then broke the XLSX export (XML cannot hold it) and could hide text in a spreadsheet. So input refuses
them with a message that names the field and the character (:class:`BadText`); newline and tab pass only in the
fields that are written as several lines. Bidirectional controls (the right-to-left override of "Trojan source"
tricks) are removed from single-line text such as titles and names, where they only serve to make a title read
differently from what it is. Exports strip whatever still slipped in (a hand-edited Google Sheet) with
:func:`export_clean`, so a file is always written.
"""

from __future__ import annotations

import re

from .i18n import has, t

#: C0 and C1 controls, DEL, lone surrogates and the two XML non-characters. Newline and tab are handled apart.
_REFUSED = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")
_REFUSED_SINGLE_LINE = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")
#: What an export removes: the same, but tab, newline and carriage return stay (a body keeps its lines).
EXPORT_STRIP = "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]"
_EXPORT_STRIP = re.compile(EXPORT_STRIP)
#: ALM, LRM, RLM, LRE, RLE, PDF, LRO, RLO, LRI, RLI, FSI, PDI.
_BIDI = re.compile("[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


class BadText(ValueError):
    """Text refused at input. ``str(exc)`` is English (CLI, logs); :meth:`translated` is for the desk."""

    def __init__(self, field: str, char: str, position: int):
        self.field, self.char, self.position = field, char, position
        super().__init__(f"The {field} contains the control character {self.code} at position {position}; "
                         "remove it and try again.")

    @property
    def code(self) -> str:
        return f"U+{ord(self.char):04X}"

    def translated(self, lang: str) -> str:
        return t("text.control_char", lang, field=field_label(self.field, lang), code=self.code,
                 position=self.position)


def field_label(field: str, lang: str) -> str:
    """The field's name as the desk shows it (``field.<name>``, or an SOP setting's ``about.<name>``), else the
    name itself."""
    key = next((k for k in (f"field.{field}", f"about.{field}") if has(k)), "")
    return t(key, lang) if key else field


def check(value: str, field: str, *, multiline: bool = False) -> str:
    """``value`` as it may be stored, or :class:`BadText`. Multi-line fields keep newline and tab (a Windows
    line end becomes a newline); single-line fields lose their bidirectional controls and refuse both."""
    if multiline:
        value = value.replace("\r\n", "\n")
    else:
        value = _BIDI.sub("", value)
    found = (_REFUSED if multiline else _REFUSED_SINGLE_LINE).search(value)
    if found:
        raise BadText(field, found.group(), found.start() + 1)
    return value


def clean_line(value: str) -> str:
    """One line of text with everything :func:`check` would refuse or remove taken out (for a stored row that
    is reported as a problem but still shown)."""
    return _REFUSED_SINGLE_LINE.sub(lambda m: " " if m.group() in "\t\n\r" else "", _BIDI.sub("", value))


def export_clean(value: str) -> str:
    """What an export writes for one text cell: every refused character removed (tab, newline and CR kept)."""
    return _EXPORT_STRIP.sub("", value)
