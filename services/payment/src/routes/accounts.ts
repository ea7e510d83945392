import { bearerSecurity, type Principal } from "@saga/platform/http";
import type { FastifyRequest } from "fastify";
import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import {
  accountPage,
  creditBody,
  creditHeaders,
  creditResult,
  entriesQuery,
  errors,
  guestParams,
  paymentView,
  reservationParams,
} from "../schemas/accounts.js";

/** What the OpenAPI document says of a route: every one here needs a token. */
const doc = (operationId: string, summary: string, tag: string) => ({
  operationId,
  summary,
  tags: [tag],
  ...bearerSecurity,
});

/** The caller, once `guestOnly` (or `staffOnly`) has let the request through. */
const caller = (request: FastifyRequest) => request.principal as Principal;

const accounts: FastifyPluginAsyncZod = async (app) => {
  app.post(
    "/accounts/:guestId/credits",
    {
      ...app.staffOnly,
      schema: {
        ...doc("creditAccount", "Credit a guest's deposit, in minor units of its currency (staff)", "accounts"),
        params: guestParams,
        body: creditBody,
        headers: creditHeaders,
        response: { 201: creditResult, ...errors },
      },
    },
    async (request, reply) => {
      const { guestId } = request.params;
      const result = await app.accounts.credit(guestId, request.body, request.headers["idempotency-key"]);
      return reply.status(201).send(result);
    },
  );

  app.get(
    "/accounts/me",
    {
      ...app.guestOnly,
      schema: {
        ...doc("myAccount", "The caller's deposits and what moved in and out of them, newest first", "accounts"),
        querystring: entriesQuery,
        response: { 200: accountPage, ...errors },
      },
    },
    async (request) => app.accounts.mine(caller(request), request.query),
  );

  app.get(
    "/payments/:reservationId",
    {
      ...app.guestOnly,
      schema: {
        ...doc(
          "getPayment",
          "What a booking was charged and refunded: its owner's or staff's; 404 for anyone else",
          "payments",
        ),
        params: reservationParams,
        response: { 200: paymentView, ...errors },
      },
    },
    async (request) => app.accounts.payment(caller(request), request.params.reservationId),
  );
};

export default accounts;
