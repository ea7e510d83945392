import { guestId } from "@saga/contracts";
import { z } from "zod";

/** The role that marks hotel staff, in the token's `roles` claim: `{ "roles": ["staff"] }`. */
export const STAFF_ROLE = "staff";

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
