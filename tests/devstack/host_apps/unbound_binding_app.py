"""Breaks a load rule: a binding names a parameter the function does not have."""

import azure.functions as func

app = func.FunctionApp()


@app.route(route="negotiate")
@app.generic_input_binding(arg_name="connection_info", type="signalRConnectionInfo", hubName="c")
def negotiate(req: func.HttpRequest) -> str:
    return "never indexed"
