// Settings that need one another: fail() stops the provisioning with its message, which azd
// shows, instead of deploying an app that cannot work. Only parameters and outputs here, no
// resource: checkov's Bicep parser does not know fail(), so tests/infra/test_checkov.py
// leaves this file out and checks that it declares no resource.
targetScope = 'subscription'

@allowed(['appservice', 'jwt'])
param authMode string
param authClientId string

// App Service Authentication signs nobody in without the app registration.
output signInClientId string = authMode != 'appservice' || !empty(authClientId)
  ? authClientId
  : fail('DOCCHAT_AUTH=appservice needs the Entra app registration to sign users in with: run azd env set AUTH_CLIENT_ID <application (client) id> (docs/deploy.md, step 2), or use DOCCHAT_AUTH=jwt.')
