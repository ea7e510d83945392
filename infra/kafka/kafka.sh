#!/usr/bin/env bash
# kafka.sh - run a real Apache Kafka broker (KRaft, no ZooKeeper, no Docker) on loopback.
#
# The broker and CLI tools come as plain jars from Maven Central (see pom.xml next to
# this script), collected into infra/kafka/.cache/lib and run with `java -cp 'lib/*'`.
# Needs: java 17+, mvn (only for `install`), bash, ss/timeout/flock/sha256sum (coreutils,
# util-linux, iproute2).
#
# Usage:
#   kafka.sh install                     fetch the jars (no-op when already fetched for this pom.xml)
#   kafka.sh start  [--id N] [--port P] [--controller-port C] [--data DIR] [--property K=V]...
#                   [--credentials DIR] [--security sasl|none] [--tls-port T]
#                                        (--tls-port adds a SASL_SSL listener on T, its certificate
#                                        signed by a CA made for it under the credentials dir, tls/)
#                                        format storage if needed, start one combined
#                                        broker+controller node, wait until it answers
#                                        (--property adds a broker setting, e.g. group.max.size=1)
#   kafka.sh credentials [--credentials DIR]
#                                        create the principals' passwords if absent, print the dir
#   kafka.sh rotate USER [--port P] [--credentials DIR]
#                                        give USER a new random SCRAM password on the running
#                                        broker and in the credentials dir
#   kafka.sh stop   [--id N] [--data DIR]   SIGTERM, wait, SIGKILL if needed (data is kept)
#   kafka.sh status [--id N] [--data DIR]   one node (exit 0 up, 1 not answering, 3 down);
#                                        without options: every node under infra/kafka/data
#   kafka.sh start-cluster [--data-root DIR] 3 combined nodes, ids 1..3, quorum of 3 controllers,
#                                        ports 9092/9093, 9192/9193, 9292/9293
#   kafka.sh stop-cluster  [--data-root DIR]
#   kafka.sh topics ARGS...              org.apache.kafka.tools.TopicCommand (--bootstrap-server
#                                        127.0.0.1:$KAFKA_PORT and --command-config with the
#                                        operator's credentials added if absent)
#   kafka.sh perf-producer ARGS...       org.apache.kafka.tools.ProducerPerformance
#   kafka.sh perf-consumer ARGS...       org.apache.kafka.tools.ConsumerPerformance
#   kafka.sh run CLASS ARGS...           any main class on the Kafka classpath
#                                        (e.g. kafka.tools.StorageTool, kafka.admin.ConfigCommand,
#                                        org.apache.kafka.tools.MetadataQuorumCommand)
#   kafka.sh classpath                   print the classpath ('<lib>/*')
#
# Environment (command-line options win over these):
#   KAFKA_NODE_ID          node.id of the single node                       (1)
#   KAFKA_PORT             client listener port, 127.0.0.1 only             (9092)
#   KAFKA_SECURITY         sasl: clients authenticate with SCRAM-SHA-512 (SASL_PLAINTEXT), the
#                          controllers with PLAIN, and StandardAuthorizer allows only what an
#                          ACL grants (super user: admin); none: PLAINTEXT, no authorizer (sasl)
#   KAFKA_CREDENTIALS_DIR  the principals' passwords (file `credentials`, one user=password a line:
#                          admin, operator, one per service) and client settings made from them
#                          (admin.properties, operator.properties, operator.kcat.conf) (.data/kafka)
#   KAFKA_CONTROLLER_PORT  CONTROLLER listener port, 127.0.0.1 only         (9093)
#   KAFKA_DATA_DIR         node directory: server.properties, kafka.pid, server.log,
#                          kafka.out (JVM stdout/stderr), kraft-logs/ (the log.dirs)
#                                                                 (infra/kafka/data/<id>)
#   KAFKA_HEAP_OPTS        broker heap                                      (-Xms256m -Xmx512m)
#   KAFKA_OPTS             extra JVM options for the broker                 ()
#   KAFKA_NUM_PARTITIONS   num.partitions default for new topics            (6)
#   KAFKA_RETENTION_MS     log.retention.ms, as the services' KAFKA_RETENTION_MS (604800000: 7 days)
#   KAFKA_CLUSTER_ID       cluster id used when formatting                  (random)
#   KAFKA_START_TIMEOUT    seconds to wait for the broker to answer         (60)
#   KAFKA_STOP_TIMEOUT     seconds to wait after SIGTERM before SIGKILL     (30)
#   KAFKA_CLUSTER_DATA_DIR data root of start-cluster (node dirs 1, 2, 3)   (infra/kafka/data/cluster)
#   KAFKA_CLUSTER_BASE_PORT node i listens on BASE+100*(i-1), controller +1 (9092)
#   KAFKA_TOOLS_HEAP_OPTS  heap of the CLI tools                            (-Xmx512m)
#   KAFKA_CACHE_DIR        where jars go                                    (infra/kafka/.cache)
#   JAVA                   java binary                                      (java)
#   MVN                    maven binary                                     (mvn)
#
# Everything listens on 127.0.0.1 only. auto.create.topics.enable=false: create topics first.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
CACHE="${KAFKA_CACHE_DIR:-$HERE/.cache}"
LIB="$CACHE/lib"
JAVA="${JAVA:-java}"
MVN="${MVN:-mvn}"
START_TIMEOUT="${KAFKA_START_TIMEOUT:-60}"
STOP_TIMEOUT="${KAFKA_STOP_TIMEOUT:-30}"
HEAP_OPTS="${KAFKA_HEAP_OPTS:--Xms256m -Xmx512m}"
TOOLS_HEAP_OPTS="${KAFKA_TOOLS_HEAP_OPTS:--Xmx512m}"
NUM_PARTITIONS="${KAFKA_NUM_PARTITIONS:-6}"
CLUSTER_BASE_PORT="${KAFKA_CLUSTER_BASE_PORT:-9092}"
CLUSTER_SIZE=3
EXTRA_PROPS=()
TLS_PORT=""
HOST=127.0.0.1
REPO="$(cd "$HERE/../.." && pwd)"
SECURITY="${KAFKA_SECURITY:-sasl}"
CRED="${KAFKA_CREDENTIALS_DIR:-$REPO/.data/kafka}"
# The principals: admin is the super user of the tooling (this script, topic and ACL provisioning);
# operator is for people's tools (kcat, the Kafka CLI, pnpm dlq); one principal per service, named
# as its folder under services/.
mapfile -t SERVICE_NAMES < <(find "$REPO/services" -mindepth 1 -maxdepth 1 -type d -printf '%f\n' | sort)
PRINCIPALS=(admin operator "${SERVICE_NAMES[@]}")
SCRAM=SCRAM-SHA-512

# JVM flags of Kafka's own kafka-run-class.sh, plus fail-fast on OOM.
BROKER_JVM_FLAGS=(-server -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -XX:InitiatingHeapOccupancyPercent=35
  -XX:+ExplicitGCInvokesConcurrent -XX:MaxInlineLevel=15 -XX:+ExitOnOutOfMemoryError -Djava.awt.headless=true -Djava.net.preferIPv4Stack=true)
# Short-lived admin JVMs (format, readiness probe, topics): start fast, little CPU.
QUICK_JVM_FLAGS=(-XX:TieredStopAtLevel=1 -XX:+UseSerialGC -Xshare:auto -Djava.awt.headless=true)

die() { echo "kafka.sh: ERROR: $*" >&2; exit 1; }
log() { echo "kafka.sh: $*" >&2; }

# ---------------------------------------------------------------- install
pom_sum() { sha256sum "$HERE/pom.xml" | cut -c1-16; }

installed() { [[ -f "$LIB/.installed-$(pom_sum)" ]]; }

cmd_install() {
  installed && return 0
  command -v "$MVN" >/dev/null || die "maven ('$MVN') not found; it is needed once to fetch the Kafka jars"
  mkdir -p "$CACHE"
  exec 9>"$CACHE/.install.lock"
  flock 9
  installed && return 0            # another process finished it while we waited
  local tmp="$CACHE/lib.tmp.$$"
  rm -rf "$tmp"
  log "fetching Kafka jars from Maven Central into $LIB ..."
  if ! "$MVN" -q -B -f "$HERE/pom.xml" dependency:copy-dependencies \
        -DincludeScope=runtime -DoutputDirectory="$tmp" >"$CACHE/install.log" 2>&1; then
    rm -rf "$tmp"
    die "mvn dependency:copy-dependencies failed; see $CACHE/install.log"
  fi
  touch "$tmp/.installed-$(pom_sum)"
  rm -rf "$LIB.old"
  [[ -d "$LIB" ]] && mv "$LIB" "$LIB.old"
  mv "$tmp" "$LIB"
  rm -rf "$LIB.old"
  exec 9>&-                        # release the lock (and don't leak the fd into a broker)
  log "installed $(find "$LIB" -name '*.jar' | wc -l) jars"
}

# -------------------------------------------------------------- helpers
is_uint() { [[ "$1" =~ ^[0-9]+$ ]]; }

port_open() { timeout 2 bash -c "exec 3<>/dev/tcp/$HOST/$1" 2>/dev/null; }

# Kafka cluster ids are 16 random bytes, base64url without padding (22 chars).
gen_cluster_id() {
  local u
  while :; do
    u="$(head -c16 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=\n')"
    [[ "$u" != -* ]] && { echo "$u"; return; }   # a leading '-' confuses CLI parsing
  done
}

run_tool() {   # run_tool CLASS ARGS...  (replaces this process)
  cmd_install
  # shellcheck disable=SC2086
  exec "$JAVA" $TOOLS_HEAP_OPTS -Dlog4j2.configurationFile="$HERE/log4j2-tools.xml" \
    -cp "$LIB/*" "$@"
}

quick_java() { # quick_java CLASS ARGS...  (short-lived admin JVM)
  "$JAVA" -Xmx256m "${QUICK_JVM_FLAGS[@]}" -Dlog4j2.configurationFile="$HERE/log4j2-tools.xml" \
    -cp "$LIB/*" "$@"
}

# pid of the broker that runs from data dir $1, or fail
node_pid() {
  local data="$1" pid
  [[ -f "$data/kafka.pid" ]] || return 1
  pid="$(cat "$data/kafka.pid" 2>/dev/null)"
  is_uint "$pid" || return 1
  kill -0 "$pid" 2>/dev/null || return 1
  # guard against pid reuse: it must be our JVM for this data dir
  tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF "kafka.Kafka $data/server.properties" || return 1
  echo "$pid"
}

prop() { sed -n "s/^$2=//p" "$1" 2>/dev/null | tail -n1; }   # prop FILE KEY

# port of listener NAME in server.properties $1
listener_port() { prop "$1" listeners | tr ',' '\n' | sed -n "s#^$2://[^:]*:##p"; }

# broker answers a metadata request (TopicCommand --list through the Admin client)
# probe_ready PORT: 0 when the broker lists topics for admin, 2 when it refuses admin's login, else 1
probe_ready() {
  local port="$1" out
  mkdir -p "$CACHE"
  local probe="$CACHE/probe-$port.properties"
  (umask 077; { printf 'request.timeout.ms=5000\ndefault.api.timeout.ms=8000\n'; [[ "$SECURITY" == none ]] || client_props admin; } >"$probe")
  out=$(timeout 20 "$JAVA" -Xmx128m "${QUICK_JVM_FLAGS[@]}" -Dlog4j2.configurationFile="$HERE/log4j2-tools.xml" \
    -cp "$LIB/*" org.apache.kafka.tools.TopicCommand --bootstrap-server "$HOST:$port" \
    --command-config "$probe" --list 2>&1) && return 0
  if grep -q "SaslAuthenticationException" <<<"$out"; then return 2; fi
  return 1
}

# ---------------------------------------------------------- credentials
gen_password() { head -c 48 /dev/urandom | base64 | tr -dc 'A-Za-z0-9' | head -c 32; }

password_of() { sed -n "s/^$1=//p" "$CRED/credentials" | tail -n1; }   # password_of USER

# client_props USER: Java client settings for USER (Kafka CLI tools --command-config)
client_props() {
  printf 'security.protocol=SASL_PLAINTEXT\nsasl.mechanism=%s\n' "$SCRAM"
  printf 'sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="%s" password="%s";\n' \
    "$1" "$(password_of "$1")"
}

write_client_files() {
  client_props admin >"$CRED/admin.properties.tmp" && mv "$CRED/admin.properties.tmp" "$CRED/admin.properties"
  client_props operator >"$CRED/operator.properties.tmp" && mv "$CRED/operator.properties.tmp" "$CRED/operator.properties"
  printf 'security.protocol=SASL_PLAINTEXT\nsasl.mechanisms=PLAIN\nsasl.username=operator\nsasl.password=%s\n' \
    "$(password_of operator)" >"$CRED/operator.kcat.conf.tmp"
  mv "$CRED/operator.kcat.conf.tmp" "$CRED/operator.kcat.conf"
}

# ensure_credentials: a password for every principal (kept once made), and the client files
ensure_credentials() {
  mkdir -p "$CRED"
  chmod 700 "$CRED"
  (
    flock 8
    umask 077
    touch "$CRED/credentials"
    local user
    for user in "${PRINCIPALS[@]}"; do
      [[ -n "$(password_of "$user")" ]] || echo "$user=$(gen_password)" >>"$CRED/credentials"
    done
    write_client_files
  ) 8>"$CRED/.lock"
}

cmd_credentials() {
  while (($#)); do
    case "$1" in
      --credentials) CRED="${2:?--credentials needs a value}"; shift 2 ;;
      *) die "unknown option: $1" ;;
    esac
  done
  CRED="$(realpath -m "$CRED")"
  ensure_credentials
  echo "$CRED"
}

# rotate USER: new password on the broker first (SCRAM credentials live in the cluster metadata),
# then in the credentials file; clients using the old one keep their sessions until they reconnect.
cmd_rotate() {
  local user="${1:?rotate needs a user}" port="${KAFKA_PORT:-9092}" new
  shift
  while (($#)); do
    case "$1" in
      --port) port="${2:?--port needs a value}"; shift 2 ;;
      --credentials) CRED="${2:?--credentials needs a value}"; shift 2 ;;
      *) die "unknown option: $1" ;;
    esac
  done
  CRED="$(realpath -m "$CRED")"
  [[ -n "$(password_of "$user")" ]] || die "no principal '$user' in $CRED/credentials"
  new="$(gen_password)"
  cmd_install
  quick_java kafka.admin.ConfigCommand --bootstrap-server "$HOST:$port" \
    --command-config "$CRED/admin.properties" --alter --entity-type users --entity-name "$user" \
    --add-config "$SCRAM=[iterations=4096,password=$new]" >/dev/null || die "the broker did not take the new password"
  (
    flock 8
    umask 077
    sed -i "s/^$user=.*/$user=$new/" "$CRED/credentials"
    write_client_files
  ) 8>"$CRED/.lock"
  # PLAIN's passwords (admin's on CONTROLLER, operator's for kcat) are read from server.properties at start.
  [[ "$user" != admin && "$user" != operator ]] || log "$user rotated: restart the broker(s) for PLAIN to take the new password"
  echo "kafka.sh: $user has a new password in $CRED/credentials; restart what logs in as $user"
}


# ------------------------------------------------------------------ TLS
# A CA of its own and a certificate for 127.0.0.1 it signed, made once under $CRED/tls: what a
# client given ca.pem (KAFKA_SSL_CA_FILE) trusts. Kafka reads the key and chain from one PEM file.
ensure_tls() {
  local dir="$CRED/tls"
  [[ -f "$dir/broker.pem" ]] && return 0
  command -v openssl >/dev/null || die "openssl is needed for --tls-port"
  mkdir -p "$dir"
  (
    umask 077
    openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/CN=hotel-saga local CA" \
      -keyout "$dir/ca.key" -out "$dir/ca.pem" >/dev/null 2>&1
    openssl req -newkey rsa:2048 -nodes -subj "/CN=127.0.0.1" -keyout "$dir/broker.key" -out "$dir/broker.csr" >/dev/null 2>&1
    printf 'subjectAltName=IP:127.0.0.1\n' >"$dir/san.ext"
    openssl x509 -req -in "$dir/broker.csr" -CA "$dir/ca.pem" -CAkey "$dir/ca.key" -CAcreateserial -days 3650 \
      -extfile "$dir/san.ext" -out "$dir/broker.crt" >/dev/null 2>&1
    openssl pkcs8 -topk8 -nocrypt -in "$dir/broker.key" -out "$dir/broker.p8" >/dev/null 2>&1
    cat "$dir/broker.p8" "$dir/broker.crt" "$dir/ca.pem" >"$dir/broker.pem"
  ) || die "could not make the TLS certificates in $dir"
}

tls_listener() { [[ -n "$TLS_PORT" ]] && printf ',TLS://%s:%s' "$HOST" "$TLS_PORT"; return 0; }

tls_props() {
  [[ -n "$TLS_PORT" ]] || return 0
  cat <<EOF
listener.name.tls.sasl.enabled.mechanisms=$SCRAM
listener.name.tls.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="admin" password="$(password_of admin)";
listener.name.tls.ssl.keystore.type=PEM
listener.name.tls.ssl.keystore.location=$CRED/tls/broker.pem
EOF
}

# ---------------------------------------------------------------- nodes
# The listeners' security: with sasl, clients (and the nodes, to each other) log in with SCRAM on
# CLIENT, the nodes with PLAIN on CONTROLLER (SCRAM's credentials live in the metadata the
# controllers serve), and only what an ACL allows is allowed.
security_props() {
  if [[ "$SECURITY" == none ]]; then
    echo "listener.security.protocol.map=CONTROLLER:PLAINTEXT,CLIENT:PLAINTEXT"
    return
  fi
  local pw
  pw="$(password_of admin)"
  cat <<EOF
listener.security.protocol.map=CONTROLLER:SASL_PLAINTEXT,CLIENT:SASL_PLAINTEXT,TLS:SASL_SSL
sasl.enabled.mechanisms=$SCRAM,PLAIN
# PLAIN on CLIENT for the operator only: Debian's kcat (librdkafka 2.0) cannot complete SCRAM with
# Kafka 4 (librdkafka before 2.6.1 fails it). Everything else logs in with SCRAM.
listener.name.client.plain.sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required user_operator="$(password_of operator)";
sasl.mechanism.inter.broker.protocol=$SCRAM
listener.name.client.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="admin" password="$pw";
sasl.mechanism.controller.protocol=PLAIN
listener.name.controller.sasl.enabled.mechanisms=PLAIN
listener.name.controller.plain.sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required username="admin" password="$pw" user_admin="$pw";
authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer
allow.everyone.if.no.acl.found=false
super.users=User:admin
EOF
  tls_props
}

# write_props ID PORT CPORT DATA MODE   MODE: single | cluster
write_props() {
  local id="$1" port="$2" cport="$3" data="$4" mode="$5" rf quorum i p
  if [[ "$mode" == single ]]; then
    rf=1
    quorum="controller.quorum.bootstrap.servers=$HOST:$cport"
  else
    rf=3
    quorum="controller.quorum.voters="
    for ((i = 1; i <= CLUSTER_SIZE; i++)); do
      p=$((CLUSTER_BASE_PORT + 100 * (i - 1) + 1))
      quorum+="$i@$HOST:$p"; ((i < CLUSTER_SIZE)) && quorum+=","
    done
  fi
  cat >"$data/server.properties.tmp" <<EOF
# generated by infra/kafka/kafka.sh ($mode mode) - rewritten on every start
process.roles=broker,controller
node.id=$id
$quorum
listeners=CLIENT://$HOST:$port,CONTROLLER://$HOST:$cport$(tls_listener)
advertised.listeners=CLIENT://$HOST:$port,CONTROLLER://$HOST:$cport$(tls_listener)
inter.broker.listener.name=CLIENT
controller.listener.names=CONTROLLER
$(security_props)
log.dirs=$data/kraft-logs
auto.create.topics.enable=false
num.partitions=$NUM_PARTITIONS
default.replication.factor=$rf
min.insync.replicas=$((rf > 1 ? 2 : 1))
offsets.topic.replication.factor=$rf
transaction.state.log.replication.factor=$rf
transaction.state.log.min.isr=$((rf > 1 ? 2 : 1))
share.coordinator.state.topic.replication.factor=$rf
share.coordinator.state.topic.min.isr=$((rf > 1 ? 2 : 1))
group.initial.rebalance.delay.ms=0
# Offset commits are on every consumed batch's path: the group coordinator's default 5 ms of
# lingering for more writes to batch costs each one 5 ms or more. Answer at once.
group.coordinator.append.linger.ms=0
num.network.threads=3
num.io.threads=4
num.recovery.threads.per.data.dir=1
# Records are kept 7 days, Kafka's own default, written out: the services' inbox horizon
# (RETENTION_HORIZON_MS) is reckoned from it, and the topics they create set retention.ms to it.
log.retention.ms=${KAFKA_RETENTION_MS:-604800000}
# The log cleaner's dedupe buffer lives on the heap (128 MiB by default, a quarter of it): 16 MiB
# is plenty for this broker's consumer offsets (see docs/decisions.md).
log.cleaner.dedupe.buffer.size=16777216
EOF
  local extra
  for extra in "${EXTRA_PROPS[@]}"; do echo "$extra" >>"$data/server.properties.tmp"; done
  chmod 600 "$data/server.properties.tmp"   # it holds admin's password
  mv "$data/server.properties.tmp" "$data/server.properties"
}

# launch_node ID PORT CPORT DATA MODE CLUSTER_ID -> prints pid of a new broker, or nothing
# when that node was already running. Does not wait for readiness.
launch_node() {
  local id="$1" port="$2" cport="$3" data="$4" mode="$5" cid="$6" pid old_cport
  if pid="$(node_pid "$data")"; then
    log "node $id already running (pid $pid, data $data)"
    return 0
  fi
  rm -f "$data/kafka.pid"
  local p
  for p in "$port" "$cport"; do
    if port_open "$p"; then
      die "port $HOST:$p is already in use by another process; cannot start kafka node $id (data $data)"
    fi
  done
  mkdir -p "$data"
  if [[ -f "$data/kraft-logs/meta.properties" ]]; then
    old_cport="$(listener_port "$data/server.properties" CONTROLLER)"
    if [[ -n "$old_cport" && "$old_cport" != "$cport" ]]; then
      die "data dir $data was formatted with controller port $old_cport, not $cport; use that port or a fresh --data dir"
    fi
  fi
  [[ "$SECURITY" == none ]] || ensure_credentials
  [[ -z "$TLS_PORT" ]] || ensure_tls
  local formatted_with
  formatted_with="$(cat "$data/security" 2>/dev/null || echo none)"
  if [[ -f "$data/kraft-logs/meta.properties" && "$SECURITY" != "$formatted_with" ]]; then
    die "data dir $data was formatted with --security $formatted_with, not $SECURITY; start it so, or remove the dir (its topics go with it)"
  fi
  write_props "$id" "$port" "$cport" "$data" "$mode"
  if [[ ! -f "$data/kraft-logs/meta.properties" ]]; then
    local fmt=(format -t "$cid" -c "$data/server.properties") user
    [[ "$mode" == single ]] && fmt+=(--standalone)
    if [[ "$SECURITY" != none ]]; then   # the principals' SCRAM credentials go into the first metadata
      for user in "${PRINCIPALS[@]}"; do fmt+=(--add-scram "$SCRAM=[name=$user,password=$(password_of "$user")]"); done
    fi
    if ! quick_java kafka.tools.StorageTool "${fmt[@]}" >"$data/format.log" 2>&1; then
      die "formatting storage of node $id failed; see $data/format.log"
    fi
    echo "$SECURITY" >"$data/security"
    [[ "$SECURITY" == none ]] || printf '%s\n' "${PRINCIPALS[@]}" >"$data/principals"
  fi
  : >>"$data/kafka.out"
  echo "=== $(date -Is) starting node $id" >>"$data/kafka.out"
  # setsid: own session, so the broker outlives the calling shell / Ctrl-C of the caller.
  # (No job control in this script, so setsid execs java in place and $! is the JVM pid.)
  # shellcheck disable=SC2086
  (cd "$data" && exec setsid "$JAVA" $HEAP_OPTS "${BROKER_JVM_FLAGS[@]}" ${KAFKA_OPTS:-} \
    -Dkafka.logs.dir="$data" -Dlog4j2.configurationFile="$HERE/log4j2-broker.xml" \
    -cp "$LIB/*" kafka.Kafka "$data/server.properties") </dev/null >>"$data/kafka.out" 2>&1 &
  pid=$!
  echo "$pid" >"$data/kafka.pid"
  echo "$pid"
}

kill_pid() { # kill_pid PID TIMEOUT: TERM, wait, KILL
  local pid="$1" t="$2" i
  kill -TERM "$pid" 2>/dev/null || return 0
  for ((i = 0; i < t * 5; i++)); do
    kill -0 "$pid" 2>/dev/null || return 0
    sleep 0.2
  done
  log "pid $pid still alive ${t}s after SIGTERM; sending SIGKILL"
  kill -KILL "$pid" 2>/dev/null || true
  for ((i = 0; i < 50; i++)); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.1; done
  return 1
}

# wait_ready ID PORT DATA PID DEADLINE(epoch s)  -> 0 when ready, else prints why and returns 1
wait_ready() {
  local id="$1" port="$2" data="$3" pid="$4" deadline="$5"
  while :; do
    if ! kill -0 "$pid" 2>/dev/null; then
      if tail -n 300 "$data/server.log" "$data/kafka.out" 2>/dev/null | grep -q 'Address already in use'; then
        echo "kafka node $id exited during startup: a port it needs is already in use; log: $data/server.log"
      else
        echo "kafka node $id exited during startup; log tail: $data/server.log (JVM output: $data/kafka.out)"
      fi
      return 1
    fi
    local probed=1
    if port_open "$port"; then probe_ready "$port" && return 0 || probed=$?; fi
    # A refused login will not pass by waiting: say so at once, however long the start may take.
    if ((probed == 2)) || (($(date +%s) >= deadline)); then
      if ((probed == 2)) || { [[ "$SECURITY" != none ]] && tail -n 50 "$data/server.log" 2>/dev/null | grep -q "Failed authentication"; }; then
        # The data dir keeps the SCRAM credentials it was formatted with: new passwords do not reach it.
        echo "kafka node $id (pid $pid) refuses admin's password from $CRED/credentials: was $data formatted with other credentials? Restore them, or remove the data dir (its topics go with it)"
      else
        echo "kafka node $id (pid $pid) did not answer on $HOST:$port within ${START_TIMEOUT}s; log tail: $data/server.log"
      fi
      return 1
    fi
    sleep 0.5
  done
}

check_security() {
  [[ "$SECURITY" == sasl || "$SECURITY" == none ]] || die "--security must be sasl or none: $SECURITY"
  CRED="$(realpath -m "$CRED")"
}

# parse [--id N] [--port P] [--controller-port C] [--data DIR]
parse_node_args() {
  ID="${KAFKA_NODE_ID:-1}"; PORT="${KAFKA_PORT:-9092}"; CPORT="${KAFKA_CONTROLLER_PORT:-9093}"
  DATA="${KAFKA_DATA_DIR:-}"
  EXTRA_PROPS=()
  while (($#)); do
    case "$1" in
      --id) ID="${2:?--id needs a value}"; shift 2 ;;
      --property) [[ "${2:-}" == *=* ]] || die "--property needs key=value"; EXTRA_PROPS+=("$2"); shift 2 ;;
      --port) PORT="${2:?--port needs a value}"; shift 2 ;;
      --controller-port) CPORT="${2:?--controller-port needs a value}"; shift 2 ;;
      --data) DATA="${2:?--data needs a value}"; shift 2 ;;
      --credentials) CRED="${2:?--credentials needs a value}"; shift 2 ;;
      --security) SECURITY="${2:?--security needs a value}"; shift 2 ;;
      --tls-port) TLS_PORT="${2:?--tls-port needs a value}"; shift 2 ;;
      *) die "unknown option: $1" ;;
    esac
  done
  check_security
  [[ -z "$TLS_PORT" || "$SECURITY" == sasl ]] || die "--tls-port needs --security sasl"
  is_uint "$ID" || die "--id must be a number: $ID"
  is_uint "$PORT" || die "--port must be a number: $PORT"
  is_uint "$CPORT" || die "--controller-port must be a number: $CPORT"
  [[ "$PORT" != "$CPORT" ]] || die "--port and --controller-port must differ"
  DATA="$(realpath -m "${DATA:-$HERE/data/$ID}")"
}

cmd_start() {
  parse_node_args "$@"
  cmd_install
  local t0 pid msg launched=1
  t0=$(date +%s)
  pid="$(launch_node "$ID" "$PORT" "$CPORT" "$DATA" single "${KAFKA_CLUSTER_ID:-$(gen_cluster_id)}")"
  if [[ -z "$pid" ]]; then   # already running: only make sure it answers
    launched=0
    pid="$(node_pid "$DATA")" || die "node $ID vanished; log tail: $DATA/server.log"
  fi
  if ! msg="$(wait_ready "$ID" "$PORT" "$DATA" "$pid" $((t0 + START_TIMEOUT)))"; then
    if ((launched)); then   # don't leave a half-started broker behind
      kill_pid "$pid" 5 || true
      rm -f "$DATA/kafka.pid"
    fi
    die "$msg"
  fi
  add_new_principals "$PORT" "$DATA"
  echo "kafka node $ID ready on $HOST:$PORT (controller $HOST:$CPORT, pid $pid, data $DATA, $(($(date +%s) - t0))s)"
}

# add_new_principals PORT DATA: a principal made since the data dir was formatted (a new service's
# folder under services/) gets its SCRAM credential on the running broker, once; the ones the
# metadata already has are listed in DATA/principals (a dir formatted before that file existed
# holds the first three: admin, operator, and the services of that time, all added at its format).
add_new_principals() {
  local port="$1" data="$2" user missing=()
  [[ "$SECURITY" != none && -f "$data/security" ]] || return 0
  [[ -f "$data/principals" ]] || printf '%s\n' admin operator reservation room >"$data/principals"
  for user in "${PRINCIPALS[@]}"; do grep -qx "$user" "$data/principals" || missing+=("$user"); done
  ((${#missing[@]})) || return 0
  for user in "${missing[@]}"; do
    quick_java kafka.admin.ConfigCommand --bootstrap-server "$HOST:$port" \
      --command-config "$CRED/admin.properties" --alter --entity-type users --entity-name "$user" \
      --add-config "$SCRAM=[iterations=4096,password=$(password_of "$user")]" >/dev/null ||
      die "the broker did not take the new principal $user's credential"
    echo "$user" >>"$data/principals"
    log "added the principal $user (new since $data was formatted)"
  done
}

stop_data_dir() { # stop_data_dir ID DATA [PID already sent SIGTERM]
  local id="$1" data="$2" pid="${3:-}" port cport i
  if [[ -z "$pid" ]] && ! pid="$(node_pid "$data")"; then
    rm -f "$data/kafka.pid"
    echo "kafka node $id not running (data $data)"
    return 0
  fi
  kill_pid "$pid" "$STOP_TIMEOUT" || die "could not kill kafka node $id (pid $pid)"
  rm -f "$data/kafka.pid"
  port="$(listener_port "$data/server.properties" CLIENT)"
  cport="$(listener_port "$data/server.properties" CONTROLLER)"
  for ((i = 0; i < 50; i++)); do   # sockets go away with the process; be sure
    { [[ -n "$port" ]] && port_open "$port"; } || { [[ -n "$cport" ]] && port_open "$cport"; } || break
    sleep 0.1
  done
  echo "kafka node $id stopped (pid $pid)"
}

cmd_stop() {
  parse_node_args "$@"
  stop_data_dir "$ID" "$DATA"
}

# status of one node dir; exit-code style: 0 up+answering, 1 running but port closed, 3 down
node_status() {
  local data="$1" id pid port
  id="$(prop "$data/server.properties" node.id)"
  port="$(listener_port "$data/server.properties" CLIENT)"
  if pid="$(node_pid "$data")"; then
    if [[ -n "$port" ]] && port_open "$port"; then
      echo "kafka node ${id:-?}: running, pid $pid, $HOST:$port, data $data"
      return 0
    fi
    echo "kafka node ${id:-?}: process $pid alive but $HOST:${port:-?} not accepting connections, data $data"
    return 1
  fi
  echo "kafka node ${id:-?}: not running, data $data"
  return 3
}

cmd_status() {
  if (($#)) || [[ -n "${KAFKA_DATA_DIR:-}" ]]; then
    parse_node_args "$@"
    local rc=0
    node_status "$DATA" || rc=$?
    return "$rc"
  fi
  local f any=3 n=0
  while IFS= read -r f; do
    n=$((n + 1))
    if node_status "$(dirname "$f")"; then any=0; fi
  done < <(find "$HERE/data" -maxdepth 3 -name server.properties 2>/dev/null | sort)
  ((n)) || echo "no kafka node data under $HERE/data"
  return "$any"
}

# ---------------------------------------------------------------- cluster
parse_cluster_args() {
  ROOT="${KAFKA_CLUSTER_DATA_DIR:-$HERE/data/cluster}"
  while (($#)); do
    case "$1" in
      --data-root) ROOT="${2:?--data-root needs a value}"; shift 2 ;;
      --credentials) CRED="${2:?--credentials needs a value}"; shift 2 ;;
      --security) SECURITY="${2:?--security needs a value}"; shift 2 ;;
      *) die "unknown option: $1" ;;
    esac
  done
  check_security
  ROOT="$(realpath -m "$ROOT")"
}

cmd_start_cluster() {
  parse_cluster_args "$@"
  cmd_install
  mkdir -p "$ROOT"
  local cid t0 i port data pid msg fail=""
  local -a pids=() launched=()
  [[ -f "$ROOT/cluster.id" ]] || echo "${KAFKA_CLUSTER_ID:-$(gen_cluster_id)}" >"$ROOT/cluster.id"
  cid="$(cat "$ROOT/cluster.id")"
  t0=$(date +%s)
  for ((i = 1; i <= CLUSTER_SIZE; i++)); do
    port=$((CLUSTER_BASE_PORT + 100 * (i - 1)))
    data="$ROOT/$i"
    # launch_node dies (exits the subshell) on a port clash; stop what we launched then
    if ! pid="$(launch_node "$i" "$port" $((port + 1)) "$data" cluster "$cid")"; then
      for pid in "${launched[@]}"; do kill_pid "$pid" 5 || true; done
      exit 1
    fi
    [[ -n "$pid" ]] && launched+=("$pid")
    pid="${pid:-$(node_pid "$data")}"
    pids[i]="$pid"
  done
  for ((i = 1; i <= CLUSTER_SIZE; i++)); do
    port=$((CLUSTER_BASE_PORT + 100 * (i - 1)))
    if ! msg="$(wait_ready "$i" "$port" "$ROOT/$i" "${pids[i]}" $((t0 + START_TIMEOUT)))"; then
      fail="$msg"; break
    fi
  done
  if [[ -n "$fail" ]]; then
    for pid in "${launched[@]}"; do kill_pid "$pid" 5 || true; done
    die "$fail"
  fi
  local bs=""
  for ((i = 1; i <= CLUSTER_SIZE; i++)); do
    bs+="$HOST:$((CLUSTER_BASE_PORT + 100 * (i - 1)))"; ((i < CLUSTER_SIZE)) && bs+=","
  done
  echo "kafka cluster ready: $CLUSTER_SIZE nodes, bootstrap $bs (data $ROOT, $(($(date +%s) - t0))s)"
}

cmd_stop_cluster() {
  parse_cluster_args "$@"
  local i data pid rc=0
  local -a pids=()
  # SIGTERM all nodes at once: stopping them one by one makes the last ones wait for a
  # controller quorum that is already gone.
  for ((i = 1; i <= CLUSTER_SIZE; i++)); do
    data="$ROOT/$i"
    if pid="$(node_pid "$data")"; then
      pids[i]="$pid"
      kill -TERM "$pid" 2>/dev/null || true
    fi
  done
  for ((i = 1; i <= CLUSTER_SIZE; i++)); do
    stop_data_dir "$i" "$ROOT/$i" "${pids[i]:-}" || rc=1
  done
  return "$rc"
}

# ---------------------------------------------------------------- main
usage() { sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//'; }

main() {
  local cmd="${1:-help}"
  (($#)) && shift
  case "$cmd" in
    install) cmd_install ;;
    start) cmd_start "$@" ;;
    stop) cmd_stop "$@" ;;
    status) cmd_status "$@" ;;
    start-cluster) cmd_start_cluster "$@" ;;
    stop-cluster) cmd_stop_cluster "$@" ;;
    topics)
      local extra=()
      [[ " $* " == *" --bootstrap-server"* ]] || extra+=(--bootstrap-server "$HOST:${KAFKA_PORT:-9092}")
      if [[ "$SECURITY" != none && " $* " != *" --command-config"* ]]; then
        ensure_credentials
        extra+=(--command-config "$CRED/operator.properties")
      fi
      run_tool org.apache.kafka.tools.TopicCommand "${extra[@]}" "$@" ;;
    credentials) cmd_credentials "$@" ;;
    rotate) cmd_rotate "$@" ;;
    perf-producer) run_tool org.apache.kafka.tools.ProducerPerformance "$@" ;;
    perf-consumer) run_tool org.apache.kafka.tools.ConsumerPerformance "$@" ;;
    run) (($#)) || die "run needs a main class"; run_tool "$@" ;;
    classpath) cmd_install; echo "$LIB/*" ;;
    help | -h | --help) usage ;;
    *) usage >&2; die "unknown command: $cmd" ;;
  esac
}

main "$@"
