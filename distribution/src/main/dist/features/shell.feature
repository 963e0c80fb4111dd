description = Gogo commands for the same nouns as the CLI (ironbell server --console)
features = api
bundles = io.ironbell.shell
