"""Two functions for one upstream event: the extension refuses to start."""

import azure.functions as func

app = func.FunctionApp()


@app.generic_trigger(
    arg_name="invocation",
    type="signalRTrigger",
    hubName="chat",
    category="messages",
    event="typing",
)
def typing(invocation: str) -> None:
    pass


@app.generic_trigger(
    arg_name="invocation",
    type="signalRTrigger",
    hubName="Chat",
    category="Messages",
    event="TYPING",
)
def typing_again(invocation: str) -> None:
    pass
