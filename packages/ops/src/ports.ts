import { randomInt } from "node:crypto";
import { readFileSync } from "node:fs";
import { type AddressInfo, createServer } from "node:net";

function listenOnce(port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(port, "127.0.0.1", () => {
      const { port: bound } = server.address() as AddressInfo;
      server.close(() => resolve(bound));
    });
  });
}

/** Whether nothing listens on any of these loopback ports now. */
export async function portsFree(ports: number[]): Promise<boolean> {
  for (const port of ports) {
    const free = await listenOnce(port).then(
      () => true,
      () => false,
    );
    if (!free) return false;
  }
  return true;
}

/** Where the kernel picks the local ports of outgoing connections (Linux; its default elsewhere). */
function ephemeralRange(): [number, number] {
  try {
    const [low, high] = readFileSync("/proc/sys/net/ipv4/ip_local_port_range", "utf8").trim().split(/\s+/).map(Number);
    if (low && high) return [low, high];
  } catch {}
  return [32_768, 60_999];
}

/** The lowest port handed out: below it lie the well-known and registered services. */
const LOWEST = 10_000;

/**
 * Two consecutive free loopback ports (a broker's listener and controller; a service takes the
 * first), so parallel runs and tests never share one. They are taken below the kernel's ephemeral
 * range: a port from it, free when checked, may be the source port of some outgoing connection
 * (to the broker, to PostgreSQL) by the time a broker's JVM gets to bind it.
 */
export async function freePortPair(): Promise<number> {
  const [ephemeralLow] = ephemeralRange();
  const span = ephemeralLow - 2 - LOWEST;
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = span > 0 ? LOWEST + randomInt(span) : await listenOnce(0);
    if (port < 65_000 && (await portsFree([port, port + 1]))) return port;
  }
  throw new Error("no two consecutive free ports on 127.0.0.1");
}

export const freePortPairRange = (): [number, number] => [LOWEST, ephemeralRange()[0] - 1];
