import { describe, expect, it } from "vitest";
import { z } from "zod";
import { newId } from "./ids.js";

describe("newId", () => {
  it("when ids are made, then each is a version 7 UUID of the RFC variant that the message schemas accept", () => {
    const ids = Array.from({ length: 1_000 }, () => newId());
    for (const id of ids) {
      expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      expect(z.uuid().safeParse(id).success).toBe(true);
    }
    expect(new Set(ids).size).toBe(ids.length);
  });

  it("when ids are made at later milliseconds, then they sort later, and carry their time", () => {
    const times = [Date.UTC(2026, 0, 1), Date.UTC(2026, 0, 1) + 1, Date.UTC(2031, 5, 30, 12)];
    const ids = times.flatMap((t) => [newId(t), newId(t)]);
    for (let i = 2; i < ids.length; i++) expect((ids[i] as string) > (ids[i - 2] as string)).toBe(true);
    expect(Number.parseInt((ids[4] as string).replace(/-/g, "").slice(0, 12), 16)).toBe(times[2]);
  });
});
