import { type AddressInfo, connect, createServer, type Server, type Socket } from "node:net";

/**
 * A loopback TCP proxy in front of a real server, to take that server away from one client only:
 * - `cut()` drops every connection and refuses new ones (as an unreachable host would);
 * - `blackhole()` keeps every connection open but forwards nothing more either way, and accepts
 *   new ones without forwarding them (as a host that froze, or a network that silently drops
 *   packets: half-open connections, which neither end sees closing);
 * - `restore()` lets new connections through again.
 */
export interface TcpProxy {
  port: number;
  cut(): void;
  blackhole(): void;
  restore(): void;
  close(): Promise<void>;
}

export async function startTcpProxy(targetHost: string, targetPort: number): Promise<TcpProxy> {
  const sockets = new Set<Socket>();
  let mode: "open" | "cut" | "blackhole" = "open";
  const track = (socket: Socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  };
  const server: Server = createServer((client) => {
    if (mode === "cut") {
      client.destroy();
      return;
    }
    track(client);
    client.on("error", () => client.destroy());
    // Accepted, never answered: whatever the client writes goes nowhere.
    if (mode === "blackhole") return client.pause();
    const upstream = connect(targetPort, targetHost);
    track(upstream);
    for (const socket of [client, upstream]) {
      socket.on("error", () => {
        client.destroy();
        upstream.destroy();
      });
    }
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    port: (server.address() as AddressInfo).port,
    cut() {
      mode = "cut";
      for (const socket of sockets) socket.destroy();
    },
    blackhole() {
      mode = "blackhole";
      for (const socket of sockets) {
        socket.unpipe();
        socket.pause();
      }
    },
    restore() {
      mode = "open";
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
