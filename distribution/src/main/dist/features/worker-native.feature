# worker-native: the worker's own container (ironbell worker, and the in-memory OS's) with the actions written in Java
description = the worker and its native actions (image2disk, archive2disk, oci2disk, writefile, kexec, reboot); ironbell worker and the lean in-memory OS
worker.bundles = io.ironbell.api, io.ironbell.client, io.ironbell.worker, io.ironbell.logging, io.ironbell.action.support, \
  io.ironbell.action.image2disk, io.ironbell.action.archive2disk, io.ironbell.action.oci2disk, io.ironbell.action.writefile, \
  io.ironbell.action.kexec, \
  org.apache.felix.scr, org.osgi.service.component, org.osgi.util.promise, org.osgi.util.function, \
  org.apache.felix.configadmin, org.apache.felix.fileinstall, org.apache.felix.log, \
  com.fasterxml.jackson.core.jackson-core, com.fasterxml.jackson.core.jackson-databind, com.fasterxml.jackson.core.jackson-annotations, \
  com.fasterxml.jackson.dataformat.jackson-dataformat-yaml, com.fasterxml.jackson.datatype.jackson-datatype-jsr310, org.yaml.snakeyaml, \
  org.apache.commons.commons-compress, org.apache.commons.commons-io, org.apache.commons.lang3, org.tukaani.xz, com.github.luben.zstd-jni
