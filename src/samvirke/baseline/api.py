"""API of campaigns, assessments, questions with delegation, answers and progress."""

from ninja import Router

router = Router(tags=["baseline"])
