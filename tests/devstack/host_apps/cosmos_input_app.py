"""Uses a binding the dev host does not carry out (Cosmos DB input)."""

import azure.functions as func

app = func.FunctionApp()


@app.route(route="items/{id}")
@app.cosmos_db_input(
    arg_name="item",
    database_name="db",
    container_name="items",
    connection="COSMOS",
    id="{id}",
    partition_key="{id}",
)
def read_item(req: func.HttpRequest, item: func.DocumentList) -> str:
    return "never indexed"
