"""The blur badge on a filmstrip thumbnail: the photo's blur score in the colour of its verdict."""

from __future__ import annotations

from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor, QFont, QIcon, QPainter, QPixmap

BLUR_ROLE = Qt.ItemDataRole.UserRole + 1  # (blur_score, verdict) of a scanned photo
THUMB_ROLE = Qt.ItemDataRole.UserRole + 2  # the plain thumbnail (QPixmap) the badge is drawn on
ICON_SIZE = (128, 96)
VERDICT_COLOURS = {"sharp": QColor(46, 139, 87), "slightly blurred": QColor(214, 150, 20), "blurred": QColor(200, 50, 40)}


def photo_icon(pixmap: QPixmap) -> QIcon:
    """A filmstrip icon that shows the photo's own colours when selected too: Qt tinted the selected photo's icon
    with the highlight colour (a dark photo's thumbnail turned blue), and the photo is judged by its colours."""
    icon = QIcon(pixmap)
    icon.addPixmap(pixmap, QIcon.Mode.Selected)
    return icon


def badged_icon(thumbnail: QPixmap | None, score: float, verdict: str) -> QIcon:
    """The thumbnail (or a grey card while it loads) with the score in a coloured corner badge."""
    width, height = ICON_SIZE
    canvas = QPixmap(width, height)
    canvas.fill(Qt.GlobalColor.transparent)
    painter = QPainter(canvas)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    if thumbnail is not None and not thumbnail.isNull():
        scaled = thumbnail.scaled(width, height, Qt.AspectRatioMode.KeepAspectRatio,
                                  Qt.TransformationMode.SmoothTransformation)
        painter.drawPixmap((width - scaled.width()) // 2, (height - scaled.height()) // 2, scaled)
    else:
        painter.fillRect(8, 8, width - 16, height - 16, QColor(128, 128, 128, 90))
    badge = QRectF(width - 40, height - 22, 38, 20)
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(VERDICT_COLOURS.get(verdict, QColor(90, 90, 90)))
    painter.drawRoundedRect(badge, 6, 6)
    font = QFont()
    font.setBold(True)
    font.setPixelSize(13)
    painter.setFont(font)
    painter.setPen(QColor(255, 255, 255))
    painter.drawText(badge, Qt.AlignmentFlag.AlignCenter, f"{score:.0f}")
    painter.end()
    return photo_icon(canvas)
