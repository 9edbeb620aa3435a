"""Breaks a load rule: an HTTP function answering through $return, annotated -> None."""

import azure.functions as func

app = func.FunctionApp()


@app.route(route="answer")
def answer(req: func.HttpRequest) -> None:
    """Never indexed."""
