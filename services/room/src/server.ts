import { runService } from "@saga/platform";
import app, { loadConfig } from "./app.js";

await runService("room-service", app, loadConfig);
