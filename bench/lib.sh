# Shared by the bench scripts: start the shared/bench upstream and nginx peer and a Meridian
# node from the built distribution, all on loopback, and stop them on exit. Source it.
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd); repo=$(cd "$here/.." && pwd)
shared=${SHARED_BENCH:-$repo/../shared/bench}
work=$repo/target/bench; node=$work/node
UP=19000 PEER=19081 HTTP=19080 ADMIN=19181 PASSWORD=bench-$$

for t in wrk nginx curl; do command -v $t >/dev/null || { echo "$0: $t missing (apt-get install wrk nginx curl)" >&2; exit 2; }; done
tarball=$(ls "$repo"/karaf-assembly/target/meridian-*.tar.gz 2>/dev/null | head -1)
[[ -n $tarball ]] || { echo "$0: build first: mvn install -DskipTests" >&2; exit 2; }

cleanup() {
  [[ -x $node/bin/stop ]] && "$node/bin/stop" >/dev/null 2>&1 || true
  RUN_DIR=$work/peer "$shared/peer-nginx.sh" stop $PEER >/dev/null 2>&1 || true
  RUN_DIR=$work/upstream "$shared/upstream.sh" stop $UP >/dev/null 2>&1 || true
}

# start_all: upstream, nginx peer (proxy), Meridian (env MERIDIAN_* passes through)
start_all() {
  trap cleanup EXIT
  cleanup
  rm -rf "$node" && mkdir -p "$node"
  tar xzf "$tarball" -C "$node" --strip-components=1
  RUN_DIR=$work/upstream "$shared/upstream.sh" start $UP >/dev/null
  RUN_DIR=$work/peer "$shared/peer-nginx.sh" start $PEER 127.0.0.1:$UP proxy >/dev/null
  MERIDIAN_HTTP_PORT=$HTTP MERIDIAN_ADMIN_PORT=$ADMIN MERIDIAN_SSH_PORT=0 MERIDIAN_ADMIN_PASSWORD=$PASSWORD \
    MERIDIAN_NODE_NAME=bench "$node/bin/start"
  for _ in $(seq 240); do curl -fs "http://127.0.0.1:$ADMIN/ready" >/dev/null 2>&1 && break; sleep 0.5; done
  curl -fs "http://127.0.0.1:$ADMIN/ready" >/dev/null || { echo "$0: Meridian did not become ready" >&2; exit 1; }
}

# put_api ID YAML: apply one definition through the admin API
put_api() {
  curl -fsS -u "admin:$PASSWORD" -H 'Content-Type: application/yaml' -X PUT \
    "http://127.0.0.1:$ADMIN/api/v1/apis/$1" --data-binary "$2" >/dev/null
}
