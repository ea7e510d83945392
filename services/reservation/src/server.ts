import { runService } from "@saga/platform";
import app, { loadConfig } from "./app.js";

await runService("reservation-service", app, loadConfig);
