#!/usr/bin/env node
/**
 * The monitor on its own: the image's `/app/servo-monitor.mjs`, a bundle of this file alone, so a
 * job pod's sidecar loads the monitor and nothing of the controllers (about 50 MB resident instead
 * of about 95 MB for the whole platform-controllers bundle). `platform-controllers servo-monitor`
 * runs the same code.
 */
import { servoMonitorMain } from './monitor.js';

servoMonitorMain(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err) => {
    process.stderr.write(`${JSON.stringify({ level: 'fatal', msg: String(err?.stack ?? err) })}\n`);
    process.exit(1);
  },
);
