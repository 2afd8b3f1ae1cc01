"""Endpoints for users and their purchases."""

from sanic import Blueprint, Request
from sanic.response import HTTPResponse, json

from gateway.request_input import read_json_object, require_key


users = Blueprint("users")


@users.post("/user")
async def create_user(request: Request) -> HTTPResponse:
    username = require_key(read_json_object(request), "username")

    user = await request.app.ctx.rpc.call("users_service", "create_user", username)

    return json({"message": "User created", "user_id": user["user_id"]}, status=201)


@users.get("/user/<user_id>")
async def get_user(request: Request, user_id: str) -> HTTPResponse:
    user = await request.app.ctx.rpc.call("users_service", "get_user", user_id)

    return json({"username": user["username"]})


@users.post("/user/<user_id>/purchase")
async def record_purchases(request: Request, user_id: str) -> HTTPResponse:
    purchases = require_key(read_json_object(request), "purchases")

    await request.app.ctx.rpc.call("purchases_service", "record_check", user_id, purchases)

    # The response repeats the id from the path, as the client sent it.
    return json({"message": "Purchases recorded", "user_id": user_id}, status=201)
