import pytest
from samvirke.core.tests.test_cross_tenant import quiet_request_log  # noqa
from samvirke.core.tests import test_cross_tenant as ct
from samvirke.tenancy.models import OrgUnit
from samvirke.tenancy import views, api as tapi, services


def leaky(request, unit_id, write=False):
    return OrgUnit._base_manager.get(pk=unit_id)


@pytest.mark.usefixtures("quiet_request_log")
def test_mutation(world, monkeypatch, record_property):
    monkeypatch.setattr(views, "access_orgunit", leaky)
    monkeypatch.setattr(tapi, "access_orgunit", leaky)
    monkeypatch.setattr(services, "_own_parent", lambda org, parent: parent)
    orig_init = views.OrgUnitForm.__init__
    def init(self, *a, **k):
        orig_init(self, *a, **k)
        self.fields["parent"].queryset = OrgUnit._base_manager.all()
    monkeypatch.setattr(views.OrgUnitForm, "__init__", init)
    setup = ct.build_setup(world)
    before = ct.b_snapshot(setup)
    routes = ct.page_routes()
    tally = ct.Tally()
    ct.walk_b_objects(setup, tally, routes)
    ct.walk_api(setup, tally)
    ct.walk_references(setup, tally, routes)
    ct.report(tally)
    print("\n".join(tally.leaks[:5]))
    print("...", "\n".join(l[:200] for l in tally.leaks if "points at" in l or "API" in l)[:3000])
    print("snapshot same:", ct.b_snapshot(setup) == before)
