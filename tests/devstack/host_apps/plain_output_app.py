"""Breaks a load rule: an output parameter annotated str, not func.Out[str] or nothing."""

import azure.functions as func

app = func.FunctionApp()


@app.route(route="send")
@app.generic_output_binding(arg_name="messages", type="signalR", hubName="chat")
def send(req: func.HttpRequest, messages: str) -> str:
    return "never indexed"
