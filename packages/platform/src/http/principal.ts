import { z } from "zod";

/** The role that marks hotel staff, in the token's `roles` claim: `{ "roles": ["staff"] }`. */
export const STAFF_ROLE = "staff";

/**
 * A guest's id as an identity provider issues it in `sub`: 1–200 visible ASCII characters (a UUID,
 * `auth0|64f…`, a number), never trimmed or case-folded, so one guest is never taken for another.
 */
export const guestId = z.string().regex(/^[\x21-\x7e]{1,200}$/, "must be 1 to 200 visible ASCII characters");

/** What a token must claim, beyond its signature, issuer, audience and expiry (checked by the verifier). */
export const claims = z.object({
  sub: guestId,
  roles: z.array(z.string().max(100)).max(50).optional(),
  exp: z.number(),
});

/** Who calls: a guest, or hotel staff. */
export interface Principal {
  id: string;
  staff: boolean;
}
