import { describe, expect, it } from "vitest";
import { freePortPair, freePortPairRange, portsFree } from "./ports.js";

describe("free ports for the servers a test or a bench starts", () => {
  it("when a pair is asked for, then both ports are free and below the kernel's ephemeral range, where no outgoing connection takes them", async () => {
    const [low, high] = freePortPairRange();
    for (let i = 0; i < 20; i++) {
      const port = await freePortPair();
      expect(port).toBeGreaterThanOrEqual(low);
      expect(port + 1).toBeLessThanOrEqual(high);
      expect(await portsFree([port, port + 1])).toBe(true);
    }
  });
});
