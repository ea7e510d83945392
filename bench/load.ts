// The load generator, run as its own process so it does not share an event loop with what it measures:
//   tsx bench/load.ts '<json LoadPlan>'   → progress on stderr, one JSON LoadResult on stdout.
// Open loop: request i is due at start + i / rate, whatever happened to earlier ones, and its
// latency is counted from when it was due (no coordinated omission).
import http from "node:http";
import { type SigningSettings, tokenSigner } from "@saga/ops/tokens";
import { benchGuest, GUESTS } from "./saga.js";

export interface LoadPlan {
  url: string;
  rate: number;
  count: number;
  /** Bodies are built from these: each request books roomIds[i % n] for stays[i % m]. */
  roomIds: string[];
  stays: { checkIn: string; checkOut: string }[];
  maxInFlight?: number;
  /** How to mint the guests' tokens (the bench's services verify with the same secret). */
  signing: SigningSettings;
}

export interface LoadResult {
  sent: number;
  accepted: number;
  errors: number;
  /** Requests not sent because `maxInFlight` were already waiting: the server is saturated. */
  shed: number;
  latenciesMs: number[];
  acceptedIds: string[];
  startedAt: number;
  endedAt: number;
}

function post(agent: http.Agent, url: URL, body: string, token: string): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      url,
      {
        method: "POST",
        agent,
        headers: {
          "content-type": "application/json",
          "content-length": Buffer.byteLength(body),
          authorization: `Bearer ${token}`,
        },
      },
      (res) => {
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (chunk: string) => {
          text += chunk;
        });
        res.on("end", () => resolve({ status: res.statusCode ?? 0, text }));
      },
    );
    req.setTimeout(30_000, () => req.destroy(new Error("timeout")));
    req.on("error", reject);
    req.end(body);
  });
}

export async function runLoad(plan: LoadPlan, progress: (line: string) => void): Promise<LoadResult> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 128 });
  const url = new URL("/reservations", plan.url);
  const maxInFlight = plan.maxInFlight ?? 2_000;
  const result: LoadResult = {
    sent: 0,
    accepted: 0,
    errors: 0,
    shed: 0,
    latenciesMs: [],
    acceptedIds: [],
    startedAt: Date.now(),
    endedAt: 0,
  };
  const sign = tokenSigner(plan.signing);
  // As many guests as book: their tokens are reused, as real clients reuse theirs.
  const tokens = Array.from({ length: GUESTS }, (_, i) => sign.guest(benchGuest(i), 4 * 3_600));
  let inFlight = 0;
  const pending: Promise<void>[] = [];
  const start = performance.now();
  const ticker = setInterval(
    () => progress(`sent ${result.sent}/${plan.count}, accepted ${result.accepted}, in flight ${inFlight}`),
    1_000,
  );
  for (let i = 0; i < plan.count; i++) {
    const due = start + (i * 1000) / plan.rate;
    const wait = due - performance.now();
    if (wait > 1) await new Promise((resolve) => setTimeout(resolve, wait));
    if (inFlight >= maxInFlight) {
      result.shed++;
      continue;
    }
    const stay = plan.stays[i % plan.stays.length];
    const body = JSON.stringify({ roomId: plan.roomIds[i % plan.roomIds.length], guestName: `Bench ${i}`, ...stay });
    inFlight++;
    result.sent++;
    pending.push(
      post(agent, url, body, tokens[i % GUESTS] as string)
        .then(({ status, text }) => {
          result.latenciesMs.push(performance.now() - due);
          if (status === 202) {
            result.accepted++;
            result.acceptedIds.push((JSON.parse(text) as { id: string }).id);
          } else result.errors++;
        })
        .catch(() => {
          result.errors++;
        })
        .finally(() => {
          inFlight--;
        }),
    );
  }
  await Promise.all(pending);
  clearInterval(ticker);
  agent.destroy();
  result.endedAt = Date.now();
  return result;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const plan = JSON.parse(process.argv[2] ?? "{}") as LoadPlan;
  const result = await runLoad(plan, (line) => process.stderr.write(`load: ${line}\n`));
  process.stdout.write(JSON.stringify(result));
}
