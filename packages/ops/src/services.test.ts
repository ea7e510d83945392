import { FLOWS } from "@saga/contracts";
import { describe, expect, it } from "vitest";
import { SERVICES } from "./services.js";

describe("the launcher's list", () => {
  it("when the list is read, then it holds every service of FLOWS once, and nothing else", () => {
    expect([...SERVICES].sort()).toEqual(Object.keys(FLOWS).sort());
  });

  it("when the services listen on their default ports, then no two share one", () => {
    const ports = SERVICES.map((name) => FLOWS[name].port);
    expect(new Set(ports).size).toBe(ports.length);
  });
});
