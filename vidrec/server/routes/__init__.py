"""The API's routes, one ``APIRouter`` module per resource, in the order ``create_app`` mounts them."""

from vidrec.server.routes import admin, catalog, feedback, operations, page, sessions, train, users

ROUTERS = (page.router, operations.router, sessions.router, catalog.router, feedback.router, users.router,
           admin.router, train.router)

__all__ = ["ROUTERS"]
