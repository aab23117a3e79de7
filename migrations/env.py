"""Alembic environment: runs migrations on the engine the caller passes in."""

from alembic import context

import service.models
from migrations import compare_type, render_item

target_metadata = service.models.Base.metadata


def run_migrations_online() -> None:
    """Run the migrations inside one transaction on the configured engine."""
    engine = context.config.attributes["engine"]
    with engine.connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        if sqlite:
            # Batch migrations rebuild a SQLite table by dropping the old one; with foreign keys
            # enforced (the engine turns them on) that drop would cascade and delete the rows
            # of every child table (history lines, name words, deliveries). SQLite only lets
            # the switch change outside a transaction, so it is set before the first one.
            connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
        context.configure(connection=connection, target_metadata=target_metadata,
                          render_as_batch=sqlite,
                          compare_type=compare_type,
                          render_item=render_item)
        with context.begin_transaction():
            context.run_migrations()
        connection.commit()
        if sqlite:
            connection.exec_driver_sql("PRAGMA foreign_keys=ON")


run_migrations_online()
