#!/bin/sh
# kafka-server-start.sh CONFIG [--override NAME=VALUE]...: the broker in the foreground, under the
# name apache/kafka's image gives it (KAFKA_HEAP_OPTS and KAFKA_OPTS as there).
exec java ${KAFKA_HEAP_OPTS:--Xms256m -Xmx512m} -XX:+UseG1GC ${KAFKA_OPTS:-} \
  -Dlog4j2.configurationFile=/opt/kafka/config/log4j2.xml -Dkafka.logs.dir=/var/lib/kafka \
  -cp "/opt/kafka/libs/*" kafka.Kafka "$@"
