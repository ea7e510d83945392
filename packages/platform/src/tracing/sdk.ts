/**
 * Starts OpenTelemetry's Node SDK for a service process, exporting spans over OTLP: only when
 * `OTEL_EXPORTER_OTLP_ENDPOINT` is set (the SDK reads the other `OTEL_*` settings itself). Off, nothing
 * is loaded and every span call is the API's no-op. Returns what flushes and stops it.
 */
export async function startTracing(service: string, enabled: boolean): Promise<() => Promise<void>> {
  if (!enabled) return async () => {};
  const { NodeSDK } = await import("@opentelemetry/sdk-node");
  const sdk = new NodeSDK({ serviceName: process.env.OTEL_SERVICE_NAME ?? service });
  sdk.start();
  return () => sdk.shutdown();
}
