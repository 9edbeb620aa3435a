"""Routes, methods and answers: each function echoes what the host handed it."""

import json

import azure.functions as func

app = func.FunctionApp(http_auth_level=func.AuthLevel.ANONYMOUS)


def echo(name: str, req: func.HttpRequest) -> func.HttpResponse:
    seen = {
        "function": name,
        "method": req.method,
        "url": req.url,
        "params": dict(req.params),
        "route": dict(req.route_params),
        "header": req.headers.get("x-sample"),
        "body": req.get_body().decode(),
    }
    return func.HttpResponse(json.dumps(seen), mimetype="application/json")


@app.route(route="items/{id:int}", methods=["GET"])
def item_by_number(req: func.HttpRequest) -> func.HttpResponse:
    return echo("item_by_number", req)


@app.route(route="items/latest", methods=["GET"])
def latest_item(req: func.HttpRequest) -> func.HttpResponse:
    return echo("latest_item", req)


@app.route(route="items/{name}", methods=["GET", "PUT"])
def item_by_name(req: func.HttpRequest) -> func.HttpResponse:
    return echo("item_by_name", req)


@app.route(route="items/{name}", methods=["DELETE"])
def delete_item(req: func.HttpRequest) -> func.HttpResponse:
    return echo("delete_item", req)


@app.route(route="files/{*path}")
def file_path(req: func.HttpRequest) -> func.HttpResponse:
    return echo("file_path", req)


@app.route(route="pages/{page?}", methods=["GET"])
def optional_page(req: func.HttpRequest) -> func.HttpResponse:
    return echo("optional_page", req)


@app.route(methods=["POST"])
def default_route(req: func.HttpRequest) -> func.HttpResponse:
    return echo("default_route", req)


@app.route(route="answers/text")
def text_answer(req: func.HttpRequest) -> str:
    return "plain words"


@app.route(route="answers/nothing")
def no_answer(req: func.HttpRequest):  # type: ignore[no-untyped-def]  # -> None fails to load
    return None


@app.route(route="answers/dict")
def dict_answer(req: func.HttpRequest):  # type: ignore[no-untyped-def]  # -> dict fails to load
    return {"not": "allowed"}


@app.route(route="answers/raises")
def raising_answer(req: func.HttpRequest) -> func.HttpResponse:
    raise RuntimeError("the sample function broke on purpose")


@app.route(route="answers/created", methods=["POST"])
def created_answer(req: func.HttpRequest) -> func.HttpResponse:
    return func.HttpResponse(
        "made",
        status_code=201,
        headers={"x-made": "yes", "Set-Cookie": "session=abc; Path=/"},
    )


@app.route(route="answers/out", binding_arg_name="answer")
def out_answer(req: func.HttpRequest, answer: func.Out[func.HttpResponse]) -> None:
    answer.set(func.HttpResponse("set through func.Out", status_code=202))


@app.route(route="answers/out-and-return", binding_arg_name="answer")
def out_and_return(req: func.HttpRequest, answer: func.Out[func.HttpResponse]) -> str:
    answer.set(func.HttpResponse("set through func.Out"))
    return "returned where nothing takes it"


@app.route(route="answers/async")
async def async_answer(req: func.HttpRequest) -> func.HttpResponse:
    return echo("async_answer", req)


@app.route(route="context")
def with_context(req: func.HttpRequest, context: func.Context) -> str:
    return f"{context.function_name} {context.invocation_id}"
