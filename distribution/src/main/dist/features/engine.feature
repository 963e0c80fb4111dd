description = the workflow engine: templates rendered, workflows run, timeouts swept
features = store
bundles = io.ironbell.engine
