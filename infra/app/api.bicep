// The function app: Flex Consumption, Python 3.11, one user-assigned identity for everything
// (deployment package, host storage, telemetry, Cosmos DB, the real-time service).

param name string
param location string
param tags object
param planId string
param identityId string
param deploymentContainerUrl string
param appSettings object
param allowedOrigins array
param maximumInstanceCount int
param instanceMemoryMB int

@allowed(['appservice', 'jwt'])
param authMode string
@description('Entra app registration (client) id App Service Authentication signs users in with.')
param authClientId string
@description('Its issuer, e.g. https://login.microsoftonline.com/<tenant id>/v2.0.')
param authOpenIdIssuer string

// Replace, not merge: a setting dropped here (e.g. after switching auth mode) must not
// linger in the app.
var appSettingsConfig = {
  name: 'appsettings'
  retainCurrentAppSettings: false
  properties: appSettings
}

// App Service Authentication for DOCCHAT_AUTH=appservice. It strips any X-MS-CLIENT-PRINCIPAL
// a caller sends and sets its own, which is what makes those headers trustworthy. Anonymous
// requests still reach docchat, which answers 401 itself: backend services (function key)
// and the SignalR or Web PubSub webhooks (system key) carry no user.
var authSettings = {
  name: 'authsettingsV2'
  properties: {
    platform: {
      enabled: true
    }
    globalValidation: {
      requireAuthentication: false
      unauthenticatedClientAction: 'AllowAnonymous'
    }
    httpSettings: {
      requireHttps: true
    }
    identityProviders: {
      azureActiveDirectory: {
        enabled: true
        // No client secret: sign-in uses the ID token flow, so nothing secret is stored.
        registration: {
          clientId: authClientId
          openIdIssuer: authOpenIdIssuer
        }
        validation: {
          allowedAudiences: [
            authClientId
            'api://${authClientId}'
          ]
        }
      }
    }
    // Instances keep nothing on disk in Flex Consumption; docchat needs only the headers.
    login: {
      tokenStore: {
        enabled: false
      }
    }
  }
}

module site 'br/public:avm/res/web/site:0.24.0' = {
  name: 'function-app'
  params: {
    name: name
    location: location
    tags: union(tags, { 'azd-service-name': 'api' })
    kind: 'functionapp,linux'
    serverFarmResourceId: planId
    httpsOnly: true
    managedIdentities: {
      userAssignedResourceIds: [
        identityId
      ]
    }
    functionAppConfig: {
      deployment: {
        storage: {
          type: 'blobContainer'
          value: deploymentContainerUrl
          authentication: {
            type: 'UserAssignedIdentity'
            userAssignedIdentityResourceId: identityId
          }
        }
      }
      scaleAndConcurrency: {
        maximumInstanceCount: maximumInstanceCount
        instanceMemoryMB: instanceMemoryMB
        // Set, not left to Azure's default for Python (1): sends on one instance overlap,
        // so appends to one document can share a batch (docs/capacity.md). scale.json is
        // the one place for it; the dev host reads it too.
        triggers: {
          http: {
            perInstanceConcurrency: loadJsonContent('scale.json', '$.httpPerInstanceConcurrency')
          }
        }
      }
      runtime: {
        name: 'python'
        version: '3.11'
      }
    }
    siteConfig: {
      minTlsVersion: '1.2'
      ftpsState: 'Disabled'
      http20Enabled: true
      cors: {
        allowedOrigins: allowedOrigins
      }
    }
    basicPublishingCredentialsPolicies: [
      {
        name: 'ftp'
        allow: false
      }
      {
        name: 'scm'
        allow: false
      }
    ]
    configs: authMode == 'appservice' ? [appSettingsConfig, authSettings] : [appSettingsConfig]
  }
}

output name string = site.outputs.name
output defaultHostname string = site.outputs.defaultHostname
