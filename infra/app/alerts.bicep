// Alert rules on Application Insights: what an operator of docchat is alerted to. The
// rules, thresholds and KQL live in alerts.json (README, "Operating docchat"; tests/infra
// holds them to the names docchat's telemetry reports). Fired alerts show in Azure Monitor;
// route them to people with an action group of the subscription's own.

param location string
param tags object
param token string
param appInsightsName string

var alerts = loadJsonContent('alerts.json')

resource appInsights 'Microsoft.Insights/components@2020-02-02' existing = {
  name: appInsightsName
}

resource rules 'Microsoft.Insights/scheduledQueryRules@2023-12-01' = [
  for rule in alerts.rules: {
    name: 'alert-${rule.name}-${token}'
    location: location
    tags: tags
    kind: 'LogAlert'
    properties: {
      displayName: 'docchat: ${rule.title}'
      description: rule.description
      severity: rule.severity
      enabled: true
      scopes: [
        appInsights.id
      ]
      evaluationFrequency: alerts.evaluationFrequency
      windowSize: alerts.windowSize
      criteria: {
        allOf: [
          {
            query: rule.query
            timeAggregation: 'Maximum'
            metricMeasureColumn: rule.measure
            operator: 'GreaterThan'
            threshold: rule.threshold
            failingPeriods: {
              numberOfEvaluationPeriods: 1
              minFailingPeriodsToAlert: 1
            }
          }
        ]
      }
      autoMitigate: true
    }
  }
]
