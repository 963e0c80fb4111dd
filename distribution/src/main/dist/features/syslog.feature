description = machine logs over syslog (UDP, RFC 3164 and 5424) from the in-memory OS
features = store
bundles = io.ironbell.syslog
settings.syslog.enabled = true
