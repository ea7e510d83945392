import { randomUUID } from "node:crypto";
import type { AddressInfo } from "node:net";
import Fastify from "fastify";

/**
 * The HTTP ceiling: Fastify with nothing behind it. POST /reservations parses the JSON body and
 * answers 202 with a small object, without validation, database or broker.
 */
export async function startBareFastify(): Promise<{ url: string; close(): Promise<void> }> {
  const app = Fastify({ logger: false });
  app.post("/reservations", async (_request, reply) => reply.code(202).send({ id: randomUUID(), status: "PENDING" }));
  await app.listen({ host: "127.0.0.1", port: 0 });
  const { port } = app.server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, close: () => app.close() };
}
