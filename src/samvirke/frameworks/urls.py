"""Pages of the framework library, at /frameworks/."""

from django.urls import path

from samvirke.frameworks import io_views, views

app_name = "frameworks"

# Fixed words come before the patterns that would take them for a framework id or a version.
# Framework ids are not slugs (nist-csf-2.0 has a dot), hence <str:>.
urlpatterns = [
    path("", views.framework_list, name="framework_list"),
    path("import/", io_views.framework_import, name="framework_import"),
    path(
        "import/template.xlsx",
        io_views.framework_import_template,
        name="framework_import_template",
    ),
    path("<str:framework_key>/", views.framework_detail, name="framework_detail"),
    path("<str:framework_key>/compare/", views.version_compare, name="version_compare"),
    path("<str:framework_key>/<str:version>/", views.version_detail, name="version_detail"),
    path(
        "<str:framework_key>/<str:version>/export.<str:fmt>",
        io_views.framework_export,
        name="framework_export",
    ),
    path(
        "<str:framework_key>/<str:version>/nodes/<str:node_key>/",
        views.node_detail,
        name="node_detail",
    ),
]
