"""Every endpoint over real HTTP, through the gateway, RabbitMQ and the three services.

Runs once with SQLite files and once with PostgreSQL databases. The tests
of a module share one stack and run in file order: the first records the
checks, the others check that bad requests record nothing more.
"""
import json
import time

import pytest

WAIT = 10  # seconds for analytics to catch up with a confirmed check


def current_month():
    return time.strftime("%Y-%m", time.gmtime())


def wait_for_json(http, path, expected):
    deadline = time.monotonic() + WAIT
    while True:
        response = http.get(path)
        if response.json() == expected or time.monotonic() > deadline:
            return response
        time.sleep(0.1)


def analytics_snapshot(http):
    month = current_month()
    query = f"start_date={month}&end_date={month}"
    return {
        "values": http.get(f"/data/values?product_id=1&{query}").json(),
        "total": http.get(f"/data/total_purchases?{query}").json(),
        "average": http.get(f"/data/average_check?{query}").json(),
        "visitors": http.get(f"/data/visitor_count?{query}").json(),
    }


def assert_error(response, status, code, field=None):
    body = response.json()
    expected_keys = {"code", "message", "field"} if field else {"code", "message"}
    assert response.status_code == status, body
    assert set(body) == {"error"}
    assert set(body["error"]) == expected_keys
    assert body["error"]["code"] == code
    assert body["error"].get("field") == field
    assert isinstance(body["error"]["message"], str) and body["error"]["message"]


@pytest.fixture(scope="module")
def recorded(stack):
    """Users and checks recorded through the API before the other tests run."""
    return {}


def test_products_list_the_default_catalog(http):
    response = http.get("/data/products")

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    assert response.json()[:2] == [{"id": 1, "name": "Milk"}, {"id": 2, "name": "Bread"}]
    assert len(response.json()) == 12


def test_user_and_checks_flow_into_analytics(http, recorded):
    month = current_month()

    created = http.post("/user", json={"username": "JohnDoe"})
    user_id = created.json()["user_id"]
    second = http.post("/user", json={"username": "JaneRoe"}).json()["user_id"]
    fetched = http.get(f"/user/{user_id}")
    first_check = http.post(f"/user/{user_id}/purchase",
                            json={"purchases": [{"product_id": 1, "quantity": 2}, {"product_id": 2, "quantity": 1}]})
    second_check = http.post(f"/user/{second}/purchase", json={"purchases": [{"product_id": 1, "quantity": 1}]})
    recorded.update(user_id=user_id)

    assert created.status_code == 201
    assert created.json() == {"message": "User created", "user_id": user_id}
    assert len(user_id) == 40
    assert fetched.status_code == 200
    assert fetched.json() == {"username": "JohnDoe"}
    assert first_check.status_code == 201
    assert first_check.json() == {"message": "Purchases recorded", "user_id": user_id}
    assert second_check.status_code == 201
    query = f"start_date={month}&end_date={month}"
    assert wait_for_json(http, f"/data/total_purchases?{query}", {"total_purchases": 324.2}).json() == \
        {"total_purchases": 324.2}
    assert http.get(f"/data/values?product_id=1&{query}").json() == {"label": "Milk", "values": [3]}
    assert http.get(f"/data/values?product_id=3&{query}").json() == {"label": "Eggs", "values": [0]}
    assert http.get(f"/data/average_check?{query}").json() == {"average_check": 162.1}
    assert http.get(f"/data/visitor_count?{query}").json() == {"visitor_count": 2}


def test_values_cover_every_month_asked(http):
    month = current_month()
    start = f"{int(month[:4]) - 9}-01"

    response = http.get(f"/data/values?product_id=1&start_date={start}&end_date={month}")

    values = response.json()["values"]
    assert response.status_code == 200
    assert len(values) == 108 + int(month[5:])
    assert values[-1] == 3
    assert sum(values) == 3


def test_empty_range_answers_zero(http):
    query = "start_date=2001-01&end_date=2001-12"

    assert http.get(f"/data/total_purchases?{query}").json() == {"total_purchases": 0.0}
    assert http.get(f"/data/average_check?{query}").json() == {"average_check": 0.0}
    assert http.get(f"/data/visitor_count?{query}").json() == {"visitor_count": 0}


@pytest.mark.parametrize("body, field", [
    ({}, "username"),
    ({"username": ""}, "username"),
    ({"username": "   "}, "username"),
    ({"username": None}, "username"),
    ({"username": 42}, "username"),
    ({"username": ["JohnDoe"]}, "username"),
    ({"username": "x" * 65}, "username"),
])
def test_create_user_rejects_invalid_username(http, body, field):
    assert_error(http.post("/user", json=body), 400, "invalid_input", field)


def test_create_user_rejects_taken_name_ignoring_case(http, recorded):
    assert_error(http.post("/user", json={"username": "johndoe"}), 409, "username_taken", "username")


def test_get_unknown_user_is_not_found(http):
    assert_error(http.get(f"/user/{'0' * 40}"), 404, "user_not_found")
    assert_error(http.get("/user/not-an-id"), 404, "user_not_found")


@pytest.mark.parametrize("body, field", [
    ({}, "purchases"),
    ({"purchases": []}, "purchases"),
    ({"purchases": None}, "purchases"),
    ({"purchases": {"product_id": 1, "quantity": 1}}, "purchases"),
    ({"purchases": [{"product_id": 1, "quantity": 1}] * 101}, "purchases"),
    ({"purchases": [{"product_id": 1, "quantity": 0}]}, "purchases[0].quantity"),
    ({"purchases": [{"product_id": 1, "quantity": -3}]}, "purchases[0].quantity"),
    ({"purchases": [{"product_id": 1, "quantity": 1.5}]}, "purchases[0].quantity"),
    ({"purchases": [{"product_id": 1, "quantity": "2"}]}, "purchases[0].quantity"),
    ({"purchases": [{"product_id": 1, "quantity": True}]}, "purchases[0].quantity"),
    ({"purchases": [{"product_id": 1, "quantity": 10001}]}, "purchases[0].quantity"),
    ({"purchases": [{"product_id": 1, "quantity": 1}, {"product_id": 2}]}, "purchases[1].quantity"),
    ({"purchases": [{"product_id": "1", "quantity": 1}]}, "purchases[0].product_id"),
])
def test_record_check_rejects_invalid_purchases(http, recorded, body, field):
    before = analytics_snapshot(http)

    response = http.post(f"/user/{recorded['user_id']}/purchase", json=body)

    assert_error(response, 400, "invalid_input", field)
    assert analytics_snapshot(http) == before


def test_record_check_rejects_unknown_product(http, recorded):
    before = analytics_snapshot(http)

    response = http.post(f"/user/{recorded['user_id']}/purchase",
                         json={"purchases": [{"product_id": 1, "quantity": 1}, {"product_id": 9999, "quantity": 1}]})

    assert_error(response, 404, "product_not_found", "purchases[1].product_id")
    time.sleep(0.5)
    assert analytics_snapshot(http) == before


def test_record_check_rejects_unknown_user(http):
    before = analytics_snapshot(http)

    response = http.post(f"/user/{'0' * 40}/purchase", json={"purchases": [{"product_id": 1, "quantity": 1}]})

    assert_error(response, 404, "user_not_found")
    time.sleep(0.5)
    assert analytics_snapshot(http) == before


@pytest.mark.parametrize("content, code", [
    (b'{"username": "JohnDoe"', "invalid_json"),
    (b"not json at all", "invalid_json"),
    (b'["JohnDoe"]', "invalid_body"),
    (b'"JohnDoe"', "invalid_body"),
    (b"42", "invalid_body"),
])
def test_post_rejects_malformed_body(http, recorded, content, code):
    headers = {"content-type": "application/json"}

    assert_error(http.post("/user", content=content, headers=headers), 400, code)
    assert_error(http.post(f"/user/{recorded['user_id']}/purchase", content=content, headers=headers), 400, code)


def test_post_rejects_body_over_limit(http):
    body = json.dumps({"username": "x" * (2 * 1024 * 1024)})

    response = http.post("/user", content=body, headers={"content-type": "application/json"})

    assert_error(response, 413, "payload_too_large")


@pytest.mark.parametrize("path", ["/data/total_purchases", "/data/average_check", "/data/visitor_count",
                                  "/data/values?product_id=1&"])
@pytest.mark.parametrize("query, field", [
    ("start_date=2023-13&end_date=2023-12", "start_date"),
    ("start_date=2023-1&end_date=2023-12", "start_date"),
    ("start_date=23-10&end_date=2023-12", "start_date"),
    ("end_date=2023-12", "start_date"),
    ("start_date=2023-10", "end_date"),
    ("start_date=2023-10&end_date=2023-9", "end_date"),
    ("start_date=2023-12&end_date=2023-10", "end_date"),
    ("start_date=2000-01&end_date=2023-10", "end_date"),
])
def test_data_rejects_invalid_dates(http, path, query, field):
    separator = "" if path.endswith("&") else "?"

    assert_error(http.get(f"{path}{separator}{query}"), 400, "invalid_input", field)


@pytest.mark.parametrize("query, status, code, field", [
    ("start_date=2023-10&end_date=2023-12", 400, "invalid_input", "product_id"),
    ("product_id=abc&start_date=2023-10&end_date=2023-12", 400, "invalid_input", "product_id"),
    ("product_id=0&start_date=2023-10&end_date=2023-12", 400, "invalid_input", "product_id"),
    ("product_id=-1&start_date=2023-10&end_date=2023-12", 400, "invalid_input", "product_id"),
    ("product_id=9999&start_date=2023-10&end_date=2023-12", 404, "product_not_found", "product_id"),
])
def test_values_rejects_bad_product(http, query, status, code, field):
    assert_error(http.get(f"/data/values?{query}"), status, code, field)


def test_unknown_route_and_method_answer_json(http):
    assert_error(http.get("/nowhere"), 404, "not_found")
    assert_error(http.delete("/user"), 405, "method_not_allowed")
