// Azure SignalR Service in Serverless mode, keyless, and the role that lets the app's
// identity use it. Its upstream (events to the function app's SignalR extension, with the
// extension's system key) is written after the code is deployed, by the azd hook
// scripts/wire-realtime.sh: a host without code cannot be relied on for its keys.

param name string
param location string
param tags object
param sku string
param units int
param allowedOrigins array
param principalId string
@description('The app\'s user-assigned identity: the service signs in with it on upstream.')
param identityId string

// Serverless negotiation and the REST API under Entra (REFERENCE.md 15.3).
var signalrServiceOwner = '7e4f1700-ea5a-4f59-8f37-079cfe29dce3'

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
  }
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
