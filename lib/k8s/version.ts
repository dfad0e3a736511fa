/**
 * The package version, which is also the default tag of the platform-controllers image.
 * A constant rather than a read of package.json at load time, so that the compiled package
 * works the same from CommonJS and ESM; `npm version` rewrites it (scripts/sync-version.ts) and
 * a unit test holds it equal to package.json.
 */
export const PACKAGE_VERSION = '0.1.0';
