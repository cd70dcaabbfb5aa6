"""Machine interfaces: REST API v1 and its OpenAPI schema."""

urlpatterns: list = []
