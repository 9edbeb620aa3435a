"""A signalRTrigger parameter annotated other than str or bytes: the worker refuses it."""

import azure.functions as func

app = func.FunctionApp()


@app.generic_trigger(
    arg_name="invocation",
    type="signalRTrigger",
    hubName="chat",
    category="messages",
    event="typing",
)
def typing(invocation: dict) -> None:  # type: ignore[type-arg]
    pass
