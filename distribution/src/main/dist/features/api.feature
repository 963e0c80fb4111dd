description = the REST API (/api/v1) and the worker API, with tokens and roles
features = store, engine, cli
bundles = io.ironbell.restapi
