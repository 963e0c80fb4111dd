description = TFTP for iPXE's binaries (RFC 1350, 2347-2349, 7440)
features = core
bundles = io.ironbell.tftp
settings.tftp.enabled = true
