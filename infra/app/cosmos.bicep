// Cosmos DB for NoSQL, serverless and keyless, with the container docchat keeps every
// document's items in, and the users' notifications beside it. docchat's identity has data-plane rights only, which cannot create a
// database or container, so they are made here exactly as storage/cosmos/container.py
// would make them with a key (tests/infra holds the two to each other).

param name string
param location string
param tags object
param databaseName string
param containerName string
param notificationsContainerName string
@minValue(0)
@maxValue(24855)
param notificationTtlDays int

resource account 'Microsoft.DocumentDB/databaseAccounts@2024-11-15' = {
  name: name
  location: location
  tags: tags
  kind: 'GlobalDocumentDB'
  properties: {
    databaseAccountOfferType: 'Standard'
    locations: [
      {
        locationName: location
        failoverPriority: 0
      }
    ]
    capabilities: [
      {
        name: 'EnableServerless'
      }
    ]
    // Entra only: no account keys, and no control-plane writes through the data plane.
    disableLocalAuth: true
    disableKeyBasedMetadataWriteAccess: true
    minimalTlsVersion: 'Tls12'
    // checkov:skip=CKV_AZURE_99:The Flex Consumption app has no fixed outbound addresses without a virtual network; access is Entra-only (disableLocalAuth).
    // checkov:skip=CKV_AZURE_101:Reached from the app without a virtual network; the endpoint takes Entra tokens only.
    publicNetworkAccess: 'Enabled'
  }
}

resource database 'Microsoft.DocumentDB/databaseAccounts/sqlDatabases@2024-11-15' = {
  parent: account
  name: databaseName
  properties: {
    resource: {
      id: databaseName
    }
  }
}

// Same partition key and indexing policy as storage.cosmos.container (PARTITION_KEY_PATH,
// INDEXING_POLICY): only the paths the queries filter or sort on are indexed.
resource container 'Microsoft.DocumentDB/databaseAccounts/sqlDatabases/containers@2024-11-15' = {
  parent: database
  name: containerName
  properties: {
    resource: {
      id: containerName
      // On, with no default: only the items that carry a ttl (presence, owners) expire.
      defaultTtl: -1
      partitionKey: {
        paths: [
          '/documentId'
        ]
        kind: 'Hash'
        version: 2
      }
      indexingPolicy: {
        indexingMode: 'consistent'
        automatic: true
        includedPaths: [
          {
            path: '/documentId/?'
          }
          {
            path: '/seq/?'
          }
          {
            path: '/position/?'
          }
          {
            path: '/role/?'
          }
          {
            path: '/connectionId/?'
          }
          {
            path: '/threadId/?'
          }
          {
            path: '/listing/?'
          }
        ]
        excludedPaths: [
          {
            path: '/*'
          }
        ]
        // A thread's replies by seq, the timeline's roots (threadId null) by seq backwards;
        // the thread list by latest change.
        compositeIndexes: [
          [
            {
              path: '/threadId'
              order: 'ascending'
            }
            {
              path: '/seq'
              order: 'ascending'
            }
          ]
          [
            {
              path: '/listing'
              order: 'ascending'
            }
            {
              path: '/position'
              order: 'descending'
            }
          ]
        ]
      }
    }
  }
}

// Same partition key and indexing policy as storage.cosmos.notifications (PARTITION_KEY_PATH,
// INDEXING_POLICY): an inbox is one partition, and each of its queries one index range.
resource notificationsContainer 'Microsoft.DocumentDB/databaseAccounts/sqlDatabases/containers@2024-11-15' = {
  parent: database
  name: notificationsContainerName
  properties: {
    resource: {
      id: notificationsContainerName
      // Notifications expire this long after their last write (0 days: never, -1).
      defaultTtl: notificationTtlDays == 0 ? -1 : notificationTtlDays * 86400
      partitionKey: {
        paths: [
          '/userId'
        ]
        kind: 'Hash'
        version: 2
      }
      indexingPolicy: {
        indexingMode: 'consistent'
        automatic: true
        includedPaths: [
          {
            path: '/userId/?'
          }
          {
            path: '/unread/?'
          }
          {
            path: '/sortKey/?'
          }
        ]
        excludedPaths: [
          {
            path: '/*'
          }
        ]
        // The unread ones, newest first.
        compositeIndexes: [
          [
            {
              path: '/unread'
              order: 'ascending'
            }
            {
              path: '/sortKey'
              order: 'descending'
            }
          ]
        ]
      }
    }
  }
}

output name string = account.name
output endpoint string = account.properties.documentEndpoint
