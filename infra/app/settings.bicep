// Every app setting the function app gets, and nothing else: the deployment replaces the
// app's settings with exactly this object (tests/infra checks it against chat.settings).
// Keyless throughout: each connection is an endpoint plus the user-assigned identity.

@allowed(['appservice', 'jwt'])
param authMode string
@allowed(['open', 'members'])
param accessMode string
@description('How docchat talks to the real-time service: DOCCHAT_SIGNALR_MODE or DOCCHAT_WEBPUBSUB_MODE.')
@allowed(['rest', 'bindings'])
param realtimeMode string
@allowed(['signalr', 'webpubsub'])
param realtimeBackend string

param identityClientId string
@description('The object id of the identity SignalR signs in with on upstream (its tokens\' sub).')
param identityPrincipalId string
@description('The resource SignalR\'s upstream token is for.')
param upstreamAudience string
param storageBlobEndpoint string
param storageQueueEndpoint string
param appInsightsConnectionString string
param cosmosEndpoint string
param cosmosDatabase string
param cosmosContainer string
param realtimeServiceUri string

param jwtIssuer string
param jwtAudience string
param jwtJwksUrl string

param maxMessageLength int
param postsPerMinute int
param postBurst int
param messageTtlDays int
param cosmosNotificationsContainer string
param notificationTtlDays int
param webhookRetrySchedule string
@description('Who may frame the panel (/embed): space-separated origins; empty: the app itself.')
param frameAncestors string

var httpPerInstanceConcurrency = loadJsonContent('scale.json', '$.httpPerInstanceConcurrency')

// Read by the Functions host, the Python worker and the Azure SDKs, not by docchat. No
// FUNCTIONS_WORKER_RUNTIME or FUNCTIONS_EXTENSION_VERSION: Flex Consumption takes the runtime
// from functionAppConfig and refuses those settings.
var runtimeSettings = {
  // Host storage (secrets, leases) over Entra: blob only; docchat's queues have their own
  // connection (DOCCHAT_QUEUE).
  AzureWebJobsStorage__blobServiceUri: storageBlobEndpoint
  AzureWebJobsStorage__credential: 'managedidentity'
  AzureWebJobsStorage__clientId: identityClientId
  APPLICATIONINSIGHTS_CONNECTION_STRING: appInsightsConnectionString
  // Application Insights refuses keyed ingestion (disableLocalAuth), so telemetry signs in.
  APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'ClientId=${identityClientId};Authorization=AAD'
  // DefaultAzureCredential (Cosmos DB without COSMOS_KEY) picks the user-assigned identity
  // by this; the app has no system-assigned identity to fall back on.
  AZURE_CLIENT_ID: identityClientId
  // The Python worker's threads for sync functions: one for each HTTP invocation the
  // instance admits (api.bicep's perInstanceConcurrency), whatever CPU count it reports.
  PYTHON_THREADPOOL_THREAD_COUNT: string(httpPerInstanceConcurrency)
}

// chat.settings. No COSMOS_KEY: without one docchat signs in with the identity.
var docchatSettings = {
  DOCCHAT_REALTIME: realtimeBackend
  DOCCHAT_AUTH: authMode
  DOCCHAT_ACCESS: accessMode
  DOCCHAT_MAX_MESSAGE_LENGTH: string(maxMessageLength)
  DOCCHAT_POSTS_PER_MINUTE: string(postsPerMinute)
  DOCCHAT_POST_BURST: string(postBurst)
  DOCCHAT_MESSAGE_TTL_DAYS: string(messageTtlDays)
  DOCCHAT_WEBHOOK_RETRY_SCHEDULE: webhookRetrySchedule
  // The panel's CSP frame-ancestors (functions/web.py); the full page may never be framed.
  DOCCHAT_FRAME_ANCESTORS: empty(frameAncestors) ? '\'self\'' : frameAncestors
  COSMOS_ENDPOINT: cosmosEndpoint
  COSMOS_DATABASE: cosmosDatabase
  COSMOS_CONTAINER: cosmosContainer
  COSMOS_NOTIFICATIONS_CONTAINER: cosmosNotificationsContainer
  DOCCHAT_NOTIFICATION_TTL_DAYS: string(notificationTtlDays)
  // The work queues, read by storage/queues.py and, as the queue triggers' connection, by
  // the Storage Queues extension: identity-based, on the app's storage account.
  DOCCHAT_QUEUE__queueServiceUri: storageQueueEndpoint
  DOCCHAT_QUEUE__credential: 'managedidentity'
  DOCCHAT_QUEUE__clientId: identityClientId
  // telemetry/: user ids go to Application Insights hashed ('plain' to see them as they are).
  DOCCHAT_TELEMETRY_USER_IDS: 'hashed'
}

// The issuer's published keys: no shared secret to keep in app settings.
var jwtSettings = authMode == 'jwt' ? {
  DOCCHAT_JWT_ISSUER: jwtIssuer
  DOCCHAT_JWT_AUDIENCE: jwtAudience
  DOCCHAT_JWT_JWKS_URL: jwtJwksUrl
} : {}

// The SignalR extension's identity-based connection (extension 1.7.0 and later).
var signalrSettings = realtimeBackend == 'signalr' ? {
  DOCCHAT_SIGNALR_MODE: realtimeMode
  AzureSignalRConnectionString__serviceUri: realtimeServiceUri
  AzureSignalRConnectionString__credential: 'managedidentity'
  AzureSignalRConnectionString__clientId: identityClientId
  // The upstream's bearer token (Entra v1 access tokens of a managed identity), checked
  // against the tenant's published keys: realtime/upstream_auth.py.
  DOCCHAT_UPSTREAM_AUDIENCE: upstreamAudience
  DOCCHAT_UPSTREAM_ISSUER: 'https://sts.windows.net/${tenant().tenantId}/'
  DOCCHAT_UPSTREAM_JWKS_URL: '${environment().authentication.loginEndpoint}${tenant().tenantId}/discovery/v2.0/keys'
  DOCCHAT_UPSTREAM_PRINCIPAL_ID: identityPrincipalId
} : {}

// Web PubSub's connection, named as the Web PubSub extension reads it (identity-based).
var webPubSubSettings = realtimeBackend == 'webpubsub' ? {
  DOCCHAT_WEBPUBSUB_MODE: realtimeMode
  WebPubSubConnectionString__serviceUri: realtimeServiceUri
  WebPubSubConnectionString__credential: 'managedidentity'
  WebPubSubConnectionString__clientId: identityClientId
  WebPubSubHub: 'documents'
} : {}

output appSettings object = union(runtimeSettings, docchatSettings, jwtSettings, signalrSettings, webPubSubSettings)
