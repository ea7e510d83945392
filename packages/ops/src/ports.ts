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

/**
 * Two consecutive free loopback ports (a broker's listener and controller; a service takes the
 * first), so parallel runs and tests never share one.
 */
export async function freePortPair(): Promise<number> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const port = await listenOnce(0);
    if (port < 65_000 && (await portsFree([port + 1]))) return port;
  }
  throw new Error("no two consecutive free ports on 127.0.0.1");
}
