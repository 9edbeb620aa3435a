"""Breaks a load rule: a generic output annotated func.Out[int] (str, bytes or nothing load)."""

import azure.functions as func

app = func.FunctionApp()


@app.route(route="send")
@app.generic_output_binding(arg_name="messages", type="signalR", hubName="chat")
def send(req: func.HttpRequest, messages: func.Out[int]) -> str:
    return "never indexed"
