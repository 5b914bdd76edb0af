"""Hand-written statements for the ingest hot path, built from the models' own metadata.

Each ingest request runs a handful of short statements; the ORM spent about 0.7 ms compiling each
one, more than the statement took on the server (bench/alerts_latency.py with a trace). These
helpers give table and column names quoted by the connection, and values always travel as
parameters adapted by the model fields (``get_db_prep_save``), so SQLite and PostgreSQL get what
the ORM would send.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from typing import Any

from django.db import connection
from django.db.models import Model


def table(model: type[Model]) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def column(model: type[Model], name: str) -> str:
    """The quoted column of field ``name`` (a field name, an attname such as ``gateway_id``, or pk)."""
    field = model._meta.pk if name == "pk" else model._meta.get_field(name)
    return connection.ops.quote_name(field.column)


def for_update() -> str:
    """`` FOR UPDATE`` where the database has row locks (SQLite serialises writers instead)."""
    return " FOR UPDATE" if connection.features.has_select_for_update else ""


def loaded(model: type[Model], values: dict[str, Any]) -> Any:
    """Return a ``model`` instance as the ORM loads one with ``only(*values)`` (keys are attnames,
    values already Python values); the other fields load on first access."""
    names = [f.attname for f in model._meta.concrete_fields if f.attname in values]
    return model.from_db(connection.alias, names, [values[name] for name in names])


def insert_returning_pks(model: type[Model], objs: Sequence[Model], chunk: int = 500) -> None:
    """INSERT ``objs`` (every concrete field but the primary key) and set their primary keys.

    Like ``bulk_create`` (no signals; ``auto_now``/``auto_now_add`` filled in by the fields'
    ``pre_save``, defaults by the model's constructor) without compiling a query through the ORM.
    RETURNING gives the keys in VALUES order, as ``bulk_create`` relies on too (PostgreSQL; SQLite
    >= 3.35).
    """
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    head = "INSERT INTO {} ({}) VALUES ".format(  # noqa: S608 (quoted names from the model)
        table(model), ", ".join(connection.ops.quote_name(f.column) for f in fields)
    )
    row = "(" + ", ".join(["%s"] * len(fields)) + ")"
    with connection.cursor() as cursor:
        for start in range(0, len(objs), chunk):
            part = objs[start : start + chunk]
            params = [f.get_db_prep_save(f.pre_save(obj, True), connection) for obj in part for f in fields]
            cursor.execute(head + ", ".join([row] * len(part)) + f" RETURNING {column(model, 'pk')}", params)
            for obj, (pk,) in zip(part, cursor.fetchall(), strict=True):
                obj.pk = pk
                obj._state.adding, obj._state.db = False, connection.alias


def update_fields(model: type[Model], objs: Sequence[Model], names: Sequence[str]) -> None:
    """UPDATE the fields ``names`` of ``objs`` by primary key: one parameterised statement through
    ``executemany``, which psycopg sends as a pipeline (one round trip for all of them)."""
    fields = [model._meta.get_field(name) for name in names]
    sql = "UPDATE {} SET {} WHERE {} = %s".format(  # noqa: S608 (quoted names from the model)
        table(model),
        ", ".join(f"{connection.ops.quote_name(f.column)} = %s" for f in fields),
        column(model, "pk"),
    )
    rows = [
        [f.get_db_prep_save(getattr(obj, f.attname), connection) for f in fields] + [obj.pk] for obj in objs
    ]
    with connection.cursor() as cursor:
        cursor.executemany(sql, rows)


@contextlib.contextmanager
def pipeline() -> Iterator[None]:
    """Send the statements inside as one pipeline on PostgreSQL (one round trip until a result is
    read); a no-op elsewhere. Errors surface at the latest when the block ends."""
    if connection.vendor == "postgresql":
        connection.ensure_connection()
        with connection.connection.pipeline():
            yield
    else:
        yield
