#!/bin/sh
# azd hook (azure.yaml: postprovision and postdeploy). Points the real-time service at the
# function app's extension webhook, with the extension's system key in the URL:
#   SignalR:    the upstream template of hub `documents` -> /runtime/webhooks/signalr
#   Web PubSub: the event handler of hub `documents`     -> /runtime/webhooks/webpubsub
#
# Why here and not in infra/: the key belongs to the Functions host, and asking a host that
# has no code yet for keys during provisioning fails now and then (Azure/bicep-types-az#1356).
# The official azd samples read extension keys after deployment the same way
# (Azure-Samples/functions-quickstart-python-azd-eventgrid-blob, scripts/post-up.sh).
#
#   postdeploy     the code is there: read the key, create it if the host has not yet, wire.
#   postprovision  a provision rewrites the service without its webhook; re-wire it when the
#                  app already has its key, else leave it to postdeploy (first `azd up`).
#
# Idempotent: each run writes the whole upstream (or hub) again, so a re-run, or a run after
# the key was renewed, leaves exactly one webhook with the current key.
# The key never goes on a command line: az prints it, and the request body that carries it
# goes to az from a file only this user can read, removed on exit.
set -eu

stage=${1:-postdeploy}
hub=documents
api_version=2024-03-01
attempts=${DOCCHAT_HOOK_ATTEMPTS:-10}
pause=${DOCCHAT_HOOK_PAUSE_SECONDS:-6}

: "${AZURE_SUBSCRIPTION_ID:?is not set: run this hook through azd}"
: "${AZURE_RESOURCE_GROUP:?is not set: run azd provision first}"
: "${SERVICE_API_NAME:?is not set: run azd provision first}"
: "${SERVICE_API_URI:?is not set: run azd provision first}"
: "${REALTIME_BACKEND:?is not set: run azd provision first}"
: "${REALTIME_SERVICE_NAME:?is not set: run azd provision first}"

service="/subscriptions/$AZURE_SUBSCRIPTION_ID/resourceGroups/$AZURE_RESOURCE_GROUP/providers/Microsoft.SignalRService"
case "$REALTIME_BACKEND" in
signalr)
    key_name=signalr_extension
    method=patch
    resource="$service/signalR/$REALTIME_SERVICE_NAME?api-version=$api_version"
    ;;
webpubsub)
    key_name=webpubsub_extension
    method=put
    resource="$service/webPubSub/$REALTIME_SERVICE_NAME/hubs/$hub?api-version=$api_version"
    ;;
*)
    echo "wire-realtime: REALTIME_BACKEND is '$REALTIME_BACKEND'; expected signalr or webpubsub" >&2
    exit 1
    ;;
esac

read_key() {
    az functionapp keys list --resource-group "$AZURE_RESOURCE_GROUP" --name "$SERVICE_API_NAME" \
        --query "systemKeys.$key_name" --output tsv 2>/dev/null
}

# The host makes the key when the extension loads; made here first, the host uses it as is.
create_key() {
    az functionapp keys set --resource-group "$AZURE_RESOURCE_GROUP" --name "$SERVICE_API_NAME" \
        --key-type systemKeys --key-name "$key_name" --query value --output tsv 2>/dev/null
}

key=""
if [ "$stage" = postprovision ]; then
    key=$(read_key) || key=""
    if [ -z "$key" ]; then
        echo "wire-realtime: $SERVICE_API_NAME has no $key_name yet; the postdeploy hook wires $REALTIME_BACKEND."
        exit 0
    fi
else
    # A freshly deployed host may still be starting: a bounded number of tries.
    try=1
    while :; do
        # Made only when the host answered without it: an error is no proof it is missing.
        if key=$(read_key); then
            [ -n "$key" ] || key=$(create_key) || key=""
        else
            key=""
        fi
        [ -z "$key" ] || break
        if [ "$try" -ge "$attempts" ]; then
            echo "wire-realtime: no $key_name from $SERVICE_API_NAME after $attempts tries; check that the deployment succeeded, then run: azd hooks run postdeploy" >&2
            exit 1
        fi
        try=$((try + 1))
        sleep "$pause"
    done
fi

# Host keys are base64url text; anything else would not belong in a URL or in JSON.
case "$key" in
*[!A-Za-z0-9_=-]*)
    echo "wire-realtime: $key_name is not a host key as expected; nothing changed" >&2
    exit 1
    ;;
esac

webhook="$SERVICE_API_URI/runtime/webhooks/$REALTIME_BACKEND?code=$key"

body=$(mktemp) # mode 600
trap 'rm -f "$body"' EXIT
if [ "$REALTIME_BACKEND" = signalr ]; then
    # Every event of hub `documents` to the SignalR extension, with a bearer token from the
    # service's user-assigned identity for the app to check: the extension checks nothing
    # but the system key for an identity-based connection (docs/deploy.md, threat model).
    : "${REALTIME_UPSTREAM_AUDIENCE:?is not set: run azd provision first}"
    cat >"$body" <<EOF
{"properties": {"upstream": {"templates": [
  {"hubPattern": "$hub", "categoryPattern": "*", "eventPattern": "*", "urlTemplate": "$webhook",
   "auth": {"type": "ManagedIdentity", "managedIdentity": {"resource": "$REALTIME_UPSTREAM_AUDIENCE"}}}
]}}}
EOF
else
    # Only the events docchat has functions for. No blocking connect: the user id and roles
    # are in the token negotiate signs, and the extension answers an event no function takes
    # with an error, which would refuse every connection. The hub's PUT replaces it whole, so
    # it repeats infra/app/webpubsub.bicep's anonymousConnectPolicy.
    cat >"$body" <<EOF
{"properties": {"anonymousConnectPolicy": "Deny", "eventHandlers": [
  {"urlTemplate": "$webhook", "userEventPattern": "typing", "systemEvents": ["connected", "disconnected"]}
]}}
EOF
fi

az rest --method "$method" --url "$resource" --body "@$body" --output none
echo "wire-realtime: $REALTIME_BACKEND $REALTIME_SERVICE_NAME sends hub $hub's events to $SERVICE_API_URI/runtime/webhooks/$REALTIME_BACKEND."
