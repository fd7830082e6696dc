"""Shortening text to fit without cutting a word: drop whole words and end with an ellipsis."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QSize
from PySide6.QtGui import QFontMetrics
from PySide6.QtWidgets import (
    QComboBox,
    QLabel,
    QSizePolicy,
    QStyle,
    QStyleOptionComboBox,
    QStylePainter,
    QWidget,
)

ELLIPSIS = "\u2026"


def elide_words(text: str, metrics: QFontMetrics, width: int) -> str:
    """Return ``text`` if it fits ``width`` px, else its leading whole words followed by "…".

    Parameters
    ----------
    text : str
        The full text (one line).
    metrics : QFontMetrics
        The metrics of the font the text is drawn in.
    width : int
        The room in pixels.

    Returns
    -------
    str
        ``text``; or as many of its first words as fit, then "…"; or "…" alone; or ``""`` when
        not even the ellipsis fits. A word is never cut part-way.
    """
    if metrics.horizontalAdvance(text) <= width:
        return text
    words = text.split()
    while len(words) > 1:
        words.pop()
        candidate = " ".join(words).rstrip(" ,;:-(/") + ELLIPSIS
        if metrics.horizontalAdvance(candidate) <= width:
            return candidate
    return ELLIPSIS if metrics.horizontalAdvance(ELLIPSIS) <= width else ""


class ElidedLabel(QLabel):
    """A one-line label that shortens its text at word boundaries when it is given less room.

    The full text is kept in :attr:`full_text` (and the tooltip); the label asks for room for
    the full text but accepts less.

    Parameters
    ----------
    text : str
        The starting text.
    hide_when_cut : bool
        Show nothing rather than a shortened text (for items such as the wall clock that are
        useless when shortened).
    """

    def __init__(
        self, text: str = "", parent: QWidget | None = None, hide_when_cut: bool = False
    ) -> None:
        super().__init__(parent)
        self.hide_when_cut = hide_when_cut
        self.full_text: str | None = None
        self.shorter: tuple[str, ...] = ()
        self._hint_text_width: int | None = None  # the full text's width the layout last saw
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Preferred)
        self.set_full_text(text)

    def set_full_text(self, text: str, shorter: Sequence[str] = ()) -> None:
        """Show ``text``; if it does not fit, the first of ``shorter`` (other wordings of the
        same thing, shortest last) that fits, else ``text`` shortened at a word boundary."""
        if text == self.full_text and tuple(shorter) == self.shorter:
            return
        self.shorter = tuple(shorter)
        self.full_text = text
        if self.toolTip() != text:
            self.setToolTip(text)
        self._elide()
        # The size hint is the full text's width: only a new width asks the layout again
        # (a clock's digits change every second, their width seldom).
        width = self.fontMetrics().horizontalAdvance(text)
        if width != self._hint_text_width:
            self._hint_text_width = width
            self.updateGeometry()

    @property
    def elided(self) -> bool:
        """Whether the text shown is not the full text (a shorter wording or cut with "…")."""
        return self.text() != (self.full_text or "")

    def _elide(self) -> None:
        self.ensurePolished()
        width = self.contentsRect().width()
        metrics = self.fontMetrics()
        shown = elide_words(self.full_text or "", metrics, width)
        if shown != self.full_text:
            for wording in self.shorter:
                if metrics.horizontalAdvance(wording) <= width:
                    shown = wording
                    break
            else:
                if self.shorter:
                    shown = elide_words(self.shorter[-1], metrics, width)
        if shown != (self.full_text or "") and self.hide_when_cut:
            shown = ""
        if shown != self.text():
            super().setText(shown)

    def sizeHint(self) -> QSize:
        """Room for the full text."""
        self.ensurePolished()
        frame = self.width() - self.contentsRect().width()
        hint = super().sizeHint()
        text_width = self.fontMetrics().horizontalAdvance(self.full_text or "")
        return QSize(text_width + frame + 2, hint.height())

    def minimumSizeHint(self) -> QSize:
        """Any width (the text shortens); the height of one line."""
        return QSize(0, super().minimumSizeHint().height())

    def resizeEvent(self, event) -> None:
        """Shorten or restore the text for the new width."""
        super().resizeEvent(event)
        self._elide()

    def changeEvent(self, event) -> None:
        """A new font (style sheet) changes what fits."""
        super().changeEvent(event)
        if event.type() in (event.Type.FontChange, event.Type.StyleChange):
            self._hint_text_width = None
            self._elide()


class ElidedComboBox(QComboBox):
    """A combo box whose closed face shortens the current item at a word boundary (the list
    shows every item whole)."""

    def _option(self) -> tuple[QStyleOptionComboBox, int]:
        option = QStyleOptionComboBox()
        self.initStyleOption(option)
        field = self.style().subControlRect(
            QStyle.ComplexControl.CC_ComboBox,
            option,
            QStyle.SubControl.SC_ComboBoxEditField,
            self,
        )
        return option, field.width() - 4

    def shown_text(self) -> str:
        """The text drawn on the closed combo box now."""
        option, width = self._option()
        return elide_words(option.currentText, self.fontMetrics(), width)

    def field_width(self) -> int:
        """Pixels the current item's text may take."""
        return self._option()[1]

    def paintEvent(self, event) -> None:
        """Draw the frame and arrow, then the word-shortened current item."""
        painter = QStylePainter(self)
        option, width = self._option()
        painter.drawComplexControl(QStyle.ComplexControl.CC_ComboBox, option)
        option.currentText = elide_words(option.currentText, self.fontMetrics(), width)
        painter.drawControl(QStyle.ControlElement.CE_ComboBoxLabel, option)
