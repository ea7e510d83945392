#!/bin/sh
# The docker compose broker, on apache/kafka or hotel-saga/kafka alike (both have /opt/kafka/bin):
# one KRaft node (broker and controller) secured as the local stack's (infra/kafka/kafka.sh) is.
#   - Clients log in with SCRAM-SHA-512: each service as itself, provisioning as
#     `admin` (the only super user); the operators' `operator` may also use PLAIN (Debian's kcat
#     cannot complete SCRAM with Kafka 4). Every principal's SCRAM credential goes into the
#     metadata when the storage is formatted, one for each KAFKA_<NAME>_PASSWORD variable, named
#     <name> (`pnpm compose:env` writes them to .env from the local stack's .data/kafka/, so its
#     client files work here too).
#   - Only what an ACL allows is allowed (StandardAuthorizer); `pnpm kafka:provision` grants them.
#   - Listeners: CLIENT (kafka:9092, the containers), HOST (127.0.0.1:9092 on the host, published
#     from 29092) and CONTROLLER (9093, PLAIN as admin).
set -eu
for var in KAFKA_ADMIN_PASSWORD KAFKA_OPERATOR_PASSWORD; do
  eval "value=\${$var:-}"
  [ -n "$value" ] || { echo "kafka: $var is not set (run pnpm compose:env)" >&2; exit 1; }
done
# Every principal with a password: admin, operator and one for each service (KAFKA_ROOM_PASSWORD: room).
principals=$(env | sed -n 's/^KAFKA_\([A-Z0-9]*\)_PASSWORD=.*/\1/p' | tr 'A-Z' 'a-z' | sort)
bin=/opt/kafka/bin
data="${KAFKA_DATA_DIR:-/tmp/kafka-data}"
config=/tmp/server.properties
scram='org.apache.kafka.common.security.scram.ScramLoginModule required'
plain='org.apache.kafka.common.security.plain.PlainLoginModule required'
umask 077
cat >"$config" <<PROPERTIES
node.id=1
process.roles=broker,controller
listeners=CLIENT://:9092,CONTROLLER://:9093,HOST://:29092
advertised.listeners=CLIENT://kafka:9092,HOST://127.0.0.1:9092
listener.security.protocol.map=CLIENT:SASL_PLAINTEXT,HOST:SASL_PLAINTEXT,CONTROLLER:SASL_PLAINTEXT
inter.broker.listener.name=CLIENT
controller.listener.names=CONTROLLER
controller.quorum.voters=1@localhost:9093
sasl.enabled.mechanisms=SCRAM-SHA-512,PLAIN
sasl.mechanism.inter.broker.protocol=SCRAM-SHA-512
listener.name.client.scram-sha-512.sasl.jaas.config=$scram username="admin" password="$KAFKA_ADMIN_PASSWORD";
listener.name.client.plain.sasl.jaas.config=$plain user_operator="$KAFKA_OPERATOR_PASSWORD";
listener.name.host.scram-sha-512.sasl.jaas.config=$scram;
listener.name.host.plain.sasl.jaas.config=$plain user_operator="$KAFKA_OPERATOR_PASSWORD";
sasl.mechanism.controller.protocol=PLAIN
listener.name.controller.sasl.enabled.mechanisms=PLAIN
listener.name.controller.plain.sasl.jaas.config=$plain username="admin" password="$KAFKA_ADMIN_PASSWORD" user_admin="$KAFKA_ADMIN_PASSWORD";
authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer
allow.everyone.if.no.acl.found=false
super.users=User:admin
auto.create.topics.enable=false
num.partitions=6
offsets.topic.replication.factor=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
group.initial.rebalance.delay.ms=0
log.dirs=$data
PROPERTIES
# The health check's login (as admin, from inside the container only).
printf 'security.protocol=SASL_PLAINTEXT\nsasl.mechanism=SCRAM-SHA-512\nsasl.jaas.config=%s username="admin" password="%s";\n' \
  "$scram" "$KAFKA_ADMIN_PASSWORD" >/tmp/admin.properties
if [ ! -f "$data/meta.properties" ]; then
  set --
  for name in $principals; do
    eval "password=\${KAFKA_$(echo "$name" | tr 'a-z' 'A-Z')_PASSWORD}"
    set -- "$@" --add-scram "SCRAM-SHA-512=[name=$name,password=$password]"
  done
  "$bin/kafka-storage.sh" format --cluster-id "${CLUSTER_ID:-5L6g3nShT-eMCtK--X86sw}" --config "$config" "$@" >/dev/null
fi
exec "$bin/kafka-server-start.sh" "$config"
