#!/bin/sh
# iPXE script requests per second: Ironbell's /ipxe/<mac>/auto.ipxe against nginx serving the
# same bytes as a static file, side by side, RUNS rounds alternating (default 3), with
# `wrk -t2 -c50 -d10s`. Prints each run and the medians with their ratio.
#   bench/ipxe.sh [runs]
# Needs the distribution built, wrk and nginx (apt-get install wrk nginx-light).
. "$(dirname "$0")/lib/versus-nginx.sh"
runs=${1:-3}
ironbell_start 18791
post /hardware '{"id":"bench","network":{"interfaces":[{"dhcp":{"mac":"52:54:00:be:0c:01","ip":{"address":"10.9.9.9"}},
  "netboot":{"allow_pxe":true,"allow_workflow":true}}]}}'
# a pending workflow, so the machine gets the script that boots the in-memory OS (not the exit script)
post "/templates?name=bench" "$(printf 'version: "0.1"\nname: bench\ntasks:\n- name: t\n  worker: "{{.device_1}}"\n  actions: [{name: a, image: x, timeout: 60}]\n')"
post /workflows '{"template":"bench","hardware":{"device_1":"52:54:00:be:0c:01"}}'
sleep 1   # the workflow reaches the iPXE route's in-memory view by notification
url="http://127.0.0.1:18791/ipxe/52:54:00:be:0c:01/auto.ipxe"
curl -sf "$url" | grep -q "^kernel " || { echo "expected the boot script, got:"; curl -s "$url"; exit 1; }
versus_nginx "$url" 18792 "$runs"
