description = the EC2-compatible metadata service for installed machines
features = store
bundles = io.ironbell.metadata
