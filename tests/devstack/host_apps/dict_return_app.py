"""Breaks a load rule: an HTTP function annotated to return a dict."""

import azure.functions as func

app = func.FunctionApp()


@app.route(route="answer")
def answer(req: func.HttpRequest) -> dict[str, str]:
    return {"never": "indexed"}
