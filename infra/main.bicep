// docchat on Azure: `azd up` provisions this, then deploys the app into it (docs/deploy.md).
// Keyless: one user-assigned identity reaches storage, telemetry, Cosmos DB and the
// real-time service through role assignments; no resource here accepts a key.
targetScope = 'subscription'

@minLength(1)
@maxLength(64)
@description('azd environment name; names and tags every resource.')
param environmentName string

// The regions that offer Flex Consumption, as the official azd Functions template lists them
// (Azure-Samples/functions-quickstart-python-http-azd, infra/main.bicep), less the canary
// region eastus2euap. azd offers only these when it asks for a location.
@minLength(1)
@description('Region for everything; it must offer Flex Consumption.')
@allowed([
  'australiaeast'
  'australiasoutheast'
  'brazilsouth'
  'canadacentral'
  'centralindia'
  'centralus'
  'eastasia'
  'eastus'
  'eastus2'
  'francecentral'
  'germanywestcentral'
  'italynorth'
  'japaneast'
  'koreacentral'
  'northcentralus'
  'northeurope'
  'norwayeast'
  'southafricanorth'
  'southcentralus'
  'southeastasia'
  'southindia'
  'spaincentral'
  'swedencentral'
  'uaenorth'
  'uksouth'
  'ukwest'
  'westcentralus'
  'westeurope'
  'westus'
  'westus2'
  'westus3'
])
@metadata({
  azd: {
    type: 'location'
  }
})
param location string

@description('How docchat knows a caller (DOCCHAT_AUTH): App Service Authentication, or bearer tokens.')
@allowed(['appservice', 'jwt'])
param authMode string = 'appservice'

@description('Who may see which document (DOCCHAT_ACCESS).')
@allowed(['open', 'members'])
param accessMode string = 'open'

@description('How docchat talks to the real-time service: through the Functions bindings or its REST API (DOCCHAT_SIGNALR_MODE, or DOCCHAT_WEBPUBSUB_MODE).')
@allowed(['rest', 'bindings'])
param realtimeMode string = 'rest'

@description('The real-time service: Azure SignalR Service or Azure Web PubSub.')
@allowed(['signalr', 'webpubsub'])
param realtimeBackend string = 'signalr'

@description('SKU of the real-time service, e.g. Free_F1, Standard_S1, Premium_P1.')
param realtimeSku string = 'Standard_S1'

@description('Units of the real-time service (1,000 concurrent connections each on Standard).')
param realtimeUnits int = 1

@description('Comma-separated browser origins allowed to call the app and the real-time service, e.g. https://chat.example.com.')
param webOrigins string = ''

@description('Space-separated origins allowed to frame the chat panel (/embed), e.g. https://docs.example.com; empty: only the app itself (DOCCHAT_FRAME_ANCESTORS).')
param frameAncestors string = ''

@description('authMode=appservice: the Entra app registration (client) id users sign in with.')
param authClientId string = ''

@description('authMode=appservice: its issuer; the default is this tenant.')
param authOpenIdIssuer string = '${environment().authentication.loginEndpoint}${tenant().tenantId}/v2.0'

@description('authMode=jwt: the accepted token issuer (DOCCHAT_JWT_ISSUER).')
param jwtIssuer string = ''

@description('authMode=jwt: the accepted audience (DOCCHAT_JWT_AUDIENCE).')
param jwtAudience string = ''

@description('authMode=jwt: the issuer\'s JWKS URL, https (DOCCHAT_JWT_JWKS_URL).')
param jwtJwksUrl string = ''

@description('Longest message text in characters (DOCCHAT_MAX_MESSAGE_LENGTH).')
param maxMessageLength int = 4000

@description('Steady posting rate per user and instance, 0 for none (DOCCHAT_POSTS_PER_MINUTE).')
param postsPerMinute int = 60

@description('Posting burst per user and instance (DOCCHAT_POST_BURST).')
param postBurst int = 20

@description('Seconds between the tries of a webhook delivery, comma-separated, each spread by up to 20% (DOCCHAT_WEBHOOK_RETRY_SCHEDULE): the Standard Webhooks example, 8 tries over about 27.6 hours.')
param webhookRetrySchedule string = '5,300,1800,7200,18000,36000,36000'

@description('Days after its last write a message expires (Cosmos DB time to live, DOCCHAT_MESSAGE_TTL_DAYS); 0 keeps messages for ever.')
@minValue(0)
@maxValue(24855)
param messageTtlDays int = 0

@description('Cosmos DB database (COSMOS_DATABASE).')
param cosmosDatabaseName string = 'docchat'

@description('Cosmos DB container (COSMOS_CONTAINER).')
param cosmosContainerName string = 'messages'

@description('Cosmos DB container of the users\' notifications, partitioned by user (COSMOS_NOTIFICATIONS_CONTAINER).')
param cosmosNotificationsContainerName string = 'notifications'

@description('Days after its last write a notification expires (the notifications container\'s default time to live, DOCCHAT_NOTIFICATION_TTL_DAYS); 0 keeps them for ever.')
@minValue(0)
@maxValue(24855)
param notificationTtlDays int = 90

@description('Most instances the function app scales out to.')
param maximumInstanceCount int = 100

@description('Memory of each instance, 2048 or 4096 MB.')
@allowed([2048, 4096])
param instanceMemoryMB int = 2048

var token = toLower(uniqueString(subscription().id, environmentName, location))
var tags = {
  'azd-env-name': environmentName
}
var functionAppName = 'func-${token}'
var signalrName = 'sigr-${token}'
var webPubSubName = 'wps-${token}'
var deploymentContainer = 'app-package-${token}'
var webOriginList = empty(webOrigins) ? [] : split(webOrigins, ',')
// Known before the service exists, so the app's settings and the service's upstream (which
// needs the app) do not depend on each other. Public Azure cloud host names.
var signalrUri = 'https://${signalrName}.service.signalr.net'
var webPubSubUri = 'https://${webPubSubName}.webpubsub.azure.com'
var realtimeServiceUri = realtimeBackend == 'signalr' ? signalrUri : webPubSubUri

resource rg 'Microsoft.Resources/resourceGroups@2024-03-01' = {
  name: 'rg-${environmentName}'
  location: location
  tags: tags
}

module identity 'br/public:avm/res/managed-identity/user-assigned-identity:0.6.0' = {
  scope: rg
  name: 'identity'
  params: {
    name: 'id-${token}'
    location: location
    tags: tags
  }
}

module storage 'br/public:avm/res/storage/storage-account:0.33.0' = {
  scope: rg
  name: 'storage'
  params: {
    name: 'st${token}'
    location: location
    tags: tags
    skuName: 'Standard_LRS'
    // Entra only, for the deployment package and the Functions host alike.
    allowSharedKeyAccess: false
    defaultToOAuthAuthentication: true
    allowBlobPublicAccess: false
    minimumTlsVersion: 'TLS1_2'
    publicNetworkAccess: 'Enabled'
    networkAcls: {
      defaultAction: 'Allow'
      bypass: 'AzureServices'
    }
    // Passing blobServices replaces the module's default, which carries its soft delete:
    // kept here as the module sets it (tests/infra holds the two to each other).
    blobServices: {
      containerDeleteRetentionPolicyEnabled: true
      containerDeleteRetentionPolicyDays: 7
      deleteRetentionPolicyEnabled: true
      deleteRetentionPolicyDays: 6
      containers: [
        {
          name: deploymentContainer
        }
      ]
    }
    // docchat's work queues (storage/queues.py) and the poison queues the queue trigger
    // moves a message to after its last try: created here, as the app's identity only
    // sends, receives and deletes messages.
    queueServices: {
      queues: [
        { name: 'docchat-outbox' }
        { name: 'docchat-outbox-poison' }
        { name: 'docchat-webhooks' }
        { name: 'docchat-webhooks-poison' }
      ]
    }
  }
}

module logs 'br/public:avm/res/operational-insights/workspace:0.16.1' = {
  scope: rg
  name: 'logs'
  params: {
    name: 'log-${token}'
    location: location
    tags: tags
    dataRetention: 30
  }
}

module appInsights 'br/public:avm/res/insights/component:0.8.0' = {
  scope: rg
  name: 'app-insights'
  params: {
    name: 'appi-${token}'
    location: location
    tags: tags
    workspaceResourceId: logs.outputs.resourceId
    // Telemetry only with an Entra token (the Monitoring Metrics Publisher role).
    disableLocalAuth: true
  }
}

module plan 'br/public:avm/res/web/serverfarm:0.7.0' = {
  scope: rg
  name: 'plan'
  params: {
    name: 'plan-${token}'
    location: location
    tags: tags
    kind: 'functionapp'
    skuName: 'FC1'
    reserved: true
    zoneRedundant: false
  }
}

module cosmos 'app/cosmos.bicep' = {
  scope: rg
  name: 'cosmos'
  params: {
    name: 'cosmos-${token}'
    location: location
    tags: tags
    databaseName: cosmosDatabaseName
    containerName: cosmosContainerName
    notificationsContainerName: cosmosNotificationsContainerName
    notificationTtlDays: notificationTtlDays
  }
}

// The resource SignalR's upstream token is for, and which docchat checks (DOCCHAT_UPSTREAM_*):
// the app registration users sign in to, which exists in either auth mode.
var upstreamAudience = authMode == 'appservice' ? authClientId : jwtAudience

module settings 'app/settings.bicep' = {
  scope: rg
  name: 'app-settings'
  params: {
    authMode: authMode
    accessMode: accessMode
    realtimeMode: realtimeMode
    realtimeBackend: realtimeBackend
    identityClientId: identity.outputs.clientId
    identityPrincipalId: identity.outputs.principalId
    upstreamAudience: upstreamAudience
    storageBlobEndpoint: storage.outputs.serviceEndpoints.blob
    storageQueueEndpoint: storage.outputs.serviceEndpoints.queue
    appInsightsConnectionString: appInsights.outputs.connectionString
    cosmosEndpoint: cosmos.outputs.endpoint
    cosmosDatabase: cosmosDatabaseName
    cosmosContainer: cosmosContainerName
    cosmosNotificationsContainer: cosmosNotificationsContainerName
    notificationTtlDays: notificationTtlDays
    realtimeServiceUri: realtimeServiceUri
    jwtIssuer: jwtIssuer
    jwtAudience: jwtAudience
    jwtJwksUrl: jwtJwksUrl
    maxMessageLength: maxMessageLength
    postsPerMinute: postsPerMinute
    postBurst: postBurst
    messageTtlDays: messageTtlDays
    webhookRetrySchedule: webhookRetrySchedule
    frameAncestors: frameAncestors
  }
}

// Settings that need one another, checked before the app is deployed with them.
module guards 'app/guards.bicep' = {
  name: 'guards'
  params: {
    authMode: authMode
    authClientId: authClientId
  }
}

module api 'app/api.bicep' = {
  scope: rg
  name: 'api'
  params: {
    name: functionAppName
    location: location
    tags: tags
    planId: plan.outputs.resourceId
    identityId: identity.outputs.resourceId
    deploymentContainerUrl: '${storage.outputs.serviceEndpoints.blob}${deploymentContainer}'
    appSettings: settings.outputs.appSettings
    allowedOrigins: webOriginList
    maximumInstanceCount: maximumInstanceCount
    instanceMemoryMB: instanceMemoryMB
    authMode: authMode
    authClientId: guards.outputs.signInClientId
    authOpenIdIssuer: authOpenIdIssuer
  }
}

module rbac 'app/rbac.bicep' = {
  scope: rg
  name: 'rbac'
  params: {
    principalId: identity.outputs.principalId
    storageAccountName: storage.outputs.name
    appInsightsName: appInsights.outputs.name
    cosmosAccountName: cosmos.outputs.name
  }
}

module alerts 'app/alerts.bicep' = {
  scope: rg
  name: 'alerts'
  params: {
    location: location
    tags: tags
    token: token
    appInsightsName: appInsights.outputs.name
  }
}

module signalr 'app/signalr.bicep' = if (realtimeBackend == 'signalr') {
  scope: rg
  name: 'signalr'
  params: {
    name: signalrName
    location: location
    tags: tags
    sku: realtimeSku
    units: realtimeUnits
    // The app's own origin too, for a page served next to it.
    allowedOrigins: union([
      'https://${api.outputs.defaultHostname}'
    ], webOriginList)
    principalId: identity.outputs.principalId
    identityId: identity.outputs.resourceId
  }
}

module webPubSub 'app/webpubsub.bicep' = if (realtimeBackend == 'webpubsub') {
  scope: rg
  name: 'web-pubsub'
  params: {
    name: webPubSubName
    location: location
    tags: tags
    sku: realtimeSku
    units: realtimeUnits
    principalId: identity.outputs.principalId
  }
}

// Names and endpoints only: nothing here is a secret.
output AZURE_LOCATION string = location
output AZURE_TENANT_ID string = tenant().tenantId
output AZURE_RESOURCE_GROUP string = rg.name
output SERVICE_API_NAME string = api.outputs.name
output SERVICE_API_URI string = 'https://${api.outputs.defaultHostname}'
output COSMOS_ENDPOINT string = cosmos.outputs.endpoint
output REALTIME_SERVICE_URI string = realtimeServiceUri
// For the azd hook that wires the service's webhook once the code is deployed.
output REALTIME_BACKEND string = realtimeBackend
output REALTIME_SERVICE_NAME string = realtimeBackend == 'signalr' ? signalrName : webPubSubName
// The resource SignalR's upstream token is for (the wire-realtime hook writes the upstream's
// auth with it); docchat checks it as DOCCHAT_UPSTREAM_AUDIENCE.
output REALTIME_UPSTREAM_AUDIENCE string = upstreamAudience
