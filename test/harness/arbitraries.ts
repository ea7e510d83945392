// fast-check arbitraries made from the JSON Schemas of the published OpenAPI documents: valid
// values of the subset those documents use (objects, enums, integers, strings with a format, a
// pattern or a length), and invalid ones made by breaking a valid one in the ways a hostile or
// careless caller does.
import { formatDate } from "@saga/contracts";
import fc from "fast-check";

export type Schema = {
  type?: string | string[];
  enum?: unknown[];
  const?: unknown;
  format?: string;
  pattern?: string;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  properties?: Record<string, Schema>;
  required?: string[];
  default?: unknown;
};

const DAY_MS = 86_400_000;
const TODAY = Math.floor(Date.now() / DAY_MS) * DAY_MS;
const day = (offset: number) => formatDate(new Date(TODAY + offset * DAY_MS));

/** Known values to draw from besides random ones, by format (ids of rooms and bookings that exist). */
export interface Known {
  uuids: string[];
}

/**
 * A date a booking can use most of the time (from yesterday to two years ahead), and sometimes one
 * far in the past or future: the schema says only "a date", the service says which it takes.
 */
const aDate = fc.oneof(
  { weight: 8, arbitrary: fc.integer({ min: -1, max: 730 }).map(day) },
  {
    weight: 1,
    arbitrary: fc
      .date({ min: new Date("0001-01-01"), max: new Date("9999-12-31"), noInvalidDate: true })
      .map((d) => d.toISOString().slice(0, 10)),
  },
);

export function validValue(schema: Schema, known: Known): fc.Arbitrary<unknown> {
  if (schema.const !== undefined) return fc.constant(schema.const);
  if (schema.enum) return fc.constantFrom(...schema.enum);
  const type = Array.isArray(schema.type) ? schema.type[0] : schema.type;
  switch (type) {
    case "integer":
      return fc.integer({ min: schema.minimum ?? -1_000_000, max: schema.maximum ?? 1_000_000 });
    case "number":
      return fc.double({ min: schema.minimum ?? -1e6, max: schema.maximum ?? 1e6, noNaN: true });
    case "boolean":
      return fc.boolean();
    case "object":
      return objectOf(schema, known);
    case "string":
      if (schema.format === "uuid")
        return known.uuids.length > 0
          ? fc.oneof({ weight: 3, arbitrary: fc.constantFrom(...known.uuids) }, { weight: 1, arbitrary: fc.uuid() })
          : fc.uuid();
      if (schema.format === "date") return aDate;
      if (schema.pattern) return fc.stringMatching(new RegExp(schema.pattern));
      return fc.oneof(
        ...(["grapheme-ascii", "grapheme"] as const).map((unit) =>
          fc.string({ unit, minLength: schema.minLength ?? 0, maxLength: Math.min(schema.maxLength ?? 40, 60) }),
        ),
      );
    default:
      return fc.anything();
  }
}

/**
 * An object with every required property and some of the optional ones. Two date properties (a
 * stay's check-in and check-out, a range's from and to) are drawn as a range most of the time, so
 * that the services' cross-field rules are passed often enough to reach the saga.
 */
function objectOf(schema: Schema, known: Known): fc.Arbitrary<Record<string, unknown>> {
  const properties = schema.properties ?? {};
  const record = fc.record(
    Object.fromEntries(Object.entries(properties).map(([name, property]) => [name, validValue(property, known)])),
    { requiredKeys: schema.required ?? [] },
  ) as fc.Arbitrary<Record<string, unknown>>;
  const dates = Object.keys(properties).filter((name) => properties[name]?.format === "date");
  const [first, second] = dates;
  if (dates.length !== 2 || !first || !second) return record;
  return fc
    .tuple(record, fc.integer({ min: -1, max: 730 }), fc.integer({ min: 1, max: 32 }), fc.nat(9))
    .map(([value, start, nights, dice]) =>
      dice < 7 ? { ...value, [first]: day(start), [second]: day(start + nights) } : value,
    );
}

/** Strings no well-behaved client sends. */
const oddStrings = fc.oneof(
  fc.constantFrom(
    "",
    " ",
    "\u0000",
    "a\u0000b",
    "\uD800",
    "x\uDFFFy",
    "\uFEFF",
    "\u202Eevil",
    "🏨".repeat(150),
    "null",
    "undefined",
    "[object Object]",
    "' OR 1=1 --",
    "%00",
    "../../etc/passwd",
    "<script>alert(1)</script>",
    "NaN",
    "-0",
    "1e309",
  ),
  fc.integer({ min: 201, max: 40_000 }).map((n) => "x".repeat(n)),
  fc.string({ unit: "binary", maxLength: 30 }),
);

/** Dates that are no date, or not in the form the API takes. */
const impossibleDates = fc.constantFrom(
  "2027-02-30",
  "2027-02-29",
  "2026-13-01",
  "2027-00-10",
  "2027-04-31",
  "2027-1-1",
  "20270101",
  "2027-01-01T00:00:00Z",
  "+002027-01-01",
  "-000001-01-01",
  "27-01-01",
  "2027/01/01",
);

/** Values of the wrong JSON type for anything. */
const wrongTypes = fc.oneof(
  fc.constantFrom(null, true, false, 0, -1, 1.5, 1e308, -1e308, [], {}, [1, 2], { $gt: "" }),
  fc.integer(),
  fc.string({ maxLength: 5 }),
);

/** A value the schema does not allow in its place, chosen by what the schema is. */
function brokenValueOf(schema: Schema): fc.Arbitrary<unknown> {
  const options: fc.Arbitrary<unknown>[] = [wrongTypes, oddStrings];
  if (schema.format === "date") options.push(impossibleDates, impossibleDates);
  if (schema.format === "uuid")
    options.push(fc.constantFrom("42", "not-a-uuid", "0b6f4d1e-8a53-4c1b-9a59-2d7c1f0e5a1"));
  if (schema.type === "integer")
    options.push(
      fc.constantFrom(
        (schema.minimum ?? 0) - 1,
        (schema.maximum ?? 1e9) + 1,
        0.5,
        Number.MAX_SAFE_INTEGER + 2,
        "12abc",
        "",
        "0x10",
      ),
    );
  if (schema.enum) options.push(fc.constantFrom("pending", "UNKNOWN", `${schema.enum[0]} `, ""));
  return fc.oneof(...options);
}

/** An invalid object made from a valid one: a property gone, one too many, or one broken. */
export function brokenObject(schema: Schema, valid: fc.Arbitrary<Record<string, unknown>>) {
  const names = Object.keys(schema.properties ?? {});
  const required = schema.required ?? [];
  const broken: fc.Arbitrary<unknown>[] = [
    // Not an object at all.
    fc.constantFrom(null, [], "a string", 42, true),
    valid.chain((value) =>
      fc.constantFrom("extra", "__proto__", "constructor", "status", "id").map((key) => ({ ...value, [key]: "x" })),
    ),
  ];
  if (required.length > 0)
    broken.push(
      fc.tuple(valid, fc.constantFrom(...required)).map(([value, key]) => {
        const { [key]: _, ...rest } = value;
        return rest;
      }),
    );
  if (names.length > 0)
    broken.push(
      fc
        .constantFrom(...names)
        .chain((name) =>
          fc
            .tuple(valid, brokenValueOf(schema.properties?.[name] ?? {}))
            .map(([value, bad]) => ({ ...value, [name]: bad })),
        ),
    );
  return fc.oneof(...broken);
}

/**
 * A part of a URL as a hostile client sends it: percent-encoded, and a lone surrogate as the bytes
 * a naive encoder writes for it (CESU-8), which are not UTF-8.
 */
export function urlPart(value: unknown): string {
  const text = typeof value === "string" ? value : (JSON.stringify(value) ?? "undefined");
  let out = "";
  for (const char of text) {
    const code = char.codePointAt(0) as number;
    if (code >= 0xd800 && code <= 0xdfff)
      out +=
        `%${(0xe0 | (code >> 12)).toString(16)}%${(0x80 | ((code >> 6) & 0x3f)).toString(16)}%${(0x80 | (code & 0x3f)).toString(16)}`.toUpperCase();
    else out += encodeURIComponent(char);
  }
  return out;
}
