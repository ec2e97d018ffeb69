"""Writes a batch defers to its end, so they reach PostgreSQL as one statement per table and shape.

Handlers add rows (`insert`) and changes to rows (`update`) here instead of executing them one at a
time; the batch writes them all before its outbox rows, in the same transaction (the careful pass
writes each message's own inside its savepoint, so a row that fails still fails alone). A batch of
100 inquiries then costs a handful of round trips for its control-card rows, not hundreds.

The rule that makes it safe: a handler reads the database as it was before the batch, so it must
not read what its own batch wrote. The pipeline's messages keep that rule by themselves: a message
is caused by outputs published after the commit of the batch that wrote the rows it reads.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.engine import Connection


@dataclass(frozen=True)
class Upsert:
    """ON CONFLICT (`index`): update `columns` from the new row; do nothing when there are none."""

    index: tuple[str, ...]
    columns: tuple[str, ...] = ()


@dataclass(frozen=True)
class _Insert:
    table: sa.Table
    row: dict[str, Any]
    on_conflict: Upsert | None


@dataclass(frozen=True)
class _Update:
    table: sa.Table
    where: tuple[str, Any]  # (column, value) naming the row
    values: dict[str, Any]


@dataclass
class Writes:
    """One message's (or one tick's) deferred writes, in the order they were asked for."""

    ops: list[_Insert | _Update] = field(default_factory=list)

    def insert(self, table: sa.Table, row: Mapping[str, Any], *, on_conflict: Upsert | None = None) -> None:
        self.ops.append(_Insert(table, dict(row), on_conflict))

    def update(self, table: sa.Table, where: tuple[str, Any], values: Mapping[str, Any]) -> None:
        """Set `values` on the row whose column `where[0]` equals `where[1]`."""
        self.ops.append(_Update(table, where, dict(values)))

    def flush(self, db: Connection) -> None:
        write_all(db, [self])


def write_all(db: Connection, buffers: Iterable[Writes]) -> None:
    """Write every buffer's operations, emptying them: inserts by table (parents first), then
    updates, one executemany per table and shape. Where one row is changed twice in different
    shapes, or upserted twice, the order matters: what follows goes in a later round."""
    round_ = _Round()
    for buffer in buffers:
        for op in buffer.ops:
            if not round_.add(op):
                round_.write(db)
                round_ = _Round()
                round_.add(op)
        buffer.ops.clear()
    round_.write(db)


@dataclass
class _Round:
    inserts: dict[tuple[Any, ...], list[dict[str, Any]]] = field(default_factory=dict)
    updates: dict[tuple[Any, ...], list[dict[str, Any]]] = field(default_factory=dict)
    shapes: dict[tuple[str, str, Any], tuple[str, ...]] = field(default_factory=dict)  # row -> shape
    upserted: set[tuple[str, tuple[Any, ...]]] = field(default_factory=set)

    def add(self, op: _Insert | _Update) -> bool:
        """Take `op` into this round; False when it must wait for the next one."""
        if isinstance(op, _Insert):
            if op.on_conflict is not None:
                row_key = (op.table.name, tuple(op.row[c] for c in op.on_conflict.index))
                if row_key in self.upserted:
                    return False
                self.upserted.add(row_key)
            group = (op.table, tuple(op.row), op.on_conflict)
            self.inserts.setdefault(group, []).append(op.row)
            return True
        shape = tuple(op.values)
        row = (op.table.name, op.where[0], op.where[1])
        if self.shapes.setdefault(row, shape) != shape:
            return False
        params = {"w_key": op.where[1]} | {f"v_{k}": v for k, v in op.values.items()}
        self.updates.setdefault((op.table, op.where[0], shape), []).append(params)
        return True

    def write(self, db: Connection) -> None:
        for (table, _columns, on_conflict), rows in sorted(
            self.inserts.items(), key=lambda item: _parents_first(item[0][0])
        ):
            db.execute(_insert_statement(table, on_conflict), rows)
        for (table, where, shape), params in self.updates.items():
            statement = (
                sa.update(table)
                .where(table.c[where] == sa.bindparam("w_key"))
                .values({c: sa.bindparam(f"v_{c}") for c in shape})
            )
            db.execute(statement, params)


@functools.cache
def _parents_first(table: sa.Table) -> int:
    """A table's place in its metadata's dependency order (inquiries before handovers)."""
    return table.metadata.sorted_tables.index(table)


def _insert_statement(table: sa.Table, on_conflict: Upsert | None) -> Any:
    if on_conflict is None:
        return sa.insert(table)
    statement = pg_insert(table)
    if not on_conflict.columns:
        return statement.on_conflict_do_nothing(index_elements=list(on_conflict.index))
    return statement.on_conflict_do_update(
        index_elements=list(on_conflict.index),
        set_={c: statement.excluded[c] for c in on_conflict.columns},
    )
