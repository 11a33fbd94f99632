"""Issue 10 item 10: a misbehaving server on 127.0.0.1 (pytest-httpserver) cannot make a fetch hang,
eat memory or print a 600-character error line."""

from __future__ import annotations

import gzip
import json
import time

import pytest
from werkzeug import Response

from hyte.data.sotkanet import SotkanetClient, short_url
from hyte.errors import HyteError

PATH = "/rest/1.1/json"
ROWS = [
    {
        "indicator": 683,
        "region": 94,
        "year": 2015,
        "gender": "total",
        "value": 10.7,
        "absValue": 2128,
    }
]  # Kajaani 2015 (Kainuu fixture)


def _client(httpserver, **options):
    settings = {"timeout": (2.0, 5.0), "max_attempts": 3, "backoff": 0.001, **options}
    return SotkanetClient(httpserver.url_for("/rest/1.1"), **settings)


def test_retry_after_of_a_day_is_refused_at_once_with_a_message(httpserver):
    httpserver.expect_request(PATH).respond_with_response(
        Response("busy", status=429, headers={"Retry-After": "86400"})
    )
    started = time.monotonic()
    with pytest.raises(HyteError) as exc:
        _client(httpserver).data(683, range(2005, 2024))
    assert time.monotonic() - started < 3
    assert str(exc.value) == (
        "Sotkanet is busy (HTTP 429) and asked to wait 86400 s before asking "
        "again (Retry-After: 86400); hyte waits at most 120 s: try again later."
    )


def test_every_wait_before_a_retry_is_told(httpserver):
    answers = iter(
        [
            Response("busy", status=503, headers={"Retry-After": "1"}),
            Response(json.dumps(ROWS), content_type="application/json"),
        ]
    )
    httpserver.expect_request(PATH).respond_with_handler(lambda request: next(answers))
    told: list[str] = []
    response = _client(httpserver, on_wait=told.append).data(683, [2015])
    assert response.data[0]["value"] == 10.7
    assert told == ["Sotkanet: HTTP 503 SERVICE UNAVAILABLE; waiting 1 s before attempt 2/3."]


def test_a_trickling_server_hits_the_total_time_limit(httpserver):
    def trickle(request):
        def body():
            yield b"["
            for _ in range(40):
                time.sleep(0.25)  # a byte every 0.25 s: never a read timeout (5 s)
                yield b" "
            yield b"]"

        return Response(body(), content_type="application/json")

    httpserver.expect_request(PATH).respond_with_handler(trickle)
    started = time.monotonic()
    with pytest.raises(HyteError) as exc:
        _client(httpserver, total_timeout=1.0).data(683, [2015])
    elapsed = time.monotonic() - started
    assert elapsed < 3, elapsed
    assert "took longer than 1 s" in str(exc.value) and "the service is slow" in str(exc.value)


@pytest.mark.parametrize("declared", [True, False])
def test_a_response_larger_than_the_cap_is_refused(httpserver, declared):
    body = json.dumps(ROWS * 200).encode()
    if declared:
        httpserver.expect_request(PATH).respond_with_data(body, content_type="application/json")
    else:

        def chunks(request):
            return Response(
                (body[i : i + 1000] for i in range(0, len(body), 1000)),
                content_type="application/json",
            )

        httpserver.expect_request(PATH).respond_with_handler(chunks)
    with pytest.raises(HyteError) as exc:
        _client(httpserver, max_bytes=5000).data(683, [2015])
    assert "more than hyte accepts (5 kB)" in str(
        exc.value
    ) or "larger than hyte accepts (5 kB)" in str(exc.value)


def test_html_instead_of_json_is_named(httpserver):
    httpserver.expect_request(PATH).respond_with_data(
        "<!DOCTYPE html><html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>",
        content_type="text/html",
    )
    with pytest.raises(HyteError) as exc:
        _client(httpserver).data(683, range(2005, 2024))
    message = str(exc.value)
    assert "the server sent HTML ('502 Bad Gateway'), not JSON" in message
    assert "line 1 column 1" not in message
    assert message.count("years=") == 1 and len(message) < 250


def test_error_lines_name_the_url_once_and_short(httpserver):
    httpserver.expect_request(PATH).respond_with_response(Response("down", status=500))
    with pytest.raises(HyteError) as exc:
        _client(httpserver).data(683, range(2005, 2024))
    message = str(exc.value)
    assert "years=2005…2023&genders=total,male,female" in message
    assert message.count("years=") == 1 and len(message) < 250, (len(message), message)


def test_gzip_encoded_answers_are_still_read(httpserver):
    httpserver.expect_request(PATH).respond_with_response(
        Response(
            gzip.compress(json.dumps(ROWS).encode()),
            content_type="application/json",
            headers={"Content-Encoding": "gzip"},
        )
    )
    assert _client(httpserver).data(683, [2015]).data[0]["absValue"] == 2128


def test_short_url():
    url = (
        "https://sotkanet.fi/rest/1.1/json?indicator=683"
        + "".join(f"&years={y}" for y in range(2005, 2024))
        + "&genders=total"
    )
    assert (
        short_url(url)
        == "https://sotkanet.fi/rest/1.1/json?indicator=683&years=2005…2023&genders=total"
    )
