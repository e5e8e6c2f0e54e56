"""The NinjaAPI instance at /api/v1/."""

from ninja import NinjaAPI

api = NinjaAPI(title="Samvirke API", version="1", urls_namespace="api")
