#!/bin/sh
# rhone-builder's entrypoint, run as root in the Fly Machine:
#   1. writes the mTLS material from Fly secrets into files (refuses to start without it);
#   2. cuts build steps off from every private network (iptables), so a RUN step cannot reach
#      rhone's admin port, its PostgreSQL or anything else on Fly's private network (6PN);
#   3. starts buildkitd (rootful, process sandbox on, steps on the "buildkit0" bridge).
# Secrets: BUILDKIT_TLS_CA, BUILDKIT_TLS_SERVER_CERT, BUILDKIT_TLS_SERVER_KEY (PEM text).
set -eu

dir=/etc/buildkit/tls
for v in BUILDKIT_TLS_CA BUILDKIT_TLS_SERVER_CERT BUILDKIT_TLS_SERVER_KEY; do
  eval "val=\${$v:-}"
  [ -n "$val" ] || { echo "rhone-builder: secret $v is missing; refusing to listen without mTLS" >&2; exit 1; }
done
(
  umask 077
  mkdir -p "$dir"
  printf '%s\n' "$BUILDKIT_TLS_CA" >"$dir/ca.pem"
  printf '%s\n' "$BUILDKIT_TLS_SERVER_CERT" >"$dir/server-cert.pem"
  printf '%s\n' "$BUILDKIT_TLS_SERVER_KEY" >"$dir/server-key.pem"
)
unset BUILDKIT_TLS_CA BUILDKIT_TLS_SERVER_CERT BUILDKIT_TLS_SERVER_KEY

# --- What a build step can reach --------------------------------------------------------------
# Steps sit on the bridge below (buildkitd.toml: bridgeName, bridgeSubnet) and leave through the
# VM's eth0 with masquerading (BuildKit's bridge network: ipMasq). Their traffic to a private
# address is rejected, both forwarded (another machine) and addressed to this VM itself; the
# public internet stays open, and DNS goes to the public resolvers of buildkitd.toml's [dns].
bridge=buildkit0
private4="10.0.0.0/8 172.16.0.0/12 192.168.0.0/16 169.254.0.0/16 100.64.0.0/10 127.0.0.0/8 0.0.0.0/8"
# fc00::/7 holds Fly's 6PN (fdaa::/16). Steps get no IPv6 address on the bridge (its subnet is
# IPv4 only); these rules hold even if one appears.
private6="fc00::/7 fe80::/10 ::1/128"

chain=RHONE-BUILD-EGRESS
# iptables and ip6tables: the same binaries BuildKit's CNI plugins call, so the same backend.
for ipt in iptables ip6tables; do
  if [ "$ipt" = iptables ]; then nets=$private4; else nets=$private6; fi
  $ipt -w -N "$chain" 2>/dev/null || $ipt -w -F "$chain"
  for net in $nets; do
    $ipt -w -A "$chain" -d "$net" -j REJECT
  done
  # Forwarded traffic from the bridge: before anything else in FORWARD, and also from CNI-ADMIN,
  # the chain the CNI firewall plugin runs before its own accept rules (it only ever creates
  # that chain, never changes it), so the order in which chains get inserted later cannot matter.
  $ipt -w -C FORWARD -i "$bridge" -j "$chain" 2>/dev/null || $ipt -w -I FORWARD 1 -i "$bridge" -j "$chain"
  $ipt -w -N CNI-ADMIN 2>/dev/null || true
  $ipt -w -C CNI-ADMIN -i "$bridge" -j "$chain" 2>/dev/null || $ipt -w -I CNI-ADMIN 1 -i "$bridge" -j "$chain"
  # Traffic from a step to this VM itself (its 6PN address, eth0, the bridge's gateway address):
  # nothing here serves build steps.
  $ipt -w -C INPUT -i "$bridge" -j REJECT 2>/dev/null || $ipt -w -I INPUT 1 -i "$bridge" -j REJECT
done
echo "rhone-builder: build steps on $bridge cannot reach $private4 $private6 or this machine"

exec buildkitd --config /etc/buildkit/buildkitd.toml "$@"
