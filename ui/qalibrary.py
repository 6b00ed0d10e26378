"""The QA view's library: the index's search and filters, results as you type, sortable columns."""

from __future__ import annotations

import calendar
import time
from typing import Any

from PySide6.QtCore import QDate, QModelIndex, QSortFilterProxyModel, Qt, QTimer, Signal
from PySide6.QtGui import QStandardItem, QStandardItemModel
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDateEdit,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QSpinBox,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from softphone.recordings.index import Filters, LibraryIndex
from ui.named import named

SEARCH_DELAY_MS = 150  # typing pauses this long before the search runs
ID_ROLE = Qt.ItemDataRole.UserRole
SORT_ROLE = Qt.ItemDataRole.UserRole + 1
ANY_DATE = QDate(2000, 1, 1)  # the date edits' "any" (their minimum, shown as a word)


class Library(QWidget):
    """Search fields over a sortable table of recordings; `chosen(id)` when one is opened."""

    chosen = Signal(str)

    def __init__(self, index: LibraryIndex, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.index = index
        self.rows: dict[str, dict[str, Any]] = {}
        self.text = named(QLineEdit(), "qaSearch")
        self.text.setPlaceholderText(self.tr("Search parties, pause reasons, notes…"))
        self.text.setClearButtonEnabled(True)
        self.agent = named(QLineEdit(), "qaAgent")
        self.remote = named(QLineEdit(), "qaRemote")
        self.direction = self._choice("qaDirection", ("", "inbound", "outbound"))
        self.direction.setItemText(1, self.tr("inbound"))
        self.direction.setItemText(2, self.tr("outbound"))
        self.hold = self._choice("qaHold", (None, True, False))
        self.hold.setItemText(1, self.tr("with hold"))
        self.hold.setItemText(2, self.tr("without hold"))
        self.interrupted = self._choice("qaInterrupted", (None, True, False))
        self.interrupted.setItemText(1, self.tr("interrupted"))
        self.interrupted.setItemText(2, self.tr("not interrupted"))
        self.since, self.until = self._date("qaSince"), self._date("qaUntil")
        self.min_duration = named(QSpinBox(), "qaMinDuration")
        self.min_duration.setRange(0, 24 * 3600)
        self.min_duration.setSuffix(self.tr(" s"))
        self.min_duration.setSpecialValueText(self.tr("any"))
        self.model = QStandardItemModel(0, 9, self)
        self.model.setHorizontalHeaderLabels(
            [
                self.tr("Start (UTC)"),
                self.tr("Direction"),
                self.tr("Agent"),
                self.tr("Remote party"),
                self.tr("Length"),
                self.tr("Holds"),
                self.tr("Pauses"),
                self.tr("Status"),
                self.tr("Audio"),
            ]
        )
        self.sorted = QSortFilterProxyModel(self)
        self.sorted.setSourceModel(self.model)
        self.sorted.setSortRole(SORT_ROLE)
        self.table = named(QTableView(), "qaTable")
        self.table.setModel(self.sorted)
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(0, Qt.SortOrder.DescendingOrder)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.activated.connect(self._activated)
        self.table.selectionModel().currentRowChanged.connect(self._activated)
        self.count = named(QLabel(), "qaCount")
        self._timer = QTimer(self, singleShot=True, interval=SEARCH_DELAY_MS)
        self._timer.timeout.connect(self.search)
        for field in (self.text, self.agent, self.remote):
            field.textChanged.connect(self._timer.start)
        for box in (self.direction, self.hold, self.interrupted):
            box.currentIndexChanged.connect(self._timer.start)
        for date in (self.since, self.until):
            date.dateChanged.connect(self._timer.start)
        self.min_duration.valueChanged.connect(self._timer.start)
        self._lay_out()

    def _choice(self, name: str, values: tuple[object, ...]) -> QComboBox:
        box = named(QComboBox(), name)
        for value in values:
            box.addItem(self.tr("any"), value)
        return box

    def _date(self, name: str) -> QDateEdit:
        edit = named(QDateEdit(), name)
        edit.setCalendarPopup(True)
        edit.setDisplayFormat("yyyy-MM-dd")
        edit.setMinimumDate(ANY_DATE)
        edit.setSpecialValueText(self.tr("any"))
        edit.setDate(ANY_DATE)
        return edit

    def _lay_out(self) -> None:
        dates = QHBoxLayout()
        dates.addWidget(self.since)
        dates.addWidget(QLabel(self.tr("to")))
        dates.addWidget(self.until)
        fields: list[tuple[str, QWidget | QHBoxLayout]] = [
            (self.tr("Agent"), self.agent),
            (self.tr("Remote party"), self.remote),
            (self.tr("Direction"), self.direction),
            (self.tr("Started"), dates),
            (self.tr("Hold"), self.hold),
            (self.tr("Interrupted"), self.interrupted),
            (self.tr("At least"), self.min_duration),
        ]
        grid = QGridLayout()
        for place, (title, field) in enumerate(fields):
            row, column = divmod(place, 4)
            grid.addWidget(QLabel(title), row, 2 * column)
            if isinstance(field, QHBoxLayout):
                grid.addLayout(field, row, 2 * column + 1)
            else:
                grid.addWidget(field, row, 2 * column + 1)
        for column in range(1, 8, 2):
            grid.setColumnStretch(column, 1)
        layout = QVBoxLayout(self)
        layout.addWidget(self.text)
        layout.addLayout(grid)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.count)

    def filters(self) -> Filters:
        """What the fields ask for, as the index's filters."""

        def day(edit: QDateEdit, after: int = 0) -> float | None:
            date = edit.date()
            if date == ANY_DATE:
                return None
            moment = (date.year(), date.month(), date.day() + after, 0, 0, 0)
            return float(calendar.timegm(moment))

        return Filters(
            since=day(self.since),
            until=day(self.until, after=1),  # the whole of the last day
            agent=self.agent.text().strip() or None,
            remote=self.remote.text().strip() or None,
            direction=self.direction.currentData() or None,
            had_hold=self.hold.currentData(),
            interrupted=self.interrupted.currentData(),
            min_duration_s=float(self.min_duration.value()) or None,
            text=self.text.text().strip() or None,
        )

    def refresh(self) -> None:
        """Bring the index up to date with the recordings directory, then search again."""
        self.index.refresh()
        self.search()

    def search(self) -> None:
        """Show what the index finds for the fields."""
        self._timer.stop()
        found = self.index.search(self.filters())
        self.rows = {str(r["id"]): r for r in found}
        self.model.removeRows(0, self.model.rowCount())
        for row in found:
            self.model.appendRow(self._items(row))
        self.table.sortByColumn(
            self.table.horizontalHeader().sortIndicatorSection(),
            self.table.horizontalHeader().sortIndicatorOrder(),
        )
        self.count.setText(self.tr("%n recording(s)", "", len(found)))

    def _items(self, row: dict[str, Any]) -> list[QStandardItem]:
        started = row["started"]
        when = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(started)) if started else "?"
        if row["problem"] is not None:
            status, audio = self.tr("unreadable"), str(row["problem"])
        else:
            status = str(row["status"])
            sealed = str(row["audio"]).endswith(".sealed")
            audio = self.tr("sealed") if sealed else self.tr("plain WAV")
        duration = float(row["duration_s"] or 0.0)
        cells: list[tuple[str, object]] = [
            (when, started or 0.0),
            (str(row["direction"] or ""), str(row["direction"] or "")),
            (str(row["agent"] or ""), str(row["agent"] or "")),
            (str(row["remote"] or ""), str(row["remote"] or "")),
            (f"{duration:.1f} s", duration),
            (str(row["holds"] or 0), int(row["holds"] or 0)),
            (str(row["pauses"] or 0), int(row["pauses"] or 0)),
            (status, status),
            (audio, audio),
        ]
        items = []
        for text, key in cells:
            item = QStandardItem(text)
            item.setData(key, SORT_ROLE)
            item.setData(str(row["id"]), ID_ROLE)
            items.append(item)
        return items

    def shown_ids(self) -> list[str]:
        """The recordings' ids in the order the table shows them."""
        return [str(self.sorted.index(r, 0).data(ID_ROLE)) for r in range(self.sorted.rowCount())]

    def _activated(self, index: QModelIndex) -> None:
        if index.isValid():
            self.chosen.emit(str(index.data(ID_ROLE)))
