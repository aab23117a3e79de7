"""Alembic environment: runs migrations on the engine the caller passes in."""

from alembic import context

import service.models
from migrations import compare_type, render_item

target_metadata = service.models.Base.metadata


def run_migrations_online() -> None:
    """Run the migrations inside one transaction on the configured engine."""
    engine = context.config.attributes["engine"]
    with engine.connect() as connection:
        context.configure(connection=connection, target_metadata=target_metadata,
                          render_as_batch=connection.dialect.name == "sqlite",
                          compare_type=compare_type,
                          render_item=render_item)
        with context.begin_transaction():
            context.run_migrations()
        connection.commit()


run_migrations_online()
