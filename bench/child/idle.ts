/**
 * Baseline for the memory row: a process that loads the same modules as the controller and does
 * nothing. Prints `{"maxRssKiB": n}`.
 */
import { peakRssKiB } from "../lib/peak-memory.js";
import "../lib/wire.js";

process.stdout.write(`${JSON.stringify({ maxRssKiB: peakRssKiB() })}\n`);
