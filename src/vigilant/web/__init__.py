"""The web application: a versioned REST API and server-rendered pages, both thin faces over the services.

Routers turn a request into an :class:`~vigilant.security.rights.Actor` and call services with it; which
records that actor may see or change is always the services' decision, never the web layer's.
"""

from vigilant.web.app import WebOptions, create_app

__all__ = ["WebOptions", "create_app"]
