"""URLs of the tenancy pages."""

from django.urls import path

from samvirke.tenancy import views

app_name = "tenancy"

urlpatterns = [
    path("organisation/switch/", views.organisation_switch, name="organisation_switch"),
    path("units/", views.orgunit_list, name="orgunit_list"),
    path("units/new/", views.orgunit_create_view, name="orgunit_create"),
    path("units/<int:unit_id>/", views.orgunit_detail, name="orgunit_detail"),
    path("units/<int:unit_id>/edit/", views.orgunit_edit, name="orgunit_edit"),
    path("units/<int:unit_id>/delete/", views.orgunit_delete_view, name="orgunit_delete"),
    path("members/", views.member_list, name="member_list"),
    path("members/<int:membership_id>/edit/", views.membership_edit, name="member_edit"),
    path("members/<int:membership_id>/end/", views.membership_end_view, name="member_end"),
    path("networks/", views.network_list, name="network_list"),
    path("networks/<int:network_id>/", views.network_detail, name="network_detail"),
]
