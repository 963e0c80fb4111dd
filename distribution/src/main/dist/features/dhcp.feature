description = DHCPv4 for known machines, in reservation or proxy mode
features = store
bundles = io.ironbell.dhcp
settings.dhcp.enabled = true
