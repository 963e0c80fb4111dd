# core: the OSGi container's services, logging, the HTTP server (/healthz, /readyz, /metrics), TLS
description = the container (SCR, ConfigAdmin, FileInstall, the log service), logging, the framework API, the HTTP server with TLS
bundles = io.ironbell.api, io.ironbell.logging, io.ironbell.http, \
  org.apache.felix.scr, org.osgi.service.component, org.osgi.util.promise, org.osgi.util.function, \
  org.apache.felix.configadmin, org.apache.felix.fileinstall, org.apache.felix.log, \
  com.fasterxml.jackson.core.jackson-core, com.fasterxml.jackson.core.jackson-databind, com.fasterxml.jackson.core.jackson-annotations, \
  com.fasterxml.jackson.dataformat.jackson-dataformat-yaml, com.fasterxml.jackson.datatype.jackson-datatype-jsr310, org.yaml.snakeyaml, \
  io.netty.buffer, io.netty.codec-base, io.netty.codec-compression, io.netty.codec-http, io.netty.common, io.netty.handler, \
  io.netty.resolver, io.netty.transport, io.netty.transport-native-unix-common, \
  bcprov, bcpkix, bcutil
