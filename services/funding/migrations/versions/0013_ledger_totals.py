"""Running totals of the nets by region line and by project line, for the region report.

A region's report sums the nets of its originals and those of every project with ESIF
in the region, wherever that money is located: for a whole country, most of the ledger.
Summed from ``ledger_nets`` at 1,000,000 entries that took three scans and over 450 ms,
5 to 8 times one plain scan of the country's entries. These tables hold the same sums
already grouped:

* ``ledger_region_totals``: net and number of originals per region, source line and kind;
* ``ledger_project_totals``: the same per project;
* ``ledger_esif_project_regions``: how many ESIF originals each project has per region
  (a project "has ESIF in a region" while it has one or more).

They are kept by statement-level triggers on ``ledger_nets``, so every writer of the
nets (the ledger writer's COPY and upsert, the rebuild, a re-homing) keeps them, in the
writer's transaction, with one grouped insert per statement over its transition tables.

Each trigger *appends* the statement's changes (new rows count +1 and their net, removed
rows -1 and minus theirs) instead of updating one row per group: an update would hold the
group's row lock until commit, so every writer of a region's money would wait for every
other, and two writers could wait for each other. Appended rows lock nothing. A reader
sums the rows of its groups; the compaction (``synergia_funding.reports.totals``) folds
each group's appended rows into one, now and then, so there are few to sum.

Revision ID: 0013
Revises: 0012
"""

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

LINE = "source, fund, private_timing, kind"
NETS = f"region_nuts, project_id, {LINE}"
ADDED = f"SELECT {NETS}, net, 1 AS n FROM added"
REMOVED = f"SELECT {NETS}, -net AS net, -1 AS n FROM removed"


def _append(changes: str) -> str:
    """The trigger body: ``changes`` (rows with ``net`` and ``n``, the count) grouped into
    each totals table, skipping groups whose changes cancel out."""
    return f"""
BEGIN
    INSERT INTO ledger_region_totals (region_nuts, {LINE}, net, originals)
    SELECT region_nuts, {LINE}, sum(net), sum(n) FROM ({changes}) AS c
    WHERE region_nuts IS NOT NULL
    GROUP BY region_nuts, {LINE}
    HAVING sum(net) <> 0 OR sum(n) <> 0;

    INSERT INTO ledger_project_totals (project_id, {LINE}, net, originals)
    SELECT project_id, {LINE}, sum(net), sum(n) FROM ({changes}) AS c
    WHERE project_id IS NOT NULL
    GROUP BY project_id, {LINE}
    HAVING sum(net) <> 0 OR sum(n) <> 0;

    INSERT INTO ledger_esif_project_regions (project_id, region_nuts, originals)
    SELECT project_id, region_nuts, sum(n) FROM ({changes}) AS c
    WHERE source = 'esif' AND project_id IS NOT NULL AND region_nuts IS NOT NULL
    GROUP BY project_id, region_nuts
    HAVING sum(n) <> 0;
    RETURN NULL;
END
"""


TRIGGERS = {
    # name: (event, REFERENCING clause, the changes the statement made)
    "inserted": ("INSERT", "NEW TABLE AS added", ADDED),
    "updated": (
        "UPDATE",
        "OLD TABLE AS removed NEW TABLE AS added",
        f"{ADDED} UNION ALL {REMOVED}",
    ),
    "deleted": ("DELETE", "OLD TABLE AS removed", REMOVED),
}
TOTALS = ("ledger_region_totals", "ledger_project_totals", "ledger_esif_project_regions")


def _line_columns() -> list[sa.Column]:
    return [
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("fund", sa.Text(), nullable=True),
        sa.Column("private_timing", sa.Text(), nullable=True),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("net", sa.Numeric(), nullable=False),
    ]


def _counted() -> list[sa.Column]:
    return [
        sa.Column("originals", sa.BigInteger(), nullable=False),
        # False for rows a trigger appended, true for the compaction's: what it looks for.
        sa.Column("compacted", sa.Boolean(), nullable=False, server_default="false"),
    ]


def upgrade() -> None:
    op.create_table(
        "ledger_region_totals",
        sa.Column("region_nuts", sa.Text(), nullable=False),
        *_line_columns(),
        *_counted(),
    )
    op.create_index(
        "ix_ledger_region_totals_region_nuts",
        "ledger_region_totals",
        [sa.text("region_nuts text_pattern_ops")],
    )
    op.create_table(
        "ledger_project_totals",
        sa.Column("project_id", sa.Uuid(), nullable=False),
        *_line_columns(),
        *_counted(),
    )
    op.create_index("ix_ledger_project_totals_project_id", "ledger_project_totals", ["project_id"])
    op.create_table(
        "ledger_esif_project_regions",
        sa.Column("project_id", sa.Uuid(), nullable=False),
        sa.Column("region_nuts", sa.Text(), nullable=False),
        *_counted(),
    )
    op.create_index(
        "ix_ledger_esif_project_regions_region_nuts",
        "ledger_esif_project_regions",
        [sa.text("region_nuts text_pattern_ops")],
    )
    for table in TOTALS:
        op.create_index(
            f"ix_{table}_appended",
            table,
            ["compacted"],
            postgresql_where=sa.text("NOT compacted"),
        )

    for name, (event, referencing, changes) in TRIGGERS.items():
        op.execute(
            f"CREATE FUNCTION ledger_totals_{name}() RETURNS trigger LANGUAGE plpgsql AS "
            f"$body${_append(changes)}$body$"
        )
        op.execute(
            f"CREATE TRIGGER ledger_totals_{name} AFTER {event} ON ledger_nets "
            f"REFERENCING {referencing} FOR EACH STATEMENT "
            f"EXECUTE FUNCTION ledger_totals_{name}()"
        )
    op.execute(
        "CREATE FUNCTION ledger_totals_truncated() RETURNS trigger LANGUAGE plpgsql AS "
        f"$body$ BEGIN TRUNCATE {', '.join(TOTALS)}; RETURN NULL; END $body$"
    )
    op.execute(
        "CREATE TRIGGER ledger_totals_truncated AFTER TRUNCATE ON ledger_nets "
        "FOR EACH STATEMENT EXECUTE FUNCTION ledger_totals_truncated()"
    )

    # What is there already, as one compacted row per group.
    op.execute(
        f"INSERT INTO ledger_region_totals (region_nuts, {LINE}, net, originals, compacted) "
        f"SELECT region_nuts, {LINE}, sum(net), count(*), true FROM ledger_nets "
        f"WHERE region_nuts IS NOT NULL GROUP BY region_nuts, {LINE}"
    )
    op.execute(
        f"INSERT INTO ledger_project_totals (project_id, {LINE}, net, originals, compacted) "
        f"SELECT project_id, {LINE}, sum(net), count(*), true FROM ledger_nets "
        f"WHERE project_id IS NOT NULL GROUP BY project_id, {LINE}"
    )
    op.execute(
        "INSERT INTO ledger_esif_project_regions (project_id, region_nuts, originals, compacted) "
        "SELECT project_id, region_nuts, count(*), true FROM ledger_nets "
        "WHERE source = 'esif' AND project_id IS NOT NULL AND region_nuts IS NOT NULL "
        "GROUP BY project_id, region_nuts"
    )


def downgrade() -> None:
    for name in (*TRIGGERS, "truncated"):
        op.execute(f"DROP TRIGGER ledger_totals_{name} ON ledger_nets")
        op.execute(f"DROP FUNCTION ledger_totals_{name}()")
    for table in TOTALS:
        op.drop_table(table)
