// Azure SignalR Service in Serverless mode, keyless, sending its upstream events to the
// function app's SignalR extension, and the role that lets the app's identity use it.

param name string
param location string
param tags object
param sku string
param units int
param functionAppName string
param allowedOrigins array
param principalId string
@description('The app\'s user-assigned identity: the service signs in with it on upstream.')
param identityId string
@description('The resource the upstream token is for; docchat checks it (DOCCHAT_UPSTREAM_AUDIENCE).')
param upstreamAudience string

var hub = 'documents'
// Serverless negotiation and the REST API under Entra (REFERENCE.md 15.3).
var signalrServiceOwner = '7e4f1700-ea5a-4f59-8f37-079cfe29dce3'

resource functionApp 'Microsoft.Web/sites@2023-12-01' existing = {
  name: functionAppName
}

// The host creates the extension's system key only once a SignalR trigger has loaded; made
// here, the key exists before the upstream URL below needs it.
resource extensionKey 'Microsoft.Web/sites/host/systemkeys@2021-03-01' = {
  name: '${functionAppName}/default/signalr_extension'
  properties: {
    name: 'signalr_extension'
  }
}

resource signalr 'Microsoft.SignalRService/signalR@2024-03-01' = {
  name: name
  location: location
  tags: tags
  kind: 'SignalR'
  // The identity the upstream's token is of (DOCCHAT_UPSTREAM_PRINCIPAL_ID): the app's own.
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: {
      '${identityId}': {}
    }
  }
  sku: {
    name: sku
    capacity: units
  }
  properties: {
    features: [
      {
        flag: 'ServiceMode'
        value: 'Serverless'
      }
      {
        flag: 'EnableConnectivityLogs'
        value: 'True'
      }
    ]
    // Entra only: clients get tokens through docchat's negotiate, servers through RBAC.
    disableLocalAuth: true
    disableAadAuth: false
    publicNetworkAccess: 'Enabled'
    tls: {
      clientCertEnabled: false
    }
    cors: {
      allowedOrigins: allowedOrigins
    }
    // One template for the hub. An identity-based connection has no AccessKey to sign
    // upstream requests with, so the extension checks nothing but the system key in the
    // URL; the service's bearer token, which docchat checks, proves the event is its own.
    upstream: {
      templates: [
        {
          hubPattern: hub
          categoryPattern: '*'
          eventPattern: '*'
          urlTemplate: 'https://${functionApp.properties.defaultHostName}/runtime/webhooks/signalr?code=${listKeys('${functionApp.id}/host/default', '2022-03-01').systemKeys.signalr_extension}'
          auth: {
            type: 'ManagedIdentity'
            managedIdentity: {
              resource: upstreamAudience
            }
          }
        }
      ]
    }
  }
  dependsOn: [
    extensionKey
  ]
}

resource owner 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(signalr.id, principalId, signalrServiceOwner)
  scope: signalr
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', signalrServiceOwner)
    principalId: principalId
    principalType: 'ServicePrincipal'
  }
}
