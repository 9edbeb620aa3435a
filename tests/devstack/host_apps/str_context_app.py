"""Breaks a load rule: a context parameter annotated str."""

import azure.functions as func

app = func.FunctionApp()


@app.route(route="answer")
def answer(req: func.HttpRequest, context: str) -> str:
    return "never indexed"
