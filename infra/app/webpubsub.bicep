// Azure Web PubSub, keyless, with hub `documents` sending its events to the function app's
// Web PubSub extension, and the role that lets the app's identity use it. Chosen by
// realtimeBackend=webpubsub; docchat serves it once issue 13 lands.

param name string
param location string
param tags object
param sku string
param units int
param functionAppName string
param principalId string

var hub = 'documents'
var webPubSubServiceOwner = '12cf5a90-567b-43ae-8102-96cf46c7d9b4'

resource functionApp 'Microsoft.Web/sites@2023-12-01' existing = {
  name: functionAppName
}

// Made here so the event handler URL can carry it before any trigger has loaded.
resource extensionKey 'Microsoft.Web/sites/host/systemkeys@2021-03-01' = {
  name: '${functionAppName}/default/webpubsub_extension'
  properties: {
    name: 'webpubsub_extension'
  }
}

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
    eventHandlers: [
      {
        urlTemplate: 'https://${functionApp.properties.defaultHostName}/runtime/webhooks/webpubsub?code=${listKeys('${functionApp.id}/host/default', '2022-03-01').systemKeys.webpubsub_extension}'
        // Only the events docchat has functions for. No blocking connect: the user id and
        // roles are in the token negotiate signs, and the extension answers an event no
        // function takes with an error, which would refuse every connection.
        userEventPattern: 'typing'
        systemEvents: [
          'connected'
          'disconnected'
        ]
      }
    ]
  }
  dependsOn: [
    extensionKey
  ]
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
