import { serviceSettings } from "@saga/platform/config";

/** The payment service: the platform's settings, nothing of its own. */
export const settings = serviceSettings("payment");

export const { loadConfig } = settings;
export type PaymentConfig = ReturnType<typeof loadConfig>;
