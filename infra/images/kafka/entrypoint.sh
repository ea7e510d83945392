#!/bin/bash
# Writes server.properties from the KAFKA_* variables (as apache/kafka does), formats the storage
# once, and runs the broker in the foreground.
set -euo pipefail
config=/opt/kafka/config/server.properties
declare -A settings=(
  [node.id]=1
  [process.roles]=broker,controller
  [listeners]=PLAINTEXT://:9092,CONTROLLER://:9093
  [advertised.listeners]=PLAINTEXT://localhost:9092
  [controller.listener.names]=CONTROLLER
  [listener.security.protocol.map]=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
  [controller.quorum.voters]=1@localhost:9093
  [log.dirs]=/var/lib/kafka/data
  [offsets.topic.replication.factor]=1
  [transaction.state.log.replication.factor]=1
  [transaction.state.log.min.isr]=1
  [group.initial.rebalance.delay.ms]=0
)
not_settings=" KAFKA_HEAP_OPTS KAFKA_OPTS KAFKA_JVM_PERFORMANCE_OPTS KAFKA_LOG4J_OPTS KAFKA_GC_LOG_OPTS KAFKA_JMX_OPTS KAFKA_VERSION "
while IFS='=' read -r name value; do
  [[ "$name" == KAFKA_* && "$not_settings" != *" $name "* ]] || continue
  key="${name#KAFKA_}"
  key="${key,,}"; key="${key//___/-}"; key="${key//__/@}"; key="${key//_/.}"; key="${key//@/_}"
  settings[$key]="$value"
done < <(env)
: >"$config"
for key in "${!settings[@]}"; do printf '%s=%s\n' "$key" "${settings[$key]}" >>"$config"; done
storage=/opt/kafka/bin/kafka-storage.sh
logs="${settings[log.dirs]}"
if [[ ! -f "$logs/meta.properties" ]]; then
  "$storage" format -t "${CLUSTER_ID:-$("$storage" random-uuid)}" -c "$config" --ignore-formatted >/dev/null
fi
exec /opt/kafka/bin/kafka-server-start.sh "$config"
