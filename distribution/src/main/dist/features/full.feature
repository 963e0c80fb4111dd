description = everything: the distribution as it ships
features = core, store, engine, api, dashboard, manifests, bmc, discovery, shell, dhcp, tftp, ipxe, metadata, syslog, worker-containers
settings.dhcp.enabled = false
settings.tftp.enabled = false
settings.syslog.enabled = false
