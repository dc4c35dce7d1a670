"""Reading submitted jobs and pushes back from the database, with their reference data resolved."""

from __future__ import annotations

from sqlalchemy import func, select

from treeherder.db import tables as t
from treeherder.db.engine import Database


def job_count(database: Database) -> int:
    with database.read() as conn:
        return conn.execute(select(func.count()).select_from(t.job)).scalar_one()


def push_count(database: Database) -> int:
    with database.read() as conn:
        return conn.execute(select(func.count()).select_from(t.push)).scalar_one()


def stored_job(database: Database, guid: str) -> dict | None:
    """Every submitted field of one job, as stored (None if there is no such job)."""
    j, bp, mp = t.job, t.build_platform.alias("bp"), t.machine_platform.alias("mp")
    query = (
        select(
            j.c.id, j.c.guid, j.c.state, j.c.result, j.c.tier, j.c.who, j.c.reason,
            j.c.submit_timestamp, j.c.start_timestamp, j.c.end_timestamp,
            t.push.c.revision.label("push_revision"), t.repository.c.name.label("repository"),
            t.job_type.c.name.label("job_type_name"), t.job_type.c.symbol.label("job_type_symbol"),
            t.job_group.c.name.label("job_group_name"), t.job_group.c.symbol.label("job_group_symbol"),
            t.machine.c.name.label("machine"), t.product.c.name.label("product"),
            t.option_collection.c.option_collection_hash, t.option_collection.c.options,
            t.reference_data_signature.c.name.label("reference_data_name"),
            t.reference_data_signature.c.build_system_type,
            bp.c.os_name.label("build_os"), bp.c.platform.label("build_platform"),
            bp.c.architecture.label("build_architecture"),
            mp.c.os_name.label("machine_os"), mp.c.platform.label("machine_platform"),
            mp.c.architecture.label("machine_architecture"),
        )
        .join(t.push, t.push.c.id == j.c.push_id)
        .join(t.repository, t.repository.c.id == j.c.repository_id)
        .join(t.job_type, t.job_type.c.id == j.c.job_type_id)
        .join(t.job_group, t.job_group.c.id == j.c.job_group_id)
        .join(t.machine, t.machine.c.id == j.c.machine_id)
        .join(t.product, t.product.c.id == j.c.product_id)
        .join(t.option_collection, t.option_collection.c.id == j.c.option_collection_id)
        .join(t.reference_data_signature, t.reference_data_signature.c.id == j.c.signature_id)
        .join(bp, bp.c.id == j.c.build_platform_id)
        .join(mp, mp.c.id == j.c.machine_platform_id)
        .where(j.c.guid == guid)
    )
    with database.read() as conn:
        row = conn.execute(query).mappings().first()
        if row is None:
            return None
        job = dict(row)
        job["logs"] = [
            dict(r) for r in conn.execute(
                select(t.job_log.c.name, t.job_log.c.url, t.job_log.c.status)
                .where(t.job_log.c.job_id == job["id"]).order_by(t.job_log.c.id)
            ).mappings()
        ]
        job["details"] = [
            dict(r) for r in conn.execute(
                select(t.job_detail.c.title, t.job_detail.c.value, t.job_detail.c.url)
                .where(t.job_detail.c.job_id == job["id"]).order_by(t.job_detail.c.id)
            ).mappings()
        ]
    return job
