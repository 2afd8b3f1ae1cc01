"""HTTP tests of every endpoint against the gateway and the fake services."""

import time

import pytest

from tests.gateway.conftest import GATEWAY_MAX_BODY_BYTES, GATEWAY_RPC_TIMEOUT
from tests.gateway.fake_data import KNOWN_USER_ID, LEAKED_DETAILS, SLOW_MONTH, user_id_for


MONTHS = {"start_date": "2023-10", "end_date": "2023-12"}


def error_body(code, message, field=None):
    error = {"code": code, "message": message}
    if field is not None:
        error["field"] = field
    return {"error": error}


# Users


def test_create_user_returns_201_with_user_id(http):
    response = http.post("/user", json={"username": "JohnDoe"})

    assert response.status_code == 201
    assert response.headers["content-type"] == "application/json"
    assert response.json() == {"message": "User created", "user_id": user_id_for("JohnDoe")}


def test_create_user_without_username_returns_400(http):
    response = http.post("/user", json={"name": "JohnDoe"})

    assert response.status_code == 400
    assert response.json() == error_body(
        "invalid_input", "The field username is required.", "username"
    )


def test_create_user_passes_wrong_type_to_service(http):
    response = http.post("/user", json={"username": 123})

    assert response.status_code == 400
    assert response.json() == error_body(
        "invalid_input", "username must be a non-empty string", "username"
    )


def test_create_user_with_malformed_json_returns_400(http):
    response = http.post(
        "/user", content=b'{"username": ', headers={"content-type": "application/json"}
    )

    assert response.status_code == 400
    assert response.json() == error_body("invalid_json", "The request body is not valid JSON.")


@pytest.mark.parametrize(
    "body",
    [b"", b"\xff\xfe not utf-8", b'{"username": NaN}', b"[" * 100_000],
    ids=["empty", "not-utf8", "nan", "deep-nesting"],
)
def test_invalid_json_body_returns_invalid_json(http, body):
    response = http.post("/user", content=body[:GATEWAY_MAX_BODY_BYTES])

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_json"


@pytest.mark.parametrize(
    ("body", "type_name"),
    [(b"[]", "array"), (b'"JohnDoe"', "string"), (b"null", "null"), (b"42", "number")],
)
def test_non_object_body_returns_invalid_body(http, body, type_name):
    response = http.post("/user", content=body)

    assert response.status_code == 400
    assert response.json() == error_body(
        "invalid_body", f"The request body must be a JSON object, got a JSON {type_name}."
    )


def test_get_user_returns_username(http):
    response = http.get(f"/user/{KNOWN_USER_ID}")

    assert response.status_code == 200
    assert response.json() == {"username": "JohnDoe"}


def test_get_unknown_user_returns_404(http):
    response = http.get("/user/12345")

    assert response.status_code == 404
    assert response.json() == error_body("user_not_found", "No user has the id 12345")


# Purchases


def test_record_purchases_returns_201_with_path_user_id(http):
    purchases = [{"product_id": 1, "quantity": 2}, {"product_id": 3, "quantity": 1}]

    response = http.post(f"/user/{KNOWN_USER_ID}/purchase", json={"purchases": purchases})

    assert response.status_code == 201
    assert response.json() == {"message": "Purchases recorded", "user_id": KNOWN_USER_ID}


def test_record_purchases_without_purchases_returns_400(http):
    response = http.post(f"/user/{KNOWN_USER_ID}/purchase", json={"items": []})

    assert response.status_code == 400
    assert response.json() == error_body(
        "invalid_input", "The field purchases is required.", "purchases"
    )


def test_record_purchases_reports_field_named_by_service(http):
    purchases = [{"product_id": 1, "quantity": 2}, {"product_id": 2, "quantity": "3"}]

    response = http.post(f"/user/{KNOWN_USER_ID}/purchase", json={"purchases": purchases})

    assert response.status_code == 400
    assert response.json() == error_body(
        "invalid_input",
        "purchases[1].quantity must be an integer from 1 to 10000",
        "purchases[1].quantity",
    )


def test_record_purchases_for_unknown_user_returns_404(http):
    purchases = [{"product_id": 1, "quantity": 2}]

    response = http.post("/user/12345/purchase", json={"purchases": purchases})

    assert response.status_code == 404
    assert response.json() == error_body("user_not_found", "No user has the id 12345")


# Remote error mapping


@pytest.mark.parametrize(
    ("exc_type", "status", "code"),
    [
        ("InvalidInput", 400, "invalid_input"),
        ("UserNotFound", 404, "user_not_found"),
        ("ProductNotFound", 404, "product_not_found"),
        ("UsernameTaken", 409, "username_taken"),
        ("ProductNameTaken", 409, "product_name_taken"),
    ],
)
def test_remote_client_error_maps_to_status_and_code(http, exc_type, status, code):
    response = http.post("/user", json={"username": f"raise:{exc_type}"})

    assert response.status_code == status
    assert response.json() == error_body(code, f"{exc_type} raised on purpose", "username")


def test_remote_service_unavailable_returns_503_generic_message(http):
    response = http.post("/user", json={"username": "raise:ServiceUnavailable"})

    assert response.status_code == 503
    assert response.json() == error_body(
        "service_unavailable",
        "A service needed for this request is unavailable. Try again later.",
    )


def test_unexpected_remote_error_returns_500_without_details(http):
    response = http.post("/user", json={"username": "raise:DatabaseCrashed"})

    assert response.status_code == 500
    assert response.json() == error_body(
        "internal_error", "Internal server error. The details are in the gateway log."
    )
    for secret in ("SELECT", "DatabaseCrashed", "fake_services", LEAKED_DETAILS):
        assert secret not in response.text


# Analytics


def test_product_values_returns_label_and_monthly_units(http):
    response = http.get("/data/values", params={"product_id": "1", **MONTHS})

    assert response.status_code == 200
    assert response.json() == {"label": "Milk", "values": [5, 6, 7]}


@pytest.mark.parametrize("product_id", ["1", "0001"])
def test_product_values_accepts_decimal_product_id(http, product_id):
    response = http.get("/data/values", params={"product_id": product_id, **MONTHS})

    assert response.status_code == 200
    assert response.json()["label"] == "Milk"


def test_product_values_passes_largest_product_id_to_service(http):
    response = http.get("/data/values", params={"product_id": "2147483647", **MONTHS})

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "product_not_found"


@pytest.mark.parametrize(
    "product_id",
    ["abc", "0", "-1", "1.5", "+1", " 1", "1e3", "\u0661", "2147483648", "9" * 20],
)
def test_product_values_rejects_invalid_product_id(http, product_id):
    response = http.get("/data/values", params={"product_id": product_id, **MONTHS})

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_input"
    assert response.json()["error"]["field"] == "product_id"


@pytest.mark.parametrize("missing", ["product_id", "start_date", "end_date"])
@pytest.mark.parametrize("blank", [False, True], ids=["absent", "blank"])
def test_product_values_requires_each_parameter(http, missing, blank):
    params = {"product_id": "1", **MONTHS}
    if blank:
        params[missing] = " "
    else:
        del params[missing]

    response = http.get("/data/values", params=params)

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_input"
    assert response.json()["error"]["field"] == missing
    assert missing in response.json()["error"]["message"]


def test_product_values_for_unknown_product_returns_404(http):
    response = http.get("/data/values", params={"product_id": "7", **MONTHS})

    assert response.status_code == 404
    assert response.json() == error_body(
        "product_not_found", "No product has the id 7", "product_id"
    )


def test_invalid_month_returns_400_from_service(http):
    response = http.get("/data/total_purchases", params={"start_date": "2023/10", "end_date": "2023-12"})

    assert response.status_code == 400
    assert response.json() == error_body(
        "invalid_input", "start_date must be a month in the format YYYY-MM", "start_date"
    )


def test_total_purchases_returns_json_number(http):
    response = http.get("/data/total_purchases", params=MONTHS)

    assert response.status_code == 200
    assert response.json() == {"total_purchases": 190300.0}
    assert type(response.json()["total_purchases"]) is float


@pytest.mark.parametrize(
    ("start_date", "expected"), [("2023-10", 2500.0), ("2024-01", 1234.56)]
)
def test_average_check_returns_json_number(http, start_date, expected):
    response = http.get("/data/average_check", params={"start_date": start_date, "end_date": "2024-02"})

    assert response.status_code == 200
    assert response.json() == {"average_check": expected}
    assert type(response.json()["average_check"]) is float


def test_visitor_count_returns_integer(http):
    response = http.get("/data/visitor_count", params=MONTHS)

    assert response.status_code == 200
    assert response.json() == {"visitor_count": 100}


@pytest.mark.parametrize("path", ["/data/total_purchases", "/data/average_check", "/data/visitor_count"])
def test_month_range_endpoints_require_start_date(http, path):
    response = http.get(path, params={"end_date": "2023-12"})

    assert response.status_code == 400
    assert response.json() == error_body(
        "invalid_input",
        "The query parameter start_date is required, in the format YYYY-MM.",
        "start_date",
    )


def test_products_returns_id_and_name_only(http):
    response = http.get("/data/products")

    assert response.status_code == 200
    assert response.json() == [{"id": 1, "name": "Milk"}, {"id": 2, "name": "Bread"}]


# Gateway-level errors


def test_slow_service_returns_504(http):
    started = time.monotonic()

    response = http.get("/data/visitor_count", params={"start_date": SLOW_MONTH, "end_date": SLOW_MONTH})

    elapsed = time.monotonic() - started
    assert response.status_code == 504
    assert response.json() == error_body(
        "timeout", "A service needed for this request did not respond in time. Try again later."
    )
    assert elapsed >= GATEWAY_RPC_TIMEOUT * 0.9


def test_body_over_limit_returns_413_json(http):
    body = {"username": "x" * (GATEWAY_MAX_BODY_BYTES * 2)}

    response = http.post("/user", json=body)

    assert response.status_code == 413
    assert response.json() == error_body(
        "payload_too_large",
        f"The request is too large. The body limit is {GATEWAY_MAX_BODY_BYTES} bytes.",
    )


def test_chunked_body_over_limit_returns_413_json(http):
    chunks = [b"x" * 1024] * (GATEWAY_MAX_BODY_BYTES // 1024 + 2)

    response = http.post("/user", content=iter(chunks))

    assert response.status_code == 413
    assert response.json()["error"]["code"] == "payload_too_large"


def test_unknown_route_returns_404_json(http):
    response = http.get("/users/list")

    assert response.status_code == 404
    assert response.headers["content-type"] == "application/json"
    assert response.json() == error_body("not_found", "No endpoint matches the path /users/list.")


def test_wrong_method_returns_405_json(http):
    response = http.delete("/user")

    assert response.status_code == 405
    assert response.headers["allow"] == "POST"
    assert response.json() == error_body(
        "method_not_allowed", "Method DELETE is not allowed for /user. Allowed: POST."
    )

