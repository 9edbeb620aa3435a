// Azure Web PubSub, keyless, with hub `documents`, and the role that lets the app's identity
// use it. Chosen by realtimeBackend=webpubsub. The hub's event handler (events to the
// function app's Web PubSub extension, with the extension's system key) is written after the
// code is deployed, by the azd hook scripts/wire-realtime.sh: a host without code cannot be
// relied on for its keys.

param name string
param location string
param tags object
param sku string
param units int
param principalId string

var hub = 'documents'
var webPubSubServiceOwner = '12cf5a90-567b-43ae-8102-96cf46c7d9b4'

resource webPubSub 'Microsoft.SignalRService/webPubSub@2024-03-01' = {
  name: name
  location: location
  tags: tags
  kind: 'WebPubSub'
  sku: {
    name: sku
    capacity: units
  }
  // checkov:skip=CKV_AZURE_176:The service calls only the function app's webhook, which the extension's system key authenticates; it reaches no Azure resource an identity would be for.
  properties: {
    // Entra only: clients connect with tokens docchat's negotiate obtains.
    disableLocalAuth: true
    disableAadAuth: false
    publicNetworkAccess: 'Enabled'
    tls: {
      clientCertEnabled: false
    }
  }
}

resource documents 'Microsoft.SignalRService/webPubSub/hubs@2024-03-01' = {
  parent: webPubSub
  name: hub
  properties: {
    // Every client needs a token from negotiate.
    anonymousConnectPolicy: 'Deny'
  }
}

resource owner 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(webPubSub.id, principalId, webPubSubServiceOwner)
  scope: webPubSub
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', webPubSubServiceOwner)
    principalId: principalId
    principalType: 'ServicePrincipal'
  }
}
