import { readFile, writeFile } from "node:fs/promises";
import { FLOWS, TOPIC, type TopicKey } from "@saga/contracts";
import { EXAMPLES, MESSAGES, renderAsyncApi } from "@saga/ops/asyncapi";
import { describe, expect, it } from "vitest";
import { ASYNCAPI_PATH, asyncApiChecks, readAsyncApi } from "../harness/contracts.js";

/** `pnpm docs:generate` runs this file with DOCS_WRITE=1: it writes the document instead of comparing. */
const WRITE = process.env.DOCS_WRITE === "1";

describe("the published AsyncAPI document", () => {
  it("when the contracts are rendered, then they are the committed docs/asyncapi.yaml", async () => {
    const rendered = renderAsyncApi();
    if (WRITE) await writeFile(ASYNCAPI_PATH, rendered);

    expect(rendered, "run `pnpm docs:generate` and commit docs/asyncapi.yaml").toBe(
      await readFile(ASYNCAPI_PATH, "utf8"),
    );
  });

  it("when it is read, then each topic is a channel that its writer sends and its reader receives", () => {
    const doc = readAsyncApi();
    const topics = Object.keys(TOPIC) as TopicKey[];

    expect(Object.values(doc.channels).map((c) => c.address)).toEqual(topics.map((t) => TOPIC[t]));
    const flows = Object.values(doc.operations).map((op) => [
      op.tags[0]?.name,
      op.action,
      op.channel.$ref.replace("#/channels/", ""),
    ]);
    const expected = (Object.keys(FLOWS) as (keyof typeof FLOWS)[]).flatMap((service) => [
      ...FLOWS[service].writes.map((t) => [`${service}-service`, "send", t]),
      ...FLOWS[service].reads.map((t) => [`${service}-service`, "receive", t]),
    ]);
    expect(flows.sort()).toEqual(expected.sort());
  });

  it("when its examples are checked, then each is accepted by the document's schemas and by the service's own zod schema", () => {
    const checks = asyncApiChecks();
    for (const topic of Object.keys(TOPIC) as TopicKey[]) {
      expect(EXAMPLES[topic].length, topic).toBeGreaterThan(0);
      for (const example of EXAMPLES[topic]) {
        expect(checks[topic].payload(example.payload), `${topic} ${example.name}`).toBeUndefined();
        expect(checks[topic].headers(example.headers), `${topic} ${example.name}`).toBeUndefined();
        expect(MESSAGES[topic].schema.safeParse(example.payload).success, `${topic} ${example.name}`).toBe(true);
      }
    }
  });

  it("when a payload breaks the contract, then the document's schema refuses it as the service does", () => {
    const checks = asyncApiChecks();
    const reserve = { payload: EXAMPLES.roomReserve[0]?.payload as Record<string, unknown> };
    const broken = [
      { ...reserve.payload, version: 2 },
      { ...reserve.payload, extra: true },
      { ...reserve.payload, roomId: "not-a-uuid" },
      { ...reserve.payload, checkIn: "2027-02-30" },
      Object.fromEntries(Object.entries(reserve.payload).filter(([k]) => k !== "messageId")),
    ];
    for (const payload of broken) {
      expect(MESSAGES.roomReserve.schema.safeParse(payload).success, JSON.stringify(payload)).toBe(false);
      expect(checks.roomReserve.payload(payload), JSON.stringify(payload)).toBeDefined();
    }
  });
});
