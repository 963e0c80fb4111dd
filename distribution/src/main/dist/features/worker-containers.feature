# worker-containers: worker-native and the container action (Tinkerbell's action images through Podman on the in-memory OS)
description = worker-native and the container action: Tinkerbell's action images run by Podman (the containers in-memory OS)
features = worker-native
worker.bundles = io.ironbell.action.container
