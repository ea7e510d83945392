import { runService } from "@saga/platform/service";
import app from "./app.js";
import { settings } from "./config.js";

await runService(settings, app);
