"""OGC API - Features under /ogc/."""

from django.urls import path, re_path

from api.ogc import tiles, views

app_name = "ogc"
urlpatterns = [
    path("", views.landing, name="landing"),
    path("conformance", views.conformance, name="conformance"),
    path("api", views.api, name="api"),
    path("collections", views.collections, name="collections"),
    path("collections/<str:collection_id>", views.collection, name="collection"),
    path("collections/<str:collection_id>/items", views.items, name="items"),
    path("collections/<str:collection_id>/items/<str:feature_id>", views.item, name="item"),
    path("collections/<str:collection_id>/queryables", views.queryables, name="queryables"),
    path("collections/<str:collection_id>/schema", views.schema, name="schema"),
    path("tileMatrixSets", tiles.tile_matrix_sets, name="tile-matrix-sets"),
    path("tileMatrixSets/<str:tile_matrix_set_id>", tiles.tile_matrix_set, name="tile-matrix-set"),
    path("collections/<str:collection_id>/tiles", tiles.tilesets, name="tilesets"),
    path(
        "collections/<str:collection_id>/tiles/<str:tile_matrix_set_id>",
        tiles.tileset,
        name="tileset",
    ),
    path(
        "collections/<str:collection_id>/tiles/<str:tile_matrix_set_id>/<int:tile_matrix>/"
        "<int:tile_row>/<int:tile_col>",
        tiles.tile,
        name="tile",
    ),
    # Anything else under /ogc/ is an OGC exception document too.
    re_path(r"^(?P<path>.*)$", views.unknown, name="unknown"),
]
