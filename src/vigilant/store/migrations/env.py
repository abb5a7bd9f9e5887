"""Alembic environment: always run online, on the engine Vigilant hands over."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Engine

import vigilant.cases.models  # its tables join Base.metadata too (ruff wants F401's noqa on the last only)
import vigilant.evidence.models
import vigilant.leads.models
import vigilant.library.models
import vigilant.links.models
import vigilant.links.xref_models
import vigilant.registry.models
import vigilant.registry.places_models
import vigilant.review.models
import vigilant.security.models
import vigilant.triage.models  # noqa: F401  - its tables join Base.metadata for autogenerate
from vigilant.store.models import Base
from vigilant.store.spatialite import include_object

engine: Engine = context.config.attributes["engine"]

with engine.begin() as connection:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=engine.dialect.name == "sqlite",  # SQLite alters tables by copying them
        compare_type=True,
        include_object=include_object,  # SpatiaLite's and PostGIS's own tables are not ours
    )
    context.run_migrations()
