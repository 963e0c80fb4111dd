description = discovery and enrollment: machines no record names get one when they netboot, report their inventory, and the operator's rules enroll them
features = api
bundles = io.ironbell.discovery
