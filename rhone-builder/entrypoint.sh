#!/bin/sh
# Writes the mTLS material from Fly secrets into files, then starts buildkitd.
# Secrets: BUILDKIT_TLS_CA, BUILDKIT_TLS_SERVER_CERT, BUILDKIT_TLS_SERVER_KEY (PEM text).
set -eu
# The rootless image runs as "user" (uid 1000): keep the files in its home.
dir=/home/user/.config/buildkit/tls
mkdir -p "$dir"
for v in BUILDKIT_TLS_CA BUILDKIT_TLS_SERVER_CERT BUILDKIT_TLS_SERVER_KEY; do
  eval "val=\${$v:-}"
  [ -n "$val" ] || { echo "rhone-builder: secret $v is missing; refusing to listen without mTLS" >&2; exit 1; }
done
umask 077
printf '%s\n' "$BUILDKIT_TLS_CA" >"$dir/ca.pem"
printf '%s\n' "$BUILDKIT_TLS_SERVER_CERT" >"$dir/server-cert.pem"
printf '%s\n' "$BUILDKIT_TLS_SERVER_KEY" >"$dir/server-key.pem"
unset BUILDKIT_TLS_CA BUILDKIT_TLS_SERVER_CERT BUILDKIT_TLS_SERVER_KEY
exec rootlesskit buildkitd --oci-worker-no-process-sandbox \
  --config /home/user/.config/buildkit/buildkitd.toml
