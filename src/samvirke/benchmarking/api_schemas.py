"""Response schemas of the benchmark API: releases, their groups and their cells.

A cell is either a published number or the one hidden marker (R11); nothing else about a cell
(why it is hidden, a minimum, a maximum, a rank) has a field to travel in.
"""

from __future__ import annotations

import datetime
from typing import Literal

from ninja import Field, Schema


class CampaignRef(Schema):
    """The campaign a release is the benchmark of."""

    id: int
    title: str
    year: int


class NetworkRef(Schema):
    """The network a release belongs to."""

    id: int
    code: str
    name: str


class ReleaseOut(Schema):
    """A published release of a campaign's benchmark."""

    id: int
    campaign: CampaignRef
    network: NetworkRef
    kind: Literal["initial", "correction"] = Field(
        description="initial: the release at close; correction: its one correction"
    )
    created: datetime.datetime


class GroupOut(Schema):
    """A group of a fixed partition and its members' official codes (public facts)."""

    id: int
    partition: str = Field(
        description="everyone, region, size_class, kind, or custom:<key> for a network's own "
        "approved partition"
    )
    label: str = Field(description="In the request's language, else English")
    members: list[str] = Field(description="Official codes of the organisations counted")


class PublishedCellOut(Schema):
    """A published number of one group: rounded to its grid, with how many organisations count."""

    statistic: str
    group: int
    value: float = Field(description="A mean on 0-100, or a share in %, rounded to `grid`")
    grid: float
    n: int


class HiddenCellOut(Schema):
    """The one marker for a number not shown, to protect individual organisations."""

    statistic: str
    group: int
    hidden: Literal[True]


CellOut = PublishedCellOut | HiddenCellOut
