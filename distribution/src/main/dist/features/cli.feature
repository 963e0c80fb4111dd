# cli: the command-line client (lib/cli), which talks to a server's REST API from any machine
description = the CLI (ironbell hardware|template|workflow|backup|...): lib/cli, for the REST API of this or another server
files = lib/cli
