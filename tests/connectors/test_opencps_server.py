"""The test server answers as OpenCPS does, checked against the recorded page, not our connector."""

from __future__ import annotations

import json
from typing import Any

import pytest
import requests

from tests.fixtures.opencps.server import OpenCPSState, make_item, sample_items
from tests.fixtures.opencps.shape import SAMPLE, lucene_day

PATH = "/o/rest/v2/dossiers"


@pytest.fixture
def ask(server: Any, state: OpenCPSState) -> Any:
    """GET the list as a client would: right credentials and site unless told otherwise."""
    state.items = sample_items()

    def get(auth: tuple[str, str] | None = (state.username, state.password),
            group: str | None = "35417", **params: str) -> requests.Response:
        headers = {"groupId": group} if group is not None else {}
        return requests.get(server.url + PATH, params=params, auth=auth, headers=headers,
                            timeout=5)

    return get


def test_the_recorded_page_comes_back_exactly(ask: Any) -> None:
    reply = ask(start="0", end="10")
    recorded = json.loads(SAMPLE.read_text(encoding="utf-8"))
    assert reply.status_code == 200 and reply.json()["total"] == recorded["total"] == 3
    by_id = {item["dossierId"]: item for item in reply.json()["data"]}
    assert by_id == {item["dossierId"]: item for item in recorded["data"]}
    # createDate ascending: 28/02, 03/03, 04/03.
    assert [item["dossierId"] for item in reply.json()["data"]] == [40498, 40512, 40533]


def test_items_are_written_in_the_list_apis_own_shape(server: Any, state: OpenCPSState) -> None:
    state.items = [make_item(1, "processing", applicantName="Nguyễn Thị Hoa; Lê Văn Tú",
                             lastActionUser="Phạm Văn Em", online=True, submitDate=None,
                             viaPostal=1, modifiedDate="05/03/2025 15:02:11", durationCount=3)]
    item = requests.get(server.url + PATH, auth=(state.username, state.password),
                        headers={"groupId": "35417"}, timeout=5).json()["data"][0]
    assert (item["applicantName"], item["lastActionUser"]) == (
        "NGUYỄN THỊ HOA;  LÊ VĂN TÚ", "PHẠM VĂN EM")
    assert (item["modifiedDate"], item["submitDate"], item["extendDate"]) == ("", "", "")
    assert (item["releaseDate"], item["finishDate"]) == (None, None)
    assert (item["online"], item["viaPostal"], item["durationCount"]) == ("true", "1", 3.0)


def test_without_valid_credentials_the_answer_is_203_with_an_error_body(ask: Any) -> None:
    for auth in (None, ("monitor@xa-tanphu.gov.vn", "wrong")):
        reply = ask(auth=auth)
        assert reply.status_code == 203
        assert reply.json() == {"message": "Non-Authoritative Information.", "code": 203,
                                "description": "Non-Authoritative Information."}


@pytest.mark.parametrize("group", ["35418", None, "abc"])
def test_a_wrong_or_missing_group_finds_nothing_without_error(ask: Any, group: str | None
                                                             ) -> None:
    reply = ask(group=group)
    assert (reply.status_code, reply.json()) == (200, {"total": 0, "data": []})


@pytest.mark.parametrize("start,end,total", [
    ("4/3/2025", "4/3/2025", 1),  # 40533, received 04/03 10:05
    ("04/03/2025", "31/12/2025", 1),  # leading zeros are read too
    ("1/3/2025", "3/3/2025", 1),  # 40512, received 03/03 08:15: the last day counts whole
    ("20250304", "20251231", 3),  # not d/M/yyyy: the window is dropped, everything comes
    ("2025-03-04", "2025-12-31", 3),
])
def test_a_date_window_applies_only_when_written_d_m_yyyy(ask: Any, start: str, end: str,
                                                          total: int) -> None:
    assert ask(fromReceiveDate=start, toReceiveDate=end).json()["total"] == total


def test_paging_and_status_filters(ask: Any) -> None:
    assert len(ask().json()["data"]) == 3  # no `end`: the first ten
    assert [i["dossierId"] for i in ask(start="1", end="2").json()["data"]] == [40512]
    assert ask(status="waiting,releasing").json()["total"] == 2
    assert ask(substatus="waiting_4").json()["total"] == 1


def test_the_lucene_day_follows_opencps(ask: Any) -> None:
    assert [lucene_day(v) for v in ("6/3/2025", "06/03/2025", "20250306", "", None)] == [
        "20250306", "20250306", "", "", ""]
