"""Deadline day: respondents autosaving answers, run headless by perf/run.py (see README).

Each simulated respondent logs in once through the allauth form, waits until every respondent
has logged in, then works through the questions delegated to them for PERF_LOAD_SECONDS
seconds: it opens a question's page (GET, as a browser navigating to it), then autosaves it
SAVES_PER_QUESTION times with HTMX POSTs of the answer form (a level, then the level again with
a comment), each based on the version the previous response showed. Between two requests it
thinks for PERF_THINK seconds ("MIN-MAX", uniformly drawn). Every save the server acknowledged
(200 with the saved form) is written to PERF_ACKS as one JSON line, for run.py to check in the
database afterwards.

Environment (set by run.py): PERF_RESPONDENTS (JSON from synthetic.load_respondents),
PERF_ACKS, PERF_LOAD_SECONDS, PERF_THINK.
"""

from __future__ import annotations

import json
import os
import random
import re
import time
import urllib.parse
from typing import Any

import gevent  # type: ignore[import-untyped]
from gevent.event import Event  # type: ignore[import-untyped]
from locust import FastHttpUser, between, events, task
from locust.env import Environment
from locust.exception import StopUser

LOGIN_PATH = "/accounts/login/"
SAVES_PER_QUESTION = 2
CSRF = re.compile(r'name="csrfmiddlewaretoken"\s+value="([^"]+)"')
BASE_VERSION = re.compile(r'name="base_version"\s+value="(\d+)"')
FORM = {"Content-Type": "application/x-www-form-urlencoded"}
SAVE = "save answer (HTMX POST)"
PAGE = "answer page (GET)"
LOGIN = "login (GET form + POST)"
#: What marks a save as done, whatever the language: the status line of an autosave
#: (answer_status.html), or the success alert of a re-rendered form (partials/alert.html).
SAVED = ('data-state="saved"', "alert-success")


def _think() -> tuple[float, float]:
    low, _, high = os.environ.get("PERF_THINK", "5-15").partition("-")
    return float(low), float(high or low)


RESPONDENTS: list[dict[str, Any]] = json.loads(
    open(os.environ["PERF_RESPONDENTS"], encoding="utf-8").read()  # noqa: SIM115
)
#: How many respondents locust starts (-u); the saving phase begins once all have logged in.
EXPECTED = min(int(os.environ.get("PERF_USERS", len(RESPONDENTS))), len(RESPONDENTS))
LOAD_SECONDS = float(os.environ.get("PERF_LOAD_SECONDS", "300"))
THINK = _think()
ACKS = open(os.environ["PERF_ACKS"], "a", encoding="utf-8")  # noqa: SIM115
ALL_LOGGED_IN = Event()
_state: dict[str, Any] = {"next": 0, "logged_in": 0, "load_started": None}


def _logged_in(environment: Environment) -> None:
    """Count a finished login (successful or not); the last one starts the saving phase."""
    _state["logged_in"] += 1
    if _state["logged_in"] >= EXPECTED and not ALL_LOGGED_IN.is_set():
        _state["load_started"] = time.time()
        ALL_LOGGED_IN.set()
        runner = environment.runner
        assert runner is not None
        gevent.spawn_later(LOAD_SECONDS, runner.quit)
        print(f"perf: all respondents logged in; saving for {LOAD_SECONDS:.0f} s", flush=True)


@events.quitting.add_listener
def _close_acks(environment: Environment, **_kwargs: Any) -> None:
    ACKS.flush()
    ACKS.close()
    started = _state["load_started"]
    if started is not None:
        print(f"perf: saving phase lasted {time.time() - started:.0f} s", flush=True)


class Respondent(FastHttpUser):
    """One respondent of one organisation, autosaving the questions of their delegated area."""

    wait_time = between(*THINK)
    network_timeout = 180.0
    connection_timeout = 180.0

    def on_start(self) -> None:
        if _state["next"] >= len(RESPONDENTS):
            raise StopUser
        self.me = RESPONDENTS[_state["next"]]
        _state["next"] += 1
        self.turn = 0
        self.csrf = ""
        self.versions: dict[int, int] = {}
        try:
            ok = self._login()
        finally:
            _logged_in(self.environment)
        if not ok:
            raise StopUser
        ALL_LOGGED_IN.wait()
        gevent.sleep(random.uniform(0, THINK[1]))  # people do not all start on the same second

    def _login(self) -> bool:
        started = time.perf_counter()
        form = self.client.get(LOGIN_PATH, name=f"{LOGIN}: form")
        match = CSRF.search(form.text or "")
        if form.status_code != 200 or match is None:
            return False
        body = urllib.parse.urlencode(
            {
                "csrfmiddlewaretoken": match.group(1),
                "login": self.me["username"],
                "password": self.me["password"],
            }
        )
        with self.client.post(
            LOGIN_PATH,
            data=body,
            headers=FORM,
            name=f"{LOGIN}: post",
            allow_redirects=False,
            catch_response=True,
        ) as answer:
            target = answer.headers.get("location", "") if answer.headers else ""
            if answer.status_code != 302 or target.startswith(LOGIN_PATH):
                answer.failure(f"login as {self.me['username']}: {answer.status_code} {target!r}")
                return False
            answer.success()
        self.environment.events.request.fire(
            request_type="LOGIN",
            name=LOGIN,
            response_time=(time.perf_counter() - started) * 1000,
            response_length=0,
            exception=None,
            context={},
        )
        return True

    def _question(self) -> tuple[dict[str, Any], int]:
        questions = self.me["questions"]
        step = self.turn % (len(questions) * (SAVES_PER_QUESTION + 1))
        return questions[step // (SAVES_PER_QUESTION + 1)], step % (SAVES_PER_QUESTION + 1)

    def _path(self, question: dict[str, Any]) -> str:
        return f"/baseline/assessments/{self.me['assessment']}/questions/{question['id']}/"

    @task
    def work(self) -> None:
        """One step: open the next question, or autosave the open one."""
        question, step = self._question()
        self.turn += 1
        unit = self.me["unit"] if question["per_unit"] else None
        if step == 0:
            self._open(question, unit)
        else:
            self._save(question, unit, step)

    def _open(self, question: dict[str, Any], unit: int | None) -> None:
        query = f"?org_unit={unit}" if unit else ""
        with self.client.get(self._path(question) + query, name=PAGE, catch_response=True) as page:
            csrf, version = CSRF.search(page.text or ""), BASE_VERSION.search(page.text or "")
            if page.status_code != 200 or csrf is None or version is None:
                page.failure(f"{page.status_code}: no form")
                return
            self.csrf = csrf.group(1)
            self.versions[question["id"]] = int(version.group(1))

    def _save(self, question: dict[str, Any], unit: int | None, step: int) -> None:
        base = self.versions.get(question["id"])
        if base is None:
            return  # the page did not open; a failure is already counted
        value = random.randint(0, 5)
        comment = f"Autosave {self.turn} by {self.me['username']}" if step > 1 else ""
        fields = {
            "csrfmiddlewaretoken": self.csrf,
            "base_version": str(base),
            "value": str(value),
            "comment": comment,
        }
        if unit is not None:
            fields["org_unit"] = str(unit)
        headers = {
            **FORM,
            "HX-Request": "true",
            "HX-Target": f"answer-status-{question['id']}",
            "HX-Current-URL": f"{self.host}{self._path(question)}",
        }
        with self.client.post(
            self._path(question),
            data=urllib.parse.urlencode(fields),
            headers=headers,
            name=SAVE,
            catch_response=True,
        ) as answer:
            version = BASE_VERSION.search(answer.text or "")
            saved_mark = any(mark in (answer.text or "") for mark in SAVED)
            if answer.status_code != 200 or version is None or not saved_mark:
                answer.failure(f"{answer.status_code}: not saved")
                return
            saved = int(version.group(1))
            csrf = CSRF.search(answer.text)
            if csrf is not None:
                self.csrf = csrf.group(1)
            self.versions[question["id"]] = saved
            ack = {
                "organisation": self.me["organisation"],
                "assessment": self.me["assessment"],
                "question": question["id"],
                "unit": unit,
                "version": saved,
                "value": value,
                "comment": comment,
            }
            ACKS.write(json.dumps(ack) + "\n")
