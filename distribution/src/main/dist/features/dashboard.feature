description = the operators' web dashboard at /ui (machines, workflows followed live), over the REST API
features = api
bundles = io.ironbell.dashboard
