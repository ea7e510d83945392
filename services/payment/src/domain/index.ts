// The payment service's domain as its integration tests use it, on a database of theirs.
export { accountId, depositOf } from "./ledger.js";
export { createPayments } from "./payments.js";
