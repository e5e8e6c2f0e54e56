"""API of published benchmark releases: releases, their groups and their cells."""

from ninja import Router

router = Router(tags=["benchmarks"])
