description = iPXE scripts per machine, iPXE binaries and boot artifacts (the in-memory OS) over HTTP
features = store
bundles = io.ironbell.ipxe
