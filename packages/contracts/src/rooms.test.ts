import { describe, expect, it } from "vitest";
import { firstRoomOf, linesOf, sameLines } from "./rooms.js";

const [a, b] = ["5d9a3c27-6e1f-4b8d-a0c4-7f2e9b1d3c85", "8e1b4f60-2c7d-4a93-b5e8-1f0a9c3d7b26"];

describe("a stay's rooms", () => {
  it("when a stay names one room or several, then its key is its first room", () => {
    expect(firstRoomOf({ roomId: a })).toBe(a);
    expect(
      firstRoomOf({
        rooms: [
          { roomId: b, quantity: 2 },
          { roomId: a, quantity: 1 },
        ],
      }),
    ).toBe(b);
  });

  it("when a stay names no room, then asking its key is an error, not the empty key", () => {
    expect(() => firstRoomOf({ rooms: [] })).toThrow(/names no room/);
    expect(() => firstRoomOf({ roomId: "" })).toThrow(/names no room/);
  });

  it("when two lists name the same units in another order, then they are the same; other units are not", () => {
    const one = linesOf({
      rooms: [
        { roomId: a, quantity: 2 },
        { roomId: b, quantity: 1 },
      ],
    });
    expect(
      sameLines(one, [
        { roomId: b, quantity: 1 },
        { roomId: a, quantity: 2 },
      ]),
    ).toBe(true);
    expect(sameLines(one, [{ roomId: a, quantity: 2 }])).toBe(false);
    expect(sameLines(linesOf({ roomId: a }), [{ roomId: a, quantity: 2 }])).toBe(false);
  });
});
