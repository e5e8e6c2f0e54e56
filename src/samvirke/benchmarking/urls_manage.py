"""URLs: benchmark management (releases, custom partitions, opt-in sharing)."""

from django.urls import URLPattern, path

from samvirke.benchmarking import manage_views

urlpatterns: list[URLPattern] = [
    path("releases/", manage_views.release_list, name="manage_releases"),
    path("releases/<int:release_id>/", manage_views.release_detail, name="manage_release"),
    path(
        "releases/<int:release_id>/publish/",
        manage_views.release_publish_view,
        name="manage_release_publish",
    ),
    path(
        "releases/<int:release_id>/correct/",
        manage_views.release_correct_view,
        name="manage_release_correct",
    ),
    path(
        "releases/campaigns/<int:campaign_id>/build/",
        manage_views.release_build_view,
        name="manage_release_build",
    ),
    path("partitions/", manage_views.partition_list, name="manage_partitions"),
    path(
        "partitions/<int:partition_id>/decide/",
        manage_views.partition_decide_view,
        name="manage_partition_decide",
    ),
    path("sharing/", manage_views.sharing, name="manage_sharing"),
]
