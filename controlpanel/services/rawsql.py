"""Every hand-written statement of the panel: the ingest hot path's, built from the models' metadata.

Each ingest request runs a handful of short statements; the ORM spent about 0.7 ms compiling each
one, more than the statement took on the server (bench/alerts_latency.py with a trace). Table and
column names come from the models, quoted by the connection; values always travel as parameters
adapted by the model fields (``get_db_prep_save`` / ``get_db_prep_value``), and results are turned
back into Python by the fields (``from_db_value``), so SQLite and PostgreSQL get and give what the
ORM would. Each statement has a direct test on both (tests/services/test_rawsql.py). The
statements' texts are built once per database kind (and number of keys).

Generic: ``insert_returning_pks``, ``update_fields``, ``pipeline`` (and ``loaded``).
Specific: ``ingest_token_lookup``, ``alert_state_lock``, ``open_alerts_lock``, ``denial_windows_read``,
``denial_windows_write``.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Collection, Iterable, Iterator, Sequence
from datetime import datetime
from functools import partial
from typing import Any

from django.db import connection
from django.db.models import Model, prefetch_related_objects

from controlpanel.models import Alert, DenialWindow, Gateway, GatewayAlertState, IngestToken


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
    """INSERT ``objs`` (every concrete field but the primary key and generated ones) and set their keys.

    Like ``bulk_create`` (no signals; ``auto_now``/``auto_now_add`` filled in by the fields'
    ``pre_save``, defaults by the model's constructor) without compiling a query through the ORM.
    RETURNING gives the keys in VALUES order, as ``bulk_create`` relies on too (PostgreSQL; SQLite
    >= 3.35).
    """
    fields = [f for f in model._meta.concrete_fields if not f.primary_key and not f.generated]
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


# --- the ingest token (every ingest request starts here) --------------------------------------------


@functools.cache
def _ingest_token_sql(vendor: str) -> str:
    t, g = partial(column, IngestToken), partial(column, Gateway)
    return (
        f"SELECT t.{t('id')}, t.{t('token_hash')}, g.{g('id')}, g.{g('name')}, "  # noqa: S608
        f"(t.{t('last_used_at')} IS NULL OR t.{t('last_used_at')} < %s) "
        f"FROM {table(IngestToken)} t JOIN {table(Gateway)} g ON g.{g('id')} = t.{t('gateway')} "
        f"WHERE t.{t('token_hash')} = %s AND t.{t('revoked_at')} IS NULL AND g.{g('code')} = %s"
    )


def ingest_token_lookup(
    *, token_hash: str, gateway_code: Any, used_before: datetime
) -> tuple[int, str, int, str, bool] | None:
    """Return (token id, token hash, gateway id, gateway name, last used before ``used_before`` or
    never) of the unrevoked token with ``token_hash`` of gateway ``gateway_code`` (a UUID), or None."""
    code_field = Gateway._meta.get_field("code")
    stale = IngestToken._meta.get_field("last_used_at").get_db_prep_value(used_before, connection)
    with connection.cursor() as cursor:
        cursor.execute(
            _ingest_token_sql(connection.vendor),
            [stale, token_hash, code_field.get_db_prep_value(gateway_code, connection)],
        )
        found = cursor.fetchone()
    if found is None:
        return None
    token_id, digest, gateway_id, gateway_name, stale_use = found
    return token_id, digest, gateway_id, gateway_name, bool(stale_use)


# --- the alert rules' state of a gateway -------------------------------------------------------------


@functools.cache
def _alert_state_sql(vendor: str) -> str:
    col = partial(column, GatewayAlertState)
    return (
        f"SELECT {col('evaluator')}, {col('silences_version')} "  # noqa: S608
        f"FROM {table(GatewayAlertState)} WHERE {col('pk')} = %s{for_update()}"
    )


def alert_state_lock(gateway_id: int) -> GatewayAlertState | None:
    """Return gateway ``gateway_id``'s rule state with ``evaluator`` and ``silences_version`` loaded,
    locked until the transaction ends (where the database has row locks); None if it has none."""
    with connection.cursor() as cursor:
        cursor.execute(_alert_state_sql(connection.vendor), [gateway_id])
        found = cursor.fetchone()
    if found is None:
        return None
    raw, version = found
    evaluator = GatewayAlertState._meta.get_field("evaluator").from_db_value(raw, None, connection)
    return loaded(
        GatewayAlertState, {"gateway_id": gateway_id, "evaluator": evaluator, "silences_version": version}
    )


@functools.lru_cache(maxsize=64)
def _open_alerts_sql(vendor: str, keys: int) -> str:
    col = partial(column, Alert)
    pairs = ", ".join(["(%s, %s)"] * keys)
    return "SELECT {} FROM {} WHERE {} = %s AND NOT ({} = %s) AND ({}, {}) IN ({}){}".format(  # noqa: S608
        ", ".join(connection.ops.quote_name(f.column) for f in Alert._meta.concrete_fields),
        table(Alert),
        col("gateway"),
        col("state"),
        col("type"),
        col("subject"),
        pairs,
        for_update(),
    )


def open_alerts_lock(gateway_id: int, keys: Collection[tuple[str, str]]) -> list[Alert]:
    """Return the open (not resolved) alerts of gateway ``gateway_id`` with exactly these (type,
    subject) ``keys``, row-locked until the transaction ends: no other alert of the gateway is
    locked (acknowledging or resolving one waits only for a batch that touches it). Their
    acknowledgers are loaded for the snapshots (one more query, only if one was acknowledged)."""
    if not keys:
        return []
    keys = sorted(keys)
    params: list[Any] = [gateway_id, Alert.State.RESOLVED]
    for type_, subject in keys:
        params += [type_, subject]
    alerts = list(Alert.objects.raw(_open_alerts_sql(connection.vendor, len(keys)), params))
    if any(a.acknowledged_by_id is not None for a in alerts):
        prefetch_related_objects(alerts, "acknowledged_by")
    return alerts


@functools.cache
def _denial_windows_sql(vendor: str) -> tuple[str, str, str]:
    col = partial(column, DenialWindow)
    name = table(DenialWindow)
    select = f"SELECT {col('key')}, {col('entry')} FROM {name} WHERE {col('gateway')} = %s"  # noqa: S608
    upsert = (
        f"INSERT INTO {name} ({col('gateway')}, {col('key')}, {col('entry')}) VALUES (%s, %s, %s) "  # noqa: S608
        f"ON CONFLICT ({col('gateway')}, {col('key')}) DO UPDATE SET {col('entry')} = EXCLUDED.{col('entry')}"
    )
    delete = f"DELETE FROM {name} WHERE {col('gateway')} = %s AND {col('key')} = %s"  # noqa: S608
    return select, upsert, delete


def denial_windows_read(gateway_id: int, names: Iterable[str] | None = None) -> dict[str, Any]:
    """Return gateway ``gateway_id``'s escalation entries by key name: those of ``names``, or all."""
    select, _, _ = _denial_windows_sql(connection.vendor)
    params: list[Any] = [gateway_id]
    if names is not None:
        names = sorted(set(names))
        if not names:
            return {}
        select += f" AND {column(DenialWindow, 'key')} IN ({', '.join(['%s'] * len(names))})"
        params += names
    field = DenialWindow._meta.get_field("entry")
    with connection.cursor() as cursor:
        cursor.execute(select, params)
        return {name: field.from_db_value(raw, None, connection) for name, raw in cursor.fetchall()}


def denial_windows_write(gateway_id: int, changed: dict[str, Any], forgotten: Iterable[str]) -> None:
    """Insert or replace the ``changed`` entries and delete the ``forgotten`` keys of gateway
    ``gateway_id`` (one statement each through ``executemany``; none when there is nothing to do)."""
    _, upsert, delete = _denial_windows_sql(connection.vendor)
    field = DenialWindow._meta.get_field("entry")
    forgotten = sorted(forgotten)
    with connection.cursor() as cursor:
        if changed:
            rows = [
                [gateway_id, name, field.get_db_prep_save(entry, connection)]
                for name, entry in changed.items()
            ]
            cursor.executemany(upsert, rows)
        if forgotten:
            cursor.executemany(delete, [[gateway_id, name] for name in forgotten])
