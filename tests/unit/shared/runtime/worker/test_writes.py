"""Deferred writes: what handlers ask for is written as it would have been one statement at a time,
in far fewer statements — one per table and shape — and in an order the rows' meaning needs."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from shared.runtime.worker.writes import Upsert, Writes, write_all

META = sa.MetaData()
# Declared child first: the writer must still insert the parent first.
CHILD = sa.Table(
    "writes_child",
    META,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("parent", sa.Text, sa.ForeignKey("writes_parent.key"), nullable=False),
    sa.Column("note", sa.Text),
    sa.Column("state", sa.Text),
)
PARENT = sa.Table(
    "writes_parent",
    META,
    sa.Column("key", sa.Text, primary_key=True),
    sa.Column("count", sa.Integer, nullable=False, server_default="0"),
)


@pytest.fixture
def tables(db: Connection) -> Iterator[list[str]]:
    """The two tables, in the test's rolled-back transaction, and the statements sent meanwhile."""
    META.create_all(db)
    sent: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        sent.append(statement.split()[0])

    sa.event.listen(db, "before_cursor_execute", record)
    yield sent
    sa.event.remove(db, "before_cursor_execute", record)


def rows(db: Connection, table: sa.Table) -> list[tuple[Any, ...]]:
    return [tuple(r) for r in db.execute(sa.select(table).order_by(*table.primary_key.columns))]


def test_a_batch_of_rows_goes_as_one_insert_per_table_parents_first(
    db: Connection, tables: list[str]
) -> None:
    buffers = []
    for n in range(50):
        w = Writes()
        w.insert(CHILD, {"id": n, "parent": f"p{n}", "note": None, "state": "open"})
        w.insert(PARENT, {"key": f"p{n}"})
        buffers.append(w)
    write_all(db, buffers)
    assert tables == ["INSERT", "INSERT"], "100 rows in two statements, the parent table's first"
    assert len(rows(db, CHILD)) == 50 and len(rows(db, PARENT)) == 50
    assert all(not w.ops for w in buffers), "written buffers are emptied"


def test_updates_of_one_shape_go_together_and_each_row_gets_its_own_values(
    db: Connection, tables: list[str]
) -> None:
    setup = Writes()
    setup.insert(PARENT, {"key": "p"})
    for n in range(3):
        setup.insert(CHILD, {"id": n, "parent": "p", "note": None, "state": "open"})
    setup.flush(db)
    tables.clear()
    w = Writes()
    for n in range(3):
        w.update(CHILD, ("id", n), {"state": f"done-{n}"})
    w.flush(db)
    assert tables == ["UPDATE"]
    assert [r[3] for r in rows(db, CHILD)] == ["done-0", "done-1", "done-2"]


def test_a_row_changed_twice_in_different_shapes_ends_as_asked_last(
    db: Connection, tables: list[str]
) -> None:
    first = Writes()
    first.insert(PARENT, {"key": "p"})
    first.insert(CHILD, {"id": 1, "parent": "p", "note": None, "state": "open"})
    first.update(CHILD, ("id", 1), {"state": "taken", "note": "a"})
    second = Writes()
    second.update(CHILD, ("id", 1), {"note": "b"})
    second.update(CHILD, ("id", 1), {"state": "done", "note": "c"})
    write_all(db, [first, second])
    assert rows(db, CHILD) == [(1, "p", "c", "done")], "the last asked wins, as one at a time would"


def test_upserting_one_key_twice_in_a_batch_applies_both_in_order(db: Connection, tables: list[str]) -> None:
    bump = Upsert(index=("key",), columns=("count",))
    buffers = []
    for count in (1, 2):
        w = Writes()
        w.insert(PARENT, {"key": "p", "count": count}, on_conflict=bump)
        buffers.append(w)
    keep = Writes()
    keep.insert(PARENT, {"key": "p", "count": 99}, on_conflict=Upsert(index=("key",)))
    write_all(db, [*buffers, keep])
    assert rows(db, PARENT) == [("p", 2)], "updated by the second, left alone by 'do nothing'"
