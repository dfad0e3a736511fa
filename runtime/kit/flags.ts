/** Flags are declared in `lib/api` (shared with the constructs that render them); the kit parses them. */
export * from '../../lib/api/flags.js';
export { leaseTiming, type LeaseTiming } from '../../lib/api/manager.js';
