#!/bin/sh
# Metadata requests per second: Ironbell's EC2 metadata (the caller, 127.0.0.1, is a registered
# machine) against nginx serving the same bytes as a static file, side by side, RUNS rounds
# alternating (default 3), with `wrk -t2 -c50 -d10s`, for PATH (default
# /latest/meta-data/hostname; try /latest/meta-data/ or /latest/user-data). Prints each run and
# the medians with their ratio.
#   bench/metadata.sh [runs] [path]
# Needs the distribution built, wrk and nginx (apt-get install wrk nginx-light).
. "$(dirname "$0")/lib/versus-nginx.sh"
runs=${1:-3}
path=${2:-/latest/meta-data/hostname}
ironbell_start 18793
post /hardware '{"id":"bench","metadata":{"facility":{"facility_code":"lab-1"},"instance":{"id":"i-bench","hostname":"bench-node-1",
    "operating_system":{"distro":"debian","version":"12","os_slug":"debian_12"},
    "userdata":"#cloud-config\npackages: [curl]\nruncmd:\n  - echo hello\n","ssh_keys":["ssh-ed25519 AAAAC3Nza ops@lab"],
    "tags":["env=lab"]}},
   "network":{"interfaces":[{"dhcp":{"mac":"52:54:00:be:0c:02","hostname":"bench-node-1","ip":{"address":"127.0.0.1"}},"netboot":{"allow_pxe":true}}]}}'
echo "$path"
versus_nginx "http://127.0.0.1:18793$path" 18794 "$runs"
