description = Tinkerbell's Kubernetes objects: ironbell apply, and ironbell get KIND NAME --format tinkerbell
features = api
bundles = io.ironbell.manifests
